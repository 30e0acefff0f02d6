"""Which catalog devices hold which models: "what runs on my hardware?" and "what hardware runs this
model?", as the catalog pages, the admin preview, the reverse questions and the cost pages ask them.

Plain functions over engine specs, below every app that shows them (catalog pages, reverse_questions,
costs): the views load the catalog rows in a fixed number of queries, turn them into specs, and
everything here is Python. Every answer is the engine's recommended plan (its
`best_plan()`: `estimate()`'s ranking without launch commands) for the workload the calculator page builds
for the same question, so each row's permalink reproduces its numbers. The engine is only asked where
a lower bound on memory (`least_bytes_needed`) says the model could fit.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import TypeVar
from urllib.parse import quote_plus

from pydantic import ValidationError

from estimator import DeviceSpec, ModelSpec, Plan, QuantSpec, Workload, kv_cache, limits, memory
from estimator.estimate import best_plan
from estimator.layouts import tensor_parallel_size
from estimator.ranking import plan_fits
from estimator.schema import KV_BYTES_PER_ELEMENT
from estimator.speed import shared_steps
from estimator.suggest import QUANTIZED_KV
from estimator.units import GIB, format_rate

from .price_tag import PriceTag, price_rank
from .runtimes import BY_SLUG, ENGINE_RUNTIME

# The question's inputs a visitor left out: the calculator page, the catalog pages, the admin preview
# and the reverse questions all answer at these.
DEFAULTS = {"ctx": 4096, "batch": 1, "prompt": 512, "kv": "f16", "runtime": "llama-cpp", "hosts": 1}
MAX_CONTEXT = limits.MAX_CONTEXT_TOKENS
DEFAULT_FORMAT = "q4_k_m"
NATIVE_FORMATS = {"mxfp4+bfloat16": "mxfp4"}  # native dtype -> the catalog format it was released in
# The widest format worth running per native dtype (the catalog's `native_dtype`): a wider file holds no
# more of the model, only more bytes to read. FP8 checkpoints (DeepSeek-V3/R1): 8 bits plus block
# scales, i.e. up to Q8_0; gpt-oss ships its experts in MXFP4, which llama.cpp runs as such.
WIDEST_USEFUL_BITS = {
    "float32": 32.0,
    "bfloat16": 16.0,
    "float16": 16.0,
    "float8_e4m3": 8.5008,
    "mxfp4+bfloat16": 4.25,
}
# Format families nobody makes as the model loads (unlike GGUF quants, which llama-quantize makes from
# any checkpoint, 16-bit weights, or vLLM's FP8 at load time): offered for a model only where the
# catalog lists a published artifact in that format (`published`, by model slug).
PUBLISHED_ONLY = {"awq", "gptq", "mxfp4", "mlx", "bnb", "exl2"}
# "What hardware": 1 to this many of one discrete GPU kind per machine (8 is the usual server maximum);
# unified-memory machines come one at a time.
MAX_SAME_GPUS = 8
TOP = 10
# The ways to fit the calculator's "What to change" offers that keep the model, its format and the context:
# a KV cache of 8 bits or more (estimator/suggest.py `_lossless_first`: "its loss is a fraction of a weight
# format's step"), per engine runtime, llama.cpp's q8_0 and vLLM's fp8 (`QUANTIZED_KV`). The site's guide to a
# 70B at 32K on two 24 GB cards starts there; a visitor review found /choose/ for that question listed nothing
# under $2,000, where the calculator and the guide make two used RTX 3090s ($1,400) fit with a q8_0 cache, and
# then what-hardware answering 3× RTX 3090 for $2,100. One definition, one rule (`kept_kv`): what-runs,
# what-hardware (its GPU-only sets and those with system RAM) and Choose my GPU (costs/choose.py, through
# `what_hardware`) try it.
KEEPS_THE_MODEL = {
    runtime: tuple(kv for kv in types if KV_BYTES_PER_ELEMENT[kv] >= 1)
    for runtime, types in QUANTIZED_KV.items()
}


def kept_kv(workload: Workload) -> Workload | None:
    """The workload with its runtime's 8-bit KV cache (the first of `KEEPS_THE_MODEL`), where the question's is
    wider; None where the runtime keeps none (MLX) or the question's is no wider: what every reverse question
    asks a set or a format again with before it takes more hardware or a narrower format."""
    kept = KEEPS_THE_MODEL.get(workload.runtime, ())
    if not kept or KV_BYTES_PER_ELEMENT[kept[0]] >= workload.kv_bytes_per_element:
        return None
    fields = {"kv_cache_type": kept[0], "kv_bytes_per_element": KV_BYTES_PER_ELEMENT[kept[0]]}
    return Workload.model_validate(workload.model_dump() | fields)


# ---- The question at the calculator's defaults -----------------------------------------------------


def question_workload(
    *,
    ctx: int,
    ram_gb: int | None = None,
    runtime: str = DEFAULTS["runtime"],
    ram: Mapping | None = None,
    batch: int = DEFAULTS["batch"],
) -> Workload:
    """The workload the calculator page builds for this context (and `batch` users at once) with every other
    input at its default; `ram`, a RAM preset's workload fields (its bandwidth: catalog.workload.ram_presets)."""
    fields = {
        "context_tokens": ctx,
        "batch": batch,
        "prompt_tokens": min(DEFAULTS["prompt"], ctx),
        "kv_cache_type": DEFAULTS["kv"],
        "runtime": ENGINE_RUNTIME[runtime],
        "hosts": DEFAULTS["hosts"],
    }
    if ram_gb:
        fields["ram_bytes"] = ram_gb * GIB  # as calculator.question.Question.workload(): RAM is sold in GiB
    return Workload(**(fields | dict(ram or {})))


