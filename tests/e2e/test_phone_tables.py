"""A phone (390 px wide) reads wide tables without scrolling sideways: four GPUs' specs as one card per spec and
their speeds on popular models as one card per model, each value after its GPU's name (static/css/site.css
`.cards`), and a catalog row's history as one block per version, each value after its column's name
(static/css/admin-catalog.css); a desktop keeps the tables."""

import pytest

from catalog.models import Gpu
from catalog.pages import COMPARE_MODELS

pytestmark = pytest.mark.e2e

FOUR = ["geforce-rtx-4090", "geforce-rtx-3090", "radeon-rx-7900-xtx", "apple-m4-max-128gb"]
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"
LABELS = "cells => cells.map(c => getComputedStyle(c, '::before').content)"


def compare_four(page, live_server):
    page.goto(live_server.url + "/gpus/compare/?" + "&".join(f"gpu={g}" for g in FOUR))
    return page.get_by_test_id("compare-speeds")


SPECS_FOUR = ["geforce-rtx-4090", "geforce-rtx-3090", "geforce-rtx-5090", "a100-pcie-80-gb"]


def compare_specs(page, live_server):
    page.goto(live_server.url + "/gpus/compare/?" + "&".join(f"gpu={g}" for g in SPECS_FOUR))
    return page.get_by_test_id("specs")


def test_four_gpus_specs_fit_a_phone_one_card_per_spec_each_value_after_its_gpu(page_at, live_server):
    phone = page_at(390, 844)
    specs = compare_specs(phone, live_server)
    assert phone.evaluate(OVERFLOW) <= 0
    assert specs.evaluate(
        "t => t.parentElement.scrollWidth <= t.parentElement.clientWidth"
    )  # nothing to scroll
    names = [Gpu.objects.get(slug=g).name for g in SPECS_FOUR]
    rows = specs.locator("tbody tr")
    assert rows.count() > 10
    for i in range(rows.count()):
        card = rows.nth(i)
        assert card.locator("th").is_visible()  # the spec's name heads its card
        cells = card.locator("td")
        assert cells.evaluate_all(LABELS) == [f'"{name}: "' for name in names], card.locator(
            "th"
        ).inner_text()
        assert min(cells.evaluate_all("cells => cells.map(c => c.getBoundingClientRect().width)")) > 300


def test_four_gpus_specs_stay_a_table_on_a_desktop(page_at, live_server):
    desktop = page_at(1440, 900)
    specs = compare_specs(desktop, live_server)
    assert specs.locator("thead").is_visible()
    assert specs.locator("thead th").all_inner_texts()[1:] == [
        Gpu.objects.get(slug=g).name for g in SPECS_FOUR
    ]
    assert set(specs.locator("td").evaluate_all(LABELS)) == {"none"}
    memory = specs.locator("tbody tr").filter(has=desktop.get_by_test_id("memory"))
    tops = memory.locator("th, td").evaluate_all("cells => cells.map(c => c.getBoundingClientRect().top)")
    assert max(tops) - min(tops) < 1  # one row, side by side


def test_one_gpus_specs_stay_two_columns_on_a_phone(page_at, live_server):
    phone = page_at(390, 844)
    phone.goto(live_server.url + "/gpus/geforce-rtx-4090/")
    specs = phone.get_by_test_id("specs")
    assert phone.evaluate(OVERFLOW) <= 0
    memory = specs.locator("tbody tr").filter(has=phone.get_by_test_id("memory"))
    tops = memory.locator("th, td").evaluate_all("cells => cells.map(c => c.getBoundingClientRect().top)")
    assert max(tops) - min(tops) < 1  # the spec's name beside its value


def test_four_gpus_speeds_fit_a_phone_each_labelled_by_card_and_model(page_at, live_server):
    phone = page_at(390, 844)
    speeds = compare_four(phone, live_server)
    assert phone.evaluate(OVERFLOW) <= 0
    assert speeds.evaluate(
        "t => t.parentElement.scrollWidth <= t.parentElement.clientWidth"
    )  # nothing to scroll
    names = [Gpu.objects.get(slug=g).name for g in FOUR]
    for slug in COMPARE_MODELS:
        card = speeds.locator(f'tr[data-model="{slug}"]')
        assert card.locator("th").is_visible()  # the model's name heads its card
        cells = card.get_by_test_id("speed")
        assert cells.evaluate_all(LABELS) == [f'"{name}: "' for name in names], slug
        # a card's lines span its width: no column squeezed to a word
        assert min(cells.evaluate_all("cells => cells.map(c => c.getBoundingClientRect().width)")) > 300


