"""bench/accuracy.py, step 4 of 5: the speed ranges the engine shows (ranges.ERROR_RANGES), from the held-out
errors, and how often they hold the measured value on devices they were computed without.
"""

from collections import defaultdict

from accuracy_crossval import Result, pct
from speed_rows import Measurement

from estimator import ranges, speed, timing

# ---- Ranges: where the measured value lies, from the held-out errors ----------------------------------

RANGE_QUANTILES = (0.05, 0.95)
MIN_RANGE_ROWS, MIN_RANGE_DEVICES = 10, 3


def speed_class(row: Measurement, stages: list[speed.Stage]) -> str:
    """The engine's class for this row's plan (timing.single_speed_class and the strategies' own)."""
    if row.kind == "prefill":
        return "prefill"
    if row.kind == "vllm_tp":
        return "vllm_tp"
    if row.count > 1:
        return "multi_gpu"
    return timing.single_speed_class(stages)


def error_ranges(results: list[Result], classes: list[str], quantiles=RANGE_QUANTILES) -> dict:
    """ranges.ERROR_RANGES from held-out errors: per one-device class with enough rows and devices, per
    kernels ("*/cuda/*") as its fallback, "decode" for the rest; multi_gpu, vllm_tp and prefill whole."""
    errors: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for r, c in zip(results, classes, strict=True):
        if r.held_out is None:
            continue
        e = r.held_out / r.row.value - 1
        errors[c].append((e, r.row.device_key))
        if c.count("/") == 2:
            errors["*/" + c.split("/")[1] + "/*"].append((e, r.row.device_key))
            errors["decode"].append((e, r.row.device_key))
    out = {}
    for c, es in errors.items():
        enough = len(es) >= MIN_RANGE_ROWS and len({d for _, d in es}) >= MIN_RANGE_DEVICES
        if enough or c.count("/") != 2:
            values = [e for e, _ in es]
            # a class whose held-out rows all miss one way still brackets its estimate (by 1% at least)
            low, high = min(pct(values, quantiles[0]), -0.01), max(pct(values, quantiles[1]), 0.01)
            out[c] = (round(low, 3), round(high, 3))
    return out


def coverage(results: list[Result], classes: list[str], quantiles=RANGE_QUANTILES) -> dict[str, float]:
    """Share of held-out rows whose measured value lies in the range the engine would show, the ranges
    themselves computed without that row's device (nested leave-one-device-out)."""
    hits: dict[str, list[bool]] = defaultdict(list)
    for device in sorted({r.row.device_key for r in results}):
        keep = [(r, c) for r, c in zip(results, classes, strict=True) if r.row.device_key != device]
        held_out = error_ranges([r for r, _ in keep], [c for _, c in keep], quantiles)
        saved = ranges.ERROR_RANGES
        ranges.ERROR_RANGES = held_out
        try:
            for r, c in zip(results, classes, strict=True):
                if r.row.device_key != device or r.held_out is None:
                    continue
                low, high = ranges.speed_range(r.held_out, c)
                kind = "decode" if c.count("/") == 2 else c
                hits[kind].append(low <= r.row.value <= high)
        finally:
            ranges.ERROR_RANGES = saved
    return {k: round(sum(v) / len(v), 3) for k, v in sorted(hits.items())}
