"""In Chromium: paste nvidia-smi and get the rig filled in; submit a llama-bench table, approve it in the
admin and see it beside the estimate.

E2E_SCREENSHOTS=<dir> keeps a screenshot of each page on the way, at 1440×900 and 390×844.
"""

import os
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from playwright.sync_api import expect

from tests.calculator.test_rig import FREE_M, NVIDIA_SMI_2X3090, NVIDIA_SMI_L_QUADRO
from tests.community.test_gpu_by_name import RUN
from tests.community.test_parse import BENCH_NKVO
from tests.conftest import GIB, make_gpu

pytestmark = pytest.mark.e2e
SHOTS = os.environ.get("E2E_SCREENSHOTS")
SIZES = {"desktop": (1440, 900), "phone": (390, 844)}


def shot(page, name: str) -> None:
    if not SHOTS:
        return
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    for label, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=f"{SHOTS}/{name}-{label}.png", full_page=True)
    page.set_viewport_size({"width": 1440, "height": 900})


def open_rig(page, live_server):
    page.goto(live_server.url + "/?model=llama-3-1-70b-instruct&quant=q4_k_m&gpu=l4&ctx=8192")
    toggle = page.locator("details.question-toggle")
    if toggle.get_attribute("open") is None:  # folded away on a phone
        toggle.locator("summary").first.click()
    page.get_by_text("Paste my rig (nvidia-smi, rocm-smi, system_profiler…)").click()


def test_a_pasted_nvidia_smi_fills_in_the_gpus_and_the_ram(page, live_server):
    page.set_viewport_size({"width": 1440, "height": 900})
    open_rig(page, live_server)
    page.get_by_role("button", name="Detect my GPU").click()  # headless Chromium has no WebGPU adapter
    expect(page.locator("#error-rig")).to_have_text(
        re.compile(r"cannot tell|but not which one|Your browser says")
    )
    page.locator("#id_rig").fill(NVIDIA_SMI_L_QUADRO)
    page.get_by_role("button", name="Fill in my hardware").click()
    expect(page.locator("#error-rig")).to_contain_text("No catalog GPU matches “Quadro RTX 4000” (×2)")
    shot(page, "rig-unmatched")
    page.locator("#id_rig").fill(NVIDIA_SMI_2X3090 + FREE_M)
    page.get_by_role("button", name="Fill in my hardware").click()
    expect(page).to_have_url(re.compile(r"gpu=geforce-rtx-3090&count=2&ctx=8192&ram_gb=31$"))
    expect(page.locator("#id_gpu_1")).to_have_value("geforce-rtx-3090")
    expect(page.locator("#id_count_1")).to_have_value("2")
    expect(page.locator("#id_ram_gb")).to_have_value("31")
    expect(page.locator("#id_model")).to_have_value("llama-3-1-70b-instruct")  # the rest is kept
    expect(page.get_by_test_id("verdict")).to_contain_text("2× GeForce RTX 3090")
    shot(page, "rig-filled")


@pytest.fixture
def editor_cookie(live_server, settings):
    """The session cookie of a logged-in editor (a forced login: no password hashing)."""
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False  # the live server is http
    user = get_user_model().objects.create_superuser("editor", "editor@example.com", "unused")
    client = Client()
    client.force_login(user)
    return {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value}


def test_a_submitted_table_shows_beside_the_estimate_once_approved(page, live_server, editor_cookie):
    question = live_server.url + "/?model=llama-2-7b&quant=q4_0&gpu=geforce-rtx-3090-ti"
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(live_server.url + "/measurements/submit/?model=llama-2-7b")
    page.locator("#id_paste").fill(BENCH_NKVO)
    shot(page, "submit-form")
    page.get_by_role("button", name="Send for review").click()
    expect(page.get_by_test_id("sent")).to_have_text("Thank you: 2 results wait for review.")
    page.goto(live_server.url + "/measurements/submit/?model=llama-2-7b")
    page.locator("#id_paste").fill(BENCH_NKVO)
    page.get_by_role("button", name="Send for review").click()
    expect(page.get_by_test_id("sent")).to_contain_text("Already received, waiting for review")
    page.goto(live_server.url + "/measurements/submit/?model=llama-2-7b")
    page.locator("#id_paste").fill(BENCH_NKVO.replace("127.43", "1270.43"))
    page.get_by_role("button", name="Send for review").click()
    expect(page.locator("#error-paste")).to_contain_text("tg128 at 1,270 tok/s is not possible")
    shot(page, "submit-impossible")
    page.goto(question)
    expect(page.get_by_test_id("decode")).to_be_visible()
    expect(page.get_by_test_id("visitor-measured")).to_have_count(0)  # not before an editor approves it

    page.context.add_cookies([{**editor_cookie, "url": live_server.url}])
    page.goto(live_server.url + "/admin/community/visitormeasurement/?status__exact=pending")
    page.locator("#action-toggle").check()
    page.locator("select[name=action]").select_option("approve")
    page.get_by_role("button", name="Go").click()
    expect(page.locator(".messagelist")).to_contain_text("Approved: 2 measurement(s).")
    shot(page, "admin-approved")

    page.goto(question)
    measured = page.get_by_test_id("visitor-measured")
    expect(measured).to_contain_text("Measured by visitors")
    expect(measured).to_contain_text("decode 127.4 tok/s (1 result); prefill 4035 tok/s (1 result).")
    shot(page, "measured-by-visitors")


@pytest.mark.parametrize("javascript", [False, True])
def test_an_unlisted_gpu_is_found_by_name_with_or_without_javascript(page_at, live_server, javascript):
    """Without JavaScript the GPU list held the most asked about GPUs alone: a GPU it did not list could not be
    chosen. The finder is now a field of the form: Find lists what it names, as typing does with JavaScript."""
    for slug, name, gib in (("rtx-a2000", "RTX A2000", 6), ("rtx-a2000-12-gb", "RTX A2000 12 GB", 12)):
        make_gpu(slug=slug, name=name, memory_bytes=gib * GIB, bandwidth_gb_s=288.0, listed=False)
    page = page_at(1440, 900, java_script_enabled=javascript)
    page.goto(f"{live_server.url}/measurements/submit/?model={RUN['model']}&quant={RUN['quant']}")
    page.get_by_label("Type to find a GPU").fill("a2000")
    if javascript:
        expect(page.get_by_role("button", name="Find")).to_have_count(0)
        expect(page.locator("#id_gpu option")).to_have_count(2)
    else:
        page.get_by_role("button", name="Find").click()
        expect(page.locator("#error-gpu")).to_have_text(
            "“a2000” names 2 GPUs: choose yours at the top of the list."
        )
    page.locator("#id_gpu").select_option("rtx-a2000-12-gb")
    page.locator("#id_paste").fill(RUN["paste"])
    shot(page, f"submit-gpu-by-name-{'js' if javascript else 'no-js'}")
    page.get_by_role("button", name="Send for review").click()
    expect(page.get_by_test_id("sent")).to_have_text("Thank you: 2 results wait for review.")
    expect(page.get_by_test_id("submitted")).to_contain_text("on 1× RTX A2000 12 GB")
