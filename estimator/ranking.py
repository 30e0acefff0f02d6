"""Every plan the hardware allows, ranked: which strategies to build, which fit, the recommended one and
why (a `Reason`: what was found and its numbers; the site words it); and the quick "does anything fit?" that suggestions ask many times over."""

from collections.abc import Sequence

from . import layouts, memory, plans
from .limits import bounded_cache, length_of_result
from .schema import DeviceSpec, ModelSpec, Plan, QuantSpec, Reason, Workload
from .slots import layout_fits
from .strategies import GPU_ONLY, STRATEGIES

# On unified memory (an Apple silicon Mac) the GPU's memory is the system memory: no second pool.
UNIFIED_NO_RAM = Reason(code="unified_memory")


def unified(devices: Sequence[DeviceSpec]) -> bool:
    """Whether every device is a unified-memory machine (its RAM is already its GPU memory)."""
    return all(d.unified_memory for d in devices)


@bounded_cache(entries=1024, size=1024, size_of=length_of_result)
def interned(spec: ModelSpec | QuantSpec | DeviceSpec) -> ModelSpec | QuantSpec | DeviceSpec:
    """The first spec seen equal to `spec`: the same values, so the same answers.

    Why: every request builds its specs anew from the catalog, and a rig of eight cards is eight equal
    objects; the engine's caches tell specs apart by identity (`limits.bounded_cache`: hashing and
    comparing pydantic specs field by field cost a sixth of the engine's time), so they find a result
    computed for an equal spec only when it is the same object. This cache, by identity too, answers
    for an object passed again (a page's charts pass one model, format and rig to a dozen `fits`);
    `_first_equal`, the one cache by value, for the first sight of each object."""
    return _first_equal(spec)


@bounded_cache(entries=1024, size=1024, size_of=length_of_result, by_value=True)
def _first_equal(spec: ModelSpec | QuantSpec | DeviceSpec) -> ModelSpec | QuantSpec | DeviceSpec:
    return spec


def candidate_plans(
    *,
    model: ModelSpec,
    quant: QuantSpec,
    devices: list[DeviceSpec],
    workload: Workload,
    reuse: dict | None = None,
    recommendable: Sequence[str] | None = None,
) -> tuple[list[Plan], dict[str, Reason]]:
    """Every strategy this hardware allows, and why the others were not computed.

    `recommendable`: the strategies a caller that wants only the recommended plan picks from (`fits`
    without a reason). Left out then, as `_order` never recommends them (they are built otherwise): a
    plan on the GPUs alone whose memory does not fit (told from its layout before it is timed), a layer
    split or replicas the single plan outruns (`_split_outranked`, `_copies_outranked`), and outside
    vLLM tensor parallel when another of them fits on the GPUs."""
    model, quant, devices = interned(model), interned(quant), interned_devices(devices)
    # one `reuse` for all: a single device and its first replica are priced once
    kw = {
        "model": model,
        "quant": quant,
        "workload": workload,
        "devices": devices,
        "reuse": {} if reuse is None else reuse,
    }

    def built(strategy: str) -> list[Plan]:
        """`strategy`'s plan, or for `recommendable`'s caller none where its memory does not fit."""
        if recommendable is None:
            return [getattr(plans, strategy)(**kw)]
        layout = layouts.LAYOUTS[strategy](model=model, quant=quant, workload=workload, devices=devices)
        if not layout_fits(layout, model=model, quant=quant, workload=workload):
            return []
        return [getattr(plans, strategy)(**kw, layout=layout)]

    out = built("single")
    single = out[0] if out else None
    skipped: dict[str, Reason] = {}
    if len(devices) > 1:
        if recommendable is None or not _split_outranked(single, devices, workload, recommendable):
            out += built("layer_split")
        if recommendable is None or not _copies_outranked(single, workload, recommendable):
            out += built("replicas")
        if why := layouts.tensor_parallel_unsupported(model, workload, devices):
            skipped["tensor_parallel"] = why
        elif recommendable is None or not _tensor_parallel_outranked(
            [p for p in out if p.fits and p.strategy in recommendable], workload
        ):
            out += built("tensor_parallel")
    else:
        reason = Reason(code="needs_several_gpus")
        skipped.update(layer_split=reason, tensor_parallel=reason, replicas=reason)
    gpu_only_fits = any(p.fits for p in out)
    if unified(devices):
        skipped["cpu_offload"] = UNIFIED_NO_RAM
        if model.is_moe:
            skipped["expert_offload"] = UNIFIED_NO_RAM
    elif workload.ram_bytes is None:
        skipped["cpu_offload"] = Reason(code="no_ram_given")
        if model.is_moe:
            skipped["expert_offload"] = skipped["cpu_offload"]
    elif gpu_only_fits:
        skipped["cpu_offload"] = Reason(code="fits_in_gpus", values={"offloading": "layers"})
    else:
        out.append(plans.cpu_offload(**kw))
    if not model.is_moe:
        skipped["expert_offload"] = Reason(code="dense_model")
    elif workload.ram_bytes is not None and not unified(devices):
        if gpu_only_fits:
            skipped["expert_offload"] = Reason(code="fits_in_gpus", values={"offloading": "experts"})
        else:
            out.append(plans.expert_offload(**kw))
    if workload.hosts > 1:
        out.append(plans.rpc_cluster(**kw))
    else:
        skipped["rpc_cluster"] = Reason(code="one_machine")
    if why := layouts.pipeline_parallel_unsupported(workload, devices):
        skipped["pipeline_parallel"] = why
    else:
        out.append(plans.pipeline_parallel(**kw))
    return out, skipped


