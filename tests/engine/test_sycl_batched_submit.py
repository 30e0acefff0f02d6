"""SYCL's batched Level Zero launches on Xe2 before oneAPI 2025.3 (fixed_costs.SYCL_BATCHED_SUBMIT_SECONDS, and which bench
rows ran them: bench/speed_resolve.py)."""

from dataclasses import replace

import pytest
from engine_specs import make_gpu

from estimator import fixed_costs, speed

# qwen2 1.5B Q4_0 on an Arc B580 (456 GB/s): 28 layers, ~0.9 GB a token
QWEN2_1_5B_ON_B580 = speed.Stage(
    bandwidth_gb_s=456,
    backend="sycl",
    tflops=116.7,
    layers=28,
    dense_bytes=0.93e9,
    routed_bytes=0.0,
    experts=0,
    experts_per_tok=0,
    active_params=1.5e9,
)


def test_batched_launches_cost_a_decode_step_a_time_per_layer():
    batched = replace(QWEN2_1_5B_ON_B580, batched_submit=True)
    assert speed.decode_step_seconds(batched, 1, 128) - speed.decode_step_seconds(
        QWEN2_1_5B_ON_B580, 1, 128
    ) == pytest.approx(28 * fixed_costs.SYCL_BATCHED_SUBMIT_SECONDS)
    # not a prompt's: its long kernels leave the host time to batch the next ones
    assert fixed_costs.fixed_seconds(batched) == fixed_costs.fixed_seconds(QWEN2_1_5B_ON_B580)


def test_the_engine_answers_for_todays_runtime():
    assert not QWEN2_1_5B_ON_B580.batched_submit


@pytest.mark.parametrize(
    ("backend", "device", "date", "batched"),
    [
        ("sycl", "Intel Arc B580", "2025-05-27", True),  # PR 13826, oneAPI 2025.1
        (
            "sycl",
            'Intel Lunar Lake iGPU (Arc 140V class, "Intel(R) Arc(TM) Graphics")',
            None,
            True,
        ),  # PR 13973
        ("sycl", "Intel Arc 140V (Lunar Lake iGPU)", "2026-06-30", False),  # jmsirvent, oneAPI 2026.0
        ("sycl", "Intel Arc Pro B70", "2026-05-06", False),  # kyuz0
        ("sycl", "Arc A770", "2025-05-20", False),  # Alchemist: immediate lists under L0 v1 already
        ("vulkan", "Intel Arc B580", "2025-05-27", False),  # Vulkan has no Level Zero
    ],
)
def test_xe2_sycl_rows_before_oneapi_2025_3_launched_batched(backend, device, date, batched, speed_resolve):
    gpu = make_gpu(slug="intel", name=device, backend=backend)
    assert speed_resolve.batched_submit_dated(gpu, date) is batched
