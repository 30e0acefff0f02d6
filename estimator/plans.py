"""Plans: one builder per strategy, from its layout (layouts.py), the memory of each device there
(device_memory.py) and the time of each stage (timing.py).

Each builder returns a `Plan` with per-device memory (never summed across devices), single-stream and
aggregate decode speed, prefill speed, time to first token, the bytes that cross links per token, and
the plan's warnings. Ranking and the recommendation live in ranking.py. A builder given its `layout`
(laid out already by a caller that checked its memory first: `ranking.candidate_plans`) uses it.
"""

from . import fixed_costs, memory, prefill, ranges, speed
from .admission import Admission, admit, ollama_admission
from .device_memory import host_usage_and_stage, ram_bandwidth, usage_and_stage
from .layouts import (
    cpu_offload_layout,
    expert_offload_layout,
    layer_split_layout,
    pipeline_parallel_layout,
    replicas_layout,
    rpc_cluster_layout,
    rpc_hosts,
    sequences_per_replica,
    single_layout,
    tensor_parallel_layout,
)
from .schema import DeviceSpec, DeviceUsage, ModelSpec, Plan, QuantSpec, Reason, Workload
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
    pipeline_parallel_timing,
    runtime_step,
    sequential_timing,
    single_speed_class,
    step_parts,
    tensor_parallel_timing,
)

# `run_layout`'s devices already computed, by `work_key`: shared by the plans of one question
Reuse = dict[tuple, tuple[DeviceUsage, speed.Stage, Workload]] | None
# Said only where one sequence runs at a time: with several in flight, each stage works on another's token.
BUBBLE = Reason(code="pipeline_bubble")
STOPS_ALL = Reason(code="one_gpu_stops_all")
RAM_ASSUMED = Reason(code="ram_bandwidth_assumed", values={"ram_gb_s": speed.DEFAULT_RAM_BANDWIDTH_GB_S})


def _more_room(strategy: str, extra: dict) -> dict[str, int]:
    """Where an offload plan packs a GPU past the 10% line, the flag that leaves more room there: one
    more layer's experts in RAM (--n-cpu-moe), one layer fewer on the GPUs (-ngl), at a little speed."""
    n_cpu_moe, ngl = extra.get("n_cpu_moe"), extra.get("gpu_layers")
    if (
        strategy == "expert_offload"
        and isinstance(n_cpu_moe, int)
        and isinstance(ngl, int)
        and n_cpu_moe < ngl - 1
    ):
        return {"n_cpu_moe": n_cpu_moe + 1}
    if strategy == "cpu_offload" and isinstance(ngl, int) and ngl > 1:
        return {"ngl": ngl - 1}
    return {}


