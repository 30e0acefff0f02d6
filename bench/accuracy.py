"""How close the engine's speeds come to published measurements, per class, in-sample and leave-one-device-out.

    .venv/bin/python bench/accuracy.py            # class table: shipped, in-sample, leave-one-device-out, 0.7 × BW
    .venv/bin/python bench/accuracy.py --rows     # and every row: measured, estimate, held-out estimate
    .venv/bin/python bench/accuracy.py --fit      # print the constants fitted on every row (paste into speed.py)
    .venv/bin/python bench/accuracy.py --write    # also write bench/data/accuracy_figures.json (the test reads it)

Data: bench/speed_rows.py (the calibration tables in ../shared/reference/calibration/ and
bench/data/public_measurements.json, resolved to engine inputs). Imports the engine only, never Django.

"shipped" is the engine as it is; "in-sample" refits the constants of calculator/engine/speed.py on every
row; "held out" refits them without one device's rows (all of them: single, multi-GPU, prefill) and predicts
that device, for each device in turn. The constant formula is what most calculators use: tok/s = 0.7 ×
memory bandwidth ÷ the bytes a token reads (weights; an MoE's active share), one GPU's bandwidth for a layer
split; for prefill, one constant × FP16 FLOPS ÷ (2 × active parameters), the constant fitted like ours.
Errors are estimate ÷ measured − 1; tables give the median and 90th percentile of their absolute value.
"""

import argparse
import json
import math
import statistics
import sys
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
for path in (str(ROOT), str(ROOT / "bench")):
    if path not in sys.path:
        sys.path.insert(0, path)

import speed_rows  # noqa: E402
from speed_rows import Measurement  # noqa: E402

from calculator.engine import ModelSpec, QuantSpec, Workload, plans, speed  # noqa: E402
from calculator.engine.memory import weights_bytes  # noqa: E402
from calculator.engine.units import GB, GIB  # noqa: E402

FIGURES = ROOT / "bench" / "data" / "accuracy_figures.json"
BASELINE_EFFICIENCY = 0.7

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


# ---- Prediction through the engine ------------------------------------------------------------------


@dataclass
class Prepared:
    """A row with its engine stages built once; `predict()` re-times them with speed.py's current constants."""

    row: Measurement
    predict: Callable[[], float | None]
    baseline: float | None


def _workload(row: Measurement) -> Workload:
    runtime = row.runtime
    if row.kind == "decode":
        depth = max(1, row.decode_depth)
        return Workload(context_tokens=depth + 1, prompt_tokens=depth, runtime=runtime)
    if row.kind == "prefill":
        return Workload(context_tokens=row.tokens + 1, prompt_tokens=row.tokens, runtime=runtime)
    batch = max(1, round(row.concurrency))
    return Workload(
        context_tokens=row.depth + 1,
        prompt_tokens=row.depth,
        runtime="vllm",
        batch=batch,
        kv_cache_type="f16",
    )


def _bytes_per_token(stages: list[speed.Stage], batch: int = 1) -> float:
    return sum(s.dense_bytes + s.routed_bytes * s.touched_share(batch) for s in stages)


def prepare(row: Measurement) -> Prepared:
    model, quant, w = row.model, row.quant, _workload(row)
    kw = {"model": model, "quant": quant, "workload": w}
    devices = [row.device] * row.count
    if row.kind == "vllm_tp":
        layout = plans.tensor_parallel_layout(devices=devices, **kw)
    elif row.count > 1:
        layout = plans.layer_split_layout(devices=devices, **kw)
    else:
        layout = plans.single_layout(devices=devices, **kw)
    _, stages = plans._run(layout, **kw)
    bw = row.device.bandwidth_gb_s * 1e9
    if row.kind == "vllm_tp":

        def predict() -> float:
            t = plans.tensor_parallel_timing(stages, model=model, workload=w, tp=layout.tp)
            return w.batch / t.decode_batch_s

        per_rank = max(s.dense_bytes + s.routed_bytes * s.touched_share(w.batch) for s in stages)
        return Prepared(row, predict, w.batch * BASELINE_EFFICIENCY * bw / per_rank)
    hops = [plans.link(w)] * (len(stages) - 1)
    if row.kind == "decode":

        def predict() -> float:
            return 1 / plans.sequential_timing(stages, w, hops, model.hidden_size).decode_s

        return Prepared(row, predict, BASELINE_EFFICIENCY * bw / _bytes_per_token(stages))

    def predict_prefill() -> float | None:
        t = plans.sequential_timing(stages, w, hops, model.hidden_size).prefill_s
        return row.tokens / t if t else None

    flops = row.device.fp16_tflops
    return Prepared(row, predict_prefill, flops * 1e12 / (2 * model.active_params) if flops else None)


