"""Reading pages on a phone: no guide or glossary page scrolls sideways at 390 px.

Wide tables scroll inside themselves and long URLs wrap (static/css/site.css, `.prose`); this walks
every guide, every buyer's guide and the indexes, where Markdown tables and bare links live.
"""

from pathlib import Path

import pytest

from costs.guides import GUIDES

pytestmark = pytest.mark.e2e

CONTENT = Path(__file__).resolve().parents[2] / "content"
PAGES = (
    ["/glossary/", "/guides/", "/errors/", "/buyers-guides/"]
    + [f"/guides/{path.stem}/" for path in sorted((CONTENT / "guides").glob("*.md"))]
    + [f"/buyers-guides/{slug}/" for slug in GUIDES]
)


def test_no_reading_page_scrolls_sideways_on_a_phone(page_at, live_server):
    page = page_at(390, 844)
    too_wide = {}
    for url in PAGES:
        response = page.goto(live_server.url + url, wait_until="domcontentloaded")
        assert response.status == 200, url
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 0:
            too_wide[url] = overflow
    assert len(PAGES) > 15
    assert too_wide == {}
