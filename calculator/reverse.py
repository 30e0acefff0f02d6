"""The reverse questions: "what runs on my hardware?" and "what hardware runs this model?".

Plain functions over engine specs: the views load the catalog rows in a fixed number of queries, turn
them into specs, and everything here is Python. Every answer is the engine's recommended plan (its
`fits()`: `estimate()`'s ranking without launch commands) for the workload the calculator page builds
for the same question, so each row's permalink reproduces its numbers. The engine is only asked where
a lower bound on memory (`least_bytes_needed`) says the model could fit.
"""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.http import QueryDict
from pydantic import ValidationError

from estimator import DeviceSpec, ModelSpec, Plan, QuantSpec, Workload, memory
from estimator.estimate import fits
from estimator.units import GIB

from .forms import DEFAULTS, ENGINE_RUNTIME, MAX_CONTEXT

SORTS = {"size": "Size", "speed": "Speed", "name": "Name"}  # the first is the default
DEFAULT_FORMAT = "q4_k_m"
NATIVE_FORMATS = {"mxfp4+bfloat16": "mxfp4"}  # native dtype -> the catalog format it was released in
# Speed tiers of "what runs on my hardware", decode tok/s for one user: reading speed is 5-10 tok/s,
# so 30 feels instant, 10 is comfortable to read along, 3 is a wait; below that (or not fitting) no.
TIERS = (
    ("great", "Runs great", 30.0, "30 tok/s or more"),
    ("usable", "Usable", 10.0, "10 to 30 tok/s"),
    ("slow", "Slow", 3.0, "3 to 10 tok/s"),
    ("none", "Won't run", 0.0, "under 3 tok/s, or does not fit"),
)
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
# "What hardware": 1 to this many of one discrete GPU kind per machine (8 is the usual server maximum);
# unified-memory machines come one at a time.
MAX_SAME_GPUS = 8
TOP = 10


def question_workload(*, ctx: int, ram_gb: int | None = None) -> Workload:
    """The workload the calculator page builds for this context with every other input at its default."""
    fields = {
        "context_tokens": ctx,
        "batch": DEFAULTS["batch"],
        "prompt_tokens": min(DEFAULTS["prompt"], ctx),
        "kv_cache_type": DEFAULTS["kv"],
        "runtime": ENGINE_RUNTIME[DEFAULTS["runtime"]],
        "hosts": DEFAULTS["hosts"],
    }
    if ram_gb:
        fields["ram_bytes"] = ram_gb * GIB  # as calculator.answer.workload(): RAM is sold in GiB
    return Workload(**fields)


def permalink(
    *, model: str, quant: str, runs: Iterable[tuple[str, int]], ctx: int, ram_gb: int | None = None
) -> str:
    """The calculator's URL for this question, in QuestionForm.canonical_query()'s order and defaults."""
    query = QueryDict(mutable=True)
    query.appendlist("model", model)
    query.appendlist("quant", quant)
    for slug, n in runs:
        query.appendlist("gpu", slug)
        if n != 1:
            query.appendlist("count", str(n))
    if ctx != DEFAULTS["ctx"]:
        query.appendlist("ctx", str(ctx))
    if ram_gb:
        query.appendlist("ram_gb", str(ram_gb))
    return f"/?{query.urlencode(safe='')}"


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
    *, model: ModelSpec, quant: QuantSpec, devices: list[DeviceSpec], workload: Workload
) -> Plan | None:
    """The calculator's recommended plan for this question, or None when no plan fits.

    `fits()` ranks the same plans as `estimate()` but skips the launch commands and explanations these
    pages do not show: about a third of the engine's time.
    """
    try:
        return fits(model=model, quant=quant, devices=devices, workload=workload)
    except (ValidationError, ValueError):  # the engine refuses the question: it cannot run
        return None


def least_bytes_needed(model: ModelSpec, quant: QuantSpec, workload: Workload) -> int:
    """A lower bound on the memory every plan needs, over all devices and host RAM together, in O(1).

    The engine scales each layer's tensors so that everything but the embeddings adds up to the card's
    total; every tensor is stored at one of the format's widths; full-attention layers cache the whole
    context, sliding-window layers at least nothing. 1% off covers the engine's per-tensor rounding.
    """
    widths = (quant.bits_per_weight, quant.expert_bits_per_weight, quant.output_bits_per_weight)
    bits = min(b for b in widths if b)
    weights = max(model.total_params_b * 1e9 - model.vocab_size * model.hidden_size, 0) * bits / 8
    window_layers = min(model.sliding_window_layers, model.num_hidden_layers) if model.sliding_window else 0
    kv = (
        (model.num_hidden_layers - window_layers)
        * memory.kv_values_per_token_layer(model)
        * workload.kv_bytes_per_element
        * workload.context_tokens
        * workload.batch
    )
    return int(0.99 * (weights + kv)) + workload.headroom_bytes