def with_runtime(workload: Workload, runtime: str) -> Workload:
    """The same workload under another runtime (a catalog slug), as the calculator builds it."""
    engine = ENGINE_RUNTIME[runtime]
    if workload.runtime == engine:
        return workload
    return Workload.model_validate(workload.model_dump() | {"runtime": engine})


def permalink(
    *,
    model: str,
    quant: str,
    runs: Iterable[tuple[str, int]],
    ctx: int,
    ram_gb: int | None = None,
    runtime: str = DEFAULTS["runtime"],
    ram_preset: str | None = None,
    batch: int = DEFAULTS["batch"],
    kv: str = DEFAULTS["kv"],
) -> str:
    """The calculator's URL for this question, in Question.query()'s order and defaults: every `gpu`,
    then the `count`s other than 1 (as a QueryDict groups them), each value quoted as
    QueryDict.urlencode() quotes it (the keys need no quoting); `kv`, the KV cache type where not the
    default ("" or "f16": none written), before the runtime as Question.query() puts it. Built without a QueryDict: a what-runs
    page writes one per model (~150), and QueryDict's bookkeeping was a tenth of the page's CPU."""
    pairs = [("model", model), ("quant", quant), *device_pairs(list(runs))]
    if ctx != DEFAULTS["ctx"]:
        pairs.append(("ctx", str(ctx)))
    if batch != DEFAULTS["batch"]:
        pairs.append(("batch", str(batch)))
    if kv and kv != DEFAULTS["kv"]:  # "": the default, as `DeviceSet.kv` and `RunsRow.kv` say it
        pairs.append(("kv", kv))
    if runtime != DEFAULTS["runtime"]:
        pairs.append(("runtime", runtime))
    if ram_gb:
        pairs.append(("ram_gb", str(ram_gb)))
    if ram_preset:
        pairs.append(("ram_preset", ram_preset))
    return "/?" + urlencoded(pairs)


def device_pairs(runs: list[tuple[str, int]]) -> list[tuple[str, str]]:
    """A question's devices as query pairs: a `gpu` per kind, then a `count` per kind where any is not 1 (the
    forms read one count for several kinds as that many of each), none where all are 1. A visitor review:
    2× 3090 + 1× 4060 Ti was written `gpu=3090&gpu=4060-ti&count=2`, which reopened as 2 + 2."""
    pairs = [("gpu", slug) for slug, _ in runs]
    if any(n != 1 for _, n in runs):
        pairs += [("count", str(n)) for _, n in runs]
    return pairs


def urlencoded(pairs: list[tuple[str, str]]) -> str:
    """`pairs` as a QueryDict holding them writes them (`urlencode(safe="")`), built without one: each
    key's values together, keys in the order first given, every value quoted as urlencode() quotes it
    (the keys, the form's field names, need no quoting). A page asks for ~6 queries (its cache key, its
    permalink, each suggestion's link), and QueryDict's bookkeeping was half of the result panel's
    Python."""
    grouped: dict[str, list[str]] = {}
    for key, value in pairs:
        grouped.setdefault(key, []).append(value)
    return "&".join(f"{key}={quoted(str(value))}" for key, values in grouped.items() for value in values)


def quoted(value: str) -> str:
    """A value as urlencode() (and so QueryDict.urlencode(safe='')) quotes it. The short values that come
    back in every permalink of a page (slugs, numbers) are kept; a config's JSON is quoted each time."""
    return _quoted_short(value) if len(value) <= 64 else quote_plus(value, safe="")


@lru_cache(maxsize=4096)
def _quoted_short(value: str) -> str:
    return quote_plus(value, safe="")


def group(devices: Iterable[DeviceSpec]) -> list[tuple[str, int]]:
    """Runs of the same device, in order: a, a, b -> (a, 2), (b, 1)."""
    runs: list[tuple[str, int]] = []
    for device in devices:
        if runs and runs[-1][0] == device.slug:
            runs[-1] = (device.slug, runs[-1][1] + 1)
        else:
            runs.append((device.slug, 1))
    return runs