def engine_prediction(row: Measurement) -> float | None:
    """The same number through the engine's public entry points, to check that `prepare` times it alike."""
    model, quant, w = row.model, row.quant, _workload(row)
    devices = [row.device] * row.count
    if row.kind == "vllm_tp":
        plan = plans.tensor_parallel(model=model, quant=quant, workload=w, devices=devices)
        return plan.decode_tok_s_aggregate
    builder = plans.layer_split if row.count > 1 else plans.single
    plan = builder(model=model, quant=quant, workload=w, devices=devices)
    return plan.decode_tok_s if row.kind == "decode" else plan.prefill_tok_s


# ---- What is fitted ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    """One constant of calculator/engine/speed.py: where it lives, its physical range, which rows fit it."""

    table: str  # attribute of `speed`
    key: str | None  # dict key, or None for a plain float
    low: float
    high: float
    group: str  # decode, prefill, vllm_tp: the rows it is fitted on

    @property
    def name(self) -> str:
        return f"{self.table}[{self.key}]" if self.key else self.table

    def get(self) -> float:
        value = getattr(speed, self.table)
        return value[self.key] if self.key else value

    def set(self, value: float) -> None:
        if self.key:
            getattr(speed, self.table)[self.key] = value
        else:
            setattr(speed, self.table, value)


BACKENDS = ("cuda", "rocm", "metal", "vulkan", "sycl")
PARAMS: list[Param] = [
    *(Param("DECODE_BANDWIDTH_EFFICIENCY", b, 0.2, 1.0, "decode") for b in BACKENDS),
    *(Param("DECODE_LAYER_SECONDS", b, 1e-7, 4e-4, "decode") for b in BACKENDS),
    *(Param("PREFILL_COMPUTE_EFFICIENCY", b, 0.02, 1.0, "prefill") for b in BACKENDS),
]
GROUPS = ("decode", "prefill", "vllm_tp")


def group_of(row: Measurement) -> str:
    return row.kind


def weights(rows: list[Prepared]) -> list[float]:
    """One author's table can hold dozens of rows of one device: each (device, source) pair weighs the
    square root of its row count, so no single table decides a constant."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for p in rows:
        counts[(p.row.device_key, p.row.source)] += 1
    return [1 / math.sqrt(counts[(p.row.device_key, p.row.source)]) for p in rows]


def _residuals(rows: list[Prepared], w: list[float]) -> np.ndarray:
    out = []
    for p, weight in zip(rows, w, strict=True):
        est = p.predict()
        out.append(weight * math.log(est / p.row.value) if est else 0.0)
    return np.array(out)


def fit(rows: list[Prepared], params: list[Param], *, iterations: int = 30) -> None:
    """Levenberg–Marquardt on log(estimate ÷ measured), in the logarithm of each constant, kept within its
    physical range; leaves the fitted values in speed.py's tables."""
    if not rows or not params:
        return
    w = weights(rows)
    theta = np.array([math.log(min(max(p.get(), p.low), p.high)) for p in params])
    lo = np.array([math.log(p.low) for p in params])
    hi = np.array([math.log(p.high) for p in params])

    def apply(t: np.ndarray) -> None:
        for p, v in zip(params, t, strict=True):
            p.set(math.exp(v))

    apply(theta)
    r = _residuals(rows, w)
    cost = float(r @ r)
    lam = 1e-2
    for _ in range(iterations):
        jac = np.empty((len(r), len(params)))
        for j in range(len(params)):
            t = theta.copy()
            t[j] += 1e-4
            apply(t)
            jac[:, j] = (_residuals(rows, w) - r) / 1e-4
        apply(theta)
        jtj, jtr = jac.T @ jac, jac.T @ r
        improved = False
        while lam < 1e8:
            step = np.linalg.solve(jtj + lam * (np.diag(np.diag(jtj)) + 1e-9 * np.eye(len(params))), -jtr)
            trial = np.clip(theta + step, lo, hi)
            apply(trial)
            r_trial = _residuals(rows, w)
            c_trial = float(r_trial @ r_trial)
            if c_trial < cost:
                theta, r, improved = trial, r_trial, cost - c_trial > 1e-9 * max(cost, 1e-12)
                cost = c_trial
                lam = max(lam / 3, 1e-7)
                break
            lam *= 4
        apply(theta)
        if not improved:
            break