def longest_context(plan: Plan, model: ModelSpec, workload: Workload) -> int:
    """About the longest context this plan holds: the free memory of each device that holds KV cache,
    divided by its KV cache per token of context, the smallest over devices.

    Conservative: with sliding-window layers the cache grows slower than its average per token, and a
    layer split would move layers to where the memory is. Compute buffers do not grow with context under
    flash attention (the default). Rounded down to llama.cpp's 256-cell padding.
    """
    cells = memory.padded_context(workload)
    extra = None
    for device in plan.devices:
        if device.kv_cache_bytes:
            spare = device.capacity_bytes - device.used_bytes - device.headroom_bytes
            tokens = spare * cells // device.kv_cache_bytes
            extra = tokens if extra is None else min(extra, tokens)
    longest = workload.context_tokens + max(extra or 0, 0)
    longest -= longest % memory.LLAMA_CPP_CTX_PAD
    return max(workload.context_tokens, min(longest, model.max_position_embeddings or MAX_CONTEXT))


# ---- What runs on my hardware? ------------------------------------------------------------------


@dataclass(frozen=True)
class RunsRow:
    """One catalog model on the visitor's devices: the largest listed format that fits, or why none does."""

    model: ModelSpec
    quant: QuantSpec | None = None
    plan: Plan | None = None
    longest_ctx: int | None = None
    permalink: str | None = None
    why_not: str = ""

    @property
    def fits(self) -> bool:
        return self.plan is not None


def default_format(native_dtype: str, by_slug: dict[str, QuantSpec]) -> QuantSpec | None:
    """The format people run a model at: its own when that is already a quantized release (gpt-oss in
    MXFP4), Q4_K_M otherwise (the format llama.cpp's and Ollama's model pages default to)."""
    return by_slug.get(NATIVE_FORMATS.get(native_dtype, DEFAULT_FORMAT))


def what_runs(
    *,
    models: Iterable[ModelSpec],
    quants: Sequence[QuantSpec],
    devices: list[DeviceSpec],
    workload: Workload,
    ram_gb: int | None = None,
    native_dtypes: dict[str, str] | None = None,
    policy: str = "largest",
) -> list[RunsRow]:
    """For each model, formats are tried from the most bits per weight down; the first that fits wins.

    `policy` says where to start: "largest" (the widest listed format), "default" (the format people run
    the model at, `default_format`: narrower ones are tried only when it does not fit), or one format's
    slug (that format alone). Formats wider than the model's own weights (`native_dtypes`, by model slug;
    WIDEST_USEFUL_BITS) are not tried unless asked for by name. Formats whose lower bound on memory
    exceeds what the devices (and RAM) hold are skipped without asking the engine, and so is a format as
    wide as one the engine already refused.
    """
    by_width = sorted(quants, key=lambda q: -q.bits_per_weight)  # stable: the catalog's order breaks ties
    by_slug = {q.slug: q for q in by_width}
    capacity = sum(d.usable_bytes for d in devices) + (workload.ram_bytes or 0)
    runs = group(devices)
    smallest = by_width[-1] if by_width else None
    rows = []
    for model in models:
        limit = model.max_position_embeddings
        if limit and workload.context_tokens > limit:
            rows.append(RunsRow(model=model, why_not=f"it reads at most {limit:,} tokens of context."))
            continue
        row = None
        native = (native_dtypes or {}).get(model.slug, "")
        widest = WIDEST_USEFUL_BITS.get(native, 32.0)
        tried = by_width
        if policy == "default" and (start := default_format(native, by_slug)):
            widest = min(widest, start.bits_per_weight)
        elif policy in by_slug:
            tried, widest = [by_slug[policy]], 32.0
        refused: set[float] = {q.bits_per_weight for q in tried if q.bits_per_weight > widest + 1e-6}
        for quant in tried:
            if quant.bits_per_weight in refused or least_bytes_needed(model, quant, workload) > capacity:
                continue
            plan = recommended(model=model, quant=quant, devices=devices, workload=workload)
            if plan is None:
                refused.add(quant.bits_per_weight)
                continue
            link = permalink(
                model=model.slug, quant=quant.slug, runs=runs, ctx=workload.context_tokens, ram_gb=ram_gb
            )
            row = RunsRow(model, quant, plan, longest_context(plan, model, workload), link)
            break
        if row is None:
            link = None
            if smallest is not None:  # the calculator says how far the smallest format is from fitting
                link = permalink(
                    model=model.slug,
                    quant=smallest.slug,
                    runs=runs,
                    ctx=workload.context_tokens,
                    ram_gb=ram_gb,
                )
            row = RunsRow(model=model, permalink=link, why_not="not at any listed format.")
        rows.append(row)
    return rows


@dataclass(frozen=True)
class Tier:
    key: str
    title: str
    meaning: str
    rows: list[RunsRow]

    @property
    def best(self) -> RunsRow | None:
        """The largest model of the tier (parameters stored, a stand-in for quality), the fastest first."""
        return max(self.rows, key=lambda r: (r.model.total_params_b, r.plan.decode_tok_s or 0), default=None)


def tier_key(row: RunsRow) -> str:
    speed = (row.plan.decode_tok_s or 0.0) if row.fits else 0.0
    return next(key for key, _, floor, _ in TIERS if speed >= floor and (row.fits or key == "none"))


