"""Bulk editing in the admin: CSV/XLSX import previewed and confirmed with a reason, export of a table
or of the selected rows."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
import tablib
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Q

from catalog import admin_concurrency
from catalog.admin_bulk import GpuResource, LlmResource, QuantizationResource
from catalog.cache import catalog_version
from catalog.models import Gpu, Measurement, Price
from tests.conftest import GIB, make_gpu, make_llm, make_quant

pytestmark = pytest.mark.django_db
CSV_FORMAT, XLSX_FORMAT = "0", "1"  # the admin's import_formats / export_formats order
REASON = "Prices of 2025-06-01, from the shops' pages"


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser("editor", "editor@example.com", "pw-for-tests")
    client.force_login(user)
    return user


def csv_file(rows: list[dict], name="rows.csv") -> SimpleUploadedFile:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return SimpleUploadedFile(name, out.getvalue().encode(), content_type="text/csv")


def preview(client, model: str, upload, reason=REASON, fmt=CSV_FORMAT):
    data = {"resource": "0", "format": fmt, "import_file": upload, "change_reason": reason}
    page = "import-file" if model == "llmmodel" else "import"  # an LLM's import/ reads a config.json
    return client.post(f"/admin/catalog/{model}/{page}/", data)


def confirm(client, model: str, response):
    form = response.context["confirm_form"]
    data = {name: form.initial.get(name, "") for name in form.fields}
    return client.post(f"/admin/catalog/{model}/process_import/", data)


def export(client, model: str, fmt=CSV_FORMAT, items=None) -> bytes:
    """The admin's export (of `items`, the selected pks, or of the whole table), every column ticked."""
    if items is None:
        form = client.get(f"/admin/catalog/{model}/export/").context["form"]
    else:
        action = {"action": "export_admin_action", "_selected_action": items, "index": 0}
        form = client.post(f"/admin/catalog/{model}/", action).context["form"]
    data = {"resource": "0", "format": fmt, "export_items": items or []}
    data |= {
        name: "on" for name, field in form.fields.items() if getattr(field, "is_selectable_field", False)
    }
    response = client.post(f"/admin/catalog/{model}/export/", data)
    assert response.status_code == 200, response.content[:2000]
    return response.content


def make_prices(n: int) -> list[Price]:
    prices = []
    for i in range(n):
        gpu = make_gpu(slug=f"card-{i:02d}", name=f"Card {i:02d}")
        prices.append(
            Price.objects.create(
                gpu=gpu,
                amount=Decimal("1000.00"),
                date=datetime.date(2025, 1, 1),
                source_url="https://example.com/a",
            )
        )
    return prices


# ---- prices: 50 at once, previewed, confirmed, with a reason ---------------------------------------


def test_fifty_prices_are_updated_from_a_csv_after_a_preview(client, staff):
    make_prices(50)
    rows = list(csv.DictReader(io.StringIO(export(client, "price").decode())))
    assert len(rows) == 50 and rows[0]["amount"] == "1000.00"
    for i, row in enumerate(rows):
        row["amount"] = str(900 + i)
    version = catalog_version()

    response = preview(client, "price", csv_file(rows))
    assert response.status_code == 200
    result = response.context["result"]
    assert not result.has_errors() and not result.has_validation_errors()
    assert result.totals["update"] == 50
    assert "Confirm import" in response.content.decode()
    assert not Price.objects.exclude(amount=Decimal("1000.00")).exists()  # nothing written by the preview

    response = confirm(client, "price", response)
    assert response.status_code == 302
    assert sorted(Price.objects.values_list("amount", flat=True)) == [Decimal(900 + i) for i in range(50)]
    latest = [p.history.first() for p in Price.objects.all()]
    assert {(r.history_change_reason, r.history_user, r.history_type) for r in latest} == {
        (REASON, staff, "~")
    }
    assert catalog_version() > version


