"""Slots: the pieces every layout is made of, and what they cost in memory. How many consecutive layers
each device takes (by its free memory, or by the layers' bytes where they differ), what a device has
left for layers, which device holds what (`Slot`, `HostSlot`, `Layout`), which slots compute alike
(`slot_key`, `work_key`), and a layout's memory per device (`layout_memory`, `layout_fits`).
`layouts.py` builds one `Layout` per strategy from these."""

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field

from . import kv_cache, memory
from .device_memory import DeviceMemory, Placement, host_memory, layers_key, placement_memory
from .limits import bounded_cache, length_of_result
from .schema import DeviceSpec, ModelSpec, QuantSpec, Workload


def _split_counts(layers: int, weights: list[float]) -> list[int]:
    total = sum(weights)
    if total <= 0:
        weights, total = [1.0] * len(weights), float(len(weights))
    shares = [w / total * layers for w in weights]
    counts = [int(s) for s in shares]
    order = sorted(range(len(weights)), key=lambda i: shares[i] - counts[i], reverse=True)
    for i in order[: layers - sum(counts)]:
        counts[i] += 1
    return counts


def split_layers_by_cost(costs: Sequence[int], weights: list[float]) -> list[int]:
    """Consecutive layer counts so each device's share of Σ `costs` follows `weights` (its free memory).

    Where layers differ in size (DeepSeek's 3 dense layers are a tenth of an MoE layer), equal counts
    would fill devices unequally: boundary k goes where the running cost comes closest to the first
    k + 1 devices' share of the total.
    """
    n, total_w, total_c = len(costs), sum(weights), sum(costs)
    if total_w <= 0:
        weights, total_w = [1.0] * len(weights), float(len(weights))
    prefix = [0]
    for c in costs:
        prefix.append(prefix[-1] + c)
    counts, start, acc = [], 0, 0.0
    for w in weights[:-1]:
        acc += w
        target = acc / total_w * total_c
        b = bisect.bisect_left(prefix, target, lo=start)
        if b > n or (b > start and target - prefix[b - 1] <= prefix[b] - target):
            b -= 1
        counts.append(b - start)
        start = b
    counts.append(n - start)
    return counts


def split_for(model: ModelSpec, costs: Sequence[int], weights: list[float]) -> list[int]:
    """Layer counts per device, in proportion to `weights` (their free memory): by count where the layers
    are alike, by their bytes where they differ."""
    return list(split_cached(model.num_hidden_layers, tuple(costs), tuple(weights)))


@bounded_cache(entries=4096, size=262_144, size_of=length_of_result)
def split_cached(n: int, costs: tuple[int, ...], weights: tuple[float, ...]) -> tuple[int, ...]:
    if min(costs, default=0) == max(costs, default=0):
        return tuple(_split_counts(n, list(weights)))
    return tuple(split_layers_by_cost(costs, list(weights)))


def free_for_layers(
    model: ModelSpec,
    quant: QuantSpec,
    workload: Workload,
    device: DeviceSpec,
    *,
    holds_output: bool,
    multi_gpu: bool,
) -> float:
    """What a device has left for layers once overhead, compute buffer, headroom and the head are counted."""
    fixed = (
        memory.overhead_bytes(device.backend, runtime=workload.runtime, multi_gpu=multi_gpu)
        + memory.compute_buffer_bytes(model, holds_output=holds_output, workload=workload, pipeline=multi_gpu)
        + workload.headroom_bytes
        + (memory.output_bytes(model, quant) if holds_output else 0)
    )
    return max(device.usable_bytes - fixed, 0)


def layer_costs(model: ModelSpec, quant: QuantSpec, workload: Workload, *, experts: bool = True) -> list[int]:
    """Bytes each layer adds to a device: its weights (without routed experts if `experts` is False) and
    its KV cache (a linear-attention layer: its recurrent state)."""
    per_token = kv_cache.kv_values_per_token_layer(model)
    full = int(kv_cache.padded_context(model, workload) * per_token * workload.kv_bytes_per_element)
    windowed = model.has_window_layers
    local = (
        int(kv_cache.window_cells(model, workload) * per_token * workload.kv_bytes_per_element)
        if windowed
        else full
    )
    state = 0
    if model.has_linear_layers:
        state = kv_cache.recurrent_state_bytes_per_layer(model, workload) * kv_cache.reserved_sequences(
            model, workload
        )
    return list(_layer_costs_for(model, quant, full, local, experts, state))


@bounded_cache(entries=1024, size=262_144, size_of=length_of_result)
def _layer_costs_for(
    model: ModelSpec, quant: QuantSpec, full_kv: int, local_kv: int, experts: bool, state: int = 0
) -> tuple[int, ...]:
    """`layer_costs` given one layer's KV bytes (full and windowed) and a linear-attention layer's
    recurrent state (which it keeps instead): suggestions ask again and again."""
    mask = kv_cache.window_layers(model)
    linear = kv_cache.linear_layers(model)  # all False without linear-attention layers
    return tuple(
        (lb.total if experts else lb.total - lb.routed_experts)
        + (state if state and linear[i] else local_kv if mask[i] else full_kv)
        for i, lb in enumerate(memory.layer_bytes_table(model, quant))
    )


