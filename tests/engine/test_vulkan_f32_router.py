"""An MoE router's F32 read on Vulkan (speed.VULKAN_F32_MATVEC_SHARE, speed.router_seconds)."""

from dataclasses import replace

import pytest
from engine_specs import MXFP4, RTX_4090, gpt_oss_20b

from estimator import Workload, memory, speed
from estimator.device_memory import Placement, usage_and_stage

# Qwen3.5-35B-A3B Q4_K_M on a Strix Halo (256 GB/s): 40 MoE layers, each with a 2048 × 256 router
ROUTER = 40 * 2048 * 256
QWEN35_MOE_ON_STRIX_HALO = speed.Stage(
    bandwidth_gb_s=256,
    backend="vulkan",
    tflops=59.4,
    layers=40,
    dense_bytes=0.9e9,
    routed_bytes=18e9,
    experts=256,
    experts_per_tok=8,
    active_params=3e9,
    moe_layers=40,
    router_params=ROUTER,
    router_bytes=ROUTER * 4.9 / 8,
)


def test_vulkan_reads_the_f32_router_at_its_f32_matvec_share_beyond_the_counted_bytes():
    expected = (4 * ROUTER / speed.VULKAN_F32_MATVEC_SHARE - ROUTER * 4.9 / 8) / (
        256e9 * QWEN35_MOE_ON_STRIX_HALO.bandwidth_efficiency
    )
    assert speed.router_seconds(QWEN35_MOE_ON_STRIX_HALO) == pytest.approx(expected)
    # about 16 µs a layer on the Strix Halo
    assert 10e-6 < speed.router_seconds(QWEN35_MOE_ON_STRIX_HALO) / 40 < 25e-6
    without = replace(QWEN35_MOE_ON_STRIX_HALO, router_params=0.0, router_bytes=0.0)
    assert speed.decode_step_seconds(QWEN35_MOE_ON_STRIX_HALO, 1, 64) - speed.decode_step_seconds(
        without, 1, 64
    ) == pytest.approx(expected)


@pytest.mark.parametrize("backend", ["cuda", "rocm", "metal", "sycl"])
def test_other_backends_take_the_router_at_the_counted_bytes(backend):
    assert speed.router_seconds(replace(QWEN35_MOE_ON_STRIX_HALO, backend=backend)) == 0.0


def test_a_dense_model_has_no_router():
    assert speed.router_seconds(replace(QWEN35_MOE_ON_STRIX_HALO, router_params=0.0, moe_layers=0)) == 0.0


def test_a_layer_whose_experts_went_to_the_cpu_still_routes_on_the_gpu():
    # gpt-oss-20b's 24 MoE layers on one GPU, 16 of them with their experts in system RAM
    model = gpt_oss_20b()
    c = memory.tensor_classes(model)
    placement = Placement(
        device=RTX_4090, layers=range(24), experts_elsewhere={*range(8, 24)}, holds_output=True
    )
    _, stage = usage_and_stage(model=model, quant=MXFP4, workload=Workload(), p=placement)
    assert stage.moe_layers == 8
    assert stage.router_params == 24 * c.router
