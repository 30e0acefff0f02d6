"""Request ids for the logs, addresses too long to read (414), per-client rate limits (API, pages,
shares), the CSP header built once, and the admin's own middleware (sessions, users, messages, edit
history) run for the admin only."""

import functools
import json
import logging
import time
import uuid

import csp.middleware
import simple_history.middleware
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.utils import build_policy
from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware as DjangoMessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.core.cache import cache
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

log = logging.getLogger("willitrun.requests")


class RequestIdMiddleware:
    """Tag each request with an id (kept from X-Request-ID when a proxy sets one) and log it as JSON."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.id = request.headers.get("X-Request-ID", "")[:64] or uuid.uuid4().hex
        started = time.perf_counter()
        response = self.get_response(request)
        response["X-Request-ID"] = request.id
        log.info(
            json.dumps(
                {
                    "request_id": request.id,
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                }
            )
        )
        return response


# The longest address (path and query string, as sent) a page or the API reads: over it, 414 with the site's
# message (`LongUrlMiddleware`). At least a shared question's (calculator/models.py MAX_QUERY_CHARS, 8,000
# characters of query string) on any page, so that every permalink a snapshot was made of opens; and
# below what gunicorn reads of a request line (gunicorn.conf.py limit_request_line, 8,190 bytes: "POST ",
# the address and " HTTP/1.1"), so that gunicorn passes every address up to it and a little over it.
# Past gunicorn's limit, gunicorn's worker answers with the same page (config/gunicorn_workers.py).
# tests/test_long_urls.py checks the three agree.
MAX_URL_CHARS = 8100


class LongUrlMiddleware:
    """An address longer than MAX_URL_CHARS is refused before any work on it, with 414 and how to shorten
    the question: JSON {"errors": ...} on the API, a line of text for an image, the site's page elsewhere
    (`too_long_page`). The usual cause is a config.json pasted into the calculator's form, which the
    form's GET carries whole; the file, read by "Read it", leaves a compact copy in the link."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # as sent: the query string is still percent-encoded; the path's few characters are slugs
        length = len(request.path) + len(request.META.get("QUERY_STRING", "")) + 1
        if length <= MAX_URL_CHARS:
            return self.get_response(request)
        path = request.path_info
        if path.startswith("/api/") and path != API_DOCS_PATH:
            message = too_long_words(length)["api"]
            return JsonResponse({"errors": {"__all__": [message]}}, status=414)
        if path.endswith(IMAGES):
            text = too_long_words(length)["lead"]
            return HttpResponse(f"{text}\n", status=414, content_type="text/plain; charset=utf-8")
        return too_long_page(request, length)


def too_long_words(length: int | None, limit: int = MAX_URL_CHARS) -> dict[str, str]:
    """What the 414 says: its `lead` (the address's length where known: gunicorn's worker stops reading at
    its limit) and the API's one message, which says how to shorten a question sent by a script."""
    lead = (
        f"This address is {length:,} characters long; the site reads addresses of at most {limit:,}."
        if length
        else f"This address is longer than the {limit:,} characters the site reads."
    )
    api = (
        f"{lead} Shorten the question: send a config.json minified (no spaces or line breaks), or name a "
        "catalog model by its slug or Hugging Face id (model=Qwen/Qwen3-8B)."
    )
    return {"lead": lead, "api": api}


def too_long_page(request, length: int | None, limit: int = MAX_URL_CHARS) -> HttpResponse:
    """The site's page for an address too long to read: what to shorten, and how. To an HTMX request for
    the live answer (HX-Target: result), that answer's section alone with 400, which base.html's htmx-config
    swaps in (a 414 it would not: the answer would stay as it was, without a word). Answered above the CSP
    middleware, it carries the site's policy itself. `request` is None in gunicorn's worker, which has not
    read the request (config/gunicorn_workers.py)."""
    context = {"lead": too_long_words(length, limit)["lead"]}
    partial = (
        request is not None
        and request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Target") == "result"
    )
    template = "_too_long.html" if partial else "414.html"
    response = HttpResponse(
        render_to_string(template, context, request=request), status=400 if partial else 414
    )
    for header, value, _setting in site_policies():
        if value:
            response[header] = value
    return response


