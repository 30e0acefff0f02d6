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
# The models and formats the questions are drawn from: the catalog as it was when the set was made, so
# that a model or format added later does not reshuffle every question (their rows are still read from
# the fixtures, so an edit to one of them shows in its answers).
MODELS = (
    "c4ai-command-r-v01",
    "codellama-34b-instruct",
    "codellama-7b",
    "deepseek-r1",
    "deepseek-r1-distill-llama-70b",
    "deepseek-r1-distill-llama-8b",
    "deepseek-r1-distill-qwen-14b",
    "deepseek-r1-distill-qwen-32b",
    "deepseek-v2-lite",
    "deepseek-v3",
    "deepseek-v3-2",
    "gemma-2-27b-it",
    "gemma-2-2b-it",
    "gemma-2-9b-it",
    "gemma-3-12b-it",
    "gemma-3-1b-it",
    "gemma-3-27b-it",
    "gemma-3-4b-it",
    "glm-5",
    "glm-5-1",
    "glm-5-2",
    "gpt-oss-120b",
    "gpt-oss-20b",
    "kimi-k2-5",
    "kimi-k2-instruct",
    "llama-2-7b",
    "llama-3-1-405b-instruct",
    "llama-3-1-70b",
    "llama-3-1-70b-instruct",
    "llama-3-1-8b",
    "llama-3-1-8b-instruct",
    "llama-3-2-1b-instruct",
    "llama-3-2-3b",
    "llama-3-2-3b-instruct",
    "llama-3-3-70b-instruct",
    "llama-3-70b-instruct",
    "llama-3-8b-instruct",
    "llama-4-maverick-17b-128e-instruct",
    "llama-4-scout-17b-16e-instruct",
    "magistral-small-2509",
    "mimo-7b-base",
    "minimax-m2-5",
    "minimax-m2-7",
    "minimax-m3",
    "mistral-7b-instruct-v0-3",
    "mistral-nemo-base-2407",
    "mistral-nemo-instruct-2407",
    "mistral-small-24b-instruct-2501",
    "mistral-small-3-1-24b-instruct-2503",
    "mixtral-8x22b-v0-1",
    "mixtral-8x7b-v0-1",
    "phi-3-5-mini-instruct",
    "phi-3-mini-4k-instruct",
    "phi-4",
    "phi-4-mini-instruct",
    "qwen2-5-0-5b-instruct",
    "qwen2-5-1-5b-instruct",
    "qwen2-5-14b",
    "qwen2-5-14b-instruct",
    "qwen2-5-32b",
    "qwen2-5-32b-instruct",
    "qwen2-5-3b",
    "qwen2-5-3b-instruct",
    "qwen2-5-72b-instruct",
    "qwen2-5-7b",
    "qwen2-5-7b-instruct",
    "qwen2-5-coder-32b-instruct",
    "qwen2-5-coder-7b-instruct",
    "qwen3-0-6b",
    "qwen3-1-7b",
    "qwen3-14b",
    "qwen3-235b-a22b",
    "qwen3-30b-a3b",
    "qwen3-32b",
    "qwen3-4b",
    "qwen3-8b",
    "qwen3-coder-480b-a35b-instruct",
    "qwen3-vl-235b-a22b-instruct",
    "qwen3-vl-2b-instruct",
    "qwen3-vl-30b-a3b-instruct",
    "qwen3-vl-32b-instruct",
    "qwen3-vl-32b-thinking",
    "qwen3-vl-4b-instruct",
    "qwen3-vl-8b-instruct",
    "qwq-32b",
    "step-3-7-flash",
    "yi-34b",
)
FORMATS = (
    "awq-4bit",
    "bf16",
    "bnb-int8",
    "bnb-nf4",
    "exl2-3-0bpw",
    "exl2-4-0bpw",
    "exl2-5-0bpw",
    "exl2-6-0bpw",
    "exl2-8-0bpw",
    "f16",
    "f32",
    "fp8",
    "gptq-4bit",
    "iq1_m",
    "iq1_s",
    "iq2_s",
    "iq2_xs",
    "iq2_xxs",
    "iq3_m",
    "iq3_s",
    "iq3_xxs",
    "iq4_nl",
    "iq4_xs",
    "mxfp4",
    "q2_k",
    "q3_k_l",
    "q3_k_m",
    "q3_k_s",
    "q4_0",
    "q4_1",
    "q4_k_m",
    "q4_k_s",
    "q5_0",
    "q5_1",
    "q5_k_m",
    "q5_k_s",
    "q6_k",
    "q8_0",
)


# Questions added by hand after the draw, where an engine change had no drawn question to show it: the Qwen3.5
# hybrid MoE models (added December 2026) and 16-bit weights on an Intel card (SYCL's BF16 mat-vec, the Vulkan
# family's 16-bit shares). Appended, so the drawn questions stay as they were.
ADDED = (
    "model=qwen3-5-35b-a3b&quant=q4_k_m&gpu=geforce-rtx-4090&count=1&ctx=32768&runtime=llama-cpp&kv=f16&batch=1",
    "model=qwen3-5-122b-a10b&quant=q4_k_m&gpu=geforce-rtx-3090&count=4&ctx=32768&runtime=llama-cpp&kv=q8_0&batch=1",
    "model=qwen3-5-122b-a10b&quant=fp8&gpu=h100-sxm5-80-gb&count=2&ctx=131072&runtime=vllm&kv=f16&batch=16",
    "model=qwen3-5-35b-a3b&quant=q4_k_m&gpu=apple-m4-max-128gb&count=1&ctx=8192&runtime=llama-cpp&kv=f16&batch=1",
    "model=qwen3-5-9b&quant=bf16&gpu=arc-pro-b70&count=1&ctx=8192&runtime=llama-cpp&kv=f16&batch=1",
    "model=llama-3-1-8b-instruct&quant=f16&gpu=arc-a770&count=1&ctx=4096&runtime=llama-cpp&kv=f16&batch=1",
)


def questions() -> list[str]:
    """COUNT query strings, the same on every run: only combinations that exist (a runtime that runs
    the format on the hardware's backend, a context the model reads), as a visitor would ask them."""
    gpus = {row["slug"]: row for row in _rows("gpus.json")}
    hardware = [h for h in HARDWARE if all(slug in gpus for slug, _ in h)]
    by_slug = {row["slug"]: row for row in _rows("llms.json")}
    models = [by_slug[slug] for slug in MODELS]
    families = {row["slug"]: row["family"] for row in _rows("quantizations.json") if row["slug"] in FORMATS}
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
        ram = rng.choice(RAM)  # drawn for every rig, so that the draws after it stay the same
        if ram and not all(gpus[slug].get("unified_memory") for slug, _ in rig):  # the form refuses it
            pairs.append(("ram_gb", str(ram)))
        query = urlencode(pairs)
        if query not in found:
            found.append(query)
    return found + [q for q in ADDED if q not in found]
