"""A plan built from a layout whose memory was checked first (`ranking.candidate_plans`, `best_plan`) reads
each device's memory from the check (`Layout.priced`) instead of pricing it again, and builds the same plan."""

from engine_specs import Q4_K_M, RTX_3090, RTX_4090, llama_70b

from estimator import Workload, device_memory, layouts, plans, slots


def _priced_calls(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = device_memory.placement_memory

    def counted(**kw):
        calls.append(1)
        return real(**kw)

    monkeypatch.setattr(device_memory, "placement_memory", counted)
    monkeypatch.setattr(slots, "placement_memory", counted)
    return calls


def test_a_checked_layout_is_not_priced_again(monkeypatch):
    model, devices, workload = llama_70b(), [RTX_4090, RTX_3090], Workload(context_tokens=8192)
    kw = {"model": model, "quant": Q4_K_M, "workload": workload, "devices": devices}
    unchecked = plans.layer_split(**kw)
    calls = _priced_calls(monkeypatch)
    layout = layouts.layer_split_layout(**kw)
    calls.clear()
    assert slots.layout_fits(layout, model=model, quant=Q4_K_M, workload=workload)
    assert len(calls) == 2  # one for each device
    checked = plans.layer_split(**kw, layout=layout)
    assert len(calls) == 2  # the plan read both from the check
    assert checked == unchecked


def test_another_workload_prices_again(monkeypatch):
    model, devices = llama_70b(), [RTX_4090, RTX_3090]
    checked_for, built_for = Workload(context_tokens=8192), Workload(context_tokens=8192)
    layout = layouts.layer_split_layout(model=model, quant=Q4_K_M, workload=checked_for, devices=devices)
    slots.layout_fits(layout, model=model, quant=Q4_K_M, workload=checked_for)
    calls = _priced_calls(monkeypatch)
    plans.layer_split(model=model, quant=Q4_K_M, workload=built_for, devices=devices, layout=layout)
    assert len(calls) == 2  # an equal workload, but another object: priced, not assumed the same
