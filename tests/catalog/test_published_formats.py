"""AWQ, GPTQ, MXFP4 and MLX are releases, not something a runtime makes as it loads the model: the GPU,
model and what-runs pages offer them only for models the catalog lists a release of, and rank each
model's formats by its own bits per weight (a mixture of experts' MXFP4 experts are 4.25 bits, whatever
the file's whole-model figure), so Q4_K_M comes before MXFP4."""

import re

from catalog import fitting
from catalog.models import Gpu, LlmModel, Quantization
from catalog.pages import published_formats


def test_published_formats_are_read_from_the_artifacts(catalog):
    found = published_formats()
    assert "mxfp4" in found["gpt-oss-20b"]
    assert "mxfp4" not in found.get("qwen3-30b-a3b", ())


def test_a_gpu_page_shows_mxfp4_only_for_models_released_in_it(client, catalog):
    rows = [r for r in client.get("/gpus/geforce-rtx-4090/").context["rows"] if r.fits]
    published = published_formats()
    shown = {r.model.slug: r.quant.slug for r in rows}
    assert shown["gpt-oss-20b"] == "mxfp4"
    for slug, quant in shown.items():
        if Quantization.objects.get(slug=quant).family in fitting.PUBLISHED_ONLY:
            assert quant in published.get(slug, ()), (slug, quant)


def test_a_model_page_lists_no_release_the_model_never_had(client, catalog):
    rows = {r.quant.slug for r in client.get("/models/qwen3-30b-a3b/").context["rows"]}
    published = published_formats().get("qwen3-30b-a3b", frozenset())
    assert "q4_k_m" in rows
    assert {"mxfp4", "awq-4bit", "gptq-4bit", "mlx-4bit"} & rows <= published


def test_what_runs_tries_q4_k_m_before_mxfp4_for_a_mixture_of_experts(catalog):
    quants = [q.as_spec() for q in Quantization.objects.listed()]
    model = LlmModel.objects.get(slug="qwen3-235b-a22b")
    devices = [Gpu.objects.get(slug="geforce-rtx-4090").as_spec()] * 8
    workload = fitting.question_workload(ctx=2048, ram_gb=64)
    asked = {
        "models": [model.as_spec()],
        "quants": quants,
        "devices": devices,
        "workload": workload,
        "native_dtypes": {model.slug: model.native_dtype},
        "policy": "default",
    }
    # every format allowed (no catalog of releases): still Q4_K_M first, since it is wider
    assert fitting.what_runs(**asked)[0].quant.slug == "q4_k_m"
    # MXFP4 asked for by name, and the model has no MXFP4 release: said so, not "does not fit"
    row = fitting.what_runs(**asked | {"policy": "mxfp4", "published": published_formats()})[0]
    assert not row.fits and row.why_not == "no MXFP4 release of it is known to this site."


def test_a_base_models_commands_never_name_its_instruct_fine_tune(client, catalog):
    """Review B3: Mistral NeMo Base and Mixtral 8x22B (base) list their Instruct fine-tunes' releases as
    variants. A visitor who chose the base model asked for it (the Instruct is a catalog model of its own,
    with the same size and speed): its commands use its own checkpoint, and the variants are not formats
    it is published in. The model page still lists them, saying the commands do not name them."""
    for query, own in [
        (
            "model=mistral-nemo-base-2407&quant=q4_k_m&gpu=geforce-rtx-4090&runtime=llama-cpp",
            "Mistral-Nemo-Base-2407",
        ),
        (
            "model=mixtral-8x22b-v0-1&quant=q4_k_m&gpu=h100-sxm5-80-gb&count=2&runtime=lm-studio",
            "Mixtral-8x22B-v0.1",
        ),
    ]:
        plans = client.get(f"/api/v1/estimate?{query}").json()["plans"]
        commands = "\n".join(text for p in plans for text in p["commands"].values())
        assert commands and not re.search(r"[\w.-]+/[\w.-]*Instruct", commands), (
            query
        )  # no Instruct repository
        assert f"hf download mistralai/{own} " in commands, query
    published = published_formats()
    assert not {"awq-4bit", "gptq-4bit"} & published["mixtral-8x22b-v0-1"]
    page = client.get("/models/mixtral-8x22b-v0-1/").content.decode()
    assert page.count('data-testid="variant"') == 4  # the Instruct's AWQ, GPTQ, GGUF and Ollama tag


def test_mixtral_8x7b_is_converted_from_its_own_checkpoint_not_thebloke_2023_gguf(client, catalog):
    """Review A1: TheBloke's December 2023 GGUFs hold each expert as a tensor of its own, which llama.cpp
    no longer loads (issue 10244); with no later GGUF known, the commands make one from Mistral's own."""
    query = (
        "model=mixtral-8x7b-instruct-v0-1&quant=q4_k_m&gpu=geforce-rtx-3060-12-gb&ram_gb=64&runtime=llama-cpp"
    )
    plans = client.get(f"/api/v1/estimate?{query}").json()["plans"]
    commands = "\n".join(text for p in plans for text in p["commands"].values())
    assert commands and "TheBloke" not in commands
    assert "hf download mistralai/Mixtral-8x7B-Instruct-v0.1 " in commands
    assert "convert_hf_to_gguf.py models/Mixtral-8x7B-Instruct-v0.1 " in commands