def _plan(
    strategy: str,
    usages: list[DeviceUsage],
    timing: Timing,
    workload: Workload,
    *,
    notes: tuple[Reason, ...] = (),
    warnings: tuple[Reason, ...] = (),
    admission: Admission | None = None,
    **extra: object,
) -> Plan:
    """`workload` is the one the timing ran: only the sequences the runtime admits at once (`admit`)."""
    decode = 1 / timing.decode_s
    at_context = 1 / timing.decode_context_s if timing.decode_context_s else None
    aggregate = workload.batch / timing.decode_batch_s
    # the same sequences, each with the whole context cached: every one reads its own KV cache in each step
    full = timing.decode_batch_context_s
    aggregate_at_context = workload.batch / full if full else None
    prefill_tok_s = workload.prompt_tokens / timing.prefill_s if timing.prefill_s else None
    queue = 0.0
    if admission is not None:
        extra.update(kv_capacity_tokens=admission.capacity_tokens, max_concurrency=admission.concurrency)
        if admission.waiting and timing.prefill_s is not None:
            # the first waiting request starts when the running ones, started together, reach the context.
            # Each step reads the KV cache so far, so it grows about linearly with the tokens cached: an answer
            # that fills the context takes the mean of the batch's first step and its last, every running
            # sequence's cache full (`decode_batch_context_s`). A visitor review: Qwen3-VL 30B-A3B under Ollama
            # on a 3090 at 32,768 tokens waited "about 3.9 min", its 137 tok/s of the start, where the same
            # page decodes 85.5 at the full context (~5 min).
            answer = workload.context_tokens - workload.prompt_tokens
            last = timing.decode_batch_context_s or timing.decode_batch_s
            queue = timing.prefill_s + answer * (timing.decode_batch_s + last) / 2
        if admission.waiting:
            warnings = (*warnings, admission.warning(workload, queue))
    # The prefill pass itself yields the first token: no decode step is added
    ttft = queue + timing.prefill_s if timing.prefill_s is not None else None
    d_low, d_high = ranges.speed_range(decode, timing.speed_class)
    c_low, c_high = ranges.speed_range(at_context, timing.speed_class)
    p_low, p_high = ranges.speed_range(prefill_tok_s, "prefill")
    tight = [u.name for u in usages if u.tight]
    if tight:
        # the way out moves weights to system RAM: only where no tight device is that RAM
        room = _more_room(strategy, extra) if all(u.kind == "gpu" for u in usages if u.tight) else {}
        warnings = (*warnings, Reason(code="tight", values={"devices": tuple(tight), **room}))
    return Plan(
        strategy=strategy,
        devices=tuple(usages),
        decode_tok_s=decode,
        prefill_tok_s=prefill_tok_s,
        ttft_s=ttft,
        queue_s=queue,
        notes=notes,
        decode_tok_s_aggregate=aggregate,
        decode_tok_s_low=d_low,
        decode_tok_s_high=d_high,
        decode_tok_s_at_context=at_context,
        decode_tok_s_at_context_low=c_low,
        decode_tok_s_at_context_high=c_high,
        decode_tok_s_aggregate_at_context=aggregate_at_context,
        prefill_tok_s_low=p_low,
        prefill_tok_s_high=p_high,
        interconnect_bytes_per_token=timing.bytes_per_token,
        decode_step_s=timing.decode_parts,
        warnings=warnings,
        terms=STRATEGIES[strategy].terms,
        **extra,
    )


def run_layout(
    layout: Layout, *, model: ModelSpec, quant: QuantSpec, workload: Workload, reuse: Reuse = None
) -> tuple[list[DeviceUsage], list[speed.Stage]]:
    """Memory and speed stage of each GPU slot, in order. Slots that hold the same kind of layers on equal
    devices (tensor-parallel ranks, replicas, the middle devices of a layer split: `work_key`) are
    computed once and share one `Stage` object; a slot whose memory was checked already (`Layout.priced`)
    is not priced again. `reuse`, a dict the caller passes to every builder of
    one question (same model and format), carries them from one plan to the next: a single device and
    the first of its replicas are the same slot."""
    usages, stages = [], []
    classes = memory.layer_classes(model)
    done = {} if reuse is None else reuse
    for i, s in enumerate(layout.slots):
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
                priced=layout.memory_of(i, model, quant, s.workload or workload),
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
    *,
    model: ModelSpec,
    quant: QuantSpec,
    workload: Workload,
    devices: list[DeviceSpec],
    reuse: Reuse = None,
    layout: Layout | None = None,
    rank: int = 0,
) -> Plan:
    """The whole model on the largest device of the rig. `layout`: its `single_layout`, where the caller
    has priced it already (`ranking.best_plan`); `rank`: the plan's where the caller knows it, else 0."""
    if layout is None:
        layout = single_layout(model=model, quant=quant, workload=workload, devices=devices)
    device = layout.slots[0].p.device
    [usage], stages = run_layout(layout, model=model, quant=quant, workload=workload, reuse=reuse)
    timed, admission = admit(model, workload, layout, [usage])
    timing = sequential_timing(stages, timed, [], model.hidden_size)
    notes, used = (), ()
    if len(devices) > 1:
        notes = (Reason(code="one_of_several", values={"device": device.name, "others": len(devices) - 1}),)
        used = (next(i for i, d in enumerate(devices) if d is device),)
    return _plan(
        "single",
        [usage],
        timing,
        timed,
        notes=notes,
        admission=admission,
        gpu_layers=model.num_hidden_layers + 1,
        rank=rank,
        gpu_indices=used,
    )