def _split_outranked(
    single: Plan | None, devices: list[DeviceSpec], workload: Workload, recommendable: Sequence[str]
) -> bool:
    """Whether `_order` could not recommend a layer split over `single`, whatever its numbers, for any
    number of users: on equal devices, `single` fitting with room to spare (not marked down) and seating
    every user (`Plan.seated`: vLLM's admission times only the sequences each plan's KV cache seats, and
    Ollama runs some models one at a time, whatever the plan).

    A layer split there runs the same layers on the same kind of device one after another: each
    stage's step at a batch and depth is its reads or FLOPs (the longer) plus its launches, each a sum
    over its layers (a soft maximum of two such sums is a norm, no more than the sum of the stages'), so
    the stages' steps and hand-offs add up to no less than the one device's step, and its speed, alone or
    in aggregate, is no more than `single`'s (under vLLM, for the users it seats: at most all of them).
    No faster and later in `STRATEGIES`, it is never the best, and leaving it out changes no other
    plan's rank: `single` scores at least as high. tests/catalog/test_best_plan.py checks it over the
    catalog's listed models, rigs of equal devices of each kernel family and user counts."""
    return (
        single is not None
        and "single" in recommendable
        and single.fits
        and not single.tight
        and all(d is devices[0] for d in devices)
        and single.seated(workload.batch) >= workload.batch
    )


def _copies_outranked(single: Plan | None, workload: Workload, recommendable: Sequence[str]) -> bool:
    """Whether `_order` could not recommend replicas over `single`: one user, and `single` fits. Each copy
    is `single`'s slot on its device (on `single`'s own, the same: as tight), and one user decodes at the
    slowest copy's speed, so `single` scores at least as high and, simpler, wins (`best_plan`'s
    argument; tests/catalog/test_best_plan.py checks it)."""
    return workload.batch == 1 and single is not None and "single" in recommendable and single.fits


def _marked_down(plan: Plan) -> bool:
    """Whether `_score` takes a tenth off the plan: it leaves under 10% of a GPU free and nothing would give
    way (`_score` says why offload plans are not)."""
    return plan.tight and plan.strategy in GPU_ONLY


def _score(plan: Plan, workload: Workload) -> float:
    """A plan's speed at the asked concurrency, a tenth off where it leaves under 10% of a GPU free and
    nothing would give way: an offload plan fills its GPUs by design (llama.cpp's -ngl and --n-cpu-moe
    are chosen to), and one more layer in RAM frees what it must, so it is not marked down (DeepSeek-R1
    Q2_K on two 3090s: expert offload, 18.2 tok/s, had lost to CPU offload's 16.2 for filling them)."""
    return (_ranked_speed(plan, workload) or 0.0) * (0.9 if _marked_down(plan) else 1.0)


def rank(
    candidates: list[Plan], workload: Workload
) -> tuple[list[Plan], Plan | None, Reason, list[Reason | None]]:
    """Fitting plans by speed at the requested concurrency (within 5%, the simpler one wins), then the
    rest by how far they overflow: the order, the best plan, the overall reason and each plan's."""
    ranked, best, replicas_first = _order(candidates, workload)
    reason = _reason(best, ranked, workload, replicas_first)
    reasons = [reason if p is best else _plan_reason(p, best, workload, replicas_first) for p in ranked]
    return ranked, best, reason, reasons


