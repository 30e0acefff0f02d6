"""A phone (390 px wide): the result opens with its headline, which stays at the top of the screen while
the visitor scrolls through the result (static/css/site.css .verdict-bar.first; the reverse questions,
whose form stays open, keep theirs fixed at the bottom). The review: the verdict was a bar fixed at the
bottom, so the result's first line was its detail ("It needs 428 MiB of the 1.0 GiB kept free…"), above
a headline seen last."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

BORDERLINE = "/?model=qwen2-5-32b-instruct&quant=q5_k_m&gpu=geforce-rtx-3090&ctx=8192"


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1280, 900)])
def test_the_result_opens_with_its_headline_and_keeps_it_in_view(page_at, live_server, width, height):
    page = page_at(width, height)
    page.goto(live_server.url + BORDERLINE)
    verdict, detail = page.get_by_test_id("verdict"), page.get_by_test_id("verdict-detail")
    expect(verdict).to_contain_text("Borderline")
    headline, first = verdict.bounding_box(), detail.bounding_box()
    assert headline["y"] + headline["height"] <= first["y"]  # the headline comes first
    assert headline["y"] + headline["height"] <= height  # in the first view
    page.locator("#plans").scroll_into_view_if_needed()
    box = verdict.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= height  # still in view, scrolled
