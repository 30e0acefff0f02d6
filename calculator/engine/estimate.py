"""`estimate()`: memory, every plan the hardware allows, ranked, with suggestions and launch commands."""

from collections.abc import Sequence

from . import commands, limits, memory, plans, speed, suggest
from .schema import (
    DeviceSpec,
    DeviceUsage,
    Estimate,
    Explanation,
    MemoryBreakdown,
    ModelSpec,
    Plan,
    QuantSpec,
    Workload,
)
from .strategies import STRATEGIES, label
from .units import format_bytes, format_rate

ENGINE_VERSION = "0.5.0"

RUNTIME_NAMES = {"llama.cpp": "llama.cpp", "vllm": "vLLM", "ollama": "Ollama", "mlx": "MLX"}


def candidate_plans(
    *, model: ModelSpec, quant: QuantSpec, devices: list[DeviceSpec], workload: Workload
) -> tuple[list[Plan], dict[str, str]]:
    """Every strategy this hardware allows, and why the others were not computed."""
    kw = {"model": model, "quant": quant, "workload": workload, "devices": devices}
    out = [plans.single(**kw)]
    skipped: dict[str, str] = {}
    if len(devices) > 1:
        out.append(plans.layer_split(**kw))
        out.append(plans.replicas(**kw))
        if why := plans.tensor_parallel_unsupported(model, workload, devices):
            skipped["tensor_parallel"] = why
        else:
            out.append(plans.tensor_parallel(**kw))
    else:
        reason = "Needs two or more GPUs."
        skipped.update(layer_split=reason, tensor_parallel=reason, replicas=reason)
    gpu_only_fits = any(p.fits for p in out)
    if workload.ram_bytes is None:
        skipped["cpu_offload"] = "Give the system RAM (ram_gb) to see offload plans."
        if model.is_moe:
            skipped["expert_offload"] = skipped["cpu_offload"]
    elif gpu_only_fits:
        skipped["cpu_offload"] = "The model fits in GPU memory; offloading layers would only slow it down."
    else:
        out.append(plans.cpu_offload(**kw))
    if not model.is_moe:
        skipped["expert_offload"] = "Only mixture-of-experts models have experts to offload."
    elif workload.ram_bytes is not None:
        if gpu_only_fits:
            skipped["expert_offload"] = (
                "The model fits in GPU memory; offloading experts would only slow it down."
            )
        else:
            out.append(plans.expert_offload(**kw))
    if workload.hosts > 1:
        out.append(plans.rpc_cluster(**kw))
    else:
        skipped["rpc_cluster"] = "One machine: give hosts > 1 to spread layers over several over the network."
    return out, skipped


def _score(plan: Plan, workload: Workload) -> float:
    value = (plan.decode_tok_s_aggregate if workload.batch > 1 else plan.decode_tok_s) or 0.0
    return value * (0.9 if plan.tight else 1.0)


def _overflow(plan: Plan) -> int:
    d = plan.tightest
    return d.used_bytes + d.headroom_bytes - d.capacity_bytes


def _ranked(candidates: list[Plan], workload: Workload) -> tuple[list[Plan], Plan | None, str, list[str]]:
    """`rank` before the ranks and reasons are written into the plans: the order, the best plan, the
    overall reason and each plan's."""
    order = list(STRATEGIES)
    fit = {id(p): p.fits for p in candidates}
    fitting = [p for p in candidates if fit[id(p)]]
    rest = sorted((p for p in candidates if not fit[id(p)]), key=_overflow)
    scores = {id(p): _score(p, workload) for p in fitting}
    best = None
    # Tensor parallel is shown but not recommended when something else fits: llama.cpp's --split-mode
    # tensor is experimental; and for several users, a model that fits one GPU serves them best as
    # replicas (no all-reduce on every step, and one failed GPU stops only its copy).
    eligible = fitting
    replicas_first = _replicas_serve_better(fitting, workload)
    if replicas_first or (
        workload.runtime != "vllm" and any(p.strategy != "tensor_parallel" for p in fitting)
    ):
        eligible = [p for p in fitting if p.strategy != "tensor_parallel"]
    if fitting:
        top = max(scores[id(p)] for p in eligible)
        near = [p for p in eligible if scores[id(p)] >= 0.95 * top]
        best = min(near, key=lambda p: order.index(p.strategy))
        fitting = [best, *sorted((p for p in fitting if p is not best), key=lambda p: -scores[id(p)])]
    ranked = fitting + rest
    reason = _reason(best, ranked, workload, replicas_first)
    reasons = [reason if p is best else _plan_reason(p, best, workload, replicas_first) for p in ranked]
    return ranked, best, reason, reasons


