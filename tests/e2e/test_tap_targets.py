"""A phone's tap targets are 24×24 CSS px at least (WCAG 2.2, 2.5.8 target size minimum). Review 9 measured,
at 390×844: the price-source links of /choose/ 15 px tall, Remove on /compare/ 60×15 px, the nav's links
21 px. Review 10: the Totals' term links 16 px tall, a breadcrumb 16 px, a table's header links 19 px (the
sort headers show wider than a phone, where a card lays out each row: on a tablet held upright)."""

import pytest

pytestmark = pytest.mark.e2e

COMPARED = (
    "/compare/?q=model%3Dqwen3-30b-a3b%26gpu%3Dgeforce-rtx-3090&q=model%3Dqwen3-8b%26gpu%3Dgeforce-rtx-3090"
)

# each target's box, and what a tap 1 px inside its top and bottom edges lands on
BOXES = """targets => targets.map(t => {
  const r = t.getBoundingClientRect(), x = r.left + r.width / 2;
  const lands = y => t.contains(document.elementFromPoint(x, y));
  return { text: t.textContent.trim(), width: r.width, height: r.height, taps: lands(r.top + 1) && lands(r.bottom - 1) };
})"""


PHONE, TABLET = (390, 844), (820, 1180)


@pytest.mark.parametrize(
    ("address", "selector", "size"),
    [
        ("/choose/?budget=2000&model=qwen3-30b-a3b&ctx=32768", ".site-header nav a", PHONE),
        ("/choose/?budget=2000&model=qwen3-30b-a3b&ctx=32768", "td[data-label=Price] small a", PHONE),
        (COMPARED, "a.remove", PHONE),
        ("/?model=qwen3-8b&gpu=geforce-rtx-3090", ".totals dt a", PHONE),
        ("/glossary/kv-cache/", ".breadcrumbs a", PHONE),
        ("/gpus/geforce-rtx-3090/", "table.specs th a", PHONE),
        ("/what-runs/?gpu=geforce-rtx-3090", "thead a", TABLET),
    ],
)
def test_a_phone_s_targets_are_24_px_square_at_least(page_at, live_server, address, selector, size):
    page = page_at(*size)
    page.goto(live_server.url + address)
    targets = page.locator(selector)
    assert targets.count() >= 2
    for target in targets.all()[:3]:
        target.scroll_into_view_if_needed()
        (box,) = target.evaluate_all(BOXES)
        assert box["width"] >= 24 and box["height"] >= 24, box
        assert box["taps"], box
