"""BF16 experts on llama.cpp's Vulkan backend: `ggml_vk_use_mul_mat_vec_id` leaves BF16 out of the mat-vec, so one
token's experts go through the matrix-matrix shader, read at `speed.VULKAN_BF16_EXPERT_SHARE` of the mat-vec's rate."""

from dataclasses import replace

import pytest

from estimator import speed

# Qwen3-30B-A3B BF16 on one Radeon AI PRO R9700 (644.6 GB/s): 48 MoE layers, 128 experts, 8 a token
QWEN3_30B_BF16_ON_R9700 = speed.Stage(
    bandwidth_gb_s=644.6,
    backend="vulkan",
    tflops=95.7,
    layers=48,
    dense_bytes=2.46e9,
    routed_bytes=57.9e9,
    experts=128,
    experts_per_tok=8,
    active_params=3.3e9,
    moe_layers=48,
    fmt="bf16",
)


def _routed_seconds(stage: speed.Stage) -> float:
    return speed.decode_step_seconds(stage, 1, 128) - speed.decode_step_seconds(
        replace(stage, routed_bytes=0.0), 1, 128
    )


def test_vulkan_reads_bf16_experts_at_the_matrix_matrix_share():
    rocm = replace(QWEN3_30B_BF16_ON_R9700, backend="rocm")
    assert speed.expert_kernel_share(QWEN3_30B_BF16_ON_R9700) == speed.VULKAN_BF16_EXPERT_SHARE
    assert speed.expert_kernel_share(rocm) == 1.0
    # the experts' time is the mat-vec's over the share, at the stage's own read rate
    matvec = replace(QWEN3_30B_BF16_ON_R9700, fmt="float")  # F16 experts take the mat-vec
    ratio = _routed_seconds(QWEN3_30B_BF16_ON_R9700) / _routed_seconds(matvec)
    shares = matvec.bandwidth_efficiency / QWEN3_30B_BF16_ON_R9700.bandwidth_efficiency
    assert ratio == pytest.approx(shares / speed.VULKAN_BF16_EXPERT_SHARE)


@pytest.mark.parametrize(
    ("fmt", "backend", "share"),
    [
        ("bf16", "vulkan_intel", speed.VULKAN_BF16_EXPERT_SHARE),  # the same shader on Intel
        ("float", "vulkan", 1.0),  # F16 and F32 experts take the mat-vec
        ("kquant", "vulkan", 1.0),
        ("bf16", "cuda", 1.0),
    ],
)
def test_only_vulkan_bf16_experts_take_the_matrix_matrix_shader(fmt, backend, share):
    assert speed.expert_kernel_share(replace(QWEN3_30B_BF16_ON_R9700, fmt=fmt, backend=backend)) == share


def test_dense_bf16_weights_on_vulkan_take_the_mat_vec(monkeypatch):
    dense = replace(QWEN3_30B_BF16_ON_R9700, routed_bytes=0.0, experts=0, experts_per_tok=0, moe_layers=0)
    step = speed.decode_step_seconds(dense, 1, 128)
    monkeypatch.setattr(speed, "VULKAN_BF16_EXPERT_SHARE", 0.1)
    assert speed.decode_step_seconds(dense, 1, 128) == step
