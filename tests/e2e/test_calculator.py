import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

QUESTION = "/?model=llama-3-1-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=2&ctx=8192"


def test_changing_an_input_updates_the_result_and_the_url_without_a_reload(page, live_server):
    page.goto(live_server.url + QUESTION)
    verdict = page.get_by_test_id("verdict")
    expect(verdict).to_contain_text("fits on 2× GeForce RTX 3090")
    page.evaluate("window.__same_document = true")

    page.get_by_label("How many").fill("1")
    expect(verdict).to_contain_text("No: it does not fit on 1× GeForce RTX 3090")
    expect(page).to_have_url(re.compile(r"gpu=geforce-rtx-3090&ctx=8192$"))
    assert page.evaluate("window.__same_document") is True  # no page load happened

    page.get_by_label("Model").select_option("llama-3-1-8b-instruct")
    expect(verdict).to_contain_text("Yes: fits on 1× GeForce RTX 3090 on one GPU")
    expect(page).to_have_url(re.compile(r"model=llama-3-1-8b-instruct"))


def test_reloading_the_permalink_shows_the_same_result(page, live_server):
    page.goto(live_server.url + QUESTION)
    page.get_by_label("Context (tokens)").fill("32768")
    verdict = page.get_by_test_id("verdict")
    expect(page).to_have_url(re.compile(r"ctx=32768"))
    before = verdict.inner_text(), page.get_by_test_id("kv-cache").inner_text()
    page.reload()
    expect(verdict).to_have_text(before[0])
    expect(page.get_by_test_id("kv-cache")).to_have_text(before[1])
    expect(page.get_by_label("Context (tokens)")).to_have_value("32768")


def test_bad_input_shows_a_message_next_to_the_field_live(page, live_server):
    page.goto(live_server.url + QUESTION)
    page.get_by_label("Context (tokens)").fill("999999")
    expect(page.locator("#error-ctx")).to_contain_text("at most 131,072 tokens")
    page.get_by_label("Context (tokens)").fill("8192")
    expect(page.locator("#error-ctx")).to_have_text("")
    expect(page.get_by_test_id("verdict")).to_contain_text("Yes")


def test_without_javascript_the_submit_button_gives_the_same_result(page_without_js, live_server):
    page = page_without_js
    page.goto(live_server.url + "/")
    page.get_by_label("Model").select_option("llama-3-1-70b-instruct")
    page.get_by_label("Format").select_option("q4_k_m")
    page.get_by_label("GPU").select_option("geforce-rtx-3090")
    page.get_by_label("How many").fill("2")
    page.get_by_label("Context (tokens)").fill("8192")
    page.get_by_role("button", name="Will it run?").click()
    expect(page.get_by_test_id("verdict")).to_contain_text(
        "Yes: fits on 2× GeForce RTX 3090 with a layer split"
    )
    no_js = page.get_by_test_id("verdict").inner_text()
    page.goto(live_server.url + QUESTION)
    assert page.get_by_test_id("verdict").inner_text() == no_js