# The pages that compute an answer or draw an image for any query string (config/urls.py routes them;
# tests/test_rate_limit.py checks the two agree). /r/<id> and /r/<id>/og.png count as pages as well.
COMPUTED_PAGES = frozenset(
    {
        *("/", "/what-runs/", "/what-hardware/", "/compare/", "/og.png", "/chart.svg"),
        *("/own-model/", "/rig/", "/cost/", "/choose/"),
    }
)
SHARE_PATH = "/r/"
# The limited paths that are images (/og.png, /chart.svg, /r/<id>/og.png): over the limit, a line of
# text, as an <img> shows no page.
IMAGES = (".png", ".svg")
API_DOCS_PATH = "/api/"  # a page computed once from the OpenAPI schema, read like the glossary
# POSTs that store rows: a shared snapshot, a visitor's measurement.
STORING_POSTS = frozenset({SHARE_PATH, "/measurements/submit/"})


def rate_scope(request) -> str | None:
    """Which per-client limit a request counts toward: `api` (/api/ below its docs page), `share`
    (STORING_POSTS: each stores rows), `page` (COMPUTED_PAGES and the snapshots), or none (catalog and
    glossary pages, the API's docs page, health checks, the admin with its own login throttle)."""
    path = request.path_info
    if path.startswith("/api/") and path != API_DOCS_PATH:
        return "api"
    if path in STORING_POSTS and request.method == "POST":
        return "share"
    if path in COMPUTED_PAGES or path.startswith(SHARE_PATH):
        return "page"
    return None


class RateLimitMiddleware:
    """Per client and scope (`rate_scope`), at most <SCOPE>_RATE_LIMIT requests per <SCOPE>_RATE_WINDOW
    seconds (settings: API_, PAGE_, SHARE_; a limit of 0 turns that scope off), then 429 with
    Retry-After: JSON {"errors": ...} on the API, a line of text for an image, the site's page
    elsewhere (`too_many_page`). Counters live in the cache
    (Redis: shared by every replica) under one key per client, scope and window. It sits above the
    response cache, so pages and answers served from the cache count too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        scope = rate_scope(request)
        limit = getattr(settings, f"{scope.upper()}_RATE_LIMIT") if scope else 0
        if not limit:
            return self.get_response(request)
        window = max(1, getattr(settings, f"{scope.upper()}_RATE_WINDOW"))
        now = time.time()
        key = f"ratelimit:{scope}:{client_address(request)}:{int(now // window)}"
        if _count(key, timeout=window + 1) <= limit:
            return self.get_response(request)
        retry_after = max(1, int(window - now % window))
        message = f"Too many requests: at most {limit} per {window} s from one address."
        if scope == "api":
            response = JsonResponse({"errors": {"__all__": [message]}}, status=429)
        elif request.path_info.endswith(IMAGES):
            response = HttpResponse(
                f"{message} Try again in {retry_after} s.\n",
                status=429,
                content_type="text/plain; charset=utf-8",
            )
        else:
            response = too_many_page(request, message, limit, window, retry_after)
        response["Retry-After"] = str(retry_after)
        return response


def too_many_page(request, message: str, limit: int, window: int, retry_after: int) -> HttpResponse:
    """The page a visitor over the limit sees: the site's page with the limit, when to try again and a
    link that asks again; to an HTMX request for the live answer (HX-Target: result), that answer's
    section only, which base.html's htmx-config swaps in for a 429 (the visitor sees why the answer
    stopped following the form instead of a page that silently stays as it was). It is answered above
    the CSP middleware, so it carries the site's policy itself."""
    context = {"message": message, "limit": limit, "window": window, "retry_after": retry_after}
    context["again"] = request.get_full_path()
    partial = request.headers.get("HX-Request") == "true" and request.headers.get("HX-Target") == "result"
    template = "_too_many.html" if partial else "429.html"
    response = HttpResponse(render_to_string(template, context, request=request), status=429)
    for header, value, _setting in site_policies():
        if value:
            response[header] = value
    return response