def recommended(
    *, model: ModelSpec, quant: QuantSpec, devices: list[DeviceSpec], workload: Workload, ranked: bool = True
) -> Plan | None:
    """The calculator's recommended plan for this question, or None when no plan fits.

    `best_plan()` ranks the same plans as `estimate()` but skips the launch commands, explanations and
    reasons these pages do not show, and the plans that cannot beat a single GPU that holds the model.

    `ranked=False`, for a search that reads only a plan's strategy, memory and speed: the same plan as built,
    without the rank and reason the engine gives it where several users (or vLLM) ask, and so built without the
    plans that cannot be recommended, which the reason compares it with (for four users of gpt-oss-120b, five
    in six of the engine's plans). `ranked_plan` ranks the one a search keeps.
    """
    try:
        return best_plan(model=model, quant=quant, devices=devices, workload=workload, reasoned=ranked)
    except (ValidationError, ValueError):  # the engine refuses the question: it cannot run
        return None


def ranked_plan(
    plan: Plan, *, model: ModelSpec, quant: QuantSpec, devices: list[DeviceSpec], workload: Workload
) -> Plan:
    """`plan`, found by `recommended(ranked=False)` for this question, as `recommended` gives it: ranked first and
    reasoned. One user's plan on one machine comes from the engine ranked already (`Plan.rank` 1): kept as is."""
    if plan.rank == 1:
        return plan
    return recommended(model=model, quant=quant, devices=devices, workload=workload) or plan


def holds(*, model: ModelSpec, quant: QuantSpec, devices: list[DeviceSpec], workload: Workload) -> bool:
    """Whether `recommended` finds a plan, from memory alone (the engine's `plan_fits`: no speed)."""
    try:
        return plan_fits(model=model, quant=quant, devices=devices, workload=workload)
    except (ValidationError, ValueError):
        return False


def least_bytes_needed(model: ModelSpec, quant: QuantSpec, workload: Workload) -> int:
    """A lower bound on the memory every plan needs, over all devices and host RAM together, in O(1).

    The engine scales each layer's tensors so that everything but the embeddings adds up to the card's
    total; every tensor is stored at one of the format's widths; full-attention layers cache the whole
    context for each sequence that must fit before the runtime starts (`kv_cache.reserved_sequences`: one
    under vLLM, and under Ollama for the models it runs one at a time), sliding-window layers at least
    nothing. 1% off covers the engine's per-tensor rounding.
    """
    quant = memory.sized(model, quant)  # a llama.cpp mix at this model's own width
    widths = (quant.bits_per_weight, quant.expert_bits_per_weight, quant.output_bits_per_weight)
    bits = min(b for b in widths if b)
    weights = max(model.total_params_b * 1e9 - model.vocab_size * model.hidden_size, 0) * bits / 8
    window_layers = min(model.sliding_window_layers, model.num_hidden_layers) if model.sliding_window else 0
    kv = (
        (model.attention_layers - window_layers)
        * kv_cache.kv_values_per_token_layer(model)
        * workload.kv_bytes_per_element
        * workload.context_tokens
        * kv_cache.reserved_sequences(model, workload)
    )
    return int(0.99 * (weights + kv)) + workload.headroom_bytes


def longest_context(plan: Plan, model: ModelSpec, workload: Workload) -> int:
    """About the longest context this plan holds: the free memory of each device that holds KV cache,
    divided by its KV cache per token of context, the smallest over devices.

    Conservative: with sliding-window layers the cache grows slower than its average per token, and a
    layer split would move layers to where the memory is. Compute buffers do not grow with context under
    flash attention (the default). Rounded down to llama.cpp's 256-cell padding.
    """
    cells = kv_cache.padded_context(model, workload)
    extra = None
    for device in plan.devices:
        if device.kv_cache_bytes:
            spare = device.capacity_bytes - device.used_bytes - device.headroom_bytes
            tokens = spare * cells // device.kv_cache_bytes
            extra = tokens if extra is None else min(extra, tokens)
    longest = workload.context_tokens + max(extra or 0, 0)
    longest -= longest % kv_cache.LLAMA_CPP_CTX_PAD
    return max(workload.context_tokens, min(longest, model.context_limit(workload.runtime) or MAX_CONTEXT))


# ---- What runs on my hardware? ------------------------------------------------------------------

# Below this many bits per weight a format's quality cost "climbs quickly" (content/glossary/quantization.md, from
# llama-quantize's perplexity figures on Llama 3 8B).
LOW_BITS = 3.5


