"""Bulk editing in the admin: CSV/XLSX import previewed and confirmed with a reason, export of a table
or of the selected rows."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
import tablib
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

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
    return client.post(f"/admin/catalog/{model}/import/", data)


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