def layer_split(
    *,
    model: ModelSpec,
    quant: QuantSpec,
    workload: Workload,
    devices: list[DeviceSpec],
    reuse: Reuse = None,
    layout: Layout | None = None,
) -> Plan:
    """llama.cpp `--split-mode layer`: consecutive layers per device, in proportion to free memory."""
    if layout is None:
        layout = layer_split_layout(model=model, quant=quant, workload=workload, devices=devices)
    usages, stages = run_layout(layout, model=model, quant=quant, workload=workload, reuse=reuse)
    timed, admission = admit(model, workload, layout, usages)
    counts, ratios = layout.counts, layout.ratios
    gb_s, lat = link(workload, devices)
    hops = [Hop(gb_s, lat, fixed_costs.handoff_seconds(s)) for s in stages[:-1]]
    timing = sequential_timing(
        stages, timed, hops, model.hidden_size, speed_class="multi_gpu", pipelined=True
    )
    notes = (Reason(code="layers_in_turn", values={"counts": tuple(counts)}),)
    warnings = (*(BUBBLE,) * (timed.batch == 1), STOPS_ALL)
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
    *,
    model: ModelSpec,
    quant: QuantSpec,
    workload: Workload,
    devices: list[DeviceSpec],
    reuse: Reuse = None,
    layout: Layout | None = None,
) -> Plan:
    """Every matrix sharded over identical GPUs; two all-reduces per layer cross the link each step."""
    if layout is None:
        layout = tensor_parallel_layout(model=model, quant=quant, workload=workload, devices=devices)
    tp = layout.tp
    usages, stages = run_layout(layout, model=model, quant=quant, workload=workload, reuse=reuse)
    timed, admission = admit(model, workload, layout, usages)
    # The ranks are equal and share one Stage object (run_layout); the timing takes the slowest rank,
    # and a max over copies of one value is that value: time each distinct stage once.
    timing = tensor_parallel_timing(_distinct(stages), model=model, workload=timed, tp=tp, devices=devices)
    all_reduce_s = all_reduces_seconds(model, workload, tp, 1, devices)
    notes = [Reason(code="tensor_shards", values={"tp": tp} | ({"mla": 1} if model.is_mla else {}))]
    more_notes, warnings = _sharding_reasons(model, workload, devices, tp, all_reduce_s, timing.decode_s)
    notes += more_notes
    if workload.runtime == "llama.cpp":
        warnings.append(Reason(code="tensor_split_experimental"))
    warnings.append(STOPS_ALL)
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
        gpu_indices=tuple(range(tp)) if tp < len(devices) else (),
    )


def _sharding_reasons(
    model: ModelSpec,
    workload: Workload,
    devices: list[DeviceSpec],
    tp: int,
    all_reduce_s: float,
    step_s: float,
) -> tuple[list[Reason], list[Reason]]:
    """What tensor parallel over `tp` of a machine's `devices` adds to a plan's notes and warnings: its
    all-reduces over PCIe (`all_reduce_s` of each `step_s`), KV heads copied to ranks beyond their count,
    MLA's cache kept whole on every rank, GPUs the heads leave out."""
    notes, warnings = [], []
    if tp > 1 and not nvlinked(workload, devices):
        over_pcie = {"all_reduces": SYNCS_PER_LAYER * model.num_hidden_layers}
        over_pcie |= {"all_reduce_s": all_reduce_s, "step_s": step_s}
        if all(d.nvlink for d in devices):  # cards with the connector (RTX 3090): a bridge would help
            over_pcie["bridge"] = 1
        warnings.append(Reason(code="all_reduce_over_pcie", values=over_pcie))
    if tp > model.num_key_value_heads and not model.is_mla:
        warnings.append(
            Reason(code="kv_heads_replicated", values={"tp": tp, "kv_heads": model.num_key_value_heads})
        )
    if model.is_mla and tp > 1:
        warnings.append(Reason(code="mla_not_split"))
    if tp < len(devices):
        left = {"left": len(devices) - tp, "heads": model.num_attention_heads, "gpus": len(devices)}
        notes.append(Reason(code="gpus_left_out", values=left))
    return notes, warnings