def fit_all(prepared: list[Prepared]) -> None:
    for group in GROUPS:
        fit([p for p in prepared if group_of(p.row) == group], [q for q in PARAMS if q.group == group])


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
    "rocm": "ROCm",
    "vulkan": "Vulkan",
    "sycl": "SYCL",
    "metal": "Metal",
    "cpu": "CPU",
}


def class_of(row: Measurement) -> str:
    if row.kind == "prefill":
        return "prefill, all"
    if row.kind == "vllm_tp":
        return "vLLM tensor parallel (throughput under load)"
    if row.count > 1:
        return "multi-GPU layer split, decode"
    backend = "MLX" if row.runtime == "mlx" else BACKEND_NAMES[row.device.backend]
    return f"{memory_class(row.memory_type)} · {backend} · {'MoE' if row.is_moe else 'dense'}"


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


def snapshot() -> dict[str, float]:
    return {p.name: p.get() for p in PARAMS}


def restore(values: dict[str, float]) -> None:
    for p in PARAMS:
        p.set(values[p.name])


def evaluate(prepared: list[Prepared], *, progress: bool = False) -> tuple[list[Result], dict[str, float]]:
    shipped_constants = snapshot()
    shipped = [p.predict() for p in prepared]
    fit_all(prepared)
    fitted = snapshot()
    in_sample = [p.predict() for p in prepared]
    held: list[float | None] = [None] * len(prepared)
    devices = sorted({p.row.device_key for p in prepared})
    baseline_k = _prefill_baseline_k(prepared)
    baselines = [
        (p.baseline * baseline_k if p.row.kind == "prefill" and p.baseline else p.baseline) for p in prepared
    ]
    held_baseline: list[float | None] = list(baselines)
    for n, device in enumerate(devices, 1):
        if progress:
            print(f"\r  held out {n}/{len(devices)}: {device:32}", end="", file=sys.stderr, flush=True)
        restore(fitted)
        train = [p for p in prepared if p.row.device_key != device]
        fit_all(train)
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


# ---- GGUF sizes (unchanged checks of memory.weights_bytes) ------------------------------------------

