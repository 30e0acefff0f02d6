"""An editor imports a model by its Hub repo id in Chromium: a silent Hub is given up at the timeout,
a Hub that answers fills the "Add LLM" form for review. The Hub is a local fake (tests/catalog/fake_hub.py).

E2E_SCREENSHOTS=<dir> keeps a screenshot of each page on the way.
"""

import json
import time

import pytest
from playwright.sync_api import expect

from catalog import admin_import
from catalog.models import LlmModel
from tests.catalog.fake_hub import fake_hub_fixture, ok, silent  # noqa: F401
from tests.catalog.test_byo import LLAMA_31_8B
from tests.e2e.conftest import shot

pytestmark = pytest.mark.e2e


@pytest.fixture
def editor(editor_at):
    return editor_at(1440, 900)


def test_a_silent_hub_is_given_up_at_the_timeout_and_an_answer_is_reviewed(
    editor, live_server, fake_hub, monkeypatch
):
    page = editor
    monkeypatch.setattr(admin_import, "HUB_TIMEOUT_S", 1)
    fake_hub.routes[fake_hub.config_path("meta-llama/Llama-3.1-8B")] = silent()
    fake_hub.routes[fake_hub.config_path("someone/Llama-3.1-8B-Copy")] = ok(json.dumps(LLAMA_31_8B).encode())

    page.goto(live_server.url + "/admin/catalog/llmmodel/import/")
    page.locator("#id_repo_id").fill("meta-llama/Llama-3.1-8B")
    started = time.monotonic()
    page.get_by_role("button", name="Import").click()
    expect(page.locator(".errorlist")).to_contain_text(
        "The Hugging Face Hub did not answer within 1 s: paste meta-llama/Llama-3.1-8B's config.json instead."
    )
    assert time.monotonic() - started < 3
    shot(page, "hub-timed-out")

    page.locator("#id_repo_id").fill("someone/Llama-3.1-8B-Copy")
    page.get_by_role("button", name="Import").click()
    expect(page.locator(".messagelist")).to_contain_text(
        "review its fields, then save it. Nothing is saved yet."
    )
    expect(page.locator("#id_hf_id")).to_have_value("someone/Llama-3.1-8B-Copy")
    expect(page.locator("#id_num_key_value_heads")).to_have_value("8")
    shot(page, "hub-review")
    assert not LlmModel.objects.filter(hf_id="someone/Llama-3.1-8B-Copy").exists()
