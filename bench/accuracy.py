"""How close the engine comes to published llama.cpp measurements.

    .venv/bin/python bench/accuracy.py          # every row: estimate vs measurement, then median / p90 |error|
    .venv/bin/python bench/accuracy.py --fit    # re-fit the per-backend constants in calculator/engine/speed.py

Data: ../shared/reference/calibration/ (decode_speed.json: llama-bench tg128/pp512 of LLaMA-2-7B on Apple,
CUDA and Vulkan GPUs; gguf_sizes.json: GGUF file sizes). Imports the engine only, never Django.
"""

import argparse
import json
import os
import statistics
import sys
from itertools import product
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from calculator.engine import DeviceSpec, ModelSpec, QuantSpec, Workload, speed  # noqa: E402
from calculator.engine.estimate import candidate_plans  # noqa: E402
from calculator.engine.memory import weights_bytes  # noqa: E402
from calculator.engine.units import GB, GIB  # noqa: E402

REFERENCE = Path(
    os.environ.get("REFERENCE_DIR", Path(__file__).resolve().parents[2] / "shared" / "reference")
)

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
        "num_key_value_heads": 8,
        "total_params_b": 8.03,
    },
    "70B": {
        "num_hidden_layers": 80,
        "hidden_size": 8192,
        "intermediate_size": 28672,
        "num_attention_heads": 64,
        "num_key_value_heads": 8,
        "total_params_b": 70.55,
    },
    "405B": {
        "num_hidden_layers": 126,
        "hidden_size": 16384,
        "intermediate_size": 53248,
        "num_attention_heads": 128,
        "num_key_value_heads": 8,
        "total_params_b": 405.85,
    },
}

# Spec sheets of the GPUs in the CUDA and Vulkan scoreboards: memory bandwidth (GB/s) and dense FP16
# matrix throughput (TFLOPS; NVIDIA tensor cores with FP32 accumulate on GeForce, full rate on
# professional cards; AMD WMMA; Intel XMX). Sources: NVIDIA Ada/Ampere/Blackwell architecture
# whitepapers and product pages, AMD and Intel product pages. H100 and A100 rows are the SXM parts
# ("HBM3" in the scoreboard's own label for H100).
GPUS: dict[str, tuple[float, float]] = {
    "NVIDIA RTX PRO 6000 Blackwell": (1792, 503.8),
    "NVIDIA GeForce RTX 5090": (1792, 209.5),
    "NVIDIA GeForce RTX 4090": (1008, 165.2),
    "NVIDIA H100": (3350, 989.4),
    "NVIDIA GeForce RTX 5080": (960, 112.6),
    "NVIDIA GeForce RTX 5070 Ti": (896, 87.9),
    "NVIDIA GeForce RTX 3090": (936, 71.0),
    "NVIDIA A100": (2039, 312.0),
    "NVIDIA GeForce RTX 5060 Ti": (448, 47.4),
    "NVIDIA DGX Spark (GB10)": (273, 125.0),
    "NVIDIA GeForce RTX 3060": (360, 25.6),
    "NVIDIA Jetson AGX Orin 64GB": (204.8, 42.5),
    "AMD Radeon AI PRO R9700": (644.6, 191.0),
    "AMD Radeon RX 9070 XT": (644.6, 194.7),
    "AMD Radeon RX 9070": (644.6, 144.6),
    "AMD Radeon RX 7900 XTX": (960, 122.8),
    "Intel Arc A770": (560, 137.6),
    "Intel Arc B580": (456, 116.7),
}
# Apple GPUs: 128 FP32 lanes per core × 2 FLOPs × clock (FP16 runs at the same rate):
# M1 1.278 GHz, M2 1.398 GHz, M3 ~1.4 GHz, M4 ~1.58 GHz → TFLOPS per GPU core.
APPLE_TFLOPS_PER_CORE = {"M1": 0.327, "M2": 0.358, "M3": 0.358, "M4": 0.404}
# Bits per weight of the formats in the speed rows (block sizes, ggml-common.h).
SPEED_BPW = {"F16": 16.0, "Q8_0": 8.5, "Q4_0": 4.5}


