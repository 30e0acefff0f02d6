import re

import pytest
from playwright.sync_api import expect

from catalog.models import Gpu
from tests.e2e.conftest import share

pytestmark = pytest.mark.e2e

QUESTION = "/?model=llama-3-1-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=2&ctx=8192"


def test_changing_an_input_updates_the_result_and_the_url_without_a_reload(page, live_server):
    page.goto(live_server.url + QUESTION)
    verdict = page.get_by_test_id("verdict")
    expect(verdict).to_contain_text("fits on 2× GeForce RTX 3090")
    page.evaluate("window.__same_document = true")

    page.get_by_label("How many (GPU 1)").fill("1")
    expect(verdict).to_contain_text("No: it does not fit on 1× GeForce RTX 3090")
    expect(page).to_have_url(re.compile(r"gpu=geforce-rtx-3090&ctx=8192$"))
    assert page.evaluate("window.__same_document") is True  # no page load happened

    page.get_by_label("Model").select_option("llama-3-1-8b-instruct")
    expect(verdict).to_contain_text("Yes: fits on 1× GeForce RTX 3090, about")
    expect(page).to_have_url(re.compile(r"model=llama-3-1-8b-instruct"))
    assert page.evaluate("window.__same_document") is True


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


def test_back_button_returns_to_the_previous_question(page, live_server):
    page.goto(live_server.url + QUESTION)
    verdict = page.get_by_test_id("verdict")
    first = verdict.inner_text()
    page.get_by_label("Format").select_option("q8_0")
    expect(verdict).not_to_have_text(first)
    expect(page).to_have_url(re.compile(r"quant=q8_0"))
    page.go_back()
    expect(page).to_have_url(re.compile(r"quant=q4_k_m"))
    expect(verdict).to_have_text(first)


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
    page.get_by_label("GPU 1", exact=True).select_option("geforce-rtx-3090")
    page.get_by_label("How many (GPU 1)").fill("2")
    page.get_by_label("Context (tokens)").fill("8192")
    page.get_by_role("button", name="Will it run?").click()
    expect(page.get_by_test_id("verdict")).to_contain_text("fits on 2× GeForce RTX 3090 with")
    no_js = page.get_by_test_id("verdict").inner_text()
    page.goto(live_server.url + QUESTION)
    assert page.get_by_test_id("verdict").inner_text() == no_js


def test_copy_button_copies_the_launch_command(page_at, live_server):
    page = page_at(1280, 720, permissions=["clipboard-read", "clipboard-write"])
    page.goto(live_server.url + QUESTION)
    command = page.get_by_test_id("launch-command").inner_text().strip()
    assert command.startswith("llama-server")
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == command


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1280, 900)])
def test_layout_fits_phone_and_desktop_widths(page_at, live_server, width, height):
    page = page_at(width, height)
    page.goto(live_server.url + QUESTION)
    expect(page.get_by_test_id("verdict")).to_be_visible()
    # nothing but the plans table (which scrolls in its own box) is wider than the screen
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    if width < 1024:  # on a phone the inputs fold away after the first answer, a tap away
        page.get_by_text("Change the question").click()
    box = page.get_by_role("button", name="Will it run?").bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= width


def test_will_llama_3_3_70b_at_q4_k_m_run_on_two_3090s_at_32k(page, live_server):
    """Issue 5's first question, asked the way a new visitor asks it: from the home page's inputs."""
    page.goto(live_server.url + "/")
    page.get_by_label("Model").select_option("llama-3-3-70b-instruct")
    page.get_by_label("Format").select_option("q4_k_m")
    page.get_by_label("GPU 1", exact=True).select_option("geforce-rtx-3090")
    page.get_by_label("How many (GPU 1)").fill("2")
    page.get_by_label("Context (tokens)").fill("32768")
    verdict = page.get_by_test_id("verdict")
    expect(page).to_have_url(
        re.compile(r"/\?model=llama-3-3-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=2&ctx=32768$")
    )
    # f16 KV cache at 32k: 10 GiB on top of ~40 GiB of weights is more than two 24 GiB cards hold
    expect(verdict).to_contain_text("No: it does not fit on 2× GeForce RTX 3090")
    expect(page.get_by_test_id("kv-cache")).to_contain_text("10.0 GiB")

    # the first fix, under the verdict (and again in What to change): the site's guide puts it first
    page.get_by_test_id("first-fix").get_by_role(
        "link", name=re.compile(r"A q8_0 KV cache makes it fit")
    ).click()
    expect(page).to_have_url(re.compile(r"kv=q8_0"))
    expect(verdict).to_contain_text("Yes, but tight: fits on 2× GeForce RTX 3090 with a layer split")
    answer, decode = verdict.inner_text(), page.get_by_test_id("decode").inner_text()

    shared_url = share(page)
    expect(page.get_by_test_id("same")).to_be_visible()
    gpu = Gpu.objects.get(slug="geforce-rtx-3090")
    gpu.memory_bytes = 20 * 2**30  # an admin edit that changes the answer
    gpu.save()
    page.goto(shared_url)
    expect(page.get_by_test_id("verdict")).to_have_text(answer)
    expect(page.get_by_test_id("decode")).to_have_text(decode)
    expect(page.get_by_test_id("differs")).to_be_visible()


def test_the_tab_s_title_follows_the_answer_swapped_in(page, live_server):
    """The review: after a change the tab still read "Yes: fits on 1× GeForce RTX 4090, about 40.0 tok/s"
    over another answer, and bookmarks and history kept it."""
    page.goto(live_server.url + "/?model=qwen3-32b&quant=q4_k_m&gpu=geforce-rtx-4090&count=1")
    expect(page).to_have_title(re.compile(r"^Yes: fits on 1× GeForce RTX 4090"))
    page.locator("#id_count_1").fill("2")
    expect(page.get_by_test_id("verdict")).to_contain_text("2× GeForce RTX 4090")
    expect(page).to_have_title(re.compile(r"^Yes: .*2× GeForce RTX 4090.* – Will it run\?$"))
    page.locator("#id_count_1").fill("0")
    expect(page).to_have_title("Will it run?")
    page.goto(live_server.url + "/what-runs/?gpu=geforce-rtx-4090&count=1")
    page.locator("#id_count_1").fill("2")
    expect(page).to_have_title("What runs on 2× GeForce RTX 4090? – Will it run?")
