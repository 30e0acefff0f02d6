"""Back and Forward on the calculator: the form shows the question the answer is for (review 9)."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

QUESTION = "/?model=qwen3-30b-a3b&quant=q4_k_m&gpu=geforce-rtx-3090&ctx=32768"


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1440, 900)])
def test_back_then_forward_shows_the_context_the_answer_is_for(page_at, live_server, width, height):
    page = page_at(width, height)
    page.goto(live_server.url + QUESTION)
    page.locator("details.question-toggle").evaluate("toggle => { toggle.open = true; }")  # folded on a phone
    context = page.get_by_label("Context (tokens)")
    verdict = page.get_by_test_id("verdict")
    expect(verdict).to_contain_text("Yes: fits on 1× GeForce RTX 3090")
    context.fill("65536")
    expect(page).to_have_url(re.compile(r"ctx=65536$"))
    expect(verdict).to_contain_text("Borderline")

    page.go_back()
    expect(page).to_have_url(re.compile(r"ctx=32768$"))
    expect(verdict).to_contain_text("Yes: fits")
    expect(context).to_have_value("32768")
    page.go_forward()
    expect(page).to_have_url(re.compile(r"ctx=65536$"))
    expect(verdict).to_contain_text("Borderline")
    expect(context).to_have_value("65536")
    expect(page.locator("details.question-toggle")).to_have_attribute("open", "")  # as it was left

    # the next edit asks about the context shown, not the one typed before Back
    page.get_by_label("Concurrent users").fill("2")
    expect(page).to_have_url(re.compile(r"ctx=65536&batch=2$"))


def test_htmx_updates_and_history_restores_log_no_console_error(page, live_server):
    """Every change went through htmx without a word in the console: the CSP's refusals ("Applying inline
    style violates ... style-src 'self'") hid real errors from anyone debugging (review 9)."""
    console = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    page.goto(live_server.url + QUESTION)
    page.get_by_label("Context (tokens)").fill("65536")
    expect(page).to_have_url(re.compile(r"ctx=65536$"))
    page.get_by_label("Format").select_option("q8_0")
    expect(page).to_have_url(re.compile(r"quant=q8_0&gpu=geforce-rtx-3090&ctx=65536$"))
    page.go_back()
    expect(page.get_by_label("Format")).to_have_value("q4_k_m")
    page.go_forward()
    expect(page.get_by_label("Format")).to_have_value("q8_0")
    assert [m for m in console if m.startswith("error")] == [], console
