"""Real Chromium (Debian's package) driven by Playwright against Django's live server."""

import os
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from playwright.sync_api import Error as PlaywrightError
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


# What a test may ask of its page and context and still hand them on to the next test (Playwright's
# protocol calls, by the type of the object called): navigating, reading, typing, clicking, screenshots,
# cookies (cleared after each test) and the viewport (set for each test). Frames, elements and handles
# belong to the page's document, which goes with it. Anything else a test calls on a page or its context
# (routes, init scripts, bindings, emulated media, permissions, geolocation, offline, extra headers, the
# clock, tracing, a CDP session...) may outlive the test: that context is closed after it, as before.
WAITING = {"__waitInfo__"}  # what Playwright logs while a test waits for an event (a download)
HANDED_ON = {
    "Page": {"goBack", "goForward", "reload", "screenshot", "expectScreenshot", "setViewportSize"}
    | {"keyboardPress", "keyboardType", "keyboardInsertText", "mouseClick", "mouseMove", "mouseWheel"}
    | {"touchscreenTap", "bringToFront", "consoleMessages", "pageErrors", "requests"}
    | WAITING,
    "BrowserContext": {"addCookies", "cookies", "clearCookies", "storageState"} | WAITING,
}
DOCUMENT_SCOPED = {"Frame", "ElementHandle", "JSHandle", "Artifact", "Request", "Response", "Stream"}


class Pages:
    """Browser pages kept open from one test to the next in a worker, one context per set of context
    options (`java_script_enabled`, `permissions`, `bypass_csp`, `color_scheme`, ...; the viewport is set
    on the page). A new context and page for each test cost the machine ~1 s of CPU (Chromium's new
    renderer process, its first layout, the driver's bookkeeping): the 88 browser tests took 220-230 s of
    CPU with a new one each, 148-151 s with the pages handed on (December 2026, bench/README.md).

    After a test, a page is handed on only as a new one would start: it leaves its document for a blank
    one of the same origin (the site's scripts stop, as when the context closed), its cookies, local and
    session storage, IndexedDB, cache storage and HTTP cache go, the mouse leaves the window, and the
    next test gets its own viewport and timeouts. A page is closed with its context instead when the test
    did anything else to it (`HANDED_ON`), added or left an event listener (`page.on(...)`), opened a
    second page, or left the live server's origin. Its history stays: no test goes back past its own
    first page."""

    def __init__(self, browser):
        self.browser = browser
        self.idle = {}  # context options -> [(context, page, CDP session)]
        self.busy = []  # (options, context, page, CDP session, marks) of the running test
        self.unsafe = set()  # calls of the running test that may outlive it
        self.watching = False
        # E2E_NEW_PAGES=1: a new context for every test, as before (to rule the reuse out)
        self.watched = os.environ.get("E2E_NEW_PAGES") != "1"
        try:
            browser._impl_obj._connection._instrumentation.add_listener(self)
        except AttributeError:  # another Playwright: the test's calls are not seen, so no page is handed on
            self.watched = False

    def on_api_call_begin(self, api_call, channel) -> None:
        """Playwright's client instrumentation: each call a test makes, by object type and method."""
        kind, method = channel.get("type"), channel.get("method")
        if self.watching and kind not in DOCUMENT_SCOPED and method not in HANDED_ON.get(kind, WAITING):
            self.unsafe.add(f"{kind}.{method}")

    def open(self, width: int, height: int, options: dict):
        key = repr(sorted(options.items()))
        self.watching = False
        if self.idle.get(key):
            context, page, cdp = self.idle[key].pop()
        else:
            context = self.browser.new_context(viewport={"width": width, "height": height}, **options)
            page, cdp = context.new_page(), None
        if page.viewport_size != {"width": width, "height": height}:
            page.set_viewport_size({"width": width, "height": height})
        page.set_default_timeout(15_000)
        self.busy.append((key, context, page, cdp, marks(context, page)))
        self.watching = True
        return page

    def hand_on(self, origin: str) -> None:
        """After the test: reset each page it opened for the next test, or close its context."""
        self.watching = False
        unsafe, self.unsafe = self.unsafe, set()
        for key, context, page, cdp, before in self.busy:
            kept = self.watched and not unsafe and not page.is_closed() and len(context.pages) == 1
            if kept and marks(context, page) == before and page.url.startswith(origin + "/"):
                try:
                    # A navigation the page starts itself stays in its renderer process (page.goto would
                    # start another), and its blank document keeps the origin whose storage is cleared.
                    page.evaluate("location.replace('about:blank')")
                    page.wait_for_url("about:blank")
                    page.evaluate("localStorage.clear(); sessionStorage.clear()")
                    context.clear_cookies()
                    cdp = cdp or context.new_cdp_session(page)
                    cdp.send("Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "all"})
                    cdp.send("Network.clearBrowserCache")
                    page.mouse.move(-1, -1)  # hovering nothing, as in a new page
                    self.idle.setdefault(key, []).append((context, page, cdp))
                    continue
                except PlaywrightError:
                    pass
            context.close()
        self.busy.clear()

    def close(self) -> None:
        for slots in self.idle.values():
            for context, _, _ in slots:
                context.close()
        self.idle.clear()


def marks(context, page) -> list:
    """What a test may change of a page or context on the client's side, where no call reaches the
    browser: its event listeners and default timeouts."""
    return [
        (
            {event: len(ls) if isinstance(ls, list) else 1 for event, ls in obj._impl_obj._events.items()},
            dict(vars(obj._impl_obj._timeout_settings)),
        )
        for obj in (context, page)
    ]


@pytest.fixture(scope="session")
def pages(browser):
    pool = Pages(browser)
    yield pool
    pool.close()


@pytest.fixture
def page_at(pages, live_server, catalog):
    """Opens a page: `page_at(390, 844)` is a phone, `page_at(1440, 900, color_scheme="dark")` passes
    Playwright's other context options on. After the test it is closed, or reset and kept for the next
    test that asks for the same options (`Pages`)."""
    yield lambda width, height, **options: pages.open(width, height, options)
    pages.hand_on(live_server.url)


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