def _metric(workload: Workload) -> str:
    return "aggregate tok/s" if workload.batch > 1 else "tok/s single stream"


def _value(plan: Plan, workload: Workload) -> float | None:
    return plan.decode_tok_s_aggregate if workload.batch > 1 else plan.decode_tok_s


def _shortfall(plan: Plan) -> tuple[DeviceUsage, int]:
    """The device furthest from fitting, and by how much it misses (memory plus the headroom kept free)."""
    return plan.tightest, plan.short_by_bytes


def _replicas_serve_better(fitting: list[Plan], workload: Workload) -> bool:
    """Several users, and copies of the model that fit with every user admitted at once: replicas, not
    tensor parallel."""
    return workload.batch > 1 and any(p.strategy == "replicas" and not p.queue_s for p in fitting)


def _why_not(plan: Plan, best: Plan, workload: Workload, replicas_first: bool) -> str:
    """Why a faster plan that fits is not the recommended one (the rules of `_ranked`)."""
    if plan.strategy == "tensor_parallel" and replicas_first:
        return (
            "the model fits one GPU: copies serve several users without an all-reduce on every step, "
            "and a failed GPU stops only its copy"
        )
    if plan.strategy == "tensor_parallel" and workload.runtime != "vllm":
        if workload.runtime == "llama.cpp":
            return "experimental in llama.cpp"
        return f"not something {RUNTIME_NAMES.get(workload.runtime, workload.runtime)} does"
    if plan.tight and _score(plan, workload) < _score(best, workload):
        return "leaves under 10% of a GPU free"
    return f"within 5%, and {label(best.strategy)} is simpler"


def _reason(best: Plan | None, ranked: list[Plan], workload: Workload, replicas_first: bool) -> str:
    if best is None:
        closest = ranked[0]
        worst, short = _shortfall(closest)
        name = label(closest.strategy)
        if short <= worst.headroom_bytes:
            return (
                f"No plan fits with {format_bytes(worst.headroom_bytes)} kept free on each device: the closest, "
                f"{name}, would leave {format_bytes(worst.headroom_bytes - short)} free on {worst.name}."
            )
        return f"No plan fits. The closest, {name}, needs {format_bytes(short)} more on {worst.name}."
    value = _value(best, workload) or 0.0
    text = f"{best.title} is recommended: {format_rate(value)} {_metric(workload)}"
    others = [p for p in ranked if p is not best and p.fits]
    faster = max(others, key=lambda p: _value(p, workload) or 0.0, default=None)
    if faster is not None and (_value(faster, workload) or 0.0) > value:
        text += (
            f". {faster.title} is faster ({format_rate(_value(faster, workload))}) "
            f"but {_why_not(faster, best, workload, replicas_first)}"
        )
    elif others:
        text += f", the fastest plan that fits (next: {label(others[0].strategy)}, "
        text += f"{format_rate(_value(others[0], workload))})"
    if best.strategy == "single" and len(best.devices) == 1:
        text += "; one device needs no hand-offs between GPUs"
    return text + "."


