"""A desktop: the question stays beside the answer while the visitor scrolls through it, and every field of
it is reached by scrolling the page (static/css/site.css `.calc>.question`, static/js/site.js). The review:
at 1440×900 the form was its own scroll box, 884 px tall; its Prompt, KV cache, Flash attention, Runtime
and Backend fields and its "Will it run?" button sat below its fold, and scrolling the page never showed
them."""

import pytest

pytestmark = pytest.mark.e2e

OFFLOAD = "/?model=qwen3-30b-a3b&gpu=geforce-rtx-3060-12-gb&ram_gb=32"
CONTROLS = "#question :is(input, select, textarea, button):not([type=hidden])"
# the controls of the form shown now (a closed <details>' are not), by name, and whether each is in the window
IN_VIEW = """sel => [...document.querySelectorAll(sel)].filter(e => e.getClientRects().length).map(e => {
  const r = e.getBoundingClientRect();
  return [e.id || e.name || e.textContent.trim(), r.top >= 0 && r.bottom <= innerHeight];
})"""
# an element between a control and the page that scrolls it on its own (a nested scroll box)
SCROLL_BOXES = """sel => [...document.querySelectorAll(sel)].flatMap(e => {
  const boxes = [];
  for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
    if (/auto|scroll/.test(getComputedStyle(a).overflowY) && a.scrollHeight > a.clientHeight) boxes.push(a.id || a.className);
  }
  return boxes;
})"""


def seen_scrolling_the_page(page) -> dict:
    """Each control of the form: whether it came whole into the window at some scroll of the page."""
    seen = {}
    bottom = page.evaluate("document.documentElement.scrollHeight - innerHeight")
    for y in [*range(0, bottom, 150), bottom]:
        page.evaluate(f"window.scrollTo(0, {y})")
        for name, shown in page.evaluate(IN_VIEW, CONTROLS):
            seen[name] = seen.get(name, False) or shown
    return seen


def test_every_field_of_a_tall_question_is_reached_scrolling_the_page(page_at, live_server):
    page = page_at(1440, 900)
    page.goto(live_server.url + OFFLOAD)
    question = page.locator("#question")
    assert question.evaluate("e => e.scrollHeight") > 900  # taller than the window
    assert page.evaluate(SCROLL_BOXES, CONTROLS) == []
    seen = seen_scrolling_the_page(page)
    assert {"id_prompt", "id_kv", "id_fa", "id_runtime", "id_backend", "Will it run?"} <= set(seen)
    assert [name for name, shown in seen.items() if not shown] == []
    # down at the plans, the end of the question is still beside the answer
    page.evaluate("document.getElementById('plans').scrollIntoView()")
    button = page.get_by_role("button", name="Will it run?").bounding_box()
    assert button["y"] >= 0 and button["y"] + button["height"] <= 900
    assert (
        question.bounding_box()["x"] + question.bounding_box()["width"]
        <= page.locator("#result").bounding_box()["x"]
    )  # beside it, not above


def test_a_question_that_fits_the_window_stays_whole_beside_the_answer(page_at, live_server):
    page = page_at(1440, 1400)
    page.goto(live_server.url + OFFLOAD)
    assert page.locator("#question").bounding_box()["height"] < 1400
    page.evaluate("document.getElementById('plans').scrollIntoView()")
    assert page.evaluate("scrollY") > 500
    for name, shown in page.evaluate(IN_VIEW, CONTROLS):
        assert shown, name  # the model's picker as well as the button
