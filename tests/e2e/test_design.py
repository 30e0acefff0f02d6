"""The answer at a glance (issue 16): the verdict in the first screen on a desktop and a phone, live
updates in view, no sideways scroll, verdict colours that pass WCAG AA in light and dark mode.

Each test saves its screenshots under test-artifacts/screenshots/ for review.
"""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
SIZES = {"desktop": (1440, 900), "phone": (390, 844)}
QUESTION = "/?model=llama-3-1-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=2&ctx=8192"

# WCAG relative luminance and contrast of an element's text against the colour behind it.
CONTRAST = """(el) => {
  const rgb = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  let back = el;
  while (back && getComputedStyle(back).backgroundColor.match(/rgba\\(.*, 0\\)|transparent/)) back = back.parentElement;
  const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(rgb(getComputedStyle(back || document.body).backgroundColor))];
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


@pytest.fixture
def sized(page_at):
    def open_page(size: str, *, dark: bool = False):
        return page_at(*SIZES[size], color_scheme="dark" if dark else "light")

    return open_page


def in_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    return bool(box) and box["y"] >= 0 and box["y"] + min(box["height"], 40) <= height


def screenshot(page, name: str):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"{name}.png")


@pytest.mark.parametrize("size", SIZES)
def test_the_verdict_is_in_the_first_screen_and_stays_there_while_inputs_change(sized, live_server, size):
    page = sized(size)
    page.goto(live_server.url + QUESTION)
    verdict = page.get_by_test_id("verdict")
    expect(verdict).to_contain_text("fits on 2× GeForce RTX 3090")
    assert in_viewport(page, verdict)
    screenshot(page, f"calculator-{size}")

    if size == "phone":  # the inputs fold away after the first answer; the verdict bar stays on screen
        page.get_by_text("Change the question").click()
    page.get_by_label("Context (tokens)").scroll_into_view_if_needed()
    page.get_by_label("Context (tokens)").fill("32768")
    expect(verdict).to_contain_text("No: it does not fit")
    assert in_viewport(page, verdict)
    screenshot(page, f"calculator-changed-{size}")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


def test_plans_are_cards_on_a_phone_and_the_copy_button_never_covers_the_command(sized, live_server):
    page = sized("phone")
    page.goto(live_server.url + QUESTION)
    row = page.locator("table.plans tbody tr").first
    assert row.evaluate("r => getComputedStyle(r).display") == "block"
    assert page.locator("table.plans").bounding_box()["width"] <= 390
    command, copy = page.get_by_test_id("launch-command"), page.get_by_role("button", name="Copy")
    copy.scroll_into_view_if_needed()
    command_box, copy_box = command.bounding_box(), copy.bounding_box()
    assert copy_box["y"] + copy_box["height"] <= command_box["y"] + 1  # above it, not over it
    page.locator("#plans").scroll_into_view_if_needed()
    screenshot(page, "plans-phone")


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
@pytest.mark.parametrize(
    ("query", "css"),
    [
        ("/?model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090", "yes"),
        (
            "/?model=llama-3-3-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=2&ctx=32768&kv=q8_0",
            "tight",
        ),
        ("/?model=llama-3-1-405b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090", "no"),
    ],
)
def test_verdict_colours_pass_wcag_aa(sized, live_server, dark, query, css):
    page = sized("desktop", dark=dark)
    page.goto(live_server.url + query)
    verdict = page.get_by_test_id("verdict")
    expect(verdict).to_have_class(re.compile(rf"\b{css}\b"))
    assert verdict.evaluate(CONTRAST) >= 4.5
    screenshot(page, f"verdict-{css}-{'dark' if dark else 'light'}")


REVERSE = {
    "what-runs": "/what-runs/?gpu=apple-m4-max-128gb",
    "what-hardware": "/what-hardware/?model=llama-3-3-70b-instruct&quant=q4_k_m",
    "what-hardware-image": "/what-hardware/?model=flux-1-dev",
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("page_name", REVERSE)
def test_the_reverse_questions_show_their_answer_in_the_first_screen(sized, live_server, size, page_name):
    """The three questions of the home page: the calculator (above), and the two reverse ones."""
    page = sized(size)
    page.goto(live_server.url + REVERSE[page_name])
    verdict = page.get_by_test_id("verdict")
    expect(verdict).to_be_visible()
    assert in_viewport(page, verdict)
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    screenshot(page, f"{page_name}-{size}")


def test_a_refusal_naming_a_long_address_wraps_on_a_phone(sized, live_server):
    """vLLM on an Intel card is refused naming vLLM's installation page: the address, one long word, pushed the
    phone page 200 px sideways until error text wraps anywhere."""
    page = sized("phone")
    page.goto(live_server.url + "/?model=llama-3-1-8b-instruct&gpu=arc-a770&runtime=vllm")
    expect(page.locator("#problems")).to_contain_text(
        "docs.vllm.ai/en/latest/getting_started/installation/gpu/"
    )
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


def test_every_nav_link_is_on_the_first_screen_of_a_phone(sized, live_server):
    """A review: on a phone the nav scrolled sideways inside its box, with Glossary and Guides past the
    edge and only a shade to say so. It wraps onto lines instead: every link on screen, the verdict too."""
    page = sized("phone")
    page.goto(live_server.url + QUESTION)
    links = page.locator(".site-header nav a")
    assert links.count() >= 9
    for i in range(links.count()):
        box = links.nth(i).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["y"] + box["height"] <= 844, (
            links.nth(i).inner_text()
        )
    assert in_viewport(page, page.get_by_test_id("verdict"))
