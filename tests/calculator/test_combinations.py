"""Only combinations that exist: the catalog's runtime × backend × format table decides what the calculator
answers; an impossible choice is refused next to its field (400 in the API) with what to pick instead;
what the visitor left out (runtime, format) is filled in with what runs here."""

import pytest
from django.http import QueryDict

from calculator.forms import QuestionForm
from calculator.question import Question
from catalog.models import Runtime

pytestmark = pytest.mark.django_db


def errors(client, query: str) -> dict:
    response = client.get(f"/api/v1/estimate?{query}")
    assert response.status_code == 400
    return response.json()["errors"]


def cleaned(query: str) -> dict:
    form = QuestionForm(QueryDict(query))
    assert form.is_valid(), form.errors
    return form.cleaned_data


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        (
            "model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=2&runtime=mlx",
            "runtime",
            "MLX (mlx-lm) does not run on NVIDIA GPUs (CUDA), only on Apple silicon: pick llama.cpp, Ollama, "
            "vLLM, SGLang or LM Studio.",
        ),
        (
            "model=llama-3-1-70b-instruct&quant=bf16&gpu=apple-m4-max-128gb&runtime=vllm",
            "runtime",
            "vLLM does not run on Apple silicon (Metal), only on NVIDIA or AMD: pick llama.cpp, Ollama, MLX or "
            "LM Studio.",
        ),
        (
            "model=llama-3-1-70b-instruct&quant=awq-4bit&gpu=geforce-rtx-3090&count=2&runtime=llama-cpp",
            "quant",
            "llama.cpp does not run AWQ 4-bit g128 (an AWQ checkpoint) on NVIDIA GPUs (CUDA). Pick a format it "
            "runs, such as Q4_K_M, or switch to vLLM or SGLang.",
        ),
        (
            "model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-4090&runtime=vllm",
            "quant",
            "vLLM does not run Q4_K_M (a GGUF format) on NVIDIA GPUs (CUDA). Pick a format it runs, such as BF16, "
            "or switch to llama.cpp, Ollama or LM Studio.",
        ),
        (
            "model=llama-3-1-8b-instruct&quant=awq-4bit&gpu=radeon-rx-7900-xtx&runtime=vllm",
            "quant",
            "vLLM does not run AWQ 4-bit g128 (an AWQ checkpoint) on AMD GPUs (ROCm). Pick a format it runs, "
            "such as BF16.",
        ),
        (
            "model=llama-3-1-8b-instruct&quant=fp8&gpu=geforce-rtx-4090&runtime=vllm&kv=q8_0",
            "kv",
            "vLLM keeps its KV cache in f16, bf16, fp8, not q8_0: pick one of those.",
        ),
        (
            "model=llama-3-1-8b-instruct&quant=gptq-4bit&gpu=apple-m4-max-128gb",
            "quant",
            # no runtime chosen, none runs it here: where it runs, not a runtime the visitor did not pick
            "GPTQ 4-bit g128 is a GPTQ checkpoint: it runs only on NVIDIA GPUs (CUDA), with vLLM or SGLang. On "
            "Apple silicon (Metal), pick a format that runs there, such as Q4_K_M.",
        ),
    ],
)
def test_an_impossible_combination_is_a_400_saying_why_and_what_instead(
    client, catalog, query, field, message
):
    assert errors(client, query) == {field: [message]}


def test_the_page_shows_the_refusal_next_to_the_field(client, catalog):
    query = "/?model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&runtime=mlx"
    html = client.get(query, headers={"HX-Request": "true"}).content.decode()
    assert (
        '<span class="error" id="error-runtime" hx-swap-oob="true">MLX (mlx-lm) does not run on NVIDIA'
        in html
    )


def test_a_format_alone_picks_the_first_runtime_that_runs_it_here(catalog):
    assert (
        cleaned("model=llama-3-1-70b-instruct&quant=awq-4bit&gpu=geforce-rtx-3090&count=2")["runtime"]
        == "vllm"
    )
    assert cleaned("model=llama-3-1-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090")["runtime"] == "llama-cpp"
    form = QuestionForm(QueryDict("model=llama-3-1-70b-instruct&quant=awq-4bit&gpu=geforce-rtx-3090&count=2"))
    assert (
        form.is_valid() and "runtime=vllm" in Question.from_form(form).permalink()
    )  # the permalink says what was picked


