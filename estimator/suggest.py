"""What to change, computed: each suggestion re-runs the engine with one input changed, and says what
it found as a `Reason` (the site words it).

Most probes only ask "does anything fit?": those check memory alone (`plan_fits`), and the full plan is
built only where a suggestion quotes it (its speed, its KV cache).

`Suggestion.changes` are API query-parameter changes: {"quant": slug}, {"ctx": tokens}, {"kv": type},
{"gpu_count": n}, {"hosts": n}, {"ram_gb": n}.

A suggestion that fits fits with a plan the chosen runtime runs (`Workload.runtime_strategies`), in a KV
cache type it keeps (`Workload.runtime_kv_cache_types`): its link opens a page that says yes. More
GPUs or machines that only another runtime can use are still offered, saying so, as not fitting.
"""

from collections.abc import Callable, Sequence
from typing import Literal

from .kv_cache import kv_cache_layers_bytes, reserved_sequences
from .layouts import strategy_slack, tensor_parallel_unsupported
from .limits import MAX_DEVICES_IN_ALL, MAX_HOSTS
from .plans import single
from .ranking import (
    fits,
    interned,
    interned_devices,
    plan_fits,
    slows_with_context,
    strategies_to_check,
    unified,
)
from .schema import KV_BYTES_PER_ELEMENT, DeviceSpec, ModelSpec, Plan, QuantSpec, Reason, Suggestion, Workload
from .strategies import GPU_ONLY, OVER_MACHINES, STRATEGIES
from .units import GB, GIB, MIB

# The GPUs one machine holds: NVIDIA's HGX baseboards hold 8 SXM GPUs ("NVIDIA HGX H100 8-GPU baseboard", and
# A100's, H200's, B200's: https://docs.nvidia.com/ai-enterprise/release-8/8.0/infra-software/vgpu/features/nvswitch.html),
# as the larger PCIe servers hold 8 double-width cards. Past that, "10 × H100 SXM5" names a machine no one
# sells: machines of 8 instead.
GPUS_PER_MACHINE = 8
# Asked of one machine, the most machines suggested: 4 of 8 GPUs, what a 671B model in FP8 or BF16 takes of
# H100s (DeepSeek's); "8 machines of 8× RTX 3060" for DeepSeek R1 is no plan anyone builds (offloading is).
MACHINES_SUGGESTED = 4
MIN_CONTEXT = 512
# The longest context suggested goes past a model's released one, turning YaRN on, only where it reaches this
# many times the released one: Qwen's cards advise YaRN "only when processing long contexts is required", as its
# fixed factor "may impact performance on shorter texts" (https://huggingface.co/Qwen/Qwen3-8B).
YARN_SUGGESTED_FROM = 1.25
# The smaller KV cache types suggested per runtime, widest first: llama.cpp's and Ollama's ggml types, vLLM's FP8
# (`--kv-cache-dtype fp8`, SGLang's fp8_e4m3: commands.py), each where the runtime keeps that type
# (`Workload.runtime_kv_cache_types`).
QUANTIZED_KV = {"llama.cpp": ("q8_0", "q4_0"), "ollama": ("q8_0", "q4_0"), "vllm": ("fp8",)}


def _best(
    model: ModelSpec,
    quant: QuantSpec,
    devices: list[DeviceSpec],
    workload: Workload,
    strategies: Sequence[str] | None = None,
    *,
    probe: bool = True,
) -> Plan | None:
    """The plan `fits` recommends, without its rank and reason, which no suggestion quotes (its
    strategy, speeds and KV cache are the same); `probe=False` where it is known to fit."""
    return fits(
        model=model,
        quant=quant,
        devices=devices,
        workload=workload,
        strategies=strategies,
        probe=probe,
        reasoned=False,
    )


def _fits(
    model: ModelSpec,
    quant: QuantSpec,
    devices: list[DeviceSpec],
    workload: Workload,
    strategies: Sequence[str] | None = None,
) -> bool:
    """`_best(...) is not None`, from memory alone."""

    return plan_fits(model=model, quant=quant, devices=devices, workload=workload, strategies=strategies)


