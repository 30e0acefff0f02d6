"""Where no published measurement matches the question, the page shows the nearest one and what the
engine estimates for it (issue 14: "the nearest measured neighbour otherwise")."""

import math

import pytest

from catalog.measurements import NEAR_BANDWIDTH, _decode_rows, nearest_measured, row_estimate
from catalog.models import Gpu, LlmModel, Measurement, Quantization
from estimator import Plan, Workload, plans
from tests.conftest import make_gpu


def gpu(slug: str) -> Gpu:
    return Gpu.objects.get(slug=slug)


def test_a_measured_card_is_its_own_neighbour_at_the_nearest_format(catalog):
    near = nearest_measured(gpu=gpu("apple-m1-max-64gb"), bits_per_weight=16.0)
    assert near.same_gpu and near.row.quant == "F16" and near.row.backend == "metal"
    near = nearest_measured(gpu=gpu("apple-m1-max-64gb"), bits_per_weight=4.9)
    assert near.row.quant == "Q4_0"


def test_a_card_measured_only_under_vulkan_is_estimated_under_vulkan(catalog):
    near = nearest_measured(gpu=gpu("arc-a770"), bits_per_weight=4.9)
    assert near.same_gpu and near.row.backend == "vulkan"
    m = Measurement.objects.select_related("gpu", "llm", "quantization").get(slug=near.row.slug)
    assert m.test == "tg128" and m.gpu.backend != "vulkan"
    plan = plans.single(
        model=m.llm.as_spec(),
        quant=m.quantization.as_spec(),
        devices=[m.gpu.as_spec().model_copy(update={"backend": "vulkan"})],
        workload=Workload(context_tokens=65, prompt_tokens=64),  # tg128's mean depth
    )
    assert near.estimate_tok_s == row_estimate(m) == plan.decode_tok_s
    assert near.error == near.estimate_tok_s / near.row.value - 1


# ---- The engine's estimate for a published row's own test (`row_estimate`, the GPU pages' "Ours") ------


def measurement(test: str, **fields) -> Measurement:
    """A llama.cpp row of Llama 3.1 8B Q4_K_M on one RTX 3090 (not saved: `row_estimate` reads its fields)."""
    fields = {
        "gpu": gpu("geforce-rtx-3090"),
        "backend": "cuda",
        "metric": "decode_tok_s",
        "value": 100.0,
    } | fields
    return Measurement(
        llm=LlmModel.objects.get(slug="llama-3-1-8b-instruct"),
        quantization=Quantization.objects.get(slug="q4_k_m"),
        test=test,
        **fields,
    )


def engine(test: str, devices: int = 1, **workload) -> Plan:
    model = LlmModel.objects.get(slug="llama-3-1-8b-instruct").as_spec()
    quant = Quantization.objects.get(slug="q4_k_m").as_spec()
    builder = plans.layer_split if devices > 1 else plans.single
    return builder(
        model=model,
        quant=quant,
        devices=[gpu("geforce-rtx-3090").as_spec()] * devices,
        workload=Workload(**workload),
    )


def test_a_decode_row_is_estimated_at_its_tests_mean_depth_a_prompt_row_from_an_empty_context(catalog):
    assert row_estimate(measurement("tg128")) == engine("", context_tokens=65, prompt_tokens=64).decode_tok_s
    at_depth = engine("", context_tokens=16401, prompt_tokens=16400).decode_tok_s  # 32 tokens after 16384
    assert row_estimate(measurement("tg32@d16384")) == at_depth < row_estimate(measurement("tg128"))
    assert row_estimate(measurement("tg32", context_tokens=16384)) == at_depth  # the depth stored apart
    prompt = engine("", context_tokens=512, prompt_tokens=512).prefill_tok_s
    assert row_estimate(measurement("pp512", metric="prefill_tok_s")) == prompt


def test_several_cards_are_a_layer_split_and_the_flags_say_whether_flash_attention_ran(catalog):
    two = measurement("tg128", gpu_count=2, split_mode="layer")
    assert row_estimate(two) == engine("", 2, context_tokens=65, prompt_tokens=64).decode_tok_s
    without = engine("", context_tokens=16401, prompt_tokens=16400, flash_attention=False).decode_tok_s
    assert row_estimate(measurement("tg32@d16384", flags="llama-bench -p 0 -n 32 -fa 0 -d 16384")) == without
    assert without != row_estimate(measurement("tg32@d16384", flags="llama-bench -fa 1 -d 16384"))


@pytest.mark.parametrize(
    "fields",
    [
        {"runtime": "vLLM"},  # another runtime's serving stack
        {"gpu_count": 2, "split_mode": "row"},
        {"backend": "cpu"},
        {"test": "pp2048@d16384", "metric": "prefill_tok_s"},  # a plan's prompt starts a conversation
        {"test": "throughput"},  # not a llama-bench test
    ],
)
def test_rows_the_engine_does_not_ask_the_same_question_of_have_no_estimate(catalog, fields):
    assert row_estimate(measurement(fields.pop("test", "tg128"), **fields)) is None


def test_an_unmeasured_card_gets_the_measured_card_of_its_kind_with_the_nearest_bandwidth_and_a_model_of_its_kind(
    catalog,
):
    card = gpu("geforce-rtx-4070-ti-super")
    assert not Measurement.objects.filter(gpu=card).exists()
    near = nearest_measured(gpu=card, bits_per_weight=4.9)  # a dense model
    assert not near.same_gpu and not near.row.moe
    # of the cards within NEAR_BANDWIDTH of its bandwidth, the nearest with a dense model's decode row
    dense = [r for r in _decode_rows() if r.vendor == "nvidia" and not r.unified_memory and not r.moe]
    gaps = [abs(math.log(r.bandwidth_gb_s / card.bandwidth_gb_s)) for r in dense]
    gap = min(g for g in gaps if g <= math.log(NEAR_BANDWIDTH))
    assert abs(math.log(near.row.bandwidth_gb_s / card.bandwidth_gb_s)) == gap
    assert near.row.source_url.startswith("https://")


def test_no_neighbour_without_a_measured_card_of_the_same_vendor_and_memory(catalog):
    assert not Measurement.objects.filter(gpu__vendor="intel", gpu__unified_memory=True).exists()
    lunar_lake = make_gpu(
        slug="arc-140v", name="Arc 140V", vendor="intel", unified_memory=True, bandwidth_gb_s=136.5
    )
    assert nearest_measured(gpu=lunar_lake, bits_per_weight=4.9) is None


def test_several_cards_get_a_measured_split_over_as_many_of_them(catalog):
    card = gpu("geforce-rtx-3090")
    split = Measurement.objects.filter(gpu=card, gpu_count=2, split_mode="layer", metric="decode_tok_s")
    assert split.exists() and Measurement.objects.filter(gpu=card, gpu_count=1).exists()
    near = nearest_measured(
        gpu=card, bits_per_weight=4.9, llm="llama-3-3-70b-instruct", params_b=70.6, gpu_count=2
    )
    assert near.same_gpu and near.row.gpu_count == 2 and near.row.slug in {m.slug for m in split}
    m = Measurement.objects.select_related("gpu", "llm", "quantization").get(slug=near.row.slug)
    assert near.estimate_tok_s == row_estimate(m)  # priced as the layer split it was
    alone = nearest_measured(gpu=card, bits_per_weight=4.9, llm="llama-3-3-70b-instruct", params_b=70.6)
    assert alone.row.gpu_count == 1  # one card: a one-card row wherever the card has one
