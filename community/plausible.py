"""Is a visitor's speed possible on the hardware they name, and how far is it from the engine's estimate?

`ceiling(row)` is the fastest the row's test could physically run, from the engine's own numbers: a
decoded token reads every active weight once (`estimator.memory`'s bytes at the format: the layers, a
mixture of experts' chosen share of its routed experts, the output head; llama.cpp keeps the embedding
table in host memory and reads one row of it), so decode is at most the cards' memory bandwidth ÷ those
bytes; a prompt token multiplies every active weight once (2 FLOPs each), so prefill is at most the cards'
peak matrix rate ÷ those FLOPs. Both leave out the KV cache and attention, which only slow a token down,
and add up every card's bandwidth and compute (a row split reads from all at once), then allow `MARGIN`
more: a real fast run passes, a mistyped format or GPU, or an invented number, does not.

`estimate(row)` is the engine's estimate for the row's own test (catalog/measurements.py `row_estimate`, as
a GPU page shows beside its published rows); a row `FAR` or more from it either way is stored but flagged
for the reviewer. Each row costs one plan at most, from the engine's bounded caches: no query.
"""

from dataclasses import dataclass

from pydantic import ValidationError

from catalog.measurements import row_estimate
from catalog.models import Measurement
from estimator import memory

from .measured import DECODE_MAX_DEPTH, PREFILL_MIN_TOKENS
from .models import VisitorMeasurement

MARGIN = 1.5  # a generous allowance over the physical bound: reads overlap, specs round, clocks boost
FAR = 3.0  # measured ÷ estimated (or its inverse) from which a reviewer should look twice
# A card's peak matrix rate when the catalog has no INT8 figure: llama.cpp's quantized prompt products
# run on INT8 tensor cores (MMQ), which GeForce cards from Turing on run at 4× their FP16 rate with FP32
# accumulation (NVIDIA's Ampere and Ada whitepapers; the 3090's catalog FP16, 71 TFLOPS, is its FP16-
# accumulate rate, already 2× that), so 4× the best rate the catalog knows over-states every card.
INT8_OVER_FP16 = 4
SPLIT_ROW = "sm=row"  # llama-bench's split-mode column: the engine estimates a layer split only


@dataclass(frozen=True)
class Ceiling:
    tok_s: float  # the fastest the test could run, margin included
    per_token: float  # bytes read (decode) or FLOPs (prefill) per token
    rate: float  # the cards' bandwidth (bytes/s) or matrix rate (FLOP/s), together


def ceiling(row: VisitorMeasurement) -> Ceiling | None:
    """The fastest `row`'s test could run on its GPUs, or None where the catalog lacks a figure for it."""
    try:
        model, quant = row.llm.as_spec(), row.quantization.as_spec()
    except (ValidationError, ValueError, KeyError):
        return None
    if row.metric == Measurement.Metric.DECODE:
        rate = (row.gpu.bandwidth_gb_s or 0) * 1e9 * row.gpu_count
        per_token = bytes_per_token(model, quant)
    else:
        classes = memory.tensor_classes(model)
        rates = [row.gpu.fp16_tflops, row.gpu.bf16_tflops, row.gpu.fp32_tflops, row.gpu.fp8_tflops]
        best = max((r or 0) for r in rates) * INT8_OVER_FP16
        rate = max(best, row.gpu.int8_tops or 0) * 1e12 * row.gpu_count
        active = sum(classes.layer_active_params(i) for i in range(classes.layers)) + classes.output
        per_token = 2 * active
    if not rate or not per_token:
        return None
    return Ceiling(tok_s=rate / per_token * MARGIN, per_token=per_token, rate=rate)


def bytes_per_token(model, quant) -> float:
    """The weight bytes one decoded token reads at `quant` (`estimator.memory`'s widths): every layer's
    attention, dense MLP and shared experts, the chosen share of its routed experts, and the output head."""
    classes = memory.tensor_classes(model)
    chosen = classes.experts_per_tok / classes.experts if classes.experts else 0
    layers = sum(
        lb.attention + lb.dense_mlp + lb.shared_experts + lb.routed_experts * chosen
        for lb in memory.layer_bytes_table(model, quant)
    )
    return layers + memory.output_bytes(model, quant)


def comparable(row: VisitorMeasurement) -> bool:
    """A test the calculator would show beside its estimate (community/measured.py's choice): decode near an
    empty context, prefill of a real prompt. A 20-token prompt is read too fast to time."""
    if row.metric == Measurement.Metric.DECODE:
        return row.depth <= DECODE_MAX_DEPTH
    return not row.depth and row.tokens >= PREFILL_MIN_TOKENS


def estimate(row: VisitorMeasurement) -> float | None:
    """The engine's estimate for `row`'s own test on its GPUs (a layer split over several), or None where
    it asks another question (a row split, a short prompt, a format it refuses)."""
    if not comparable(row) or SPLIT_ROW in row.flags.split():
        return None
    fa = next((f.partition("=")[2] for f in row.flags.split() if f.startswith("fa=")), "")
    published = Measurement(
        gpu=row.gpu,
        gpu_count=row.gpu_count,
        llm=row.llm,
        quantization=row.quantization,
        runtime="llama.cpp",  # Ollama runs llama.cpp underneath
        backend=row.backend,
        metric=row.metric,
        test=row.test,
        split_mode=Measurement.SplitMode.LAYER if row.gpu_count > 1 else Measurement.SplitMode.NONE,
        flags=f"-fa {fa}" if fa else "",
    )
    return row_estimate(published)


def far_from(estimated: float | None, tok_s: float) -> bool:
    """True when the measured speed is `FAR` or more times the estimate, either way."""
    if not estimated:
        return False
    ratio = tok_s / estimated
    return ratio >= FAR or ratio <= 1 / FAR
