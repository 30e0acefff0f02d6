"""How close the engine's speeds come to published measurements, per class, in-sample and leave-one-device-out.

    .venv/bin/python bench/accuracy.py            # class table: shipped, in-sample, leave-one-device-out, 0.7 × BW
    .venv/bin/python bench/accuracy.py --rows     # and every row: measured, estimate, held-out estimate
    .venv/bin/python bench/accuracy.py --fit      # print the constants fitted on every row (paste into the engine modules)
    .venv/bin/python bench/accuracy.py --write    # also write bench/data/accuracy_figures.json (the test reads it)

Data: bench/speed_rows.py (the calibration tables in ../shared/reference/calibration/ and
bench/data/public_measurements.json, resolved to engine inputs). Imports the engine only, never Django.

"shipped" is the engine as it is; "in-sample" refits the engine's constants (speed.py, kv_reads.py, fixed_costs.py, prefill.py, timing.py) on every
row; "held out" refits them without one device's rows (all of them: single, multi-GPU, prefill) and predicts
that device, for each device in turn. The constant formula is what most calculators use: tok/s = 0.7 ×
memory bandwidth ÷ the bytes a token reads (weights; an MoE's active share), one GPU's bandwidth for a layer
split; for prefill, one constant × FP16 FLOPS ÷ (2 × active parameters), the constant fitted like ours.
Errors are estimate ÷ measured − 1; tables give the median and 90th percentile of their absolute value.

The steps, in the order the data flows: bench/speed_rows.py (rows) → accuracy_predict.py (engine stages per row)
→ accuracy_fit.py (the constants and their fit) → accuracy_crossval.py (shipped, in-sample, held out) →
accuracy_ranges.py (the ranges shown) → accuracy_report.py (tables); accuracy_sizes.py checks GGUF sizes.
"""

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for path in (str(ROOT), str(ROOT / "bench")):
    if path not in sys.path:
        sys.path.insert(0, path)

# The steps in the order the data flows; their names are re-exported for tests and bench/memory_accuracy.py.
import speed_rows  # noqa: E402
from accuracy_crossval import Result, evaluate, fingerprint, pct, summary  # noqa: E402, F401
from accuracy_fit import PARAMS, Param, fit, fit_all, reset  # noqa: E402, F401
from accuracy_predict import SERVING, Prepared, engine_prediction, one_token_prompt, prepare  # noqa: E402, F401
from accuracy_ranges import RANGE_QUANTILES, coverage, error_ranges, speed_class  # noqa: E402
from accuracy_report import class_of, class_table, print_constants, print_rows, print_table  # noqa: E402, F401
from accuracy_sizes import print_sizes, size_rows  # noqa: E402, F401

FIGURES = ROOT / "bench" / "data" / "accuracy_figures.json"

# Bandwidth and dense FP16 TFLOPS of the CUDA and Vulkan scoreboard GPUs, as bench/speed_rows.py resolves them
# (tests/catalog/test_gpu_data.py checks the catalog's FP16 rates against it).
GPUS: dict[str, tuple[float, float]] = {}
for _bench_name, _device_name in {
    "NVIDIA GeForce RTX 3060": "NVIDIA GeForce RTX 3060 (12 GB)",
    "NVIDIA GeForce RTX 3090": "NVIDIA GeForce RTX 3090",
    "NVIDIA GeForce RTX 4090": "NVIDIA GeForce RTX 4090",
    "NVIDIA GeForce RTX 5090": "NVIDIA GeForce RTX 5090",
    "NVIDIA A100": "NVIDIA A100 80GB",
    "NVIDIA H100": "NVIDIA H100 80GB",
    "NVIDIA DGX Spark (GB10)": "NVIDIA DGX Spark (GB10)",
    "AMD Radeon RX 7900 XTX": "AMD Radeon RX 7900 XTX",
    "Intel Arc A770": "Intel Arc A770",
}.items():
    _found = speed_rows.device_for(_device_name, "cuda")
    assert _found is not None and _found[1].fp16_tflops is not None
    GPUS[_bench_name] = (_found[1].bandwidth_gb_s, _found[1].fp16_tflops)

# ---- Main ---------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", action="store_true", help="print every row")
    parser.add_argument("--fit", action="store_true", help="print the constants fitted on every row")
    parser.add_argument("--write", action="store_true", help=f"write {FIGURES.relative_to(ROOT)}")
    args = parser.parse_args()
    loaded = speed_rows.load()
    prepared = [prepare(r) for r in loaded.rows]
    # the cached stages time as the engine does (a row of an older build as today's would differ: `_as_built`)
    today = [p for p in prepared if not p.dated]
    for p in today[:: max(1, len(today) // 40)]:
        est, full = p.predict(), engine_prediction(p.row)
        if full is not None:
            assert est is not None and abs(est / full - 1) < 1e-9, p.row.label
    prepared = [p for p in prepared if p.predict() is not None]
    print(f"{len(prepared)} rows, {len({p.row.device_key for p in prepared})} devices; skipped:")
    for reason, n in loaded.skipped.most_common():
        print(f"  {n:3}  {reason}")
    results, fitted = evaluate(prepared, progress=True)
    if args.rows:
        print_rows(results)
    table = class_table(results)
    print()
    print_table(table)
    classes = [speed_class(p.row, p.stages) for p in prepared]
    ranges = error_ranges(results, classes)
    covered = coverage(results, classes)
    q = "–".join(f"p{100 * x:g}" for x in RANGE_QUANTILES)
    print(f"\nRanges ({q} of held-out errors) contain the measured value, nested held out: {covered}")
    if args.fit:
        print_constants(fitted, ranges)
    print_sizes()
    if args.write:
        decode = [r for r in results if r.row.kind == "decode"]
        figures = {
            "rows": len(results),
            "devices": len({r.row.device_key for r in results}),
            "decode_rows": len(decode),
            "decode_devices": len({r.row.device_key for r in decode}),
            "data_fingerprint": fingerprint([p.row for p in prepared]),
            "classes": table,
            "range_coverage": covered,
            "constants": {k: float(f"{v:.4g}") for k, v in fitted.items()},
            "error_ranges": ranges,
        }
        FIGURES.write_text(json.dumps(figures, indent=1, ensure_ascii=False) + "\n")
        print(f"\nwrote {FIGURES.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
