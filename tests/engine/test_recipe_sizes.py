"""A llama.cpp mix at its catalog width is sized by the quantizer's recipe for each model (memory.sized); a file
whose size is known keeps its own width, and other formats stand as given."""

import pytest

from estimator import memory, quant_mix
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
