"""Split strategies: where each tensor lives, per device, for the same model and hardware.

Each builder returns a `Plan` with per-device memory (never summed across devices), single-stream and
aggregate decode speed, prefill speed, time to first token, the bytes that cross links per token, and
the plan's warnings. Ranking and the recommendation live in estimate.py.
"""

from dataclasses import dataclass, field

from . import memory, speed
from .schema import DeviceSpec, DeviceUsage, ModelSpec, Plan, QuantSpec, Workload
from .units import GIB, format_bytes, format_rate

# The OS and the runtime's own process need system memory too when layers live in RAM.
HOST_HEADROOM_BYTES = 2 * GIB
# Activations handed from one pipeline stage to the next: one f32 hidden vector per token (llama.cpp).
ACTIVATION_BYTES = 4
# Tensor-parallel all-reduces move fp16/bf16 activations: 2 bytes per element.
ALL_REDUCE_BYTES = 2
# Synchronisations per layer: vLLM's Megatron-style sharding needs two all-reduces (after attention and
# after the MLP); llama.cpp's `--split-mode row` gathers the result of each of the 7 split matrices
# (q, k, v, o, gate, up, down) on the main GPU.
SYNCS_PER_LAYER = {"vllm": 2}
LLAMA_CPP_ROW_SYNCS_PER_LAYER = 7

STRATEGY_TERMS = {
    "single": ("vram", "memory-bandwidth", "decode"),
    "layer_split": ("layer-split", "pipeline-parallelism", "pipeline-bubble", "model-parallelism"),
    "tensor_parallel": ("tensor-parallelism", "all-reduce", "nvlink", "pcie", "model-parallelism"),
    "replicas": ("data-parallelism", "request-routing", "continuous-batching"),
    "cpu_offload": ("cpu-offload", "memory-bandwidth"),
    "expert_offload": ("moe-expert-offload", "mixture-of-experts", "expert-parallelism"),
    "rpc_cluster": ("rpc-clustering", "pipeline-parallelism", "layer-split"),
}


@dataclass
class Placement:
    """What one device holds: layer indices, and which of them keep their routed experts elsewhere."""

    device: DeviceSpec
    layers: list[int]
    holds_output: bool = False
    holds_embedding: bool = False
    experts_elsewhere: set[int] = field(default_factory=set)
    host: int = 0


