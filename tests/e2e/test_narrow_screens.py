"""A phone (390 px wide): a launch command scrolls inside its box instead of breaking a token across
lines (its `#` comment lines wrap, to be read in full), and a guide's table wider than the screen shows a shadow at the edge it scrolls to
(static/css/site.css, "Launch command")."""

import io

import pytest
from PIL import Image, ImageStat

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
# Where each line of an element's text starts on the screen: a character whose top differs from the one
# before it (newlines aside) starts a line the browser wrapped. A `# comment` line (in its <span>) is
# meant to wrap, and is left out.
WRAPPED_AT = """e => {
  const walker = document.createTreeWalker(e, NodeFilter.SHOW_TEXT), range = document.createRange();
  const breaks = []; let top = null, text = "";
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement.tagName === "SPAN") { top = null; text = ""; continue; }
    for (let i = 0; i < node.length; i++) {
      const ch = node.data[i];
      if (ch === "\\n") { top = null; text = ""; continue; }
      range.setStart(node, i); range.setEnd(node, i + 1);
      const y = Math.round(range.getBoundingClientRect().top);
      if (top !== null && y !== top) breaks.push(text.slice(-12) + "⏎" + node.data.slice(i, i + 12));
      top = y; text += ch;
    }
  }
  return breaks;
}"""


@pytest.fixture
def phone(page):
    page.set_viewport_size(PHONE)
    return page


def test_a_command_is_never_split_mid_token_on_a_phone(phone, live_server):
    # no published GGUF: the command converts the checkpoint (hf download --local-dir, --outtype --outfile)
    phone.goto(live_server.url + "/?model=llama-3-1-8b&gpu=geforce-rtx-4090")
    command = phone.get_by_test_id("launch-command")
    assert "--local-dir" in command.inner_text() and "--outfile" in command.inner_text()
    assert command.evaluate(WRAPPED_AT) == []  # lines end where the command has a newline, nowhere else
    comment = command.locator("span").first  # "# No published Q4_K_M GGUF of Llama 3.1 8B: ..."
    assert comment.inner_text().startswith("# ")
    assert comment.evaluate("e => e.getClientRects().length") > 1  # wraps in the box: read in full
    assert command.evaluate("e => e.scrollWidth > e.clientWidth")  # the rest is a scroll away, in the box
    assert phone.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


def right_edge(element) -> float:
    """Mean brightness of the element's rightmost 4 px, as the screen shows them."""
    shot = Image.open(io.BytesIO(element.screenshot())).convert("L")
    strip = shot.crop((shot.width - 4, 0, shot.width, shot.height))
    return ImageStat.Stat(strip).mean[0]


def test_a_wide_guide_table_shows_a_shadow_where_it_scrolls_on(phone, live_server):
    phone.goto(live_server.url + "/guides/speed-math/")
    table = phone.locator(".prose table").first
    table.scroll_into_view_if_needed()
    assert table.evaluate("e => e.scrollWidth > e.clientWidth")
    table.evaluate("e => { e.style.color = 'transparent' }")  # only the table's own paint is compared
    more = right_edge(table)
    table.evaluate("e => { e.scrollLeft = e.scrollWidth }")
    end = right_edge(table)
    assert more < end - 5, (more, end)  # darker while there is more to the right; gone at the end
