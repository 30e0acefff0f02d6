"""export_catalog / import_catalog: the shipped catalog round-trips byte for byte; bad files are refused."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from catalog.export import catalog_models
from catalog.models import Gpu, Measurement, Quantization
from tests.conftest import make_gpu, make_llm, make_quant

pytestmark = pytest.mark.django_db


def export() -> str:
    out = io.StringIO()
    call_command("export_catalog", stdout=out)
    return out.getvalue()


def run_import(path, *args) -> str:
    out = io.StringIO()
    call_command("import_catalog", str(path), *args, stdout=out)
    return out.getvalue()


def flush_catalog():
    for model in reversed(catalog_models()):
        model.objects.all().delete()


def test_catalog_models_are_every_concrete_catalog_model_but_history():
    labels = [m._meta.label_lower for m in catalog_models()]
    assert {"catalog.gpu", "catalog.llmmodel", "catalog.quantization", "catalog.diffusionmodel"} <= set(
        labels
    )
    assert not any("historical" in label for label in labels)


def test_shipped_catalog_round_trips_byte_for_byte(catalog, tmp_path):
    first = export()
    document = json.loads(first)
    assert [s["model"] for s in document["models"]] == [m._meta.label_lower for m in catalog_models()]
    gpus = next(s["rows"] for s in document["models"] if s["model"] == "catalog.gpu")
    assert [r["slug"] for r in gpus] == sorted(r["slug"] for r in gpus)
    assert {"admin_edited_fields", "listed", "release_date", "launch_price_usd"} <= set(gpus[0])
    assert "id" not in gpus[0] and "search_key" not in gpus[0]
    slugs = {s["model"]: {r["slug"] for r in s["rows"]} for s in document["models"]}
    for model in catalog_models():  # foreign keys: slugs of rows exported earlier in the file
        label = model._meta.label_lower
        for field in (f for f in model._meta.concrete_fields if f.is_relation):
            target = field.related_model._meta.label_lower
            assert list(slugs).index(target) < list(slugs).index(label)
            rows = next(s["rows"] for s in document["models"] if s["model"] == label)
            assert {r[field.name] for r in rows} - {None} <= slugs[target]
    path = tmp_path / "catalog.json"
    path.write_text(first, encoding="utf-8")

    flush_catalog()
    assert not Gpu.objects.exists()
    report = run_import(path)

    assert export() == first
    assert f"{len(gpus)} created, 0 updated, 0 unchanged" in report
    assert Gpu.objects.get(slug=gpus[0]["slug"]).search_key  # recomputed, not imported


def test_importing_the_same_file_twice_changes_nothing(catalog, tmp_path):
    path = tmp_path / "catalog.json"
    path.write_text(export(), encoding="utf-8")
    history = Gpu.history.count()

    report = run_import(path)

    assert " 0 created, 0 updated" in report and "1 updated" not in report
    assert all(" 0 created, 0 updated, " in line for line in report.splitlines())
    assert Gpu.history.count() == history


def test_import_keeps_dates_decimals_and_admin_edits(db, tmp_path):
    make_gpu(launch_price_usd="1499.00", release_date="2020-09-24", admin_edited_fields=["bandwidth_gb_s"])
    path = tmp_path / "catalog.json"
    path.write_text(export(), encoding="utf-8")
    row = json.loads(path.read_text())["models"]
    gpu_row = next(s for s in row if s["model"] == "catalog.gpu")["rows"][0]
    assert gpu_row["launch_price_usd"] == "1499.00" and gpu_row["release_date"] == "2020-09-24"

    Gpu.objects.all().delete()
    run_import(path)

    gpu = Gpu.objects.get()
    assert str(gpu.launch_price_usd) == "1499.00" and gpu.release_date.isoformat() == "2020-09-24"
    assert gpu.admin_edited_fields == ["bandwidth_gb_s"]


def test_dry_run_reports_changes_and_saves_nothing(db, tmp_path):
    make_gpu()
    document = json.loads(export())
    gpus = next(s for s in document["models"] if s["model"] == "catalog.gpu")
    gpus["rows"][0]["bandwidth_gb_s"] = 1000.0
    gpus["rows"].append({**gpus["rows"][0], "slug": "geforce-rtx-3090-ti", "name": "GeForce RTX 3090 Ti"})
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(document), encoding="utf-8")

    report = run_import(path, "--dry-run")

    assert "1 created, 1 updated, 0 unchanged" in report
    assert "~ geforce-rtx-3090.bandwidth_gb_s: 936.2 -> 1000.0" in report
    assert "+ geforce-rtx-3090-ti" in report and "nothing was saved" in report
    assert list(Gpu.objects.values_list("slug", "bandwidth_gb_s")) == [("geforce-rtx-3090", 936.2)]

    run_import(path)
    assert Gpu.objects.get(slug="geforce-rtx-3090").bandwidth_gb_s == 1000.0
    assert (
        Gpu.history.filter(slug="geforce-rtx-3090").first().history_change_reason
        == "import_catalog edited.json"
    )


def test_foreign_keys_resolve_whatever_the_order_of_the_file(db, tmp_path):
    measurement = Measurement.objects.create(
        slug="llama-8b-q4-3090-tg128",
        gpu=make_gpu(),
        llm=make_llm(),
        quantization=make_quant(),
        backend="cuda",
        metric="decode_tok_s",
        value=158.2,
        source="test",
    )
    document = json.loads(export())
    document["models"].reverse()  # measurements before the rows they name
    path = tmp_path / "reversed.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    flush_catalog()

    run_import(path, "--dry-run")
    assert not Measurement.objects.exists()
    run_import(path)

    imported = Measurement.objects.get()
    assert (imported.gpu.slug, imported.llm.slug, imported.value) == (
        "geforce-rtx-3090",
        measurement.llm.slug,
        158.2,
    )


def test_rows_missing_from_the_file_are_kept_and_counted(db, tmp_path):
    make_gpu()
    path = tmp_path / "catalog.json"
    path.write_text(export(), encoding="utf-8")
    make_gpu(slug="other-gpu", name="Other")

    report = run_import(path)

    assert "1 not in the file (kept)" in report
    assert Gpu.objects.count() == 2


def valid_document(**gpu_changes) -> dict:
    row = {"slug": "x", "name": "X", "vendor": "nvidia", "memory_bytes": 1 << 30, "bandwidth_gb_s": 100.0}
    return {
        "format": "will-it-run-catalog",
        "version": 1,
        "models": [{"model": "catalog.gpu", "rows": [row | gpu_changes]}],
    }


def same_name_twice() -> dict:
    """Two GPUs of one vendor named alike (case aside): valid rows, which only the database refuses."""
    document = valid_document()
    rows = document["models"][0]["rows"]
    rows.append(rows[0] | {"slug": "x-2", "name": "x"})
    return document


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "Not JSON: Expecting property name"),
        ("[]", "Not a catalog export"),
        (json.dumps({**valid_document(), "version": 99}), "Unsupported version 99"),
        (json.dumps({**valid_document(), "models": {}}), '"models" must be a list'),
        (json.dumps({**valid_document(), "models": [{"model": "catalog.nope", "rows": []}]}), "Unknown"),
        (json.dumps({**valid_document(), "models": [{"model": "catalog.gpu", "rows": 3}]}), "rows"),
        (json.dumps({**valid_document(), "models": valid_document()["models"] * 2}), "appears twice"),
        (json.dumps(valid_document(slug=None)), "catalog.gpu row 1: no slug"),
        (json.dumps(valid_document(colour="red")), "catalog.gpu x: unknown field(s) colour"),
        (json.dumps(valid_document(bandwidth_gb_s="fast")), "catalog.gpu x: bandwidth_gb_s:"),
        (
            json.dumps(valid_document(vendor="acme")),
            "catalog.gpu: vendor: Value 'acme' is not a valid choice",
        ),
        (
            json.dumps(valid_document(bandwidth_gb_s=-1.0)),
            "catalog.gpu: bandwidth_gb_s: Input should be greater",
        ),
        (json.dumps(same_name_twice()), "catalog.gpu: the database refused a row"),
    ],
)
def test_malformed_files_give_a_clear_error_not_a_traceback(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(CommandError) as excinfo:
        run_import(path)

    assert str(excinfo.value).startswith(f"{path}: ")
    assert message in str(excinfo.value)
    assert not Gpu.objects.exists()


def test_a_bad_row_rolls_back_the_rows_before_it(tmp_path):
    Quantization.objects.create(slug="q8_0", name="Q8_0", family="gguf", bits_per_weight=8.5)
    document = same_name_twice()
    quants = {"model": "catalog.quantization", "rows": [{"slug": "q8_0", "bits_per_weight": 9.0}]}
    document["models"].insert(0, quants)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document), encoding="utf-8")

    with pytest.raises(CommandError, match="gpu_name_unique_per_vendor"):
        run_import(path)

    assert Quantization.objects.get().bits_per_weight == 8.5


def test_missing_file_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        run_import(tmp_path / "absent.json")


def test_export_writes_a_file(db, tmp_path):
    make_gpu()
    path = tmp_path / "out.json"
    call_command("export_catalog", "-o", str(path), stderr=io.StringIO())
    assert path.read_text(encoding="utf-8") == export()
