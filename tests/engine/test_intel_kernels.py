"""Intel's llama.cpp kernel paths, each against the code it comes from (estimator/speed.py, bench/speed_resolve.py)."""

from dataclasses import replace

import pytest

from estimator import speed

# gpt-oss-20b on an Arc Pro B70 (608 GB/s, 183.5 TFLOPS listed, matrix 4x its FP16 vector rate): 24 MoE layers,
# 32 experts of 24.9 M weights each, 4 chosen a token; attention, router and head ~1.2 G weights at Q8_0
GPT_OSS_ON_B70 = speed.Stage(
    bandwidth_gb_s=608,
    backend="sycl",
    tflops=183.5,
    layers=24,
    dense_bytes=1.32e9,
    routed_bytes=10.15e9,
    experts=32,
    experts_per_tok=4,
    active_params=1.2e9 + 2.39e9,
    routed_active_params=2.39e9,
    moe_layers=24,
    fmt="mxfp4",
    matrix_width=4.0,
)


def test_sycls_mxfp4_mat_vec_pays_the_emulated_byte_permute_on_its_experts_only():
    with_permute = speed.unpack_seconds(GPT_OSS_ON_B70, 1)
    multiply_adds = speed.UNPACK_FLOPS * GPT_OSS_ON_B70.params_read(1) / (183.5e12 / 4)
    # ~32 integer instructions a weight for the 2.39 G expert weights, at a lane a clock (45.9 T FLOPs / 4)
    assert with_permute - multiply_adds == pytest.approx(32 * 2.39e9 / (183.5e12 / 4 / 4), rel=1e-6)
    assert 6e-3 < with_permute - multiply_adds < 8e-3


@pytest.mark.parametrize("backend", ["vulkan_intel", "cuda", "rocm", "vulkan"])
def test_other_backends_read_mxfp4_without_it(backend):
    stage = replace(GPT_OSS_ON_B70, backend=backend)
    expected = (
        speed.UNPACK_FLOPS * stage.params_read(1) / (183.5e12 / 4)
        if backend in speed.UNPACK_BACKENDS
        else 0.0
    )
    assert speed.unpack_seconds(stage, 1) == pytest.approx(expected)


def test_sycl_k_quants_take_no_permute():
    stage = replace(GPT_OSS_ON_B70, fmt="kquant")
    assert speed.unpack_seconds(stage, 1) == pytest.approx(
        speed.UNPACK_FLOPS * stage.params_read(1) / (183.5e12 / 4)
    )


# the same on Mesa's Vulkan, where MMVQ multiplies it: 1.2 G Q8_0 weights at 12 loads per 16, 2.39 G MXFP4 expert
# weights at 23 per 32, 2.63 G loads at `INTEL_MMVQ_LOAD_SLOTS` lane-slots of 11.47 T a second: ~15.7 ms, where the
# reads (2.59 GB at the B70's shares) take ~9 ms
GPT_OSS_ON_MESA = replace(GPT_OSS_ON_B70, backend="vulkan_intel", integer_dot=True)


def test_mesas_mmvq_of_mxfp4_and_q8_0_takes_its_loads():
    loads = 1.2e9 * 12 / 16 + 2.39e9 * 23 / 32
    expected = loads * speed.INTEL_MMVQ_LOAD_SLOTS / (183.5e12 / 4 / 4)
    assert speed.intel_load_seconds(GPT_OSS_ON_MESA, 1) == pytest.approx(expected, rel=1e-6)
    assert 14e-3 < expected < 17e-3
    # the weights take the longer of their reads and their loads
    parts = speed.decode_step_parts(GPT_OSS_ON_MESA, 1, 64)
    reads = speed.decode_step_parts(replace(GPT_OSS_ON_MESA, integer_dot=False), 1, 64)
    assert parts.reads_s > reads.reads_s


@pytest.mark.parametrize(
    "stage",
    [
        replace(GPT_OSS_ON_MESA, integer_dot=False),  # DMMV: Intel's Windows driver, or a narrow model
        replace(GPT_OSS_ON_MESA, fmt="kquant"),  # 4-byte-aligned blocks: its reads bound it
        GPT_OSS_ON_B70,  # SYCL: the permute instead
    ],
)
def test_no_loads_bound_off_mesas_mmvq_of_q8_0_and_mxfp4(stage):
    assert speed.intel_load_seconds(stage, 1) == 0.0


def test_a_dense_q8_0_model_counts_every_weight_at_q8_0s_loads():
    stage = replace(GPT_OSS_ON_MESA, fmt="legacy", routed_bytes=0, experts=0, experts_per_tok=0, moe_layers=0)
    stage = replace(stage, active_params=8e9, routed_active_params=0.0)
    assert speed.intel_load_seconds(stage, 1) == pytest.approx(
        8e9 * 12 / 16 * speed.INTEL_MMVQ_LOAD_SLOTS / (183.5e12 / 16), rel=1e-6
    )


@pytest.mark.parametrize(
    ("backend", "model", "date", "left_out"),
    [
        ("SYCL", "nemotron_h_moe 31B.A3.5B Q4_K - Medium", "2026-05-06", True),  # kyuz0's B70, build 9039
        ("SYCL", "nemotron_h_moe 31B.A3.5B Q4_K - Medium", "2026-05-20", False),  # after PR 22149
        ("Vulkan", "nemotron_h_moe 31B.A3.5B Q4_K - Medium", "2026-05-06", False),  # Vulkan ran the scan
        ("SYCL", "qwen35moe 35B.A3B Q4_K - Medium", "2026-05-06", False),  # no Mamba-2 layers
        ("SYCL", "nemotron_h_moe 31B.A3.5B Q4_K - Medium", None, False),  # undated: kept
    ],
)
def test_rows_of_a_build_that_ran_the_mamba_scan_on_the_cpu_are_left_out(
    backend, model, date, left_out, speed_resolve
):
    assert (speed_resolve.cpu_fallback(backend, model, date) is not None) == left_out
