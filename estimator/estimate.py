"""`estimate()`: memory, every plan the hardware allows, ranked, with suggestions and launch commands."""

from collections.abc import Sequence

from . import commands, fixed_costs, kv_cache, limits, memory, quant_mix, speed, suggest, timing
from .commands_releases import command_releases
from .ranking import best_plan, candidate_plans, fits, interned, interned_devices, plan_fits, rank
from .schema import (
    DeviceSpec,
    Estimate,
    Explanation,
    MemoryBreakdown,
    ModelSpec,
    Plan,
    QuantSpec,
    Workload,
)
from .units import format_bytes, format_ms, format_rate, format_seconds, plural

ENGINE_VERSION = "0.6.123"


@speed.shared_steps()  # its plans and suggestions time the same stages at several workloads
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
    # one object per spec value, as `candidate_plans` hands its builders: the tables cached by identity
    # (`limits.bounded_cache`) that the memory totals, commands and explanations read are then found
    model, quant, devices = interned(model), interned(quant), interned_devices(devices)
    found, skipped = candidate_plans(model=model, quant=quant, devices=devices, workload=workload)
    ranked, best, reason, reasons = rank(found, workload)
    # rank, reason, commands and explanations in one copy (the last two do not read the first two)
    backends = {d.backend for d in devices}
    launch = [
        commands.launch_commands(model=model, quant=quant, plan=p, workload=workload, backends=backends)
        for p in ranked
    ]
    ranked = [
        p.model_copy(
            update={
                "rank": i,
                "reason": r,
                "commands": cmds,
                "command_releases": command_releases(cmds),
                "explanations": explain_plan(model=model, plan=p, workload=workload),
            }
        )
        for i, (p, r, cmds) in enumerate(zip(ranked, reasons, launch, strict=True), start=1)
    ]
    if best is not None:
        best = ranked[0]
    shown = best or ranked[0]
    breakdown = MemoryBreakdown(
        weights_bytes=memory.weights_bytes(model, quant),
        kv_cache_bytes=kv_cache.kv_cache_bytes(
            model,
            context_tokens=workload.context_tokens,
            batch=workload.batch,
            kv_bytes_per_element=workload.kv_bytes_per_element,
            workload=workload,
        ),
        compute_bytes=sum(d.compute_bytes for d in shown.devices),
        overhead_bytes=sum(d.overhead_bytes for d in shown.devices),
        recurrent_state_bytes=kv_cache.recurrent_state_bytes(model, workload),
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
        explanations=explain(
            model=model,
            quant=quant,
            workload=workload,
            breakdown=breakdown,
            plan=shown,
            backends=sorted({d.backend for d in devices}),
        ),
        suggestions=suggestions,
        unavailable=skipped,
        context_tokens_allocated=kv_cache.padded_context(model, workload),
    )


def _window_words(model: ModelSpec, workload: Workload) -> str:
    """What the sliding-window layers keep, in the cells `kv_cache.kv_cache_layers_bytes` counts (the
    window, plus llama.cpp's micro-batch or vLLM's step and block), so the shown factors give the total;
    under vLLM, the layers its hybrid manager pads its groups with (`kv_cache.vllm_groups`)."""
    windowed = model.sliding_window_layers
    cells = kv_cache.window_cells(model, workload)
    only = " only" if cells < kv_cache.padded_context(model, workload) else ""
    words = f"; {windowed} sliding-window layers keep{only} {cells} cells"
    groups = kv_cache.vllm_groups(model) if workload.runtime == "vllm" else None
    if groups is not None:
        pads = {
            "full": groups.full * groups.size - (model.num_hidden_layers - windowed),
            "sliding-window": groups.window * groups.size - windowed,
        }
        words += "".join(
            f"; vLLM pads its groups with {plural(n, f'{kind} layer')}" for kind, n in pads.items() if n
        )
    return words


