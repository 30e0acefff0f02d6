"""Pasting an error into the site search in Chromium lands on the page that explains it."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

# The same message as llama.cpp issue #20431, with this visitor's own sizes and device.
PASTED = (
    "ggml_backend_cuda_buffer_type_alloc_buffer: allocating 22816.52 MiB on device 1: "
    "cudaMalloc failed: out of memory"
)


def test_pasting_an_oom_error_into_the_site_search_lands_on_its_page(page, live_server):
    page.goto(live_server.url + "/")
    box = page.locator("#site-search-q")
    box.fill(PASTED)
    box.press("Enter")
    first_group = page.locator("section.search-group").first
    expect(first_group).to_have_attribute("data-kind", "error")
    first_group.get_by_role("link").first.click()
    expect(page).to_have_url(live_server.url + "/errors/llama-cpp-cudamalloc-failed-out-of-memory/")
    expect(page.get_by_role("heading", level=1)).to_have_text("llama.cpp: cudaMalloc failed: out of memory")
    expect(page.get_by_test_id("error-message").first).to_contain_text("cudaMalloc failed: out of memory")