@pytest.mark.parametrize(
    ("query", "quant"),
    [
        ("model=gpt-oss-120b&gpu=geforce-rtx-3090", "mxfp4"),  # released in MXFP4, run as such by llama.cpp
        ("model=gpt-oss-20b&gpu=h100-sxm5-80-gb&runtime=vllm", "mxfp4"),
        ("model=deepseek-r1&gpu=h100-sxm5-80-gb&count=8&runtime=vllm", "fp8"),  # DeepSeek's own FP8
        ("model=deepseek-r1&gpu=h100-sxm5-80-gb&count=8", "q4_k_m"),  # a GGUF runtime: Q4_K_M
        ("model=llama-3-1-70b-instruct&gpu=geforce-rtx-3090&count=2", "q4_k_m"),
        ("model=qwen3-8b&gpu=geforce-rtx-4090&runtime=sglang", "bf16"),
        ("model=qwen3-8b&gpu=apple-m4-max-128gb&runtime=mlx", "mlx-4bit"),  # mlx-community's usual width
        # Q4_K_M is published (Qwen's own and unsloth's, in parts: review C2), so it is the download
        ("model=qwen3-235b-a22b&gpu=apple-m3-ultra-512gb", "q4_k_m"),
        ("model=qwen3-235b-a22b&gpu=apple-m3-ultra-512gb&runtime=lm-studio", "q4_k_m"),
        # no Q4_K_M published, but GGUFs near its width are: the nearest listed one, a download, not a
        # conversion of the checkpoint (IQ4_XS, 4.46 bits, listed; IQ4_NL, nearer, is not listed)
        ("model=phi-3-mini-4k-instruct&gpu=geforce-rtx-3060-12-gb", "iq4_xs"),
        ("model=qwen3-235b-a22b&gpu=apple-m3-ultra-512gb&runtime=mlx", "mlx-4bit"),  # MLX: its own usual
        ("model=c4ai-command-r-v01&gpu=h100-sxm5-80-gb", "q4_k_m"),  # only a 1-bit GGUF: too far from it
    ],
)
def test_without_a_format_the_model_runs_at_its_own(catalog, query, quant):
    assert cleaned(query)["quant"].slug == quant


def test_changing_the_model_follows_its_format_unless_the_visitor_chose_one(client, catalog):
    """The page's format picker starts at "usual for the model" (an empty value), so a new model brings
    its own format; a format the visitor picked stays."""
    llama = client.get("/?model=llama-3-1-70b-instruct&quant=&gpu=geforce-rtx-3090&count=2")
    assert llama.context["form"].cleaned_data["quant"].slug == "q4_k_m"
    assert '<option value="" selected>' in llama.content.decode()
    gpt_oss = client.get("/?model=gpt-oss-120b&quant=&gpu=geforce-rtx-3090&count=2&ram_gb=64")
    assert gpt_oss.context["form"].cleaned_data["quant"].slug == "mxfp4"
    assert "quant=mxfp4" in gpt_oss.context["permalink"]
    chosen = client.get("/?model=gpt-oss-120b&quant=q8_0&gpu=geforce-rtx-3090&count=2&ram_gb=64")
    assert chosen.context["form"].cleaned_data["quant"].slug == "q8_0"


def test_suggestions_never_propose_a_format_wider_than_the_release_or_one_the_runtime_lacks(client, catalog):
    gpt_oss = client.get("/api/v1/estimate?model=gpt-oss-120b&quant=mxfp4&gpu=h100-sxm5-80-gb&count=2").json()
    assert gpt_oss["fits"] and not [s for s in gpt_oss["suggestions"] if s["kind"] == "quant"]
    llama = client.get(
        "/api/v1/estimate?model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-4090"
    ).json()
    formats = {s["changes"]["quant"] for s in llama["suggestions"] if s["kind"] == "quant"}
    assert formats and formats <= {"bf16", "f16", "q8_0", "q6_k", "q5_k_m"}  # GGUF-loadable, at most 16 bits


def test_the_table_is_the_catalogs_and_an_editor_can_change_it(client, catalog):
    query = "model=llama-3-1-8b-instruct&quant=awq-4bit&gpu=radeon-rx-7900-xtx&runtime=vllm"
    assert errors(client, query)["quant"]
    vllm = Runtime.objects.get(slug="vllm")
    vllm.formats = {**vllm.formats, "rocm": [*vllm.formats["rocm"], "awq"]}
    vllm.save()  # the catalog version moves: no cached refusal survives the edit
    assert client.get(f"/api/v1/estimate?{query}").status_code == 200