def _tensor_parallel_outranked(plans: list[Plan], workload: Workload) -> bool:
    """Whether tensor parallel comes after the other `plans` (the fitting ones, or with none fitting, every
    one): outside vLLM, when one of them is another plan (llama.cpp's --split-mode tensor is experimental)."""
    return workload.runtime != "vllm" and any(p.strategy != "tensor_parallel" for p in plans)


def _order(candidates: list[Plan], workload: Workload) -> tuple[list[Plan], Plan | None, bool]:
    """`rank`'s order and best plan, and whether replicas serve the users better than tensor parallel."""
    order = list(STRATEGIES)
    if workload.runtime == "vllm":
        # over machines, within 5% of each other, vLLM's (and SGLang's) own plan before llama.cpp's RPC: one
        # H100 a machine, 70B at BF16, 16.79 tok/s against RPC's 16.67 recommended a plan neither runs
        order.remove("pipeline_parallel")
        order.insert(order.index("rpc_cluster"), "pipeline_parallel")
    fit = {id(p): p.fits for p in candidates}
    fitting = [p for p in candidates if fit[id(p)]]
    # Nothing fitting, the closest plan is the one the page shows and measures: outside vLLM, tensor parallel
    # (llama.cpp's experimental --split-mode tensor, which the ranking below passes over whenever another plan
    # fits) comes after the others, so a "no" quotes the plan it would recommend once it fits
    experimental = _tensor_parallel_outranked(candidates, workload)
    rest = sorted(
        (p for p in candidates if not fit[id(p)]),
        key=lambda p: (experimental and p.strategy == "tensor_parallel", p.short_by_bytes),
    )
    scores = {id(p): _score(p, workload) for p in fitting}
    best = None
    # Tensor parallel is shown but not recommended when something else fits: llama.cpp's --split-mode
    # tensor is experimental; and for several users, a model that fits one GPU serves them best as
    # replicas (no all-reduce on every step, and one failed GPU stops only its copy).
    eligible = fitting
    replicas_first = _replicas_serve_better(fitting, workload)
    if replicas_first or _tensor_parallel_outranked(fitting, workload):
        eligible = [p for p in fitting if p.strategy != "tensor_parallel"]
    eligible = _seating_all(eligible, workload)
    if fitting:
        top = max(scores[id(p)] for p in eligible)
        near = [p for p in eligible if scores[id(p)] >= 0.95 * top]
        best = min(near, key=lambda p: order.index(p.strategy))
        fitting = [best, *sorted((p for p in fitting if p is not best), key=lambda p: -scores[id(p)])]
    return fitting + rest, best, replicas_first


def _seating_all(plans: list[Plan], workload: Workload) -> list[Plan]:
    """Of several users' `plans`, those that run every user at once, where one does (else all of them): the
    users asked are part of the question, as the memory is. A plan that seats fewer (vLLM's paged cache
    short of their sequences) leaves the others waiting for a whole answer, however high its aggregate. A
    visitor review: Qwen3-30B-A3B AWQ on 2× RTX 3090 for 8 users at 32K recommended replicas (796 tok/s
    aggregate, 6 users at once, the other 2 waiting about 5 min for a first token) over tensor parallel
    (726, all 8 at once, 70 ms to the first token)."""
    users = workload.batch
    if users <= 1:
        return plans
    return [p for p in plans if p.seated(users) >= users] or plans


def _value(plan: Plan, workload: Workload) -> float | None:
    """The speed a reason quotes: the aggregate for several users, for one the decode at the start."""
    return plan.decode_tok_s_aggregate if workload.batch > 1 else plan.decode_tok_s


def _ranked_speed(plan: Plan, workload: Workload) -> float | None:
    """The speed plans are ranked by: for several users their aggregate; for one, the mean over a reply
    that fills the context asked, tokens over time from none cached to all. A step grows about linearly with
    the tokens cached (each reads the KV cache so far), so that is the harmonic mean of the start's speed and
    the full context's. A visitor review: at 65,536 tokens on an RTX 3060 with 32 GB of RAM, Qwen3-30B-A3B's
    CPU offload (26.6 tok/s at the start, 3.8 full: the RAM layers' KV cache read by the CPU) was recommended
    over expert offload (27.2, 16.8), "within 5%, and simpler"."""
    start = _value(plan, workload)
    full = plan.decode_tok_s_at_context
    if workload.batch > 1 or not start or not full:
        return start
    return 2 / (1 / start + 1 / full)


