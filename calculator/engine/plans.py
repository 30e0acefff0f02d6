"""Split strategies: where each tensor lives, per device, for the same model and hardware.

Each builder returns a `Plan` with per-device memory (never summed across devices), single-stream and
aggregate decode speed, prefill speed, time to first token, the bytes that cross links per token, and
the plan's warnings. Ranking and the recommendation live in estimate.py.
"""

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from . import memory, speed
from .limits import bounded_cache, length_of_result
from .schema import DeviceSpec, DeviceUsage, ModelSpec, Plan, QuantSpec, Workload
from .strategies import STRATEGIES
from .units import GIB

# The OS and the runtime's own process need system memory too when layers live in RAM.
HOST_HEADROOM_BYTES = 2 * GIB
# Activations handed from one pipeline stage to the next: one f32 hidden vector per token (llama.cpp).
ACTIVATION_BYTES = 4
# Tensor-parallel all-reduces move fp16/bf16 activations: 2 bytes per element.
ALL_REDUCE_BYTES = 2
# All-reduces per layer under tensor parallel: vLLM's Megatron-style sharding reduces after attention and
# after the MLP. llama.cpp's `--split-mode tensor` "does multiple cross-GPU reductions per layer"
# (LLAMA_CPP_MULTI_GPU); we count the same two.
SYNCS_PER_LAYER = 2
# llama.cpp's guide to its split modes, at the commit we read
LLAMA_CPP_MULTI_GPU = (
    "https://github.com/ggml-org/llama.cpp/blob/5815cb840bfe5be1895c6ca6afcf9ce05d8b486f/docs/multi-gpu.md"
)


@dataclass
class Placement:
    """What one device holds: layer indices, and which of them keep their routed experts elsewhere."""

    device: DeviceSpec
    layers: Sequence[int]  # a range, except where experts_elsewhere picks layers
    holds_output: bool = False
    holds_embedding: bool = False
    experts_elsewhere: set[int] = field(default_factory=set)
    host: int = 0


def link(workload: Workload, devices: Sequence[DeviceSpec] = ()) -> tuple[float, float]:
    """GB/s per direction and per-hop latency of the link between this machine's GPUs: what the visitor
    gave; else NVLink when they say so (a bridge, or the SXM fabric of SXM parts) or when every GPU is an
    SXM part (their NVLink/NVSwitch is the way they are built); else PCIe 4.0 x16."""
    sxm = bool(devices) and all(_sxm(d) for d in devices)
    nvlink = workload.nvlink or sxm
    if workload.link_gb_s:
        gb_s = workload.link_gb_s
    elif sxm:
        gb_s = min(speed.sxm_nvlink_gb_s(d) for d in devices)
    else:
        gb_s = speed.NVLINK_GB_S if nvlink else speed.PCIE_GB_S
    lat = workload.link_latency_us
    if lat is None:
        lat = speed.NVLINK_LATENCY_US if nvlink else speed.PCIE_LATENCY_US
    return gb_s, lat


def _sxm(device: DeviceSpec) -> bool:
    """An SXM (or similar mezzanine) part with NVLink: the catalog's datacenter form factor with NVLink;
    without those fields (a spec the catalog did not fill), an "SXM" in the name."""
    if device.form_factor:
        return device.nvlink and device.form_factor == "datacenter"
    return "sxm" in device.name.lower()


def nvlinked(workload: Workload, devices: Sequence[DeviceSpec] = ()) -> bool:
    """Whether the GPUs talk over NVLink (the visitor's bridge or SXM parts)."""
    return workload.nvlink or (bool(devices) and all(_sxm(d) for d in devices))


def network(workload: Workload) -> tuple[float, float]:
    gb_s = workload.network_gb_s or speed.NETWORK_GB_S
    lat = speed.NETWORK_LATENCY_US if workload.network_latency_us is None else workload.network_latency_us
    return gb_s, lat


def ram_bandwidth(workload: Workload) -> float:
    return workload.ram_bandwidth_gb_s or speed.DEFAULT_RAM_BANDWIDTH_GB_S


