"""LM Studio in a real browser: picking it in the runtime select swaps in `lms` commands that carry the
plan (the published GGUF fetched with `lms get`, the context and GPU offload on `lms load`) and say in
words what lms leaves to LM Studio; the command reads on a phone without scrolling the page sideways."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
TWO_3090S = "/?model=llama-3-3-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=2&ctx=8192"


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1280, 900)])
def test_lm_studio_commands_carry_the_plan_and_say_what_they_leave_out(page_at, live_server, width, height):
    page = page_at(width, height)
    page.goto(live_server.url + TWO_3090S)
    command = page.get_by_test_id("launch-command")
    expect(command).to_contain_text("llama-server")
    page.locator("details.question-toggle").evaluate("toggle => { toggle.open = true; }")  # folded on a phone

    page.get_by_label("Runtime").select_option("lm-studio")
    expect(command).to_contain_text("lms get https://huggingface.co/")
    text = command.inner_text()
    assert "@Q4_K_M" in text and "--context-length 8192" in text and "--gpu max" in text, text
    assert text.rstrip().endswith("lms server start"), text
    # two GPUs: lms load has no flag for the split, and the command says so rather than invent one
    assert "# lms load has no flag for how layers split over GPUs" in text, text
    assert "-ts" not in text and "--tensor-split" not in text, text
    expect(page.get_by_test_id("verdict")).to_contain_text("Yes")
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    command.scroll_into_view_if_needed()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"lm-studio-{width}.png")
    page.reload()  # the choice is in the address: a permalink
    expect(command).to_contain_text("lms load")
