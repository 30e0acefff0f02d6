"""16-bit weights on Intel GPUs: SYCL's BF16 through an F32 copy and a GEMM before llama.cpp PR 21580
(speed.SYCL_BF16_GEMM_SHARE; which bench rows ran it: bench/speed_resolve.py), and Intel's Vulkan reading 16-bit
weights at the Vulkan family's shares (speed.FLOAT_READ_FAMILIES)."""

from dataclasses import replace

import pytest

from estimator import speed

# Ministral 3 14B BF16 on an Arc Pro B70 (608 GB/s): 40 layers, 27.0 GB a token
MINISTRAL_14B_BF16_ON_B70 = speed.Stage(
    bandwidth_gb_s=608,
    backend="sycl",
    tflops=None,
    layers=40,
    dense_bytes=27.0e9,
    routed_bytes=0.0,
    experts=0,
    experts_per_tok=0,
    active_params=13.5e9,
    fmt="bf16",
)


def test_a_bf16_gemm_build_reads_the_weights_at_the_copy_and_gemm_share():
    old = replace(MINISTRAL_14B_BF16_ON_B70, bf16_gemm=True)
    family = speed.weights_kernels(old)
    assert old.bandwidth_efficiency == pytest.approx(
        old.memory_efficiency * speed.BACKEND_EFFICIENCY[family] * speed.SYCL_BF16_GEMM_SHARE
    )
    # the engine answers for today's mat-vec, at the BF16 share, several times faster
    assert not MINISTRAL_14B_BF16_ON_B70.bf16_gemm
    ratio = speed.decode_step_seconds(old, 1, 128) / speed.decode_step_seconds(
        MINISTRAL_14B_BF16_ON_B70, 1, 128
    )
    assert 2.5 < ratio < 5.5


@pytest.mark.parametrize(
    ("backend", "date", "gemm"),
    [
        ("sycl", "2026-05-06", True),  # kyuz0's B70, build 9039
        ("sycl", None, True),  # an undated PR table of 2024-2025
        ("sycl", "2026-05-22", False),  # the day PR 21580 merged
        ("vulkan_intel", "2026-05-06", False),  # Vulkan has its own BF16 mat-vec
        ("cuda", None, False),
    ],
)
def test_sycl_rows_before_pr_21580_copied_bf16_to_f32(backend, date, gemm, speed_resolve):
    assert speed_resolve.bf16_gemm_dated(backend, date) is gemm


@pytest.mark.parametrize(
    ("fmt", "family"),
    [("bf16", "vulkan"), ("float", "vulkan"), ("legacy", "vulkan_intel"), ("kquant", "vulkan_intel")],
)
def test_intel_vulkan_reads_16_bit_weights_at_the_vulkan_familys_shares(fmt, family):
    stage = replace(MINISTRAL_14B_BF16_ON_B70, backend="vulkan_intel", fmt=fmt)
    assert speed.weights_kernels(stage) == family
    assert speed.weights_kernels(replace(stage, backend="sycl")) == "sycl"
