"""Low-bit K-quants (Q2_K, Q3_K) on llama.cpp's CUDA backend: their unpacking priced at the SMs' integer rate
(speed.LOW_BIT_UNPACK_OPS, hardware.integer_tops), not as a share of the K-quants' reads."""

from dataclasses import replace

import pytest
from engine_specs import make_gpu

from estimator import hardware, speed

GB10 = make_gpu(
    slug="dgx-spark",
    name="NVIDIA DGX Spark (GB10)",
    bandwidth_gb_s=273,
    fp16_tflops=125.0,
    unified_memory=True,
    architecture="Blackwell (GB10)",
)
V100 = make_gpu(slug="v100", name="Tesla V100-PCIE-16GB", bandwidth_gb_s=897, fp16_tflops=113.0)
P40 = make_gpu(slug="p40", name="Tesla P40", bandwidth_gb_s=347, fp16_tflops=11.76)
# GeForce names: the catalog lists their FP16 rate at the half rate (`hardware.full_rate_fp16`)
RTX_3090 = make_gpu(name="NVIDIA GeForce RTX 3090", bandwidth_gb_s=936, fp16_tflops=71.0)
RTX_4090 = make_gpu(name="NVIDIA GeForce RTX 4090")
P100 = make_gpu(slug="p100", name="Tesla P100-PCIE-16GB", bandwidth_gb_s=732, fp16_tflops=19.05)


@pytest.mark.parametrize(
    ("device", "tops"),
    [
        # SMs × GHz × INT32 lanes, the SMs × GHz from the listed FP16 rate per SM per clock
        (GB10, 125.0 / 1024 * 128),  # full rate; Blackwell: 48 SMs × ~2.5 GHz × 128 lanes ≈ 15.6
        (V100, 113.0 / 1024 * 64),  # 80 × 1.38 × 64 ≈ 7.1
        (RTX_3090, 71.0 / 512 * 64),  # GeForce's half rate: 82 × 1.695 × 64 ≈ 8.9
        (RTX_4090, 165.2 / 512 * 64),  # 128 × 2.52 × 64 ≈ 20.6
        (P40, 11.76 / 256 * 128),  # its FP32 rate: 30 × 1.531 × 128 ≈ 5.9
        (P100, 19.05 / 256 * 64),  # packed FP16: 56 × 1.329 × 64 ≈ 4.8
    ],
)
def test_integer_rate_from_the_listed_fp16_rate(device, tops):
    assert hardware.integer_tops(device) == pytest.approx(tops)


def test_no_integer_rate_off_cuda():
    assert hardware.integer_tops(make_gpu(backend="vulkan")) == 0.0


# Llama 3.1 8B Q2_K (3.16 bits a weight: 2.96 GB, 7.5 G weights, 32 layers), one token at depth 64
Q2K = speed.Stage(
    bandwidth_gb_s=273,
    backend="cuda",
    tflops=125.0,
    layers=32,
    dense_bytes=2.96e9,
    routed_bytes=0.0,
    experts=0,
    experts_per_tok=0,
    active_params=7.5e9,
    memory="lpddr",
    fmt="kquant_low",
    full_rate_fp16=True,
    integer_tops=hardware.integer_tops(GB10),
)


def test_a_spark_reads_q2_k_at_the_k_quant_share():
    # 4 instructions × 7.5 G weights ÷ 15.6 T a second: 1.9 ms on top of ~13 ms of reads
    parts = speed.decode_step_parts(Q2K, 1, 64)
    as_kquant = speed.decode_step_parts(replace(Q2K, fmt="kquant"), 1, 64)
    assert parts.reads_s - as_kquant.reads_s == pytest.approx(4 * 7.5e9 / (125.0 / 1024 * 128e12))
    # the one share every backend took before (0.69 of the K-quants') put it 23% slow: the arithmetic costs less
    assert parts.reads_s < as_kquant.reads_s / 0.69


def test_the_same_arithmetic_costs_a_v100_more_of_its_step():
    v100 = replace(
        Q2K, bandwidth_gb_s=897, tflops=113.0, memory="gddr", integer_tops=hardware.integer_tops(V100)
    )

    def extra(stage: speed.Stage) -> float:
        low, k = (
            speed.decode_step_seconds(stage, 1, 64),
            speed.decode_step_seconds(replace(stage, fmt="kquant"), 1, 64),
        )
        return low / k - 1

    assert extra(v100) > 2 * extra(Q2K)


def test_without_an_integer_rate_the_share_stays():
    shared = replace(Q2K, integer_tops=0.0)
    assert speed.unpack_seconds(shared, 1) == 0.0
    assert shared.bandwidth_efficiency == pytest.approx(
        replace(shared, fmt="kquant").bandwidth_efficiency * speed.LOW_BIT_KQUANT_EFFICIENCY
    )


def test_rocm_runs_the_same_kernels_at_a_lane_a_clock():
    # 2× MI50's Llama 4 Scout Q3_K_M: 26.8 TFLOPS of packed FP16 = 60 CUs × 64 lanes × 1.746 GHz × 4
    mi50 = replace(Q2K, backend="rocm", bandwidth_gb_s=1024, tflops=26.82, memory="hbm", integer_tops=0.0)
    assert speed.integer_rate(mi50) == pytest.approx(26.82e12 / 4)
    assert speed.low_bit_unpack(mi50)
    assert not speed.low_bit_unpack(replace(mi50, backend="vulkan"))
