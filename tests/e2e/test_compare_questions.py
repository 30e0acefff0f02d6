"""Compared questions (/compare/): each verdict names the plan that answers it, and a question that counts on
system RAM prices its GPUs only. The review: a row answered by CPU offload at a few tok/s read as a plain
green "Yes" with no plan, and its price left out the RAM without saying so."""

import pytest
from django.utils.http import urlencode
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

OFFLOAD = "model=llama-3-3-70b-instruct&gpu=geforce-rtx-3090&ram_gb=64"
TWO = "model=llama-3-3-70b-instruct&gpu=geforce-rtx-3090&count=2"


@pytest.mark.parametrize("width", [390, 1440])
def test_a_compared_verdict_names_its_plan_and_a_price_without_the_ram_says_so(page_at, live_server, width):
    page = page_at(width, 900)
    page.goto(live_server.url + "/compare/?" + urlencode([("q", OFFLOAD), ("q", TWO)]))
    offload, two = page.get_by_test_id("compare-table").locator("tbody tr").all()
    verdict = offload.locator('td[data-label="Verdict"]')
    expect(verdict).to_contain_text("Yes")
    expect(verdict.get_by_test_id("plan")).to_have_text("CPU offload")
    expect(verdict.get_by_test_id("plan")).to_be_visible()
    expect(two.locator('td[data-label="Verdict"]').get_by_test_id("plan")).to_have_text("Layer split")
    price = offload.locator('td[data-label="Hardware price"]')
    expect(price).to_contain_text("$")
    expect(price.get_by_test_id("gpus-only")).to_have_text("GPUs only")
    expect(price.get_by_test_id("gpus-only")).to_be_visible()
    expect(two.locator('td[data-label="Hardware price"]').get_by_test_id("gpus-only")).to_have_count(0)
