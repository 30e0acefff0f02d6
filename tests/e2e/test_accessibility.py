"""axe-core (4.14.1, from npm, vendored in tests/e2e/assets/ as a test asset, never served to visitors)
finds no serious or critical accessibility violation on each kind of page, on a desktop and a phone."""

from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

AXE = Path(__file__).resolve().parent / "assets" / "axe.min.js"
PAGES = {
    "calculator": "/",
    "result": "/?model=llama-3-1-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=2&ctx=8192",
    "what-runs": "/what-runs/?gpu=apple-m4-max-128gb",
    "what-hardware": "/what-hardware/?model=gpt-oss-120b&quant=mxfp4&tok_s=20",
    "what-hardware-image": "/what-hardware/?model=flux-1-dev",
    "gpu": "/gpus/geforce-rtx-3090/",
    "glossary": "/glossary/kv-cache/",
    "api-docs": "/api/",
}


@pytest.mark.parametrize(("width", "height"), [(1440, 900), (390, 844)], ids=["desktop", "phone"])
@pytest.mark.parametrize("url", PAGES.values(), ids=PAGES.keys())
def test_no_serious_or_critical_violation(page_at, live_server, url, width, height):
    # bypass_csp: the site's Content-Security-Policy rightly refuses the injected test script
    page = page_at(width, height, bypass_csp=True)
    page.goto(live_server.url + url)
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("async () => (await axe.run(document)).violations")
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]
    assert not serious, "\n".join(serious)