def link(workload: Workload) -> tuple[float, float]:
    """GB/s per direction and per-hop latency of the link between this machine's GPUs."""
    gb_s = workload.link_gb_s or (speed.NVLINK_GB_S if workload.nvlink else speed.PCIE_GB_S)
    lat = workload.link_latency_us
    if lat is None:
        lat = speed.NVLINK_LATENCY_US if workload.nvlink else speed.PCIE_LATENCY_US
    return gb_s, lat


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
    c = memory.tensor_classes(model)
    attention = dense = routed = shared = 0
    active = 0.0
    for i in p.layers:
        lb = memory.layer_bytes(model, quant, i)
        attention += lb.attention
        dense += lb.dense_mlp
        shared += lb.shared_experts
        if i not in p.experts_elsewhere:
            routed += lb.routed_experts
            active += c.layer_active_params(i)
        else:
            active += c.layer_active_params(i) - c.routed_experts * (
                c.experts_per_tok / c.experts if c.experts else 0
            )
    output = memory.output_bytes(model, quant) if p.holds_output else 0
    embedding = (
        memory.embedding_bytes(model, quant) if p.holds_embedding and _embedding_on_gpu(workload) else 0
    )
    if p.holds_output:
        active += c.output
    kv_share = _kv_share(model, tp)
    kv = int(sum(memory.kv_cache_layer_bytes(model, workload, i) for i in p.layers) * kv_share)
    tensors = {
        "attention": attention // tp,
        "dense_mlp": dense // tp,
        "routed_experts": routed // tp,
        "shared_experts": shared // tp,
        "output": output // tp,
        "embedding": embedding // tp,
    }
    weights = sum(tensors.values())
    if workload.runtime == "vllm":
        headroom = int(p.device.usable_bytes * (1 - workload.gpu_memory_utilization))
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
    usage = DeviceUsage(
        gpu=p.device.slug,
        name=label or p.device.name,
        layers=len(p.layers),
        weights_bytes=weights,
        kv_cache_bytes=kv,
        compute_bytes=compute,
        overhead_bytes=memory.overhead_bytes(p.device.backend, runtime=workload.runtime, multi_gpu=multi_gpu),
        capacity_bytes=p.device.usable_bytes,
        headroom_bytes=headroom,
        host=p.host,
        tensors={k: v for k, v in tensors.items() if v},
    )
    heads_here = model.num_attention_heads / tp
    stage = speed.Stage(
        bandwidth_gb_s=p.device.bandwidth_gb_s,
        backend=p.device.backend,
        tflops=p.device.fp16_tflops,
        layers=len(p.layers),
        dense_bytes=(attention + dense + shared + output) / tp,
        routed_bytes=routed / tp,
        experts=c.experts,
        experts_per_tok=c.experts_per_tok,
        active_params=active / tp,
        kv_bytes_per_seq=memory.kv_read_bytes_per_token(model, workload, workload.prompt_tokens, p.layers)
        * kv_share,
        attention_flops_per_token2=2 * len(p.layers) * heads_here * model.head_dim_or_default,
    )
    return usage, stage


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
    c = memory.tensor_classes(model)
    dense = routed = 0
    active = 0.0
    for i in layers:
        lb = memory.layer_bytes(model, quant, i)
        dense += lb.attention + lb.dense_mlp + lb.shared_experts
        routed += lb.routed_experts
        active += c.layer_active_params(i)
    share = c.experts_per_tok / c.experts if c.experts else 0.0
    for i in expert_layers:
        routed += memory.layer_bytes(model, quant, i).routed_experts
        active += c.routed_experts * share
    output = memory.output_bytes(model, quant) if holds_output else 0
    if holds_output:
        active += c.output
    embedding = memory.embedding_bytes(model, quant)
    kv = sum(memory.kv_cache_layer_bytes(model, workload, i) for i in layers)
    compute = (
        memory.compute_buffer_bytes(
            model, holds_output=holds_output, workload=workload.model_copy(update={"runtime": "llama.cpp"})
        )
        if layers or expert_layers
        else 0
    )
    tensors = {
        "attention": 0,
        "dense_mlp": dense,
        "routed_experts": routed,
        "output": output,
        "embedding": embedding,
    }
    usage = DeviceUsage(
        gpu="host-ram",
        name="System RAM",
        kind="host",
        layers=len(layers),
        weights_bytes=dense + routed + output + embedding,
        kv_cache_bytes=kv,
        compute_bytes=compute,
        overhead_bytes=0,
        capacity_bytes=workload.ram_bytes or 0,
        headroom_bytes=HOST_HEADROOM_BYTES,
        tensors={k: v for k, v in tensors.items() if v},
    )
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
        kv_bytes_per_seq=memory.kv_read_bytes_per_token(model, workload, workload.prompt_tokens, layers),
        attention_flops_per_token2=2 * len(layers) * model.num_attention_heads * model.head_dim_or_default,
    )
    return usage, stage


def split_layers(model: ModelSpec, weights: list[float]) -> list[int]:
    """Layer counts in proportion to `weights` (llama.cpp `--tensor-split`), rounding remainders to the largest."""
    layers = model.num_hidden_layers
    total = sum(weights)
    if total <= 0:
        weights, total = [1.0] * len(weights), float(len(weights))
    shares = [w / total * layers for w in weights]
    counts = [int(s) for s in shares]
    order = sorted(range(len(weights)), key=lambda i: shares[i] - counts[i], reverse=True)
    for i in order[: layers - sum(counts)]:
        counts[i] += 1
    return counts


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


def _layer_cost(
    model: ModelSpec, quant: QuantSpec, workload: Workload, i: int, *, experts: bool = True
) -> int:
    lb = memory.layer_bytes(model, quant, i)
    w = lb.total if experts else lb.total - lb.routed_experts
    return w + memory.kv_cache_layer_bytes(model, workload, i)


# ---- Speed assembly ---------------------------------------------------------------------------------


