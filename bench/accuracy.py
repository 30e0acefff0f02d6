"""How close the engine's speeds come to published measurements, per class, in-sample and leave-one-device-out.

    .venv/bin/python bench/accuracy.py            # class table: shipped, in-sample, leave-one-device-out, 0.7 × BW
    .venv/bin/python bench/accuracy.py --rows     # and every row: measured, estimate, held-out estimate
    .venv/bin/python bench/accuracy.py --fit      # print the constants fitted on every row (paste into speed.py)
    .venv/bin/python bench/accuracy.py --write    # also write bench/data/accuracy_figures.json (the test reads it)

Data: bench/speed_rows.py (the calibration tables in ../shared/reference/calibration/ and
bench/data/public_measurements.json, resolved to engine inputs). Imports the engine only, never Django.

"shipped" is the engine as it is; "in-sample" refits the constants of estimator/speed.py on every
row; "held out" refits them without one device's rows (all of them: single, multi-GPU, prefill) and predicts
that device, for each device in turn. The constant formula is what most calculators use: tok/s = 0.7 ×
memory bandwidth ÷ the bytes a token reads (weights; an MoE's active share), one GPU's bandwidth for a layer
split; for prefill, one constant × FP16 FLOPS ÷ (2 × active parameters), the constant fitted like ours.
Errors are estimate ÷ measured − 1; tables give the median and 90th percentile of their absolute value.
"""

import argparse
import hashlib
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

from estimator import ModelSpec, QuantSpec, Workload, layouts, plans, speed, timing  # noqa: E402
from estimator.memory import weights_bytes  # noqa: E402
from estimator.units import GB, GIB  # noqa: E402

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

# vLLM's serving benchmark sends 320 ShareGPT prompts at once: while ~65–90 sequences decode, the server
# also prefills the prompts still waiting, so each step carries some prompt tokens per sequence in flight.
# How many (ShareGPT's prompt length over its answer length, as the scheduler interleaves them) is fitted
# on the vLLM rows with the engine's constants; it describes that benchmark, so it lives here.
SERVING = {"prompt_tokens_per_output": 0.302, "sequence_seconds": 216e-6}
# vLLM's chunked prefill processes up to this many prompt tokens per step (max_num_batched_tokens).
VLLM_CHUNK_TOKENS = 8192


@dataclass
class Prepared:
    """A row with its engine stages built once; `predict()` re-times them with speed.py's current constants."""

    row: Measurement
    predict: Callable[[], float | None]
    baseline: float | None
    stages: list[speed.Stage]


def _workload(row: Measurement, batch: int | None = None) -> Workload:
    if row.kind == "decode":
        depth = max(1, row.decode_depth)
        return Workload(context_tokens=depth + 1, prompt_tokens=depth, runtime=row.runtime)
    if row.kind == "prefill":
        return Workload(
            context_tokens=row.depth + row.tokens,
            prompt_tokens=row.tokens,
            runtime=row.runtime,
            ubatch_tokens=row.ubatch,
        )
    batch = batch or max(1, round(row.concurrency))
    return Workload(context_tokens=row.depth + 1, prompt_tokens=row.depth, runtime="vllm", batch=batch)


def _bytes_per_token(stages: list[speed.Stage], batch: int = 1) -> float:
    return sum(s.dense_bytes + s.routed_bytes * s.touched_share(batch) for s in stages)


def prepare(row: Measurement) -> Prepared:
    if row.kind == "vllm_tp" and row.concurrency > 1 and row.concurrency % 1:
        return _prepare_between(row)
    return _prepare(row)


def _prepare_between(row: Measurement) -> Prepared:
    """A serving row whose concurrency (throughput × ITL, Little's law) falls between whole sequence counts:
    its step time is interpolated between the two counts' and its throughput is concurrency ÷ step. Rounding
    instead would move a 1.5-sequence row's estimate by a third."""
    lo = int(row.concurrency)
    low, high, share = _prepare(row, lo), _prepare(row, lo + 1), row.concurrency - lo

    def predict() -> float | None:
        a, b = low.predict(), high.predict()
        if not a or not b:
            return None
        return row.concurrency / ((1 - share) * lo / a + share * (lo + 1) / b)

    base = (1 - share) * (low.baseline or 0) + share * (high.baseline or 0)
    return Prepared(row, predict, base or None, high.stages)