def tiers(rows: Iterable[RunsRow], sort: str) -> list[Tier]:
    """The rows in speed tiers (TIERS), each sorted by `sort`; the last tier holds what does not fit."""
    rows = sort_rows(rows, sort)
    return [
        Tier(key, title, meaning, [r for r in rows if tier_key(r) == key]) for key, title, _, meaning in TIERS
    ]


def sort_rows(rows: Iterable[RunsRow], sort: str) -> list[RunsRow]:
    """Fitting rows by the chosen key, then the rest (by size, smallest first, for "speed")."""
    rows = list(rows)
    fitting = [r for r in rows if r.fits]
    rest = [r for r in rows if not r.fits]
    by_name = lambda r: r.model.name.casefold()  # noqa: E731
    if sort == "name":
        return sorted(fitting, key=by_name) + sorted(rest, key=by_name)
    if sort == "size":
        key = lambda r: (-r.model.total_params_b, by_name(r))  # noqa: E731
        return sorted(fitting, key=key) + sorted(rest, key=key)
    fitting.sort(key=lambda r: (-(r.plan.decode_tok_s or 0), by_name(r)))
    rest.sort(key=lambda r: (r.model.total_params_b, by_name(r)))
    return fitting + rest


# ---- What hardware runs this model? -------------------------------------------------------------


@dataclass(frozen=True)
class PriceTag:
    """One device's newest published price: amount (USD), the day it was seen (None: a launch price no
    source dates), where."""

    amount_usd: Decimal
    date: datetime.date | None
    source_url: str


@dataclass(frozen=True)
class DeviceSet:
    """n identical devices that hold the model at the context and reach the target speed."""

    device: DeviceSpec
    count: int
    plan: Plan
    price_usd: Decimal | None
    permalink: str
    price_date: datetime.date | None = None
    price_source: str = ""

    @property
    def memory_bytes(self) -> int:
        return self.device.memory_bytes * self.count


@dataclass(frozen=True)
class HardwareAnswer:
    smallest: list[DeviceSet]
    cheapest: list[DeviceSet]
    found: int  # device sets that qualify, before the top-10 cut
    priced: int  # of those, the ones with a price
    estimates: int  # engine calls it took
    fastest: list[DeviceSet] = field(default_factory=list)


def what_hardware(
    *,
    model: ModelSpec,
    quant: QuantSpec,
    gpus: Iterable[tuple[DeviceSpec, PriceTag | None]],
    workload: Workload,
    target_tok_s: float,
    top: int | None = TOP,
) -> HardwareAnswer:
    """For each GPU kind (with its newest price, if known), the fewest devices that fit and reach the
    target single-stream decode speed; the first `top` of each ranking (None: every qualifying set).

    More of one kind only adds cost and memory, so its smallest qualifying count is the only one kept.
    Counts whose usable memory is below the lower bound are skipped unasked; once a count fits, more
    devices are tried only while the speed still rises (a layer split adds memory, not speed).
    """
    need = least_bytes_needed(model, quant, workload)
    sets: list[DeviceSet] = []
    calls = 0
    for device, price in gpus:
        previous = None
        for n in [1] if device.unified_memory else range(1, MAX_SAME_GPUS + 1):
            if n * device.usable_bytes < need:
                continue
            calls += 1
            plan = recommended(model=model, quant=quant, devices=[device] * n, workload=workload)
            if plan is None:
                continue
            speed = plan.decode_tok_s or 0.0
            if speed >= target_tok_s:
                link = permalink(
                    model=model.slug, quant=quant.slug, runs=[(device.slug, n)], ctx=workload.context_tokens
                )
                if price is None:
                    sets.append(DeviceSet(device, n, plan, None, link))
                else:
                    total = price.amount_usd * n
                    sets.append(DeviceSet(device, n, plan, total, link, price.date, price.source_url))
                break
            if previous is not None and speed <= previous:
                break
            previous = speed
    smallest = sorted(sets, key=_size_key)
    cheapest = sorted(sets, key=lambda s: (s.price_usd is None, s.price_usd or 0, *_size_key(s)))
    fastest = sorted(sets, key=lambda s: (-(s.plan.decode_tok_s or 0), *_size_key(s)))
    return HardwareAnswer(
        smallest=smallest[:top],
        cheapest=cheapest[:top],
        fastest=fastest[:top],
        found=len(sets),
        priced=sum(s.price_usd is not None for s in sets),
        estimates=calls,
    )


def _size_key(s: DeviceSet) -> tuple:
    return (s.count, s.memory_bytes, -(s.plan.decode_tok_s or 0), s.device.name.casefold())


def firsts(answer: HardwareAnswer) -> list[tuple[str, DeviceSet]]:
    """The smallest, the cheapest (when priced) and the fastest set, for the side-by-side summary."""
    picks = [
        ("Smallest", answer.smallest),
        ("Cheapest", answer.cheapest if answer.priced else []),
        ("Fastest", answer.fastest),
    ]
    return [(title, sets[0]) for title, sets in picks if sets]