def _kv_share(model: ModelSpec, tp: int) -> float:
    """Share of the KV cache one tensor-parallel rank holds: its KV heads, at least one whole head.

    Past `num_key_value_heads` ranks, heads replicate; MLA's single latent cannot be split at all.
    """
    if tp <= 1:
        return 1.0
    if model.is_mla:
        return 1.0
    heads = model.num_key_value_heads
    return max(heads // tp, 1) / heads if heads >= tp else 1 / heads


def _embedding_on_gpu(workload: Workload) -> bool:
    """llama.cpp keeps the token embedding table in host memory; vLLM and MLX keep it on the device."""
    return workload.runtime in ("vllm", "mlx")


@bounded_cache(entries=4096, size=262_144, size_of=length_of_result)
def _weight_sums(
    model: ModelSpec, quant: QuantSpec, layers: Sequence[int], elsewhere: frozenset[int]
) -> tuple[int, int, int, int, float]:
    """Attention, dense MLP, shared-expert and routed-expert bytes of `layers` (routed: those kept here),
    and the parameters one token multiplies there. Cached: the same layer ranges recur across plans."""
    c = memory.tensor_classes(model)
    table = memory.layer_bytes_table(model, quant)
    attention = dense = routed = shared = 0
    active = 0.0
    for i in layers:
        lb = table[i]
        attention += lb.attention
        dense += lb.dense_mlp
        shared += lb.shared_experts
        if i not in elsewhere:
            routed += lb.routed_experts
            active += c.layer_active_params(i)
        else:
            active += c.layer_active_params(i) - c.routed_experts * (
                c.experts_per_tok / c.experts if c.experts else 0
            )
    return attention, dense, shared, routed, active


class DeviceMemory(NamedTuple):
    """A device's memory under a placement, before it becomes a `DeviceUsage`."""

    tensors: dict[str, int]
    kv_cache_bytes: int
    compute_bytes: int
    overhead_bytes: int
    capacity_bytes: int
    headroom_bytes: int
    sums: tuple  # _weight_sums / _host_sums, for the speed stage

    @property
    def slack_bytes(self) -> int:
        """Memory left once the headroom is kept: `DeviceUsage.fits` is `slack_bytes >= 0`."""
        used = sum(self.tensors.values()) + self.kv_cache_bytes + self.compute_bytes + self.overhead_bytes
        return self.capacity_bytes - self.headroom_bytes - used

    @property
    def fits(self) -> bool:
        """`DeviceUsage.fits`."""
        return self.slack_bytes >= 0


def _layers_key(layers: Sequence[int]) -> Sequence[int]:
    """A hashable stand-in for `layers` (a range hashes in constant time)."""
    return layers if isinstance(layers, range | tuple) else tuple(layers)


def _memory(
    *,
    model: ModelSpec,
    quant: QuantSpec,
    workload: Workload,
    p: Placement,
    tp: int,
    multi_gpu: bool,
    pipeline: bool,
    headroom_bytes: int | None,
) -> DeviceMemory:
    sums = _weight_sums(model, quant, _layers_key(p.layers), frozenset(p.experts_elsewhere))
    attention, dense, shared, routed, _ = sums
    output = memory.output_bytes(model, quant) if p.holds_output else 0
    embedding = (
        memory.embedding_bytes(model, quant) if p.holds_embedding and _embedding_on_gpu(workload) else 0
    )
    kv = int(memory.kv_cache_layers_bytes(model, workload, p.layers) * _kv_share(model, tp))
    tensors = {
        "attention": attention // tp,
        "dense_mlp": dense // tp,
        "routed_experts": routed // tp,
        "shared_experts": shared // tp,
        "output": output // tp,
        "embedding": embedding // tp,
    }
    capacity = p.device.usable_bytes
    if workload.runtime == "vllm":
        headroom = int(capacity * (1 - workload.gpu_memory_utilization))
        headroom = max(headroom, workload.headroom_bytes if headroom_bytes is None else headroom_bytes)
    else:
        headroom = workload.headroom_bytes if headroom_bytes is None else headroom_bytes
    compute = (
        memory.compute_buffer_bytes(
            model, holds_output=p.holds_output, workload=workload, tp=tp, pipeline=pipeline
        )
        if p.layers or p.holds_output
        else 0
    )
    overhead = memory.overhead_bytes(p.device.backend, runtime=workload.runtime, multi_gpu=multi_gpu)
    return DeviceMemory(tensors, kv, compute, overhead, capacity, headroom, sums)


def _usage(
    *,
    model: ModelSpec,
    quant: QuantSpec,
    workload: Workload,
    p: Placement,
    tp: int,
    multi_gpu: bool,
    pipeline: bool,
    headroom_bytes: int | None,
    label: str | None,
) -> tuple[DeviceUsage, tuple[int, int, int, int, float]]:
    m = _memory(
        model=model,
        quant=quant,
        workload=workload,
        p=p,
        tp=tp,
        multi_gpu=multi_gpu,
        pipeline=pipeline,
        headroom_bytes=headroom_bytes,
    )
    usage = DeviceUsage(
        gpu=p.device.slug,
        name=label or p.device.name,
        layers=len(p.layers),
        weights_bytes=sum(m.tensors.values()),
        kv_cache_bytes=m.kv_cache_bytes,
        compute_bytes=m.compute_bytes,
        overhead_bytes=m.overhead_bytes,
        capacity_bytes=m.capacity_bytes,
        headroom_bytes=m.headroom_bytes,
        host=p.host,
        tensors={k: v for k, v in m.tensors.items() if v},
    )
    return usage, m.sums


def usage_and_stage(
    *,
    model: ModelSpec,
    quant: QuantSpec,
    workload: Workload,
    p: Placement,
    tp: int = 1,
    multi_gpu: bool = False,
    pipeline: bool = False,
    headroom_bytes: int | None = None,
    label: str | None = None,
) -> tuple[DeviceUsage, speed.Stage]:
    usage, (attention, dense, shared, routed, active) = _usage(
        model=model,
        quant=quant,
        workload=workload,
        p=p,
        tp=tp,
        multi_gpu=multi_gpu,
        pipeline=pipeline,
        headroom_bytes=headroom_bytes,
        label=label,
    )
    c = memory.tensor_classes(model)
    output = memory.output_bytes(model, quant) if p.holds_output else 0
    if p.holds_output:
        active += c.output
    share = _kv_share(model, tp)
    stage = speed.Stage(
        **_device_fields(model, quant, workload, p.device),
        layers=len(p.layers),
        dense_bytes=(attention + dense + shared + output) / tp,
        routed_bytes=routed / tp,
        active_params=active / tp,
        **_attention_fields(model, workload, p.layers, kv_share=share, head_share=1 / tp),
        **_moe_fields(model, p.layers, p.experts_elsewhere, 1 / tp),
    )
    return usage, stage


def _device_fields(model: ModelSpec, quant: QuantSpec, workload: Workload, device: DeviceSpec) -> dict:
    """The Stage fields that come from the device, the runtime and the format."""
    c = memory.tensor_classes(model)
    return {
        "bandwidth_gb_s": device.bandwidth_gb_s,
        "backend": speed.kernels(device, workload.runtime),
        "tflops": device.fp16_tflops,
        "experts": c.experts,
        "experts_per_tok": c.experts_per_tok,
        "memory": speed.memory_class(device),
        "fmt": speed.format_family(quant),
        "full_rate_fp16": speed.full_rate_fp16(device),
    }


def _attention_fields(
    model: ModelSpec,
    workload: Workload,
    layers: Sequence[int],
    *,
    kv_share: float = 1.0,
    head_share: float = 1.0,
) -> dict:
    """Attention's costs on these layers, full-attention and sliding-window ones apart (a window layer
    stops growing at the window): the KV bytes one sequence reads per cached token, and the FLOPs of one
    query against one key (QKᵀ and PV: 4 × heads × head dim per layer)."""
    per_cell = memory.kv_values_per_token_layer(model) * workload.kv_bytes_per_element * kv_share
    per_pair = 4 * model.num_attention_heads * head_share * model.head_dim_or_default
    windowed = 0
    if model.sliding_window and model.sliding_window_layers:
        mask = memory.window_layers(model)
        windowed = sum(1 for i in layers if mask[i])
    full = len(layers) - windowed
    return {
        "kv_bytes_per_cell": full * per_cell,
        "kv_window_bytes_per_cell": windowed * per_cell,
        "window": (model.sliding_window or 0) if windowed else 0,
        "attention_flops_per_pair": full * per_pair,
        "window_attention_flops_per_pair": windowed * per_pair,
    }


def _moe_fields(model: ModelSpec, layers: Sequence[int], elsewhere: set[int], share: float) -> dict:
    """MoE layers whose experts run here, and the expert parameters a token multiplies in them."""
    c = memory.tensor_classes(model)
    if not c.experts:
        return {}
    here = sum(1 for i in layers if i >= c.dense_layers and i not in elsewhere)
    return {
        "moe_layers": here,
        "routed_active_params": here * c.routed_experts * c.experts_per_tok / c.experts * share,
    }


@bounded_cache(entries=4096, size=262_144, size_of=length_of_result)
def _host_sums(
    model: ModelSpec, quant: QuantSpec, layers: Sequence[int], expert_layers: Sequence[int]
) -> tuple[int, int, float]:
    """Dense and routed bytes in RAM, and the parameters one token multiplies there."""
    c = memory.tensor_classes(model)
    table = memory.layer_bytes_table(model, quant)
    dense = routed = 0
    active = 0.0
    for i in layers:
        lb = table[i]
        dense += lb.attention + lb.dense_mlp + lb.shared_experts
        routed += lb.routed_experts
        active += c.layer_active_params(i)
    share = c.experts_per_tok / c.experts if c.experts else 0.0
    for i in expert_layers:
        routed += table[i].routed_experts
        active += c.routed_experts * share
    return dense, routed, active


def _host_memory(
    *,
    model: ModelSpec,
    quant: QuantSpec,
    workload: Workload,
    layers: Sequence[int],
    expert_layers: Sequence[int],
    holds_output: bool,
) -> DeviceMemory:
    sums = _host_sums(model, quant, _layers_key(layers), _layers_key(expert_layers))
    dense, routed, _ = sums
    output = memory.output_bytes(model, quant) if holds_output else 0
    embedding = memory.embedding_bytes(model, quant)
    kv = memory.kv_cache_layers_bytes(model, workload, layers)
    compute = 0
    if layers or expert_layers:
        cpu_workload = (
            workload
            if workload.runtime == "llama.cpp"
            else workload.model_copy(update={"runtime": "llama.cpp"})
        )
        compute = memory.compute_buffer_bytes(model, holds_output=holds_output, workload=cpu_workload)
    tensors = {
        "attention": 0,
        "dense_mlp": dense,
        "routed_experts": routed,
        "output": output,
        "embedding": embedding,
    }
    return DeviceMemory(tensors, kv, compute, 0, workload.ram_bytes or 0, HOST_HEADROOM_BYTES, sums)


def _host_usage(
    *,
    model: ModelSpec,
    quant: QuantSpec,
    workload: Workload,
    layers: Sequence[int],
    expert_layers: Sequence[int],
    holds_output: bool,
) -> tuple[DeviceUsage, tuple[int, int, float]]:
    m = _host_memory(
        model=model,
        quant=quant,
        workload=workload,
        layers=layers,
        expert_layers=expert_layers,
        holds_output=holds_output,
    )
    usage = DeviceUsage(
        gpu="host-ram",
        name="System RAM",
        kind="host",
        layers=len(layers),
        weights_bytes=sum(m.tensors.values()),
        kv_cache_bytes=m.kv_cache_bytes,
        compute_bytes=m.compute_bytes,
        overhead_bytes=0,
        capacity_bytes=m.capacity_bytes,
        headroom_bytes=HOST_HEADROOM_BYTES,
        tensors={k: v for k, v in m.tensors.items() if v},
    )
    return usage, m.sums


def host_usage_and_stage(
    *,
    model: ModelSpec,
    quant: QuantSpec,
    workload: Workload,
    layers: list[int],
    expert_layers: list[int],
    holds_output: bool,
) -> tuple[DeviceUsage, speed.Stage]:
    """System RAM as a device: whole layers (cpu_offload) or only routed experts (expert_offload)."""
    usage, (dense, routed, active) = _host_usage(
        model=model,
        quant=quant,
        workload=workload,
        layers=layers,
        expert_layers=expert_layers,
        holds_output=holds_output,
    )
    c = memory.tensor_classes(model)
    output = memory.output_bytes(model, quant) if holds_output else 0
    if holds_output:
        active += c.output
    stage = speed.Stage(
        bandwidth_gb_s=ram_bandwidth(workload),
        backend="cpu",
        tflops=workload.cpu_tflops,
        layers=len(layers) + len(expert_layers),
        dense_bytes=dense + output,
        routed_bytes=routed,
        experts=c.experts,
        experts_per_tok=c.experts_per_tok,
        active_params=active,
        **_attention_fields(model, workload, layers),
        memory="ram",
        fmt=speed.format_family(quant),
        **_moe_fields(model, [*layers, *expert_layers], set(), 1.0),
    )
    return usage, stage


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


def _split(model: ModelSpec, costs: Sequence[int], weights: list[float]) -> tuple[list[int], bool]:
    """Layer counts per device, and whether they follow the layers' bytes rather than llama.cpp's own
    count-proportional rule (then `--tensor-split` must give the counts themselves)."""
    counts, by_cost = _split_cached(model.num_hidden_layers, tuple(costs), tuple(weights))
    return list(counts), by_cost


@bounded_cache(entries=4096, size=262_144, size_of=length_of_result)
def _split_cached(n: int, costs: tuple[int, ...], weights: tuple[float, ...]) -> tuple[tuple[int, ...], bool]:
    counts = _split_counts(n, list(weights))
    if min(costs, default=0) == max(costs, default=0):
        return tuple(counts), False
    by_cost = split_layers_by_cost(costs, list(weights))
    return tuple(by_cost), by_cost != counts


def _free_for_layers(
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


def _layer_costs(
    model: ModelSpec, quant: QuantSpec, workload: Workload, *, experts: bool = True
) -> list[int]:
    """Bytes each layer adds to a device: its weights (without routed experts if `experts` is False) and
    its KV cache."""
    per_token = memory.kv_values_per_token_layer(model)
    full = int(memory.padded_context(workload) * per_token * workload.kv_bytes_per_element)
    windowed = model.sliding_window and model.sliding_window_layers
    local = (
        int(memory.window_cells(model, workload) * per_token * workload.kv_bytes_per_element)
        if windowed
        else full
    )
    return list(_layer_costs_for(model, quant, full, local, experts))


@bounded_cache(entries=1024, size=262_144, size_of=length_of_result)
def _layer_costs_for(
    model: ModelSpec, quant: QuantSpec, full_kv: int, local_kv: int, experts: bool
) -> tuple[int, ...]:
    """`_layer_costs` given one layer's KV bytes (full and windowed): suggestions ask again and again."""
    mask = memory.window_layers(model)
    return tuple(
        (lb.total if experts else lb.total - lb.routed_experts) + (local_kv if mask[i] else full_kv)
        for i, lb in enumerate(memory.layer_bytes_table(model, quant))
    )


# ---- Speed assembly ---------------------------------------------------------------------------------


@dataclass
class Timing:
    decode_s: float  # one step, batch 1, at the start of the answer (the prompt cached)
    decode_batch_s: float  # one step, all `batch` sequences
    prefill_s: float | None
    bytes_per_token: int = 0
    decode_context_s: float | None = None  # one step, batch 1, the whole context cached
    speed_class: str = "decode"  # which held-out errors give the range (speed.ERROR_RANGES)


@dataclass(frozen=True)
class Admission:
    """How vLLM's paged KV cache admits `batch` sequences of the full context: its pool in tokens, how
    many such sequences it holds at once (its start-up log's "Maximum concurrency for N tokens per
    request"), and how many run at once and wait."""

    capacity_tokens: int
    concurrency: float
    running: int
    waiting: int

    def warning(self, workload: Workload, queue_s: float) -> str:
        return (
            f"vLLM's KV cache holds {self.concurrency:.1f} sequences of {workload.context_tokens:,} tokens: "
            f"{self.running} run at once and {self.waiting} wait for one to finish, about {queue_s:.0f} s "
            "at the full context (shorter requests share the pool and wait less)."
        )


class Hop(NamedTuple):
    """A boundary between stages: the link the hidden state crosses, and the synchronisation it costs."""

    gb_s: float
    latency_us: float
    handoff_s: float = 0.0


def sequential_step_seconds(
    stages: list[speed.Stage], hops: list[Hop], hidden: int, batch: int, depth: int
) -> float:
    """One decode step through stages that run one after another, with `depth` tokens cached."""
    t = sum(speed.decode_step_seconds(s, batch, depth) for s in stages)
    return t + sum(
        h.handoff_s + speed.transfer_seconds(batch * hidden * ACTIVATION_BYTES, h.gb_s, h.latency_us)
        for h in hops
    )


def sequential_prefill_seconds(
    stages: list[speed.Stage],
    workload: Workload,
    hops: list[Hop],
    hidden: int,
    depth: int = 0,
    *,
    pipelined: bool = False,
) -> float | None:
    """The prompt through stages one after another, after `depth` tokens already cached; None without the
    FLOPS of a GPU stage. RAM-resident weights count nothing here: offload plans add their copy time.

    Over several GPUs (`pipelined`) llama.cpp keeps up to LLAMA_CPP_PIPELINE_COPIES micro-batches in
    flight: while GPU 2 runs micro-batch 1, GPU 1 runs micro-batch 2, so a long prompt takes the first
    micro-batch's trip through every GPU and then one slowest stage per micro-batch, for the share of the
    work that overlaps (speed.PREFILL_PIPELINE_OVERLAP)."""
    times = []
    for s in stages:
        t = speed.prefill_seconds(s, workload.prompt_tokens, workload.ubatch_tokens, depth)
        if t is None:
            if s.backend != "cpu":
                return None
            t = 0.0
        times.append(t)
    ubatches = -(-workload.prompt_tokens // workload.ubatch_tokens)
    prefill = sum(times)
    if pipelined and len(times) > 1 and ubatches > 1:
        per = [t / ubatches for t in times]
        slowest = max(max(per), sum(per) / memory.LLAMA_CPP_PIPELINE_COPIES)
        overlap = speed.PREFILL_PIPELINE_OVERLAP
        prefill = (1 - overlap) * prefill + overlap * (sum(per) + (ubatches - 1) * slowest)
    return prefill + sum(
        ubatches * h.handoff_s
        + speed.transfer_seconds(workload.prompt_tokens * hidden * ACTIVATION_BYTES, h.gb_s, h.latency_us)
        for h in hops
    )


def sequential_timing(
    stages: list[speed.Stage],
    workload: Workload,
    hops: list[Hop],
    hidden: int,
    *,
    extra_prefill_s: float = 0.0,
    speed_class: str | None = None,
    pipelined: bool = False,
) -> Timing:
    """Stages run one after another (layer split, offload, RPC): times add up, plus one hand-off per hop."""
    prefill = sequential_prefill_seconds(stages, workload, hops, hidden, pipelined=pipelined)
    depth = workload.prompt_tokens
    extra = _runtime_step_seconds(workload)
    return Timing(
        decode_s=sequential_step_seconds(stages, hops, hidden, 1, depth) + extra,
        decode_batch_s=sequential_step_seconds(stages, hops, hidden, workload.batch, depth) + extra,
        prefill_s=None if prefill is None else prefill + extra_prefill_s,
        bytes_per_token=len(hops) * hidden * ACTIVATION_BYTES,
        decode_context_s=sequential_step_seconds(stages, hops, hidden, 1, workload.context_tokens) + extra,
        speed_class=speed_class or single_speed_class(stages),
    )


def single_speed_class(stages: list[speed.Stage]) -> str:
    """The class whose held-out errors give a one-device plan its range: memory × kernels × dense/MoE."""
    gpu = [s for s in stages if s.backend != "cpu"]
    if len(stages) != 1 or not gpu:
        return "offload" if len(gpu) < len(stages) else "multi_gpu"
    s = gpu[0]
    return f"{s.memory}/{s.backend}/{'moe' if s.experts else 'dense'}"


def _plan(
    strategy: str,
    usages: list[DeviceUsage],
    timing: Timing,
    workload: Workload,
    *,
    notes: tuple[str, ...] = (),
    warnings: tuple[str, ...] = (),
    admission: Admission | None = None,
    **extra: object,
) -> Plan:
    """`workload` is the one the timing ran: under vLLM, only the sequences its KV cache admits at once."""
    decode = 1 / timing.decode_s
    at_context = 1 / timing.decode_context_s if timing.decode_context_s else None
    aggregate = workload.batch / timing.decode_batch_s
    prefill = workload.prompt_tokens / timing.prefill_s if timing.prefill_s else None
    queue = 0.0
    if admission is not None:
        extra.update(kv_capacity_tokens=admission.capacity_tokens, max_concurrency=admission.concurrency)
        if admission.waiting and timing.prefill_s is not None:
            # the first waiting request starts when the running ones, started together, reach the context
            answer = workload.context_tokens - workload.prompt_tokens
            queue = timing.prefill_s + answer * timing.decode_batch_s
        if admission.waiting:
            warnings = (*warnings, admission.warning(workload, queue))
    # The prefill pass itself yields the first token: no decode step is added
    ttft = queue + timing.prefill_s if timing.prefill_s is not None else None
    d_low, d_high = speed.speed_range(decode, timing.speed_class)
    c_low, c_high = speed.speed_range(at_context, timing.speed_class)
    p_low, p_high = speed.speed_range(prefill, "prefill")
    tight = [u.name for u in usages if u.tight]
    if tight:
        warnings = (*warnings, f"Less than 10% stays free on {', '.join(tight)}: latency creeps up there.")
    return Plan(
        strategy=strategy,
        devices=tuple(usages),
        decode_tok_s=decode,
        prefill_tok_s=prefill,
        ttft_s=ttft,
        queue_s=queue,
        notes=notes,
        decode_tok_s_aggregate=aggregate,
        decode_tok_s_low=d_low,
        decode_tok_s_high=d_high,
        decode_tok_s_at_context=at_context,
        decode_tok_s_at_context_low=c_low,
        decode_tok_s_at_context_high=c_high,
        prefill_tok_s_low=p_low,
        prefill_tok_s_high=p_high,
        interconnect_bytes_per_token=timing.bytes_per_token,
        warnings=warnings,
        terms=STRATEGIES[strategy].terms,
        **extra,
    )


# ---- Layouts: which device holds what, before any speed is computed --------------------------------


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


def _slot_key(s: Slot) -> tuple:
    """Slots with equal keys hold the same (tensor-parallel ranks, replicas): compute them once."""
    p = s.p
    return (
        p.device,
        _layers_key(p.layers),
        p.holds_output,
        p.holds_embedding,
        frozenset(p.experts_elsewhere),
        p.host,
        s.tp,
        s.multi_gpu,
        s.pipeline,
        id(s.workload),
    )


def layout_memory(
    layout: Layout, *, model: ModelSpec, quant: QuantSpec, workload: Workload, stop_at_overflow: bool = False
) -> list[DeviceMemory]:
    """Each distinct device's memory (identical tensor-parallel ranks and replicas once), RAM last."""
    out: list[DeviceMemory] = []
    seen = set()
    for s in layout.slots:
        key = _slot_key(s)
        if key in seen:
            continue
        seen.add(key)
        m = _memory(
            model=model,
            quant=quant,
            workload=s.workload or workload,
            p=s.p,
            tp=s.tp,
            multi_gpu=s.multi_gpu,
            pipeline=s.pipeline,
            headroom_bytes=None,
        )
        out.append(m)
        if stop_at_overflow and not m.fits:
            return out
    if layout.host is not None:
        out.append(
            _host_memory(
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


def _run(
    layout: Layout, *, model: ModelSpec, quant: QuantSpec, workload: Workload
) -> tuple[list[DeviceUsage], list[speed.Stage]]:
    """Memory and speed stage of each GPU slot, in order; identical slots are computed once."""
    usages, stages = [], []
    done: dict[tuple, tuple[DeviceUsage, speed.Stage]] = {}
    for s in layout.slots:
        key = _slot_key(s)
        if key in done:
            u, st = done[key]
            name = s.label or s.p.device.name
            if u.name != name:
                u = u.model_copy(update={"name": name})
        else:
            u, st = done[key] = usage_and_stage(
                model=model,
                quant=quant,
                workload=s.workload or workload,
                p=s.p,
                tp=s.tp,
                multi_gpu=s.multi_gpu,
                pipeline=s.pipeline,
                label=s.label,
            )
        usages.append(u)
        stages.append(st)
    return usages, stages


def vllm_admission(
    model: ModelSpec, workload: Workload, layout: Layout, usages: list[DeviceUsage], *, replicas: bool = False
) -> tuple[Workload, Admission | None]:
    """The workload to time, with `batch` cut to the sequences vLLM's KV cache admits at once, and the
    admission itself; outside vLLM, the workload as given and None."""
    capacity = vllm_kv_capacity_tokens(model, workload, layout, usages, replicas=replicas)
    if capacity is None:
        return workload, None
    blocks = -(-workload.context_tokens // memory.VLLM_BLOCK_TOKENS) * memory.VLLM_BLOCK_TOKENS
    if capacity < blocks:  # not one sequence: the plan does not fit, and nothing is admitted
        return workload, Admission(capacity, capacity / workload.context_tokens, 0, 0)
    running = min(workload.batch, capacity // blocks)
    admission = Admission(capacity, capacity / workload.context_tokens, running, workload.batch - running)
    timed = workload if running == workload.batch else workload.model_copy(update={"batch": running})
    return timed, admission


def vllm_kv_capacity_tokens(
    model: ModelSpec,
    workload: Workload,
    layout: Layout,
    usages: list[DeviceUsage],
    *,
    replicas: bool = False,
) -> int | None:
    """Tokens of KV cache vLLM pre-allocates (its "GPU KV cache size: N tokens"); None outside vLLM.

    Each GPU gives the cache what `gpu_memory_utilization` × its memory leaves after weights, activations
    with CUDA graphs (`compute_bytes`) and CUDA context + NCCL (`overhead_bytes`), in whole 16-token
    blocks. A token costs each GPU the KV of the layers it holds (pipeline stages) times its share of the
    KV heads (tensor parallel), so the stages and ranks hold the same tokens: the smallest count is the
    cache. Replicas each have their own: their counts add up. Every layer is counted for the full
    context (vLLM without its hybrid allocator; with it, sliding-window layers cost less).
    """
    if workload.runtime != "vllm":
        return None
    per_layer = memory.kv_values_per_token_layer(model) * workload.kv_bytes_per_element
    counts = []
    for slot, u in zip(layout.slots, usages, strict=True):
        per_token = per_layer * len(slot.p.layers) * _kv_share(model, slot.tp)
        budget = int(u.capacity_bytes * workload.gpu_memory_utilization) - (
            u.weights_bytes + u.compute_bytes + u.overhead_bytes
        )
        tokens = int(budget // per_token) if per_token and budget > 0 else 0
        counts.append(tokens // memory.VLLM_BLOCK_TOKENS * memory.VLLM_BLOCK_TOKENS)
    if not counts:
        return None
    return sum(counts) if replicas else min(counts)


# ---- Strategies -------------------------------------------------------------------------------------


def best_single_device(devices: list[DeviceSpec]) -> DeviceSpec:
    return max(devices, key=lambda d: (d.usable_bytes, d.bandwidth_gb_s))


def single_layout(
    *, model: ModelSpec, quant: QuantSpec, workload: Workload, devices: list[DeviceSpec]
) -> Layout:
    device = best_single_device(devices)
    p = Placement(device, range(model.num_hidden_layers), holds_output=True, holds_embedding=True)
    return Layout([Slot(p)])


def single(*, model: ModelSpec, quant: QuantSpec, workload: Workload, devices: list[DeviceSpec]) -> Plan:
    """The whole model on the largest device of the rig."""
    layout = single_layout(model=model, quant=quant, workload=workload, devices=devices)
    device = layout.slots[0].p.device
    [usage], stages = _run(layout, model=model, quant=quant, workload=workload)
    timed, admission = vllm_admission(model, workload, layout, [usage])
    timing = sequential_timing(stages, timed, [], model.hidden_size)
    notes = ()
    if len(devices) > 1:
        notes = (f"Uses one {device.name}; the other {len(devices) - 1} device(s) stay free.",)
    return _plan(
        "single",
        [usage],
        timing,
        timed,
        notes=notes,
        admission=admission,
        gpu_layers=model.num_hidden_layers + 1,
    )


def _pipeline_layout(
    model: ModelSpec, quant: QuantSpec, workload: Workload, devices: list[DeviceSpec], hosts: list[int]
) -> Layout:
    n = len(devices)
    free_of: dict[tuple[DeviceSpec, bool], float] = {}  # rigs repeat one GPU: compute each kind once
    free = []
    for i, d in enumerate(devices):
        key = (d, i == n - 1)
        if key not in free_of:
            free_of[key] = _free_for_layers(model, quant, workload, d, holds_output=key[1], multi_gpu=n > 1)
        free.append(free_of[key])
    counts, by_cost = _split(model, _layer_costs(model, quant, workload), free)
    slots, start = [], 0
    for i, (device, k) in enumerate(zip(devices, counts, strict=True)):
        p = Placement(
            device,
            range(start, start + k),
            holds_output=i == n - 1,
            holds_embedding=i == 0,
            host=hosts[i],
        )
        label = device.name if max(hosts) == 0 else f"{device.name} (host {hosts[i] + 1})"
        slots.append(Slot(p, multi_gpu=True, pipeline=True, label=label))
        start += k
    if by_cost:
        # llama.cpp gives layer il (the output layer is il = n_layer) to the first device whose running
        # share of -ts exceeds il / (n_layer + 1): the counts, the head counted on the last device, say it
        ratios = [float(k) for k in counts[:-1]] + [float(counts[-1] + 1)]
        return Layout(slots, counts=counts, ratios=ratios)
    total = sum(free) or 1
    return Layout(slots, counts=counts, ratios=[round(f / total, 3) for f in free])


def layer_split_layout(
    *, model: ModelSpec, quant: QuantSpec, workload: Workload, devices: list[DeviceSpec]
) -> Layout:
    return _pipeline_layout(model, quant, workload, devices, [0] * len(devices))


def layer_split(*, model: ModelSpec, quant: QuantSpec, workload: Workload, devices: list[DeviceSpec]) -> Plan:
    """llama.cpp `--split-mode layer`: consecutive layers per device, in proportion to free memory."""
    layout = layer_split_layout(model=model, quant=quant, workload=workload, devices=devices)
    usages, stages = _run(layout, model=model, quant=quant, workload=workload)
    timed, admission = vllm_admission(model, workload, layout, usages)
    counts, ratios = layout.counts, layout.ratios
    gb_s, lat = link(workload, devices)
    hops = [Hop(gb_s, lat, speed.handoff_seconds(s)) for s in stages[:-1]]
    timing = sequential_timing(
        stages, timed, hops, model.hidden_size, speed_class="multi_gpu", pipelined=True
    )
    notes = (
        f"Layers {' + '.join(str(c) for c in counts)} run one device after another: "
        "a second GPU adds memory, not single-stream speed.",
    )
    warnings = (
        "Pipeline bubble at batch 1: only one GPU works at any moment.",
        "If any one GPU fails, the whole model stops.",
    )
    return _plan(
        "layer_split",
        usages,
        timing,
        timed,
        notes=notes,
        warnings=warnings,
        admission=admission,
        gpu_layers=model.num_hidden_layers + 1,
        tensor_split=tuple(ratios),
        pipeline_parallel_size=len(devices),
    )


def tensor_parallel_size(model: ModelSpec, n: int) -> int:
    """The largest TP size ≤ n that divides the attention heads and tiles the KV heads (vLLM's rule)."""
    for t in range(n, 1, -1):
        kv = model.num_key_value_heads
        if model.num_attention_heads % t == 0 and (kv % t == 0 or t % kv == 0 or model.is_mla):
            return t
    return 1


def tensor_parallel_layout(
    *, model: ModelSpec, quant: QuantSpec, workload: Workload, devices: list[DeviceSpec]
) -> Layout:
    """Every rank holds 1/tp of every matrix and of the KV heads: vLLM's tensor parallel and llama.cpp's
    `--split-mode tensor`, which "splits both weights and KV across the participating GPUs"."""
    tp = tensor_parallel_size(model, len(devices))
    slots = [
        Slot(
            Placement(device, range(model.num_hidden_layers), holds_output=True, holds_embedding=True),
            tp=tp,
            multi_gpu=True,
            label=f"{device.name} (rank {i})",
        )
        for i, device in enumerate(devices[:tp])
    ]
    return Layout(slots, tp=tp)


def tensor_parallel_unsupported(
    model: ModelSpec, workload: Workload, devices: Sequence[DeviceSpec]
) -> str | None:
    """Why tensor parallel cannot run on these GPUs with this runtime, or None. It needs identical GPUs
    and a head count that divides over two or more of them. llama.cpp's `--split-mode tensor`
    (LLAMA_CPP_MULTI_GPU) also needs CUDA or ROCm, flash attention and an unquantized KV cache, and
    excludes DeepSeek2 (MLA) among other architectures; Ollama and MLX have none within a machine."""
    if len({d.slug for d in devices}) != 1:
        return "Tensor parallel needs identical GPUs; these differ."
    if tensor_parallel_size(model, len(devices)) < 2:
        return f"{model.num_attention_heads} attention heads do not divide over {len(devices)} GPUs."
    if workload.runtime in ("ollama", "mlx"):
        name = "Ollama" if workload.runtime == "ollama" else "MLX"
        return f"{name} splits a model over GPUs by layers only; vLLM or llama.cpp run tensor parallel."
    if workload.runtime != "llama.cpp":
        return None
    if any(d.backend not in ("cuda", "rocm") for d in devices):
        return "llama.cpp's tensor split runs on CUDA and ROCm only."
    if model.is_mla:
        return "llama.cpp's tensor split does not support this architecture (MLA, as DeepSeek2)."
    if not workload.flash_attention:
        return "llama.cpp's tensor split needs flash attention."
    if workload.kv_bytes_per_element < 2:
        return "llama.cpp's tensor split needs an unquantized KV cache (f16, bf16 or f32)."
    return None


def tensor_parallel_timing(
    stages: list[speed.Stage],
    *,
    model: ModelSpec,
    workload: Workload,
    tp: int,
    devices: Sequence[DeviceSpec] = (),
) -> Timing:
    """The ranks work at once: the slowest rank's step, plus the all-reduces that join their results."""
    batch = workload.batch

    def step(b: int, depth: int) -> float:
        compute = max(speed.decode_step_seconds(s, b, depth) for s in stages)
        return (
            compute + all_reduces_seconds(model, workload, tp, b, devices) + _runtime_step_seconds(workload)
        )

    prefill = None
    t_prefill = [speed.prefill_seconds(s, workload.prompt_tokens, workload.ubatch_tokens) for s in stages]
    if all(t is not None for t in t_prefill):
        prefill = max(t_prefill) + all_reduces_seconds(  # type: ignore[type-var]
            model, workload, tp, workload.prompt_tokens, devices
        )
    per_token_bytes = int(
        SYNCS_PER_LAYER * model.num_hidden_layers * 2 * (tp - 1) / tp * model.hidden_size * ALL_REDUCE_BYTES
    )
    return Timing(
        decode_s=step(1, workload.prompt_tokens),
        decode_batch_s=step(batch, workload.prompt_tokens),
        prefill_s=prefill,
        bytes_per_token=per_token_bytes,
        decode_context_s=step(1, workload.context_tokens),
        speed_class="vllm_tp" if workload.runtime == "vllm" else "multi_gpu",
    )


def all_reduces_seconds(
    model: ModelSpec, workload: Workload, tp: int, tokens: int, devices: Sequence[DeviceSpec] = ()
) -> float:
    """The all-reduces of one forward pass of `tokens` tokens. vLLM over NVLink uses its custom all-reduce
    (one kernel that reads the peers' buffers: a fixed cost per call, speed.VLLM_ALL_REDUCE_SECONDS);
    elsewhere (NCCL over PCIe, llama.cpp's tensor split) a ring."""
    if tp <= 1:
        return 0.0
    gb_s, lat = link(workload, devices)
    calls = SYNCS_PER_LAYER * model.num_hidden_layers
    message = tokens * model.hidden_size * ALL_REDUCE_BYTES
    if workload.runtime == "vllm" and nvlinked(workload, devices):
        return calls * (speed.VLLM_ALL_REDUCE_SECONDS + 2 * (tp - 1) / tp * message / (gb_s * 1e9))
    return calls * speed.ring_all_reduce_seconds(message, tp, gb_s, lat)


def _runtime_step_seconds(workload: Workload) -> float:
    """What the runtime itself spends per step besides the kernels (vLLM's scheduler and sampler)."""
    return speed.VLLM_STEP_SECONDS if workload.runtime == "vllm" else 0.0


def tensor_parallel(
    *, model: ModelSpec, quant: QuantSpec, workload: Workload, devices: list[DeviceSpec]
) -> Plan:
    """Every matrix sharded over identical GPUs; two all-reduces per layer cross the link each step."""
    layout = tensor_parallel_layout(model=model, quant=quant, workload=workload, devices=devices)
    tp = layout.tp
    usages, stages = _run(layout, model=model, quant=quant, workload=workload)
    timed, admission = vllm_admission(model, workload, layout, usages)
    timing = tensor_parallel_timing(stages, model=model, workload=timed, tp=tp, devices=devices)
    all_reduce_s = all_reduces_seconds(model, workload, tp, 1, devices)
    notes = [f"{tp} GPUs each hold 1/{tp} of every matrix and of the KV cache, and read them in parallel."]
    warnings = []
    if not nvlinked(workload, devices):
        warnings.append(
            f"Tensor parallel over PCIe: {SYNCS_PER_LAYER * model.num_hidden_layers} all-reduces per token "
            f"take {all_reduce_s * 1e3:.1f} ms of each {timing.decode_s * 1e3:.1f} ms step; NVLink cuts that."
        )
    if tp > model.num_key_value_heads and not model.is_mla:
        warnings.append(f"{tp} ranks but {model.num_key_value_heads} KV heads: KV heads are replicated.")
    if model.is_mla:
        warnings.append("MLA's latent KV cache cannot be split: every rank holds all of it.")
    if tp < len(devices):
        notes.append(
            f"{len(devices) - tp} GPU(s) left out: {model.num_attention_heads} heads do not divide by "
            f"{len(devices)}."
        )
    if workload.runtime == "llama.cpp":
        warnings.append(
            "llama.cpp's --split-mode tensor is experimental: check the output's quality before relying on it."
        )
    warnings.append("If any one GPU fails, the whole model stops.")
    return _plan(
        "tensor_parallel",
        usages,
        timing,
        timed,
        notes=tuple(notes),
        warnings=tuple(warnings),
        admission=admission,
        gpu_layers=model.num_hidden_layers + 1,
        tensor_parallel_size=tp,
    )


def _per_replica(workload: Workload, n: int) -> int:
    return max(1, -(-workload.batch // n))


def replicas_layout(
    *, model: ModelSpec, quant: QuantSpec, workload: Workload, devices: list[DeviceSpec]
) -> Layout:
    per_replica = _per_replica(workload, len(devices))
    w = workload if per_replica == workload.batch else workload.model_copy(update={"batch": per_replica})
    slots = [
        Slot(
            Placement(device, range(model.num_hidden_layers), holds_output=True, holds_embedding=True),
            label=f"{device.name} (copy {i + 1})",
            workload=w,
        )
        for i, device in enumerate(devices)
    ]
    return Layout(slots)


def replicas(*, model: ModelSpec, quant: QuantSpec, workload: Workload, devices: list[DeviceSpec]) -> Plan:
    """One full copy per device; requests spread over them for N× aggregate throughput."""
    n = len(devices)
    layout = replicas_layout(model=model, quant=quant, workload=workload, devices=devices)
    usages, stages = _run(layout, model=model, quant=quant, workload=workload)
    timed, admission = vllm_admission(model, workload, layout, usages, replicas=True)
    per_replica = _per_replica(timed, n)
    depth, context = workload.prompt_tokens, workload.context_tokens
    slowest = max(stages, key=lambda s: speed.decode_step_seconds(s, 1, depth))
    extra = _runtime_step_seconds(workload)
    single_s = speed.decode_step_seconds(slowest, 1, depth) + extra
    # copies of `per_replica` sequences each, less the empty seats when `batch` does not divide by n
    seated = min(1.0, timed.batch / (per_replica * n))
    aggregate = seated * sum(
        per_replica / (speed.decode_step_seconds(s, per_replica, depth) + extra) for s in stages
    )
    prefill = speed.prefill_seconds(slowest, workload.prompt_tokens, workload.ubatch_tokens)
    timing = Timing(
        decode_s=single_s,
        decode_batch_s=timed.batch / aggregate,
        prefill_s=prefill,
        decode_context_s=speed.decode_step_seconds(slowest, 1, context) + extra,
        speed_class=single_speed_class([slowest]),
    )
    notes = (
        f"{n} independent copies, {per_replica} sequence(s) each: {n}× the aggregate throughput, "
        "the same single-stream speed.",
    )
    warnings = ("Needs a router in front (one server per GPU, or vLLM's data parallel).",)
    return _plan(
        "replicas",
        usages,
        timing,
        timed,
        notes=notes,
        warnings=warnings,
        admission=admission,
        gpu_layers=model.num_hidden_layers + 1,
        replicas=n,
    )


def _contiguous_counts(costs: list[int], budgets: list[int], start: int) -> list[int] | None:
    """Layers start..n-1 handed out in order, each device taking as many as fit; None if some are left."""
    counts, i, n = [], start, len(costs)
    for budget in budgets:
        k = 0
        while i < n and costs[i] <= budget:
            budget -= costs[i]
            i += 1
            k += 1
        counts.append(k)
    return counts if i == n else None


def cpu_offload_layout(
    *, model: ModelSpec, quant: QuantSpec, workload: Workload, devices: list[DeviceSpec]
) -> Layout:
    """llama.cpp offloads the *last* ngl layers, a contiguous block per device in device order.

    The largest ngl whose blocks fit every device: a shorter block (fewer layers) fits whenever a
    longer one does, so a binary search over where the block starts finds it.
    """
    n = model.num_hidden_layers
    costs = _layer_costs(model, quant, workload)
    budgets = [
        _free_for_layers(model, quant, workload, d, holds_output=False, multi_gpu=len(devices) > 1)
        for d in devices
    ]
    low, high = 0, n  # starting at n (no layer on a GPU) always works
    while low < high:
        middle = (low + high) // 2
        if _contiguous_counts(costs, budgets, middle) is None:
            low = middle + 1
        else:
            high = middle
    counts = _contiguous_counts(costs, budgets, low) or [0] * len(devices)
    slots, start = [], low
    for device, k in zip(devices, counts, strict=True):
        if not k:
            continue
        slots.append(Slot(Placement(device, range(start, start + k)), multi_gpu=len(devices) > 1))
        start += k
    return Layout(slots, host=HostSlot(list(range(low)), [], holds_output=True))


def cpu_offload(*, model: ModelSpec, quant: QuantSpec, workload: Workload, devices: list[DeviceSpec]) -> Plan:
    """llama.cpp `-ngl N`: the last N layers on the GPUs, the first ones (and the head) in system RAM."""
    n = model.num_hidden_layers
    layout = cpu_offload_layout(model=model, quant=quant, workload=workload, devices=devices)
    assert layout.host is not None
    cpu_layers = layout.host.layers
    ngl = n - len(cpu_layers)
    usages, stages = _run(layout, model=model, quant=quant, workload=workload)
    host, host_stage = host_usage_and_stage(
        model=model, quant=quant, workload=workload, layers=cpu_layers, expert_layers=[], holds_output=True
    )
    gb_s, lat = link(workload, devices)
    hops = [Hop(gb_s, lat)] + [Hop(gb_s, lat, speed.handoff_seconds(s)) for s in stages[:-1]]
    host_weights = host.weights_bytes - host.tensors.get("embedding", 0)
    extra = _offloaded_prefill_s(host_weights, host_stage, workload, gb_s)
    timing = sequential_timing(
        [host_stage, *stages], workload, hops, model.hidden_size, extra_prefill_s=extra
    )
    share = len(cpu_layers) / n
    notes = (f"-ngl {ngl}: {ngl} of {n} layers on the GPU(s), {len(cpu_layers)} and the output head in RAM.",)
    warnings = (
        f"{share:.0%} of the layers run from system RAM at {ram_bandwidth(workload):g} GB/s; "
        "they dominate each token's time.",
    )
    if workload.ram_bandwidth_gb_s is None:
        warnings = (
            *warnings,
            f"RAM bandwidth not given: assumed {speed.DEFAULT_RAM_BANDWIDTH_GB_S} GB/s "
            "(dual-channel DDR5-4800).",
        )
    return _plan(
        "cpu_offload", [*usages, host], timing, workload, notes=notes, warnings=warnings, gpu_layers=ngl
    )


def _offloaded_prefill_s(
    host_weights: float, host_stage: speed.Stage, workload: Workload, link_gb_s: float
) -> float:
    """llama.cpp runs big prompt batches of RAM-resident weights on the GPU, copying them over PCIe per
    micro-batch; the CPU computes them itself when that is faster. Returns the extra time over the
    CPU stage's own estimate (which assumed the CPU's FLOPS) — or the PCIe copy time when no CPU FLOPS
    are known."""
    ubatches = -(-workload.prompt_tokens // workload.ubatch_tokens)
    copy_s = ubatches * host_weights / (link_gb_s * 1e9)
    cpu_s = speed.prefill_seconds(host_stage, workload.prompt_tokens, workload.ubatch_tokens)
    if cpu_s is None:
        return copy_s
    return min(copy_s, cpu_s) - cpu_s


def expert_offload_layout(
    *,
    model: ModelSpec,
    quant: QuantSpec,
    workload: Workload,
    devices: list[DeviceSpec],
    cpu_moe_layers: int | None = None,
) -> Layout:
    """Layers split over the GPUs as if they had no experts; then the experts of the first MoE layers go
    to RAM: as few as the GPUs need (`cpu_moe_layers` None), or that many, as `--n-cpu-moe N` asks."""
    n = model.num_hidden_layers
    c = memory.tensor_classes(model)
    moe_layers = list(range(c.dense_layers, n))
    # Start from a layer split of everything but the experts, then keep as many experts on GPU as fit.
    free = [
        _free_for_layers(
            model, quant, workload, d, holds_output=i == len(devices) - 1, multi_gpu=len(devices) > 1
        )
        for i, d in enumerate(devices)
    ]
    costs = _layer_costs(model, quant, workload, experts=False)
    counts, _ = _split(model, costs, free)
    groups: list[range] = []
    start = 0
    for k in counts:
        groups.append(range(start, start + k))
        start += k
    if cpu_moe_layers is not None:  # as llama.cpp counts: layers 0 … N-1, dense ones having no experts
        offloaded = {i for i in moe_layers if i < cpu_moe_layers}
    else:
        table = memory.layer_bytes_table(model, quant)
        offloaded = set(moe_layers)
        for device_i, group in enumerate(groups):
            budget = free[device_i] - sum(costs[i] for i in group)
            # experts of the last layers stay on the GPU (--n-cpu-moe moves the first N)
            for i in sorted((i for i in group if i in offloaded), reverse=True):
                cost = table[i].routed_experts
                if budget < cost:
                    break
                budget -= cost
                offloaded.discard(i)
    slots = [
        Slot(
            Placement(
                device,
                group,
                holds_output=device_i == len(devices) - 1,
                holds_embedding=device_i == 0,
                experts_elsewhere=offloaded & set(group),
            ),
            multi_gpu=len(devices) > 1,
            pipeline=len(devices) > 1,
        )
        for device_i, (device, group) in enumerate(zip(devices, groups, strict=True))
    ]
    return Layout(slots, host=HostSlot([], sorted(offloaded), holds_output=False))


def expert_offload(
    *,
    model: ModelSpec,
    quant: QuantSpec,
    workload: Workload,
    devices: list[DeviceSpec],
    cpu_moe_layers: int | None = None,
) -> Plan:
    """MoE: attention, shared weights and KV on the GPUs; routed experts of the first N layers in RAM
    (llama.cpp `--n-cpu-moe N`, i.e. `-ot "blk\\.(0..N-1)\\.ffn_.*_exps=CPU"`)."""
    n = model.num_hidden_layers
    c = memory.tensor_classes(model)
    moe_layers = list(range(c.dense_layers, n))
    layout = expert_offload_layout(
        model=model, quant=quant, workload=workload, devices=devices, cpu_moe_layers=cpu_moe_layers
    )
    assert layout.host is not None
    offloaded = layout.host.expert_layers
    usages, stages = _run(layout, model=model, quant=quant, workload=workload)
    # --n-cpu-moe N moves the experts of layers 0 … N-1; dense layers (DeepSeek's first 3) have none
    n_cpu_moe = c.dense_layers + len(offloaded) if offloaded else 0
    host, host_stage = host_usage_and_stage(
        model=model,
        quant=quant,
        workload=workload,
        layers=[],
        expert_layers=offloaded,
        holds_output=False,
    )
    gb_s, lat = link(workload, devices)
    # each offloaded layer hands its activations to the CPU and back
    hops = [Hop(gb_s, lat)] * (2 * len(offloaded)) + [
        Hop(gb_s, lat, speed.handoff_seconds(s)) for s in stages[:-1]
    ]
    extra = _offloaded_prefill_s(
        host.weights_bytes - host.tensors.get("embedding", 0), host_stage, workload, gb_s
    )
    timing = sequential_timing(
        [*stages, host_stage], workload, hops, model.hidden_size, extra_prefill_s=extra
    )
    notes = (
        f"--n-cpu-moe {n_cpu_moe}: routed experts of {len(offloaded)} of {len(moe_layers)} MoE layers in RAM; "
        f"each token reads only {c.experts_per_tok} of {c.experts} experts there.",
    )
    warnings = (f"Expert layers in RAM run at {ram_bandwidth(workload):g} GB/s.",)
    if workload.ram_bandwidth_gb_s is None:
        warnings = (
            *warnings,
            f"RAM bandwidth not given: assumed {speed.DEFAULT_RAM_BANDWIDTH_GB_S} GB/s "
            "(dual-channel DDR5-4800).",
        )
    return _plan(
        "expert_offload",
        [*usages, host],
        timing,
        workload,
        notes=notes,
        warnings=warnings,
        gpu_layers=n + 1,
        n_cpu_moe=n_cpu_moe,
    )


def rpc_cluster_layout(
    *, model: ModelSpec, quant: QuantSpec, workload: Workload, devices: list[DeviceSpec]
) -> Layout:
    all_devices = [d for _ in range(workload.hosts) for d in devices]
    host_of = [h for h in range(workload.hosts) for _ in devices]
    return _pipeline_layout(model, quant, workload, all_devices, host_of)


def rpc_cluster(*, model: ModelSpec, quant: QuantSpec, workload: Workload, devices: list[DeviceSpec]) -> Plan:
    """llama.cpp `--rpc`: layers over the GPUs of several machines, activations over the network."""
    hosts = workload.hosts
    all_devices = [d for _ in range(hosts) for d in devices]
    host_of = [h for h in range(hosts) for _ in devices]
    layout = rpc_cluster_layout(model=model, quant=quant, workload=workload, devices=devices)
    usages, stages = _run(layout, model=model, quant=quant, workload=workload)
    counts, ratios = layout.counts, layout.ratios
    gpu_link, net = Hop(*link(workload, devices)), Hop(*network(workload))
    hops = [
        (net if host_of[i] != host_of[i + 1] else gpu_link)._replace(
            handoff_s=speed.handoff_seconds(stages[i])
        )
        for i in range(len(all_devices) - 1)
    ]
    # every remote device costs one RPC round trip per step (graph_compute is a blocking call)
    remote = sum(1 for h in host_of if h != 0)
    hops += [net] * remote
    timing = sequential_timing(
        stages, workload, hops, model.hidden_size, speed_class="multi_gpu", pipelined=True
    )
    timing.bytes_per_token = (hosts - 1) * model.hidden_size * ACTIVATION_BYTES
    net_gb_s, net_lat = net.gb_s, net.latency_us
    notes = (
        f"{hosts} machines, {len(all_devices)} GPUs: layers {' + '.join(map(str, counts))}.",
        f"Network: {net_gb_s:g} GB/s, {net_lat:g} µs per hop.",
    )
    warnings = (
        "The weights cross the network once at load time; each token crosses it between machines.",
        "Pipeline bubble at batch 1: only one GPU works at any moment.",
        "If any machine or GPU fails, the whole model stops.",
    )
    return _plan(
        "rpc_cluster",
        usages,
        timing,
        workload,
        notes=notes,
        warnings=warnings,
        gpu_layers=model.num_hidden_layers + 1,
        tensor_split=tuple(ratios),
        pipeline_parallel_size=len(all_devices),
    )


LayoutBuilder = Callable[..., Layout]
LAYOUTS: dict[str, LayoutBuilder] = {
    "single": single_layout,
    "layer_split": layer_split_layout,
    "tensor_parallel": tensor_parallel_layout,
    "replicas": replicas_layout,
    "cpu_offload": cpu_offload_layout,
    "expert_offload": expert_offload_layout,
    "rpc_cluster": rpc_cluster_layout,
}


def strategy_fits(
    strategy: str, *, model: ModelSpec, quant: QuantSpec, workload: Workload, devices: list[DeviceSpec]
) -> bool:
    """Whether `strategy`'s plan would fit, from its memory alone: the suggestions' many probes."""
    layout = LAYOUTS[strategy](model=model, quant=quant, workload=workload, devices=devices)
    return layout_fits(layout, model=model, quant=quant, workload=workload)


def strategy_slack(
    strategy: str, *, model: ModelSpec, quant: QuantSpec, workload: Workload, devices: list[DeviceSpec]
) -> list[int]:
    """`slack_bytes` of each distinct device (and RAM) under `strategy`: how far each is from full."""
    layout = LAYOUTS[strategy](model=model, quant=quant, workload=workload, devices=devices)
    return [m.slack_bytes for m in layout_memory(layout, model=model, quant=quant, workload=workload)]
