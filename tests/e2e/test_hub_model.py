"""A visitor types a Hugging Face id under "Use my own model" and gets the answer for that model; a gated
one gets the reason next to the field. The Hub is a local fake serving a recorded config.json."""

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.catalog.fake_hub import fake_hub_fixture, ok, status  # noqa: F401
from tests.catalog.test_byo import LLAMA_31_8B

pytestmark = pytest.mark.e2e

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
QUESTION = "/?model=llama-3-1-70b-instruct&quant=q4_k_m&gpu=geforce-rtx-3090&count=2&ctx=8192"


def test_a_hugging_face_id_is_read_and_answered(page, live_server, fake_hub):
    fake_hub.routes[fake_hub.config_path("acme/Llama-8B-Clone")] = ok(json.dumps(LLAMA_31_8B).encode())
    fake_hub.routes[fake_hub.config_path("acme/gated")] = status(403)
    page.goto(live_server.url + QUESTION)
    page.get_by_text("Use my own model").click()
    page.get_by_label("or a Hugging Face id").fill("acme/gated")
    page.get_by_role("button", name="Read it").click()
    expect(page.locator("#error-config")).to_contain_text("gated or private")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("details.own-model").first.screenshot(path=SHOTS / "hub-id-gated-desktop.png")
    page.get_by_label("or a Hugging Face id").fill("acme/Llama-8B-Clone")
    page.get_by_role("button", name="Read it").click()
    expect(page.get_by_test_id("own-model")).to_contain_text("Llama-8B-Clone, 8.03 B parameters")
    expect(page).to_have_url(re.compile(r"config=.*acme%2FLlama-8B-Clone.*ctx=8192"))
    expect(page.get_by_test_id("verdict")).to_contain_text("Yes")


def test_the_hugging_face_field_fits_a_phone(page, live_server, fake_hub):
    fake_hub.routes[fake_hub.config_path("acme/gated")] = status(403)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + QUESTION)
    page.get_by_text("Change the question").click()  # on a phone the answer comes first
    page.get_by_text("Use my own model").click()
    field = page.get_by_label("or a Hugging Face id")
    field.fill("acme/gated")
    page.get_by_role("button", name="Read it").click()
    expect(page.locator("#error-config")).to_contain_text("gated or private")
    box = page.get_by_label("or a Hugging Face id").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390  # no sideways scrolling to reach it
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("details.own-model").first.screenshot(path=SHOTS / "hub-id-gated-phone.png")
