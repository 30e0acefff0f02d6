"""Plans: one builder per strategy, from its layout (layouts.py), the memory of each device there
(device_memory.py) and the time of each stage (timing.py).

Each builder returns a `Plan` with per-device memory (never summed across devices), single-stream and
aggregate decode speed, prefill speed, time to first token, the bytes that cross links per token, and
the plan's warnings. Ranking and the recommendation live in ranking.py.
"""

from . import memory, speed
from .admission import Admission, vllm_admission
from .device_memory import host_usage_and_stage, ram_bandwidth, usage_and_stage
from .layouts import (
    cpu_offload_layout,
    expert_offload_layout,
    layer_split_layout,
    replicas_layout,
    rpc_cluster_layout,
    sequences_per_replica,
    single_layout,
    tensor_parallel_layout,
)
from .schema import DeviceSpec, DeviceUsage, ModelSpec, Plan, QuantSpec, Workload
from .slots import Layout, work_key
from .strategies import STRATEGIES
from .timing import (
    ACTIVATION_BYTES,
    SYNCS_PER_LAYER,
    Hop,
    Timing,
    all_reduces_seconds,
    link,
    network,
    nvlinked,
    offloaded_prefill_seconds,
    runtime_step_seconds,
    sequential_timing,
    single_speed_class,
    tensor_parallel_timing,
)

# `run_layout`'s devices already computed, by `work_key`: shared by the plans of one question
Reuse = dict[tuple, tuple[DeviceUsage, speed.Stage, Workload]] | None
# Said only at batch 1: with several users in flight, each stage works on another user's token.
BUBBLE = "Pipeline bubble at batch 1: only one GPU works at any moment."


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


def run_layout(
    layout: Layout, *, model: ModelSpec, quant: QuantSpec, workload: Workload, reuse: Reuse = None
) -> tuple[list[DeviceUsage], list[speed.Stage]]:
    """Memory and speed stage of each GPU slot, in order. Slots that hold the same kind of layers on equal
    devices (tensor-parallel ranks, replicas, the middle devices of a layer split: `work_key`) are
    computed once and share one `Stage` object. `reuse`, a dict the caller passes to every builder of
    one question (same model and format), carries them from one plan to the next: a single device and
    the first of its replicas are the same slot."""
    usages, stages = [], []
    classes = memory.layer_classes(model)
    done = {} if reuse is None else reuse
    for s in layout.slots:
        key = work_key(s, classes, workload)
        if (hit := done.get(key)) is not None:
            u, st, _ = hit
            name = s.label or s.p.device.name
            if u.name != name:
                u = u.model_copy(update={"name": name})
        else:
            u, st = usage_and_stage(
                model=model,
                quant=quant,
                workload=s.workload or workload,
                p=s.p,
                tp=s.tp,
                multi_gpu=s.multi_gpu,
                pipeline=s.pipeline,
                label=s.label,
            )
            # the workload rides along: `work_key` holds its id, which must not be reused while kept
            done[key] = (u, st, s.workload or workload)
        usages.append(u)
        stages.append(st)
    return usages, stages


def _distinct(stages: list[speed.Stage]) -> list[speed.Stage]:
    """The stages without repeats of one object (equal devices share one: `run_layout`), in order."""
    return list({id(s): s for s in stages}.values())


def single(
    *, model: ModelSpec, quant: QuantSpec, workload: Workload, devices: list[DeviceSpec], reuse: Reuse = None
) -> Plan:
    """The whole model on the largest device of the rig."""
    layout = single_layout(model=model, quant=quant, workload=workload, devices=devices)
    device = layout.slots[0].p.device
    [usage], stages = run_layout(layout, model=model, quant=quant, workload=workload, reuse=reuse)
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


def layer_split(
    *, model: ModelSpec, quant: QuantSpec, workload: Workload, devices: list[DeviceSpec], reuse: Reuse = None
) -> Plan:
    """llama.cpp `--split-mode layer`: consecutive layers per device, in proportion to free memory."""
    layout = layer_split_layout(model=model, quant=quant, workload=workload, devices=devices)
    usages, stages = run_layout(layout, model=model, quant=quant, workload=workload, reuse=reuse)
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
        *(BUBBLE,) * (workload.batch == 1),
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


def tensor_parallel(
    *, model: ModelSpec, quant: QuantSpec, workload: Workload, devices: list[DeviceSpec], reuse: Reuse = None
) -> Plan:
    """Every matrix sharded over identical GPUs; two all-reduces per layer cross the link each step."""
    layout = tensor_parallel_layout(model=model, quant=quant, workload=workload, devices=devices)
    tp = layout.tp
    usages, stages = run_layout(layout, model=model, quant=quant, workload=workload, reuse=reuse)
    timed, admission = vllm_admission(model, workload, layout, usages)
    # The ranks are equal and share one Stage object (run_layout); the timing takes the slowest rank,
    # and a max over copies of one value is that value: time each distinct stage once.
    timing = tensor_parallel_timing(_distinct(stages), model=model, workload=timed, tp=tp, devices=devices)
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


