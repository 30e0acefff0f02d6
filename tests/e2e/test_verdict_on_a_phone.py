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


OFFLOAD = "/?model=qwen3-30b-a3b&gpu=geforce-rtx-3060-12-gb&ram_gb=32"


FOCUSED = """() => {
  const e = document.activeElement, r = e.getBoundingClientRect();
  return { y: r.top, height: r.height, html: e.outerHTML.slice(0, 80) };
}"""


def below(top: dict, bottom: dict) -> bool:
    """`bottom` starts at or below the end of `top` (boxes of the window): nothing of `top` under it."""
    return bottom["y"] >= top["y"] + top["height"] - 0.5


def test_the_pinned_verdict_never_covers_the_field_being_edited(page_at, live_server):
    """A visitor review: at 390×844 the verdict pinned at the foot of the screen ("Yes: one GeForce RTX 3090…
    ↓") covered the form's row being edited. The page scrolls the field above it."""
    page = page_at(390, 844)
    page.goto(live_server.url + OFFLOAD)
    page.locator("details.question-toggle > summary").click()
    ctx = page.locator("#id_ctx")
    page.evaluate("y => window.scrollBy(0, y)", ctx.bounding_box()["y"] - 844 + 50)
    box = ctx.bounding_box()  # at the foot of the screen, where the pin comes
    assert 844 - 60 < box["y"] + box["height"] <= 844
    with page.expect_response(lambda r: "ctx=8192" in r.url):
        ctx.fill("8192")
    pin = page.locator("#verdict-pin")
    expect(pin).to_be_visible()
    assert below(ctx.bounding_box(), pin.bounding_box())
    assert ctx.bounding_box()["y"] >= 0  # and still in view


def test_a_field_tabbed_to_stops_above_the_pinned_verdict(page_at, live_server):
    """The keyboard's next (or Tab) on down the form from the GPU row: each field stops above the pin."""
    page = page_at(390, 844)
    page.goto(live_server.url + OFFLOAD)
    page.locator("details.question-toggle > summary").click()
    with page.expect_response(lambda r: "count=2" in r.url):
        page.locator("#id_count_1").fill("2")  # the GPU row's "How many", at the foot of the screen
    pin = page.locator("#verdict-pin")
    expect(pin).to_contain_text("2× GeForce RTX 3060")
    for _ in range(6):  # on down the form, past the pin's place
        page.keyboard.press("Tab")
        field = page.evaluate(FOCUSED)
        assert below(field, pin.bounding_box()), field
    expect(pin).to_be_visible()


@pytest.mark.parametrize(
    ("address", "heading"),
    [
        (
            "/?model=qwen3-30b-a3b&quant=q4_k_m&gpu=geforce-rtx-3090&ctx=32768#plans",
            "Every plan, side by side",
        ),
        ("/what-hardware/?model=gpt-oss-120b&ctx=32768&tok_s=20#with-ram", "One or two GPUs with system RAM"),
    ],
)
def test_a_link_into_the_answer_shows_its_heading_below_the_verdict_bar(
    page_at, live_server, address, heading
):
    """Review 9: on a phone, the answer opened at #plans put "Every plan, side by side" at the top of the
    screen under the sticky verdict bar (74 to 91 px tall). The targets keep the bar's height above them."""
    page = page_at(390, 844)
    page.goto(live_server.url + address)
    target = page.get_by_role("heading", name=heading)
    expect(target).to_be_in_viewport()
    bar = page.locator("#result .verdict-bar").first.bounding_box()
    assert bar["y"] == 0  # stuck at the top
    assert below(bar, target.bounding_box())
    page.evaluate("window.scrollTo(0, 0)")
    page.evaluate("hash => { location.hash = ''; location.hash = hash; }", address.split("#")[1])  # a link
    expect(target).to_be_in_viewport()
    assert below(page.locator("#result .verdict-bar").first.bounding_box(), target.bounding_box())
