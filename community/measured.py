"""Visitors' approved measurements beside the calculator's estimate.

`context(question)` gives the result template `community_measured` for a calculator question: the approved runs of
exactly its model, format and GPUs (identical cards, as catalog/measurements.py), summarised per metric
as a count, a median and a range (templates/community/_measured.html shows it).

Every approved row is summarised in one query into the cache, and the summary is kept until an approval
changes (community/models.py forgets it), so a page asks the database nothing here after the first.
"""

import statistics
from dataclasses import dataclass

from django.core.cache import cache

from catalog.models import Measurement

from .models import VisitorMeasurement

SUMMARY_KEY = "community:approved-summary"
DECODE, PREFILL = Measurement.Metric.DECODE.value, Measurement.Metric.PREFILL.value
# Which runs stand beside the estimate, which is for a short prompt and an empty context: decode within
# 1024 tokens of an empty context (llama-bench's tg128, a short chat's eval), and prefill of at least 256
# prompt tokens from an empty context (pp512; a 20-token prompt is read too fast to time).
DECODE_MAX_DEPTH = 1024
PREFILL_MIN_TOKENS = 256
LLAMA_CPP_RUNTIMES = ("llama-cpp", "ollama")  # the form's runtimes that run llama.cpp underneath


@dataclass(frozen=True)
class Figure:
    count: int
    median: float
    low: float
    high: float


@dataclass(frozen=True)
class VisitorMeasured:
    decode: Figure | None = None
    prefill: Figure | None = None

    def __bool__(self) -> bool:
        return bool(self.decode or self.prefill)

    @property
    def count(self) -> int:
        return (self.decode.count if self.decode else 0) + (self.prefill.count if self.prefill else 0)


def summary() -> dict[tuple[str, int, str, str], dict[str, list[float]]]:
    """(gpu, count, model, format) → metric → approved tok/s, from the cache or one query."""
    found = cache.get(SUMMARY_KEY)
    if found is None:
        found = {}
        rows = VisitorMeasurement.objects.approved().values_list(
            "gpu__slug", "gpu_count", "llm__slug", "quantization__slug", "metric", "tok_s", "tokens", "depth"
        )
        for gpu, count, llm, quant, metric, tok_s, tokens, depth in rows:
            if (metric == DECODE and depth <= DECODE_MAX_DEPTH) or (
                metric == PREFILL and not depth and tokens >= PREFILL_MIN_TOKENS
            ):
                found.setdefault((gpu, count, llm, quant), {}).setdefault(metric, []).append(tok_s)
        cache.set(SUMMARY_KEY, found, None)
    return found


def forget() -> None:
    cache.delete(SUMMARY_KEY)


def for_question(*, gpus: list[str], llm: str, quant: str) -> VisitorMeasured:
    """Approved runs of model `llm` at format `quant` on the GPUs `gpus` (one slug per card)."""
    if not gpus or len(set(gpus)) != 1:
        return VisitorMeasured()
    found = summary().get((gpus[0], len(gpus), llm, quant), {})
    return VisitorMeasured(decode=_figure(found.get(DECODE)), prefill=_figure(found.get(PREFILL)))


def _figure(values: list[float] | None) -> Figure | None:
    if not values:
        return None
    return Figure(len(values), statistics.median(values), min(values), max(values))


def context(question) -> dict:
    """`community_measured` for a calculator question (none for your own model or vLLM/MLX)."""
    if question.model.pk is None or question.runtime not in LLAMA_CPP_RUNTIMES:
        return {"community_measured": VisitorMeasured()}
    gpus = [gpu.slug for gpu in question.devices]
    return {"community_measured": for_question(gpus=gpus, llm=question.model.slug, quant=question.quant.slug)}