def _prepare(row: Measurement, batch: int | None = None) -> Prepared:
    model, quant, w = row.model, row.quant, _workload(row, batch)
    kw = {"model": model, "quant": quant, "workload": w}
    devices = [row.device] * row.count
    if row.kind == "vllm_tp":
        layout = layouts.tensor_parallel_layout(devices=devices, **kw)
    elif row.count > 1:
        layout = layouts.layer_split_layout(devices=devices, **kw)
    else:
        layout = layouts.single_layout(devices=devices, **kw)
    _, stages = plans.run_layout(layout, **kw)
    bw = row.device.bandwidth_gb_s * 1e9
    if row.kind == "vllm_tp":

        def predict() -> float:
            t = timing.tensor_parallel_timing(stages, model=model, workload=w, tp=layout.tp, devices=devices)
            prompt = w.batch * SERVING["prompt_tokens_per_output"]  # a mean: need not be whole
            prefill = max(speed.prefill_seconds(s, prompt, VLLM_CHUNK_TOKENS) or 0.0 for s in stages)
            return w.batch / (t.decode_batch_s + prefill + w.batch * SERVING["sequence_seconds"])

        per_rank = max(s.dense_bytes + s.routed_bytes * s.touched_share(w.batch) for s in stages)
        return Prepared(row, predict, w.batch * BASELINE_EFFICIENCY * bw / per_rank, stages)
    gb_s, lat = timing.link(w, devices)

    def hops() -> list[timing.Hop]:  # built when timed: the hand-off time is a fitted constant
        return [timing.Hop(gb_s, lat, speed.handoff_seconds(s)) for s in stages[:-1]]

    if row.kind == "decode":

        def predict() -> float:
            return 1 / timing.sequential_step_seconds(stages, hops(), model.hidden_size, 1, w.prompt_tokens)

        return Prepared(row, predict, BASELINE_EFFICIENCY * bw / _bytes_per_token(stages), stages)

    def predict_prefill() -> float | None:
        t = timing.sequential_prefill_seconds(
            stages, w, hops(), model.hidden_size, row.depth, pipelined=len(stages) > 1
        )
        return row.tokens / t if t else None

    flops = row.device.fp16_tflops
    return Prepared(row, predict_prefill, flops * 1e12 / (2 * model.active_params) if flops else None, stages)


def engine_prediction(row: Measurement) -> float | None:
    """The same number through the engine's public entry points, to check that `prepare` times it alike."""
    model, quant, w = row.model, row.quant, _workload(row)
    devices = [row.device] * row.count
    if row.kind == "vllm_tp":
        plan = plans.tensor_parallel(model=model, quant=quant, workload=w, devices=devices)
        return None  # the interleaved prompts are the bench's, not the plan's
    if row.kind == "prefill" and row.depth:
        return None  # a plan's prompt starts a conversation: no depth to give it
    builder = plans.layer_split if row.count > 1 else plans.single
    plan = builder(model=model, quant=quant, workload=w, devices=devices)
    return plan.decode_tok_s if row.kind == "decode" else plan.prefill_tok_s