def _plan_reason(plan: Plan, best: Plan | None, workload: Workload, replicas_first: bool) -> str:
    if not plan.fits:
        worst, short = _shortfall(plan)
        if short <= worst.headroom_bytes:
            return (
                f"Does not fit with the {format_bytes(worst.headroom_bytes)} kept free: {worst.name} would have "
                f"{format_bytes(worst.headroom_bytes - short)} left."
            )
        return f"Does not fit: {worst.name} is {format_bytes(short)} short."
    if best is None:
        return ""
    value, theirs = _value(plan, workload) or 0.0, _value(best, workload) or 0.0
    text = f"Fits, at {format_rate(value)} {_metric(workload)} against {format_rate(theirs)} for "
    text += f"{label(best.strategy)}"
    if value > theirs:
        text += f", but {_why_not(plan, best, workload, replicas_first)}"
    return text + "."


def estimate(
    *,
    model: ModelSpec,
    quant: QuantSpec,
    devices: list[DeviceSpec],
    workload: Workload,
    candidates: Sequence[QuantSpec] | None = None,
    with_suggestions: bool = True,
) -> Estimate:
    """Memory per device, every plan side by side, the recommended one and why.

    `candidates` are the other formats to consider for "the largest format that fits".
    """
    if not devices:
        raise ValueError("at least one device is needed")
    if len(devices) > limits.MAX_DEVICES:
        raise ValueError(f"at most {limits.MAX_DEVICES} devices per machine")
    found, skipped = candidate_plans(model=model, quant=quant, devices=devices, workload=workload)
    ranked, best, reason, reasons = _ranked(found, workload)
    # rank, reason, commands and explanations in one copy (the last two do not read the first two)
    ranked = [
        p.model_copy(
            update={
                "rank": i,
                "reason": r,
                "commands": commands.launch_commands(model=model, quant=quant, plan=p, workload=workload),
                "explanations": explain_plan(model=model, plan=p, workload=workload),
            }
        )
        for i, (p, r) in enumerate(zip(ranked, reasons, strict=True), start=1)
    ]
    if best is not None:
        best = ranked[0]
    shown = best or ranked[0]
    breakdown = MemoryBreakdown(
        weights_bytes=memory.weights_bytes(model, quant),
        kv_cache_bytes=memory.kv_cache_bytes(
            model,
            context_tokens=workload.context_tokens,
            batch=workload.batch,
            kv_bytes_per_element=workload.kv_bytes_per_element,
            workload=workload,
        ),
        compute_bytes=sum(d.compute_bytes for d in shown.devices),
        overhead_bytes=sum(d.overhead_bytes for d in shown.devices),
    )
    suggestions = ()
    if with_suggestions:
        suggestions = suggest.suggestions(
            model=model, quant=quant, devices=devices, workload=workload, best=best, candidates=candidates
        )
    return Estimate(
        engine_version=ENGINE_VERSION,
        model=model.slug,
        quant=quant.slug,
        memory=breakdown,
        plans=tuple(ranked),
        recommended=best.strategy if best else None,
        reason=reason,
        explanations=explain(model=model, quant=quant, workload=workload, breakdown=breakdown, plan=shown),
        suggestions=suggestions,
        unavailable=skipped,
        context_tokens_allocated=memory.padded_context(workload),
    )


def fits(
    *,
    model: ModelSpec,
    quant: QuantSpec,
    devices: list[DeviceSpec],
    workload: Workload,
    strategies: Sequence[str] | None = None,
) -> Plan | None:
    """The best fitting plan (optionally among `strategies`), without suggestions or commands."""
    found, _ = candidate_plans(model=model, quant=quant, devices=devices, workload=workload)
    if strategies is not None:
        found = [p for p in found if p.strategy in strategies]
    if not found:
        return None
    _, best, reason, _ = _ranked(found, workload)
    return best.model_copy(update={"rank": 1, "reason": reason}) if best is not None else None


