"""A model page says which formats keep the experts at their released width, where the sizes would read as a bug."""

import re

import pytest

from catalog.models import Gpu, LlmModel
from tests.conftest import make_gpu, make_llm, make_quant

pytestmark = pytest.mark.django_db

NOTE = re.compile(r'<p data-testid="formats-experts-note">([^<]*)</p>')


def test_gpt_oss_120b_says_its_16_bit_and_gguf_files_keep_the_experts_in_mxfp4(client, catalog):
    response = client.get("/models/gpt-oss-120b/")
    assert NOTE.search(response.text).group(1) == (
        "F16, BF16 and every GGUF file of gpt-oss-120b keep the experts in MXFP4 (4.25 bits) as released: "
        "the format sets only the other tensors."
    )
    rows = {r.quant.slug: r for r in response.context["rows"]}
    assert rows["f16"].kept_expert_bits == rows["q2_k"].kept_expert_bits == 4.25
    # what the note explains: 16 bits a weight elsewhere add under 5% to the Q2_K file
    assert rows["q2_k"].weights_bytes < rows["f16"].weights_bytes < 1.05 * rows["q2_k"].weights_bytes
    # FP8 stores its experts in FP8, and the MXFP4 format sets the experts' width itself: neither is named
    assert rows["fp8"].kept_expert_bits is None and rows["mxfp4"].kept_expert_bits is None


def test_a_dense_model_page_has_no_experts_note(client, catalog):
    response = client.get("/models/llama-3-3-70b-instruct/")
    assert response.status_code == 200
    assert not NOTE.search(response.text)
    assert all(r.kept_expert_bits is None for r in response.context["rows"])


def test_the_note_comes_from_the_models_native_dtype_not_its_name(client):
    """A made-up mixture of experts released with MXFP4 experts, one GGUF and one FP8 format listed."""
    make_gpu(slug="h100-sxm5-80-gb", name="H100 SXM5 80 GB", memory_bytes=80 * 2**30, bandwidth_gb_s=3350)
    make_quant()
    make_quant(slug="fp8", name="FP8", family="fp8", bits_per_weight=8.0)
    make_llm(
        slug="tiny-moe",
        name="Tiny MoE",
        native_dtype="mxfp4+bfloat16",
        total_params_b=8.0,
        active_params_b=1.5,
        num_experts=32,
        num_experts_per_tok=4,
        moe_intermediate_size=1024,
    )
    assert Gpu.objects.listed().count() == 1 and LlmModel.objects.count() == 1
    response = client.get("/models/tiny-moe/")
    assert NOTE.search(response.text).group(1) == (
        "Every GGUF file of Tiny MoE keeps the experts in MXFP4 (4.25 bits) as released: "
        "the format sets only the other tensors."
    )
    # the same model released in 16 bits throughout: each format sets the experts too, nothing to say
    LlmModel.objects.filter(slug="tiny-moe").update(native_dtype="bfloat16")
    assert not NOTE.search(client.get("/models/tiny-moe/").text)