def replicas(
    *,
    model: ModelSpec,
    quant: QuantSpec,
    workload: Workload,
    devices: list[DeviceSpec],
    reuse: Reuse = None,
    layout: Layout | None = None,
) -> Plan:
    """One full copy per device; requests spread over them for N× aggregate throughput."""
    n = len(devices)
    if layout is None:
        layout = replicas_layout(model=model, quant=quant, workload=workload, devices=devices)
    usages, stages = run_layout(layout, model=model, quant=quant, workload=workload, reuse=reuse)
    timed, admission = admit(model, workload, layout, usages, replicas=True)
    per_replica = sequences_per_replica(timed, n)
    depth, context = workload.prompt_tokens, workload.context_tokens
    # copies on equal devices share one Stage object (run_layout): time each distinct one once
    distinct = _distinct(stages)
    parts = {id(s): speed.decode_step_parts(s, 1, depth) for s in distinct}
    one = {key: p.seconds for key, p in parts.items()}
    slowest = max(stages, key=lambda s: one[id(s)])
    single_s = runtime_step(one[id(slowest)], workload)
    seated = min(1.0, timed.batch / (per_replica * n))

    def aggregate(depth: int) -> float:
        """Decode of all the sequences together with `depth` tokens cached each: copies of `per_replica`
        sequences each, less the empty seats when `batch` does not divide by n."""
        steps = {id(s): speed.decode_step_seconds(s, per_replica, depth) for s in distinct}
        return seated * sum(per_replica / runtime_step(steps[id(s)], workload) for s in stages)

    timing = Timing(
        decode_s=single_s,
        decode_batch_s=timed.batch / aggregate(depth),
        prefill_s=prefill.prefill_seconds(slowest, workload.prompt_tokens, workload.ubatch_tokens),
        decode_context_s=runtime_step(speed.decode_step_seconds(slowest, 1, context), workload),
        decode_batch_context_s=timed.batch / aggregate(context),
        speed_class=single_speed_class([slowest]),
        decode_parts=step_parts([slowest], [parts[id(slowest)]], step_s=single_s),
    )
    notes = (Reason(code="copies", values={"copies": n, "sequences": per_replica}),)
    warnings = (Reason(code="needs_router"),)
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
    *,
    model: ModelSpec,
    quant: QuantSpec,
    workload: Workload,
    devices: list[DeviceSpec],
    reuse: Reuse = None,
    layout: Layout | None = None,
) -> Plan:
    """llama.cpp `-ngl N`: the head and the last N - 1 layers on the GPUs, the first ones in system RAM
    (cpu_offload_layout)."""
    n = model.num_hidden_layers
    if layout is None:
        layout = cpu_offload_layout(model=model, quant=quant, workload=workload, devices=devices)
    assert layout.host is not None
    cpu_layers = layout.host.layers
    on_gpus = n - len(cpu_layers)
    ngl = on_gpus + 1 if on_gpus else 0  # -ngl counts the output head
    usages, stages = run_layout(layout, model=model, quant=quant, workload=workload, reuse=reuse)
    host, host_stage = host_usage_and_stage(
        model=model,
        quant=quant,
        workload=workload,
        layers=cpu_layers,
        expert_layers=[],
        holds_output=layout.host.holds_output,
    )
    timed, admission = ollama_admission(model, workload)
    gb_s, lat = link(workload, devices)
    hops = [Hop(gb_s, lat)] + [Hop(gb_s, lat, fixed_costs.handoff_seconds(s)) for s in stages[:-1]]
    host_weights = host.weights_bytes - host.tensors.get("embedding", 0)
    extra = offloaded_prefill_seconds(host_weights, host_stage, workload, gb_s)
    timing = sequential_timing([host_stage, *stages], timed, hops, model.hidden_size, extra_prefill_s=extra)
    share = len(cpu_layers) / n
    notes = (
        Reason(code="ngl", values={"ngl": ngl, "on_gpus": on_gpus, "layers": n, "in_ram": len(cpu_layers)}),
    )
    # what those layers' reads take of a token's step, said beside their share (a visitor review: "8% of the
    # layers ... they dominate each token's time" where they took 24% of it)
    in_ram_s = (timing.decode_parts or {}).get("weights_ram", 0.0)
    values = {"share": share, "ram_gb_s": ram_bandwidth(workload), "time_share": in_ram_s / timing.decode_s}
    warnings = (Reason(code="layers_in_ram", values=values),)
    if workload.ram_bandwidth_gb_s is None:
        warnings = (*warnings, RAM_ASSUMED)
    return _plan(
        "cpu_offload",
        [*usages, host],
        timing,
        timed,
        notes=notes,
        warnings=warnings,
        admission=admission,
        gpu_layers=ngl,
        tensor_split=tuple(layout.ratios),
    )