def plan_fits(
    *,
    model: ModelSpec,
    quant: QuantSpec,
    devices: list[DeviceSpec],
    workload: Workload,
    strategies: Sequence[str] | None = None,
) -> bool:
    """`fits(...) is not None`, from memory alone: the same strategies `candidate_plans` would build,
    checked without speed, ranking, notes or commands, and only as many as it takes to answer."""
    kw = {"model": model, "quant": quant, "workload": workload, "devices": devices}
    known: dict[str, bool] = {}

    def ok(strategy: str) -> bool:
        if strategy not in known:
            known[strategy] = plans.strategy_fits(strategy, **kw)
        return known[strategy]

    def wanted(strategy: str) -> bool:
        return strategies is None or strategy in strategies

    gpu_only, offload = _computed(model=model, devices=devices, workload=workload)
    if _cannot_fit(model, quant, devices, workload, offload=any(wanted(s) for s in offload)):
        return False
    if any(ok(s) for s in gpu_only if wanted(s)):
        return True
    if (
        offload
        and any(wanted(s) for s in offload)
        and not any(ok(s) for s in gpu_only)
        and any(ok(s) for s in offload if wanted(s))
    ):
        return True
    return workload.hosts > 1 and wanted("rpc_cluster") and ok("rpc_cluster")


def _cannot_fit(
    model: ModelSpec, quant: QuantSpec, devices: list[DeviceSpec], workload: Workload, *, offload: bool
) -> bool:
    """Sure misses: every strategy puts at least all weights but the embedding table on the GPUs of
    all hosts (and RAM, when offloading); more than all of that memory cannot fit. A few bytes per
    device of slack cover tensor parallel's rounding down of each shard."""
    need = memory.weights_bytes(model, quant) - memory.embedding_bytes(model, quant)
    have = sum(d.usable_bytes + 64 for d in devices) * workload.hosts
    if offload and workload.ram_bytes:
        have += workload.ram_bytes
    return need > have


def _computed(
    *, model: ModelSpec, devices: list[DeviceSpec], workload: Workload
) -> tuple[list[str], list[str]]:
    """The strategies `candidate_plans` builds: GPU-only ones, and the offload ones it builds when none
    of those fits (rpc_cluster, with hosts > 1, comes on top)."""
    gpu_only = ["single"]
    if len(devices) > 1:
        gpu_only += ["layer_split", "replicas"]
        if not plans.tensor_parallel_unsupported(model, workload, devices):
            gpu_only.append("tensor_parallel")
    offload = []
    if workload.ram_bytes is not None:
        offload = ["cpu_offload", "expert_offload"] if model.is_moe else ["cpu_offload"]
    return gpu_only, offload


def strategies_to_check(
    *,
    model: ModelSpec,
    devices: list[DeviceSpec],
    workload: Workload,
    strategies: Sequence[str] | None = None,
) -> list[str]:
    """Every strategy whose plan could make `plan_fits` true."""
    gpu_only, offload = _computed(model=model, devices=devices, workload=workload)
    rpc = ["rpc_cluster"] if workload.hosts > 1 else []
    return [s for s in (*gpu_only, *offload, *rpc) if strategies is None or s in strategies]