@dataclass(frozen=True)
class RunsRow:
    """One catalog model on the visitor's devices: the largest listed format that fits, or why none does."""

    model: ModelSpec
    quant: QuantSpec | None = None
    plan: Plan | None = None
    longest_ctx: int | None = None
    permalink: str | None = None
    why_not: str = ""
    runtime: str = DEFAULTS["runtime"]  # the catalog slug of the runtime the plan is for
    ctx: int | None = None  # the context asked at, when the model reads less than the page asked for
    instead_of: str = ""  # the name of the format tried first, where it did not fit and a narrower one did
    kv: str = ""  # the quantized KV cache type the format fits with, where it does not with the default

    @property
    def fits(self) -> bool:
        return self.plan is not None

    @property
    def low_bit(self) -> bool:
        """In a format whose quality cost climbs quickly (under LOW_BITS): said beside it where it runs well."""
        return self.quant is not None and self.quant.bits_per_weight < LOW_BITS

    @property
    def tok_s_at_context(self) -> float:
        """Decode for one user with the whole context asked cached (`context_tok_s`): what the speed tiers,
        the "speed" sort and each tier's best compare (the start of an answer, `plan.decode_tok_s`, put a
        model at 32 tok/s falling to 21 in "Runs great")."""
        return context_tok_s(self.plan, 1) if self.plan is not None else 0.0

    @property
    def speed_parts(self) -> tuple[str, str]:
        """The row's decode at the start and with the whole context cached, as `speed_parts` writes them."""
        return speed_parts(self.plan.decode_tok_s, self.tok_s_at_context) if self.plan else ("–", "")

    @property
    def speed(self) -> str:
        """'46.0 → 21.3', or one number where the two read the same (`speed_text`)."""
        return speed_text(self.plan.decode_tok_s, self.tok_s_at_context) if self.plan else "–"


def fit_counts(rows) -> tuple[int, int]:
    """(the rows that fit, of those the ones asked at the model's own shorter maximum context): what-runs'
    verdict counts both, so a model that reads 32,768 tokens is not said to fit at 131,072."""
    return sum(r.fits for r in rows), sum(r.fits and bool(r.ctx) for r in rows)


def shorter_note(shorter: int) -> str:
    """What follows what-runs' verdict where some fit only at their own shorter maximum: ' (12 of them ...)'."""
    return f" ({shorter} of them only at their own shorter maximum)" if shorter else ""


def width(quant: QuantSpec, model: ModelSpec) -> float:
    """The bits per weight a format stores the model's bulk in, to compare with WIDEST_USEFUL_BITS: for a
    mixture of experts, the routed experts' width where the format gives one (llama.cpp's MXFP4 mix keeps
    gpt-oss's experts at 4.25 bits and the rest at 8.5, as released), else the whole file's."""
    if model.num_experts and quant.expert_bits_per_weight:
        return quant.expert_bits_per_weight
    return quant.bits_per_weight


def default_format(native_dtype: str, by_slug: dict[str, QuantSpec]) -> QuantSpec | None:
    """The format people run a model at: its own when that is already a quantized release (gpt-oss in
    MXFP4), Q4_K_M otherwise (the format llama.cpp's and Ollama's model pages default to)."""
    return by_slug.get(default_format_slug(native_dtype))


def default_format_slug(native_dtype: str | None) -> str:
    """`default_format`'s slug."""
    return NATIVE_FORMATS.get(native_dtype or "", DEFAULT_FORMAT)


