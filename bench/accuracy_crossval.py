"""bench/accuracy.py, step 3 of 5: shipped, in-sample and leave-one-device-out estimates of every row, and
the statistics of their errors.
"""

import hashlib
import statistics
import sys
from dataclasses import dataclass

from accuracy_fit import fit_all, restore, snapshot
from accuracy_predict import Prepared
from speed_rows import Measurement


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


def summary(errors: list[float]) -> tuple[float, float] | None:
    if not errors:
        return None
    a = [abs(e) for e in errors]
    return statistics.median(a), pct(a, 0.9)


@dataclass
class Result:
    row: Measurement
    shipped: float | None
    in_sample: float | None
    held_out: float | None
    baseline: float | None


def fingerprint(rows: list[Measurement]) -> str:
    """A hash of the rows the figures were computed on (source, label, measured value): the test tells a
    data change, which needs a rerun, from an engine change."""
    text = "\n".join(sorted(f"{r.source}|{r.label}|{r.value:.6g}" for r in rows))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def evaluate(prepared: list[Prepared], *, progress: bool = False) -> tuple[list[Result], dict[str, float]]:
    shipped_constants = snapshot()
    shipped = [p.predict() for p in prepared]
    fit_all(prepared)
    fitted = snapshot()
    in_sample = [p.predict() for p in prepared]
    held: list[float | None] = [None] * len(prepared)
    devices = sorted({p.row.device_key for p in prepared})
    baseline_k = _prefill_baseline_k(prepared)
    held_baseline = [
        (p.baseline * baseline_k if p.row.kind == "prefill" and p.baseline else p.baseline) for p in prepared
    ]
    for n, device in enumerate(devices, 1):
        if progress:
            print(f"\r  held out {n}/{len(devices)}: {device:32}", end="", file=sys.stderr, flush=True)
        train = [p for p in prepared if p.row.device_key != device]
        fit_all(train, start=fitted)
        k = _prefill_baseline_k(train)
        for i, p in enumerate(prepared):
            if p.row.device_key == device:
                held[i] = p.predict()
                if p.row.kind == "prefill" and p.baseline:
                    held_baseline[i] = p.baseline * k
    if progress:
        print(file=sys.stderr)
    restore(shipped_constants)
    results = [
        Result(p.row, s, i, h, b)
        for p, s, i, h, b in zip(prepared, shipped, in_sample, held, held_baseline, strict=True)
    ]
    return results, fitted


def _prefill_baseline_k(prepared: list[Prepared]) -> float:
    """The one constant of the prefill formula: the median of measured ÷ (FLOPS ÷ 2 × active parameters)."""
    ratios = [p.row.value / p.baseline for p in prepared if p.row.kind == "prefill" and p.baseline]
    return statistics.median(ratios) if ratios else 1.0


def errors(results: list[Result], attr: str) -> list[float]:
    return [getattr(r, attr) / r.row.value - 1 for r in results if getattr(r, attr)]