def load(name: str) -> list[dict]:
    return json.loads((REFERENCE / "calibration" / name).read_text())


def device_for(row: dict) -> DeviceSpec | None:
    hw = row["hardware"]
    backend = {"CUDA": "cuda", "Metal": "metal", "Vulkan": "vulkan"}[row["backend"]]
    if backend == "metal":
        chip = hw.split()[1]
        tflops = APPLE_TFLOPS_PER_CORE[chip] * row["gpu_cores"]
        return DeviceSpec(
            slug=hw,
            name=hw,
            memory_bytes=192 * GIB,
            bandwidth_gb_s=row["memory_bandwidth_gbs"],
            fp16_tflops=tflops,
            unified_memory=True,
            gpu_memory_fraction=1.0,
            backend="metal",
        )
    key = next((k for k in sorted(GPUS, key=len, reverse=True) if hw.startswith(k)), None)
    if key is None:
        return None
    bw, tflops = GPUS[key]
    return DeviceSpec(
        slug=key, name=hw, memory_bytes=96 * GIB, bandwidth_gb_s=bw, fp16_tflops=tflops, backend=backend
    )


def predict(row: dict) -> float | None:
    device = device_for(row)
    if device is None:
        return None
    quant = QuantSpec(slug=row["quant"].lower(), name=row["quant"], bits_per_weight=SPEED_BPW[row["quant"]])
    if row["test"] == "tg128":
        # llama-bench tg128 generates 128 tokens from an empty context: the KV read averages 64 tokens.
        workload = Workload(context_tokens=512, prompt_tokens=64)
    else:
        workload = Workload(context_tokens=512, prompt_tokens=512)
    plans, _ = candidate_plans(model=LLAMA2_7B, quant=quant, devices=[device], workload=workload)
    plan = plans[0]
    return plan.decode_tok_s if row["test"] == "tg128" else plan.prefill_tok_s


def speed_errors(rows: list[dict], test: str) -> list[tuple[dict, float, float]]:
    out = []
    for row in rows:
        if row["test"] != test:
            continue
        est = predict(row)
        if est is not None:
            out.append((row, est, est / row["value"] - 1))
    return out


def size_rows() -> list[tuple[str, float, float, bool]]:
    """(label, estimated bytes, measured bytes, independent) for every GGUF size row.

    Bits per weight are what the catalog stores: llama.cpp's whole-file bits/weight measured on Llama 3.1
    8B where it exists, else the block's. Rows of Llama 3.1 8B whose bits/weight came from that same
    measurement are not independent checks (`independent` False); the other models' rows are.
    """
    data = json.loads((REFERENCE / "quant_types.json").read_text())
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
    for row in load("gguf_sizes.json"):
        name = row["model"]
        quant = "F32" if row["quant"].startswith("original") else row["quant"]
        if name.startswith("LLaMA-2"):
            model = LLAMA2_7B
        else:
            size = next(k for k in LLAMA31 if name.endswith(k) or f"-{k}" in name or f" {k}" in name)
            model = ModelSpec(
                slug=f"llama-3.1-{size}", name=name, head_dim=128, vocab_size=128256, **LLAMA31[size]
            )
        bits = bpw.get(quant) or row["bits_per_weight"]
        independent = not (model.slug == "llama-3.1-8B" and (quant in measured_bpw or quant not in bpw))
        q = QuantSpec(slug=quant.lower(), name=quant, bits_per_weight=bits)
        measured = row["value"] * (GIB if row["unit"] == "GiB" else GB)
        out.append((f"{name} {quant}", weights_bytes(model, q), measured, independent))
    return out


def pct(errors: list[float], q: float) -> float:
    s = sorted(errors)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


