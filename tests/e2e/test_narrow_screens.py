"""A phone (390 px wide): a launch command shows whole in its box, wrapping between its arguments and never
between a flag and its value (a long value, a repository's name, may break), its `#` comment lines wrapping like
prose; and a guide's table wider than the screen shows a shadow at the edge it scrolls to (static/css/site.css,
"Launch command")."""

import io

import pytest
from PIL import Image, ImageStat

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(page):
    page.set_viewport_size(PHONE)
    return page


def test_a_command_shows_whole_on_a_phone_and_never_splits_a_flag_from_its_value(phone, live_server):
    # no published GGUF: the command converts the checkpoint (hf download --local-dir, --outtype --outfile)
    phone.goto(live_server.url + "/?model=llama-3-1-8b&gpu=geforce-rtx-4090")
    command = phone.get_by_test_id("launch-command")
    assert "--local-dir" in command.inner_text() and "--outfile" in command.inner_text()
    assert command.evaluate("e => e.scrollWidth <= e.clientWidth")  # whole in the box: nothing to scroll to
    short = command.locator("span.a:not(.l span)")
    assert short.count() > 5
    assert (
        short.evaluate_all("els => els.filter(e => e.getClientRects().length > 1).map(e => e.textContent)")
        == []
    )
    tops = short.evaluate_all("els => new Set(els.map(e => Math.round(e.getBoundingClientRect().top))).size")
    commands = [line for line in command.inner_text().splitlines() if line and not line.startswith("#")]
    assert tops > len(commands)  # a command line wrapped, between its arguments
    comment = command.locator("span").first  # "# No published Q4_K_M GGUF of Llama 3.1 8B: ..."
    assert comment.inner_text().startswith("# ")
    assert comment.evaluate("e => e.getClientRects().length") > 1  # wraps in the box: read in full
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


# a speed's likely range, "(15.2–23.1)", where a text node of the page has one
BROKEN_RANGES = r"""root => {
  const broken = [], walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node; (node = walker.nextNode()); ) {
    for (const m of node.data.matchAll(/\([\d.,]+–[\d.,]+\)/g)) {
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
      if (lines.size !== 1) broken.push(m[0]);
    }
  }
  return broken;
}"""


@pytest.mark.parametrize("width", [390, 1440])
@pytest.mark.parametrize(
    ("url", "where"),
    [
        ("/?model=llama-3-1-8b-instruct&gpu=geforce-rtx-4090", "table.plans"),
        ("/?model=llama-3-1-70b-instruct&gpu=geforce-rtx-4090&gpu=geforce-rtx-4090", "table.plans"),
        ("/?model=llama-3-1-70b-instruct" + "&gpu=geforce-rtx-3090" * 4 + "&users=4", "table.plans"),
        (
            "/gpus/compare/?gpu=geforce-rtx-4090&gpu=geforce-rtx-3090&gpu=geforce-rtx-5090&gpu=a100-pcie-80-gb",
            "[data-testid=compare-speeds]",
        ),
    ],
    ids=["one-gpu", "two-gpus", "four-gpus-four-users", "gpu-compare"],
)
def test_a_speeds_range_stays_on_one_line(page_at, live_server, url, where, width):
    """A review: on a phone a plan card's "19.2 tok/s (15.2–23.1)" broke after the en dash, "(15.2–" over
    "23.1)", as did a narrow column on a desktop and the GPU comparison's "(42.3–51.1)": a range reads whole
    (static/css/site.css `.range`), the speed before it still free to wrap."""
    page = page_at(width, 844)
    page.goto(live_server.url + url)
    table = page.locator(where)
    assert table.locator("td").count() > 0
    assert table.evaluate("t => t.textContent.includes('–')")  # a range to keep
    assert table.evaluate(BROKEN_RANGES) == []
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert table.evaluate("t => t.parentElement.scrollWidth <= t.parentElement.clientWidth")


@pytest.mark.parametrize("url", ["/", "/glossary/", "/gpus/"])
def test_the_header_search_fits_the_narrowest_phone(page_at, live_server, url):
    """A review: at 320 px every page was 321 px wide, the header's search form as wide as its input's
    default size and its button: the form may shrink below its content (static/css/site.css `.site-search`)."""
    page = page_at(320, 700)
    page.goto(live_server.url + url)
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert page.locator(".site-search").evaluate("f => f.getBoundingClientRect().right <= window.innerWidth")
