"""Only what the hardware runs, in a real browser: picking an Apple GPU sets vLLM apart in the runtime
select, live, and the answer panel's fix runs the same question with a runtime that runs there."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
ON_A_4090_WITH_VLLM = "/?model=llama-3-1-8b-instruct&quant=bf16&gpu=geforce-rtx-4090&runtime=vllm"


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1280, 900)])
def test_an_apple_gpu_sets_vllm_apart_and_the_fix_runs_llama_cpp(page_at, live_server, width, height):
    page = page_at(width, height)
    page.goto(live_server.url + ON_A_4090_WITH_VLLM)
    verdict = page.get_by_test_id("verdict")
    expect(verdict).to_contain_text("Yes")
    page.evaluate("window.__same_document = true")
    page.locator("details.question-toggle").evaluate("toggle => { toggle.open = true; }")  # folded on a phone

    page.get_by_label("GPU 1", exact=True).select_option("apple-m4-max-128gb")
    problems = page.get_by_test_id("problems")
    expect(problems).to_contain_text("vLLM does not run on Apple silicon (Metal)")
    runtime = page.get_by_label("Runtime")
    # the visitor's own choice stays, explained; what else cannot run here cannot be picked
    expect(runtime).to_have_value("vllm")
    expect(page.locator("#error-runtime")).to_contain_text("vLLM does not run on Apple silicon")
    expect(runtime.locator("option[value=sglang]")).to_be_disabled()
    expect(runtime.locator("option[value=mlx]")).to_be_enabled()
    expect(page.get_by_label("Format").locator("option[value=fp8]")).to_be_disabled()

    fix = page.get_by_role("link", name="Use llama.cpp with BF16")
    fix.scroll_into_view_if_needed()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"hardware-choices-{width}.png")
    fix.click()
    expect(verdict).to_contain_text("Yes: fits on 1× Apple M4 Max")
    expect(page).to_have_url(re.compile(r"quant=bf16&gpu=apple-m4-max-128gb$"))
    assert page.evaluate("window.__same_document") is True  # swapped in place, no page load
    expect(runtime).to_have_value("")  # usual for the format: llama.cpp here
    expect(runtime.locator("option[value=vllm]")).to_be_disabled()  # no longer chosen: not offered

    page.reload()  # the fix is a permalink
    expect(verdict).to_contain_text("Yes: fits on 1× Apple M4 Max")


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1280, 900)])
def test_the_gpu_backend_recomputes_live_and_history_restores_without_errors(
    page_at, live_server, width, height
):
    """A Radeon on ROCm, then on Vulkan from the select: the answer follows in place; back and forward
    restore each answer (the picker script had read a request that a history restore does not have)."""
    page = page_at(width, height)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(live_server.url + "/?model=llama-3-1-8b-instruct&quant=q4_k_m&gpu=radeon-rx-7900-xtx")
    verdict = page.get_by_test_id("verdict")
    expect(verdict).to_contain_text("fits on 1× Radeon RX 7900 XTX, about")
    page.locator("details.question-toggle").evaluate("toggle => { toggle.open = true; }")  # folded on a phone
    backend = page.get_by_label("GPU backend")
    expect(backend.locator("option")).to_have_text(["Usual for the runtime: ROCm", "ROCm", "Vulkan"])
    backend.select_option("vulkan")
    expect(verdict).to_contain_text("fits on 1× Radeon RX 7900 XTX on Vulkan, about")
    expect(page).to_have_url(re.compile(r"backend=vulkan"))
    page.go_back()
    expect(page).not_to_have_url(re.compile(r"backend="))
    page.go_forward()
    expect(page).to_have_url(re.compile(r"backend=vulkan"))
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert not errors, errors