def explain(
    *, model: ModelSpec, quant: QuantSpec, workload: Workload, breakdown: MemoryBreakdown, plan: Plan
) -> dict[str, Explanation]:
    params = memory.stored_params(model)
    kv_token = memory.kv_bytes_per_token(model, workload.kv_bytes_per_element)
    if model.is_mla:
        kv_formula = "layers × (KV latent rank + RoPE key dim) × bytes per element × context × sequences"
        kv_values = f"{model.num_hidden_layers} × ({model.kv_lora_rank} + {model.qk_rope_head_dim})"
        kv_term = "mla"
    else:
        kv_formula = "2 × layers × KV heads × head dim × bytes per element × context × sequences"
        kv_values = (
            f"2 × {model.num_hidden_layers} × {model.num_key_value_heads} × {model.head_dim_or_default}"
        )
        kv_term = "gqa" if model.num_key_value_heads < model.num_attention_heads else "kv-cache"
    window = ""
    if model.sliding_window and model.sliding_window_layers:
        window = (
            f"; {model.sliding_window_layers} sliding-window layers keep only {model.sliding_window} tokens"
        )
    out = {
        "weights_bytes": Explanation(
            term="model-weights",
            formula="parameters × bits per weight ÷ 8",
            substituted=f"{params / 1e9:.2f} B × {quant.bits_per_weight:g} ÷ 8 = {format_bytes(breakdown.weights_bytes)}",
        ),
        "bits_per_weight": Explanation(
            term="bits-per-weight",
            formula="bytes per block × 8 ÷ weights per block, averaged over the file",
            substituted=f"{quant.name}: {quant.bits_per_weight:g} bits per weight",
        ),
        "kv_cache_bytes": Explanation(
            term=kv_term,
            formula=kv_formula,
            substituted=(
                f"{kv_values} × {workload.kv_bytes_per_element:g} = {format_bytes(kv_token)} per token × "
                f"{memory.padded_context(workload)} cells{window} = {format_bytes(breakdown.kv_cache_bytes)}"
            ),
        ),
        "context_tokens": Explanation(
            term="context-length",
            formula=(
                "one sequence of the full context must fit; the paged cache shares the rest among requests"
                if memory.reserved_sequences(workload) < workload.batch
                else "context per sequence × sequences, rounded up to the runtime's padding"
            ),
            substituted=(
                f"{workload.context_tokens} × {memory.reserved_sequences(workload)} → "
                f"{memory.padded_context(workload)} cells ({workload.runtime})"
            ),
        ),
        "compute_bytes": Explanation(
            term="compute-buffer",
            formula="largest of: FFN activations, attention scores, logits (micro-batch × vocab × 4 B)",
            substituted=f"{format_bytes(breakdown.compute_bytes)} over {len(plan.gpu_devices)} device(s)",
        ),
        "overhead_bytes": Explanation(
            term="runtime-overhead",
            formula="CUDA context per device",
            substituted=f"{format_bytes(breakdown.overhead_bytes)} over {len(plan.gpu_devices)} device(s)",
        ),
        "headroom_bytes": Explanation(
            term="headroom",
            formula="memory kept free on each device",
            substituted=f"{format_bytes(workload.headroom_bytes)} per device",
        ),
    }
    if model.sliding_window and model.sliding_window_layers:
        out["sliding_window"] = Explanation(
            term="sliding-window-attention",
            formula="window layers keep min(context, window) tokens of KV",
            substituted=f"{model.sliding_window_layers} of {model.num_hidden_layers} layers × {model.sliding_window} tokens",
        )
    if model.is_moe:
        c = memory.tensor_classes(model)
        out["active_params"] = Explanation(
            term="mixture-of-experts",
            formula="all experts count for memory; a token reads only its k of E experts",
            substituted=f"{c.experts_per_tok} of {c.experts} experts, {model.active_params / 1e9:.1f} B active "
            f"of {model.total_params_b:g} B",
        )
    if workload.kv_cache_type and workload.kv_cache_type not in ("f16", "bf16", "f32"):
        out["kv_cache_type"] = Explanation(
            term="quantization",
            formula="KV cache stored in a quantized type",
            substituted=f"{workload.kv_cache_type}: {workload.kv_bytes_per_element:g} bytes per element",
        )
    out.update(explain_plan(model=model, plan=plan, workload=workload))
    return out