def expert_offload(
    *,
    model: ModelSpec,
    quant: QuantSpec,
    workload: Workload,
    devices: list[DeviceSpec],
    cpu_moe_layers: int | None = None,
    reuse: Reuse = None,
    layout: Layout | None = None,
) -> Plan:
    """MoE: attention, shared weights and KV on the GPUs; routed experts of the first N layers in RAM
    (llama.cpp `--n-cpu-moe N`, i.e. `-ot "blk\\.(0..N-1)\\.ffn_.*_exps=CPU"`), whichever GPUs those
    layers are on; `tensor_split` gives each GPU its layers (`expert_offload_layout`)."""
    n = model.num_hidden_layers
    c = memory.tensor_classes(model)
    moe_layers = list(range(c.dense_layers, n))
    if layout is None:
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
        Hop(gb_s, lat, fixed_costs.handoff_seconds(s)) for s in stages[:-1]
    ]
    extra = offloaded_prefill_seconds(
        host.weights_bytes - host.tensors.get("embedding", 0), host_stage, workload, gb_s
    )
    timed, admission = ollama_admission(model, workload)
    timing = sequential_timing([*stages, host_stage], timed, hops, model.hidden_size, extra_prefill_s=extra)
    moe = {"n_cpu_moe": n_cpu_moe, "in_ram": len(offloaded), "moe_layers": len(moe_layers)}
    moe |= {"experts_per_tok": c.experts_per_tok, "experts": c.experts}
    notes = (Reason(code="n_cpu_moe", values=moe),)
    if len(devices) > 1:
        spread = {"counts": tuple(layout.counts), "ratios": tuple(layout.ratios)}
        if offloaded:
            spread["n_cpu_moe"] = n_cpu_moe
        notes = (*notes, Reason(code="expert_layers_over_gpus", values=spread))
    warnings = (Reason(code="experts_in_ram", values={"ram_gb_s": ram_bandwidth(workload)}),)
    if workload.ram_bandwidth_gb_s is None:
        warnings = (*warnings, RAM_ASSUMED)
    return _plan(
        "expert_offload",
        [*usages, host],
        timing,
        timed,
        notes=notes,
        warnings=warnings,
        admission=admission,
        gpu_layers=n + 1,
        n_cpu_moe=n_cpu_moe,
        tensor_split=tuple(layout.ratios),
    )


