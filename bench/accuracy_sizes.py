"""bench/accuracy.py's last check: GGUF file sizes against memory.weights_bytes (unchanged by any fit)."""

import json
import statistics

import speed_rows
from accuracy_crossval import pct

from estimator import ModelSpec, QuantSpec
from estimator.memory import weights_bytes
from estimator.units import GB, GIB

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
        q = QuantSpec(slug=quant.lower(), name=quant, bits_per_weight=bits, catalog_width=True)
        measured = row["value"] * (GIB if row["unit"] == "GiB" else GB)
        out.append((f"{name} {quant}", weights_bytes(model, q), measured, independent))
    return out


def printed_size_rows() -> list[tuple[str, float, float, bool]]:
    """The file sizes the speed rows' sources printed (llama-bench's `size`), for catalog models at catalog
    formats: (label, estimated bytes at the format's catalog width, printed bytes, MoE), one row per distinct
    (model, format, size). Unsloth's and other hand-made mixes print under the stock names, so a few rows are
    other files than the recipe's."""
    quants = speed_rows.catalog_quants()
    seen: dict[tuple[str, str, float], tuple[str, float, float, bool]] = {}
    for m in speed_rows.load().rows:
        size = (m.record or {}).get("size_gib")
        if not size or m.shape != "catalog" or m.quant.slug not in quants:
            continue
        key = (m.model.slug, m.quant.slug, round(size, 2))
        if key not in seen:
            est = weights_bytes(m.model, quants[m.quant.slug])
            seen[key] = (f"{m.model.slug} {m.quant.name} ({size:g} GiB)", est, size * GIB, m.model.is_moe)
    return sorted(seen.values())


def _summary(title: str, rows: list) -> None:
    abs_err = [abs(est / m - 1) for _, est, m, _ in rows]
    print(
        f"sizes ({title}): n={len(rows)}  median |error| {statistics.median(abs_err):.1%}  "
        f"p90 |error| {pct(abs_err, 0.9):.1%}  max {max(abs_err):.1%}"
    )


def print_sizes() -> None:
    print("\n== GGUF file sizes: estimate vs measured")
    sizes = size_rows()
    for title, subset in (("all", sizes), ("independent", [s for s in sizes if s[3]])):
        _summary(title, subset)
    printed = printed_size_rows()
    for title, moe in (("printed by llama-bench, dense", False), ("printed by llama-bench, MoE", True)):
        _summary(title, [r for r in printed if r[3] == moe])