# ---- What is fitted ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    """One fitted constant: where it lives (a table of estimator/speed.py, or `SERVING` here), its
    prior value and spread (a weak pull where rows are few), its physical range, and the rows that fit it."""

    table: str
    key: object  # dict key, or None for a module-level float
    prior: float
    sigma: float  # of log(value / prior)
    low: float
    high: float
    group: str  # decode, prefill, vllm_tp

    @property
    def name(self) -> str:
        return f"{self.table}[{self.key!r}]" if self.key is not None else self.table

    def _owner(self) -> object:
        return SERVING if self.table == "SERVING" else getattr(speed, self.table)

    def get(self) -> float:
        owner = self._owner()
        if self.key is None:
            return owner  # type: ignore[return-value]
        return owner.get(self.key, self.prior)  # type: ignore[attr-defined]

    def set(self, value: float) -> None:
        if self.key is None:
            setattr(speed, self.table, value)
        else:
            self._owner()[self.key] = value  # type: ignore[index]


KERNELS = ("cuda", "cuda_pascal", "rocm", "vulkan", "vulkan_intel", "sycl", "metal", "mlx")
# Format families with their own kernel efficiency. MXFP4 is left at the legacy quants' (its blocks are
# Q4_0's with a power-of-two scale): every MXFP4 row is gpt-oss, an MoE, so its own factor could not be told
# apart from the MoE constants.
FAMILIES = ("kquant", "float", "bf16", "mlx")
US = 1e-6


def param_universe() -> list[Param]:
    """Every constant the bench may fit, at its prior."""
    out = [
        Param("MEMORY_EFFICIENCY", "hbm", 0.6, 1.0, 0.1, 1.0, "decode"),
        Param("MEMORY_EFFICIENCY", "lpddr", 0.9, 1.0, 0.3, 1.0, "decode"),
        Param("MEMORY_EFFICIENCY", "lpddr_two_die", 0.8, 1.0, 0.3, 1.0, "decode"),
        *(Param("BACKEND_EFFICIENCY", k, 0.8, 1.0, 0.2, 0.95, "decode") for k in KERNELS),
        *(Param("KV_EFFICIENCY", k, 0.8, 1.0, 0.1, 1.0, "decode") for k in KERNELS),
        *(Param("LAYER_SECONDS", k, 40 * US, 3.0, 1 * US, 400 * US, "decode") for k in KERNELS),
        *(Param("MOE_LAYER_SECONDS", k, 60 * US, 3.0, 1 * US, 1000 * US, "decode") for k in KERNELS),
        Param("EXPERT_EFFICIENCY", None, 0.8, 1.0, 0.2, 1.0, "decode"),
        *(
            Param("HANDOFF_SECONDS", k, 100 * US, 3.0, 1 * US, 3000 * US, "decode")
            for k in ("cuda", "cuda_pascal", "rocm", "vulkan")
        ),
        *(
            Param("FORMAT_EFFICIENCY", (f, k), 1.0, 1.5, 0.05, 1.6, "decode")
            for f in FAMILIES
            for k in KERNELS
            if k != "mlx"  # MLX runs only its own formats: its backend share is theirs
        ),
        *(Param("PREFILL_EFFICIENCY", k, 0.5, 1.5, 0.02, 1.0, "prefill") for k in KERNELS),
        Param("FULL_RATE_PREFILL_FACTOR", None, 0.5, 1.5, 0.05, 1.0, "prefill"),
        Param("PREFILL_EXPERT_EFFICIENCY", None, 0.5, 1.5, 0.05, 1.0, "prefill"),
        Param("PREFILL_PIPELINE_OVERLAP", None, 0.5, 1.5, 0.02, 1.0, "prefill"),
        *(Param("ATTENTION_EFFICIENCY", k, 0.3, 1.5, 0.01, 1.0, "prefill") for k in KERNELS),
        *(
            Param("PREFILL_FORMAT_EFFICIENCY", (f, k), 1.0, 1.5, 0.03, 2.0, "prefill")
            for f in FAMILIES
            for k in KERNELS
        ),
        Param("BACKEND_EFFICIENCY", "vllm", 0.8, 1.0, 0.2, 0.9, "vllm_tp"),
        Param("VLLM_ALL_REDUCE_SECONDS", None, 10 * US, 3.0, 1 * US, 200 * US, "vllm_tp"),
        Param("VLLM_STEP_SECONDS", None, 2e-3, 3.0, 1e-4, 5e-2, "vllm_tp"),
        Param("PREFILL_EFFICIENCY", "vllm", 0.6, 1.5, 0.05, 1.0, "vllm_tp"),
        Param("SERVING", "prompt_tokens_per_output", 1.0, 3.0, 0.1, 100.0, "vllm_tp"),
        Param("SERVING", "sequence_seconds", 50 * US, 3.0, 1 * US, 2e-3, "vllm_tp"),
    ]
    return out


PARAMS = param_universe()
GROUPS = ("decode", "prefill", "vllm_tp")


def _uses(p: Prepared, q: Param) -> bool:
    """Whether row `p` depends on constant `q` (constants no training row uses stay at their prior)."""
    stages = [s for s in p.stages if s.backend != "cpu"]
    keys = {s.backend for s in stages}
    if q.table == "SERVING":
        return p.row.kind == "vllm_tp"
    if q.table in ("FORMAT_EFFICIENCY", "PREFILL_FORMAT_EFFICIENCY"):
        return q.key in {(s.fmt, s.backend) for s in stages}
    if q.table == "MEMORY_EFFICIENCY":
        return q.key in {s.memory for s in stages}
    if q.table in ("MOE_LAYER_SECONDS", "EXPERT_EFFICIENCY", "PREFILL_EXPERT_EFFICIENCY"):
        return any(s.moe_layers for s in stages) and (q.key is None or q.key in keys)
    if q.table == "HANDOFF_SECONDS":
        return len(stages) > 1 and q.key in keys
    if q.table == "KV_EFFICIENCY":
        return q.key in keys and p.row.decode_depth >= 1024
    if q.table == "ATTENTION_EFFICIENCY":
        return q.key in keys and (p.row.depth > 0 or p.row.tokens >= 2048)
    if q.table == "PREFILL_PIPELINE_OVERLAP":
        return len(stages) > 1 and p.row.tokens > p.row.ubatch
    if q.table == "FULL_RATE_PREFILL_FACTOR":
        return any(s.full_rate_fp16 for s in stages)
    return q.key is None or q.key in keys


def reset() -> None:
    """Every constant at its prior: what a fit starts from."""
    for q in PARAMS:
        q.set(q.prior)


def weights(rows: list[Prepared]) -> list[float]:
    """One author's table can hold dozens of rows of one device: each (device, source) pair weighs the
    square root of its row count, so no single table decides a constant."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for p in rows:
        counts[(p.row.device_key, p.row.source)] += 1
    return [counts[(p.row.device_key, p.row.source)] ** -0.25 for p in rows]