@shared_steps()  # its models' plans time the same stages (a card's layers at a depth) again: each step once
def what_runs(
    *,
    models: Iterable[ModelSpec],
    quants: Sequence[QuantSpec],
    devices: list[DeviceSpec],
    workload: Workload,
    ram_gb: int | None = None,
    ram_preset: str | None = None,
    native_dtypes: dict[str, str] | None = None,
    policy: str = "largest",
    runtimes: dict[str, str] | None = None,
    published: Mapping[str, Set[str]] | None = None,
    quantized_kv: bool = True,
) -> list[RunsRow]:
    """For each model, formats are tried from the most bits per weight down; the first that fits wins.

    `policy` says where to start: "largest" (the widest listed format), "default" (the format people run
    the model at, `default_format`: narrower ones are tried only when it does not fit), or one format's
    slug (that format alone). Formats wider than the model's own weights (`native_dtypes`, by model slug;
    WIDEST_USEFUL_BITS) are not tried unless asked for by name. Formats whose lower bound on memory
    exceeds what the devices (and RAM) hold are skipped without asking the engine, and so is a format as
    wide as one the engine already refused.

    `runtimes` (format slug -> runtime slug, from `format_runtimes`) says which formats these devices can
    run and under which runtime, as the calculator would pick it; the others are not tried. None: every
    format, under the workload's runtime.

    `published` (model slug -> the format slugs of its catalog artifacts): formats of a PUBLISHED_ONLY
    family are tried only for models published in them (MXFP4 for gpt-oss, not for Qwen3). None: no
    such check.

    A model that reads less context than the workload's is asked at its own maximum (`RunsRow.ctx`),
    as a visitor would run it, rather than shown as not fitting.

    "Bits per weight" is the model's own: for a mixture of experts, its experts' width (`width`), so
    MXFP4's 4.25-bit experts come after Q4_K_M whatever its whole-file figure.

    With `quantized_kv`, a format that does not fit with the default KV cache is tried with the runtime's
    8-bit one before a narrower format, the first the calculator's "what to change" offers (`kept_kv`: q8_0 for
    llama.cpp and Ollama, FP8 for vLLM; `RunsRow.kv`). A visitor review: a 4090 at 32,768
    tokens ran the 32B models at Q2_K, where the calculator fits Q4_K_M with a q8_0 KV cache.
    """
    if runtimes is not None:
        quants = [q for q in quants if q.slug in runtimes]
    workloads = {r: with_runtime(workload, r) for r in set((runtimes or {}).values())}
    by_width = sorted(quants, key=lambda q: -q.bits_per_weight)  # stable: the catalog's order breaks ties
    by_slug = {q.slug: q for q in by_width}
    capacity = sum(d.usable_bytes for d in devices) + (workload.ram_bytes or 0)
    runs = group(devices)
    smallest = by_width[-1] if by_width else None
    # Per context a model is asked at, its workloads; per kind of model (with experts or not, its native
    # dtype, the published-only formats it has), the formats to try from the widest down, each with its
    # runtime. Both are the same for many models: built once per page, not once per model.
    at_context: dict[int, tuple[dict[str, Workload], Workload]] = {}
    # per context and runtime, the workload with its 8-bit KV cache (`kept_kv`)
    kv_at: dict[tuple[int, str], Workload | None] = {}
    orders: dict[tuple, tuple[list[tuple[QuantSpec, str]], bool]] = {}
    only = {q.slug for q in by_width if q.format in PUBLISHED_ONLY}
    rows = []
    for model in models:
        native = (native_dtypes or {}).get(model.slug, "")
        mine = frozenset(published.get(model.slug, ()) if published is not None else ()) & only
        kind = (bool(model.num_experts), native, mine)
        if kind not in orders:
            orders[kind] = _formats_to_try(
                model, by_width, by_slug, native, policy, published is not None, mine, runtimes
            )
        candidates, none_published = orders[kind]
        if none_published:  # the one format asked for by name
            name = by_slug[policy].name
            rows.append(RunsRow(model=model, why_not=f"no {name} release of it is known to this site."))
            continue
        # with YaRN where some runtime tried turns it on (llama.cpp, vLLM); MLX's formats alone: as released
        yarn = any(BY_SLUG[r].yarn for _, r in candidates if r in BY_SLUG)
        limit = model.longest_context if yarn else model.max_position_embeddings
        short = bool(limit and workload.context_tokens > limit)  # asked at the most it reads instead
        ctx = limit if short else workload.context_tokens
        if ctx not in at_context:
            at_context[ctx] = (
                {r: _at_context(w, ctx) for r, w in workloads.items()},
                _at_context(workload, ctx),
            )
        asked_at, base = at_context[ctx]
        row = None
        refused: set[tuple[float, str]] = set()  # whole-file widths and KV caches the engine refused here
        # each format with the default KV cache, then the runtime's quantized one (llama.cpp keeps one with flash
        # attention, the default)
        for quant, runtime, smaller_kv in (
            (q, r, smaller) for q, r in candidates for smaller in (False, True)
        ):
            asked = asked_at.get(runtime, base)
            if smaller_kv:
                if not quantized_kv:
                    continue
                if (ctx, asked.runtime) not in kv_at:
                    kv_at[ctx, asked.runtime] = kept_kv(asked)
                asked = kv_at[ctx, asked.runtime]
                if asked is None:
                    continue
            width_kv = (quant.bits_per_weight, asked.kv_cache_type)
            if width_kv in refused or least_bytes_needed(model, quant, asked) > capacity:
                continue
            if refused and not holds(model=model, quant=quant, devices=devices, workload=asked):
                refused.add(width_kv)  # after a refusal, memory alone first
                continue
            plan = recommended(model=model, quant=quant, devices=devices, workload=asked)
            if plan is None:
                refused.add(width_kv)
                continue
            link = permalink(
                model=model.slug,
                quant=quant.slug,
                runs=runs,
                ctx=ctx,
                ram_gb=ram_gb,
                runtime=runtime,
                ram_preset=ram_preset,
                kv=asked.kv_cache_type,
            )
            longest = longest_context(plan, model, asked)
            first = candidates[0][0]
            row = RunsRow(
                model,
                quant,
                plan,
                longest,
                link,
                runtime=runtime,
                ctx=ctx if short else None,
                instead_of=first.name if first.slug != quant.slug and policy != "largest" else "",
                kv=asked.kv_cache_type if smaller_kv else "",
            )
            break
        if row is None:
            link = None
            if smallest is not None:  # the calculator says how far the smallest format is from fitting
                link = permalink(
                    model=model.slug,
                    quant=smallest.slug,
                    runs=runs,
                    ctx=ctx,
                    ram_gb=ram_gb,
                    runtime=(runtimes or {}).get(smallest.slug, DEFAULTS["runtime"]),
                    ram_preset=ram_preset,
                )
            row = RunsRow(model=model, permalink=link, why_not="not at any listed format.")
        rows.append(row)
    return rows