def test_unchanged_rows_are_skipped_and_new_rows_added(client, staff):
    (price,) = make_prices(1)
    rows = [
        {
            "slug": price.slug,
            "gpu": "card-00",
            "condition": "new",
            "region": "US",
            "amount": "1000.00",
            "currency": "USD",
            "date": "2025-01-01",
            "source_url": "https://example.com/a",
            "note": "",
        },
        {
            "slug": "",
            "gpu": "card-00",
            "condition": "used",
            "region": "DE",
            "amount": "650",
            "currency": "EUR",
            "date": "2025-06-01",
            "source_url": "https://example.com/b",
            "note": "",
        },
    ]
    response = preview(client, "price", csv_file(rows))
    totals = response.context["result"].totals
    assert (totals["skip"], totals["new"], totals["update"]) == (1, 1, 0)
    confirm(client, "price", response)
    used = Price.objects.get(condition="used")
    assert (used.amount, used.currency, used.region) == (Decimal("650"), "EUR", "DE")
    assert price.history.count() == 1  # the unchanged row was not written


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"amount": "-1"}, "greater than or equal to 0"),
        ({"amount": "lots"}, "is not a number"),
        ({"gpu": "no-such-gpu"}, "No GPU has the slug “no-such-gpu”"),
        ({"currency": "dollars"}, "ISO 4217"),
        ({"date": "yesterday"}, "date"),
        ({"source_url": "not a url"}, "valid URL"),
    ],
)
def test_nonsense_is_refused_row_by_row_and_nothing_is_saved(client, staff, change, message):
    (price,) = make_prices(1)
    good = {
        "slug": "",
        "gpu": "card-00",
        "condition": "new",
        "region": "US",
        "amount": "999",
        "currency": "USD",
        "date": "2025-06-01",
        "source_url": "https://example.com/c",
        "note": "",
    }
    response = preview(client, "price", csv_file([good, good | {"slug": "bad-row"} | change]))
    assert response.status_code == 200
    result = response.context["result"]
    assert result.has_validation_errors()
    (invalid,) = result.invalid_rows
    assert invalid.number == 2
    assert message in str(invalid.error_dict), invalid.error_dict
    assert response.context.get("confirm_form") is None
    assert list(Price.objects.all()) == [price]


def test_an_import_needs_a_reason(client, staff):
    make_prices(1)
    response = preview(client, "price", csv_file([{"slug": "x", "gpu": "card-00"}]), reason="")
    assert response.status_code == 200
    assert "change_reason" in response.context["form"].errors
    assert response.context.get("result") is None


def test_prices_round_trip_through_xlsx(client, staff):
    make_prices(2)
    book = tablib.Dataset().load(export(client, "price", fmt=XLSX_FORMAT), format="xlsx")
    edited = tablib.Dataset(headers=book.headers)
    for row in book.dict:
        edited.append([1234.5 if h == "amount" else row[h] for h in book.headers])
    upload = SimpleUploadedFile("prices.xlsx", edited.export("xlsx"))
    response = confirm(client, "price", preview(client, "price", upload, fmt=XLSX_FORMAT))
    assert response.status_code == 302
    assert set(Price.objects.values_list("amount", flat=True)) == {Decimal("1234.50")}


# ---- GPUs and measurements ------------------------------------------------------------------------


def test_gpus_are_exported_with_memory_in_gib_and_only_the_selected_ones(client, staff):
    make_gpu()
    other = make_gpu(slug="l4", name="L4", memory_bytes=24 * GIB - 2**20)
    rows = list(csv.DictReader(io.StringIO(export(client, "gpu", items=[other.pk]).decode())))
    assert [(r["slug"], r["memory_gib"]) for r in rows] == [("l4", "23.9990234375")]


def test_a_gpu_file_adds_a_card_in_gib_and_refuses_an_impossible_one(client, staff):
    new = {
        "slug": "geforce-rtx-5090",
        "name": "GeForce RTX 5090",
        "vendor": "nvidia",
        "form_factor": "desktop",
        "memory_gib": "32",
        "bandwidth_gb_s": "1792",
        "listed": "1",
    }
    response = preview(
        client, "gpu", csv_file([new, new | {"slug": "huge", "name": "Huge", "bandwidth_gb_s": "1e30"}])
    )
    (invalid,) = response.context["result"].invalid_rows
    assert "bandwidth_gb_s" in invalid.error_dict
    response = confirm(client, "gpu", preview(client, "gpu", csv_file([new])))
    assert response.status_code == 302
    gpu = Gpu.objects.get(slug="geforce-rtx-5090")
    assert gpu.memory_bytes == 32 * GIB and gpu.listed
    assert gpu.history.get().history_change_reason == REASON


def test_an_imported_change_to_a_gpu_is_remembered_as_an_edit(client, staff):
    make_gpu()
    row = {"slug": "geforce-rtx-3090", "bandwidth_gb_s": "900"}
    confirm(client, "gpu", preview(client, "gpu", csv_file([row])))
    gpu = Gpu.objects.get()
    assert gpu.bandwidth_gb_s == 900 and gpu.memory_bytes == 24 * GIB  # columns not in the file are kept
    assert gpu.admin_edited_fields == ["bandwidth_gb_s"]


