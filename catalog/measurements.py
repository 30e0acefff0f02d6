"""Published measurements for a question, to show beside the engine's estimate.

`measured_for(gpus=..., llm=..., quant=...)` takes the question as the page and the API have it (slugs;
a GPU repeated once per card) and returns what the catalog holds for exactly that hardware, model and
format, in one query. Mixed GPUs have no measurements: every source measured identical cards.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from .models import Measurement


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