def replicas(
    *, model: ModelSpec, quant: QuantSpec, workload: Workload, devices: list[DeviceSpec], reuse: Reuse = None
) -> Plan:
    """One full copy per device; requests spread over them for N× aggregate throughput."""
    n = len(devices)
    layout = replicas_layout(model=model, quant=quant, workload=workload, devices=devices)
    usages, stages = run_layout(layout, model=model, quant=quant, workload=workload, reuse=reuse)
    timed, admission = vllm_admission(model, workload, layout, usages, replicas=True)
    per_replica = sequences_per_replica(timed, n)
    depth, context = workload.prompt_tokens, workload.context_tokens
    # copies on equal devices share one Stage object (run_layout): time each distinct one once
    distinct = _distinct(stages)
    one = {id(s): speed.decode_step_seconds(s, 1, depth) for s in distinct}
    slowest = max(stages, key=lambda s: one[id(s)])
    extra = runtime_step_seconds(workload)
    single_s = one[id(slowest)] + extra
    # copies of `per_replica` sequences each, less the empty seats when `batch` does not divide by n
    seated = min(1.0, timed.batch / (per_replica * n))
    full = (
        one
        if per_replica == 1
        else {id(s): speed.decode_step_seconds(s, per_replica, depth) for s in distinct}
    )
    aggregate = seated * sum(per_replica / (full[id(s)] + extra) for s in stages)
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


def cpu_offload(
    *, model: ModelSpec, quant: QuantSpec, workload: Workload, devices: list[DeviceSpec], reuse: Reuse = None
) -> Plan:
    """llama.cpp `-ngl N`: the last N layers on the GPUs, the first ones (and the head) in system RAM."""
    n = model.num_hidden_layers
    layout = cpu_offload_layout(model=model, quant=quant, workload=workload, devices=devices)
    assert layout.host is not None
    cpu_layers = layout.host.layers
    ngl = n - len(cpu_layers)
    usages, stages = run_layout(layout, model=model, quant=quant, workload=workload, reuse=reuse)
    host, host_stage = host_usage_and_stage(
        model=model, quant=quant, workload=workload, layers=cpu_layers, expert_layers=[], holds_output=True
    )
    gb_s, lat = link(workload, devices)
    hops = [Hop(gb_s, lat)] + [Hop(gb_s, lat, speed.handoff_seconds(s)) for s in stages[:-1]]
    host_weights = host.weights_bytes - host.tensors.get("embedding", 0)
    extra = offloaded_prefill_seconds(host_weights, host_stage, workload, gb_s)
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


def expert_offload(
    *,
    model: ModelSpec,
    quant: QuantSpec,
    workload: Workload,
    devices: list[DeviceSpec],
    cpu_moe_layers: int | None = None,
    reuse: Reuse = None,
) -> Plan:
    """MoE: attention, shared weights and KV on the GPUs; routed experts of the first N layers in RAM
    (llama.cpp `--n-cpu-moe N`, i.e. `-ot "blk\\.(0..N-1)\\.ffn_.*_exps=CPU"`), whichever GPUs those
    layers are on; `tensor_split` gives each GPU its layers (`expert_offload_layout`)."""
    n = model.num_hidden_layers
    c = memory.tensor_classes(model)
    moe_layers = list(range(c.dense_layers, n))
    layout = expert_offload_layout(
        model=model, quant=quant, workload=workload, devices=devices, cpu_moe_layers=cpu_moe_layers
    )
    assert layout.host is not None
    offloaded = layout.host.expert_layers
    usages, stages = run_layout(layout, model=model, quant=quant, workload=workload, reuse=reuse)
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
    extra = offloaded_prefill_seconds(
        host.weights_bytes - host.tensors.get("embedding", 0), host_stage, workload, gb_s
    )
    timing = sequential_timing(
        [*stages, host_stage], workload, hops, model.hidden_size, extra_prefill_s=extra
    )
    notes = (
        f"--n-cpu-moe {n_cpu_moe}: routed experts of {len(offloaded)} of {len(moe_layers)} MoE layers in RAM; "
        f"each token reads only {c.experts_per_tok} of {c.experts} experts there.",
    )
    if len(devices) > 1:
        where = (
            f"; the experts in RAM are those of layers 0–{n_cpu_moe - 1}, on the first GPUs"
            if offloaded
            else ""
        )
        ts = ",".join(f"{r:g}" for r in layout.ratios)
        notes = (
            *notes,
            f"Layers {' + '.join(map(str, layout.counts))} over the GPUs in order (-ts {ts}: the output head "
            f"is one more on the last GPU){where}.",
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
        tensor_split=tuple(layout.ratios),
    )


def rpc_cluster(
    *, model: ModelSpec, quant: QuantSpec, workload: Workload, devices: list[DeviceSpec], reuse: Reuse = None
) -> Plan:
    """llama.cpp `--rpc`: layers over the GPUs of several machines, activations over the network."""
    hosts = workload.hosts
    all_devices = [d for _ in range(hosts) for d in devices]
    host_of = [h for h in range(hosts) for _ in devices]
    layout = rpc_cluster_layout(model=model, quant=quant, workload=workload, devices=devices)
    usages, stages = run_layout(layout, model=model, quant=quant, workload=workload, reuse=reuse)
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
        *(BUBBLE,) * (workload.batch == 1),
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
