"""scripts/build_measurement_fixtures.py: the bench's published measurements as catalog rows (issue 14: a
measurement that matches the question is shown beside the estimate)."""

import importlib.util
import json
from functools import cache

import pytest
from django.conf import settings

ROOT = settings.BASE_DIR
FIXTURE = ROOT / "fixtures" / "catalog" / "measurements.json"


@cache
def builder():
    spec = importlib.util.spec_from_file_location(
        "build_measurements", ROOT / "scripts" / "build_measurement_fixtures.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    calibration = module.speed_rows.CALIBRATION  # the shared reference the bench's loaders read
    if not calibration.exists():
        pytest.skip(f"calibration data not here: {calibration}")
    return module


@cache
def built() -> tuple[list[dict], dict, dict]:
    rows, skipped, _, bench_skipped = builder().build(builder().FIXTURES)
    return rows, skipped, bench_skipped


def rows_where(**fields) -> list[dict]:
    return [r for r in built()[0] if all(r[k] == v for k, v in fields.items())]


def test_a_public_strix_halo_row_maps_to_the_catalog_with_its_own_source():
    # kyuz0/amd-strix-halo-toolboxes: gpt-oss 20B MXFP4 MoE, Vulkan (RADV), pp512 1692.49 ± 16.61
    source = (
        "https://github.com/kyuz0/amd-strix-halo-toolboxes/blob/08aa7bc026cb730fbf70a414b0fa5ca802fb72f5/"
        "benchmark/results/gpt-oss-20b-mxfp4__vulkan_radv__fa1.log"
    )
    [row] = rows_where(source=source, test="pp512")
    assert row["gpu"] == "amd-ryzen-ai-max-395-128gb"  # "AMD Radeon 8060S Graphics", speed_devices.json
    assert (row["llm"], row["quantization"], row["backend"]) == ("gpt-oss-20b", "mxfp4", "vulkan")
    assert (row["metric"], row["value"], row["gpu_count"], row["split_mode"]) == (
        "prefill_tok_s",
        1692.49,
        1,
        "none",
    )
    assert (row["runtime_build"], row["date"], row["source_quality"]) == (
        "0253fb21f (9187)",
        "2026-05-18",
        "primary",
    )


def test_a_llama_3_row_on_two_3090s_keeps_its_split_and_links_the_notebook():
    [row] = rows_where(
        llm="llama-3-8b-instruct", quantization="q4_k_m", gpu="geforce-rtx-3090", gpu_count=2, test="tg512"
    )
    assert (row["value"], row["split_mode"], row["backend"]) == (111.67, "layer", "cuda")
    # the reference's "github:owner/repo@commit:path" becomes a page a visitor can open
    assert row["source"] == (
        "https://github.com/XiongjieDai/GPU-Benchmarks-on-LLM-Inference/blob/"
        "aa72e0ec86c356c41f8281c9733e9a13c3675800/LLaMA%203/Gaming%20GPUs/3090_2_v3.ipynb"
    )


def test_a_decode_test_at_depth_stores_its_context():
    rows = [r for r in built()[0] if r["test"].startswith("tg") and "@d" in r["test"]]
    assert rows and all(r["context_tokens"] == int(r["test"].split("@d")[1]) for r in rows)


def test_another_release_on_a_catalog_shape_is_left_out():
    # kyuz0's "qwen35 27B" is Qwen3.6-27B: the bench runs it on Qwen3.5 27B's shape, but it is not that model
    source = (
        "https://github.com/kyuz0/amd-strix-halo-toolboxes/blob/08aa7bc026cb730fbf70a414b0fa5ca802fb72f5/"
        "benchmark/results/Qwen3.6-27B-UD-Q8_K_XL__vulkan_radv__fa1.log"
    )
    assert not rows_where(source=source)
    assert built()[1]["another release on a catalog model's shape: not that model's measurement"] > 0


def test_a_model_with_a_borrowed_shape_is_left_out():
    # kyuz0's gemma4 31B borrows Gemma 3 27B's layers in the bench: not a catalog model
    assert built()[1]["borrowed layer shape: a model the catalog lacks"] > 0
    assert not [r for r in built()[0] if "gemma4" in r["notes"] or "gemma-4" in r["source"].lower()]


def test_what_the_bench_leaves_out_stays_out():
    _, _, bench_skipped = built()
    assert bench_skipped["backend CPU"] > 0
    assert all(r["backend"] != "cpu" for r in built()[0])
    # lhl's Strix Halo prompt rows of a superseded build (speed_rows.SUPERSEDED_PREFILL)
    assert not [
        r
        for r in built()[0]
        if r["source"].startswith("https://github.com/lhl/strix-halo-testing/")
        and r["metric"] == "prefill_tok_s"
    ]


def test_every_row_links_a_page_and_the_slugs_are_unique_and_sorted():
    rows = built()[0]
    assert all(r["source"].startswith("https://") for r in rows)
    slugs = [r["slug"] for r in rows]
    assert slugs == sorted(set(slugs))


def test_the_fixture_holds_the_builders_rows():
    # every row the bench scores reaches the page: a data pass that adds rows to bench/data rebuilds the fixture
    # (scripts/build_measurement_fixtures.py), and a row the fixture holds is the builder's row, byte for byte
    fixture = {r["slug"]: r for r in json.loads(FIXTURE.read_text(encoding="utf-8"))}
    rows = {r["slug"]: r for r in built()[0]}
    assert len(fixture) > 900
    assert sorted(set(rows) - set(fixture)) == [], "run scripts/build_measurement_fixtures.py"
    assert [s for s in fixture if s in rows and fixture[s] != rows[s]] == []
