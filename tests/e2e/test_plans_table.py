"""A desktop's plans table: a plan's numbers on a line, each device of its memory on one ("GeForce RTX 3060 12 GB:
10.9 / 12.0 GiB"), its why and watch-outs under them across the row (calculator/templatetags/calculator.py
`plan_rows_html`, static/css/site.css `.notes-below`); a phone keeps its cards. The review, at 1440×900: the
"Memory per device" column was ~110 px wide, its cells 8–10 lines tall ("GeForce RTX 3060 12 GB: 10.9 GiB /
12.0 GiB System RAM: 7.4 GiB / 32.0 GiB"), beside a "Why / watch out" column ~210 px wide."""

import pytest

pytestmark = pytest.mark.e2e

OFFLOAD = "/?model=qwen3-30b-a3b&gpu=geforce-rtx-3060-12-gb&ram_gb=32"
ROWS = """table => [...table.querySelectorAll('tbody tr')].map(tr => {
  const td = tr.querySelector('td[data-label="Memory per device"]'), ul = td.querySelector('ul');
  const why = tr.querySelector('td:last-child');
  return {
    text: td.innerText, width: td.getBoundingClientRect().width, devices: ul.children.length,
    lines: ul.getBoundingClientRect().height / parseFloat(getComputedStyle(ul).lineHeight),
    split: [...td.querySelectorAll('.used')].filter(s => s.getClientRects().length > 1).map(s => s.textContent),
    why: why.getBoundingClientRect().width, height: tr.getBoundingClientRect().height,
  };
})"""
OVERFLOW = "e => e.scrollWidth - e.clientWidth"


def test_memory_per_device_reads_a_device_a_line_and_the_notes_take_the_rows_width(page_at, live_server):
    page = page_at(1440, 900)
    page.goto(live_server.url + OFFLOAD)
    table = page.locator("table.plans")
    rows = table.evaluate(ROWS)
    assert [r["devices"] for r in rows] == [2, 2, 1]  # expert offload, CPU offload: the card and the RAM
    assert "GeForce RTX 3060 12 GB: 10.9 / 12.0 GiB" in rows[0]["text"]  # one unit, said once
    assert "System RAM: 7.4 / 32.0 GiB" in rows[0]["text"]
    width = table.bounding_box()["width"]
    for row in rows:
        assert row["width"] >= 250 and row["split"] == [], row
        assert row["lines"] < row["devices"] + 0.5, row  # a device a line
        assert row["why"] > width * 0.75, row  # the notes under the numbers, across the row
        assert row["height"] < 360, row  # was 649 px for expert offload's
    assert table.locator("xpath=..").evaluate(OVERFLOW) <= 0


def test_a_narrow_desktop_keeps_the_plans_whole_and_each_used_of_on_one_line(page_at, live_server):
    page = page_at(1100, 900)  # the question beside the answer: ~630 px for the table
    page.goto(live_server.url + OFFLOAD)
    table = page.locator("table.plans")
    assert table.locator("xpath=..").evaluate(OVERFLOW) <= 0  # nothing to scroll sideways
    for row in table.evaluate(ROWS):
        assert row["split"] == [] and row["width"] >= 136, row  # 8.5rem: a name over its numbers