def rpc_cluster(
    *, model: ModelSpec, quant: QuantSpec, workload: Workload, devices: list[DeviceSpec], reuse: Reuse = None
) -> Plan:
    """llama.cpp `--rpc`: layers over the GPUs of several machines, activations over the network."""
    hosts = workload.hosts
    host_of = rpc_hosts(workload, devices)
    layout = rpc_cluster_layout(model=model, quant=quant, workload=workload, devices=devices)
    usages, stages = run_layout(layout, model=model, quant=quant, workload=workload, reuse=reuse)
    counts, ratios = layout.counts, layout.ratios
    gpu_link, net = Hop(*link(workload, devices)), Hop(*network(workload))
    hops = [
        (net if host_of[i] != host_of[i + 1] else gpu_link)._replace(
            handoff_s=fixed_costs.handoff_seconds(stages[i])
        )
        for i in range(len(host_of) - 1)
    ]
    # every remote device costs one RPC request per step (graph_compute is a blocking call)
    remote = sum(1 for h in host_of if h != 0)
    hops += [net._replace(handoff_s=fixed_costs.RPC_REMOTE_STEP_SECONDS)] * remote
    timed, admission = ollama_admission(model, workload)
    timing = sequential_timing(
        stages, timed, hops, model.hidden_size, speed_class="multi_gpu", pipelined=True
    )
    timing.bytes_per_token = (hosts - 1) * model.hidden_size * ACTIVATION_BYTES
    net_gb_s, net_lat = net.gb_s, net.latency_us
    notes = (
        Reason(code="rpc_layers", values={"hosts": hosts, "gpus": len(host_of), "counts": tuple(counts)}),
        Reason(code="network", values={"gb_s": net_gb_s, "latency_us": net_lat}),
    )
    warnings = (
        Reason(code="weights_cross_network"),
        *(BUBBLE,) * (timed.batch == 1),
        Reason(code="one_machine_stops_all"),
    )
    return _plan(
        "rpc_cluster",
        usages,
        timing,
        timed,
        notes=notes,
        warnings=warnings,
        admission=admission,
        gpu_layers=model.num_hidden_layers + 1,
        tensor_split=tuple(ratios),
        pipeline_parallel_size=len(host_of),
    )


def pipeline_parallel(
    *, model: ModelSpec, quant: QuantSpec, workload: Workload, devices: list[DeviceSpec], reuse: Reuse = None
) -> Plan:
    """vLLM's and SGLang's way over several machines: tensor parallel over each machine's GPUs, one pipeline
    stage per machine (`pipeline_parallel_layout`), the hidden state over the network between them."""
    layout = pipeline_parallel_layout(model=model, quant=quant, workload=workload, devices=devices)
    tp, hosts = layout.tp, workload.hosts
    usages, stages = run_layout(layout, model=model, quant=quant, workload=workload, reuse=reuse)
    timed, admission = admit(model, workload, layout, usages)
    # one rank of each machine: its ranks are equal (`tensor_parallel` times each distinct stage once too)
    firsts = stages[::tp]
    timing = pipeline_parallel_timing(
        firsts, layout.counts, model=model, workload=timed, tp=tp, devices=devices
    )
    net_gb_s, net_lat = network(workload)
    notes = [
        Reason(code="pipeline_stages", values={"hosts": hosts, "tp": tp, "counts": tuple(layout.counts)}),
        Reason(code="network", values={"gb_s": net_gb_s, "latency_us": net_lat}),
    ]
    all_reduce_s = (timing.decode_parts or {}).get("all_reduce", 0.0)
    more_notes, warnings = _sharding_reasons(model, workload, devices, tp, all_reduce_s, timing.decode_s)
    notes += more_notes
    bubble = Reason(code="pipeline_bubble", values={"stage": "machine"})
    warnings += [*(bubble,) * (timed.batch == 1), Reason(code="one_machine_stops_all")]
    return _plan(
        "pipeline_parallel",
        usages,
        timing,
        timed,
        notes=tuple(notes),
        warnings=tuple(warnings),
        admission=admission,
        gpu_layers=model.num_hidden_layers + 1,
        tensor_parallel_size=tp,
        pipeline_parallel_size=hosts,
    )
