"""Build fixtures/catalog/artifacts.json from fixtures/sources/model_artifacts.json.

The sources file lists, for each catalog LLM, the published repositories and tags a public page shows
to exist (fixtures/sources/model_artifacts.md says how they were checked). This script keeps every
entry as is, checks its shape (catalog/artifacts.py: repository syntax per kind, tag pattern, formats
that the catalog has and that the kind can hold) and that its model is in the catalog, gives it a
stable slug, and writes the fixture `manage.py load_catalog` loads. A problem stops the build.

MLX entries name their bits in `tag` (4bit, 8bit); where the catalog has an MLX format of that width
(`mlx-4bit`...), the entry provides it. Nothing else is added to what the sources say.

A GGUF entry may say how its formats are laid out (`files`, `part_gb`, `parts_tag`: estimator/artifacts.py
in_parts), and an entry of another checkpoint than the model's (its Instruct fine-tune) says `variant`:
such an entry's note starts with "Variant", and the launch commands never name it.

One kind of entry is left out: a GGUF of a mixture of experts converted before llama.cpp stored a layer's
experts as one tensor (`ffn_*_exps`, pull 6387, merged in April 2024). Those files hold each expert apart
(`blk.N.ffn_gate.E.weight`), and llama.cpp no longer reads them: loading stops with "missing tensor
'blk.0.ffn_down_exps.weight'" (ggml-org/llama.cpp issue 10244, bisected to c5b0f4b5; the same in Ollama,
issue 8147, and LM Studio, lmstudio-bug-tracker issue 1147). Such an entry says when it was `converted`
(YYYY-MM, from the repository's own card); the build prints it and leaves it out.

    python scripts/build_artifact_fixtures.py
"""

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from catalog import artifacts as shape  # noqa: E402  (plain Python: no Django needed)

SOURCES = ROOT / "fixtures" / "sources" / "model_artifacts.json"
CATALOG = ROOT / "fixtures" / "catalog"
# The month llama.cpp's pull 6387 merged a layer's experts into one tensor: a mixture of experts' GGUF
# converted before it no longer loads (module docstring).
MERGED_EXPERTS = "2024-04"


def slug_of(*parts: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", " ".join(parts).lower()).strip("-")[:190]


def mlx_formats(tag: str | None, families: dict[str, str]) -> list[str]:
    """The catalog's MLX format of an MLX entry's width (4bit -> mlx-4bit), if the catalog has one."""
    slug = f"mlx-{tag}" if tag else ""
    return [slug] if families.get(slug) == "mlx" else []


def unloadable(entry: dict, moe: set[str]) -> bool:
    """A GGUF of a mixture of experts converted before llama.cpp merged a layer's experts (MERGED_EXPERTS),
    which current llama.cpp, Ollama and LM Studio refuse to load."""
    converted = entry.get("converted") or ""
    return (
        entry.get("kind") == "gguf"
        and entry.get("model") in moe
        and bool(converted)
        and converted < MERGED_EXPERTS
    )


def build(
    sources: list[dict], llms: set[str], families: dict[str, str], moe: set[str] = frozenset()
) -> list[dict]:
    """The fixture's rows from the sources' entries; `moe` names the catalog LLMs that are mixtures of
    experts (a GGUF of one converted before llama.cpp merged its experts is left out)."""
    rows, problems = [], []
    for entry in sources:
        where = f"{entry.get('model')} {entry.get('kind')} {entry.get('repo')}"
        if unloadable(entry, moe):
            print(f"left out, converted {entry['converted']}, before llama.cpp merged the experts: {where}")
            continue
        formats = list(entry.get("formats") or [])
        if entry["kind"] == "mlx":
            formats += [f for f in mlx_formats(entry.get("tag"), families) if f not in formats]
        row = {
            # an entry loaded once under another slug keeps it: a slug is the row's identity in the database
            "slug": entry.get("slug")
            or slug_of(entry["model"], entry["kind"], entry["repo"], entry.get("tag") or ""),
            "llm": entry["model"],
            "kind": entry["kind"],
            "repo": entry["repo"],
            "tag": entry.get("tag") or "",
            "formats": formats,
            "files": dict(entry.get("files") or {}),
            "part_gb": entry.get("part_gb"),
            "parts_tag": entry.get("parts_tag") or "",
            "variant": bool(entry.get("variant")),
            "publisher": entry.get("publisher") or "",
            "source_url": entry["source"],
            "checked": entry.get("checked"),
            "note": entry.get("note") or "",
        }
        if row["llm"] not in llms:
            problems.append(f"{where}: no such catalog LLM")
        if not row["source_url"].startswith("https://"):
            problems.append(f"{where}: the source is not an https:// page")
        found = shape.problems(
            kind=row["kind"],
            repo=row["repo"],
            tag=row["tag"],
            formats=row["formats"],
            families=families,
            files=row["files"],
            part_gb=row["part_gb"],
            parts_tag=row["parts_tag"],
        )
        problems += [f"{where}: {message}" for messages in found.values() for message in messages]
        if row["variant"] != row["note"].startswith("Variant"):
            problems.append(f"{where}: a variant, and only a variant, says so first in its note")
        rows.append(row)
    slugs = [r["slug"] for r in rows]
    problems += [f"duplicate slug {s}" for s in sorted({s for s in slugs if slugs.count(s) > 1})]
    if problems:
        raise SystemExit("\n".join(problems))
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=Path, default=SOURCES)
    parser.add_argument("--catalog", type=Path, default=CATALOG, help="fixtures/catalog: read and written")
    args = parser.parse_args(argv)

    def read(path: Path):
        return json.loads(path.read_text(encoding="utf-8"))

    catalog_llms = read(args.catalog / "llms.json")
    llms = {row["slug"] for row in catalog_llms}
    moe = {row["slug"] for row in catalog_llms if (row.get("num_experts") or 0) > 1}
    families = {row["slug"]: row["family"] for row in read(args.catalog / "quantizations.json")}
    rows = build(read(args.sources), llms, families, moe)
    rows = [dict(sorted(r.items())) for r in sorted(rows, key=lambda r: r["slug"])]
    out = args.catalog / "artifacts.json"
    out.write_text(json.dumps(rows, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{out}: {len(rows)} artifacts of {len({r['llm'] for r in rows})} models")


if __name__ == "__main__":
    main()