def test_measurements_are_imported_by_slug_with_their_provenance(client, staff):
    make_gpu(), make_llm(), make_quant()
    row = {
        "slug": "llama-8b-q4-3090-tg128-mine",
        "llm": "llama-3-1-8b-instruct",
        "quantization": "q4_k_m",
        "gpu": "geforce-rtx-3090",
        "gpu_count": "1",
        "runtime": "llama.cpp",
        "backend": "cuda",
        "metric": "decode_tok_s",
        "test": "tg128",
        "value": "118.5",
        "date": "2025-05-01",
        "runtime_build": "b5200",
        "flags": "-ngl 99 -fa 1",
        "source": "https://example.com/bench",
        "source_quality": "primary",
    }
    response = preview(client, "measurement", csv_file([row, row | {"slug": "other", "llm": "nope"}]))
    (invalid,) = response.context["result"].invalid_rows
    assert "No LLM has the slug “nope”" in str(invalid.error_dict)
    confirm(client, "measurement", preview(client, "measurement", csv_file([row])))
    measurement = Measurement.objects.get()
    assert (measurement.value, measurement.runtime_build, measurement.date) == (
        118.5,
        "b5200",
        datetime.date(2025, 5, 1),
    )


def test_non_staff_cannot_import_or_export(client):
    user = get_user_model().objects.create_user("visitor", password="pw-for-tests")
    client.force_login(user)
    for url in ("/admin/catalog/price/import/", "/admin/catalog/gpu/export/"):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


# ---- every field a GPU's answers read, both ways -------------------------------------------------


def rows_of(queryset) -> dict[str, dict]:
    return {row.slug: admin_concurrency.values(row) for row in queryset}


def scramble(slugs) -> None:
    """Every field a file could forget, at its default or emptied, so an import must bring it back."""
    Gpu.objects.filter(slug__in=slugs).update(
        gpu_memory_fraction=1.0,
        backends=[],
        nvlink=False,
        unified_memory=False,
        form_factor="desktop",
        memory_type="",
        bus_interface="",
        visible_memory_bytes=None,
        architecture="",
        tdp_w=None,
        release_date=None,
        launch_price_usd=None,
        source_id="",
        listed=False,
        source="",
    )


def test_an_exported_gpu_file_imports_back_to_identical_rows(client, staff, catalog):
    """Unified-memory machines, cards with the driver's memory, NVLink: the rows whose less common
    fields change answers. Deleted, then imported from their export: every field as it was."""
    chosen = Gpu.objects.filter(
        Q(unified_memory=True) | Q(visible_memory_bytes__isnull=False) | Q(nvlink=True)
    )
    before = rows_of(chosen)
    assert len(before) > 20 and any(r["gpu_memory_fraction"] < 1 for r in before.values())
    exported = export(client, "gpu", items=list(chosen.values_list("pk", flat=True)))
    header = next(csv.reader(io.StringIO(exported.decode())))
    for column in ("gpu_memory_fraction", "backends", "nvlink", "memory_type", "bus_interface"):
        assert column in header
    assert "visible_memory_mib" in header and "version" in header

    unchanged = preview(client, "gpu", SimpleUploadedFile("gpus.csv", exported))
    assert unchanged.context["result"].totals["skip"] == len(before)  # nothing differs

    scramble(before)
    rows = list(csv.DictReader(io.StringIO(exported.decode())))
    for row in rows:
        row["version"] = ""  # the rows changed since the export: the file's values are meant
    response = confirm(client, "gpu", preview(client, "gpu", csv_file(rows)))
    assert response.status_code == 302
    assert rows_of(Gpu.objects.filter(slug__in=before)) == before


def test_gpus_round_trip_through_xlsx(client, staff, catalog):
    chosen = Gpu.objects.filter(unified_memory=True)
    before = rows_of(chosen)
    book = tablib.Dataset().load(
        export(client, "gpu", fmt=XLSX_FORMAT, items=list(chosen.values_list("pk", flat=True))), format="xlsx"
    )
    del book["version"]  # the rows change below: the file's values are meant
    scramble(before)
    upload = SimpleUploadedFile("gpus.xlsx", book.export("xlsx"))
    assert confirm(client, "gpu", preview(client, "gpu", upload, fmt=XLSX_FORMAT)).status_code == 302
    assert rows_of(Gpu.objects.filter(slug__in=before)) == before


MAC = {
    "slug": "apple-m9-max-128gb",
    "name": "Apple M9 Max 128 GB",
    "vendor": "Apple",
    "form_factor": "Unified-memory machine",  # the label the admin shows, for "integrated"
    "memory_gib": "128",
    "bandwidth_gb_s": "614",
    "unified_memory": "yes",
    "listed": "1",
    "source": "https://www.apple.com/macbook-pro/specs/",
}


def test_a_unified_memory_machine_without_its_gpu_share_or_backends_is_refused(client, staff):
    response = preview(client, "gpu", csv_file([MAC]))
    (invalid,) = response.context["result"].invalid_rows
    assert "may use only part of the memory" in str(invalid.error_dict["gpu_memory_fraction"])
    assert "needs the backends it runs" in str(invalid.error_dict["backends"])
    assert response.context.get("confirm_form") is None

    complete = MAC | {"gpu_memory_fraction": "0.75", "backends": "metal"}
    assert confirm(client, "gpu", preview(client, "gpu", csv_file([complete]))).status_code == 302
    mac = Gpu.objects.get(slug="apple-m9-max-128gb")
    assert (mac.vendor, mac.form_factor, mac.unified_memory) == ("apple", "integrated", True)
    assert (mac.gpu_memory_fraction, mac.backends) == (0.75, ["metal"])
    spec = mac.as_spec()
    assert spec.memory_bytes * spec.gpu_memory_fraction == 96 * GIB  # what the GPU may use