# Decode errors beyond ~15% count less than their square (soft-L1 loss): a device whose kernels are broken
# (BF16 on SYCL) or a platform outlier (Windows) should not drag the constants everyone else shares.
# Prefill keeps the squared loss: its spread is wide, and the squares keep its tail (p90) in check.
ROBUST_SCALE = {"decode": 0.15}


def _residuals(rows: list[Prepared], w: list[float], only: list[int] | None = None) -> np.ndarray:
    """weight × log(estimate ÷ measured) of every row (of rows `only`, when given); for decode in the
    residual form of soft-L1, whose square is 2c²(√(1 + (r/c)²) − 1)."""
    index = range(len(rows)) if only is None else only
    out = []
    for i in index:
        est = rows[i].predict()
        r = math.log(est / rows[i].row.value) if est else 0.0
        c = ROBUST_SCALE.get(rows[i].row.kind)
        if c:
            r = math.copysign(math.sqrt(2 * c * c * (math.sqrt(1 + (r / c) ** 2) - 1)), r)
        out.append(w[i] * r)
    return np.array(out)


def fit(rows: list[Prepared], params: list[Param], *, iterations: int = 60) -> None:
    """Levenberg–Marquardt on log(estimate ÷ measured) and each constant's pull to its prior, in a
    coordinate that maps ℝ onto the constant's physical range (log-scaled); leaves the fitted values in
    place."""
    if not rows or not params:
        return
    w = weights(rows)
    lo = np.array([math.log(q.low) for q in params])
    span = np.array([math.log(q.high) for q in params]) - lo
    prior = np.array([math.log(q.prior) for q in params])
    sigma = np.array([q.sigma for q in params])

    def log_values(u: np.ndarray) -> np.ndarray:
        return lo + span / (1 + np.exp(-u))

    def apply(u: np.ndarray) -> None:
        for q, v in zip(params, log_values(u), strict=True):
            q.set(math.exp(v))

    frac = np.clip((np.array([math.log(q.get()) for q in params]) - lo) / span, 1e-6, 1 - 1e-6)
    u = np.log(frac / (1 - frac))

    def residuals(t: np.ndarray) -> np.ndarray:
        apply(t)
        return np.concatenate([_residuals(rows, w), (log_values(t) - prior) / sigma])

    # a constant moves only the rows that use it: the Jacobian is sparse
    users = [[i for i, p in enumerate(rows) if _uses(p, q)] for q in params]
    r = residuals(u)
    cost = float(r @ r)
    lam = 1e-2
    h = 1e-4
    for _ in range(iterations):
        jac = np.zeros((len(r), len(params)))
        for j, q in enumerate(params):
            t = u.copy()
            t[j] += h
            lv = log_values(t)[j]
            q.set(math.exp(lv))
            if users[j]:
                jac[users[j], j] = (_residuals(rows, w, users[j]) - r[users[j]]) / h
            jac[len(rows) + j, j] = (lv - log_values(u)[j]) / h / sigma[j]
            q.set(math.exp(log_values(u)[j]))
        jtj, jtr = jac.T @ jac, jac.T @ r
        improved = False
        while lam < 1e10:
            step = np.linalg.solve(jtj + lam * (np.diag(np.diag(jtj)) + 1e-9 * np.eye(len(params))), -jtr)
            trial = u + step
            r_trial = residuals(trial)
            c_trial = float(r_trial @ r_trial)
            if c_trial < cost:
                improved = cost - c_trial > 1e-8 * max(cost, 1e-12)
                u, r, cost = trial, r_trial, c_trial
                lam = max(lam / 3, 1e-9)
                break
            lam *= 4
        if not improved:
            break
    apply(u)


