"""scripts/build_artifact_fixtures.py: fixtures/catalog/artifacts.json is the build of
fixtures/sources/model_artifacts.json, with each GGUF's layout (files per format, largest file, parts
pattern) and the variants flagged, all checked for shape. No database."""

import importlib.util
import json
from functools import cache

import pytest
from django.conf import settings

ROOT = settings.BASE_DIR


@cache
def builder():
    spec = importlib.util.spec_from_file_location(
        "build_artifacts", ROOT / "scripts" / "build_artifact_fixtures.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read(path):
    return json.loads(path.read_text(encoding="utf-8"))


def catalog():
    llms = read(ROOT / "fixtures" / "catalog" / "llms.json")
    families = {
        row["slug"]: row["family"] for row in read(ROOT / "fixtures" / "catalog" / "quantizations.json")
    }
    return llms, families


def build(entries):
    llms, families = catalog()
    moe = {row["slug"] for row in llms if (row.get("num_experts") or 0) > 1}
    return builder().build(entries, {row["slug"] for row in llms}, families, moe)


def entry(**fields):
    return {
        "model": "qwen2-5-7b-instruct",
        "kind": "gguf",
        "repo": "Qwen/Qwen2.5-7B-Instruct-GGUF",
        "tag": "qwen2.5-7b-instruct-{quant}.gguf",
        "formats": ["q3_k_m", "q4_k_m"],
        "publisher": "Qwen",
        "source": "https://huggingface.co/Qwen/Qwen2.5-7B-Instruct-GGUF",
        "checked": "2026-12-07",
        "note": "Official Qwen GGUF.",
        **fields,
    }


def test_the_fixture_is_the_build_of_its_sources(capsys):
    # rows written into the fixture by hand were lost by the next build (seven were, until their entries
    # went into the sources)
    rows = build(read(builder().SOURCES))
    rows = [dict(sorted(r.items())) for r in sorted(rows, key=lambda r: r["slug"])]
    assert rows == read(ROOT / "fixtures" / "catalog" / "artifacts.json")


def test_a_gguf_entry_carries_its_layout_into_the_fixture():
    (row,) = build([entry(files={"q3_k_m": 1, "q4_k_m": 2}, part_gb=4)])
    assert row["files"] == {"q3_k_m": 1, "q4_k_m": 2} and row["part_gb"] == 4 and row["parts_tag"] == ""
    assert row["variant"] is False


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"files": {"q8_0": 3}}, "Files counted for formats the artifact does not list: q8_0."),
        ({"files": {"q4_k_m": 0}}, 'Files are a count per format slug, 1 or more: {"q4_k_m": 2}.'),
        ({"part_gb": 600}, "The largest file is between 0 and 500 GB (the Hub's limit per file)."),
        ({"parts_tag": "{QUANT}/x.bin"}, "is not a GGUF file pattern"),
        (
            {"kind": "awq", "tag": None, "formats": ["awq-4bit"], "files": {"awq-4bit": 1}},
            "a awq artifact has no files",
        ),
        ({"variant": True}, "a variant, and only a variant, says so first in its note"),
        (
            {"note": "Variant, not the exact catalog checkpoint: the Instruct fine-tune."},
            "a variant, and only",
        ),
    ],
)
def test_a_malformed_layout_or_an_unflagged_variant_stops_the_build(fields, message):
    with pytest.raises(SystemExit) as stop:
        build([entry(**fields)])
    assert message in str(stop.value)


@pytest.mark.parametrize(
    ("model", "converted", "kept"),
    [
        ("mixtral-8x7b-instruct-v0-1", "2023-12", False),  # TheBloke's, with pull 4406: experts apart
        ("mixtral-8x7b-instruct-v0-1", "2024-05", True),  # after pull 6387 merged them
        ("mixtral-8x7b-instruct-v0-1", None, True),  # no date known: kept (the sources say when they know)
        ("llama-3-1-8b-instruct", "2023-12", True),  # a dense model has no experts to merge
    ],
)
def test_a_mixture_of_experts_gguf_converted_before_llama_cpp_merged_its_experts_is_left_out(
    model, converted, kept
):
    mixtral = entry(
        model=model,
        repo="TheBloke/Mixtral-8x7B-Instruct-v0.1-GGUF",
        tag="mixtral-8x7b-instruct-v0.1.{QUANT}.gguf",
        formats=["q4_k_m"],
        converted=converted,
    )
    assert bool(build([mixtral])) is kept


def test_no_gguf_of_mixtral_8x7b_llama_cpp_refuses_is_in_the_fixture():
    rows = read(ROOT / "fixtures" / "catalog" / "artifacts.json")
    assert not [r for r in rows if r["kind"] == "gguf" and r["repo"].startswith("TheBloke/Mixtral")]
