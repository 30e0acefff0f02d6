"""Real Chromium (Debian's package) driven by Playwright against Django's live server."""

import os
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from playwright.sync_api import expect, sync_playwright

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SHOTS = os.environ.get("E2E_SCREENSHOTS")  # a folder: the editor's tests leave screenshots there
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    # Playwright's sync API runs an event loop in this thread; Django's ORM, used by the test
    # itself between browser steps, must be allowed to run beside it.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page_at(browser, live_server, catalog):
    """Opens a page in a new browser context: `page_at(390, 844)` is a phone, `page_at(1440, 900,
    color_scheme="dark")` passes Playwright's other context options on. Each is closed after the test."""
    contexts = []

    def open_page(width: int, height: int, **options):
        context = browser.new_context(viewport={"width": width, "height": height}, **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def editor_at(page_at, live_server, settings):
    """Opens a page as `page_at` does, logged in as an editor (a superuser's session cookie from a forced
    login: no password hashing)."""
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False  # the live server is http
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("editor", "editor@example.com", "unused"))
    cookie = {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
    }

    def open_page(width: int, height: int, **options):
        page = page_at(width, height, **options)
        page.context.add_cookies([cookie | {"url": live_server.url}])
        return page

    return open_page


@pytest.fixture
def page(page_at):
    return page_at(1280, 720)  # Playwright's own default viewport


@pytest.fixture
def page_without_js(page_at):
    return page_at(1280, 720, java_script_enabled=False)


def share(page) -> str:
    """Click the page's "Share a snapshot" button; the snapshot's URL it lands on."""
    page.get_by_role("button", name="Share a snapshot").click()
    expect(page).to_have_url(re.compile(r"/r/[a-z2-9]{10}$"))
    return page.url


def shot(page, name: str) -> None:
    """A full-page screenshot into E2E_SCREENSHOTS, when it is set."""
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)