def _speed(plan: Plan, workload: Workload, prefix: str = "", *, deep: bool = False) -> dict[str, float]:
    """The speed a reason quotes of a plan, as its values (none when the plan has no speed); `deep`, with
    its speed at the full context too; for several users, what each sees beside the aggregate
    (`_per_user`)."""
    value = _value(plan, workload)
    if value is None:
        return {}
    full = plan.decode_tok_s_at_context if deep else None
    out = {f"{prefix}tok_s": value} | ({f"{prefix}tok_s_at_context": full} if full else {})
    return out | {f"{prefix}{k}": v for k, v in _per_user(plan, workload).items()}


def _per_user(plan: Plan, workload: Workload) -> dict[str, float]:
    """For several users, the decode each sees (`per_user_tok_s`): the aggregate shared by them all, or
    where the runtime seats fewer, each seated one's while the others wait, with how many are seated
    (`seated`), as the verdict says it (calculator/present.py)."""
    users = workload.batch
    if users <= 1:
        return {}
    if (each := plan.seated_tok_s(users)) is not None:
        seats = plan.seated(users)
        out: dict[str, float] = {"per_user_tok_s": each, "seated": seats}
        full = (plan.decode_tok_s_aggregate_at_context or 0.0) / seats or None
    elif (each := plan.shared_tok_s(users)) is not None:
        out, full = {"per_user_tok_s": each}, plan.shared_tok_s_at_context(users)
    else:
        return {}
    # each user's speed with every user's whole context cached, where it falls as one user's would be quoted
    if falls(each, full):
        out |= {"per_user_tok_s_at_context": full, "cached": workload.context_tokens}
    return out


# A reason quotes each plan's speed at the full context too where some plan it names falls below this share
# of its start's speed there: where the context decides the ranking (`_ranked_speed`) as much as the start.
DEEP_SHARE = 0.8


def falls(start: float | None, full: float | None) -> bool:
    """Whether a speed with the full context cached (`full`) is below `DEEP_SHARE` of its start's."""
    return bool(start and full and full < DEEP_SHARE * start)


def slows_with_context(plan: Plan) -> bool:
    """Whether one user's decode falls below `DEEP_SHARE` of its start's speed with the full context cached."""
    return falls(plan.decode_tok_s, plan.decode_tok_s_at_context)


def _deep(plans: list[Plan], workload: Workload) -> bool:
    """Whether a reason naming `plans` quotes their speeds at the full context (`DEEP_SHARE`)."""
    return workload.batch == 1 and any(slows_with_context(p) for p in plans)


def _replicas_serve_better(fitting: list[Plan], workload: Workload) -> bool:
    """Several users, copies of the model that fit with every user admitted at once, and no tensor parallel
    plan faster by more than the 5% in which `_order` calls the simpler one as good: replicas, not tensor
    parallel. Their case (no all-reduce on every step, one failed GPU stops only its copy) is worth a few
    percent, not more: a visitor review, 8× H100 for 20 users of a 70B at 4K recommended replicas at 640
    aggregate tok/s (32 per user) over tensor parallel's 2,471 (130 per user), and flipped to tensor
    parallel at 8K, where the copies no longer seated every user."""
    if workload.batch == 1:
        return False
    tp = max((_score(p, workload) for p in fitting if p.strategy == "tensor_parallel"), default=0.0)
    return any(
        p.strategy == "replicas"
        and p.seated(workload.batch) >= workload.batch
        and _score(p, workload) >= 0.95 * tp
        for p in fitting
    )


