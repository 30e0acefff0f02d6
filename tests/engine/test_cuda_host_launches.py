"""llama.cpp's CUDA builds of May 2024 and before, whose host time bounds a fast GPU's decode step
(fixed_costs.CUDA_HOST_LAYER_SECONDS, and which bench rows ran them: bench/speed_resolve.py)."""

from dataclasses import replace

import pytest

from estimator import fixed_costs, speed

# Llama 3 8B on an RTX 4090 (1008 GB/s): 32 layers, ~4.6 GB a token at Q4_K_M, ~15 GB at F16
LLAMA3_8B_Q4_K_M_ON_4090 = speed.Stage(
    bandwidth_gb_s=1008,
    backend="cuda",
    tflops=165.2,
    layers=32,
    dense_bytes=4.6e9,
    routed_bytes=0.0,
    experts=0,
    experts_per_tok=0,
    active_params=7.5e9,
    fmt="kquant",
    clock_ghz=2.52,
)
LLAMA3_8B_F16_ON_4090 = replace(LLAMA3_8B_Q4_K_M_ON_4090, dense_bytes=15.0e9, fmt="float")


def test_the_host_bounds_a_fast_cards_small_quantized_step():
    gpu = speed.decode_step_seconds(LLAMA3_8B_Q4_K_M_ON_4090, 1, 256)
    host = 32 * fixed_costs.CUDA_HOST_LAYER_SECONDS
    assert gpu < host
    old = speed.decode_step_seconds(replace(LLAMA3_8B_Q4_K_M_ON_4090, host_launches=True), 1, 256)
    assert host < old < gpu + host


def test_a_read_bound_step_is_barely_touched():
    today = speed.decode_step_seconds(LLAMA3_8B_F16_ON_4090, 1, 256)
    old = speed.decode_step_seconds(replace(LLAMA3_8B_F16_ON_4090, host_launches=True), 1, 256)
    assert old == pytest.approx(today, rel=0.01)


def test_the_engine_answers_for_todays_builds():
    assert not LLAMA3_8B_Q4_K_M_ON_4090.host_launches
    assert fixed_costs.cuda_host_seconds(LLAMA3_8B_Q4_K_M_ON_4090) == 0.0


@pytest.mark.parametrize(
    ("backend", "source", "date", "old"),
    [
        ("cuda", "calibration/llama_bench_llama3.json", None, True),  # XiongjieDai's notebooks, May 2024
        ("cuda_pascal", "https://github.com/ggml-org/llama.cpp/pull/4766", "2024-01-10", True),
        (
            "cuda",
            "https://pavlokhmel.com/llm_throughput_benchmark_on_13_gpus_and_10_models.html",
            "2026-06-01",
            False,
        ),
        ("cuda", "calibration/decode_speed.json", None, False),  # undated: today's
        ("metal", "calibration/llama_bench_llama3.json", None, False),  # the M1's rows: no CUDA
    ],
)
def test_cuda_rows_of_may_2024_and_before_are_host_bound(backend, source, date, old, speed_resolve):
    assert speed_resolve.host_launches_dated(backend, source, date) is old
