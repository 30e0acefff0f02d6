"""An Intel Arc runs llama.cpp's SYCL and its Vulkan backend (the catalog's `backends` for the device):
LM Studio and Ollama, which run llama.cpp's Vulkan, run there, and the engine times the card on the
backend the question's runtime runs (LM Studio: Vulkan, Intel's Vulkan speed class; llama.cpp: SYCL)."""

import re

import pytest

from catalog.models import Gpu
from catalog.published import model_spec
from estimator import estimate
from estimator.hardware import kernels
from tests.calculator.test_question import question

pytestmark = pytest.mark.django_db

ARC = "model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=arc-a770"


def decode(plans: list, strategy: str) -> float:
    return next(p["decode_tok_s"] for p in plans if p["strategy"] == strategy)


@pytest.mark.parametrize(
    ("runtime", "backend"), [("lm-studio", "vulkan"), ("ollama", "vulkan"), ("llama-cpp", "sycl")]
)
def test_an_arc_is_timed_on_the_backend_its_runtime_runs(catalog, runtime, backend):
    (device,) = question(f"{ARC}&runtime={runtime}").device_specs
    assert device.backend == backend
    assert kernels(device, runtime) == {"vulkan": "vulkan_intel", "sycl": "sycl"}[backend]


def test_an_nvidia_card_stays_on_cuda_under_every_runtime_of_its_vulkan_too(catalog):
    for runtime in ("llama-cpp", "ollama", "lm-studio", "vllm"):
        query = f"model=llama-3-1-8b-instruct&gpu=geforce-rtx-3090&runtime={runtime}"
        assert [d.backend for d in question(query).device_specs] == ["cuda"], runtime


@pytest.mark.parametrize(("runtime", "backend"), [("lm-studio", "vulkan"), ("llama-cpp", None)])
def test_the_api_answers_an_arc_at_the_speed_of_its_runtimes_backend(client, catalog, runtime, backend):
    response = client.get(f"/api/v1/estimate?{ARC}&runtime={runtime}")
    assert response.status_code == 200, response.json()
    body = response.json()
    asked = question(f"{ARC}&runtime={runtime}")
    arc = Gpu.objects.get(slug="arc-a770")
    expected = estimate(
        model=model_spec(asked.model),
        quant=asked.quant.as_spec(),
        devices=[arc.as_spec(backend)],  # None: its usual SYCL, as before
        workload=asked.workload(),
        with_suggestions=False,
    )
    strategy = body["recommended"]
    assert strategy == expected.recommended
    assert decode(body["plans"], strategy) == pytest.approx(expected.recommended_plan.decode_tok_s, rel=1e-9)


def test_lm_studio_on_an_arc_differs_from_llama_cpp_there(client, catalog):
    lm, cpp = (client.get(f"/api/v1/estimate?{ARC}&runtime={r}").json() for r in ("lm-studio", "llama-cpp"))
    assert decode(lm["plans"], lm["recommended"]) != decode(cpp["plans"], cpp["recommended"])


def test_the_runtime_select_no_longer_sets_lm_studio_or_ollama_apart_on_an_arc(client, catalog):
    html = client.get(f"/?{ARC}&runtime=lm-studio").content.decode()
    runtime = re.search(r'<select name="runtime" id="id_runtime"[^>]*>(.*?)</select>', html, re.S).group(1)
    apart = re.search(r'<optgroup label="Not on Intel \(SYCL\)">(.*?)</optgroup>', runtime, re.S).group(1)
    assert '<option value="lm-studio" selected>LM Studio</option>' in runtime
    assert 'value="lm-studio"' not in apart and 'value="ollama"' not in apart
    assert 'value="vllm"' in apart  # not timed on Intel
    assert "does not run on Intel" not in html


def test_lm_studios_commands_on_an_arc_carry_no_cuda_only_flag(client, catalog):
    html = client.get(f"/?{ARC}&runtime=lm-studio").content.decode()
    commands = re.sub(r"</?span[^>]*>", "", " ".join(re.findall(r"<pre[^>]*>(.*?)</pre>", html, re.S)))
    assert "lms load" in commands
    assert "CUDA" not in commands and "cuda" not in commands