def _why_not(plan: Plan, best: Plan, workload: Workload, replicas_first: bool) -> dict[str, str]:
    """Why a faster plan that fits is not the recommended one (the rules of `rank`), as a reason's
    `why_not` (with the runtime it is about, where that matters)."""
    if plan.strategy == "tensor_parallel" and replicas_first:
        return {"why_not": "copies_serve_better"}
    if (seats := plan.seated(workload.batch)) < workload.batch <= best.seated(workload.batch):
        return {"why_not": "queues", "seats": seats, "users": workload.batch, "queue_s": plan.queue_s or 0.0}
    if plan.strategy == "tensor_parallel" and workload.runtime != "vllm":
        return {"why_not": "runtime_lacks", "runtime": workload.runtime}
    within = (_ranked_speed(best, workload) or 0.0) >= 0.95 * (_ranked_speed(plan, workload) or 0.0)
    if _marked_down(plan) and (_score(plan, workload) < _score(best, workload) or not within):
        return {"why_not": "tight"}  # its tenth off decided it, not "within 5%"
    return {"why_not": "simpler"}


def _missed(plan: Plan) -> dict[str, int | str]:
    """The device furthest from fitting and by how much, or, where it misses only the memory kept free
    for safety, what it would leave free."""
    worst, short = plan.tightest, plan.short_by_bytes
    if short <= worst.headroom_bytes:
        return {
            "device": worst.name,
            "headroom_bytes": worst.headroom_bytes,
            "free_bytes": worst.headroom_bytes - short,
        }
    return {"device": worst.name, "short_bytes": short}


def _reason(best: Plan | None, ranked: list[Plan], workload: Workload, replicas_first: bool) -> Reason:
    aggregate = {"aggregate": 1} if workload.batch > 1 else {}
    if best is None:
        closest = ranked[0]
        missed = _missed(closest)
        code = "none_fits_in_margin" if "free_bytes" in missed else "none_fits"
        return Reason(code=code, values={"strategy": closest.strategy, **missed})
    # the plans to quote beside it: the ones the chosen runtime runs (a vLLM answer's "next" is no
    # llama.cpp RPC cluster, which has no vLLM command)
    others = [p for p in ranked if p is not best and p.fits and workload.runs(p.strategy)]
    faster = max(others, key=lambda p: _ranked_speed(p, workload) or 0.0, default=None)
    if faster is None or (_ranked_speed(faster, workload) or 0.0) <= (_ranked_speed(best, workload) or 0.0):
        faster = None
    quoted = faster or (others[0] if others else None)
    deep = _deep([best] + ([quoted] if quoted else []), workload)
    values: dict[str, int | float | str] = {"strategy": best.strategy, "tok_s": 0.0}
    values |= _speed(best, workload, deep=deep) | aggregate
    if deep:
        values["context"] = workload.context_tokens
    if faster is not None:
        values |= {"faster": faster.strategy, **_speed(faster, workload, "faster_", deep=deep)}
        values |= _why_not(faster, best, workload, replicas_first)
    elif quoted is not None:
        values |= {"next": quoted.strategy, **_speed(quoted, workload, "next_", deep=deep)}
    if best.strategy == "single" and len(best.devices) == 1:
        values["one_device"] = 1
    return Reason(code="recommended", values=values)


def _plan_reason(plan: Plan, best: Plan | None, workload: Workload, replicas_first: bool) -> Reason | None:
    if not plan.fits:
        missed = _missed(plan)
        return Reason(code="short_in_margin" if "free_bytes" in missed else "short", values=missed)
    if best is None:
        return None
    deep = _deep([plan, best], workload)
    values: dict[str, int | float | str] = {"tok_s": 0.0, "best": best.strategy, "best_tok_s": 0.0}
    values |= _speed(plan, workload, deep=deep) | _speed(best, workload, "best_", deep=deep)
    if workload.batch > 1:
        values["aggregate"] = 1
    if deep:
        values["context"] = workload.context_tokens
    if not workload.runs(plan.strategy):
        values |= {"why_not": "other_runtime", "runtime": workload.runtime}
    elif (_ranked_speed(plan, workload) or 0.0) > (_ranked_speed(best, workload) or 0.0):
        values |= _why_not(plan, best, workload, replicas_first)
    return Reason(code="also_fits", values=values)