@dataclass
class Timing:
    decode_s: float  # one step, batch 1
    decode_batch_s: float  # one step, all `batch` sequences
    prefill_s: float | None
    bytes_per_token: int = 0


def sequential_timing(
    stages: list[speed.Stage],
    workload: Workload,
    hops: list[tuple[float, float]],
    hidden: int,
    *,
    extra_prefill_s: float = 0.0,
) -> Timing:
    """Stages run one after another (layer split, offload, RPC): times add up, plus one hand-off per hop."""
    batch = workload.batch

    def step(b: int) -> float:
        t = sum(speed.decode_step_seconds(s, b) for s in stages)
        return t + sum(speed.transfer_seconds(b * hidden * ACTIVATION_BYTES, gb_s, lat) for gb_s, lat in hops)

    prefill: float | None = 0.0
    for s in stages:
        t = speed.prefill_seconds(s, workload.prompt_tokens, workload.ubatch_tokens)
        if t is None and s.backend == "cpu":
            t = 0.0  # RAM-resident weights: their prompt cost is `extra_prefill_s` (copied to the GPU)
        prefill = None if prefill is None or t is None else prefill + t
    if prefill is not None:
        prefill += extra_prefill_s + sum(
            speed.transfer_seconds(workload.prompt_tokens * hidden * ACTIVATION_BYTES, gb_s, lat)
            for gb_s, lat in hops
        )
    return Timing(
        decode_s=step(1),
        decode_batch_s=step(batch),
        prefill_s=prefill,
        bytes_per_token=len(hops) * hidden * ACTIVATION_BYTES,
    )


def _plan(
    strategy: str,
    usages: list[DeviceUsage],
    timing: Timing,
    workload: Workload,
    *,
    notes: tuple[str, ...] = (),
    warnings: tuple[str, ...] = (),
    parallel_replicas: int = 1,
    **extra: object,
) -> Plan:
    decode = 1 / timing.decode_s
    aggregate = workload.batch / timing.decode_batch_s * parallel_replicas
    prefill = workload.prompt_tokens / timing.prefill_s if timing.prefill_s else None
    ttft = timing.prefill_s + timing.decode_s if timing.prefill_s is not None else None
    d_low, d_high = speed.speed_range(decode, speed.DECODE_ERROR_P10, speed.DECODE_ERROR_P90)
    p_low, p_high = speed.speed_range(prefill, speed.PREFILL_ERROR_P10, speed.PREFILL_ERROR_P90)
    tight = [u.name for u in usages if u.tight]
    if tight:
        warnings = (*warnings, f"Less than 10% stays free on {', '.join(tight)}: latency creeps up there.")
    return Plan(
        strategy=strategy,
        devices=tuple(usages),
        decode_tok_s=decode,
        prefill_tok_s=prefill,
        ttft_s=ttft,
        notes=notes,
        decode_tok_s_aggregate=aggregate,
        decode_tok_s_low=d_low,
        decode_tok_s_high=d_high,
        prefill_tok_s_low=p_low,
        prefill_tok_s_high=p_high,
        interconnect_bytes_per_token=timing.bytes_per_token,
        warnings=warnings,
        terms=STRATEGY_TERMS[strategy],
        **extra,
    )


# ---- Strategies -------------------------------------------------------------------------------------


def best_single_device(devices: list[DeviceSpec]) -> DeviceSpec:
    return max(devices, key=lambda d: (d.usable_bytes, d.bandwidth_gb_s))


def single(*, model: ModelSpec, quant: QuantSpec, workload: Workload, devices: list[DeviceSpec]) -> Plan:
    """The whole model on the largest device of the rig."""
    device = best_single_device(devices)
    p = Placement(device, list(range(model.num_hidden_layers)), holds_output=True, holds_embedding=True)
    usage, stage = usage_and_stage(model=model, quant=quant, workload=workload, p=p)
    timing = sequential_timing([stage], workload, [], model.hidden_size)
    notes = ()
    if len(devices) > 1:
        notes = (f"Uses one {device.name}; the other {len(devices) - 1} device(s) stay free.",)
    return _plan("single", [usage], timing, workload, notes=notes, gpu_layers=model.num_hidden_layers + 1)


