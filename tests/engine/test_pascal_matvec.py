"""llama.cpp's CUDA mat-vec on Pascal priced by what its loop issues (speed.PASCAL_MATVEC_SM_CLOCKS): on a part with
dp4a the longer of the reads and the SMs' time, on GP100 its SM-clocks beyond Q4_0's on top of the reads."""

from dataclasses import replace

import pytest
from engine_specs import F16, Q2_K, Q4_K_M, llama_7b_q4_0_stage, make_gpu

from estimator import speed

P40 = make_gpu(slug="p40", name="Tesla P40", bandwidth_gb_s=347, fp16_tflops=11.76)
P100 = make_gpu(slug="p100", name="Tesla P100-PCIE-16GB", bandwidth_gb_s=732, fp16_tflops=19.05)
RTX_3090 = make_gpu(name="NVIDIA GeForce RTX 3090", bandwidth_gb_s=936, fp16_tflops=71.0)


@pytest.mark.parametrize(
    ("device", "quant", "runtime", "found"),
    [
        (P40, Q4_K_M, "llama.cpp", "q4_k_m"),
        (P100, Q2_K, "llama.cpp", "q2_k"),
        (P40, F16, "llama.cpp", ""),  # 16-bit weights take the float mat-vec
        (RTX_3090, Q4_K_M, "llama.cpp", ""),  # not Pascal
        (make_gpu(slug="p40v", name="Tesla P40", backend="vulkan"), Q4_K_M, "llama.cpp", ""),
    ],
)
def test_which_stages_pay_for_the_loop(device, quant, runtime, found):
    assert speed.matvec_file_type(device, quant, runtime) == found


# LLaMA 7B on the P40 (PR 4766's table)
STAGE = llama_7b_q4_0_stage(
    bandwidth_gb_s=347.1,
    backend="cuda_pascal",
    tflops=11.76,
    integer_tops=11.76 / 256 * 128,
    matvec_type="q4_0",
)
SM_CLOCKS = 11.76e12 / 256  # 30 SMs × 1.531 GHz


def test_q4_0_stays_bound_by_its_reads():
    parts = speed.decode_step_parts(STAGE, 1, 64)
    assert speed.matvec_issue_seconds(STAGE, 1) < parts.reads_s - parts.kv_s


def test_q2_k_is_bound_by_the_sms():
    q2k = replace(STAGE, fmt="kquant_low", dense_bytes=2.49e9, matvec_type="q2_k")
    issue = speed.matvec_issue_seconds(q2k, 1)
    clocks = (0.61 * 0.1025 + 0.39 * 0.1421) * 6.61e9
    assert issue == pytest.approx(clocks / (SM_CLOCKS * speed.PASCAL_MATVEC_ISSUE_SHARE))
    parts = speed.decode_step_parts(q2k, 1, 64)
    assert parts.reads_s - parts.kv_s == pytest.approx(issue)
    # no low-bit unpacking on top: the loop counts it
    assert speed.unpack_seconds(q2k, 1) == 0.0


def test_k_quants_are_read_at_the_legacy_share():
    q4k = replace(STAGE, fmt="kquant", dense_bytes=3.78e9, matvec_type="q4_k_s")
    assert q4k.bandwidth_efficiency == pytest.approx(STAGE.bandwidth_efficiency)


def test_q6_k_tensors_take_q6_k_clocks():
    q4km = replace(STAGE, fmt="kquant", dense_bytes=4.0e9, matvec_type="q4_k_m", q6k_dense_share=0.3)
    q6k = 4.0e9 * 0.3 / (6.5625 / 8)
    clocks = 0.0767 * (6.61e9 - q6k) + 0.1255 * q6k
    assert speed.matvec_issue_seconds(q4km, 1) == pytest.approx(
        clocks / (SM_CLOCKS * speed.PASCAL_MATVEC_ISSUE_SHARE)
    )


def test_gp100_pays_its_loop_beyond_q4_0_on_top_of_the_reads():
    gp100 = replace(
        STAGE,
        tflops=19.05,
        fmt="kquant",
        matvec_type="q4_k_s",
        emulated_dp4a=True,
        integer_tops=19.05 / 256 * 64,
    )
    assert speed.matvec_issue_seconds(gp100, 1) == 0.0
    extra = speed.GP100_CLOCKS_FACTOR * (0.0767 - 0.0437) * 6.61e9 / (19.05e12 / 256)
    assert speed.gp100_loop_seconds(gp100, 1) == pytest.approx(extra)
    assert speed.gp100_loop_seconds(replace(gp100, matvec_type="q4_0"), 1) == 0.0


def test_gpt_oss_mxfp4_experts_and_q8_0_rest_on_gp100():
    # gpt-oss-20b on the P100: 3.61 G weights a token, 2.39 G of them in the 4 routed experts (MXFP4), the rest Q8_0
    gpt_oss = replace(
        STAGE,
        tflops=19.05,
        fmt="mxfp4",
        matvec_type="mxfp4",
        emulated_dp4a=True,
        integer_tops=19.05 / 256 * 64,
        dense_bytes=1.32e9,
        routed_bytes=10.15e9,
        experts=32,
        experts_per_tok=4,
        active_params=3.61e9,
        routed_active_params=2.39e9,
    )
    clocks = 0.0947 * 2.39e9 + 0.0554 * (3.61e9 - 2.39e9) - 0.0437 * 3.61e9
    extra = speed.GP100_CLOCKS_FACTOR * clocks / (19.05e12 / 256)
    assert speed.gp100_loop_seconds(gpt_oss, 1) == pytest.approx(extra)