def fits(
    *,
    model: ModelSpec,
    quant: QuantSpec,
    devices: list[DeviceSpec],
    workload: Workload,
    strategies: Sequence[str] | None = None,
    reuse: dict | None = None,
    probe: bool = True,
    reasoned: bool = True,
) -> Plan | None:
    """The best fitting plan (optionally among `strategies`), without suggestions or commands; `reuse`:
    devices already priced for this question (`plans.run_layout`).

    When none fits, which `plan_fits` tells from memory alone, no plan is built: a page's charts ask
    about a third of their points at contexts or user counts that do not fit. `probe=False` skips that
    check, for a caller that expects a plan to fit (the answer is the same: `plan_fits` is whether
    `candidate_plans` has a fitting plan); `reasoned=False` returns the plan as built, without its rank
    and reason (a chart reads only its speed)."""
    if probe and not plan_fits(
        model=model, quant=quant, devices=devices, workload=workload, strategies=strategies
    ):
        return None
    found, _ = candidate_plans(
        model=model,
        quant=quant,
        devices=devices,
        workload=workload,
        reuse=reuse,
        recommendable=None if reasoned else (STRATEGIES if strategies is None else strategies),
    )
    if strategies is not None:
        found = [p for p in found if p.strategy in strategies]
    if not found:
        return None
    ranked, best, replicas_first = _order(found, workload)  # `rank` without each plan's reason
    if best is None or not reasoned:
        return best
    reason = _reason(best, ranked, workload, replicas_first)
    return best.model_copy(update={"rank": 1, "reason": reason})


def best_plan(
    *,
    model: ModelSpec,
    quant: QuantSpec,
    devices: list[DeviceSpec],
    workload: Workload,
    probe: bool = True,
    reasoned: bool = True,
) -> Plan | None:
    """`fits(...)` without its reason, for pages that list one plan per model (what runs on these GPUs):
    the same plan, built with only the plans that could be recommended over it.

    That is when one user on one machine (llama.cpp, Ollama, MLX) asks. A copy per device never is:
    the copy on the single plan's device is that device's slot, as tight, and the copies run at the
    slowest one's speed, so the single plan fits whenever they do and scores at least as high, and the
    simpler wins (`_order`). Tensor parallel is not recommended outside vLLM when another plan fits;
    offload plans are not built when the GPUs hold the model; RPC needs hosts > 1. So:
    - the single device holds the model on a rig of one, or with room to spare (not tight) on equal
      devices: it is the plan. A layer split over equal devices runs the same layers on the same kind of
      device one after another, each stage's step max(reads, FLOPs) + launches summed (a sum of maxima
      is never below the maximum of the sums) plus the hand-offs.
    - it holds the model otherwise (tight, or beside other kinds of device): it and the layer split are
      ranked.
    - it does not: a layer split that fits, else tensor parallel where its memory fits (the only plan on
      the GPUs that could), else the offload plans whose memory fits, ranked; else none fits.
    Plans that do not fit never change which one is recommended. tests/catalog/test_best_plan.py checks
    it against `fits` over the catalog's listed models. Any other question is `fits`'; `probe` and
    `reasoned` are passed to it (a chart's point expected to fit)."""
    model, quant, devices = interned(model), interned(quant), interned_devices(devices)
    if workload.batch == 1 and workload.hosts == 1 and workload.runtime != "vllm":
        return _best_for_one_user(model=model, quant=quant, devices=devices, workload=workload)
    return fits(
        model=model,
        quant=quant,
        devices=devices,
        workload=workload,
        probe=probe,
        reasoned=reasoned,
    )


def _best_for_one_user(
    *, model: ModelSpec, quant: QuantSpec, devices: list[DeviceSpec], workload: Workload
) -> Plan | None:
    """`best_plan` for one user on one machine (its docstring says why), ranked 1."""
    reuse: dict = {}  # devices priced once for every plan built here
    kw = {"model": model, "quant": quant, "workload": workload, "devices": devices, "reuse": reuse}
    # The single device priced first (kept in `reuse` for its plan): its plan is built only where it
    # can be the answer, not to learn that it does not fit.
    layout = layouts.single_layout(model=model, quant=quant, workload=workload, devices=devices)
    [usage], _ = plans.run_layout(layout, model=model, quant=quant, workload=workload, reuse=reuse)
    equal = all(d is devices[0] for d in devices)
    if usage.fits and (len(devices) == 1 or (equal and not usage.tight)):  # `Plan.fits`, `Plan.tight`
        return plans.single(**kw, layout=layout, rank=1)
    best = None
    if len(devices) > 1:
        # the split's memory first (`layout_fits` is its `Plan.fits`), timed only where it fits: a plan that does
        # not fit is never the recommended one, and most rigs asked of a model too large for them do not hold
        # it split either (a fifth of a what-hardware answer's engine time went to timing them)
        split_layout = layouts.layer_split_layout(**{k: v for k, v in kw.items() if k != "reuse"})
        split = None
        if layout_fits(split_layout, model=model, quant=quant, workload=workload):
            split = plans.layer_split(**kw, layout=split_layout)
        if usage.fits:
            single = plans.single(**kw, layout=layout)
            best = single if split is None else _order([single, split], workload)[1]
        elif split is not None:
            best = split
        elif not layouts.tensor_parallel_unsupported(model, workload, devices):
            layout = layouts.tensor_parallel_layout(
                model=model, quant=quant, workload=workload, devices=devices
            )
            if layout_fits(layout, model=model, quant=quant, workload=workload):
                best = plans.tensor_parallel(**kw, layout=layout)
    if best is None and not usage.fits:
        best = _best_offloaded(kw)
    return None if best is None else best.model_copy(update={"rank": 1})


