"""Flash attention off, as a visitor turns it off: the answer recomputes in place, slower at full
context; with a quantized KV cache the page says why it cannot be, and one click turns it back on."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

QUESTION = "/?model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-4090&ctx=32768"


def tok_s(text: str) -> float:
    return float(re.match(r"[\d.]+", text.replace(",", "")).group())


@pytest.mark.parametrize("width", [1440, 390])
def test_turning_flash_attention_off_recomputes_and_a_quantized_cache_offers_it_back(
    page_at, live_server, width
):
    page = page_at(width, 900 if width > 500 else 844)
    page.goto(live_server.url + QUESTION)
    page.evaluate("window.__same_document = true")
    at_context = page.get_by_test_id("decode-at-context")
    fused = tok_s(at_context.inner_text())
    if width < 500:  # a phone folds the question away once it has an answer
        page.locator("summary", has_text="Change the question").click()
    page.get_by_label("Flash attention").select_option("off")
    expect(page).to_have_url(re.compile(r"fa=off"))
    expect(at_context).not_to_have_text(re.compile(rf"^{fused:g}"))
    assert tok_s(at_context.inner_text()) < 0.6 * fused
    expect(page.get_by_test_id("suggestions")).to_contain_text("Flash attention on:")
    assert page.evaluate("window.__same_document") is True

    page.get_by_label("KV cache type").select_option("q8_0")
    expect(page.locator("#error-fa")).to_contain_text("q8_0 KV cache only with flash attention on")
    page.get_by_role("link", name="Turn flash attention on").click()
    expect(page).not_to_have_url(re.compile(r"fa=off"))
    expect(page.get_by_test_id("verdict")).to_contain_text("Yes")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