def test_four_gpus_speeds_stay_a_table_on_a_desktop(page_at, live_server):
    desktop = page_at(1440, 900)
    speeds = compare_four(desktop, live_server)
    assert speeds.locator("thead").is_visible()
    assert speeds.locator("thead th").all_inner_texts()[1:] == [Gpu.objects.get(slug=g).name for g in FOUR]
    assert set(speeds.get_by_test_id("speed").evaluate_all(LABELS)) == {"none"}
    llama = speeds.locator('tr[data-model="llama-3-1-8b-instruct"]')
    tops = llama.locator("th, td").evaluate_all("cells => cells.map(c => c.getBoundingClientRect().top)")
    assert max(tops) - min(tops) < 1  # one row, side by side


@pytest.mark.parametrize(("width", "stacked"), [(390, True), (1440, False)])
def test_a_rows_history_fits_a_phone_and_stays_a_table_on_a_desktop(editor_at, live_server, width, stacked):
    gpu = Gpu.objects.get(slug="geforce-rtx-4090")
    for tdp, reason in (
        (gpu.tdp_w + 5, "The board partner's figure"),
        (gpu.tdp_w, "Back to the reference TDP"),
    ):
        gpu.tdp_w, gpu._change_reason = tdp, reason
        gpu.save()
    page = editor_at(width, 844)
    page.goto(f"{live_server.url}/admin/catalog/gpu/{gpu.pk}/history/")
    changes = page.locator("#change-history tbody tr:first-child td:last-child")  # Changes
    assert "TDP" in changes.inner_text()
    assert page.evaluate(OVERFLOW) <= 0
    assert page.locator("#change-history thead").is_visible() is not stacked
    if (
        stacked
    ):  # the column's name before each value; the changes read across the screen, not a letter a line
        assert changes.evaluate("c => getComputedStyle(c, '::before').content") == '"Changes: "'
        assert changes.evaluate("c => c.getBoundingClientRect().width") > 300


@pytest.mark.parametrize("testid", ["accuracy-headlines", "accuracy-classes"])
def test_the_accuracy_tables_fit_a_phone_one_card_per_row_each_figure_after_its_column(
    page_at, live_server, testid
):
    """A visitor review at 390 px: /accuracy/'s Measurements, Devices and "0.7× formula" columns ran past the
    right edge."""
    phone = page_at(390, 844)
    phone.goto(live_server.url + "/accuracy/")
    table = phone.get_by_test_id(testid)
    assert phone.evaluate(OVERFLOW) <= 0
    assert table.evaluate(
        "t => t.scrollWidth <= t.clientWidth && t.parentElement.scrollWidth <= t.parentElement.clientWidth"
    )
    columns = table.locator("thead th").all_inner_texts()[1:]
    labels = table.locator("tbody tr").first.locator("td").evaluate_all(LABELS)
    assert len(labels) == len(columns) and all(label.endswith(': "') for label in labels)
    assert labels[0] == '"Median error: "' and columns[0] == "Median error"
    right = table.locator("td").evaluate_all(
        "cells => Math.max(...cells.map(c => c.getBoundingClientRect().right))"
    )
    assert right <= 390  # every figure on the screen


def test_the_accuracy_tables_stay_tables_on_a_desktop(page_at, live_server):
    desktop = page_at(1440, 900)
    desktop.goto(live_server.url + "/accuracy/")
    table = desktop.get_by_test_id("accuracy-headlines")
    assert table.locator("thead").is_visible()
    assert set(table.locator("td").evaluate_all(LABELS)) == {"none"}
    first = table.locator("tbody tr").first.locator("th, td")
    tops = first.evaluate_all("cells => cells.map(c => c.getBoundingClientRect().top)")
    assert max(tops) - min(tops) < 1  # one row, side by side