def _pipeline(
    model: ModelSpec, quant: QuantSpec, workload: Workload, devices: list[DeviceSpec], hosts: list[int]
) -> tuple[list[DeviceUsage], list[speed.Stage], list[int], list[float]]:
    n = len(devices)
    free = [
        _free_for_layers(model, quant, workload, d, holds_output=i == n - 1, multi_gpu=n > 1)
        for i, d in enumerate(devices)
    ]
    counts = split_layers(model, free)
    usages, stages, start = [], [], 0
    for i, (device, k) in enumerate(zip(devices, counts, strict=True)):
        p = Placement(
            device,
            list(range(start, start + k)),
            holds_output=i == n - 1,
            holds_embedding=i == 0,
            host=hosts[i],
        )
        label = device.name if max(hosts) == 0 else f"{device.name} (host {hosts[i] + 1})"
        u, s = usage_and_stage(
            model=model, quant=quant, workload=workload, p=p, multi_gpu=True, pipeline=True, label=label
        )
        usages.append(u)
        stages.append(s)
        start += k
    total = sum(free) or 1
    return usages, stages, counts, [round(f / total, 3) for f in free]


def layer_split(*, model: ModelSpec, quant: QuantSpec, workload: Workload, devices: list[DeviceSpec]) -> Plan:
    """llama.cpp `--split-mode layer`: consecutive layers per device, in proportion to free memory."""
    usages, stages, counts, ratios = _pipeline(model, quant, workload, devices, [0] * len(devices))
    hops = [link(workload)] * (len(devices) - 1)
    timing = sequential_timing(stages, workload, hops, model.hidden_size)
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
        workload,
        notes=notes,
        warnings=warnings,
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