def _formats_to_try(
    model: ModelSpec,
    by_width: list[QuantSpec],
    by_slug: dict[str, QuantSpec],
    native: str,
    policy: str,
    checked: bool,
    mine: Set[str],
    runtimes: dict[str, str] | None,
) -> tuple[list[tuple[QuantSpec, str]], bool]:
    """`what_runs`' formats for one kind of model, in the order they are tried, each with its runtime
    (too wide ones left out), and whether the one format asked for by name has no release of it.

    "Bits per weight" is the model's own (`width`): the order and the cut depend only on whether it has
    experts, its native dtype (WIDEST_USEFUL_BITS), the policy and, with `checked`, which of the
    PUBLISHED_ONLY formats it is published in (`mine`)."""
    widths = {q.slug: width(q, model) for q in by_width}
    ordered = sorted(by_width, key=lambda q: -widths[q.slug])  # stable: the catalog's order breaks ties
    widest = WIDEST_USEFUL_BITS.get(native, 32.0)
    tried = by_width
    if policy == "default" and (start := default_format(native, by_slug)):
        widest = min(widest, widths[start.slug])
    elif policy in by_slug:
        tried, widest = [by_slug[policy]], 32.0
    if checked:
        tried = [q for q in tried if q.format not in PUBLISHED_ONLY or q.slug in mine]
        if not tried and policy in by_slug:
            return [], True
    chosen = {q.slug for q in tried if widths[q.slug] <= widest + 1e-6}
    runtime = (runtimes or {}).get
    return [(q, runtime(q.slug, DEFAULTS["runtime"])) for q in ordered if q.slug in chosen], False


def _at_context(workload: Workload, ctx: int) -> Workload:
    """The same workload at another context (a model that reads less than the page asked for), with the
    prompt no longer than it, as the calculator's form keeps it."""
    if ctx == workload.context_tokens:
        return workload
    fields = {"context_tokens": ctx, "prompt_tokens": min(workload.prompt_tokens, ctx)}
    return Workload.model_validate(workload.model_dump() | fields)


def sort_rows(
    rows: Iterable,
    sort: str,
    *,
    params_b: Callable = lambda r: r.model.total_params_b,
    pace: Callable = lambda r: -r.tok_s_at_context,
) -> list:
    """Fitting rows by the chosen key, then the rest (by size, smallest first, for "speed"). A row has `fits`
    and `model.name`; `params_b` gives its size and `pace` its speed (lower is faster), an LLM's with the
    whole context cached (`RunsRow.tok_s_at_context`) unless given (an image model's:
    reverse_questions/images.py)."""
    rows = list(rows)
    fitting = [r for r in rows if r.fits]
    rest = [r for r in rows if not r.fits]
    by_name = lambda r: r.model.name.casefold()  # noqa: E731
    if sort == "name":
        return sorted(fitting, key=by_name) + sorted(rest, key=by_name)
    if sort == "size":
        key = lambda r: (-params_b(r), by_name(r))  # noqa: E731
        return sorted(fitting, key=key) + sorted(rest, key=key)
    fitting.sort(key=lambda r: (pace(r), by_name(r)))
    rest.sort(key=lambda r: (params_b(r), by_name(r)))
    return fitting + rest


# ---- What hardware runs this model? -------------------------------------------------------------


@dataclass(frozen=True)
class GpuSet:
    """n identical devices, as each "what hardware" ranking orders them (`rankings`): an LLM's (`DeviceSet`)
    and an image model's (reverse_questions/images.py)."""

    device: DeviceSpec
    count: int

    @property
    def memory_bytes(self) -> int:
        """The memory the GPUs may use: a unified-memory machine's GPU share (96 of a 128 GB Mac's), as the
        calculator's memory bars measure it; a card's all of it."""
        return self.device.usable_bytes * self.count


S = TypeVar("S", bound=GpuSet)


@dataclass(frozen=True)
class DeviceSet(GpuSet):
    """n identical devices that hold the model at the context and reach the target speed."""

    plan: Plan
    price_usd: Decimal | None  # the unit price × count
    permalink: str
    unit_price: PriceTag | None = None
    runtime: str = DEFAULTS["runtime"]  # the catalog slug of the runtime the plan is for
    users: int = 1  # at once, sharing the plan's batch (older snapshots: one)
    kv: str = ""  # the 8-bit KV cache type it takes (`KEEPS_THE_MODEL`), where not the question's (older snapshots: none)

    @property
    def tok_s(self) -> float:
        """Decode as each user sees it at the start of the answer (`user_tok_s`)."""
        return user_tok_s(self.plan, self.users)

    @property
    def tok_s_at_context(self) -> float:
        """Decode as each user sees it with the whole context asked cached (`context_tok_s`): what the target
        speed and the fastest ranking compare."""
        return context_tok_s(self.plan, self.users)

    @property
    def kv_words(self) -> str:
        """'with a q8_0 KV cache' where the set takes the runtime's 8-bit KV cache (`kv_words`), else ''."""
        return kv_words(self.kv)

    @property
    def tok_s_range(self) -> tuple[float | None, float | None]:
        """The single-stream range, scaled to each user's speed (as the calculator's `present.per_user`)."""
        alone, low, high = self.plan.decode_tok_s, self.plan.decode_tok_s_low, self.plan.decode_tok_s_high
        scale = self.tok_s / alone if alone else 1.0
        return (low * scale if low else None, high * scale if high else None)