def _state_explanation(model: ModelSpec, workload: Workload, breakdown: MemoryBreakdown) -> Explanation:
    """The linear-attention layers' recurrent state (`kv_cache.recurrent_state_bytes_per_layer`): the KV cache
    explanation counts only the full-attention layers."""
    keys = (model.linear_num_key_heads or 0) * (model.linear_key_head_dim or 0)
    values = (model.linear_num_value_heads or 0) * (model.linear_value_head_dim or 0)
    per_layer = kv_cache.recurrent_state_bytes_per_layer(model, workload)
    sequences = kv_cache.reserved_sequences(model, workload)
    conv = f"({model.linear_conv_kernel_dim} − 1) × (2 × {keys} + {values})"
    matrix = f"{model.linear_key_head_dim} × {values}"
    conv_bytes, matrix_bytes = kv_cache.recurrent_state_dtype_bytes(model, workload)
    if conv_bytes == matrix_bytes:  # llama.cpp and Ollama
        parts = f"((conv kernel − 1) × (2 × key dims + value dims) + key head dim × value dims) × {conv_bytes} bytes (F32)"
        values_text = f"({conv} + {matrix}) × {conv_bytes}"
    else:  # vLLM, SGLang, MLX: the conv inputs in 16 bits, the matrix in its own dtype
        parts = (
            f"((conv kernel − 1) × (2 × key dims + value dims) × {conv_bytes} bytes + key head dim × value dims × "
            f"{matrix_bytes} bytes)"
        )
        values_text = f"({conv} × {conv_bytes} + {matrix} × {matrix_bytes})"
    return Explanation(
        term="linear-attention",
        formula=(
            f"linear-attention layers × {parts} × sequences; no KV cache there, and it does not grow with the context"
        ),
        substituted=(
            f"{model.linear_attention_layers} × {values_text} = "
            f"{format_bytes(per_layer * model.linear_attention_layers)} per sequence × {sequences} = "
            f"{format_bytes(breakdown.recurrent_state_bytes)}"
        ),
    )


def _recipe_words(model: ModelSpec, quant: QuantSpec) -> str:
    """Why a llama.cpp mix's width is this model's own (`memory.sized`), or nothing."""
    if quant_mix.file_bits(model, quant) is None:
        return ""
    return (
        f", as llama.cpp's quantizer mixes {quant.name} for this model's tensors "
        f"({quant.bits_per_weight:g} on Llama 3.1 8B)"
    )


def explain(
    *,
    model: ModelSpec,
    quant: QuantSpec,
    workload: Workload,
    breakdown: MemoryBreakdown,
    plan: Plan,
    backends: Sequence[str],
) -> dict[str, Explanation]:
    kv_token = kv_cache.kv_bytes_per_token(model, workload.kv_bytes_per_element)
    if model.is_mla:
        kv_formula = "layers × (KV latent rank + RoPE key dim) × bytes per element × context × sequences"
        kv_values = f"{model.num_hidden_layers} × ({model.kv_lora_rank} + {model.qk_rope_head_dim})"
        kv_term = "mla"
    else:
        kv_formula = "2 × layers × KV heads × head dim × bytes per element × context × sequences"
        kv_values = (
            f"2 × {model.attention_layers} × {model.num_key_value_heads} × {model.head_dim_or_default}"
        )
        kv_term = "gqa" if model.num_key_value_heads < model.num_attention_heads else "kv-cache"
    window = ""
    if model.has_window_layers:
        window = _window_words(model, workload)
    widths = memory.params_by_width(model, quant)
    product = " + ".join(
        f"{n / 1e9:.2f} B{f' ({what})' if what else ''} × {bits:g}" for what, n, bits in widths
    )
    if len(widths) > 1:
        product = f"({product})"
    out = {
        "weights_bytes": Explanation(
            term="model-weights",
            formula="parameters × bits per weight ÷ 8",
            substituted=f"{product} ÷ 8 = {format_bytes(breakdown.weights_bytes)}",
        ),
        "bits_per_weight": Explanation(
            term="bits-per-weight",
            formula="bytes per block × 8 ÷ weights per block, averaged over the file",
            substituted=f"{quant.name}: "
            + ", ".join(f"{bits:g} bits per weight{f' ({what})' if what else ''}" for what, n, bits in widths)
            + _recipe_words(model, quant),
        ),
        "kv_cache_bytes": Explanation(
            term=kv_term,
            formula=kv_formula,
            substituted=(
                f"{kv_values} × {workload.kv_bytes_per_element:g} = {format_bytes(kv_token)} per token × "
                f"{kv_cache.padded_context(model, workload)} cells{window} = {format_bytes(breakdown.kv_cache_bytes)}"
            ),
        ),
        "context_tokens": Explanation(
            term="context-length",
            formula=(
                "one sequence of the full context must fit; the paged cache shares the rest among requests"
                if workload.runtime == "vllm" and workload.batch > 1
                else "one sequence's context: Ollama runs this model one request at a time, and the others wait"
                if kv_cache.reserved_sequences(model, workload) < workload.batch
                else "context per sequence × sequences, rounded up to the runtime's padding"
            ),
            substituted=(
                f"{workload.context_tokens} × {kv_cache.reserved_sequences(model, workload)} → "
                f"{kv_cache.padded_context(model, workload)} cells ({workload.runtime})"
            ),
        ),
        "compute_bytes": Explanation(
            term="compute-buffer",
            formula="largest of: FFN activations, attention scores, logits (micro-batch × vocab × 4 B)",
            substituted=f"{format_bytes(breakdown.compute_bytes)} over {plural(len(plan.gpu_devices), 'device')}",
        ),
        "overhead_bytes": Explanation(
            term="runtime-overhead",
            formula="; ".join(memory.OVERHEAD_WORDS.get(b, f"{b} context per device") for b in backends),
            substituted=f"{format_bytes(breakdown.overhead_bytes)} over {plural(len(plan.gpu_devices), 'device')}",
        ),
        "headroom_bytes": headroom_explanation(workload, plan),
    }
    if model.has_window_layers:
        out["sliding_window"] = Explanation(
            term="sliding-window-attention",
            formula="window layers keep min(context, window) tokens of KV",
            substituted=f"{model.sliding_window_layers} of {model.num_hidden_layers} layers × {model.sliding_window} tokens",
        )
    if model.has_linear_layers:
        out["recurrent_state_bytes"] = _state_explanation(model, workload, breakdown)
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