def tensor_parallel(
    *, model: ModelSpec, quant: QuantSpec, workload: Workload, devices: list[DeviceSpec]
) -> Plan:
    """Every matrix sharded over identical GPUs; two all-reduces per layer cross the link each step."""
    tp = tensor_parallel_size(model, len(devices))
    used = devices[:tp]
    usages, stages = [], []
    for i, device in enumerate(used):
        p = Placement(device, list(range(model.num_hidden_layers)), holds_output=True, holds_embedding=True)
        u, s = usage_and_stage(
            model=model,
            quant=quant,
            workload=workload,
            p=p,
            tp=tp,
            multi_gpu=True,
            label=f"{device.name} (rank {i})",
        )
        usages.append(u)
        stages.append(s)
    gb_s, lat = link(workload)
    h, layers, batch = model.hidden_size, model.num_hidden_layers, workload.batch
    syncs = SYNCS_PER_LAYER.get(workload.runtime, LLAMA_CPP_ROW_SYNCS_PER_LAYER)

    def step(b: int) -> float:
        compute = max(speed.decode_step_seconds(s, b) for s in stages)
        return compute + syncs * layers * speed.ring_all_reduce_seconds(
            b * h * ALL_REDUCE_BYTES, tp, gb_s, lat
        )

    prefill = None
    t_prefill = [speed.prefill_seconds(s, workload.prompt_tokens, workload.ubatch_tokens) for s in stages]
    if all(t is not None for t in t_prefill):
        prefill = max(t_prefill) + syncs * layers * speed.ring_all_reduce_seconds(  # type: ignore[type-var]
            workload.prompt_tokens * h * ALL_REDUCE_BYTES, tp, gb_s, lat
        )
    per_token_bytes = int(syncs * layers * 2 * (tp - 1) / tp * h * ALL_REDUCE_BYTES)
    timing = Timing(
        decode_s=step(1), decode_batch_s=step(batch), prefill_s=prefill, bytes_per_token=per_token_bytes
    )
    all_reduce_s = syncs * layers * speed.ring_all_reduce_seconds(h * ALL_REDUCE_BYTES, tp, gb_s, lat)
    notes = [f"{tp} GPUs each hold 1/{tp} of every matrix and read it in parallel."]
    warnings = []
    if not workload.nvlink:
        warnings.append(
            f"Tensor parallel over PCIe: {syncs * layers} all-reduces per token take {all_reduce_s * 1e3:.1f} ms "
            f"of each {timing.decode_s * 1e3:.1f} ms step; NVLink cuts that."
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
    if workload.runtime != "vllm":
        warnings.append(
            "llama.cpp's --split-mode row syncs after every split matrix; vLLM's tensor "
            "parallel needs two all-reduces per layer."
        )
    warnings.append("If any one GPU fails, the whole model stops.")
    return _plan(
        "tensor_parallel",
        usages,
        timing,
        workload,
        notes=tuple(notes),
        warnings=tuple(warnings),
        gpu_layers=model.num_hidden_layers + 1,
        tensor_parallel_size=tp,
    )


def replicas(*, model: ModelSpec, quant: QuantSpec, workload: Workload, devices: list[DeviceSpec]) -> Plan:
    """One full copy per device; requests spread over them for N× aggregate throughput."""
    n = len(devices)
    per_replica = max(1, -(-workload.batch // n))
    w = workload.model_copy(update={"batch": per_replica})
    usages, stages = [], []
    for i, device in enumerate(devices):
        p = Placement(device, list(range(model.num_hidden_layers)), holds_output=True, holds_embedding=True)
        u, s = usage_and_stage(
            model=model, quant=quant, workload=w, p=p, label=f"{device.name} (copy {i + 1})"
        )
        usages.append(u)
        stages.append(s)
    slowest = max(stages, key=lambda s: speed.decode_step_seconds(s, 1))
    single_s = speed.decode_step_seconds(slowest, 1)
    aggregate = sum(per_replica / speed.decode_step_seconds(s, per_replica) for s in stages)
    prefill = speed.prefill_seconds(slowest, workload.prompt_tokens, workload.ubatch_tokens)
    timing = Timing(decode_s=single_s, decode_batch_s=workload.batch / aggregate, prefill_s=prefill)
    notes = (
        f"{n} independent copies, {per_replica} sequence(s) each: {n}× the aggregate throughput, "
        "the same single-stream speed.",
    )
    warnings = ("Needs a router in front (one server per GPU, or vLLM's data parallel).",)
    return _plan(
        "replicas",
        usages,
        timing,
        workload,
        notes=notes,
        warnings=warnings,
        gpu_layers=model.num_hidden_layers + 1,
        replicas=n,
    )


def _fill_gpus(
    model: ModelSpec,
    quant: QuantSpec,
    workload: Workload,
    devices: list[DeviceSpec],
    costs: dict[int, int],
    order: list[int],
) -> list[list[int]]:
    """Greedy: hand layers in `order` to each device until its free memory runs out."""
    out: list[list[int]] = [[] for _ in devices]
    budgets = [
        _free_for_layers(model, quant, workload, d, holds_output=False, multi_gpu=len(devices) > 1)
        for d in devices
    ]
    di = 0
    for i in order:
        while di < len(devices) and budgets[di] < costs[i]:
            di += 1
        if di == len(devices):
            break
        out[di].append(i)
        budgets[di] -= costs[i]
    return out


def cpu_offload(*, model: ModelSpec, quant: QuantSpec, workload: Workload, devices: list[DeviceSpec]) -> Plan:
    """llama.cpp `-ngl N`: the last N layers on the GPUs, the first ones (and the head) in system RAM."""
    n = model.num_hidden_layers
    costs = {i: _layer_cost(model, quant, workload, i) for i in range(n)}
    # llama.cpp offloads the *last* ngl layers; fill GPUs from the end, then keep device order.
    gpu_layers = _fill_gpus(model, quant, workload, devices, costs, list(range(n - 1, -1, -1)))
    on_gpu = sorted(i for group in gpu_layers for i in group)
    ngl = len(on_gpu)
    # give each device a contiguous block of the last ngl layers, in device order
    sizes = [len(g) for g in gpu_layers]
    cpu_layers = [i for i in range(n) if i not in set(on_gpu)]
    usages, stages, start = [], [], n - ngl
    for device, k in zip(devices, sizes, strict=True):
        if not k:
            continue
        p = Placement(device, list(range(start, start + k)))
        u, s = usage_and_stage(model=model, quant=quant, workload=workload, p=p, multi_gpu=len(devices) > 1)
        usages.append(u)
        stages.append(s)
        start += k
    host, host_stage = host_usage_and_stage(
        model=model, quant=quant, workload=workload, layers=cpu_layers, expert_layers=[], holds_output=True
    )
    gb_s, lat = link(workload)
    hops = [(gb_s, lat)] * len(stages)  # CPU → first GPU, GPU → GPU
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


def expert_offload(
    *, model: ModelSpec, quant: QuantSpec, workload: Workload, devices: list[DeviceSpec]
) -> Plan:
    """MoE: attention, shared weights and KV on the GPUs; routed experts of the first N layers in RAM
    (llama.cpp `--n-cpu-moe N`, i.e. `-ot "blk\\.(0..N-1)\\.ffn_.*_exps=CPU"`)."""
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
    counts = split_layers(model, free)
    groups, start = [], 0
    for k in counts:
        groups.append(list(range(start, start + k)))
        start += k
    offloaded: set[int] = set(moe_layers)
    for device_i, group in enumerate(groups):
        budget = free[device_i] - sum(_layer_cost(model, quant, workload, i, experts=False) for i in group)
        # experts of the last layers stay on the GPU (--n-cpu-moe moves the first N)
        for i in sorted((i for i in group if i in offloaded), reverse=True):
            cost = memory.layer_bytes(model, quant, i).routed_experts
            if budget < cost:
                break
            budget -= cost
            offloaded.discard(i)
    usages, stages = [], []
    for device_i, (device, group) in enumerate(zip(devices, groups, strict=True)):
        p = Placement(
            device,
            group,
            holds_output=device_i == len(devices) - 1,
            holds_embedding=device_i == 0,
            experts_elsewhere=offloaded & set(group),
        )
        u, s = usage_and_stage(
            model=model,
            quant=quant,
            workload=workload,
            p=p,
            multi_gpu=len(devices) > 1,
            pipeline=len(devices) > 1,
        )
        usages.append(u)
        stages.append(s)
    n_cpu_moe = len(offloaded)
    host, host_stage = host_usage_and_stage(
        model=model,
        quant=quant,
        workload=workload,
        layers=[],
        expert_layers=sorted(offloaded),
        holds_output=False,
    )
    gb_s, lat = link(workload)
    # each offloaded layer hands its activations to the CPU and back
    hops = [(gb_s, lat)] * (2 * n_cpu_moe + len(devices) - 1)
    extra = _offloaded_prefill_s(
        host.weights_bytes - host.tensors.get("embedding", 0), host_stage, workload, gb_s
    )
    timing = sequential_timing(
        [*stages, host_stage], workload, hops, model.hidden_size, extra_prefill_s=extra
    )
    notes = (
        f"--n-cpu-moe {n_cpu_moe}: routed experts of {n_cpu_moe} of {len(moe_layers)} MoE layers in RAM; "
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


def rpc_cluster(*, model: ModelSpec, quant: QuantSpec, workload: Workload, devices: list[DeviceSpec]) -> Plan:
    """llama.cpp `--rpc`: layers over the GPUs of several machines, activations over the network."""
    hosts = workload.hosts
    all_devices = [d for _ in range(hosts) for d in devices]
    host_of = [h for h in range(hosts) for _ in devices]
    usages, stages, counts, ratios = _pipeline(model, quant, workload, all_devices, host_of)
    gpu_link, net = link(workload), network(workload)
    hops = [net if host_of[i] != host_of[i + 1] else gpu_link for i in range(len(all_devices) - 1)]
    # every remote device costs one RPC round trip per step (graph_compute is a blocking call)
    remote = sum(1 for h in host_of if h != 0)
    hops += [(net[0], net[1])] * remote
    timing = sequential_timing(stages, workload, hops, model.hidden_size)
    timing.bytes_per_token = (hosts - 1) * model.hidden_size * ACTIVATION_BYTES
    net_gb_s, net_lat = net
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


def summary(plan: Plan) -> str:
    worst = max(plan.devices, key=lambda d: d.used_bytes + d.headroom_bytes - d.capacity_bytes)
    if plan.fits:
        return f"{plan.strategy}: {format_rate(plan.decode_tok_s)} tok/s"
    short = worst.used_bytes + worst.headroom_bytes - worst.capacity_bytes
    return f"{plan.strategy}: {worst.name} is {format_bytes(short)} short"