def report() -> None:
    rows = load("decode_speed.json")
    for test, label in (("tg128", "decode"), ("pp512", "prefill")):
        errs = speed_errors(rows, test)
        print(f"\n== {label} ({test}) tok/s: estimate vs measured")
        for row, est, err in errs:
            print(
                f"{row['hardware'][:42]:42} {row['backend']:6} {row['quant']:5} {est:9.1f} {row['value']:9.1f} "
                f"{err:+7.1%}"
            )
        abs_err = [abs(e) for _, _, e in errs]
        signed = [e for _, _, e in errs]
        print(
            f"{label}: n={len(errs)}  median |error| {statistics.median(abs_err):.1%}  p90 |error| "
            f"{pct(abs_err, 0.9):.1%}  signed p10 {pct(signed, 0.1):+.1%}  p90 {pct(signed, 0.9):+.1%}"
        )
        for backend in ("Metal", "CUDA", "Vulkan"):
            b = [abs(e) for r, _, e in errs if r["backend"] == backend]
            if b:
                print(
                    f"   {backend:6} n={len(b):3}  median {statistics.median(b):.1%}  p90 {pct(b, 0.9):.1%}"
                )
    print("\n== GGUF file sizes: estimate vs measured (GiB)")
    sizes = size_rows()
    for label, est, measured, independent in sizes:
        mark = "" if independent else "  (bits/weight measured on this file)"
        print(f"{label:48} {est / GIB:9.2f} {measured / GIB:9.2f} {est / measured - 1:+7.1%}{mark}")
    for title, subset in (("all", sizes), ("independent", [s for s in sizes if s[3]])):
        abs_err = [abs(est / m - 1) for _, est, m, _ in subset]
        print(
            f"sizes ({title}): n={len(subset)}  median |error| {statistics.median(abs_err):.1%}  "
            f"p90 |error| {pct(abs_err, 0.9):.1%}  max {max(abs_err):.1%}"
        )


def fit() -> None:
    """Grid-search each backend's constants to minimise the median |log error|, then print them."""
    import math

    rows = load("decode_speed.json")
    for backend, engine_backend in (("Metal", "metal"), ("CUDA", "cuda"), ("Vulkan", "vulkan")):
        sub = [r for r in rows if r["backend"] == backend]
        best = None
        for eta, tau in product([x / 100 for x in range(50, 96)], [x * 10e-6 for x in range(0, 31)]):
            speed.DECODE_BANDWIDTH_EFFICIENCY[engine_backend] = eta
            speed.DECODE_LAYER_SECONDS[engine_backend] = tau
            errs = [abs(math.log(e + 1)) for _, _, e in speed_errors(sub, "tg128")]
            score = statistics.mean(x * x for x in errs)
            if best is None or score < best[0]:
                best = (score, eta, tau)
        assert best is not None
        speed.DECODE_BANDWIDTH_EFFICIENCY[engine_backend], speed.DECODE_LAYER_SECONDS[engine_backend] = best[
            1:
        ]
        best_p = None
        for eta_p in [x / 100 for x in range(5, 101)]:
            speed.PREFILL_COMPUTE_EFFICIENCY[engine_backend] = eta_p
            errs = [abs(math.log(e + 1)) for _, _, e in speed_errors(sub, "pp512")]
            score = statistics.mean(x * x for x in errs)
            if best_p is None or score < best_p[0]:
                best_p = (score, eta_p)
        assert best_p is not None
        speed.PREFILL_COMPUTE_EFFICIENCY[engine_backend] = best_p[1]
        print(
            f"{engine_backend}: decode bandwidth efficiency {best[1]:.2f}, per-layer {best[2] * 1e6:.0f} µs, "
            f"prefill compute efficiency {best_p[1]:.2f}"
        )
    report()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--fit", action="store_true", help="re-fit the speed constants and report with them")
    if parser.parse_args().fit:
        fit()
    else:
        report()
