"""`estimate()`: memory, every plan the hardware allows, and the recommended one."""

from . import memory, plans
from .schema import DeviceSpec, Estimate, Explanation, MemoryBreakdown, ModelSpec, Plan, QuantSpec, Workload
from .units import format_bytes, format_rate

ENGINE_VERSION = "0.1.0"


def estimate(*, model: ModelSpec, quant: QuantSpec, devices: list[DeviceSpec], workload: Workload) -> Estimate:
    if not devices:
        raise ValueError("at least one device is needed")
    candidates: list[Plan] = [plans.single(model=model, quant=quant, workload=workload, devices=devices)]
    if len(devices) > 1:
        candidates.append(plans.layer_split(model=model, quant=quant, workload=workload, devices=devices))
    recommended, reason = _recommend(candidates)

    breakdown = MemoryBreakdown(
        weights_bytes=memory.weights_bytes(model, quant),
        kv_cache_bytes=memory.kv_cache_bytes(
            model, context_tokens=workload.context_tokens, batch=workload.batch,
            kv_bytes_per_element=workload.kv_bytes_per_element,
        ),
        compute_bytes=sum(d.compute_bytes for d in (recommended or candidates[-1]).devices),
        overhead_bytes=sum(d.overhead_bytes for d in (recommended or candidates[-1]).devices),
    )
    return Estimate(
        engine_version=ENGINE_VERSION,
        model=model.slug,
        quant=quant.slug,
        memory=breakdown,
        plans=tuple(sorted(candidates, key=lambda p: p is not recommended)),
        recommended=recommended.strategy if recommended else None,
        reason=reason,
        explanations=_explain(model=model, quant=quant, workload=workload, breakdown=breakdown,
                              plan=recommended or candidates[-1]),
    )


def _recommend(candidates: list[Plan]) -> tuple[Plan | None, str]:
    """The simplest plan that fits: one device beats a split, since a split adds no single-stream speed."""
    fitting = [p for p in candidates if p.fits]
    if not fitting:
        return None, "No plan fits: every one needs more memory than a device has."
    best = fitting[0]
    if best.strategy == "single":
        return best, "The model fits on one device, the fastest and simplest way to run it."
    return best, "The model is too big for one device; a layer split spreads it over all of them."


def _explain(
    *, model: ModelSpec, quant: QuantSpec, workload: Workload, breakdown: MemoryBreakdown, plan: Plan
) -> dict[str, Explanation]:
    params = memory.stored_params(model)
    kv_token = memory.kv_bytes_per_token(model, workload.kv_bytes_per_element)
    out = {
        "weights_bytes": Explanation(
            term="model-weights",
            formula="parameters × bits per weight ÷ 8",
            substituted=f"{params / 1e9:.2f} B × {quant.bits_per_weight:g} ÷ 8 = {format_bytes(breakdown.weights_bytes)}",
        ),
        "kv_cache_bytes": Explanation(
            term="kv-cache",
            formula="2 × layers × KV heads × head dim × bytes per element × context × sequences",
            substituted=(
                f"2 × {model.num_hidden_layers} × {model.num_key_value_heads} × {model.head_dim_or_default} × "
                f"{workload.kv_bytes_per_element:g} = {format_bytes(kv_token)} per token × "
                f"{workload.context_tokens} × {workload.batch} = {format_bytes(breakdown.kv_cache_bytes)}"
            ),
        ),
        "compute_bytes": Explanation(
            term="compute-buffer",
            formula="4 bytes × micro-batch × (activations + logits on the output device)",
            substituted=f"{format_bytes(breakdown.compute_bytes)} over {len(plan.devices)} device(s)",
        ),
        "overhead_bytes": Explanation(
            term="runtime-overhead",
            formula="CUDA context per device",
            substituted=f"{format_bytes(breakdown.overhead_bytes)} over {len(plan.devices)} device(s)",
        ),
    }
    if plan.decode_tok_s:
        out["decode_tok_s"] = Explanation(
            term="decode",
            formula="1 ÷ Σ over devices (bytes read per token ÷ (bandwidth × efficiency))",
            substituted=f"{format_rate(plan.decode_tok_s)} tok/s",
        )
    if plan.prefill_tok_s:
        out["prefill_tok_s"] = Explanation(
            term="prefill",
            formula="prompt tokens ÷ (2 × active parameters × prompt tokens ÷ (FP16 FLOPS × efficiency))",
            substituted=f"{format_rate(plan.prefill_tok_s)} tok/s",
        )
    return out