def step_sum(parts: dict[str, float] | None) -> str:
    """'1 ÷ (weights 50.6 ms + KV cache 0.22 ms + launches and synchronisation 2.3 ms) = 1 ÷ 53.1 ms = ', or ''."""
    if not parts:
        return ""
    # a part that reads "0.00 ms" is left out, as the page's bar leaves it (calculator/step_time.py); the
    # sum is still the whole step's
    shown = [
        f"{timing.STEP_PARTS[name]} {ms}" for name, s in parts.items() if (ms := format_ms(s)) != format_ms(0)
    ]
    return f"1 ÷ ({' + '.join(shown)}) = 1 ÷ {format_ms(sum(parts.values()))} = "


def explain_plan(*, model: ModelSpec, plan: Plan, workload: Workload) -> dict[str, Explanation]:
    out: dict[str, Explanation] = {}
    if plan.decode_tok_s:
        out["decode_tok_s"] = Explanation(
            term="decode",
            formula=(
                "1 ÷ Σ over stages (weights and KV read per token ÷ (bandwidth × efficiency of the memory, "
                "kernels and format) + layers × launch time)"
                + (
                    f"; MLX builds each step on the host first: at least its kernels × "
                    f"{fixed_costs.MLX_HOST_KERNEL_SECONDS * 1e6:.1f} µs"
                    if workload.runtime == "mlx"
                    else ""
                )
            ),
            substituted=(
                f"{step_sum(plan.decode_step_s)}{format_rate(plan.decode_tok_s)} tok/s at the start of the "
                f"answer (likely {format_rate(plan.decode_tok_s_low)}–{format_rate(plan.decode_tok_s_high)})"
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
        # the sequences that run at once: those the runtime seats (the others wait, `Plan.seated`)
        seats = plan.seated(workload.batch)
        running = f"{seats} of the {workload.batch} sequences at once" if seats < workload.batch else ""
        out["decode_tok_s_aggregate"] = Explanation(
            term="continuous-batching",
            formula="sequences ÷ step time; a step reads the weights once and each sequence's KV cache",
            substituted=f"{running or f'{seats} sequences'} → {format_rate(plan.decode_tok_s_aggregate)} tok/s in total",
        )
        out["roofline"] = Explanation(
            term="roofline",
            formula="step time = max(bytes ÷ bandwidth, FLOPs ÷ FLOPS)",
            substituted=f"batch {seats}",
        )
        if plan.decode_tok_s_aggregate_at_context:
            out["decode_tok_s_aggregate_at_context"] = Explanation(
                term="kv-cache",
                formula=(
                    "sequences ÷ step time with the whole context cached in each: a step reads the weights once "
                    "and every sequence's own KV cache"
                ),
                substituted=(
                    f"{running or f'{seats} sequences'} with {workload.context_tokens} tokens cached each → "
                    f"{format_rate(plan.decode_tok_s_aggregate_at_context)} tok/s in total"
                ),
            )
    if plan.prefill_tok_s:
        out["prefill_tok_s"] = Explanation(
            term="prefill",
            formula="prompt tokens ÷ ((2 × active params × prompt + attention FLOPs) ÷ (FP16 FLOPS × efficiency))",
            substituted=f"{workload.prompt_tokens} tokens at {format_rate(plan.prefill_tok_s)} tok/s",
        )
    if plan.ttft_s is not None:
        waited = f" after {format_seconds(plan.queue_s)} waiting for a free KV slot" if plan.queue_s else ""
        out["ttft_s"] = Explanation(
            term="time-to-first-token",
            formula="queueing + prefill time (the prefill pass yields the first token)",
            substituted=f"{format_seconds(plan.ttft_s)} for a {workload.prompt_tokens}-token prompt{waited}",
        )
    if plan.interconnect_bytes_per_token:
        term = {"tensor_parallel": "all-reduce", "rpc_cluster": "rpc-clustering"}
        term |= {"pipeline_parallel": "pipeline-parallelism"}
        formula = {"all-reduce": "2 all-reduces per layer × 2 (n − 1) ÷ n × hidden × 2 bytes"}
        formula |= {
            "pipeline-parallelism": "the hidden state and residual (hidden × 2 × 2 bytes) per machine hand-off"
        }
        on = term.get(plan.strategy, "pcie")
        out["interconnect_bytes_per_token"] = Explanation(
            term=on,
            formula=formula.get(on, "one hidden vector (hidden × 4 bytes) per hand-off"),
            substituted=f"{format_bytes(plan.interconnect_bytes_per_token)} per token",
        )
    if plan.strategy in ("layer_split", "rpc_cluster", "pipeline_parallel") and workload.batch == 1:
        out["pipeline_bubble"] = Explanation(
            term="pipeline-bubble",
            formula="at batch 1 each stage waits for the previous one",
            substituted=f"{plan.pipeline_parallel_size} stages, one busy at a time",
        )
    if plan.strategy in ("cpu_offload", "expert_offload"):
        out["offload"] = Explanation(
            term="cpu-offload" if plan.strategy == "cpu_offload" else "moe-expert-offload",
            formula="layers in RAM cost bytes ÷ RAM bandwidth per token",
            substituted=f"{format_bytes(plan.devices[-1].weights_bytes)} in system RAM",
        )
    return out


# speed is re-exported for callers that want the calibration constants next to the estimate
__all__ = ["ENGINE_VERSION", "best_plan", "candidate_plans", "estimate", "fits", "plan_fits", "speed"]


def headroom_explanation(workload: Workload, plan: Plan) -> Explanation:
    """The memory kept free on each device: the workload's, or under vLLM what --gpu-memory-utilization leaves
    of the largest device where that is more (`device_memory`: the larger of the two)."""
    held = max((d.headroom_bytes for d in plan.gpu_devices), default=workload.headroom_bytes)
    if workload.runtime == "vllm" and held > workload.headroom_bytes:
        left = 1 - workload.gpu_memory_utilization
        return Explanation(
            term="headroom",
            formula="memory the server leaves free on each device: (1 − the share it takes: vLLM's "
            "--gpu-memory-utilization; SGLang sizes its own, about the same) × the device's memory",
            substituted=f"(1 − {workload.gpu_memory_utilization:g}) = {left:.0%} of each device, "
            f"{format_bytes(held)} on the largest",
        )
    return Explanation(
        term="headroom",
        formula="memory kept free on each device",
        substituted=f"{format_bytes(workload.headroom_bytes)} per device",
    )
