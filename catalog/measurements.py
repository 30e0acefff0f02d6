"""Published measurements for a question, to show beside the engine's estimate.

`measured_for(gpus=..., llm=..., quant=...)` takes the question as the page and the API have it (slugs;
a GPU repeated once per card) and returns what the catalog holds for exactly that hardware, model and
format, in one query. Mixed GPUs have no measurements: every source measured identical cards.
Where nothing matches, `nearest_measured` finds the closest published row and the engine's estimate
for that row's own question, so a visitor sees how far the engine was off on hardware like theirs.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import ValidationError

from estimator import Workload

from . import cache, fitting
from .models import Gpu, Measurement


@dataclass(frozen=True)
class Measured:
    """The measurements matching one question, by metric; each is a `Measurement` with its gpu, llm and
    quantization already loaded."""

    decode: tuple[Measurement, ...] = ()
    prefill: tuple[Measurement, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.decode or self.prefill)


def measured_for(
    *, gpus: Sequence[str], llm: str, quant: str, runtime: str | None = None, backend: str | None = None
) -> Measured:
    """Measurements of model `llm` at format `quant` on the GPUs `gpus` (one slug per card, so
    `["geforce-rtx-3090", "geforce-rtx-3090"]` is two 3090s). `runtime` ("llama.cpp") and `backend`
    ("cuda", "vulkan", ...) narrow the match when given. One query; empty when nothing matches.

    Within a metric, the order is backend, then test, then slug (stable across loads).
    """
    if not gpus or len(set(gpus)) != 1:
        return Measured()
    qs = Measurement.objects.for_question(gpu=gpus[0], gpu_count=len(gpus), llm=llm, quantization=quant)
    if runtime:
        qs = qs.filter(runtime=runtime)
    if backend:
        qs = qs.filter(backend=backend)
    rows = list(qs.select_related("gpu", "llm", "quantization").order_by("metric", "backend", "test", "slug"))
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
    vendor: str
    unified_memory: bool
    bandwidth_gb_s: float
    backend: str  # as measured
    backend_name: str
    llm: str  # the model's name
    quant: str  # the format's name
    bits_per_weight: float
    test: str
    value: float
    source_url: str


@dataclass(frozen=True)
class Neighbour:
    """A published single-card decode measurement close to the question (the same card when there is
    one, else the measured card of the same vendor and kind of memory with the nearest bandwidth), and
    what the engine estimates for that measurement's own question: how far off it was, on hardware the
    visitor can compare with theirs."""

    row: DecodeRow
    estimate_tok_s: float | None
    same_gpu: bool

    @property
    def error(self) -> float | None:
        """Estimate ÷ measured − 1."""
        if not self.estimate_tok_s or not self.row.value:
            return None
        return self.estimate_tok_s / self.row.value - 1


def _decode_rows() -> list[DecodeRow]:
    """Single-card llama.cpp decode rows at an empty context."""
    rows = Measurement.objects.filter(
        metric=Measurement.Metric.DECODE, gpu_count=1, context_tokens=0, runtime="llama.cpp"
    ).select_related("gpu", "llm", "quantization")
    return [
        DecodeRow(
            slug=m.slug,
            gpu_id=m.gpu_id,
            gpu=m.gpu.name,
            vendor=m.gpu.vendor,
            unified_memory=m.gpu.unified_memory,
            bandwidth_gb_s=m.gpu.bandwidth_gb_s or 0.0,
            backend=m.backend,
            backend_name=m.get_backend_display(),
            llm=m.llm.name,
            quant=m.quantization.name,
            bits_per_weight=m.quantization.bits_per_weight,
            test=m.test,
            value=m.value,
            source_url=m.source_url,
        )
        for m in rows.order_by("slug")
    ]


def _estimate(slug: str) -> float | None:
    """The engine's single-stream decode for a measurement's own question (tg at an empty context, on
    the backend it was measured with: a Radeon's Vulkan row is estimated as Vulkan)."""
    m = Measurement.objects.select_related("gpu", "llm", "quantization").get(slug=slug)
    try:
        device = m.gpu.as_spec()
        if m.backend != device.backend:
            device = device.model_copy(update={"backend": m.backend})
        plan = fitting.recommended(
            model=m.llm.as_spec(),
            quant=m.quantization.as_spec(),
            devices=[device],
            workload=Workload(context_tokens=1024, prompt_tokens=1, runtime="llama.cpp"),
        )
    except (ValidationError, ValueError, KeyError):  # a row the engine cannot price: nothing to compare
        return None
    return plan.decode_tok_s if plan else None


def nearest_measured(*, gpu: Gpu, bits_per_weight: float) -> Neighbour | None:
    """The published decode measurement nearest this card and format: the same card when it has one
    (its own backend first, then the closest bits per weight), else a card of the same vendor and kind
    of memory (unified or not) with the nearest memory bandwidth. Rows read once per catalog version;
    the engine's estimate once per row and catalog version."""
    rows = cache.get_or_compute("decode-rows", "", _decode_rows)
    same = [r for r in rows if r.gpu_id == gpu.pk]

    def bits(r: DecodeRow) -> float:
        return abs(r.bits_per_weight - bits_per_weight)

    if same:
        found = min(same, key=lambda r: (r.backend != gpu.backend, bits(r), r.slug))
    else:
        near = [
            r
            for r in rows
            if r.vendor == gpu.vendor
            and r.unified_memory == gpu.unified_memory
            and r.bandwidth_gb_s
            and gpu.bandwidth_gb_s
        ]
        if not near:
            return None
        found = min(
            near,
            key=lambda r: (
                round(abs(math.log(r.bandwidth_gb_s / gpu.bandwidth_gb_s)), 3),
                r.backend != gpu.backend,
                bits(r),
                r.slug,
            ),
        )
    estimate = cache.get_or_compute(
        "decode-row-estimate", found.slug, lambda: _estimate(found.slug), keep=True
    )
    return Neighbour(found, estimate, same_gpu=bool(same))