def _count(key: str, *, timeout: int) -> int:
    """Add one to the counter `key` and return it; a counter the cache dropped meanwhile (locmem culls
    entries when full) starts again at 1 rather than failing the request."""
    if cache.add(key, 1, timeout=timeout):
        return 1
    try:
        return cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=timeout)
        return 1


def client_address(request) -> str:
    """The client's address; behind a trusted proxy, the first X-Forwarded-For entry."""
    if settings.BEHIND_PROXY and (forwarded := request.headers.get("X-Forwarded-For")):
        return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "")


class CSPMiddleware(csp.middleware.CSPMiddleware):
    """django-csp's middleware, with the site's one policy built once per process instead of per response.

    django-csp rebuilds the header from settings on every response (~70 µs: a quarter of what Django
    spends on a cached page, bench/README.md "Load"). No view here changes the policy or draws a nonce;
    a response that does (a `_csp_*` attribute, `request.csp_nonce` used) takes django-csp's own path.
    """

    PER_RESPONSE = (
        *("_csp_exempt", "_csp_config", "_csp_update", "_csp_replace"),
        *("_csp_exempt_ro", "_csp_config_ro", "_csp_update_ro", "_csp_replace_ro"),
    )

    def process_response(self, request, response):
        if getattr(request, "_csp_nonce", None) is not None or any(
            hasattr(response, name) for name in self.PER_RESPONSE
        ):
            return super().process_response(request, response)
        if response.status_code in (404, 500) and settings.DEBUG:
            return response  # django-csp leaves Django's debug pages alone
        for header, value, setting in site_policies():
            prefixes = tuple((getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ())
            if value and header not in response and not request.path_info.startswith(prefixes):
                response[header] = value
        request.csp_nonce = csp.middleware.CheckableLazyObject(self._csp_nonce_post_response)
        return response


@functools.cache
def site_policies() -> tuple[tuple[str, str, str], ...]:
    """(header, value, setting) for the enforced and the report-only policy, from settings."""
    return (
        (HEADER, build_policy(), "CONTENT_SECURITY_POLICY"),
        (HEADER_REPORT_ONLY, build_policy(report_only=True), "CONTENT_SECURITY_POLICY_REPORT_ONLY"),
    )


@receiver(setting_changed)
def _policy_changed(setting, **kwargs):
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        site_policies.cache_clear()


# Where the admin lives (config/urls.py); tests/test_security.py checks the two agree.
ADMIN_PREFIX = "/admin/"


class AdminOnly:
    """Run this middleware for the admin's URLs only.

    Sessions, users, messages and edit history serve the admin alone: the public pages, the API and the
    share form read no session, user or message and set no cookie. Skipping them elsewhere saves ~70 µs
    of each public request (bench/README.md, "Load"). The subclasses keep Django's names, so the admin's
    system checks (admin.E408-E410) still find them in MIDDLEWARE.
    """

    def __call__(self, request):
        if request.path_info.startswith(ADMIN_PREFIX):
            return super().__call__(request)
        return self.get_response(request)


class SessionMiddleware(AdminOnly, DjangoSessionMiddleware):
    pass


class AuthenticationMiddleware(AdminOnly, DjangoAuthenticationMiddleware):
    pass


class MessageMiddleware(AdminOnly, DjangoMessageMiddleware):
    pass


def HistoryRequestMiddleware(get_response):  # noqa: N802 (simple_history's name)
    """simple_history's (who made an admin edit), for the admin's URLs only, like AdminOnly."""
    history = simple_history.middleware.HistoryRequestMiddleware(get_response)

    def middleware(request):
        if request.path_info.startswith(ADMIN_PREFIX):
            return history(request)
        return get_response(request)

    return middleware
