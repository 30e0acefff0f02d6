"""GP100 (Tesla P100, compute capability 6.0) has no dp4a: llama.cpp's CUDA mat-vec runs each int8 dot product
in software, priced at its integer rate (speed.EMULATED_DP4A_OPS, hardware.integer_tops)."""

from dataclasses import replace

import pytest
from engine_specs import make_gpu

from estimator import hardware, speed

P100 = make_gpu(
    slug="p100",
    name="Tesla P100-PCIE-16GB",
    bandwidth_gb_s=732,
    fp16_tflops=19.05,
    form_factor="datacenter",
    architecture="Pascal",
)
P40 = make_gpu(slug="p40", name="Tesla P40", bandwidth_gb_s=347, fp16_tflops=11.76, architecture="Pascal")
GTX_1080 = make_gpu(
    name="NVIDIA GeForce GTX 1080", bandwidth_gb_s=320, fp16_tflops=8.87, architecture="Pascal"
)
V100 = make_gpu(slug="v100", name="Tesla V100-PCIE-16GB", bandwidth_gb_s=897, fp16_tflops=113.0)


@pytest.mark.parametrize(
    ("device", "runtime", "emulated"),
    [
        (P100, "llama.cpp", True),  # cc 6.0: below GGML_CUDA_CC_DP4A (610)
        (P40, "llama.cpp", False),  # cc 6.1: __dp4a
        (GTX_1080, "llama.cpp", False),
        (V100, "llama.cpp", False),
        (P100, "vllm", False),  # not llama.cpp's kernels
    ],
)
def test_only_llama_cpp_on_gp100_emulates_dp4a(device, runtime, emulated):
    assert hardware.emulated_dp4a(device, runtime) is emulated


# Qwen3.5-9B Q4_K_M on one P100: ~8 G weights a token, ~5.3 GB
Q4KM = speed.Stage(
    bandwidth_gb_s=732,
    backend="cuda_pascal",
    tflops=19.05,
    layers=32,
    dense_bytes=5.3e9,
    routed_bytes=0.0,
    experts=0,
    experts_per_tok=0,
    active_params=8e9,
    memory="hbm",
    fmt="kquant",
    integer_tops=hardware.integer_tops(P100),
    emulated_dp4a=True,
)


def test_a_p100_pays_for_its_dot_products_at_its_integer_rate():
    # Q4_K: one emulated dp4a and one with a constant operand per 4 weights, 16 instructions beyond the two
    # dp4a a cc 6.1 part issues: 4 a weight × 8 G ÷ 4.76 T a second ≈ 6.7 ms a token
    parts = speed.decode_step_parts(Q4KM, 1, 64)
    native = speed.decode_step_parts(replace(Q4KM, emulated_dp4a=False), 1, 64)
    assert parts.reads_s - native.reads_s == pytest.approx(4.0 * 8e9 / (19.05 / 256 * 64e12))


@pytest.mark.parametrize(("fmt", "ops"), [("legacy", 11 / 4), ("mxfp4", 11 / 4), ("kquant_low", 11 / 4)])
def test_q8_0_and_mxfp4_take_one_emulated_dp4a_per_4_weights(fmt, ops):
    stage = replace(Q4KM, fmt=fmt)
    extra = speed.emulated_dp4a_seconds(stage, 1)
    assert extra == pytest.approx(ops * 8e9 / (19.05 / 256 * 64e12))


@pytest.mark.parametrize("fmt", ["float", "bf16"])
def test_16_bit_weights_take_the_float_mat_vec_and_no_dp4a(fmt):
    assert speed.emulated_dp4a_seconds(replace(Q4KM, fmt=fmt), 1) == 0.0


def test_a_p100_reads_at_what_its_sms_keep_in_flight():
    # 56 SMs × 1.329 GHz, the bound the other HBM parts take now that the arithmetic is priced apart
    assert hardware.sm_ghz(P100) == pytest.approx(56 * 1.329)
    in_flight = speed.HBM_BYTES_PER_SM_CYCLE["nvidia"] * 56 * 1.329
    stage = replace(Q4KM, sm_ghz=hardware.sm_ghz(P100))
    assert stage.memory_efficiency == pytest.approx((1 + (732 / in_flight) ** 2) ** -0.5)
