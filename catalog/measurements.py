"""Published measurements for a question, to show beside the engine's estimate.

`measured_for(gpus=..., llm=..., quant=...)` takes the question as the page and the API have it (slugs;
a GPU repeated once per card) and returns what the catalog holds for exactly that hardware, model and
format, in one query, the rows nearest the question first (its backend, then its prompt's depth). Mixed
GPUs have no measurements: every source measured identical cards.
Where nothing matches, `nearest_measured` finds the closest published row and the engine's estimate
for that row's own question (`row_estimate`, which a GPU page shows beside each of its rows), so a
visitor sees how far the engine was off on hardware like theirs.
"""

import datetime
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import ValidationError

from estimator import Workload, plans
from estimator.ranking import interned

from . import cache, slugs
from .llama_bench import DEFAULT_DECODE_TOKENS, parse_test
from .models import Gpu, LlmModel, Measurement, Quantization


@dataclass(frozen=True)
class Measured:
    """The measurements matching one question, by metric; each is a `Measurement` with its gpu, llm and
    quantization already loaded."""

    decode: tuple[Measurement, ...] = ()
    prefill: tuple[Measurement, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.decode or self.prefill)


def distance(m: Measurement, prompt_tokens: int) -> int:
    """How far a measurement's test is from a question whose prompt is `prompt_tokens` long, in tokens:
    a decode test by the mean KV depth it reads (tgN after D tokens: D + N/2) against the prompt's, a
    prompt test by its length and the context before it."""
    tokens = _tokens(m.test, m.runtime)
    if m.metric == Measurement.Metric.PREFILL:
        return abs(tokens - prompt_tokens) + m.context_tokens
    return abs(m.context_tokens + tokens // 2 - prompt_tokens)


def measured_for(
    *,
    gpus: Sequence[str],
    llm: str,
    quant: str,
    runtime: str | None = None,
    backend: str | None = None,
    prefer_backend: str | None = None,
    prompt_tokens: int = 0,
) -> Measured:
    """Measurements of model `llm` at format `quant` on the GPUs `gpus` (one slug per card, so
    `["geforce-rtx-3090", "geforce-rtx-3090"]` is two 3090s). `runtime` ("llama.cpp") and `backend`
    ("cuda", "vulkan", ...) narrow the match when given. One query; empty when nothing matches.

    Within a metric, the rows nearest the question come first: those on `prefer_backend` (else the
    card's own), then by `distance` from a prompt of `prompt_tokens`, then test and slug (stable across
    loads); a second row of a backend and test already listed (another source, flash attention on or
    off) goes after every first one, so the first few rows a page shows are all different tests.
    """
    if not gpus or len(set(gpus)) != 1:
        return Measured()
    qs = Measurement.objects.for_question(gpu=gpus[0], gpu_count=len(gpus), llm=llm, quantization=quant)
    if runtime:
        qs = qs.filter(runtime=runtime)
    if backend:
        qs = qs.filter(backend=backend)
    rows = sorted(
        qs.select_related("gpu", "llm", "quantization"),
        key=lambda m: (
            m.backend != (prefer_backend or m.gpu.backend),
            distance(m, prompt_tokens),
            m.test,
            m.slug,
        ),
    )
    first, again, seen = [], [], set()
    for m in rows:
        key = (m.metric, m.backend, m.test)
        (again if key in seen else first).append(m)
        seen.add(key)
    rows = first + again
    return Measured(
        decode=tuple(m for m in rows if m.metric == Measurement.Metric.DECODE),
        prefill=tuple(m for m in rows if m.metric == Measurement.Metric.PREFILL),
    )


# ---- The nearest published measurement, where none matches the question --------------------------


@dataclass(frozen=True)
class DecodeRow:
    """What the page shows of one published decode measurement, and what `nearest_measured` compares."""

    slug: str
    gpu_id: int
    gpu: str  # the card's name
    gpu_slug: str
    gpu_count: int  # several: a layer split over that many of the card
    vendor: str
    unified_memory: bool
    bandwidth_gb_s: float
    backend: str  # as measured
    backend_name: str
    llm: str  # the model's name
    llm_slug: str
    moe: bool
    params_b: float  # the parameters a token reads (an MoE's active ones)
    quant: str  # the format's name
    quant_slug: str
    bits_per_weight: float
    test: str
    value: float
    source_url: str
    date: datetime.date | None  # measured, or published where the source gives no date


@dataclass(frozen=True)
class Neighbour:
    """A published decode measurement close to the question (the same card when there is one, on as many
    cards where it can, else the measured card of the same vendor and kind of memory with the nearest
    bandwidth), and what the engine estimates for that measurement's own question: how far off it was, on hardware the
    visitor can compare with theirs."""

    row: DecodeRow
    estimate_tok_s: float | None
    same_gpu: bool
    same_model: bool = False  # the question's model: else another, which shows how close the engine runs here

    @property
    def error(self) -> float | None:
        return relative_error(self.estimate_tok_s, self.row.value)


def relative_error(estimate: float | None, measured: float) -> float | None:
    """Estimate ÷ measured − 1; None without an estimate."""
    if not estimate or not measured:
        return None
    return estimate / measured - 1


# A decode test near an empty cache, as the engine's estimate for the row (`row_estimate`: at its mean
# depth): `tg` (length not stated) to `tg512`; tg4096 reads a cache growing to 4096 tokens.
SHORT_DECODE_TOKENS = 512


def _tokens(test: str, runtime: str) -> int:
    """The tokens a test processes; 0 for a name it does not read. A `tg` of unstated length counts
    llama-bench's default on a llama.cpp row, and 0 on another tool's, whose default the sources seldom state."""
    parsed = parse_test(test)
    if parsed is None:
        return 0
    return parsed.tokens or (DEFAULT_DECODE_TOKENS if runtime == "llama.cpp" else 0)


def _decode_tokens(test: str) -> int | None:
    """The tokens a short decode test generates; None for any other test."""
    parsed = parse_test(test)
    if not parsed or parsed.op != "tg" or parsed.depth:
        return None
    tokens = parsed.tokens or DEFAULT_DECODE_TOKENS
    return tokens if tokens <= SHORT_DECODE_TOKENS else None


def _decode_rows() -> list[DecodeRow]:
    """llama.cpp decode rows near an empty context, on one card or a layer split over several."""
    rows = Measurement.objects.filter(
        metric=Measurement.Metric.DECODE,
        context_tokens=0,
        runtime="llama.cpp",
        split_mode__in=(Measurement.SplitMode.NONE, Measurement.SplitMode.LAYER),
    ).select_related("gpu", "llm", "quantization")
    rows = [m for m in rows.order_by("slug") if _decode_tokens(m.test)]
    return [
        DecodeRow(
            slug=m.slug,
            gpu_id=m.gpu_id,
            gpu=m.gpu.name,
            gpu_slug=m.gpu.slug,
            gpu_count=m.gpu_count,
            vendor=m.gpu.vendor,
            unified_memory=m.gpu.unified_memory,
            bandwidth_gb_s=m.gpu.bandwidth_gb_s or 0.0,
            backend=m.backend,
            backend_name=m.get_backend_display(),
            llm=m.llm.name,
            llm_slug=m.llm.slug,
            moe=m.llm.is_moe,
            params_b=m.llm.params_read_b,
            quant=m.quantization.name,
            quant_slug=m.quantization.slug,
            bits_per_weight=m.quantization.bits_per_weight,
            test=m.test,
            value=m.value,
            source_url=m.source_url,
            date=m.date,
        )
        for m in rows
    ]


def _decode_rows_by_gpu() -> tuple[dict[int, list[DecodeRow]], dict[tuple[str, bool], list[DecodeRow]]]:
    """`_decode_rows` by card, and by vendor and kind of memory (unified or not), each in its order: what
    `nearest_measured` looks among, without going through every row for each question."""
    by_gpu: dict[int, list[DecodeRow]] = {}
    by_kind: dict[tuple[str, bool], list[DecodeRow]] = {}
    for r in cache.get_or_compute("decode-rows", "", _decode_rows):
        by_gpu.setdefault(r.gpu_id, []).append(r)
        by_kind.setdefault((r.vendor, r.unified_memory), []).append(r)
    return by_gpu, by_kind


def _estimate(row: DecodeRow) -> float | None:
    """`row_estimate` of a decode row (`nearest_measured`'s, cached per row), from the catalog's tables kept
    in the process (catalog/slugs.py `current`): the query for the row and its card, model and format was
    most of a first answer's cost for it (~4% of bench/cpu.py's pages, which meet rows not estimated yet)."""
    m = slugs.current(Measurement, [row.slug])[row.slug]
    m.gpu = slugs.current(Gpu, [row.gpu_slug])[row.gpu_slug]
    m.llm = slugs.current(LlmModel, [row.llm_slug])[row.llm_slug]
    m.quantization = slugs.current(Quantization, [row.quant_slug])[row.quant_slug]
    return row_estimate(m)


# llama-bench's flash-attention flag as sources print it (`-fa 1`, `-fa on`, `--flash-attn 0`)
FLASH_ATTENTION_FLAG = re.compile(r"(?:-fa|--flash-attn)[ =]+(1|0|on|off|true|false)\b", re.I)


def row_estimate(m: Measurement, gpu: Gpu | None = None) -> float | None:
    """The engine's estimate for a published row's own test, under today's llama.cpp: `tgN@dD` single-stream
    decode at the test's mean depth (D + N/2: the cache grows while it runs), `ppN` the prompt from an empty
    context; on the backend and the number of cards it was measured with (several: a layer split), with flash
    attention as its flags say (else llama.cpp's default, on where it runs). None where the engine does not ask
    the same question: other runtimes, row or tensor splits, the CPU, a prompt after a context, a shape or
    format it refuses. `gpu`: the row's card, where the caller has it loaded."""
    gpu = gpu or m.gpu
    test = parse_test(m.test)
    if (
        test is None
        or m.runtime != "llama.cpp"
        or m.backend == Measurement.Backend.CPU
        or m.split_mode not in (Measurement.SplitMode.NONE, Measurement.SplitMode.LAYER)
    ):
        return None
    depth = test.depth or m.context_tokens
    flag = FLASH_ATTENTION_FLAG.search(m.flags)
    flash_attention = flag.group(1).lower() in ("1", "on", "true") if flag else True
    if test.op == "pp":
        if depth:
            return None  # a plan's prompt starts a conversation
        workload = Workload(
            context_tokens=test.tokens, prompt_tokens=test.tokens, flash_attention=flash_attention
        )
    else:
        at = max(1, depth + (test.tokens or DEFAULT_DECODE_TOKENS) // 2)
        workload = Workload(context_tokens=at + 1, prompt_tokens=at, flash_attention=flash_attention)
    try:
        device = gpu.as_spec()
        if m.backend != device.backend:  # a Radeon's Vulkan row is estimated as Vulkan
            device = device.model_copy(update={"backend": m.backend})
        builder = plans.layer_split if m.gpu_count > 1 else plans.single
        # the specs as the engine's entry points hand them on (`interned`: the first object of each value), so
        # its caches, which tell specs apart by identity, find a model's tables built for another row of it or
        # by another page (a GPU page's ~70 rows are a dozen models), as they would for `estimate()`
        plan = builder(
            model=interned(m.llm.as_spec()),
            quant=interned(m.quantization.as_spec()),
            workload=workload,
            devices=[interned(device)] * m.gpu_count,
        )
    except (ValidationError, ValueError, KeyError):  # a row the engine cannot price: nothing to compare
        return None
    return plan.decode_tok_s if test.op == "tg" else plan.prefill_tok_s


@dataclass(frozen=True)
class Estimated:
    """A published row beside the engine's estimate for its own test (`row_estimate`)."""

    row: Measurement
    estimate_tok_s: float | None

    @property
    def error(self) -> float | None:
        return relative_error(self.estimate_tok_s, self.row.value)


def with_estimates(gpu: Gpu, rows: Sequence[Measurement]) -> list[Estimated]:
    """A card's published rows, each beside `row_estimate`: computed once per card and catalog version."""
    ours = cache.get_or_compute(
        "row-estimates", gpu.slug, lambda: {m.slug: row_estimate(m, gpu) for m in rows}
    )
    return [Estimated(m, ours.get(m.slug)) for m in rows]


# Cards within this ratio of memory bandwidth count as alike for `nearest_measured`: the model run on one
# tells more than the bandwidth's last few percent.
NEAR_BANDWIDTH = 1.5


def nearest_measured(
    *,
    gpu: Gpu,
    bits_per_weight: float,
    llm: str = "",
    moe: bool = False,
    params_b: float = 0.0,
    gpu_count: int = 1,
    backend: str | None = None,
) -> Neighbour | None:
    """The published decode measurement nearest `gpu_count` of this card, model `llm` (a slug; `moe`: a
    mixture of experts; `params_b`: the parameters a token reads) and format: the same card when it has one
    (as many cards first, a layer split when several: what the split costs shows; then its own backend, then
    the same model, then a model of the same kind, dense or MoE, then a test no longer
    than tg128, then the closest bytes a token reads, parameters × bits per weight, then bits per weight),
    else a card of the same vendor and kind of memory (unified or not): of those within NEAR_BANDWIDTH of its
    memory bandwidth, one with the same model, then one with a model of the same kind, then the nearest
    bandwidth, and on it the same order. Rows read once per catalog version; the engine's estimate once
    per row and catalog version. `backend`, where the question asks for one: its rows only."""
    by_gpu, by_kind = cache.get_or_compute("decode-rows-by-gpu", "", _decode_rows_by_gpu)
    same = [r for r in by_gpu.get(gpu.pk, ()) if not backend or r.backend == backend]

    def closeness(r: DecodeRow) -> tuple:
        # past llama-bench's tg128 is further from an empty cache
        return (
            r.gpu_count != gpu_count,
            r.backend != gpu.backend,
            r.llm_slug != llm,
            r.moe != moe,
            _decode_tokens(r.test) > 128,
            round(abs(math.log(r.params_b * r.bits_per_weight / (params_b * bits_per_weight))), 2)
            if r.params_b and params_b and bits_per_weight
            else 0.0,
            abs(r.bits_per_weight - bits_per_weight),
            r.slug,
        )

    if same:
        found = min(same, key=closeness)
    else:
        near = [
            r
            for r in by_kind.get((gpu.vendor, gpu.unified_memory), ())
            if (not backend or r.backend == backend) and r.bandwidth_gb_s and gpu.bandwidth_gb_s
        ]
        if not near:
            return None

        def kin(r: DecodeRow) -> tuple:
            # a card of like bandwidth (within NEAR_BANDWIDTH) running this model, or one of its kind, before
            # the card of the closest bandwidth running another kind: Qwen3-30B-A3B on an RTX 4060 Ti quoted
            # Ministral 3B on a GTX 1080 when gpt-oss-20b on an RTX 2000 Ada was there
            ratio = abs(math.log(r.bandwidth_gb_s / gpu.bandwidth_gb_s))
            like = ratio <= math.log(NEAR_BANDWIDTH)
            return (
                not like,
                like and r.llm_slug != llm,
                like and r.moe != moe,
                round(ratio, 3),
                *closeness(r),
            )

        found = min(near, key=kin)
    estimate = cache.get_or_compute("decode-row-estimate", found.slug, lambda: _estimate(found), keep=True)
    return Neighbour(found, estimate, same_gpu=bool(same), same_model=bool(llm) and found.llm_slug == llm)
