"""A glossary term opened from a result offers the way back to that result (issue 16)."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

QUESTION = "/?model=llama-3-1-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=2&ctx=8192"


def test_a_term_opened_from_a_result_links_back_to_it(page, live_server):
    page.goto(live_server.url + QUESTION)
    page.get_by_role("link", name="KV cache").first.click()
    back = page.get_by_role("link", name="← Back to your result")
    expect(back).to_be_visible()
    back.click()
    expect(page).to_have_url(live_server.url + QUESTION)


def test_a_term_opened_directly_has_no_back_link(page, live_server):
    page.goto(live_server.url + "/glossary/kv-cache/")
    expect(page.get_by_text("Back to your result")).to_be_hidden()
