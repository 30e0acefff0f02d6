"""llama.cpp's Vulkan float mat-vec (DMMV) on AMD and NVIDIA GPUs priced by what it issues
(speed.DMMV_LANE_INSTRUCTIONS): a one-token step's quantized weights take the longer of their reads (with their
unpacking) and their instructions on the shaders' FP32 lanes (hardware.shader_lanes_tops)."""

from dataclasses import replace

import pytest
from engine_specs import F16, MXFP4, Q2_K, Q4_K_M, Q8_0, llama_7b_q4_0_stage, make_gpu, quant

from estimator import speed, timing

Q4_0 = quant("q4_0", 4.5)
GTX_1080_TI = make_gpu(
    slug="1080ti", name="NVIDIA GeForce GTX 1080 Ti", bandwidth_gb_s=484, fp16_tflops=11.34, backend="vulkan"
)
RTX_3090 = make_gpu(
    slug="3090v", name="NVIDIA GeForce RTX 3090", bandwidth_gb_s=936, fp16_tflops=71.0, backend="vulkan"
)
RX_5700_XT = make_gpu(
    slug="5700xt", name="AMD Radeon RX 5700 XT", bandwidth_gb_s=448, fp16_tflops=19.5, backend="vulkan"
)
RX_480 = make_gpu(
    slug="rx480",
    name="AMD Radeon RX 480",
    architecture="GCN 4.0",
    bandwidth_gb_s=256,
    fp16_tflops=5.83,
    backend="vulkan",
)
RX_7900_XTX = make_gpu(
    slug="7900xtx", name="AMD Radeon RX 7900 XTX", bandwidth_gb_s=960, fp16_tflops=122.8, backend="vulkan"
)
R9700 = make_gpu(
    slug="r9700", name="AMD Radeon AI PRO R9700", bandwidth_gb_s=645, fp16_tflops=191.0, backend="vulkan"
)
ARC_A770 = make_gpu(
    slug="a770", name="Intel Arc A770", bandwidth_gb_s=560, fp16_tflops=137.6, backend="vulkan"
)


@pytest.mark.parametrize(
    ("device", "lanes"),
    [
        (GTX_1080_TI, 11.34 / 256 * 128),  # 28 SMs × 128 lanes × 1.582 GHz
        (RTX_3090, 71.0 / 512 * 128),  # 82 SMs × 128 lanes × 1.695 GHz
        (RX_5700_XT, 19.5 / 4),  # 40 CUs × 64 lanes × 1.905 GHz
        (RX_480, 5.83 / 2),  # 36 CUs × 64 lanes × 1.266 GHz: Polaris lists its FP32 rate, no packed FP16
        (R9700, 191.0 / 2 / 4),  # RDNA 4's matrix rate twice its vector rate
        (ARC_A770, 0.0),  # Intel's Vulkan has its own mat-vec rules
        (make_gpu(name="NVIDIA GeForce RTX 3090", fp16_tflops=71.0), 0.0),  # CUDA
    ],
)
def test_shader_lanes(device, lanes):
    assert speed.shader_lanes_tops(device, "llama.cpp") == pytest.approx(lanes)


@pytest.mark.parametrize(
    ("device", "fmt", "hidden", "dmmv"),
    [
        (RX_5700_XT, Q4_0, 4096, True),  # Navi 10: no accelerated dot product, so never MMVQ
        (RX_7900_XTX, Q4_0, 4096, False),  # MMVQ from K = 2048
        (RX_7900_XTX, Q4_0, 1536, True),
        (RX_7900_XTX, Q8_0, 4096, True),  # Q8_0 on MMVQ only on GCN
        (RX_7900_XTX, F16, 4096, False),  # 16-bit weights: not a quantized mat-vec
        (RTX_3090, Q4_0, 4096, True),  # NVIDIA: MMVQ only above K = 4096
        (RTX_3090, Q4_K_M, 5120, False),
        (RTX_3090, Q8_0, 5120, True),  # Q8_0 and MXFP4 on MMVQ only before Turing
        (RTX_3090, MXFP4, 5120, True),
        (GTX_1080_TI, Q8_0, 5120, False),
        (RTX_3090, Q2_K, 4096, False),  # Q2_K and Q3_K on MMVQ at any size
        (ARC_A770, Q4_0, 4096, False),
    ],
)
def test_which_products_take_the_float_matvec(device, fmt, hidden, dmmv):
    assert speed.float_matvec(device, fmt, "llama.cpp", hidden_size=hidden) is dmmv


