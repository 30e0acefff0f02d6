"""Timing: the links between devices, and how the stages of a plan add up to a decode step, a prefill
and the bytes that cross the links per token."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from . import links, memory, prefill, speed
from .schema import DeviceSpec, ModelSpec, Workload

# Activations handed from one pipeline stage to the next: one f32 hidden vector per token (llama.cpp).
ACTIVATION_BYTES = 4


# Tensor-parallel all-reduces move fp16/bf16 activations: 2 bytes per element.
ALL_REDUCE_BYTES = 2


# All-reduces per layer under tensor parallel: vLLM's Megatron-style sharding reduces after attention and
# after the MLP. llama.cpp's `--split-mode tensor` "does multiple cross-GPU reductions per layer"
# (LLAMA_CPP_MULTI_GPU); we count the same two.
SYNCS_PER_LAYER = 2

# vLLM: its custom all-reduce over NVLink costs a fixed time per call (one kernel reading the peers' buffers): the
# vLLM serving rows (A100/H100 SXM TP 1–8, vLLM 0.5.4, and the serving benchmarks of bench/data/vllm_serving.json)
# with the per-sequence cost of their load taken apart (bench/accuracy.py SERVING), and the single-stream rows (one
# request at a time on 15 devices, vLLM 0.7.3–0.27.1). It rests at its physical bound (15 us; vLLM's own unit test
# gives 8.5-11.8 us a call on H100 NVLink).
VLLM_ALL_REDUCE_SECONDS = 15e-6
# Off NVLink vLLM all-reduces through NCCL (`timing.vllm_custom_all_reduce`): its custom all-reduce "is disabled
# because it's not supported on more than two PCIe-only GPUs", and on two NVIDIA GPUs without peer-to-peer access
# ("your platform lacks GPU P2P capability"; vllm/distributed/device_communicators/custom_all_reduce.py; AMD GPUs
# skip that test, so two ROCm cards keep the custom one). A decode step's few KB are latency-bound: a fixed
# time per call. NCCL's own tuning model (src/graph/tuning.cc: 6.6 µs for a ring's LL protocol plus 1 µs per PCIe
# hop) gives 9-21 µs at TP 2-8, the prior; the rows take more, the launch and the flags' round trips included:
# 8× RTX 4090, 8× RTX A6000 and 8× V100S (PCIe 3.0) on Llama 3 70B and Mixtral, 4× RTX PRO 6000 across two
# sockets, 2× A100 PCIe without P2P, one request at a time. Fitted: 36 µs a call. A time per hop besides (fitted
# 1.4 µs) left the figures as they were. The ring of 10 µs hops before (links.PCIE_LATENCY_US; 14 hops at TP 8,
# 140 µs a call) put the 8-GPU rows 24-50% slow.
VLLM_NCCL_ALL_REDUCE_SECONDS = 36.7e-6

# What vLLM's host (Python) spends per step besides the GPU: scheduling, preparing the inputs, sampling, and turning
# each new token into output for the client. Which engine runs decides how much of it the GPU waits for
# (`timing.runtime_step`):
# - "v0", vLLM before 0.8.0: one process does all of it between two forward passes, so a step is the GPU's time
#   plus `VLLM_HOST_SECONDS["v0"]`. AccelMark's 44 runs of vLLM 0.7.3 (one request at a time, CUDA graphs, on 12
#   hosts) put it near 2.4 ms: Qwen2.5 0.5B's step is mostly that, 2.2 to 5.2 ms a token on GPUs that read its
#   1 GB in 0.2-1.1 ms (the spread is the hosts' CPUs: a 4090 D behind an EPYC 9554 takes 2.3 ms, a 4090 behind a
#   Xeon Gold 6530 4.5); the LambdaLabs serving rows (0.5.4) are V0 too.
# - "v1", 0.8.0 to 0.13 ("We have now enabled V1 engine by default", v0.8.0's release notes): the API server
#   detokenizes and streams in its own process (`AsyncLLM`, vLLM PR 9826) while the engine core runs, so only the
#   core's scheduling and input preparation, `VLLM_HOST_SECONDS["v1"]`, stay between two forward passes: 1.65 ms,
#   fitted on the serving rows of vLLM 0.11-0.13 and the one-stream rows of 0.10.1 (2x A100 PCIe) and 0.11.0 (H100
#   SXM), less than V0's 2.4 but not the "near-zero CPU overhead" of the V1 user guide. The output side sets a
#   floor per token, `VLLM_FRONTEND_SECONDS`, that a big model's step hides: the step is the longer of GPU + core
#   and the floor.
# - "v1_async", 0.14.0 on ("Async scheduling is now enabled by default", v0.14.0's release notes, PR 27614): the
#   core schedules step N+1 while the GPU runs step N, so the step is the longest of the three: a small model's
#   token takes at least the core's 1.65 ms. The floor is fitted below the fastest one-stream row of an async
#   vLLM, Qwen2.5 0.5B at 1.83 ms a token on an A100 SXM (vLLM 0.20.1), so that no model is capped under what was
#   measured (the other, 5.11 ms on an RTX 5090 at 0.19.1, is 2.8 times slower; its record does not say why):
#   1.5 ms. Held out, those two rows predict each other badly, so a small model's vLLM speed is the least sure.
# The engine answers for today's vLLM (`VLLM_ENGINE`); bench rows say which engine they ran (their version).
VLLM_ENGINES = ("v0", "v1", "v1_async")
VLLM_ENGINE = "v1_async"
VLLM_HOST_SECONDS = {"v0": 0.00242, "v1": 0.00166}
VLLM_FRONTEND_SECONDS = 0.0015


def link(workload: Workload, devices: Sequence[DeviceSpec] = ()) -> tuple[float, float]:
    """GB/s per direction and per-hop latency of the link between this machine's GPUs: what the visitor
    gave; else NVLink when they say so (a bridge, or the SXM fabric of SXM parts) or when every GPU is a
    module of a GPU fabric (SXM NVLink/NVSwitch, or an MI300's Infinity Fabric: the way they are built);
    else PCIe 4.0 x16. A fabric's latency is taken as NVLink's."""
    fabric = on_fabric(devices)
    nvlink = workload.nvlink or fabric
    if workload.link_gb_s:
        gb_s = workload.link_gb_s
    elif fabric:
        gb_s = links.fabric_gb_s(devices)
    else:
        gb_s = links.NVLINK_GB_S if nvlink else links.PCIE_GB_S
    lat = workload.link_latency_us
    if lat is None:
        lat = links.NVLINK_LATENCY_US if nvlink else links.PCIE_LATENCY_US
    return gb_s, lat


def _sxm(device: DeviceSpec) -> bool:
    """An SXM (or similar mezzanine) part with NVLink: the catalog's datacenter form factor with NVLink;
    without those fields (a spec the catalog did not fill), an "SXM" in the name."""
    if device.form_factor:
        return device.nvlink and device.form_factor == "datacenter"
    return "sxm" in device.name.lower()


def on_fabric(devices: Sequence[DeviceSpec]) -> bool:
    """Every GPU a module of a GPU fabric: SXM parts (NVLink), or MI300-series modules (Infinity Fabric)."""
    return bool(devices) and all(_sxm(d) or links.infinity_fabric(d) for d in devices)


def nvlinked(workload: Workload, devices: Sequence[DeviceSpec] = ()) -> bool:
    """Whether the GPUs talk over a direct GPU link: the visitor's NVLink bridge, or a fabric of modules
    (SXM NVLink, MI300 Infinity Fabric)."""
    return workload.nvlink or on_fabric(devices)


def network(workload: Workload) -> tuple[float, float]:
    gb_s = workload.network_gb_s or links.NETWORK_GB_S
    lat = links.NETWORK_LATENCY_US if workload.network_latency_us is None else workload.network_latency_us
    return gb_s, lat


@dataclass
class Timing:
    decode_s: float  # one step, batch 1, at the start of the answer (the prompt cached)
    decode_batch_s: float  # one step, all `batch` sequences
    prefill_s: float | None
    bytes_per_token: int = 0
    decode_context_s: float | None = None  # one step, batch 1, the whole context cached
    # one step, all `batch` sequences, each with the whole context cached (`decode_context_s` at batch 1)
    decode_batch_context_s: float | None = None
    speed_class: str = "decode"  # which held-out errors give the range (ranges.ERROR_RANGES)
    decode_parts: dict[str, float] | None = None  # `decode_s` by what takes it (`step_parts`)


class Hop(NamedTuple):
    """A boundary between stages: the link the hidden state crosses, and the synchronisation it costs."""

    gb_s: float
    latency_us: float
    handoff_s: float = 0.0


def each_stage(stages: list[speed.Stage], time_of: Callable[[speed.Stage], float | None]) -> list:
    """`time_of` every stage, in order, computed once per stage object: the equal devices of a layer
    split share one (`plans.run_layout`), so eight cards are timed as two or three. Added in the same
    order, the times give the same sum to the last bit. One stage (a single device: most of the reverse
    pages' and the charts' plans) is timed directly."""
    if len(stages) == 1:
        return [time_of(stages[0])]
    known: dict[int, float | None] = {}
    for s in stages:
        if id(s) not in known:
            known[id(s)] = time_of(s)
    return [known[id(s)] for s in stages]


def sequential_step_seconds(
    stages: list[speed.Stage], hops: list[Hop], hidden: int, batch: int, depth: int
) -> float:
    """One decode step through stages that run one after another, with `depth` tokens cached."""
    if len(stages) == 1 and not hops:  # a single device: its own step, the same sum to the last bit
        return speed.decode_step_seconds(stages[0], batch, depth)
    parts = each_stage(stages, lambda s: speed.decode_step_parts(s, batch, depth))
    return chained_seconds(parts, hops_seconds(hops, hidden, batch))


def chained_seconds(parts: list[speed.StepParts], handoff_s: float) -> float:
    """Stages' steps one after another, then their hand-offs (`hops_seconds`). One stage without hops comes to
    its own step exactly (0 + x + 0.0 is x)."""
    return sum(p.seconds for p in parts) + handoff_s


def hops_seconds(hops: list[Hop], hidden: int, batch: int) -> float:
    """A decode step's hand-offs at the layer-split boundaries: the synchronisation and the hidden state's trip."""
    return sum(
        h.handoff_s + links.transfer_seconds(batch * hidden * ACTIVATION_BYTES, h.gb_s, h.latency_us)
        for h in hops
    )


# What a decode step's time is spent on, in the order the page lists them (`step_parts`), each with the words the
# page and the explanations name it by (`Plan.decode_step_s`)
STEP_PARTS = {
    "weights": "weights",
    "kernel": "the mat-vec's instructions beyond the reads",
    "weights_ram": "weights in system RAM",
    "kv_cache": "KV cache",
    "compute": "arithmetic",
    "fixed": "launches and synchronisation",
    "host": "MLX's host beyond the GPU",
    "handoff": "hand-offs",
    "all_reduce": "all-reduces",
    "runtime": "the runtime's host work",
}


def step_parts(
    stages: list[speed.Stage], parts: list[speed.StepParts], *, step_s: float, **joins: float
) -> dict[str, float]:
    """A decode step of `step_s` seconds by what takes it: the `parts` of `stages`, run one after another,
    then what joins them (`joins`: handoff, all_reduce); the rest of `step_s` is the runtime's host work per
    step (`runtime_step`). Weights read from system RAM (a CPU stage) count apart; a stage bound by its FLOPs
    counts them as compute in place of its reads; the host (MLX's) counts only what it takes beyond the GPU's."""
    out = dict.fromkeys(STEP_PARTS, 0.0)
    for stage, p in zip(stages, parts, strict=True):
        if p.flops_s > p.reads_s:
            out["compute"] += p.flops_s
        else:
            out["weights_ram" if stage.backend == "cpu" else "weights"] += p.reads_s - p.kv_s - p.kernel_s
            out["kernel"] += p.kernel_s
            out["kv_cache"] += p.kv_s
        out["fixed"] += p.fixed_s
        out["host"] += p.seconds - p.gpu_s
    out.update(joins)
    rest = step_s - sum(out.values())
    # where the runtime adds nothing, the rest is float residue (7e-18 s of a 30 ms step read "the runtime's
    # host work 0.00 ms" on the page and in the explanation): a billionth of the step is nothing
    out["runtime"] = rest if rest > step_s * 1e-9 else 0.0
    return {name: seconds for name, seconds in out.items() if seconds > 0}


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
    work that overlaps (prefill.PREFILL_PIPELINE_OVERLAP). A build that waits for a GPU inside each MoE layer
    (`Stage.moe_host_ids`, before llama.cpp PR 15525) keeps none in flight: the one host thread that queues
    every GPU's work stops at each wait, so no GPU runs ahead of the one it waits for."""
    times = []
    prompt, ubatch = workload.prompt_tokens, workload.ubatch_tokens
    each = each_stage(stages, lambda s: prefill.prefill_seconds(s, prompt, ubatch, depth))
    for s, t in zip(stages, each, strict=True):
        if t is None:
            if s.backend != "cpu":
                return None
            t = 0.0
        times.append(t)
    ubatches = -(-workload.prompt_tokens // workload.ubatch_tokens)
    seconds = sum(times)
    if pipelined and len(times) > 1 and ubatches > 1 and not any(s.moe_host_ids for s in stages):
        per = [t / ubatches for t in times]
        slowest = max(max(per), sum(per) / memory.LLAMA_CPP_PIPELINE_COPIES)
        overlap = prefill.PREFILL_PIPELINE_OVERLAP
        seconds = (1 - overlap) * seconds + overlap * (sum(per) + (ubatches - 1) * slowest)
    if not hops:
        return seconds
    return seconds + sum(
        ubatches * h.handoff_s
        + links.transfer_seconds(workload.prompt_tokens * hidden * ACTIVATION_BYTES, h.gb_s, h.latency_us)
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
    depth = workload.prompt_tokens
    prefill_s = sequential_prefill_seconds(stages, workload, hops, hidden, pipelined=pipelined)
    parts = each_stage(stages, lambda s: speed.decode_step_parts(s, 1, depth))
    handoff = hops_seconds(hops, hidden, 1)
    decode_s = runtime_step(chained_seconds(parts, handoff), workload)

    def step(batch: int, depth: int) -> float:
        return runtime_step(sequential_step_seconds(stages, hops, hidden, batch, depth), workload)

    batch, context = workload.batch, workload.context_tokens
    context_s = step(1, context)
    return Timing(
        decode_s=decode_s,
        decode_batch_s=decode_s if batch == 1 else step(batch, depth),
        prefill_s=None if prefill_s is None else prefill_s + extra_prefill_s,
        bytes_per_token=len(hops) * hidden * ACTIVATION_BYTES,
        decode_context_s=context_s,
        decode_batch_context_s=context_s if batch == 1 else step(batch, context),
        speed_class=speed_class or single_speed_class(stages),
        decode_parts=step_parts(stages, parts, step_s=decode_s, handoff=handoff),
    )


def single_speed_class(stages: list[speed.Stage]) -> str:
    """The class whose held-out errors give a one-device plan its range: memory × kernels × dense/MoE."""
    gpu = [s for s in stages if s.backend != "cpu"]
    if len(stages) != 1 or not gpu:
        return "offload" if len(gpu) < len(stages) else "multi_gpu"
    s = gpu[0]
    return f"{s.memory}/{s.backend}/{'moe' if s.experts else 'dense'}"


def tensor_parallel_timing(
    stages: list[speed.Stage],
    *,
    model: ModelSpec,
    workload: Workload,
    tp: int,
    devices: Sequence[DeviceSpec] = (),
    vllm_engine: str = "",
) -> Timing:
    """The ranks work at once: the slowest rank's step, plus the all-reduces that join their results."""
    batch = workload.batch

    def step(b: int, depth: int) -> float:
        compute = max(speed.decode_step_seconds(s, b, depth) for s in stages)
        gpu = compute + all_reduces_seconds(model, workload, tp, b, devices)
        return runtime_step(gpu, workload, vllm_engine)

    # the step at the start of the answer, by part: its slowest rank's step and the all-reduces, timed once
    parts = [speed.decode_step_parts(s, 1, workload.prompt_tokens) for s in stages]
    slowest = max(range(len(stages)), key=lambda i: parts[i].seconds)
    all_reduce = all_reduces_seconds(model, workload, tp, 1, devices)
    decode_s = runtime_step(parts[slowest].seconds + all_reduce, workload, vllm_engine)

    prefill_s = None
    t_prefill = [prefill.prefill_seconds(s, workload.prompt_tokens, workload.ubatch_tokens) for s in stages]
    if all(t is not None for t in t_prefill):
        prefill_s = max(t_prefill) + all_reduces_seconds(  # type: ignore[type-var]
            model, workload, tp, workload.prompt_tokens, devices
        )
    per_token_bytes = int(
        SYNCS_PER_LAYER * model.num_hidden_layers * 2 * (tp - 1) / tp * model.hidden_size * ALL_REDUCE_BYTES
    )
    context_s = step(1, workload.context_tokens)
    return Timing(
        decode_s=decode_s,
        decode_batch_s=decode_s if batch == 1 else step(batch, workload.prompt_tokens),
        prefill_s=prefill_s,
        bytes_per_token=per_token_bytes,
        decode_context_s=context_s,
        decode_batch_context_s=context_s if batch == 1 else step(batch, workload.context_tokens),
        speed_class="vllm_tp" if workload.runtime == "vllm" else "multi_gpu",
        decode_parts=step_parts([stages[slowest]], [parts[slowest]], step_s=decode_s, all_reduce=all_reduce),
    )


def pipeline_parallel_timing(
    stages: list[speed.Stage],
    counts: list[int],
    *,
    model: ModelSpec,
    workload: Workload,
    tp: int,
    devices: Sequence[DeviceSpec] = (),
) -> Timing:
    """vLLM's and SGLang's tensor × pipeline parallel over machines: `stages`, one rank's of each machine in
    order (its ranks are equal), holding `counts` layers each. A machine's ranks work at once, as under tensor
    parallel (the rank's step and the all-reduces of its layers), the machines one after another, and between
    two machines the hidden state and the residual (2 × hidden × 2 bytes: ACTIVATION_BYTES' 4 per value)
    cross the network. With many sequences each machine works on its own micro-batch, but a stage bound by
    its weights reads all of them for any micro-batch: the stages' steps still add up, so the sum times the
    aggregate too."""
    hops = [Hop(*network(workload))] * (len(stages) - 1)
    hidden = model.hidden_size

    def all_reduces(tokens: int) -> float:
        return sum(all_reduces_seconds(model, workload, tp, tokens, devices, layers=k) for k in counts)

    # the middle machines' stages are one object (`plans.run_layout`): `each_stage` times each once
    def step(b: int, depth: int) -> float:
        gpu = sum(each_stage(stages, lambda s: speed.decode_step_seconds(s, b, depth))) + all_reduces(b)
        return runtime_step(gpu + hops_seconds(hops, hidden, b), workload)

    parts = each_stage(stages, lambda s: speed.decode_step_parts(s, 1, workload.prompt_tokens))
    all_reduce, handoff = all_reduces(1), hops_seconds(hops, hidden, 1)
    decode_s = runtime_step(sum(p.seconds for p in parts) + all_reduce + handoff, workload)
    prompt = workload.prompt_tokens
    each = each_stage(stages, lambda s: prefill.prefill_seconds(s, prompt, workload.ubatch_tokens))
    prefill_s = None
    if all(t is not None for t in each):
        prefill_s = sum(each) + all_reduces(prompt)  # type: ignore[arg-type]
        prefill_s += sum(
            links.transfer_seconds(prompt * hidden * ACTIVATION_BYTES, h.gb_s, h.latency_us) for h in hops
        )
    batch, context = workload.batch, workload.context_tokens
    context_s = step(1, context)
    return Timing(
        decode_s=decode_s,
        decode_batch_s=decode_s if batch == 1 else step(batch, prompt),
        prefill_s=prefill_s,
        bytes_per_token=len(hops) * hidden * ACTIVATION_BYTES,
        decode_context_s=context_s,
        decode_batch_context_s=context_s if batch == 1 else step(batch, context),
        speed_class="vllm_tp",
        decode_parts=step_parts(stages, parts, step_s=decode_s, handoff=handoff, all_reduce=all_reduce),
    )


def all_reduces_seconds(
    model: ModelSpec,
    workload: Workload,
    tp: int,
    tokens: int,
    devices: Sequence[DeviceSpec] = (),
    *,
    layers: int | None = None,
) -> float:
    """The all-reduces of one forward pass of `tokens` tokens through `layers` layers (all the model's by
    default). vLLM's custom all-reduce (one kernel that reads the peers' buffers) and NCCL, which vLLM uses
    where that one is off (`vllm_custom_all_reduce`), cost a fixed time per call (VLLM_ALL_REDUCE_SECONDS,
    VLLM_NCCL_ALL_REDUCE_SECONDS); llama.cpp's tensor split a ring over the link."""
    if tp <= 1:
        return 0.0
    gb_s, lat = link(workload, devices)
    calls = SYNCS_PER_LAYER * (model.num_hidden_layers if layers is None else layers)
    message = tokens * model.hidden_size * ALL_REDUCE_BYTES
    if workload.runtime == "vllm":
        custom = vllm_custom_all_reduce(workload, tp, devices)
        per_call = VLLM_ALL_REDUCE_SECONDS if custom else VLLM_NCCL_ALL_REDUCE_SECONDS
        return calls * (per_call + 2 * (tp - 1) / tp * message / (gb_s * 1e9))
    return calls * links.ring_all_reduce_seconds(message, tp, gb_s, lat)


def vllm_custom_all_reduce(workload: Workload, tp: int, devices: Sequence[DeviceSpec] = ()) -> bool:
    """Whether vLLM all-reduces with its own kernel rather than NCCL. Its custom all-reduce "is disabled
    because it's not supported on more than two PCIe-only GPUs", and on two NVIDIA GPUs without peer-to-peer
    access, while on AMD GPUs it skips that test (vllm/distributed/device_communicators/custom_all_reduce.py):
    on over NVLink, and on two ROCm cards; NCCL elsewhere (two NVIDIA cards on PCIe may or may not have P2P:
    NCCL, the slower, is assumed)."""
    if nvlinked(workload, devices):
        return True
    return tp == 2 and bool(devices) and all(d.backend == "rocm" for d in devices)


def runtime_step(gpu_s: float, workload: Workload, vllm_engine: str = "") -> float:
    """A decode step that takes `gpu_s` on the GPUs, with what the runtime's host spends per step: vLLM's
    scheduler, sampler and output (VLLM_HOST_SECONDS: in series with the GPU in V0, only the engine
    core's part in V1, none of it with async scheduling; VLLM_FRONTEND_SECONDS, the output side's floor in
    V1). `vllm_engine` is one of VLLM_ENGINES, today's vLLM (VLLM_ENGINE) by default."""
    if workload.runtime != "vllm":
        return gpu_s
    engine = vllm_engine or VLLM_ENGINE
    if engine == "v0":
        return gpu_s + VLLM_HOST_SECONDS["v0"]
    core = VLLM_HOST_SECONDS["v1"]
    if engine == "v1":
        return max(gpu_s + core, VLLM_FRONTEND_SECONDS)
    return max(gpu_s, core, VLLM_FRONTEND_SECONDS)


def offloaded_prefill_seconds(
    host_weights: float, host_stage: speed.Stage, workload: Workload, link_gb_s: float
) -> float:
    """llama.cpp runs big prompt batches of RAM-resident weights on the GPU, copying them over PCIe per
    micro-batch; the CPU computes them itself when that is faster. Returns the extra time over the
    CPU stage's own estimate (which assumed the CPU's FLOPS) — or the PCIe copy time when no CPU FLOPS
    are known."""
    ubatches = -(-workload.prompt_tokens // workload.ubatch_tokens)
    copy_s = ubatches * host_weights / (link_gb_s * 1e9)
    cpu_s = prefill.prefill_seconds(host_stage, workload.prompt_tokens, workload.ubatch_tokens)
    if cpu_s is None:
        return copy_s
    return min(copy_s, cpu_s) - cpu_s