def group_of(row: Measurement) -> str:
    return row.kind


def fit_all(prepared: list[Prepared], start: dict[str, float] | None = None) -> None:
    """Decode constants on decode rows, then prefill, then vLLM. Constants no row uses stay at their
    prior; the others start from `start` (the all-row fit, for the held-out folds) or their prior."""
    reset()
    for group in GROUPS:
        rows = [p for p in prepared if group_of(p.row) == group]
        params = [q for q in PARAMS if q.group == group and any(_uses(p, q) for p in rows)]
        if start:
            for q in params:
                q.set(start[q.name])
        fit(rows, params)


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
        return "vLLM tensor parallel (throughput under load)"
    if row.count > 1:
        return "multi-GPU layer split, decode"
    backend = BACKEND_NAMES[speed.kernels(row.device, row.runtime)]
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
    return {q.name: q.get() for q in PARAMS}


def restore(values: dict[str, float]) -> None:
    for q in PARAMS:
        q.set(values[q.name])


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
    """speed.ERROR_RANGES from held-out errors: per one-device class with enough rows and devices, per
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
        ranges = error_ranges([r for r, _ in keep], [c for _, c in keep], quantiles)
        saved = speed.ERROR_RANGES
        speed.ERROR_RANGES = ranges
        try:
            for r, c in zip(results, classes, strict=True):
                if r.row.device_key != device or r.held_out is None:
                    continue
                low, high = speed.speed_range(r.held_out, c)
                kind = "decode" if c.count("/") == 2 else c
                hits[kind].append(low <= r.row.value <= high)
        finally:
            speed.ERROR_RANGES = saved
    return {k: round(sum(v) / len(v), 3) for k, v in sorted(hits.items())}


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


def print_constants(fitted: dict[str, float], ranges: dict) -> None:
    """The fitted constants as estimator/speed.py spells them, to paste there."""
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
    print("\nFitted on every row (estimator/speed.py):")
    for name, value in scalars.items():
        print(f"{name} = {value:.3g}")
    for name, entries in tables.items():
        print(f"{name} = {{")
        for key, value in entries.items():
            print(f"    {key!r}: {value:.3g},")
        print("}")
    print("ERROR_RANGES = {")
    for key, (low, high) in sorted(ranges.items()):
        print(f"    {key!r}: ({low}, {high}),")
    print("}")


if __name__ == "__main__":
    main()
