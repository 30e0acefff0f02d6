"""A decode step by what takes its time (`Plan.decode_step_s`): the parts add up to the step the speed comes from,
whatever the plan, and each lands where its physics says."""

from dataclasses import replace

import pytest
from engine_specs import A100_80, MXFP4, Q4_K_M, RTX_4090, gpt_oss_120b, llama_8b, llama_70b
from test_mlx_layer_kernels import GEMMA_3_1B_ON_MLX

from estimator import Workload, estimate, speed, timing
from estimator.estimate import step_sum
from estimator.units import GIB

CASES = {
    "70B on two 4090s": (llama_70b(), Q4_K_M, [RTX_4090, RTX_4090], Workload(context_tokens=8192)),
    "70B, its layers in RAM": (llama_70b(), Q4_K_M, [RTX_4090], Workload(ram_bytes=64 * GIB)),
    "gpt-oss-120b, its experts in RAM": (gpt_oss_120b(), MXFP4, [RTX_4090], Workload(ram_bytes=96 * GIB)),
    "8B under vLLM on two A100s": (llama_8b(), Q4_K_M, [A100_80, A100_80], Workload(runtime="vllm")),
    "70B over two machines": (llama_70b(), Q4_K_M, [RTX_4090, RTX_4090], Workload(hosts=2)),
}


@pytest.mark.parametrize("case", CASES)
def test_the_parts_add_up_to_the_step_of_every_plan(case):
    model, quant, devices, workload = CASES[case]
    plans = estimate(model=model, quant=quant, devices=devices, workload=workload).plans
    assert plans
    for plan in plans:
        if not plan.decode_tok_s:
            continue
        parts = plan.decode_step_s
        assert parts and all(s > 0 for s in parts.values()), plan.strategy
        assert list(parts) == [name for name in timing.STEP_PARTS if name in parts]  # the page's order
        assert sum(parts.values()) == pytest.approx(1 / plan.decode_tok_s, rel=1e-12), plan.strategy


def by_strategy(case):
    model, quant, devices, workload = CASES[case]
    return {
        p.strategy: p for p in estimate(model=model, quant=quant, devices=devices, workload=workload).plans
    }


def test_each_join_of_a_plan_is_its_own_part():
    assert "handoff" in by_strategy("70B over two machines")["rpc_cluster"].decode_step_s
    assert "all_reduce" in by_strategy("8B under vLLM on two A100s")["tensor_parallel"].decode_step_s
    plans = by_strategy("70B on two 4090s")
    assert (
        "handoff" in plans["layer_split"].decode_step_s
        and "all_reduce" not in plans["layer_split"].decode_step_s
    )
    assert "all_reduce" in plans["tensor_parallel"].decode_step_s
    assert plans["single"].decode_step_s.keys() == {"weights", "kv_cache", "fixed"}
    # tensor parallel reads half the weights on each GPU at once
    half = plans["tensor_parallel"].decode_step_s["weights"] / plans["single"].decode_step_s["weights"]
    assert half == pytest.approx(0.5, rel=0.01)


def test_weights_in_system_ram_are_counted_apart_and_bound_the_offloaded_step():
    for case, strategy in (
        ("70B, its layers in RAM", "cpu_offload"),
        ("gpt-oss-120b, its experts in RAM", "expert_offload"),
    ):
        parts = by_strategy(case)[strategy].decode_step_s
        assert parts["weights_ram"] > parts["weights"], case
        assert max(parts, key=parts.get) == "weights_ram", case


def test_a_step_bound_by_mlx_host_counts_the_host_beyond_the_gpu():
    p = speed.decode_step_parts(GEMMA_3_1B_ON_MLX, 1, 512)
    assert p.host_s > p.gpu_s
    parts = timing.step_parts([GEMMA_3_1B_ON_MLX], [p], step_s=p.seconds)
    assert parts["host"] == pytest.approx(p.host_s - p.gpu_s)
    assert sum(parts.values()) == pytest.approx(p.seconds)


def test_a_step_bound_by_its_flops_counts_compute_in_place_of_its_reads():
    slow = replace(GEMMA_3_1B_ON_MLX, backend="cuda", tflops=0.01, active_params=1e9)
    p = speed.decode_step_parts(slow, 1, 512)
    assert p.flops_s > p.reads_s
    parts = timing.step_parts([slow], [p], step_s=p.seconds)
    assert "weights" not in parts and parts["compute"] == p.flops_s


@pytest.mark.parametrize("case", CASES)
def test_no_part_is_float_residue_and_the_explanation_lists_none_that_reads_zero(case):
    """A visitor review: "The runtime's host work 0.00 ms (under 1%)", the 7e-18 s a step less its parts left
    where the runtime adds nothing, listed on the page and in the decode explanation."""
    model, quant, devices, workload = CASES[case]
    for plan in estimate(model=model, quant=quant, devices=devices, workload=workload).plans:
        if not plan.decode_tok_s:
            continue
        step = 1 / plan.decode_tok_s
        assert all(s > step * 1e-6 for s in plan.decode_step_s.values()), (plan.strategy, plan.decode_step_s)
        assert "0.00 ms" not in plan.explanations["decode_tok_s"].substituted


def test_the_explanation_leaves_out_a_part_that_reads_zero_and_sums_the_whole_step():
    said = step_sum({"weights": 0.004, "kv_cache": 0.001, "handoff": 3e-6})
    assert said == "1 ÷ (weights 4.0 ms + KV cache 1.0 ms) = 1 ÷ 5.0 ms = "