@pytest.mark.parametrize(
    ("change", "column", "message"),
    [
        ({"form_factor": "Phone"}, "form_factor", "is not one of: Desktop, Laptop, Workstation"),
        ({"vendor": "Acme"}, "vendor", "is not one of: NVIDIA, AMD"),
        ({"nvlink": "maybe"}, "nvlink", "is not yes or no"),
        ({"backends": "metal, opencl"}, "backends", "Unknown: opencl"),
        ({"backends": "[1, 2]"}, "backends", "is not a list of names"),
        ({"visible_memory_mib": "lots"}, "visible_memory_mib", "is not a number of MiB"),
    ],
)
def test_a_gpu_cell_the_catalog_cannot_read_is_refused_beside_its_column(
    client, staff, change, column, message
):
    row = MAC | {"gpu_memory_fraction": "0.75", "backends": "metal"} | change
    (invalid,) = preview(client, "gpu", csv_file([row])).context["result"].invalid_rows
    assert message in str(invalid.error_dict.get(column) or invalid.error_dict), invalid.error_dict


def test_a_row_changed_since_its_file_was_exported_is_refused(client, staff):
    gpu = make_gpu(tdp_w=350)
    rows = list(csv.DictReader(io.StringIO(export(client, "gpu").decode())))
    other = get_user_model().objects.create_superuser("anna", "anna@example.com", "pw-for-tests")
    gpu.bandwidth_gb_s, gpu._change_reason, gpu._history_user = 1008, "Spec sheet", other
    gpu.save()

    rows[0]["tdp_w"] = "450"  # the file's own change; its bandwidth is the old one
    (invalid,) = preview(client, "gpu", csv_file(rows)).context["result"].invalid_rows
    message = str(invalid.error_dict["version"])
    assert "changed by anna at " in message and "since this file was exported" in message
    assert "Bandwidth (GB/s): 936.2 → 1008.0" in message

    rows[0]["version"] = ""  # the editor means the file's values
    assert confirm(client, "gpu", preview(client, "gpu", csv_file(rows))).status_code == 302
    gpu.refresh_from_db()
    assert (gpu.tdp_w, gpu.bandwidth_gb_s) == (450, 936.2)


@pytest.mark.parametrize(
    ("model", "resource", "restored"),
    [
        ("gpu", GpuResource, {"gpu_memory_fraction": 1.0, "backends": [], "memory_type": ""}),
        (
            "llmmodel",
            LlmResource,
            {"rope_theta": None, "max_position_embeddings": None, "hf_id": "", "attention_pattern": ""},
        ),
        ("quantization", QuantizationResource, {"expert_bits_per_weight": None, "description": ""}),
    ],
)
def test_every_table_the_engine_reads_exports_every_field_and_imports_it_back(
    client, staff, catalog, model, resource, restored
):
    """Every field editors and loads write is a column (what as_spec() reads is among them); the
    export imports back unchanged; and a row whose fields were lost gets them back from it."""
    table = apps.get_model("catalog", model)
    columns = resource().get_export_headers()
    renamed = {"memory_bytes": "memory_gib", "visible_memory_bytes": "visible_memory_mib"}
    assert [renamed.get(f.name, f.name) for f in table.upstream_fields()] + ["version"] == columns
    exported = export(client, model)
    response = preview(client, model, SimpleUploadedFile("rows.csv", exported))
    result = response.context["result"]
    assert not result.has_errors() and not result.has_validation_errors()
    assert result.totals["skip"] == table.objects.count()  # every value read back as stored

    before = rows_of(table.objects.all())
    table.objects.exclude(**{k: v for k, v in restored.items() if v not in (None, [])}).update(**restored)
    rows = list(csv.DictReader(io.StringIO(exported.decode())))
    for row in rows:
        row["version"] = ""  # the file's values are meant
    assert confirm(client, model, preview(client, model, csv_file(rows))).status_code == 302
    assert rows_of(table.objects.all()) == before


def test_the_llm_list_offers_both_imports(client, staff):
    html = client.get("/admin/catalog/llmmodel/").content.decode()
    assert 'href="import/"' in html and "Import from config.json, GGUF or the Hub" in html
    assert "'/admin/catalog/llmmodel/import-file/' class=\"import_link\">Import CSV or XLSX" in html
    assert client.get("/admin/catalog/llmmodel/import-file/").context["form"] is not None
