"""bench/accuracy.py, step 5 of 5: the class table (as bench/README.md shows it), every row, and the fitted
constants as the engine modules spell them.
"""

from collections import defaultdict

from accuracy_crossval import Result, errors, summary
from accuracy_fit import PARAMS
from speed_rows import Measurement

from estimator import speed

# ---- Classes and statistics -------------------------------------------------------------------------


def memory_class(memory_type: str) -> str:
    t = memory_type.upper()
    if t.startswith("HBM"):
        return "HBM"
    if t.startswith("GDDR"):
        return "GDDR"
    return "unified"


BACKEND_NAMES = {
    "cuda": "CUDA",
    "cuda_pascal": "CUDA (Pascal)",
    "rocm": "ROCm",
    "vulkan": "Vulkan",
    "vulkan_intel": "Vulkan (Intel)",
    "sycl": "SYCL",
    "metal": "Metal",
    "mlx": "MLX",
    "cpu": "CPU",
}


def class_of(row: Measurement) -> str:
    if row.kind == "prefill":
        return "prefill, all"
    if row.kind == "vllm_tp":
        if row.single_stream:
            return "vLLM single stream (1 / median TPOT)"
        return "vLLM tensor parallel (throughput under load)"
    if row.count > 1:
        return "multi-GPU layer split, decode"
    backend = BACKEND_NAMES[speed.kernels(row.device, row.runtime)]
    return f"{memory_class(row.memory_type)} · {backend} · {'MoE' if row.is_moe else 'dense'}"


def class_table(results: list[Result]) -> list[dict]:
    by_class: dict[str, list[Result]] = defaultdict(list)
    for r in results:
        by_class[class_of(r.row)].append(r)
    decode_single = [r for r in results if r.row.kind == "decode" and r.row.count == 1]
    groups = {
        "decode, single GPU, all": decode_single,
        **{k: by_class[k] for k in sorted(by_class) if "·" in k},
        "decode at a KV depth ≥ 4096 (single GPU)": [r for r in decode_single if r.row.decode_depth >= 4096],
        "multi-GPU layer split, decode": by_class["multi-GPU layer split, decode"],
        "prefill, all": by_class["prefill, all"],
        "prefill, single GPU": [r for r in by_class["prefill, all"] if r.row.count == 1],
        "vLLM tensor parallel (throughput under load)": by_class[
            "vLLM tensor parallel (throughput under load)"
        ],
        "vLLM single stream (1 / median TPOT)": by_class["vLLM single stream (1 / median TPOT)"],
    }
    out = []
    for name, rs in groups.items():
        if not rs:
            continue
        line = {"class": name, "rows": len(rs), "devices": len({r.row.device_key for r in rs})}
        for attr in ("shipped", "in_sample", "held_out", "baseline"):
            s = summary(errors(rs, attr))
            line[attr] = [round(s[0], 4), round(s[1], 4)] if s else None
        out.append(line)
    return out


def _fmt(cell: list[float] | None) -> str:
    return f"{cell[0]:.1%} / {cell[1]:.1%}" if cell else "–"


def print_table(table: list[dict]) -> None:
    """Markdown, for bench/README.md: median / p90 of |error| in each column."""
    print("| class | rows | devices | shipped | in-sample | held out | 0.7 × BW ÷ bytes |")
    print("|---|---|---|---|---|---|---|")
    for line in table:
        cells = " | ".join(_fmt(line[a]) for a in ("shipped", "in_sample", "held_out", "baseline"))
        print(f"| {line['class']} | {line['rows']} | {line['devices']} | {cells} |")


def print_rows(results: list[Result]) -> None:
    print(f"{'row':92} {'measured':>9} {'shipped':>8} {'fitted':>8} {'held out':>8} {'err':>7}")
    for r in sorted(results, key=lambda r: (class_of(r.row), r.row.label)):
        err = r.held_out / r.row.value - 1 if r.held_out else float("nan")
        cells = " ".join(f"{v:8.1f}" if v else f"{'–':>8}" for v in (r.shipped, r.in_sample, r.held_out))
        print(f"{r.row.label[:92]:92} {r.row.value:9.1f} {cells} {err:+7.1%}")


def print_constants(fitted: dict[str, float], ranges: dict) -> None:
    """The fitted constants as the engine modules spell them, and the ranges as estimator/ranges.py does, to
    paste there."""
    tables: dict[str, dict] = defaultdict(dict)
    scalars = {}
    for q in PARAMS:
        value = fitted[q.name]
        if q.table == "SERVING":
            print(f"  (bench) SERVING[{q.key!r}] = {value:.4g}")
        elif q.key is None:
            scalars[q.table] = value
        elif not (q.table.endswith("FORMAT_EFFICIENCY") and abs(value - 1) < 0.005):
            tables[q.table][q.key] = value
    print("\nFitted on every row (estimator/: speed.py, kv_reads.py, fixed_costs.py, prefill.py, timing.py):")
    for name, value in scalars.items():
        print(f"{name} = {value:.3g}")
    for name, entries in tables.items():
        print(f"{name} = {{")
        for key, value in entries.items():
            print(f"    {key!r}: {value:.3g},")
        print("}")
    print("\nHeld-out ranges (estimator/ranges.py):")
    print("ERROR_RANGES = {")
    for key, (low, high) in sorted(ranges.items()):
        print(f"    {key!r}: ({low}, {high}),")
    print("}")
