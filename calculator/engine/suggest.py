"""What to change, computed: each suggestion re-runs the engine with one input changed.

`Suggestion.changes` are API query-parameter changes: {"quant": slug}, {"ctx": tokens}, {"kv": type},
{"gpu_count": n}, {"ram_gb": n}.
"""

from collections.abc import Sequence

from .schema import KV_BYTES_PER_ELEMENT, DeviceSpec, ModelSpec, Plan, QuantSpec, Suggestion, Workload
from .units import GB, format_bytes, format_rate

MAX_GPU_COUNT = 16
MIN_CONTEXT = 512


def _best(
    model: ModelSpec,
    quant: QuantSpec,
    devices: list[DeviceSpec],
    workload: Workload,
    strategies: Sequence[str] | None = None,
) -> Plan | None:
    from .estimate import fits  # estimate imports this module

    return fits(model=model, quant=quant, devices=devices, workload=workload, strategies=strategies)


GPU_ONLY = ("single", "layer_split", "tensor_parallel", "replicas", "rpc_cluster")


def longest_context(
    model: ModelSpec,
    quant: QuantSpec,
    devices: list[DeviceSpec],
    workload: Workload,
    strategies: Sequence[str] | None = None,
) -> int | None:
    """The longest context per sequence (a multiple of 256) at which some plan (of `strategies`) fits."""
    limit = model.max_position_embeddings or 131072
    lo_w = workload.model_copy(
        update={"context_tokens": MIN_CONTEXT, "prompt_tokens": min(workload.prompt_tokens, MIN_CONTEXT)}
    )
    if _best(model, quant, devices, lo_w, strategies) is None:
        return None
    lo, hi = MIN_CONTEXT // 256, limit // 256
    while lo < hi:
        mid = (lo + hi + 1) // 2
        w = workload.model_copy(
            update={"context_tokens": mid * 256, "prompt_tokens": min(workload.prompt_tokens, mid * 256)}
        )
        if _best(model, quant, devices, w, strategies) is not None:
            lo = mid
        else:
            hi = mid - 1
    return lo * 256


def suggestions(
    *,
    model: ModelSpec,
    quant: QuantSpec,
    devices: list[DeviceSpec],
    workload: Workload,
    best: Plan | None,
    candidates: Sequence[QuantSpec] | None = None,
) -> tuple[Suggestion, ...]:
    out: list[Suggestion] = []
    # 1. the largest format that fits
    if candidates:
        fitting = [
            q
            for q in sorted(candidates, key=lambda q: -q.bits_per_weight)
            if _best(model, q, devices, workload) is not None
        ]
        if fitting:
            top = fitting[0]
            if best is None:
                out.append(
                    Suggestion(
                        kind="quant",
                        text=f"{top.name} fits: the largest format that does.",
                        changes={"quant": top.slug},
                    )
                )
            elif top.bits_per_weight > quant.bits_per_weight:
                out.append(
                    Suggestion(
                        kind="quant",
                        text=f"{top.name} also fits, and keeps more of the model's quality.",
                        changes={"quant": top.slug},
                    )
                )
    # 2. the longest context at this format
    kinds = GPU_ONLY if best is None or best.strategy in GPU_ONLY else None
    ctx = longest_context(model, quant, devices, workload, kinds)
    if ctx is not None and ctx != workload.context_tokens:
        limit = model.max_position_embeddings
        at_limit = limit is not None and ctx >= limit - 255
        text = f"Context up to {ctx:,} tokens fits at {quant.name}" + (
            " (the model's maximum)." if at_limit else "."
        )
        out.append(Suggestion(kind="context", text=text, changes={"ctx": ctx}))
    # 3. a quantized KV cache
    if workload.kv_bytes_per_element >= 2 and workload.runtime in ("llama.cpp", "ollama"):
        for kv in ("q8_0", "q4_0"):
            w = workload.model_copy(
                update={
                    "kv_cache_type": kv,
                    "kv_bytes_per_element": KV_BYTES_PER_ELEMENT[kv],
                    "flash_attention": True,
                }
            )
            plan = _best(model, quant, devices, w, kinds)
            kv_ctx = longest_context(model, quant, devices, w, kinds)
            if plan is None and kv_ctx is None:
                continue
            saved = _kv_total(best) - _kv_total(plan) if best and plan else None
            bits = [f"A {kv} KV cache"]
            if best is None and plan is not None:
                bits.append("makes it fit")
            elif saved:
                bits.append(f"saves {format_bytes(saved)}")
            if kv_ctx and (ctx is None or kv_ctx > ctx):
                bits.append(f"and allows {kv_ctx:,} tokens of context")
            out.append(
                Suggestion(
                    kind="kv_cache", text=" ".join(bits) + ".", changes={"kv": kv}, fits=plan is not None
                )
            )
            if best is None and plan is not None:
                break
    # 4. how many GPUs of this kind
    if best is None:
        kind = max(devices, key=lambda d: d.usable_bytes)
        for n in range(len(devices) + 1, MAX_GPU_COUNT + 1):
            plan = _best(
                model, quant, [kind] * n, workload, strategies=("single", "layer_split", "tensor_parallel")
            )
            if plan is not None:
                out.append(
                    Suggestion(
                        kind="gpu_count",
                        text=f"{n} × {kind.name} would fit it ({plan.strategy}, "
                        f"{format_rate(plan.decode_tok_s)} tok/s).",
                        changes={"gpu_count": n},
                    )
                )
                break
    # 5. offload
    if best is None:
        if workload.ram_bytes is None:
            out.append(
                Suggestion(
                    kind="ram",
                    text="Give your system RAM to see whether offloading to it works.",
                    changes={"ram_gb": 64},
                    fits=False,
                )
            )
        else:
            need = _ram_needed(model, quant, devices, workload)
            if need is not None:
                out.append(
                    Suggestion(
                        kind="offload",
                        text=f"With {need} GB of system RAM, offloading would fit.",
                        changes={"ram_gb": need},
                    )
                )
    elif best.strategy in ("cpu_offload", "expert_offload"):
        out.append(
            Suggestion(
                kind="offload",
                text=f"Runs with {best.strategy.replace('_', ' ')} at "
                f"{format_rate(best.decode_tok_s)} tok/s; a GPU with more "
                "memory would be several times faster.",
                changes={},
            )
        )
    return tuple(out)


def _kv_total(plan: Plan | None) -> int:
    return sum(d.kv_cache_bytes for d in plan.devices) if plan else 0


def _ram_needed(
    model: ModelSpec, quant: QuantSpec, devices: list[DeviceSpec], workload: Workload
) -> int | None:
    for gb in (32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048):
        if workload.ram_bytes and gb * GB <= workload.ram_bytes:
            continue
        w = workload.model_copy(update={"ram_bytes": gb * GB})
        if _best(model, quant, devices, w, strategies=("cpu_offload", "expert_offload")) is not None:
            return gb
    return None
