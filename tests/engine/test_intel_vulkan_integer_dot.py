"""Intel's Vulkan integer-dot mat-vec (MMVQ): which formats take it (hardware.integer_dot_matvec), what it costs
(speed.INTEL_INTEGER_DOT_EFFICIENCY) and which bench rows ran it (bench/speed_resolve.py)."""

from dataclasses import replace

import pytest
from engine_specs import F16, MXFP4, Q2_K, Q4_K_M, Q6_K, Q8_0, make_gpu, quant

from estimator import prefill, speed

B70 = make_gpu(
    slug="arc-pro-b70",
    name="Intel Arc Pro B70",
    architecture="Xe2-HPG",
    bandwidth_gb_s=608,
    fp16_tflops=183.5,
    backend="vulkan",
)


@pytest.mark.parametrize(
    ("fmt", "takes_it"),
    [
        (Q4_K_M, True),  # Q4_K and Q5_K: PR 16900
        (Q6_K, True),  # a K-quant file (Q6_K itself left MMVQ out until PR 23056)
        (Q2_K, True),
        (Q8_0, True),  # the legacy quants but Q4_0 and Q5_1: "From tests on A770 Linux"
        (quant("q4_0", 4.5), False),
        (quant("q5_1", 6.0), False),
        (MXFP4, True),
        (F16, False),  # 16-bit weights have no integer-dot kernel
        (quant("bf16", 16.0), False),
    ],
)
def test_intel_vulkan_decodes_every_quant_but_q4_0_and_q5_1_with_the_integer_dot_kernel(fmt, takes_it):
    assert speed.integer_dot_matvec(B70, fmt, "llama.cpp", hidden_size=5120) is takes_it


@pytest.mark.parametrize(
    ("hidden_size", "takes_it"), [(1024, False), (1536, False), (2047, False), (2048, True)]
)
def test_a_model_narrower_than_2048_keeps_the_float_kernel(hidden_size, takes_it):
    # ggml_vk_should_use_mmvq: k >= 2048; Qwen3-0.6B is 1024 wide, Qwen2.5-1.5B 1536, Llama 3.2 1B 2048
    assert speed.integer_dot_matvec(B70, Q4_K_M, "llama.cpp", hidden_size=hidden_size) is takes_it


@pytest.mark.parametrize(
    "device",
    [
        B70.model_copy(update={"backend": "sycl"}),  # SYCL's own kernels
        make_gpu(backend="vulkan"),  # an NVIDIA card on Vulkan: its own tuning
    ],
)
def test_only_intels_vulkan_kernels_take_it(device):
    assert not speed.integer_dot_matvec(device, Q4_K_M, "llama.cpp", hidden_size=5120)


def test_the_integer_dot_kernel_slows_a_tokens_reads_not_a_batch_past_eight_nor_a_prompt():
    stage = speed.Stage(
        bandwidth_gb_s=608, backend="vulkan_intel", tflops=183.5, layers=64, dense_bytes=17.6e9,
        routed_bytes=0.0, experts=0, experts_per_tok=0, active_params=26.9e9, fmt="kquant",
    )  # fmt: skip
    with_it = replace(stage, integer_dot=True)
    # one token: the 17.6 GB read at 0.78 of the float kernel's rate, the rest of the step unchanged
    reads = 17.6e9 / (608e9 * stage.bandwidth_efficiency)
    extra = speed.decode_step_seconds(with_it, 1, 0) - speed.decode_step_seconds(stage, 1, 0)
    assert extra == pytest.approx(reads * (1 / 0.78 - 1))
    assert speed.decode_step_seconds(with_it, 8, 0) > speed.decode_step_seconds(stage, 8, 0)
    # nine sequences or a prompt: ggml-vulkan's matrix-matrix kernels (mul_mat_vec_max_cols = 8)
    assert speed.decode_step_seconds(with_it, 9, 0) == speed.decode_step_seconds(stage, 9, 0)
    assert prefill.prefill_seconds(with_it, 8, ubatch=8) == prefill.prefill_seconds(stage, 8, ubatch=8)


@pytest.mark.parametrize(
    ("date", "ran_it"),
    [
        ("2025-06-04", False),  # PR 14001's A770, B580 and Lunar Lake runs, build 5583
        ("2025-11-28", False),
        ("2025-11-29", True),  # PR 16900
        ("2026-05-06", True),  # kyuz0's B70, build 9039
        (None, False),  # the undated scoreboards
    ],
)
def test_bench_rows_before_pr_16900_ran_the_float_kernel(date, ran_it, speed_resolve):
    assert speed_resolve.integer_dot_dated(date) is ran_it
