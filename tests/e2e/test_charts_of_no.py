"""A "No" answer draws no chart where no point of it fits: the review found two empty charts on a 0–1 axis
under a row of × marks (/?model=llama-3-3-70b-instruct&gpu=geforce-rtx-5090). One line says so instead
(templates/calculator/_result.html, calculator/charts.py `Chart.empty`); a chart with a point that fits is
drawn as before."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

NO = "/?model=llama-3-3-70b-instruct&gpu=geforce-rtx-5090"
YES = "/?model=qwen3-30b-a3b&gpu=geforce-rtx-3060-12-gb&ram_gb=32"


@pytest.mark.parametrize("width", [390, 1440])
def test_a_no_answer_says_in_one_line_that_nothing_fits_instead_of_empty_charts(page_at, live_server, width):
    page = page_at(width, 900)
    page.goto(live_server.url + NO)
    expect(page.get_by_test_id("verdict")).to_contain_text("No")
    page.get_by_role("heading", name="Speed").scroll_into_view_if_needed()
    expect(page.locator(".chart")).to_have_count(0)
    nothing = page.get_by_test_id("charts-nothing-fits")
    expect(nothing).to_have_text(
        "Nothing fits at any of 1k–128k tokens of context or 1–64 users at once: no speed charts."
    )
    if width > 1000:
        assert nothing.evaluate("e => e.getClientRects().length") == 1
        assert nothing.bounding_box()["height"] < 30  # one line


def test_a_chart_with_a_point_that_fits_is_drawn(page_at, live_server):
    page = page_at(1440, 900)
    page.goto(live_server.url + YES)
    charts = page.locator(".chart img")
    expect(charts).to_have_count(2)
    expect(page.get_by_test_id("charts-nothing-fits")).to_have_count(0)
    charts.first.scroll_into_view_if_needed()
    expect(charts.first).to_have_js_property("complete", True)
    assert charts.first.evaluate("i => i.naturalWidth") > 0