def explain_plan(*, model: ModelSpec, plan: Plan, workload: Workload) -> dict[str, Explanation]:
    out: dict[str, Explanation] = {}
    if plan.decode_tok_s:
        out["decode_tok_s"] = Explanation(
            term="decode",
            formula=(
                "1 ÷ Σ over stages (weights and KV read per token ÷ (bandwidth × efficiency of the memory, "
                "kernels and format) + layers × launch time); the range is what devices the fit never saw "
                "missed by"
            ),
            substituted=(
                f"{format_rate(plan.decode_tok_s)} tok/s at the start of the answer (likely "
                f"{format_rate(plan.decode_tok_s_low)}–{format_rate(plan.decode_tok_s_high)})"
            ),
        )
        out["memory_bandwidth"] = Explanation(
            term="memory-bandwidth",
            formula="decode reads every active weight once per token: speed ≈ bandwidth ÷ bytes per token",
            substituted=", ".join(
                f"{d.name}: {format_bytes(d.weights_bytes)} of weights" for d in plan.devices
            ),
        )
    if plan.decode_tok_s_at_context:
        out["decode_tok_s_at_context"] = Explanation(
            term="kv-cache",
            formula="the same step with the whole context cached: every token also reads the KV cache so far",
            substituted=(
                f"{format_rate(plan.decode_tok_s_at_context)} tok/s with {workload.context_tokens} tokens "
                f"cached (likely {format_rate(plan.decode_tok_s_at_context_low)}–"
                f"{format_rate(plan.decode_tok_s_at_context_high)})"
            ),
        )
    if plan.decode_tok_s_aggregate and workload.batch > 1:
        out["decode_tok_s_aggregate"] = Explanation(
            term="continuous-batching",
            formula="sequences ÷ step time; a step reads the weights once and each sequence's KV cache",
            substituted=f"{workload.batch} sequences → {format_rate(plan.decode_tok_s_aggregate)} tok/s in total",
        )
        out["roofline"] = Explanation(
            term="roofline",
            formula="step time = max(bytes ÷ bandwidth, FLOPs ÷ FLOPS)",
            substituted=f"batch {workload.batch}",
        )
    if plan.prefill_tok_s:
        out["prefill_tok_s"] = Explanation(
            term="prefill",
            formula="prompt tokens ÷ ((2 × active params × prompt + attention FLOPs) ÷ (FP16 FLOPS × efficiency))",
            substituted=f"{workload.prompt_tokens} tokens at {format_rate(plan.prefill_tok_s)} tok/s",
        )
    if plan.ttft_s is not None:
        waited = f" after {plan.queue_s:.1f} s waiting for a free KV slot" if plan.queue_s else ""
        out["ttft_s"] = Explanation(
            term="time-to-first-token",
            formula="queueing + prefill time (the prefill pass yields the first token)",
            substituted=f"{plan.ttft_s:.2f} s for a {workload.prompt_tokens}-token prompt{waited}",
        )
    if plan.interconnect_bytes_per_token:
        term = (
            "all-reduce"
            if plan.strategy == "tensor_parallel"
            else ("rpc-clustering" if plan.strategy == "rpc_cluster" else "pcie")
        )
        out["interconnect_bytes_per_token"] = Explanation(
            term=term,
            formula=(
                "2 all-reduces per layer × 2 (n − 1) ÷ n × hidden × 2 bytes"
                if term == "all-reduce"
                else "one hidden vector (hidden × 4 bytes) per hand-off"
            ),
            substituted=f"{format_bytes(plan.interconnect_bytes_per_token)} per token",
        )
    if plan.strategy in ("layer_split", "rpc_cluster") and workload.batch == 1:
        out["pipeline_bubble"] = Explanation(
            term="pipeline-bubble",
            formula="at batch 1 each stage waits for the previous one",
            substituted=f"{len(plan.gpu_devices)} stages, one busy at a time",
        )
    if plan.strategy in ("cpu_offload", "expert_offload"):
        out["offload"] = Explanation(
            term="cpu-offload" if plan.strategy == "cpu_offload" else "moe-expert-offload",
            formula="layers in RAM cost bytes ÷ RAM bandwidth per token",
            substituted=f"{format_bytes(plan.devices[-1].weights_bytes)} in system RAM",
        )
    return out


# speed is re-exported for callers that want the calibration constants next to the estimate
__all__ = ["ENGINE_VERSION", "candidate_plans", "estimate", "fits", "plan_fits", "speed"]
