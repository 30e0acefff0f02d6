"""The MXFP4 page says the widths its worked example computes with (it said 16 bits for gpt-oss's
non-expert tensors while the example multiplied them by 8.5)."""

import html
import re

import pytest

from catalog.models import Quantization

pytestmark = pytest.mark.django_db


def test_the_mxfp4_page_states_the_widths_its_worked_example_uses(client, catalog):
    widths = Quantization.objects.get(slug="mxfp4").widths()
    rest, experts = widths["bits_per_weight"], widths["expert_bits_per_weight"]
    page = html.unescape(re.sub(r"<[^>]+>", " ", client.get("/glossary/mxfp4/").content.decode()))
    prose, example = page.split("Worked example", 1)
    prose = " ".join(prose.split())
    assert (
        f"routed experts at {experts:g} bits per weight and the rest of gpt-oss at Q8_0's {rest:g} bits"
        in prose
    )
    assert f"(routed experts) × {experts:g}" in example and f"(the rest) × {rest:g}" in example
    assert "non-expert tensors of gpt-oss at 16 bits" not in prose


def test_vllm_holds_gpt_oss_as_openais_checkpoint_and_llama_cpp_as_the_gguf(client, catalog):
    """OpenAI's checkpoint, which vLLM and SGLang load, keeps everything but the routed experts in bf16
    (its config.json's modules_to_not_convert): gpt-oss-120b's release is 65.2 GB. The GGUF mix keeps
    the rest at Q8_0: 59.02 GiB (63.4 GB) as llama-bench prints ggml-org's file."""
    query = "model=gpt-oss-120b&quant=mxfp4&gpu=h100-sxm5-80-gb&ctx=8192&runtime="
    weights = {
        runtime: client.get(f"/api/v1/estimate?{query}{runtime}").json()["memory"]["weights_bytes"]
        for runtime in ("llama-cpp", "ollama", "vllm", "sglang")
    }
    assert weights["llama-cpp"] == weights["ollama"]
    assert weights["vllm"] == weights["sglang"]
    assert 62.5e9 < weights["llama-cpp"] < 63.6e9
    assert 64.8e9 < weights["vllm"] < 65.6e9
    mxfp4 = Quantization.objects.get(slug="mxfp4")
    gguf, checkpoint = mxfp4.as_spec(), mxfp4.as_spec("vllm", moe=True)
    assert gguf.expert_bits_per_weight == checkpoint.expert_bits_per_weight == 4.25
    assert (gguf.bits_per_weight, checkpoint.bits_per_weight) == (8.5, 16.0)
    assert mxfp4.as_spec("vllm", moe=False) == gguf  # no dense model is published in MXFP4