def kv_article(kv: str) -> str:
    """The article before a KV cache type as said aloud: "an fp8", "a q8_0"."""
    return "an" if kv[:1] in tuple("aefhilmnorsx") else "a"


def kv_words(kv: str) -> str:
    """How what-runs' rows (catalog/tiers.py) and what-hardware's sets say a KV cache other than the question's:
    'with a q8_0 KV cache'; '' for none."""
    return f"with {kv_article(kv)} {kv} KV cache" if kv else ""


def user_tok_s(plan: Plan, users: int) -> float:
    """Decode per user at `users` at once: the aggregate shared (`Plan.shared_tok_s`), alone the single stream."""
    return plan.shared_tok_s(users) or plan.decode_tok_s or 0.0


def context_tok_s(plan: Plan, users: int) -> float:
    """Decode per user once the whole context asked is cached: alone, the engine's `decode_tok_s_at_context`;
    with more users, their share of the aggregate with every one's context cached (`Plan.shared_tok_s_at_context`:
    each step reads the weights once and every sequence's own cache). A plan shared before the engine gave that
    aggregate (engine 0.6.120) takes their share at the start (`user_tok_s`) slowed as one user's is, an upper
    bound. A visitor review: gpt-oss-120b at 131,072 tokens and 40 tok/s was answered by a Strix Halo at 46.0,
    the start of its answer; at the full context it reads 21.3."""
    if (shared := plan.shared_tok_s_at_context(users)) is not None:
        return shared
    start, alone, full = user_tok_s(plan, users), plan.decode_tok_s, plan.decode_tok_s_at_context
    return start * full / alone if alone and full else start


def speed_parts(start: float | None, full: float | None) -> tuple[str, str]:
    """A decode speed at the start of an answer and with the whole context asked cached (`context_tok_s`), as
    every page writes them: ('46.0', '21.3'), the second '' where both read the same (a context no longer than the
    prompt; a snapshot's plan from before the engine gave the second). Pages put the start's range
    between them, beside the number it belongs to."""
    first = format_rate(start)
    then = format_rate(full) if full is not None else first
    return first, "" if then == first else then


def speed_text(start: float | None, full: float | None) -> str:
    """'46.0 → 21.3', as a table column headed "start → full context" says it, or one number where the two
    read the same (`speed_parts`): the calculator's "falling to 21.3 with 131,072 tokens cached"."""
    return " → ".join(p for p in speed_parts(start, full) if p)


@dataclass(frozen=True)
class HardwareAnswer:
    smallest: list[DeviceSet]
    cheapest: list[DeviceSet]
    found: int  # device sets that qualify, before the top-10 cut
    priced: int  # of those, the ones with a price
    estimates: int  # engine calls it took
    fastest: list[DeviceSet] = field(default_factory=list)


