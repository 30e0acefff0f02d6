"""How close the engine's per-device memory comes to what llama.cpp itself allocates.

    .venv/bin/python bench/memory_accuracy.py      # every device of every row, then median / p90 |error|

Data: bench/data/llamacpp_memory.json, the buffer sizes llama.cpp prints when it loads a model (weights
as "model buffer", KV cache, compute buffer, per device) from public logs, each with its source and the
log lines. The models and formats are the catalog's (fixtures/catalog/*.json), read without Django. The
CUDA/Metal context that llama.cpp does not print is left out of both sides; so is the 1 GiB of headroom.
"""

import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.accuracy import pct  # noqa: E402
from catalog.llm_spec import llm_spec  # noqa: E402
from estimator import DeviceSpec, ModelSpec, QuantSpec, Workload, plans  # noqa: E402
from estimator.estimate import candidate_plans  # noqa: E402
from estimator.units import GIB, MIB  # noqa: E402

DATA = Path(__file__).resolve().parent / "data" / "llamacpp_memory.json"
FIXTURES = ROOT / "fixtures" / "catalog"
# GPT-NeoX models of the ggml CI, not in the catalog: config.json of EleutherAI/pythia-2.8b and -1.4b,
# parameter counts as llama.cpp prints them.
PYTHIA = {
    "pythia-2.8b": {
        "num_hidden_layers": 32,
        "hidden_size": 2560,
        "intermediate_size": 10240,
        "num_attention_heads": 32,
        "total_params_b": 2.78,
    },
    "pythia-1.4b": {
        "num_hidden_layers": 24,
        "hidden_size": 2048,
        "intermediate_size": 8192,
        "num_attention_heads": 16,
        "total_params_b": 1.41,
    },
}
PARTS = ("weights", "kv", "compute")


def catalog(name: str) -> dict[str, dict]:
    return {row["slug"]: row for row in json.loads((FIXTURES / f"{name}.json").read_text())}


def model_spec(slug: str) -> ModelSpec:
    if slug in PYTHIA:
        p = PYTHIA[slug]
        return ModelSpec(
            slug=slug, name=slug, num_key_value_heads=p["num_attention_heads"], vocab_size=50304, **p
        )
    return llm_spec(catalog("llms")[slug])


def quant_spec(slug: str) -> QuantSpec:
    row = catalog("quantizations")[slug]
    return QuantSpec(slug=slug, name=row["name"], bits_per_weight=row["bits_per_weight"], catalog_width=True)


def devices_for(row: dict) -> list[DeviceSpec]:
    free = row["device_free_mib"] or [80 * 1024] * len(row["devices"])  # room enough: nothing is offloaded
    return [
        DeviceSpec(
            slug=f"gpu{i}",
            name=d["name"],
            memory_bytes=int(mib * MIB),
            bandwidth_gb_s=1000,
            unified_memory=row["backend"] == "metal",
            gpu_memory_fraction=1.0,
            backend=row["backend"],
        )
        for i, (d, mib) in enumerate(zip(row["devices"], free, strict=True))
    ]


def estimated(row: dict) -> list[dict[str, float]]:
    """MiB per device and part, from the plan llama.cpp ran: all layers on the GPUs (`-ngl 99`), with
    the routed experts in RAM for `-ot exps=CPU`."""
    workload = Workload(
        context_tokens=row["n_ctx"],
        ubatch_tokens=row["n_ubatch"],
        flash_attention=row["flash_attn"],
        headroom_bytes=0,
        ram_bytes=256 * GIB,
    )
    model = model_spec(row["model"])
    kw = {
        "model": model,
        "quant": quant_spec(row["quant"]),
        "devices": devices_for(row),
        "workload": workload,
    }
    if row["experts_on_cpu"]:  # -ot ".ffn_.*_exps.=CPU": every MoE layer's experts in RAM
        plan = plans.expert_offload(**kw, cpu_moe_layers=model.num_hidden_layers)
    else:
        strategy = "single" if len(row["devices"]) == 1 else "layer_split"
        plan = next(p for p in candidate_plans(**kw)[0] if p.strategy == strategy)
    return [
        {"weights": d.weights_bytes / MIB, "kv": d.kv_cache_bytes / MIB, "compute": d.compute_bytes / MIB}
        for d in plan.devices
        if d.kind != "host"
    ]


def measured(row: dict) -> list[dict[str, float]]:
    return [
        {"weights": d["weights_mib"], "kv": d["kv_mib"], "compute": d["compute_mib"]} for d in row["devices"]
    ]


def main() -> int:
    rows = json.loads(DATA.read_text())["rows"]
    errors: dict[str, list[float]] = {part: [] for part in (*PARTS, "total")}
    print(f"{'row / device':58} {'part':8} {'estimate':>9} {'llama.cpp':>9} {'error':>7}   (MiB)")
    for row in rows:
        for i, (est, meas) in enumerate(zip(estimated(row), measured(row), strict=True)):
            est["total"], meas["total"] = sum(est[p] for p in PARTS), sum(meas[p] for p in PARTS)
            for part in (*PARTS, "total"):
                error = est[part] / meas[part] - 1
                errors[part].append(abs(error))
                label = f"{row['id']} #{i}" if part == "weights" else ""
                print(f"{label:58} {part:8} {est[part]:9.1f} {meas[part]:9.1f} {error:+7.1%}")
    print()
    for part, errs in errors.items():
        print(
            f"{part:8} n={len(errs):2}  median |error| {statistics.median(errs):5.1%}  "
            f"p90 |error| {pct(errs, 0.9):5.1%}  max {max(errs):5.1%}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
