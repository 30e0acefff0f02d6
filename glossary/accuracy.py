"""How accurate the speeds are: the held-out errors bench/accuracy.py writes (bench/data/accuracy_figures.json), as
the /accuracy/ page shows them. Each device's rows are predicted by the engine fitted without that device, so the
figures are the error a visitor should expect on hardware the calibration never saw."""

import json
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings

FIGURES = settings.BASE_DIR / "bench" / "data" / "accuracy_figures.json"
# A class whose held-out median is over this is named on the page as a weak spot (issue 14's per-class target)
WEAK_MEDIAN = 0.12
# The headline classes, in the page's order, and how the page names them
HEADLINES = {
    "decode, single GPU, all": "Decode on one GPU",
    "decode at a KV depth ≥ 4096 (single GPU)": "Decode with 4,096+ tokens already in the context",
    "multi-GPU layer split, decode": "Decode over several GPUs (layer split)",
    "prefill, all": "Prefill (reading the prompt)",
    "vLLM single stream (1 / median TPOT)": "vLLM, one user (tensor parallel)",
    "vLLM tensor parallel (throughput under load)": "vLLM, all users under load",
}
COVERAGE_NAMES = {"decode": "decode", "multi_gpu": "multi-GPU", "prefill": "prefill", "vllm_tp": "vLLM"}


@dataclass(frozen=True)
class Row:
    name: str
    rows: int
    devices: int
    median: str  # held out, "6.2%"
    p90: str
    formula_median: str  # the 0.7 × bandwidth ÷ bytes formula on the same rows
    formula_p90: str
    weak: bool


@dataclass(frozen=True)
class Figures:
    rows: str  # "1,366"
    devices: int
    headlines: tuple[Row, ...]
    classes: tuple[Row, ...]  # single-GPU decode by memory · backend · dense/MoE
    weak: tuple[Row, ...]
    coverage: tuple[tuple[str, str], ...]  # ("decode", "87%")


def percent(value: float, above: float | None = None) -> str:
    """A share as a percentage to one decimal; to two where one would hide that it is over `above` (12.04%, not a
    weak spot's "12.0%" beside a limit of 12%)."""
    if above is not None and value > above and round(100 * value, 1) <= 100 * above:
        return f"{100 * value:.2f}%"
    return f"{100 * value:.1f}%"


def _row(entry: dict, name: str) -> Row:
    median, p90 = entry["held_out"]
    formula = entry["baseline"]
    return Row(
        name=name,
        rows=entry["rows"],
        devices=entry["devices"],
        median=percent(median, above=WEAK_MEDIAN),
        p90=percent(p90),
        formula_median=percent(formula[0]),
        formula_p90=percent(formula[1]),
        weak=median > WEAK_MEDIAN,
    )


@lru_cache(maxsize=1)
def figures() -> Figures:
    data = json.loads(FIGURES.read_text(encoding="utf-8"))
    by_name = {entry["class"]: entry for entry in data["classes"]}
    headlines = tuple(_row(by_name[name], words) for name, words in HEADLINES.items() if name in by_name)
    classes = tuple(_row(entry, entry["class"]) for entry in data["classes"] if " · " in entry["class"])
    return Figures(
        rows=f"{data['rows']:,}",
        devices=data["devices"],
        headlines=headlines,
        classes=classes,
        weak=tuple(row for row in classes if row.weak),
        coverage=tuple(
            (COVERAGE_NAMES[kind], f"{100 * share:.0f}%") for kind, share in data["range_coverage"].items()
        ),
    )