def test_file_types_counted_where_the_lanes_are_known():
    assert speed.dmmv_file_type(RX_5700_XT, Q4_0, "llama.cpp") == "q4_0"
    assert speed.dmmv_file_type(GTX_1080_TI, Q4_K_M, "llama.cpp") == "q4_k_m"
    assert speed.dmmv_file_type(RX_5700_XT, F16, "llama.cpp") == ""
    assert speed.dmmv_file_type(ARC_A770, Q4_0, "llama.cpp") == ""


# LLaMA 7B Q4_0 on an RX 5700 XT (llama.cpp PR 13324)
STAGE = llama_7b_q4_0_stage(
    bandwidth_gb_s=448,
    backend="vulkan",
    tflops=19.5,
    shader_lanes_tops=19.5 / 4,
    float_matvec=True,
    dmmv_type="q4_0",
)


def test_the_instructions_bound_a_part_with_few_lanes_per_byte():
    dmmv = speed.dmmv_seconds(STAGE, 1)
    assert dmmv == pytest.approx(
        speed.DMMV_LANE_INSTRUCTIONS["q4_0"] * 6.61e9 / (19.5e12 / 4 * speed.DMMV_ISSUE_SHARE)
    )
    parts = speed.decode_step_parts(STAGE, 1, 64)
    reads = 3.75e9 / (448e9 * STAGE.bandwidth_efficiency) + speed.unpack_seconds(STAGE, 1)
    assert dmmv > reads  # the unpacking is in the instructions; they overlap the reads imperfectly
    p = speed.DMMV_OVERLAP_EXPONENT
    assert parts.reads_s - parts.kv_s == pytest.approx((reads**p + dmmv**p) ** (1 / p))
    # the step names what the instructions take beyond the reads, which the page lists apart
    assert (
        parts.kernel_s == pytest.approx(parts.reads_s - parts.kv_s - reads) and parts.kernel_s > dmmv - reads
    )
    shown = timing.step_parts([STAGE], [parts], step_s=parts.seconds)
    assert shown["kernel"] == pytest.approx(parts.kernel_s)
    assert shown["weights"] == pytest.approx(reads)


def test_a_part_with_many_lanes_per_byte_stays_bound_by_its_reads():
    # the same file on an RX 7900 XTX's lanes (96 CUs, dual issue) and memory
    wide = replace(STAGE, bandwidth_gb_s=960, tflops=122.8, shader_lanes_tops=122.8 / 4)
    parts = speed.decode_step_parts(wide, 1, 64)
    reads = 3.75e9 / (960e9 * wide.bandwidth_efficiency) + speed.unpack_seconds(wide, 1)
    assert speed.dmmv_seconds(wide, 1) < reads / 1.5
    assert reads < parts.reads_s - parts.kv_s < 1.03 * reads  # within 3% of its reads


def test_only_one_token_steps_and_float_matvec_stages_pay():
    assert speed.dmmv_seconds(STAGE, 2) == 0.0  # batches take MMVQ
    assert speed.dmmv_seconds(replace(STAGE, float_matvec=False), 1) == 0.0
    assert speed.dmmv_seconds(replace(STAGE, dmmv_type="q5_k_m"), 1) == 0.0  # not counted


def test_iq4_nl_issues_what_q4_0_issues():
    # Q4_0's block and loop, a table lookup of each nibble in place of its re-centring: the same count, the same time
    iq4_nl = replace(STAGE, fmt="iquant", dmmv_type="iq4_nl")
    assert speed.dmmv_seconds(iq4_nl, 1) == pytest.approx(speed.dmmv_seconds(STAGE, 1))
    assert (
        speed.dmmv_seconds(replace(iq4_nl, dmmv_type="iq4_xs"), 1) == 0.0
    )  # its scales' unpacking: not counted