# LLaMA-2-7B, config.json of meta-llama/Llama-2-7b-hf; 6.74 B parameters as llama-bench prints them.
LLAMA2_7B = ModelSpec(
    slug="llama-2-7b",
    name="LLaMA 2 7B",
    num_hidden_layers=32,
    hidden_size=4096,
    intermediate_size=11008,
    num_attention_heads=32,
    num_key_value_heads=32,
    head_dim=128,
    vocab_size=32000,
    total_params_b=6.74,
    max_position_embeddings=4096,
)
# Llama 3.1 8B / 70B / 405B (../shared/reference/models.json); parameter counts as llama.cpp prints them
# (8.03 B, 70.55 B) and, for 405B, counted from the config dimensions (405.85 B).
LLAMA31 = {
    "8B": {
        "num_hidden_layers": 32,
        "hidden_size": 4096,
        "intermediate_size": 14336,
        "num_attention_heads": 32,
    },
    "70B": {
        "num_hidden_layers": 80,
        "hidden_size": 8192,
        "intermediate_size": 28672,
        "num_attention_heads": 64,
    },
    "405B": {
        "num_hidden_layers": 126,
        "hidden_size": 16384,
        "intermediate_size": 53248,
        "num_attention_heads": 128,
    },
}
LLAMA31_PARAMS_B = {"8B": 8.03, "70B": 70.55, "405B": 405.85}


def size_rows() -> list[tuple[str, float, float, bool]]:
    """(label, estimated bytes, measured bytes, independent) for every GGUF size row.

    Bits per weight are what the catalog stores: llama.cpp's whole-file bits/weight measured on Llama 3.1
    8B where it exists, else the block's. Rows of Llama 3.1 8B whose bits/weight came from that same
    measurement are not independent checks (`independent` False); the other models' rows are.
    """
    data = json.loads((speed_rows.REFERENCE / "quant_types.json").read_text())
    bpw = {
        q["name"]: q.get("file_bits_per_weight_llama31_8b")
        or q.get("bits_per_weight_block")
        or q.get("main_block_bits_per_weight")
        for q in data["gguf_quant_types"]
    }
    measured_bpw = {q["name"] for q in data["gguf_quant_types"] if q.get("file_bits_per_weight_llama31_8b")}
    for q in data["additional_ggml_block_types"]:
        bpw.setdefault(q["name"], q["bits_per_weight_block"])
    out = []
    for row in json.loads((speed_rows.CALIBRATION / "gguf_sizes.json").read_text()):
        name = row["model"]
        quant = "F32" if row["quant"].startswith("original") else row["quant"]
        if name.startswith("LLaMA-2"):
            model = LLAMA2_7B
        else:
            size = next(k for k in LLAMA31 if name.endswith(k) or f"-{k}" in name or f" {k}" in name)
            model = ModelSpec(
                slug=f"llama-3.1-{size}",
                name=name,
                head_dim=128,
                vocab_size=128256,
                num_key_value_heads=8,
                total_params_b=LLAMA31_PARAMS_B[size],
                **LLAMA31[size],
            )
        bits = bpw.get(quant) or row["bits_per_weight"]
        independent = not (model.slug == "llama-3.1-8B" and (quant in measured_bpw or quant not in bpw))
        q = QuantSpec(slug=quant.lower(), name=quant, bits_per_weight=bits)
        measured = row["value"] * (GIB if row["unit"] == "GiB" else GB)
        out.append((f"{name} {quant}", weights_bytes(model, q), measured, independent))
    return out


def print_sizes() -> None:
    print("\n== GGUF file sizes: estimate vs measured")
    sizes = size_rows()
    for title, subset in (("all", sizes), ("independent", [s for s in sizes if s[3]])):
        abs_err = [abs(est / m - 1) for _, est, m, _ in subset]
        print(
            f"sizes ({title}): n={len(subset)}  median |error| {statistics.median(abs_err):.1%}  "
            f"p90 |error| {pct(abs_err, 0.9):.1%}  max {max(abs_err):.1%}"
        )


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
    for p in prepared[:: max(1, len(prepared) // 40)]:  # the cached stages time as the engine does
        est, full = p.predict(), engine_prediction(p.row)
        assert (est is None) == (full is None) and (est is None or abs(est / full - 1) < 1e-9), p.row.label
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
    if args.fit:
        print("\nFitted on every row:")
        for name, value in fitted.items():
            print(f"  {name} = {value:.4g}")
    print_sizes()
    if args.write:
        FIGURES.write_text(json.dumps({"classes": table, "constants": fitted}, indent=1) + "\n")
        print(f"\nwrote {FIGURES.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
