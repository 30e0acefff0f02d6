"""HTTP caching for public pages: an ETag and `Cache-Control: public` so a proxy or CDN can serve them,
and the finished response kept in Django's cache so a repeated page costs what a bare view costs.

A public page (a result, the API, a catalog or glossary page) is a pure function of its path and query
string, the catalog version, the engine version and the release (templates, static files, glossary
content), so its ETag hashes exactly those: any admin edit or deploy changes it. Only successful
responses are marked cacheable; a 400 or 404 stays private.

Two parts: `public()` wraps a view (ETag, 304, the public Cache-Control, and a mark on the response);
`PublicResponseMiddleware`, near the top of settings.MIDDLEWARE, keeps each marked response as the
middleware below it finished it, headers included, and serves it again before they run.
"""

import functools
import hashlib
import os
import zlib
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.cache import cache as django_cache
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.cache import has_vary_header, patch_cache_control, patch_vary_headers
from django.utils.http import parse_etags
from django.utils.module_loading import import_string

# How long a finished response is kept in Django's cache (its key moves with every edit anyway).
KEEP_S = 24 * 3600
# A shared cache (proxy, CDN) keeps a page five minutes; a browser revalidates every time (a cheap 304),
# so a visitor sees an admin's edit at once.
SHARED_MAX_AGE_S = 300


@functools.cache
def release() -> str:
    """The RELEASE environment variable, or a digest of the templates, static files, glossary content and
    the project's Python code (the same on every replica): kept responses carry their headers too, so a
    deploy that changes only a view or a setting must move every key as well."""
    if os.environ.get("RELEASE"):
        return os.environ["RELEASE"]
    digest = hashlib.sha256()
    base = Path(settings.BASE_DIR)
    folders = (base / "templates", base / "static", Path(settings.CONTENT_DIR))
    code = tuple(base / package for package in _project_packages())
    for folder in (*folders, *code):
        for path in sorted(folder.rglob("*.py" if folder in code else "*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(f"{folder.name}/{path.relative_to(folder).as_posix()}".encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _project_packages() -> list[str]:
    """The project's own Python packages: its Django apps (those beside this package, so a new app is
    hashed without being named here; ff922ca found two left out of a list), this settings package and
    the engine, which is no app."""
    root = Path(__file__).resolve().parent.parent
    local = sorted(c.name for c in apps.get_app_configs() if Path(c.path).resolve().parent == root)
    return ["config", "estimator", *local]


@functools.cache
def _data_version_and():
    return import_string(settings.HTTP_CACHE_DATA_VERSION)


def data_version() -> str:
    """The engine and catalog versions, from the function settings.HTTP_CACHE_DATA_VERSION names: config
    knows no app, the catalog knows its own version."""
    return _data_version_and()()[0]


def _tag(*parts: str) -> str:
    raw = "|".join([release(), data_version(), *parts])
    return f'"{hashlib.sha256(raw.encode()).hexdigest()[:32]}"'


def page_etag(request, *args, **kwargs) -> str:
    """For a page answering a GET: its path, query string and whether the view answers with the #result
    fragment (HTMX swapping it in) or the whole page (a plain GET, or HTMX restoring history)."""
    return _tag(*_page(request))


def _page(request) -> tuple[str, str, str]:
    return request.path, request.META.get("QUERY_STRING", ""), "fragment" if wants_fragment(request) else ""


def kept_key(request) -> str:
    """Where `PublicResponseMiddleware` keeps a page: its scheme, host, release and `_page` parts, but not
    the data version, which is kept with the page and compared on reading (see there)."""
    raw = "|".join([release(), *_page(request)])
    return f"response:{request.scheme}://{request.get_host()}{hashlib.sha256(raw.encode()).hexdigest()[:32]}"


def wants_fragment(request) -> bool:
    """What django-htmx's `request.htmx and not request.htmx.history_restore_request` says, read from the
    headers alone (the response cache runs before django-htmx's middleware)."""
    headers = request.headers
    return headers.get("HX-Request") == "true" and headers.get("HX-History-Restore-Request") != "true"


def snapshot_etag(request, snapshot_id, *args, **kwargs) -> str:
    return _tag("snapshot", snapshot_id)


def public(*, etag):
    """Answer If-None-Match with 304; mark 200 responses public under their ETag, for shared caches and
    for `PublicResponseMiddleware` to keep."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            tag = etag(request, *args, **kwargs)
            if tag in parse_etags(request.headers.get("If-None-Match", "")):
                return mark_public(HttpResponseNotModified(), tag)
            response = view(request, *args, **kwargs)
            if response.status_code == 200:
                mark_public(response, tag)
                response.keep_public = True
            return response

        return wrapped

    return decorator


class PublicResponseMiddleware:
    """Serve a public page's finished response from the cache before the rest of the middleware, URL
    resolution and the view run: a repeated page costs one cache read, no query and no render.

    A response is kept when `public()` marked it, once every middleware below this one has added its
    headers (CSP, frame denial, Content-Length...), and only if it sets no cookie and does not vary on
    one. It is kept under the scheme, the host (checked against ALLOWED_HOSTS first), the release and
    the page (`kept_key`), together with the data version (engine and catalog) it was computed from, and
    served only while that is still the version: an admin edit or a deploy makes every kept page stale.
    The key leaves the version out so that one read fetches both (`data_version_and`: one round trip to
    a shared cache, not one for the catalog version and then one for the page). Requests with
    If-None-Match go through to `public()`, which answers 304 without rendering.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method != "GET" or "If-None-Match" in request.headers:
            return self.get_response(request)
        key = kept_key(request)
        version, stored = _data_version_and()(key)
        if stored is not None and stored[0] == version:
            return _unpacked(stored)
        response = self.get_response(request)
        if (
            getattr(response, "keep_public", False)
            and not response.streaming
            and not response.cookies
            and not has_vary_header(response, "Cookie")
        ):
            # the headers and body only: no cookie, request or per-request state; the version this request
            # read, which its answer was computed from (a GET of a public page writes no catalog row)
            django_cache.set(key, (version, *_packed(response)), KEEP_S)
        return response


# Kept pages are compressed where they weigh on a worker: the local-memory cache keeps up to 1,000 per
# worker, ~12-20 MB of a worker's growth under bench/load.py's mix uncompressed (a what-runs page is 110
# KB), a sixth of that compressed. A shared cache (Redis) compresses only large pages (what-runs, a tenth
# of their size) and keeps the rest as they are: zlib's fastest level took ~0.25 ms of a calculator page's
# CPU (28 KB), ~0.15 ms of a partial's, ~0.08 ms of an API answer's, and unpacking ~0.05-0.1 ms of each
# hit's. A body kept as it is is a bytearray, told apart from a compressed one (bytes) on reading.
COMPRESSED_FROM = 64 * 1024


def _packed(response) -> tuple[bytes | bytearray, dict]:
    body = response.content
    if len(body) < COMPRESSED_FROM and not isinstance(caches["default"], LocMemCache):
        return bytearray(body), dict(response.headers)
    return zlib.compress(body, 1), dict(response.headers)


def _unpacked(stored: tuple[str, bytes | bytearray, dict]) -> HttpResponse:
    _, body, headers = stored
    return HttpResponse(
        bytes(body) if isinstance(body, bytearray) else zlib.decompress(body), headers=headers
    )


def mark_public(response, tag: str):
    response.headers["ETag"] = tag
    patch_cache_control(response, public=True, max_age=0, s_maxage=SHARED_MAX_AGE_S)
    patch_vary_headers(response, ["HX-Request", "HX-History-Restore-Request"])
    return response
