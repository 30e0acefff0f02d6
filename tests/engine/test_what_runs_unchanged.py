"""Plans reuse one device's memory and speed stage for every device that holds the same kind of layers
(`plans.run_layout`, `slots.work_key`): what-runs asks for 150 models at once and needs it. The
reuse must give what pricing each device apart gives, whatever `device_memory` reads of the layers:
if it starts reading something `memory.layer_classes` does not tell apart, these tests fail."""

import pytest
from engine_specs import (
    A100_80,
    MXFP4,
    Q4_K_M,
    RTX_3090,
    RTX_4090,
    deepseek_v3,
    gemma2_9b,
    gemma3_27b,
    gpt_oss_120b,
    llama_8b,
    llama_70b,
    make_gpu,
)

from estimator import Workload, plans
from estimator.device_memory import usage_and_stage
from estimator.layouts import LAYOUTS, tensor_parallel_unsupported
from estimator.plans import run_layout
from estimator.ranking import candidate_plans, fits, rank
from estimator.units import GIB

MODELS = {
    "llama_8b": (llama_8b(), Q4_K_M),
    "llama_70b": (llama_70b(), Q4_K_M),
    "deepseek_v3": (deepseek_v3(), Q4_K_M),  # 3 dense layers, then MoE
    "gemma3_27b": (gemma3_27b(), Q4_K_M),  # 5 window layers : 1 global
    "gemma2_9b": (gemma2_9b(), Q4_K_M),
    "gpt_oss_120b": (gpt_oss_120b(), MXFP4),  # MoE and window layers
}
MAC = make_gpu(slug="m", name="Mac", memory_bytes=64 * 10**9, unified_memory=True, backend="metal")
# MAC with its memory fraction given: more usable memory (DeviceSpec.effective_memory_fraction)
MAC_GIVEN = MAC.model_copy(update={"gpu_memory_fraction": 1.0})
RIGS = {
    "8x4090": [RTX_4090] * 8,
    "3x3090": [RTX_3090.model_copy() for _ in range(3)],  # equal, not identical
    "4090+3090+4090": [RTX_4090, RTX_3090, RTX_4090],
    "5xA100": [A100_80] * 5,
    "2 equal Macs apart": [MAC, MAC_GIVEN],
}
WORKLOADS = {
    "llama.cpp": Workload(context_tokens=8192, ram_bytes=256 * GIB),
    "vllm x4": Workload(context_tokens=4096, batch=4, runtime="vllm", kv_bytes_per_element=2),
}


def each_device_apart(layout, *, model, quant, workload):
    out = [
        usage_and_stage(
            model=model,
            quant=quant,
            workload=s.workload or workload,
            p=s.p,
            tp=s.tp,
            multi_gpu=s.multi_gpu,
            pipeline=s.pipeline,
            label=s.label,
        )
        for s in layout.slots
    ]
    return [u for u, _ in out], [st for _, st in out]


@pytest.mark.parametrize("workload", WORKLOADS.values(), ids=WORKLOADS.keys())
@pytest.mark.parametrize("rig", RIGS.values(), ids=RIGS.keys())
@pytest.mark.parametrize("model_quant", MODELS.values(), ids=MODELS.keys())
def test_reused_devices_equal_each_device_priced_apart(model_quant, rig, workload):
    model, quant = model_quant
    kw = {"model": model, "quant": quant, "workload": workload}
    for strategy, build in LAYOUTS.items():
        if strategy == "tensor_parallel" and tensor_parallel_unsupported(model, workload, rig):
            continue
        if strategy == "expert_offload" and not model.is_moe:
            continue
        layout = build(devices=rig, **kw)
        assert run_layout(layout, **kw) == each_device_apart(layout, **kw), strategy


@pytest.mark.parametrize("rig", RIGS.values(), ids=RIGS.keys())
@pytest.mark.parametrize("model_quant", MODELS.values(), ids=MODELS.keys())
def test_fits_is_the_best_of_every_plan_ranked(model_quant, rig):
    """`fits` (what-runs' question) recommends what ranking every candidate plan does, reason included."""
    model, quant = model_quant
    workload = WORKLOADS["llama.cpp"]
    kw = {"model": model, "quant": quant, "workload": workload, "devices": rig}
    found, _ = candidate_plans(**kw)
    _, best, reason, _ = rank(found, workload)
    got = fits(**kw)
    if best is None:
        assert got is None
    else:
        assert got == best.model_copy(update={"rank": 1, "reason": reason})


@pytest.mark.parametrize("workload", WORKLOADS.values(), ids=WORKLOADS.keys())
@pytest.mark.parametrize("rig", RIGS.values(), ids=RIGS.keys())
@pytest.mark.parametrize("model_quant", MODELS.values(), ids=MODELS.keys())
def test_plans_sharing_devices_equal_plans_built_alone(model_quant, rig, workload):
    """`candidate_plans` hands its builders one `reuse`: each plan is what its builder gives alone."""
    model, quant = model_quant
    kw = {"model": model, "quant": quant, "workload": workload, "devices": rig}
    found, _ = candidate_plans(**kw)
    assert found == [getattr(plans, p.strategy)(**kw) for p in found]


def test_a_given_memory_fraction_is_not_the_default_one():
    """A Mac whose memory fraction is given as 1 is not one whose fraction is unset (macOS's default,
    `DeviceSpec.effective_memory_fraction`): the specs differ, and interning or the engine's caches must
    not swap one for the other."""
    unset, given = MAC, MAC_GIVEN
    assert given != unset and given.usable_bytes != unset.usable_bytes
    model, quant = MODELS["llama_8b"]
    workload = WORKLOADS["llama.cpp"]
    for device in (unset, given, unset):
        [plan], _ = candidate_plans(model=model, quant=quant, workload=workload, devices=[device])
        assert plan.devices[0].capacity_bytes == device.usable_bytes
