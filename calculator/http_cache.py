"""HTTP caching for public pages: an ETag and `Cache-Control: public` so a proxy or CDN can serve them.

A public page (a result, the API, a catalog or glossary page) is a pure function of its path and query
string, the catalog version, the engine version and the release (templates, static files, glossary
content), so its ETag hashes exactly those: any admin edit or deploy changes it. Only successful
responses are marked cacheable; a 400 or 404 stays private.
"""

import functools
import hashlib
import os
from pathlib import Path

from django.conf import settings
from django.core.cache import cache as django_cache
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import parse_etags

from . import cache
from .engine import ENGINE_VERSION

# A shared cache (proxy, CDN) keeps a page five minutes; a browser revalidates every time (a cheap 304),
# so a visitor sees an admin's edit at once.
SHARED_MAX_AGE_S = 300


@functools.cache
def release() -> str:
    """The RELEASE environment variable, or a digest of the templates, static files and glossary content
    (the same on every replica)."""
    if os.environ.get("RELEASE"):
        return os.environ["RELEASE"]
    digest = hashlib.sha256()
    base = Path(settings.BASE_DIR)
    for folder in (base / "templates", base / "static", Path(settings.CONTENT_DIR)):
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                digest.update(f"{folder.name}/{path.relative_to(folder).as_posix()}".encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _tag(*parts: str) -> str:
    raw = "|".join([release(), ENGINE_VERSION, str(cache.catalog_version()), *parts])
    return f'"{hashlib.sha256(raw.encode()).hexdigest()[:32]}"'


def page_etag(request, *args, **kwargs) -> str:
    """For a page answering a GET: its path, query string and whether HTMX asks for a fragment."""
    htmx = request.headers.get("HX-Request", "") + request.headers.get("HX-History-Restore-Request", "")
    return _tag(request.path, request.META.get("QUERY_STRING", ""), htmx)


def snapshot_etag(request, snapshot_id, *args, **kwargs) -> str:
    return _tag("snapshot", snapshot_id)


def public(*, etag):
    """Answer If-None-Match with 304; serve and keep 200 responses under their ETag, marked public.

    The ETag names everything the response depends on, so the rendered response itself, headers
    included, is kept in Django's cache under it: a repeated question costs one cache read, not a
    form, queries and a render.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            tag = etag(request, *args, **kwargs)
            if tag in parse_etags(request.headers.get("If-None-Match", "")):
                return mark_public(HttpResponseNotModified(), tag)
            if (stored := django_cache.get(f"response:{tag}")) is not None:
                return stored
            response = view(request, *args, **kwargs)
            if response.status_code != 200:
                return response
            if hasattr(response, "render"):
                response.render()
            mark_public(response, tag)
            # kept: a fresh response with the view's headers and body only, no cookie or per-request state
            stored = HttpResponse(response.content, headers=dict(response.headers))
            django_cache.set(f"response:{tag}", stored, cache.TIMEOUT_S)
            return response

        return wrapped

    return decorator


def mark_public(response, tag: str):
    response.headers["ETag"] = tag
    patch_cache_control(response, public=True, max_age=0, s_maxage=SHARED_MAX_AGE_S)
    patch_vary_headers(response, ["HX-Request"])
    return response
