"""Two tabs on one GPU, in Chromium at 1440×900: the stale tab's save is refused with what changed, its
own change kept; saved again, both edits stand. Then "Preview" shows a typo's effect before saving."""

import pytest
from playwright.sync_api import expect

from catalog.models import Gpu
from tests.e2e.conftest import shot

pytestmark = pytest.mark.e2e


def test_a_stale_tab_is_refused_and_keeps_its_change(editor_at, live_server):
    gpu = Gpu.objects.get(slug="geforce-rtx-3090")  # the catalog's
    bandwidth, tdp = gpu.bandwidth_gb_s, gpu.tdp_w
    url = f"{live_server.url}/admin/catalog/gpu/{gpu.pk}/change/"
    tab_a, tab_b = editor_at(1440, 900), editor_at(1440, 900)
    tab_a.goto(url)
    tab_b.goto(url)

    tab_a.locator("#id_bandwidth_gb_s").fill("1008")
    tab_a.locator("#id_change_reason").fill("Bandwidth from the spec sheet")
    tab_a.get_by_role("button", name="Save and continue editing").click()
    expect(tab_a.locator(".messagelist")).to_contain_text("was changed successfully")

    tab_b.locator("#id_tdp_w").fill("450")
    tab_b.locator("#id_change_reason").fill("TDP test")
    tab_b.get_by_role("button", name="Save", exact=True).click()
    refusal = tab_b.locator("ul.errorlist.nonfield")
    expect(refusal).to_contain_text("This row was changed by editor at ")
    expect(refusal).to_contain_text(f"Bandwidth (GB/s): {bandwidth} → 1008.0")
    expect(tab_b.locator("#id_tdp_w")).to_have_value("450")  # B's own change, kept
    expect(tab_b.locator("#id_bandwidth_gb_s")).to_have_value("1008.0")  # A's, shown
    shot(tab_b, "gpu-two-tabs-refused")
    gpu.refresh_from_db()
    assert (gpu.bandwidth_gb_s, gpu.tdp_w) == (1008, tdp)

    tab_b.get_by_role("button", name="Save", exact=True).click()
    expect(tab_b.locator(".messagelist")).to_contain_text("was changed successfully")
    gpu.refresh_from_db()
    assert (gpu.bandwidth_gb_s, gpu.tdp_w) == (1008, 450)


def test_preview_shows_a_typos_effect_and_saves_nothing(editor_at, live_server):
    gpu = Gpu.objects.get(slug="geforce-rtx-3090")
    bandwidth = gpu.bandwidth_gb_s
    page = editor_at(1440, 900)
    page.goto(f"{live_server.url}/admin/catalog/gpu/{gpu.pk}/change/")
    page.locator("#id_bandwidth_gb_s").fill("9362")  # 936.2 with its point lost
    page.get_by_role("button", name="Preview").click()
    answer = page.locator("#estimates li").first
    expect(answer).to_contain_text("Llama 3.1 8B (Instruct) Q4_K_M: fits, ~")
    expect(answer.locator("strong")).to_contain_text("fits, ~")
    expect(page.locator("#id_bandwidth_gb_s")).to_have_value("9362")
    shot(page, "gpu-preview")
    assert Gpu.objects.get(pk=gpu.pk).bandwidth_gb_s == bandwidth
