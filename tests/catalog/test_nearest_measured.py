"""Where no published measurement matches the question, the page shows the nearest one and what the
engine estimates for it (issue 14: "the nearest measured neighbour otherwise")."""

import math

from catalog import fitting
from catalog.measurements import nearest_measured
from catalog.models import Gpu, Measurement
from estimator import Workload
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
    plan = fitting.recommended(
        model=m.llm.as_spec(),
        quant=m.quantization.as_spec(),
        devices=[m.gpu.as_spec().model_copy(update={"backend": "vulkan"})],
        workload=Workload(context_tokens=1024, prompt_tokens=1, runtime="llama.cpp"),
    )
    assert near.estimate_tok_s == plan.decode_tok_s
    assert near.error == near.estimate_tok_s / near.row.value - 1


def test_an_unmeasured_card_gets_the_measured_card_of_its_kind_with_the_nearest_bandwidth(catalog):
    card = gpu("geforce-rtx-4070-ti-super")
    assert not Measurement.objects.filter(gpu=card).exists()
    near = nearest_measured(gpu=card, bits_per_weight=4.9)
    assert not near.same_gpu
    measured = Gpu.objects.filter(
        vendor="nvidia", unified_memory=False, measurements__isnull=False
    ).distinct()
    gap = min(abs(math.log(g.bandwidth_gb_s / card.bandwidth_gb_s)) for g in measured)
    assert abs(math.log(near.row.bandwidth_gb_s / card.bandwidth_gb_s)) == gap
    assert near.row.source_url.startswith("https://")


def test_no_neighbour_without_a_measured_card_of_the_same_vendor_and_memory(catalog):
    assert not Measurement.objects.filter(gpu__vendor="intel", gpu__unified_memory=True).exists()
    lunar_lake = make_gpu(
        slug="arc-140v", name="Arc 140V", vendor="intel", unified_memory=True, bandwidth_gb_s=136.5
    )
    assert nearest_measured(gpu=lunar_lake, bits_per_weight=4.9) is None
