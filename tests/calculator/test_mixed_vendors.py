"""GPUs of several vendors in one machine (review 11, F5): no one llama.cpp build drives CUDA and ROCm devices
(the HIP backend is compiled from the CUDA sources; ggml-org/llama.cpp issues 11506 and 29048), and vLLM and
SGLang are a CUDA or a ROCm build. Left to the usual backend, such a rig runs on the build every card has
(Vulkan), says so, and is refused where its cards share none."""

import html as markup
import re

import pytest

pytestmark = pytest.mark.django_db

MODEL = "model=llama-3-1-70b-instruct&quant=q4_k_m&ctx=8192"
MIXED = f"{MODEL}&gpu=geforce-rtx-4090&gpu=radeon-rx-7900-xtx"


def text(html: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</(?:p|span|ul|dd|div|h2)>', html, re.S)
    assert found, testid
    return markup.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip()


def command_lines(html: str) -> list[str]:
    code = re.search(r'data-testid="launch-command"><code>(.*?)</code>', html, re.S).group(1)
    return markup.unescape(re.sub(r"</?span[^>]*>", "", code)).splitlines()


def refusal(client, query: str, field: str) -> list[str]:
    """The API's errors for `field`, where it refuses the question."""
    response = client.get(f"/api/v1/estimate?{query}")
    assert response.status_code == 400
    return response.json()["errors"][field]


def test_a_geforce_beside_a_radeon_is_timed_on_vulkan_not_on_cuda_and_rocm(client, catalog):
    usual = client.get(f"/api/v1/estimate?{MIXED}").json()
    assert usual["backends"] == ["vulkan", "vulkan"]  # the API says which build it timed
    vulkan = client.get(f"/api/v1/estimate?{MIXED}&backend=vulkan").json()
    assert usual["plans"][0]["decode_tok_s"] == pytest.approx(vulkan["plans"][0]["decode_tok_s"])
    assert usual["plans"][0]["prefill_tok_s"] == pytest.approx(vulkan["plans"][0]["prefill_tok_s"])
    assert usual["explanations"]["overhead_bytes"]["formula"] == "Vulkan context per device"
    # CUDA's fastest-first order is no advice for Vulkan's numbering
    assert "CUDA_DEVICE_ORDER" not in usual["plans"][0]["commands"]["llama-server"]


def test_the_page_names_the_build_that_runs_both_and_why(client, catalog):
    page = client.get(f"/?{MIXED}").content.decode()
    assert "with a layer split" in text(page, "verdict")
    assert "1× Radeon RX 7900 XTX on Vulkan" in text(page, "verdict")
    lines = command_lines(page)
    assert lines[0] == (
        "# a llama.cpp built for Vulkan runs the NVIDIA and AMD GPUs together: cmake -B build -DGGML_VULKAN=ON"
    )
    assert (
        lines[1] == "# one build with CUDA and ROCm both sees one vendor's GPUs alone (llama.cpp issue 11506)"
    )
    assert lines[-1].startswith("llama-server ")
    select = re.search(r'<select name="backend" id="id_backend">(.*?)</select>', page, re.S).group(1)
    assert re.findall(r">([^<]+)</option>", select)[0] == "Usual for the runtime: Vulkan"


def test_vllm_is_refused_on_a_geforce_beside_a_radeon(client, catalog):
    assert refusal(client, f"{MIXED}&runtime=vllm", "runtime") == [
        "vLLM has no build that runs NVIDIA and AMD GPUs together: pick llama.cpp, Ollama or LM Studio, "
        "which run them on Vulkan."
    ]
    # the picker says so whichever card comes first
    page = client.get(f"/?{MODEL}&gpu=radeon-rx-7900-xtx&gpu=geforce-rtx-4090").content.decode()
    assert "vLLM: not NVIDIA and AMD together" in page


def test_an_arc_beside_a_geforce_runs_on_vulkan_without_the_cuda_and_rocm_note(client, catalog):
    page = client.get(f"/?{MODEL}&gpu=geforce-rtx-4090&gpu=arc-a770").content.decode()
    lines = command_lines(page)
    # (70B does not fit their 40 GiB: the build is said under the comment that says so)
    assert any(
        line.startswith("# a llama.cpp built for Vulkan runs the NVIDIA and Intel GPUs") for line in lines
    )
    assert not any("11506" in line for line in lines)


def test_cards_that_share_no_build_are_refused_each_kind_its_fix(client, catalog):
    assert refusal(client, f"{MODEL}&gpu=b200&gpu=radeon-rx-7900-xtx", "gpu") == [
        "B200 and Radeon RX 7900 XTX share no build: CUDA and ROCm each drive their own vendor's cards, "
        "never together in one server, and B200 has no Vulkan build. Ask about each alone."
    ]
    page = client.get(f"/?{MODEL}&gpu=b200&gpu=radeon-rx-7900-xtx").content.decode()
    fixes = re.findall(r'class="fix" href="([^"]+)"', page)
    assert any("gpu=b200" in f and "radeon" not in f for f in fixes), fixes
    assert any("gpu=radeon-rx-7900-xtx" in f and "b200" not in f for f in fixes), fixes


def test_one_vendor_s_cards_keep_their_usual_backend(client, catalog):
    two = client.get(f"/api/v1/estimate?{MODEL}&gpu=geforce-rtx-4090&gpu=geforce-rtx-3090").json()
    assert two["backends"] == ["cuda", "cuda"]
    assert two["explanations"]["overhead_bytes"]["formula"] == "CUDA context per device"
    assert "CUDA_DEVICE_ORDER=PCI_BUS_ID" in two["plans"][0]["commands"]["llama-server"]
