"""A llama.cpp mix at its catalog width is sized by the quantizer's recipe for each model (memory.sized); a file
whose size is known keeps its own width, and other formats stand as given."""

import pytest

from estimator import hardware, memory, quant_mix
from estimator.estimate import _recipe_words
from estimator.units import GIB

from .engine_specs import AWQ, llama_8b, llama_70b, quant
from .test_expert_offload_command import catalog_model

# The catalog's widths, measured on Llama 3.1 8B (fixtures/catalog/quantizations.json)
Q3_K_M = quant("q3_k_m", 4.0007, catalog_width=True)
Q4_K_M = quant("q4_k_m", 4.8944, catalog_width=True)


@pytest.mark.parametrize(
    ("model", "fmt", "printed_gib"),
    [
        # llama-bench's printed sizes (bench/data/public_measurements.json)
        (lambda: catalog_model("qwen3-235b-a22b"), Q3_K_M, 104.72),
        (lambda: catalog_model("llama-3-3-70b-instruct"), Q4_K_M, 39.59),
    ],
)
def test_the_recipe_gives_the_printed_file_size(model, fmt, printed_gib):
    assert memory.weights_bytes(model(), fmt) / GIB == pytest.approx(printed_gib, rel=0.005)


def test_the_catalog_width_is_the_recipe_on_the_model_it_was_measured_on():
    assert quant_mix.file_bits(llama_8b(), Q4_K_M) == pytest.approx(4.8944, rel=0.001)


def test_a_known_file_and_other_formats_keep_their_width():
    known = quant("q3_k_m", 3.9)  # catalog_width False: the file's own size ÷ its parameters
    assert memory.sized(llama_70b(), known) is known
    assert (
        memory.sized(llama_70b(), AWQ.model_copy(update={"catalog_width": True})).bits_per_weight == 4.15625
    )
    assert quant_mix.file_bits(llama_70b(), quant("iq4_xs", 4.46, catalog_width=True)) is None


def test_the_explanation_says_the_width_is_the_models_own():
    model = catalog_model("qwen3-235b-a22b")
    assert "as llama.cpp's quantizer mixes Q3_K_M for this model's tensors (4.0007 on Llama 3.1 8B)" in (
        _recipe_words(model, Q3_K_M)
    )
    assert _recipe_words(model, quant("q3_k_m", 3.9)) == ""
    assert _recipe_words(model, AWQ.model_copy(update={"catalog_width": True})) == ""


def gpt_oss(slug: str = "gpt-oss-120b"):
    """The catalog's gpt-oss as LlmModel.as_spec makes it: its experts released in MXFP4."""
    return catalog_model(slug).model_copy(
        update={"native_expert_bits_per_weight": quant_mix.native_expert_bits("mxfp4+bfloat16")}
    )


@pytest.mark.parametrize(
    ("fmt", "printed_gib"),
    [
        # llama-bench's sizes of gpt-oss-120b files (lhl, Framework forum topic 73280): unsloth's F16, which keeps
        # the experts in MXFP4 around 16-bit attention and embeddings, and ggml-org's MXFP4 (Q8_0 around them)
        (quant("f16", 16.0, format="safetensors"), 60.87),
        (quant("mxfp4", 8.5, expert_bits_per_weight=4.25, format="mxfp4"), 59.02),
    ],
)
def test_a_gpt_oss_file_keeps_its_mxfp4_experts_whatever_its_type(fmt, printed_gib):
    assert memory.weights_bytes(gpt_oss(), fmt) / GIB == pytest.approx(printed_gib, rel=0.01)


def test_gpt_oss_file_types_differ_by_the_rest_alone():
    """bartowski: "All quants keep the feed forward networks at mxfp4 ... the size differences are negligible"
    (his gpt-oss-20b Q6_K 12.04 GB, the MXFP4 file 12.1): a Q2_K is not a 2-bit gpt-oss."""
    sizes = {
        q.slug: memory.weights_bytes(gpt_oss(), q) / GIB for q in (Q3_K_M, Q4_K_M, quant("q8_0", 8.5008))
    }
    assert min(sizes.values()) > 57.5 and max(sizes.values()) < 59.5  # unsloth's Q2_K to Q8_0: 58.3-59.0 GiB
    assert sizes["q3_k_m"] < sizes["q4_k_m"] < sizes["q8_0"]
    stored = memory.sized(gpt_oss(), Q4_K_M)
    assert stored.expert_bits_per_weight == 4.25 and not stored.catalog_width
    assert hardware.format_family(stored) == "kquant"  # priced at its type's kernels (hardware.format_family)
    assert memory.sized(gpt_oss(), AWQ) is AWQ  # a published AWQ checkpoint has widths of its own


def test_rows_no_multiple_of_256_fall_back_from_the_k_quants():
    """llama-quantize's `tensor_type_fallback`: Qwen2.5-0.5B's 896-wide rows cannot hold Q4_K's 256-weight blocks
    and take Q5_0, its head Q8_0 (not Q6_K); Llama 3.1 8B's 4096 keep the recipe."""
    small = catalog_model("qwen2-5-0-5b-instruct")
    assert small.hidden_size % quant_mix.K_QUANT_BLOCK
    r = quant_mix.recipe(small, "q4_k_m")
    assert r.output == quant_mix.TYPE_BITS["q8_0"] and r.attention >= quant_mix.TYPE_BITS["q5_0"]
    assert quant_mix.recipe(llama_8b(), "q4_k_m").output == quant_mix.TYPE_BITS["q6_k"]
    assert quant_mix._bits("q4_k", 896) == quant_mix.TYPE_BITS["q5_0"]
    assert quant_mix._bits("q4_k", 4096) == quant_mix.TYPE_BITS["q4_k"]