def _best_offloaded(kw: dict) -> Plan | None:
    """The recommended offload plan when nothing fits on the GPUs alone: the ones `candidate_plans` would
    build (RAM given, not unified memory), only those that fit, ranked."""
    model, devices, workload = kw["model"], kw["devices"], kw["workload"]
    if workload.ram_bytes is None or unified(devices):
        return None
    if _cannot_fit(model, kw["quant"], devices, workload, offload=True):
        return None
    memory_kw = {k: v for k, v in kw.items() if k != "reuse"}
    built = []
    for strategy in ("cpu_offload", "expert_offload")[: 2 if model.is_moe else 1]:
        layout = layouts.LAYOUTS[strategy](**memory_kw)  # checked, then built from: laid out once
        if layout_fits(layout, model=model, quant=kw["quant"], workload=workload):
            built.append(getattr(plans, strategy)(**kw, layout=layout))
    return _order(built, workload)[1]


def interned_devices(devices: list[DeviceSpec]) -> list[DeviceSpec]:
    """`interned` of each device; a rig of n equal cards is one object n times, looked up once."""
    if not devices:
        return []
    first = devices[0]
    kept = interned(first)
    return [kept if d is first else interned(d) for d in devices]


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
    model, quant, devices = interned(model), interned(quant), interned_devices(devices)
    kw = {"model": model, "quant": quant, "workload": workload, "devices": devices}
    known: dict[str, bool] = {}

    def ok(strategy: str) -> bool:
        if strategy not in known:
            known[strategy] = layouts.strategy_fits(strategy, **kw)
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
    return any(ok(s) for s in _over_machines(workload, devices) if wanted(s))


def _over_machines(workload: Workload, devices: list[DeviceSpec]) -> list[str]:
    """The strategies `candidate_plans` builds over several machines: llama.cpp's RPC cluster, and vLLM's
    and SGLang's tensor × pipeline parallel where it can run."""
    if workload.hosts == 1:
        return []
    return ["rpc_cluster"] + (
        [] if layouts.pipeline_parallel_unsupported(workload, devices) else ["pipeline_parallel"]
    )


def _cannot_fit(
    model: ModelSpec, quant: QuantSpec, devices: list[DeviceSpec], workload: Workload, *, offload: bool
) -> bool:
    """Sure misses: every strategy puts at least all weights but the embedding table on the GPUs of
    all hosts (and RAM, when offloading); more than all of that memory cannot fit. A few bytes per
    device of slack cover tensor parallel's rounding down of each shard."""
    need = memory.weights_bytes(model, quant) - memory.embedding_bytes(model, quant)
    have = sum(d.usable_bytes + 64 for d in devices) * workload.hosts
    if offload and workload.ram_bytes and not unified(devices):
        have += workload.ram_bytes
    return need > have


def _computed(
    *, model: ModelSpec, devices: list[DeviceSpec], workload: Workload
) -> tuple[list[str], list[str]]:
    """The strategies `candidate_plans` builds: GPU-only ones, and the offload ones it builds when none
    of those fits (the plans over machines, `_over_machines`, come on top)."""
    gpu_only = ["single"]
    if len(devices) > 1:
        gpu_only += ["layer_split", "replicas"]
        if not layouts.tensor_parallel_unsupported(model, workload, devices):
            gpu_only.append("tensor_parallel")
    offload = []
    if workload.ram_bytes is not None and not unified(devices):
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
    machines = _over_machines(workload, devices)
    return [s for s in (*gpu_only, *offload, *machines) if strategies is None or s in strategies]