@dataclass
class Slot:
    """One device's part of a plan, and how the runtime runs it there."""

    p: Placement
    tp: int = 1
    multi_gpu: bool = False
    pipeline: bool = False
    label: str | None = None
    workload: Workload | None = None  # when it differs from the plan's (replicas: one copy's sequences)


@dataclass
class HostSlot:
    """System RAM's part: whole layers (cpu_offload) or only routed experts (expert_offload)."""

    layers: list[int]
    expert_layers: list[int]
    holds_output: bool


@dataclass
class Layout:
    """Where a strategy puts every tensor: enough to check memory, and what the plan is built from."""

    slots: list[Slot]
    host: HostSlot | None = None
    counts: list[int] = field(default_factory=list)  # layers per pipeline stage
    ratios: list[float] = field(default_factory=list)  # llama.cpp --tensor-split
    tp: int = 1
    # Each slot's memory as `layout_memory` found it, by the slot's index, with the model, format and workload
    # it was priced for: the plan then built from this layout (a caller checks its memory first, then builds
    # it: `ranking.candidate_plans`, `best_plan`) reads it in `plans.run_layout` instead of pricing it again.
    # Held by the layout alone, one entry a slot at most.
    priced: dict[int, tuple[ModelSpec, QuantSpec, Workload, DeviceMemory]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def memory_of(
        self, i: int, model: ModelSpec, quant: QuantSpec, workload: Workload
    ) -> DeviceMemory | None:
        """Slot `i`'s memory if `layout_memory` priced it for these same objects, else None."""
        kept = self.priced.get(i)
        if kept is None or kept[0] is not model or kept[1] is not quant or kept[2] is not workload:
            return None
        return kept[3]


def slot_key(s: Slot) -> tuple:
    """Slots with equal keys hold the same (tensor-parallel ranks, replicas): compute them once."""
    p = s.p
    return (
        p.device,
        layers_key(p.layers),
        p.holds_output,
        p.holds_embedding,
        frozenset(p.experts_elsewhere),
        p.host,
        s.tp,
        s.multi_gpu,
        s.pipeline,
        id(s.workload),
    )


def work_key(s: Slot, classes: tuple[int, ...], workload: Workload) -> tuple:
    """Slots with equal keys get the same `usage_and_stage` but for the device's name: `slot_key` with
    the layers' indices replaced by their classes (`memory.layer_classes`), so the middle devices of a
    layer split over identical GPUs, which hold different layers of one kind, are computed once. Which
    of the layers keep their experts elsewhere is part of each layer's entry; `workload` is the plan's,
    keyed by identity (the caller keeps the slots' workloads alive while it uses the keys)."""
    p = s.p
    layers = p.layers
    if p.experts_elsewhere:
        kinds: tuple = tuple((classes[i], i in p.experts_elsewhere) for i in layers)
    elif isinstance(layers, range) and layers.step == 1:
        kinds = classes[layers.start : layers.stop]  # a slice: C speed, the common case
    else:
        kinds = tuple(classes[i] for i in layers)
    return (
        p.device,
        kinds,
        p.holds_output,
        p.holds_embedding,
        p.host,
        s.tp,
        s.multi_gpu,
        s.pipeline,
        id(s.workload or workload),
    )


def layout_memory(
    layout: Layout, *, model: ModelSpec, quant: QuantSpec, workload: Workload, stop_at_overflow: bool = False
) -> list[DeviceMemory]:
    """Each distinct device's memory (identical tensor-parallel ranks and replicas once), RAM last."""
    out: list[DeviceMemory] = []
    seen = set()
    for i, s in enumerate(layout.slots):
        key = slot_key(s)
        if key in seen:
            continue
        seen.add(key)
        priced_for = s.workload or workload
        m = layout.memory_of(i, model, quant, priced_for)
        if m is None:
            m = placement_memory(
                model=model,
                quant=quant,
                workload=priced_for,
                p=s.p,
                tp=s.tp,
                multi_gpu=s.multi_gpu,
                pipeline=s.pipeline,
                headroom_bytes=None,
            )
            layout.priced[i] = (model, quant, priced_for, m)
        out.append(m)
        if stop_at_overflow and not m.fits:
            return out
    if layout.host is not None:
        out.append(
            host_memory(
                model=model,
                quant=quant,
                workload=workload,
                layers=layout.host.layers,
                expert_layers=layout.host.expert_layers,
                holds_output=layout.host.holds_output,
            )
        )
    return out


def layout_fits(layout: Layout, *, model: ModelSpec, quant: QuantSpec, workload: Workload) -> bool:
    """`Plan.fits` of the plan this layout would build, from memory alone: no speed, notes or commands,
    and no further device once one overflows."""
    ms = layout_memory(layout, model=model, quant=quant, workload=workload, stop_at_overflow=True)
    return bool(ms) and all(m.fits for m in ms)
