"""An editor renames a GPU's slug in Chromium; the old addresses then lead to the new ones.

E2E_SCREENSHOTS=<dir> keeps a screenshot of each page on the way, at 1440×900 and at 390×844.
"""

import io

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from catalog.models import FormerSlug, Gpu
from tests.e2e.conftest import shot

pytestmark = pytest.mark.e2e
OLD_QUESTION = "/?model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=2"


@pytest.fixture(params=[(1440, 900), (390, 844)], ids=["desktop", "phone"])
def editor(request, editor_at):
    page = editor_at(*request.param)
    page.size = "{}x{}".format(*request.param)
    return page


def test_a_renamed_gpu_keeps_its_old_links_working_and_survives_a_deploy(editor, live_server):
    page = editor
    gpu = Gpu.objects.get(slug="geforce-rtx-3090")
    page.goto(f"{live_server.url}/admin/catalog/gpu/{gpu.pk}/change/")
    expect(page.locator("#id_slug")).to_be_disabled()
    page.get_by_role("link", name="Change slug").first.click()

    expect(page.locator("h1")).to_have_text("Change the slug of GeForce RTX 3090")
    page.locator("#id_new_slug").fill("geforce-rtx-4090")  # another card's: refused, next to the field
    page.locator("#id_change_reason").fill("The slug should say 24 GB")
    page.get_by_role("button", name="Change slug").click()
    expect(page.locator(".errorlist")).to_contain_text("“geforce-rtx-4090” is the slug of GeForce RTX 4090.")
    shot(page, f"slug-refused-{page.size}")

    page.locator("#id_new_slug").fill("geforce-rtx-3090-24gb")
    page.get_by_role("button", name="Change slug").click()
    expect(page.locator(".messagelist")).to_contain_text(
        "slug is now “geforce-rtx-3090-24gb”; links that use “geforce-rtx-3090” lead here."
    )
    expect(page.locator("#id_slug")).to_have_value("geforce-rtx-3090-24gb")
    shot(page, f"slug-changed-{page.size}")
    page.get_by_role("link", name="Change slug").first.click()
    expect(page.locator("#former-slugs")).to_contain_text("geforce-rtx-3090")
    expect(page.locator("#former-slugs")).to_contain_text("The slug should say 24 GB")
    shot(page, f"slug-history-{page.size}")

    page.goto(live_server.url + "/gpus/geforce-rtx-3090/")
    expect(page).to_have_url(live_server.url + "/gpus/geforce-rtx-3090-24gb/")
    expect(page.locator("h1")).to_contain_text("GeForce RTX 3090")
    page.goto(live_server.url + OLD_QUESTION)
    expect(page).to_have_url(live_server.url + OLD_QUESTION.replace("rtx-3090", "rtx-3090-24gb"))
    expect(page.get_by_test_id("verdict")).to_contain_text("GeForce RTX 3090")
    shot(page, f"slug-old-question-{page.size}")

    call_command("load_catalog", "--fixtures-only", stdout=io.StringIO())  # a deploy
    assert not Gpu.objects.filter(slug="geforce-rtx-3090").exists()
    assert FormerSlug.objects.get().row() == Gpu.objects.get(slug="geforce-rtx-3090-24gb")
