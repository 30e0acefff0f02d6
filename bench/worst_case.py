"""The largest questions the input limits allow (estimator/limits.py), timed and weighed.

    .venv/bin/python bench/worst_case.py

Each case runs the engine as the page does (estimate with suggestions) once cold and three times warm,
and reports the slowest run and the growth of this process's resident memory, which the per-request
budget (1 s, 50 MB) bounds. Figures in bench/README.md.
"""

import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from estimator import DeviceSpec, ModelSpec, QuantSpec, Workload, estimate, limits  # noqa: E402
from estimator.units import GIB  # noqa: E402

QUANTS = [QuantSpec(slug=f"q{b}", name=f"Q{b}", bits_per_weight=b) for b in (16.0, 8.5, 4.9, 3.9, 2.6)]
DENSE = {
    "slug": "deepest",
    "name": "Deepest",
    "num_hidden_layers": limits.MAX_LAYERS,
    "hidden_size": 16384,
    "intermediate_size": 53248,
    "num_attention_heads": 128,
    "num_key_value_heads": 8,
    "vocab_size": 262144,
    "total_params_b": 4000.0,
}
MOE = {
    **DENSE,
    "slug": "widest-moe",
    "num_hidden_layers": 128,
    "num_experts": limits.MAX_EXPERTS,
    "num_experts_per_tok": 16,
    "moe_intermediate_size": 2048,
    "active_params_b": 60.0,
}
GPU = DeviceSpec(slug="g", name="G", memory_bytes=80 * GIB, bandwidth_gb_s=3350.0, fp16_tflops=990.0)
CASES = {
    "1,024 layers on 64 GPUs": (DENSE, [GPU] * limits.MAX_DEVICES, Workload()),
    "1,024 layers, 16 hosts, 10M context": (
        DENSE,
        [GPU] * 4,
        Workload(hosts=limits.MAX_HOSTS, context_tokens=limits.MAX_CONTEXT_TOKENS, ram_bytes=1024 * GIB),
    ),
    "4,096 experts on 64 GPUs with RAM": (MOE, [GPU] * limits.MAX_DEVICES, Workload(ram_bytes=2048 * GIB)),
}


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    print("| case | slowest run (s) | peak RSS growth (MB) |")
    print("|---|---|---|")
    for name, (fields, devices, workload) in CASES.items():
        model = ModelSpec(**fields)
        before = rss_mb()
        slowest = 0.0
        for _ in range(4):
            start = time.perf_counter()
            estimate(model=model, quant=QUANTS[2], devices=devices, workload=workload, candidates=QUANTS)
            slowest = max(slowest, time.perf_counter() - start)
        print(f"| {name} | {slowest:.3f} | {rss_mb() - before:.1f} |")


if __name__ == "__main__":
    main()
