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


QUESTION = "/?model=llama-3-3-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=2&ctx=8192"


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1280, 900)])
def test_an_answer_recomputed_out_of_sight_pins_its_verdict_on_a_phone(page_at, live_server, width, height):
    """A visitor review: editing the question on a phone, the new verdict sat two screens below the field
    and nothing visible changed. A desktop shows the answer beside the question: nothing pinned there."""
    page = page_at(width, height)
    page.goto(live_server.url + QUESTION)
    page.locator("details.question-toggle").evaluate("d => { d.open = true; }")  # folded on a phone
    with page.expect_response(lambda r: "count=4" in r.url):
        page.locator("input[name=count]").first.fill("4")
    expect(page.get_by_test_id("verdict")).to_contain_text("4× GeForce RTX 3090")
    pin = page.locator("#verdict-pin")
    if width > 1000:
        assert pin.count() == 0
        return
    expect(pin).to_be_visible()
    expect(pin).to_contain_text("Yes: fits on 4× GeForce RTX 3090")
    pin.click()
    expect(pin).to_be_hidden()  # the answer in view: the pin goes
    box = page.get_by_test_id("verdict").bounding_box()
    assert 0 <= box["y"] < height
