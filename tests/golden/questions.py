"""The golden questions: a fixed, varied set of calculator questions whose API answers are pinned.

Models × formats × hardware sets × contexts × runtimes × RAM × KV cache types, drawn with a fixed seed
from the shipped catalog (fixtures/catalog), so the list is the same on every machine. Regenerate the
answers with `GOLDEN_REGENERATE=1 pytest tests/test_golden.py` only in a commit that moves numbers on
purpose, saying why.
"""

import json
import random
from pathlib import Path
from urllib.parse import urlencode

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "catalog"
COUNT = 320

HARDWARE = [
    [("geforce-rtx-3090", 1)],
    [("geforce-rtx-3090", 2)],
    [("geforce-rtx-3090", 4)],
    [("geforce-rtx-4090", 1)],
    [("geforce-rtx-4090", 2)],
    [("geforce-rtx-4090", 1), ("geforce-rtx-3090", 1)],
    [("geforce-rtx-3060-12-gb", 1)],
    [("geforce-rtx-5090", 1)],
    [("h100-sxm5-80-gb", 1)],
    [("h100-sxm5-80-gb", 8)],
    [("a100-sxm4-80-gb", 4)],
    [("radeon-rx-7900-xtx", 1)],
    [("radeon-rx-7900-xtx", 2)],
    [("apple-m4-max-128gb", 1)],
    [("apple-m2-ultra-192gb", 1)],
    [("nvidia-dgx-spark-128gb", 1)],
]
CONTEXTS = [2048, 4096, 8192, 32768, 131072]
RUNTIMES = ["llama-cpp", "ollama", "vllm", "sglang", "mlx"]
KV = ["f16", "f16", "q8_0", "q4_0", "fp8"]
RAM = [None, None, 32, 64, 256]
BATCH = [1, 1, 1, 4, 16]


def _rows(name: str) -> list[dict]:
    return json.loads((FIXTURES / name).read_text())


def _slugs(name: str) -> list[str]:
    return [row["slug"] for row in _rows(name)]


BACKEND_BY_VENDOR = {"nvidia": "cuda", "amd": "rocm", "apple": "metal", "intel": "sycl"}


def questions() -> list[str]:
    """COUNT query strings, the same on every run: only combinations that exist (a runtime that runs
    the format on the hardware's backend, a context the model reads), as a visitor would ask them."""
    gpus = {row["slug"]: row for row in _rows("gpus.json")}
    hardware = [h for h in HARDWARE if all(slug in gpus for slug, _ in h)]
    models = _rows("llms.json")
    families = {row["slug"]: row["family"] for row in _rows("quantizations.json")}
    rows = [row for row in _rows("runtimes.json") if row["slug"] in RUNTIMES]
    runtimes = {row["slug"]: row["formats"] for row in rows}
    kv_types = {row["slug"]: [k for k in KV if k in row["kv_cache_types"]] or ["f16"] for row in rows}
    rng = random.Random(20261203)
    found: list[str] = []
    while len(found) < COUNT:
        model = models[len(found) % len(models)]
        rig = rng.choice(hardware)
        backend = BACKEND_BY_VENDOR.get(gpus[rig[0][0]]["vendor"], "vulkan")
        runtime = rng.choice([r for r, formats in sorted(runtimes.items()) if formats.get(backend)])
        quants = sorted(q for q, family in families.items() if family in runtimes[runtime][backend])
        contexts = [c for c in CONTEXTS if c <= (model.get("max_position_embeddings") or c)] or [2048]
        pairs = [("model", model["slug"]), ("quant", rng.choice(quants))]
        for slug, n in rig:
            pairs += [("gpu", slug), ("count", str(n))]
        pairs += [
            ("ctx", str(rng.choice(contexts))),
            ("runtime", runtime),
            ("kv", rng.choice(kv_types[runtime])),
        ]
        pairs += [("batch", str(rng.choice(BATCH)))]
        if ram := rng.choice(RAM):
            pairs.append(("ram_gb", str(ram)))
        query = urlencode(pairs)
        if query not in found:
            found.append(query)
    return found