def _runnable(workload: Workload, strategies: Sequence[str] | None) -> tuple[str, ...] | None:
    """`strategies` (None: all) that the chosen runtime runs: the ones a suggestion may fit with."""
    allowed = workload.runtime_strategies
    if allowed is None:
        return None if strategies is None else tuple(strategies)
    return tuple(s for s in (STRATEGIES if strategies is None else strategies) if s in allowed)


def _at_context(workload: Workload, tokens: int) -> Workload:
    return workload.model_copy(
        update={"context_tokens": tokens, "prompt_tokens": min(workload.prompt_tokens, tokens)}
    )


def longest_context(
    model: ModelSpec,
    quant: QuantSpec,
    devices: list[DeviceSpec],
    workload: Workload,
    strategies: Sequence[str] | None = None,
) -> int | None:
    """The longest context per sequence (a multiple of 256) at which some plan (of `strategies`) fits.

    Memory grows linearly with context, so the limit is solved for (`_context_guess`) and then checked:
    it fits there and not 256 tokens further. That is the answer the binary search over every multiple
    of 256 gives whenever a longer context never fits where a shorter one did not, which
    `_fits_grow_monotonically` makes sure of; otherwise (offload plans, buffers that grow with the
    context), or when the check fails, the binary search runs, on memory-only probes.
    """
    limit = model.context_limit(workload.runtime) or 131072
    if not _fits(model, quant, devices, _at_context(workload, MIN_CONTEXT), strategies):
        return None
    lo, hi = MIN_CONTEXT // 256, limit // 256
    if lo >= hi:
        return lo * 256

    def fits_at(m: int) -> bool:
        return m == lo or _fits(model, quant, devices, _at_context(workload, m * 256), strategies)

    settled = None
    if _fits_grow_monotonically(model, devices, workload, strategies):
        guess = _context_guess(model, quant, devices, workload, strategies, lo, hi)
        settled = _settle(fits_at, guess, lo, hi) if guess is not None else None
    if settled is not None:
        return settled * 256
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits_at(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo * 256


def _fits_grow_monotonically(
    model: ModelSpec, devices: list[DeviceSpec], workload: Workload, strategies: Sequence[str] | None
) -> bool:
    """True when no device's memory can shrink as the context grows, so that past the first context
    that does not fit, none does: only GPU-only plans (offload moves layers to RAM as the context grows,
    unevenly with sliding-window layers), and compute buffers that do not depend on the context (flash
    attention with full micro-batches, or vLLM) so that layer splits stay put."""

    checked = strategies_to_check(model=model, devices=devices, workload=workload, strategies=strategies)
    constant_buffers = workload.runtime == "vllm" or (
        workload.flash_attention
        and workload.ubatch_tokens <= MIN_CONTEXT * reserved_sequences(model, workload)
    )
    return constant_buffers and all(s in GPU_ONLY for s in checked)


SETTLE_STEPS = 2


def _settle(fits_at: Callable[[int], bool], guess: int, lo: int, hi: int) -> int | None:
    """The m near `guess` (in 256-token steps) where it fits at m and not at m + 1, or None."""
    m = min(max(guess, lo), hi)
    if fits_at(m):
        for _ in range(SETTLE_STEPS + 1):
            if m == hi or not fits_at(m + 1):
                return m
            m += 1
        return None
    for _ in range(SETTLE_STEPS):
        m -= 1
        if fits_at(m):
            return m
    return None


def _context_guess(
    model: ModelSpec,
    quant: QuantSpec,
    devices: list[DeviceSpec],
    workload: Workload,
    strategies: Sequence[str] | None,
    lo: int,
    hi: int,
) -> int | None:
    """Where the fullest device of the best strategy runs out, in 256-token steps.

    Each device's free memory falls linearly with the KV cells: from its value at the shortest and the
    longest context, the step where it reaches zero; a strategy lasts until its first device runs out.
    """

    at_lo, at_hi = _at_context(workload, lo * 256), _at_context(workload, hi * 256)
    best = None
    for strategy in strategies_to_check(
        model=model, devices=devices, workload=workload, strategies=strategies
    ):
        kw = {"model": model, "quant": quant, "devices": devices}
        a = strategy_slack(strategy, workload=at_lo, **kw)
        if not a or min(a) < 0:
            continue
        b = strategy_slack(strategy, workload=at_hi, **kw)
        if len(a) != len(b):
            # the layout changed with the context (offload moves layers): interpolate the fullest device
            a, b = [min(a)], [min(b)]
        last = hi
        for free_lo, free_hi in zip(a, b, strict=True):
            if free_hi < 0:
                last = min(last, lo + int(free_lo * (hi - lo) / (free_lo - free_hi)))
        best = last if best is None else max(best, last)
    return best


# What a Mac's raised GPU limit leaves macOS and the open applications: "several GB at least" (the site's Apple
# guide, after mlx-lm's README, "Large Models": `sudo sysctl iogpu.wired_limit_mb=N`, N above the model's size and
# below the machine's memory, https://github.com/ml-explore/mlx-lm/blob/0130d3b7f16938c437cf69c37e88e1182da12fc1/README.md):
# 8 GiB, or an eighth of a larger machine's memory (the guide's 112 of 128 GiB).
MACOS_KEPT_BYTES = 8 * GIB
MACOS_KEPT_SHARE = 1 / 8


def wired_limit(
    model: ModelSpec, quant: QuantSpec, devices: list[DeviceSpec], workload: Workload
) -> Suggestion | None:
    """On one Mac at macOS's GPU limit (the catalog's default share, `DeviceSpec.effective_memory_fraction`), the limit raised to all
    but what macOS keeps (MACOS_KEPT_BYTES, MACOS_KEPT_SHARE) of its memory (`iogpu.wired_limit_mb`, which resets
    at reboot), where that fits; where it fits only a shorter context, with the longest it holds
    (`context_tokens`: a visitor review, a 70B at MLX 4-bit and 8K on a 48 GB Mac, 0.7 GiB short at the
    raised limit, was told nothing of it, though it holds 5,632 tokens there)."""
    if len(devices) != 1 or workload.hosts > 1:
        return None
    mac = devices[0]
    if not (mac.unified_memory and mac.backend == "metal"):
        return None
    kept = max(MACOS_KEPT_BYTES, int(mac.memory_bytes * MACOS_KEPT_SHARE))
    fraction = (mac.memory_bytes - kept) / mac.memory_bytes
    if fraction <= mac.effective_memory_fraction:
        return None
    raised = mac.model_copy(update={"gpu_memory_fraction": fraction})
    runs = _runnable(workload, None)
    values: dict[str, int | float | str] = {
        "wired_limit_mb": (mac.memory_bytes - kept) // MIB,
        "usable_bytes": raised.usable_bytes,
        "kept_bytes": kept,
    }
    if not _fits(model, quant, [raised], workload, runs):
        ctx = longest_context(model, quant, [raised], workload, runs)
        if ctx is None or ctx >= workload.context_tokens:
            return None
        values["context_tokens"] = ctx
    return Suggestion(kind="wired_limit", reason=Reason(code="wired_limit", values=values), changes={})


def suggestions(
    *,
    model: ModelSpec,
    quant: QuantSpec,
    devices: list[DeviceSpec],
    workload: Workload,
    best: Plan | None,
    candidates: Sequence[QuantSpec] | None = None,
) -> tuple[Suggestion, ...]:
    # one object per spec value, as `candidate_plans` and `plan_fits` hand the engine's caches
    model, quant, devices = interned(model), interned(quant), interned_devices(devices)
    out: list[Suggestion] = []
    runs = _runnable(workload, None)
    if best is not None and runs is not None and best.strategy not in runs:
        # the chosen runtime cannot run the recommended plan: what to change starts from what it can
        best = _best(model, quant, devices, workload, runs)
    # 0. a Mac's GPU memory limit raised: the same question, at no cost (or a shorter context: after that
    # context's own suggestion, below, beside the formats that keep the context asked)
    raised = wired_limit(model, quant, devices, workload) if best is None else None
    if raised is not None and "context_tokens" not in raised.reason.values:
        out.append(raised)
    # 1. the largest format that fits: the one that keeps the most of the model (`kept_bits`)
    if candidates:
        # best kept first; only the first that fits matters, and when this format fits, only better ones
        ordered = sorted(candidates, key=lambda q: -kept_bits(q))
        fits_with = runs
        if best is not None:
            # a wider format is better only on the GPUs alone: where it would offload (or offload more) it
            # reads more from RAM, slower (70B at Q8_0 on one 5090 and RAM: 1.2 tok/s against Q4_K_M's 3.8)
            gpu_only = best.strategy in GPU_ONLY
            ordered = [q for q in ordered if gpu_only and kept_bits(q) > kept_bits(quant)]
            fits_with = _runnable(workload, GPU_ONLY)
        top = next((q for q in ordered if _fits(model, q, devices, workload, fits_with)), None)
        if top is not None:
            if best is None:
                out.append(
                    Suggestion(
                        kind="quant",
                        reason=Reason(
                            code="largest_format",
                            values={"quant": top.name, "bits_per_weight": top.bits_per_weight},
                        ),
                        changes={"quant": top.slug},
                    )
                )
            elif kept_bits(top) > kept_bits(quant):
                wider = {"quant": top.name} | _another_plan(model, top, devices, workload, best, fits_with)
                out.append(
                    Suggestion(
                        kind="quant",
                        reason=Reason(code="wider_format", values=wider),
                        changes={"quant": top.slug},
                    )
                )
    # 2. the longest context at this format
    kinds = _runnable(workload, GPU_ONLY if best is None or best.strategy in GPU_ONLY else None)
    ctx = longest_context(model, quant, devices, workload, kinds)
    # a few tokens more are not worth YaRN's fixed factor on every text (unless it was asked past it already)
    native = model.max_position_embeddings
    if ctx and native and native < ctx < native * YARN_SUGGESTED_FROM and workload.context_tokens <= native:
        ctx = native
    if ctx is not None and ctx != workload.context_tokens:
        limit = model.context_limit(workload.runtime)
        at_limit = limit is not None and ctx >= limit - 255
        values: dict[str, int | float | str] = {"context_tokens": ctx, "quant": quant.name}
        if kinds is not None and set(kinds) <= set(GPU_ONLY) and workload.ram_bytes and not unified(devices):
            # searched over the plans that keep the model on the GPUs (the one asked does): more may fit with
            # some of it in the RAM given (a consistency review: "up to 58,624" beside CPU offload at 59,648)
            values["on_gpus"] = 1
        if at_limit:
            values["at_limit"] = 1
        if model.yarn_factor_for(ctx):
            values["yarn"] = 1
        changed = ctx
        anchor, own = (
            (best, None) if best is not None else _steady_plan(model, quant, devices, workload, ctx, kinds)
        )
        if anchor is not None and (
            other := _another_plan(model, quant, devices, _at_context(workload, ctx), anchor, kinds)
        ):
            values |= other
            # the longest needs another plan (19,200 tokens with llama.cpp's experimental tensor parallel): the
            # recommended plan's own longest first, and the link to it (a visitor review: only the other's said)
            if own is None:
                own = longest_context(model, quant, devices, workload, (anchor.strategy,))
            if own is not None and own != workload.context_tokens:
                values |= {"own_context_tokens": own, "own_strategy": anchor.strategy}
                changed = own
        reason = Reason(code="longest_context", values=values)
        out.append(Suggestion(kind="context", reason=reason, changes={"ctx": changed}))
    if raised is not None and "context_tokens" in raised.reason.values:
        out.append(raised)
    # 3. a quantized KV cache: llama.cpp's and Ollama's ggml types (with flash attention), vLLM's FP8
    kept = workload.runtime_kv_cache_types
    smaller_kv = QUANTIZED_KV.get(workload.runtime, ())
    if workload.kv_bytes_per_element >= 2 and smaller_kv:
        for kv in (k for k in smaller_kv if kept is None or k in kept):
            ggml = workload.runtime != "vllm"
            w = workload.model_copy(
                update={
                    "kv_cache_type": kv,
                    "kv_bytes_per_element": KV_BYTES_PER_ELEMENT[kv],
                    "flash_attention": True if ggml else workload.flash_attention,
                }
            )
            fits_kv = _fits(model, quant, devices, w, kinds)  # memory alone: what it saves, below
            kv_ctx = longest_context(model, quant, devices, w, kinds)
            if not fits_kv and kv_ctx is None:
                continue
            saved = (
                _kv_total(best) - _kv_of_best(model, quant, devices, w, kinds) if best and fits_kv else None
            )
            values: dict[str, int | float | str] = {"kv": kv}
            if ggml and not workload.flash_attention:  # llama.cpp keeps a quantized V cache only with it
                values["flash_attention"] = 1
            if best is None and fits_kv:
                values["makes_fit"] = 1
            elif saved:
                values["saved_bytes"] = saved
            if kv_ctx and (ctx is None or kv_ctx > ctx):
                values["context_tokens"] = kv_ctx
            out.append(
                Suggestion(
                    kind="kv_cache",
                    reason=Reason(code="kv_cache", values=values),
                    changes={"kv": kv} | ({} if workload.flash_attention or not ggml else {"fa": "on"}),
                    fits=fits_kv,
                )
            )
            if best is None and fits_kv:
                break
    # 4. flash attention back on, where it was turned off: the KV cache read at the fused kernel's share
    if not workload.flash_attention:
        fused = workload.model_copy(update={"flash_attention": True})
        plan = _best(model, quant, devices, fused, kinds)
        fa_ctx = longest_context(model, quant, devices, fused, kinds)
        values = {"makes_fit": 1} if best is None and plan is not None else {}
        if (
            best is not None
            and plan is not None
            and plan.decode_tok_s_at_context
            and best.decode_tok_s_at_context
        ):
            values |= {"tok_s": plan.decode_tok_s_at_context, "was_tok_s": best.decode_tok_s_at_context}
        if fa_ctx and (ctx is None or fa_ctx > ctx):
            values["context_tokens"] = fa_ctx
        if values:
            reason = Reason(code="flash_attention", values=values)
            out.append(
                Suggestion(kind="flash_attention", reason=reason, changes={"fa": "on"}, fits=plan is not None)
            )
    # 5. how many GPUs of this kind; a unified-memory machine (a Mac) takes no other GPU, and several machines
    # take more of themselves: more machines, over the chosen runtime's way across them where it has one
    # (llama.cpp's RPC cluster; vLLM's and SGLang's tensor × pipeline parallel), else over either. One
    # machine takes GPUs up to GPUS_PER_MACHINE; past that, machines of that many.
    if best is None and (unified(devices) or workload.hosts > 1):
        if (more := _more_machines(model, quant, devices, workload)) is not None:
            out.append(more)
    elif best is None and workload.hosts == 1:
        # one machine's GPUs: over several machines, n GPUs in one (fewer than those asked, perhaps, and a
        # link that kept the machines: n a machine) would answer another question than the visitor's
        kind = max(devices, key=lambda d: d.usable_bytes)
        more = None
        for n in range(len(devices) + 1, GPUS_PER_MACHINE + 1):
            strategies = ("single", "layer_split", "tensor_parallel")
            # with a plan the chosen runtime runs, else with any (the suggestion says it needs another)
            plan = _best(model, quant, [kind] * n, workload, _runnable(workload, strategies))
            plan = plan or _best(model, quant, [kind] * n, workload, strategies)
            if plan is not None:
                more = _more("gpu_count", n, "more_gpus", kind, plan, workload)
                break
        if more is None and len(devices) < GPUS_PER_MACHINE:  # a full machine of the largest, then more
            node = [kind] * GPUS_PER_MACHINE
            more = _more_machines(
                model, quant, node, workload, MACHINES_SUGGESTED, gpu_count=GPUS_PER_MACHINE
            )
        elif more is None:  # the machine asked, then more of it
            more = _more_machines(model, quant, devices, workload, MACHINES_SUGGESTED)
        if more is not None:
            out.append(more)
    # 6. offload (none on unified memory: no RAM beside the GPU's, nor where the runtime cannot offload)
    offloads = _runnable(workload, ("cpu_offload", "expert_offload"))
    if best is None and not unified(devices) and offloads != ():
        # the RAM that makes offloading fit, given or not (linking 64 GB where 256 were needed led to a
        # "No"); none where no RAM would
        need = _ram_needed(model, quant, devices, workload, offloads)
        if need is not None:
            # which plan then, and how fast (a visitor review: "offloading would fit" said neither, where a
            # 70B on one RTX 5090 would decode at ~4 tok/s)
            with_ram = workload.model_copy(update={"ram_bytes": need * GB})
            plan = _best(
                model, quant, devices, with_ram, offloads, probe=False
            )  # `_ram_needed` found it fits
            values = {"ram_gb": need} | (_plan_values(plan, with_ram) if plan is not None else {})
            out.append(
                Suggestion(
                    kind="offload",
                    reason=Reason(code="ram_for_offload", values=values),
                    changes={"ram_gb": need},
                )
            )
    elif best is not None and best.strategy in ("cpu_offload", "expert_offload"):
        # the factor read off the one-GPU plan (the whole model on the largest GPU, as if it fitted)
        one_gpu = single(model=model, quant=quant, workload=workload, devices=devices).decode_tok_s
        factor = one_gpu / best.decode_tok_s if one_gpu and best.decode_tok_s else None
        values = _plan_values(best, workload)
        if factor and factor >= 1.1:
            values["faster_by"] = factor
        out.append(Suggestion(kind="offload", reason=Reason(code="offloaded", values=values), changes={}))
    return tuple(_lossless_first(out) if best is None else out)


def _lossless_first(out: list[Suggestion]) -> list[Suggestion]:
    """Where nothing fits, the changes that keep the model as it is come before a smaller format: a Mac's
    GPU limit raised, an 8-bit KV cache (its loss is a fraction of a weight format's step) and flash
    attention turned back on, in the
    order of the site's guide to a 70B at 32K on two 24 GB cards ("q8_0 KV ... then a slightly smaller
    4-bit file ... then q4_0 KV ... then a shorter context ... then hardware")."""
    first = [s for s in out if s.fits and _keeps_the_model(s)]
    return first + [s for s in out if s not in first]


def _keeps_the_model(suggestion: Suggestion) -> bool:
    if (
        suggestion.kind == "wired_limit"
    ):  # a Mac's GPU limit raised: first, at no cost, unless at a shorter context
        return "context_tokens" not in suggestion.reason.values
    if suggestion.kind == "flash_attention":
        return True
    kv = suggestion.changes.get("kv")
    return suggestion.kind == "kv_cache" and KV_BYTES_PER_ELEMENT.get(str(kv), 0) >= 1


# What a llama.cpp format keeps of its model, in the bits of the K-quant that loses as much: the legacy
# block formats lose more for their size. llama-quantize's own figures (perplexity added on Llama-3-8B,
# https://github.com/ggml-org/llama.cpp/blob/03161a4eb9a2ec66ef97789f347c5a28279f06ea/tools/quantize/quantize.cpp
# QUANT_OPTIONS): Q4_0 +0.4685 at 4.34G against Q4_K_S's +0.2689 at 4.37G. Each legacy format is placed on
# the K-quants' line (their catalog widths, linear in the loss between the two that bracket it): Q4_0 at
# 4.41 bits, between Q3_K_L (4.30) and Q4_K_S (4.67), so that an IQ4_XS (4.46) that fits is suggested
# before it, as the site's guide does. Formats without a figure keep their own width.
K_QUANT_LOSS = {  # name: (catalog bits per weight, perplexity added)
    "Q3_K_M": (4.0007, 0.6569),
    "Q3_K_L": (4.2979, 0.5562),
    "Q4_K_S": (4.6672, 0.2689),
    "Q4_K_M": (4.8944, 0.1754),
    "Q5_K_S": (5.5704, 0.1049),
    "Q5_K_M": (5.7036, 0.0569),
    "Q6_K": (6.5633, 0.0217),
}
LEGACY_LOSS = {"Q4_0": 0.4685, "Q4_1": 0.4511, "Q5_0": 0.1316, "Q5_1": 0.1062}
K_QUANT_LINE = sorted(K_QUANT_LOSS.values())  # by width, the loss falling


def kept_bits(quant: QuantSpec) -> float:
    """The format's width, or for a legacy llama.cpp format the width of a K-quant that keeps as much."""
    loss = LEGACY_LOSS.get(quant.name)
    if loss is None:
        return quant.bits_per_weight
    for (bits_a, loss_a), (bits_b, loss_b) in zip(K_QUANT_LINE, K_QUANT_LINE[1:], strict=False):
        if loss_b <= loss <= loss_a:
            return bits_a + (bits_b - bits_a) * (loss_a - loss) / (loss_a - loss_b)
    return quant.bits_per_weight


def _more_machines(
    model: ModelSpec,
    quant: QuantSpec,
    devices: list[DeviceSpec],
    workload: Workload,
    most: int = MAX_HOSTS,
    gpu_count: int | None = None,
) -> Suggestion | None:
    """The fewest machines (up to `most`), each holding `devices`, that fit the model (more than the
    question's), over the chosen runtime's way across machines where it has one, else either; `gpu_count`:
    each machine holds that many of the largest GPU asked, not the GPUs asked (a change of the question)."""
    kind = max(devices, key=lambda d: d.usable_bytes)
    across = ("rpc_cluster",) if unified(devices) else (_runnable(workload, OVER_MACHINES) or OVER_MACHINES)
    most = min(most, MAX_HOSTS, MAX_DEVICES_IN_ALL // len(devices))
    for hosts in range(workload.hosts + 1, most + 1):
        wider = workload.model_copy(update={"hosts": hosts})
        if not _fits(model, quant, devices, wider, across):  # memory alone: a plan is built once
            continue
        if (plan := _best(model, quant, devices, wider, across, probe=False)) is None:  # it fits: checked
            return None
        each: dict = {}
        if len(devices) > 1:  # "3 machines of 8× H100", not "with the H100"; unlike GPUs: each named
            alike = len({d.slug for d in devices}) == 1
            each = {"per_machine": len(devices)} if alike else {"machine": tuple(d.name for d in devices)}
        more = _more("hosts", hosts, "more_machines", kind, plan, workload, **each)
        if gpu_count is not None:
            more = more.model_copy(update={"changes": {"gpu_count": gpu_count, "hosts": hosts}})
        return more
    return None


def _more(
    kind: Literal["gpu_count", "hosts"],
    n: int,
    code: Literal["more_gpus", "more_machines"],
    device: DeviceSpec,
    plan: Plan,
    workload: Workload,
    **machine: int | tuple[str, ...],
) -> Suggestion:
    """More of the hardware (`kind`: "gpu_count" GPUs, or "hosts" machines, `n` of them) and the plan
    that fits on it; it fits as asked only when the chosen runtime runs that plan. `machine`: what each
    machine holds, where more than one GPU (per_machine, or unlike ones named: machine)."""
    values = {kind: n, "device": device.name, **machine, **_plan_values(plan, workload)}
    return Suggestion(
        kind=kind,
        reason=Reason(code=code, values=values),
        changes={kind: n},
        fits="other_runtime" not in values,
    )


def _plan_values(plan: Plan, workload: Workload) -> dict[str, int | float | str]:
    """The plan a suggestion quotes, as a reason's values: its strategy, its decode as each user sees
    it (alone: single stream, and at the full context where it falls below `ranking.DEEP_SHARE` of that, `slows_with_context`; with several: `Plan.shared_tok_s`, marked `per_user`; where the runtime seats
    fewer than asked, each seated one's, `Plan.seated_tok_s`, with `seated` of `users`: as the verdict
    reads it), and `other_runtime` where the chosen runtime cannot run it."""
    values: dict[str, int | float | str] = {"strategy": plan.strategy}
    if plan.decode_tok_s is not None:
        values["tok_s"] = plan.decode_tok_s
        if workload.batch == 1 and slows_with_context(plan):  # as a plan's reason says
            values["tok_s_at_context"] = plan.decode_tok_s_at_context
    if (each := plan.shared_tok_s(workload.batch)) is not None:
        values |= {"tok_s": each, "per_user": 1}
    if (seated := plan.seated_tok_s(workload.batch)) is not None:  # the others wait: as the verdict says
        values |= {"tok_s": seated, "seated": plan.seated(workload.batch), "users": workload.batch}
    if not workload.runs(plan.strategy):
        values["other_runtime"] = 1
    return values


def _another_plan(
    model: ModelSpec,
    quant: QuantSpec,
    devices: list[DeviceSpec],
    workload: Workload,
    best: Plan,
    strategies: Sequence[str] | None,
) -> dict[str, int | float | str]:
    """A change (`quant`, `workload`) that fits only with another plan than the recommended `best` says which
    and how fast (70B at 19,200 tokens on two 3090s: llama.cpp's experimental tensor parallel, where the layer
    split runs 8,192; 405B at F16 over two machines' RPC, a third of one machine's speed at Q4_K_M):
    `_plan_values` of it, `only` where no other plan fits (a review: "only with tensor parallelism" where a
    vLLM layer split fitted too, replicas being what no longer did); nothing where `best`'s strategy still
    fits, asked of memory alone first (most changes), so a plan is built only for the others."""
    if _fits(model, quant, devices, workload, (best.strategy,)):
        return {}
    plan = _best(model, quant, devices, workload, strategies)
    if plan is None or plan.strategy == best.strategy:
        return {}
    experimental = _experimental(plan)
    others = tuple(s for s in (strategies or STRATEGIES) if s not in (plan.strategy, best.strategy))
    only = not others or not _fits(model, quant, devices, workload, others)
    return (
        _plan_values(plan, workload)
        | ({"experimental": 1} if experimental else {})
        | ({"only": 1} if only else {})
    )


def _steady_plan(
    model: ModelSpec,
    quant: QuantSpec,
    devices: list[DeviceSpec],
    workload: Workload,
    ctx: int,
    strategies: Sequence[str] | None,
) -> tuple[Plan | None, int | None]:
    """Where nothing fits as asked and the longest context `ctx` fits only with an experimental plan
    (llama.cpp's tensor parallel), the plan that fits the longest without it and that longest (its own
    longest too: it holds it, and no plan of the rest holds more); the suggestion names that one first, as
    it does beside a recommended plan (a review: 70B at 32K on two 3090s was told "up to 19,200 tokens",
    which only -sm tensor holds; the layer split holds 17,920). (None, None) otherwise."""
    at = _best(model, quant, devices, _at_context(workload, ctx), strategies)
    if at is None or not _experimental(at):
        return None, None
    rest = tuple(s for s in (strategies or STRATEGIES) if s != at.strategy)
    own = longest_context(model, quant, devices, workload, rest)
    if own is None:
        return None, None
    return _best(model, quant, devices, _at_context(workload, own), rest), own


def _experimental(plan: Plan) -> bool:
    return any(w.code == "tensor_split_experimental" for w in plan.warnings)


def _kv_total(plan: Plan | None) -> int:
    return sum(d.kv_cache_bytes for d in plan.devices) if plan else 0


def _kv_of_best(
    model: ModelSpec,
    quant: QuantSpec,
    devices: list[DeviceSpec],
    workload: Workload,
    strategies: Sequence[str] | None,
) -> int:
    """`_kv_total` of the plan `_best` recommends for a workload that fits, without building it where every
    plan it could be holds each layer's KV cache once: whether one device holds them all or the GPUs (and
    RAM) share the layers, the devices' caches add up to the model's (`kv_cache.kv_cache_layers_bytes` is a
    sum over layers, each device's is its layers'). Not so for replicas (a cache per copy, its users' share)
    and tensor parallel (heads repeated past the KV heads), nor under vLLM (a sliding window's blocks are
    counted per device): then the plan is built. Replicas are never recommended for one user where the
    single plan may be (`ranking._copies_outranked`)."""

    def may(strategy: str) -> bool:
        return strategy in (STRATEGIES if strategies is None else strategies)

    several = len(devices) > 1
    copies = several and may("replicas") and not (workload.batch == 1 and may("single"))
    shards = several and may("tensor_parallel") and not tensor_parallel_unsupported(model, workload, devices)
    if workload.runtime == "vllm" or copies or shards:
        return _kv_total(_best(model, quant, devices, workload, strategies, probe=False))
    return kv_cache_layers_bytes(model, workload, range(model.num_hidden_layers))


def _ram_needed(
    model: ModelSpec,
    quant: QuantSpec,
    devices: list[DeviceSpec],
    workload: Workload,
    strategies: Sequence[str] | None = ("cpu_offload", "expert_offload"),
) -> int | None:
    for gb in (32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048):
        if workload.ram_bytes and gb * GB <= workload.ram_bytes:
            continue
        w = workload.model_copy(update={"ram_bytes": gb * GB})
        if _fits(model, quant, devices, w, strategies=strategies):
            return gb
    return None
