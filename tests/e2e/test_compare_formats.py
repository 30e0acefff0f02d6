"""A GPU comparison's speeds (/gpus/compare/): where a card runs a model only in a narrower format than
another card of the row, its format stands beside its speed, bold and amber, with "quality drops" under
3.5 bits (catalog/fitting.py LOW_BITS, as the GPU page says it); formats like for like stay small and grey.
The review: "39.5 tok/s … Q2_K" for the RTX 5090 beside "11.2 tok/s … Q4_K_M" for the M3 Ultra, the format
in small grey text, read as like for like."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

THREE = ["geforce-rtx-3090", "geforce-rtx-5090", "apple-m3-ultra-96gb"]
# each cell of a row: its text, the tops of its speed and of its narrower mark, the mark's weight and colour
CELLS = """tds => tds.map(td => {
  const speed = td.querySelector('a'), mark = td.querySelector('[data-testid=narrower]');
  const top = e => e && Math.round(e.getBoundingClientRect().top);
  return {
    text: td.innerText, speed: top(speed), mark: top(mark),
    weight: mark && +getComputedStyle(mark).fontWeight, color: mark && getComputedStyle(mark).color,
    muted: getComputedStyle(td.querySelector('small') || td).color,
  };
})"""


@pytest.mark.parametrize("width", [390, 1440])
def test_a_narrower_format_stands_beside_its_speed_with_its_quality_cost(page_at, live_server, width):
    page = page_at(width, 900)
    page.goto(live_server.url + "/gpus/compare/?" + "&".join(f"gpu={g}" for g in THREE))
    speeds = page.get_by_test_id("compare-speeds")
    llama = speeds.locator('tr[data-model="llama-3-3-70b-instruct"]').get_by_test_id("speed")
    _, rtx5090, m3 = llama.evaluate_all(CELLS)
    assert "Q2_K" in rtx5090["text"] and "Q4_K_M" in m3["text"]
    assert rtx5090["mark"] is not None and abs(rtx5090["mark"] - rtx5090["speed"]) < 4  # on the speed's line
    assert "at Q2_K" in rtx5090["text"] and "quality drops" in rtx5090["text"]
    assert rtx5090["weight"] >= 600 and rtx5090["color"] != rtx5090["muted"]  # not small grey text
    assert m3["mark"] is None and "quality drops" not in m3["text"]  # the widest of the row: as before
    # a row like for like (Q4_K_M on each card) marks none
    like = speeds.locator('tr[data-model="qwen3-30b-a3b"]')
    expect(like.get_by_test_id("narrower")).to_have_count(0)
    expect(like).not_to_contain_text("quality drops")
