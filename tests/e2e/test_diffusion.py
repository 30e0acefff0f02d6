"""Image and video models in a real browser: the answer, live updates, switching kind, phone width."""

import os
import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("DIFFUSION_SCREENSHOTS")  # a folder: save what the visitor sees there


def shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def test_flux_on_an_rtx_3060_answers_and_updates_live(page, live_server):
    page.set_viewport_size({"width": 1440, "height": 900})
    # no format chosen: the one that runs faster with less RAM leads (BF16 runs only by sequential offload)
    page.goto(f"{live_server.url}/?model=flux-1-dev&gpu=geforce-rtx-3060-12-gb&ram_gb=64")
    expect(page.get_by_test_id("verdict")).to_contain_text(
        "runs on 1× GeForce RTX 3060 12 GB in Q6_K with component"
    )
    page.goto(f"{live_server.url}/?model=flux-1-dev&quant=bf16&gpu=geforce-rtx-3060-12-gb&ram_gb=64")
    expect(page.get_by_test_id("verdict")).to_contain_text(
        "runs on 1× GeForce RTX 3060 12 GB with sequential offload"
    )
    expect(page.get_by_test_id("comfyui-command")).to_contain_text("python main.py --lowvram")
    before = page.get_by_test_id("time-range").inner_text()
    shot(page, "flux-3060-1440")
    page.get_by_label("Steps").fill("10")
    expect(page).to_have_url(re.compile(r"steps=10"))
    expect(page.get_by_test_id("time-range")).not_to_have_text(before)
    page.get_by_label("Format", exact=True).select_option("q4_k_s")
    expect(page.get_by_test_id("verdict")).to_contain_text("with component offload")
    expect(page.get_by_test_id("comfyui-command")).to_contain_text("ComfyUI-GGUF")


def test_wan_on_two_3090s_on_a_phone_and_back_to_an_llm(page, live_server):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(
        f"{live_server.url}/?model=wan-2-1-t2v-14b&gpu=geforce-rtx-3090&count=2&quant=fp8&width=832&height=480"
    )
    expect(page.get_by_test_id("verdict")).to_contain_text(
        "runs on 2× GeForce RTX 3090 with component offload"
    )
    expect(page.get_by_test_id("time-range")).to_contain_text("per video")
    expect(page.get_by_label("Frames (video)")).to_have_value("81")
    expect(page.get_by_test_id("verdict")).to_be_in_viewport()  # the question folds away on a phone
    shot(page, "wan-2x3090-390")
    page.locator("summary", has_text="Change the question").click()
    expect(page.get_by_label("Frames (video)")).to_be_visible()
    page.locator("#id_model").select_option("llama-3-1-8b-instruct")
    expect(page).to_have_url(re.compile(r"/\?model=llama-3-1-8b-instruct&gpu=geforce-rtx-3090&count=2$"))
    expect(page.locator("#id_ctx")).to_be_attached()
    expect(page.get_by_test_id("verdict")).to_contain_text("Yes")


def test_choosing_an_image_model_on_the_llm_page_loads_its_page(page, live_server):
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{live_server.url}/?model=llama-3-1-8b-instruct&gpu=geforce-rtx-4090")
    page.locator("#model-search").fill("sdxl")
    expect(page.locator("#id_model option", has_text="SDXL")).to_have_count(1)
    page.locator("#id_model").select_option("stable-diffusion-xl")
    expect(page.get_by_test_id("verdict")).to_contain_text(
        "Stable Diffusion XL 1.0 (SDXL) runs on 1× GeForce RTX 4090"
    )
    expect(page.get_by_label("Steps")).to_have_value("50")
    shot(page, "sdxl-4090-1440")
