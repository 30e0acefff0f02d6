"""Every figure the catalog ships says where it comes from in a way a visitor can check: each fixture row's
`source` (or a price's `source_url`) cites a public http(s) page, and nothing cites a path of ours
(../shared/reference, fixtures/sources) or a `github:owner/repo` shorthand that only we can resolve."""

import json
import re
from pathlib import Path

import pytest

from glossary.sources import NON_PUBLIC, URL

CATALOG = Path(__file__).resolve().parents[2] / "fixtures" / "catalog"
# "fixtures/" as a path of ours, not inside a URL (another project's tests/fixtures/... is public)
OURS = re.compile(rf"{NON_PUBLIC.pattern}|(?<![\w./-])fixtures/")
# diffusion_models.json is another change's to fix; every other catalog file is checked.
FILES = sorted(p.name for p in CATALOG.glob("*.json") if p.name != "diffusion_models.json")
CITED = ("source", "source_url", "note", "notes")


def rows(name: str) -> list[dict]:
    return json.loads((CATALOG / name).read_text(encoding="utf-8"))


def test_a_path_of_ours_and_a_row_without_a_url_are_caught():
    assert OURS.search("shared/reference/models.json meta-llama/Llama-3.1-8B")
    assert OURS.search("Launch price $329 (fixtures/sources/gpu_launch_prices.json).")
    assert OURS.search("github:ggml-org/llama.cpp@03161a4:tools/quantize/quantize.cpp")
    assert not OURS.search("https://github.com/ggml-org/llama.cpp/blob/03161a4/tools/quantize/quantize.cpp")
    assert not OURS.search(
        "https://github.com/vllm-project/vllm-spyre/blob/fc6b54b/tests/fixtures/model_configs/x"
    )
    assert not URL.search("TechPowerUp GPU database")


@pytest.mark.parametrize("name", FILES)
def test_no_fixture_cites_a_path_of_ours(name):
    cited = [
        (row["slug"], key) for row in rows(name) for key in CITED if OURS.search(str(row.get(key) or ""))
    ]
    assert cited == []


@pytest.mark.parametrize("name", FILES)
def test_every_fixture_source_cites_a_public_page(name):
    for row in rows(name):
        source = row.get("source_url") or row.get("source")
        if source is not None:
            assert URL.search(source), f"{name} {row['slug']}: {source[:120]}"


def test_every_price_quotes_its_dated_public_source():
    for price in rows("prices.json"):
        assert price["source_url"].startswith("https://"), price["slug"]
        assert price["source_url"] in price["note"], price["slug"]  # the note quotes the page it names
        # only a launch price may be undated: a street price is a sighting on a day
        assert price["date"] or price["condition"] == "new", price["slug"]