@shared_steps()  # each kind's counts and KV caches time the same stages again: each step once
def what_hardware(
    *,
    model: ModelSpec,
    quant: QuantSpec,
    gpus: Iterable[tuple[DeviceSpec, PriceTag | None]],
    workload: Workload,
    target_tok_s: float,
    top: int | None = TOP,
    runtimes: dict[str, str] | None = None,
) -> HardwareAnswer:
    """For each GPU kind (with its newest price, if known), the fewest devices that fit and reach the
    target decode speed per user with the whole context cached (`context_tok_s`); the first `top` of each
    ranking (None: every qualifying set).

    More of one kind only adds cost and memory, so its smallest qualifying count is the only one kept.
    Counts whose usable memory is below the lower bound are skipped unasked; once a count fits, more
    devices are tried only while the speed still rises (a layer split adds memory, not speed), the speed of
    each KV cache apart, and under vLLM until no more devices split the heads more ways (`tensor_parallel_size`).
    With one speed for both, one that had stopped rising (seven RTX 3090s in a layer split with an fp8 cache, no
    faster than six) ended the search before the other reached the speed (eight with vLLM's tensor parallelism
    and an f16 cache, 38 tok/s for Llama 3.3 70B in FP8 at 131,072 tokens).

    `runtimes` (backend -> runtime slug, from `backend_runtimes`) says which devices can run the format
    and under which runtime; the others are skipped. None: every device, under the workload's runtime.
    A set whose only plan is llama.cpp's tensor parallelism (`-sm tensor`, experimental: commands.py) does not
    qualify: four 3060s at 20.7 tok/s that way were the 70B guide's best buy, where a layer split does not fit
    them; a buyer should count on the plans the tools run as they are.

    A count that does not fit or reach the target with the question's KV cache is asked again with its
    runtime's 8-bit one (`kept_kv`: q8_0 for llama.cpp and Ollama, fp8 for vLLM; `DeviceSet.kv`) before a
    device is added, as what-runs tries it before a narrower format. A visitor review: a 70B at 32,768 tokens
    and 10 tok/s was answered "3× RTX 3090, $2,100", where the calculator and Choose my GPU run it on two with
    a q8_0 KV cache, $1,400 and faster at the full context. Choose my GPU asks this function: one rule.
    """
    sets: list[DeviceSet] = []
    calls = 0
    by_runtime: dict[str, list[tuple[str, Workload, int]]] = {}  # per runtime, its (KV cache, workload, need)
    for device, price in gpus:
        if runtimes is not None and device.backend not in runtimes:
            continue
        runtime = (runtimes or {}).get(device.backend, DEFAULTS["runtime"])
        if runtime not in by_runtime:
            by_runtime[runtime] = _kv_workloads(model, quant, with_runtime(workload, runtime))
        tries = by_runtime[runtime]
        previous: dict[str, float] = {}  # per KV cache, its best speed at the counts that held it
        rising = {kv for kv, _, _ in tries}  # the KV caches whose speed has not stopped rising
        # under vLLM more devices may split the heads more ways (`tensor_parallel_size`: 2, 4, 8 for a 70B), and
        # the counts between them run slower (a layer split): its speed may rise again
        splits = tensor_parallel_size(model, MAX_SAME_GPUS) if tries[0][1].runtime == "vllm" else 1
        for n in [1] if device.unified_memory else range(1, MAX_SAME_GPUS + 1):
            found = None
            for kv, asked, least in tries:
                if kv not in rising or n * device.usable_bytes < least:
                    continue
                calls += 1
                plan = recommended(model=model, quant=quant, devices=[device] * n, workload=asked)
                if plan is None or (plan.strategy == "tensor_parallel" and asked.runtime != "vllm"):
                    continue  # buying advice rests on no experimental mode: llama.cpp's --split-mode tensor
                speed = context_tok_s(plan, workload.batch)
                if speed >= target_tok_s:
                    link = permalink(
                        model=model.slug,
                        quant=quant.slug,
                        runs=[(device.slug, n)],
                        ctx=workload.context_tokens,
                        runtime=runtime,
                        batch=workload.batch,
                        kv=kv,
                    )
                    total = price.amount_usd * n if price is not None else None
                    found = DeviceSet(
                        device, n, plan, total, link, price, runtime=runtime, users=workload.batch, kv=kv
                    )
                    break
                if kv in previous and speed <= previous[kv] and tensor_parallel_size(model, n) >= splits:
                    rising.discard(kv)
                previous[kv] = max(speed, previous.get(kv, speed))
            if found is not None:
                sets.append(found)
                break
            if not rising:
                break
    return HardwareAnswer(**rankings(sets, pace=lambda s: -s.tok_s_at_context, top=top), estimates=calls)


def _kv_workloads(model: ModelSpec, quant: QuantSpec, workload: Workload) -> list[tuple[str, Workload, int]]:
    """What `what_hardware` asks a count of devices with, in turn: ("", the question's workload under this
    runtime, its lower bound on memory), then, where the runtime keeps a narrower one (`kept_kv`), its 8-bit KV
    cache, with its workload and lower bound. Each bound is the runtime's own: under vLLM the KV cache of one
    sequence must fit before it starts, under llama.cpp every user's (`least_bytes_needed`): the question's,
    llama.cpp's, skipped counts of vLLM devices that might hold it with several users."""
    tries = [("", workload, least_bytes_needed(model, quant, workload))]
    if (asked := kept_kv(workload)) is not None:
        tries.append((asked.kv_cache_type, asked, least_bytes_needed(model, quant, asked)))
    return tries


def rankings(sets: Sequence[S], *, pace: Callable[[S], float], top: int | None = TOP) -> dict:
    """The first `top` sets (None: all) by size (fewest devices, then least memory: `smallest`), by price
    (each set's `price_usd` and `unit_price`, unpriced last: `cheapest`) and by `pace` (lower is faster:
    minus the tok/s, the seconds per image: `fastest`), each set's size and pace breaking ties; how many
    sets qualify (`found`) and how many of them have a price (`priced`)."""

    def size(s: S) -> tuple:
        return (s.count, s.memory_bytes, pace(s), s.device.name.casefold())

    smallest = sorted(sets, key=size)
    # a launch price over two years old with none newer (PriceTag.old) is what the card cost then, not now:
    # ranked after the prices of today (a visitor review: 2× RTX 3060 at their 2021 launch price of $658
    # came first, before a used RTX 3090 at $700 seen this month and 56% faster)
    cheapest = sorted(
        sets,
        key=lambda s: (*price_rank(s.unit_price), s.price_usd or 0, *size(s)),
    )
    fastest = sorted(sets, key=lambda s: (pace(s), *size(s)))
    return {
        "smallest": smallest[:top],
        "cheapest": cheapest[:top],
        "fastest": fastest[:top],
        "found": len(sets),
        "priced": sum(s.price_usd is not None for s in sets),
    }
