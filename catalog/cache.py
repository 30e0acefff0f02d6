"""An estimate is a pure function of its inputs, the catalog and the engine: cache it on all three.

Every write to the catalog bumps the catalog version, so no cached answer outlives an edit: a row's
save or delete (post_save, post_delete: the admin's save, delete, revert and actions) and the writes
that send no per-row signal (queryset updates, bulk writes, load_catalog, import_gpus, import_catalog:
`catalog.models.catalog_changed`, once per write). With several processes, use a shared cache
(CACHE_URL=redis://...) so they all see the bump.
"""

import hashlib
import time
from contextvars import ContextVar

from django.apps import apps
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from estimator import ENGINE_VERSION

from .models import CatalogRow, catalog_changed

CATALOG_VERSION_KEY = "catalog-version"
TIMEOUT_S = 24 * 3600


# The version read by this request, kept for the rest of it (`CatalogVersionMiddleware`): an answer
# asks for ~30 cached values, each keyed on the version, and reading it from the cache each time was
# ~5% of an answer's CPU (py-spy, 600 distinct answers). None outside a request: read each time.
_in_request: ContextVar[dict | None] = ContextVar("catalog_version_in_request", default=None)


def catalog_version() -> int:
    """A number no earlier catalog had in this cache: when the key is missing (a new cache, a clear, an
    eviction) it starts again from the clock, never from a number an older catalog's entries were kept
    under (the tables kept in the process below rely on it). Read once per request, and again after the
    request's own catalog writes."""
    held = _in_request.get()
    if held is not None and "version" in held:
        return held["version"]
    version = cache.get_or_set(CATALOG_VERSION_KEY, time.time_ns, timeout=None)
    if held is not None:
        held["version"] = version
    return version


class CatalogVersionMiddleware:
    """Each request reads the catalog version once (`catalog_version`): its answer is computed from one
    catalog, as a request that began before another process's edit was anyway."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _in_request.set({})
        try:
            return self.get_response(request)
        finally:
            _in_request.reset(token)


def _bump() -> None:
    try:
        cache.incr(CATALOG_VERSION_KEY)
    except ValueError:  # not set yet (or evicted): a number from the clock, as catalog_version starts
        cache.set(CATALOG_VERSION_KEY, time.time_ns(), timeout=None)
    held = _in_request.get()
    if held is not None:  # this request wrote to the catalog: it reads the new version from now on
        held.clear()


def data_version() -> str:
    """What every public page is computed from besides its URL and the release: the engine and the
    catalog."""
    return f"{ENGINE_VERSION}|{catalog_version()}"


def data_version_and(key: str | None = None) -> tuple[str, object]:
    """`data_version()` and the value cached under `key` (None if none), read in one round trip to the
    cache when this request has not read the catalog version yet: the response cache's kept page, which
    a shared cache would otherwise answer after a second round trip (settings.HTTP_CACHE_DATA_VERSION
    names this function for config/http_cache.py). The value may be from any catalog: the caller checks
    the version it was kept with."""
    held = _in_request.get()
    if key is None or (held is not None and "version" in held):
        return data_version(), None if key is None else cache.get(key)
    found = cache.get_many([CATALOG_VERSION_KEY, key])
    if (version := found.get(CATALOG_VERSION_KEY)) is not None and held is not None:
        held["version"] = version
    return data_version(), found.get(key)  # a missing version is started by catalog_version()


def bump_catalog_version(**_) -> None:
    """Now, and again when the transaction commits: another process may compute an answer from the
    old rows between the write and the commit, and the second bump keeps it from being served."""
    _bump()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(_bump, robust=True)


def key(kind: str, query: str) -> str:
    digest = hashlib.sha256(f"{ENGINE_VERSION}|{catalog_version()}|{query}".encode()).hexdigest()[:32]
    return f"{kind}:{digest}"


# The catalog-wide tables (asked with an empty query: the pickers' rows, the runtime table, the KV
# types...) are read a dozen times per answer, and the cache unpickles a copy each time: ~3.7 ms of a
# ~18 ms answer (cProfile over 260 distinct calculator answers). Each process keeps the last ones it
# read under their kind and catalog version (the engine's is the process's own): an edit or a clear gives
# a new version, so a new key. Served without asking the cache whether it still holds them: distinct answers fill a
# local-memory cache, which evicts what was least recently *read*, and the tables were read here only,
# so they went first and were queried again every few answers (1.1 ms of a 15 ms answer).
# Callers treat a table as read-only, as they do any cached value shared between requests.
_tables: dict[tuple[str, str, int], object] = {}
TABLES_KEPT = 32
# Values of one row each that many answers ask for (`keep=True`: the engine's estimate for a published
# measurement's own question, one per row a question's GPU leads to) are kept the same way, apart:
# distinct answers evicted them from a local-memory cache too, and each was computed again, a query and
# an engine run (3.7% of the workers' CPU under the load test's mix, py-spy; the query was 70% of the
# time the workers spent in the database).
_rows: dict[tuple[str, str, int], object] = {}
ROWS_KEPT = 4096


def get_or_compute(kind: str, query: str, compute, *, keep: bool = False):
    """The value cached under `kind` and `query` (and the engine and catalog versions), computed once.
    With an empty query (a catalog-wide table) or `keep`, the process keeps it too (see above), under
    (kind, query, catalog version): the cache's own key, a SHA-256 digest, is computed only to ask the
    cache (an answer reads ~30 values, most of them kept here)."""
    kept, bound = (_tables, TABLES_KEPT) if not query else (_rows, ROWS_KEPT) if keep else (None, 0)
    if kept is not None:
        kept_key = (kind, query, catalog_version())
        if kept_key in kept:
            return kept[kept_key]
    cache_key = key(kind, query)
    value = cache.get(cache_key)
    if value is None:
        value = compute()
        cache.set(cache_key, value, TIMEOUT_S)
    if kept is not None:
        if len(kept) >= bound:
            # older catalog versions' entries go first; this version's own only when they alone fill it: dropping
            # them would build the next request's tables again, new spec objects that the engine's caches, which
            # tell specs apart by identity, do not know (a page's specs changed under it in the test suite)
            for older in [k for k in list(kept) if k[2] != kept_key[2]]:
                kept.pop(older, None)
            if len(kept) >= bound:
                kept.clear()
        kept[kept_key] = value
    return value


def connect_signals() -> None:
    catalog_changed.connect(bump_catalog_version, dispatch_uid="catalog-version-bulk")
    for model in apps.get_app_config("catalog").get_models():
        if not issubclass(model, CatalogRow):  # history, the loaders' bookkeeping
            continue
        post_save.connect(
            bump_catalog_version, sender=model, dispatch_uid=f"catalog-version-save-{model.__name__}"
        )
        post_delete.connect(
            bump_catalog_version, sender=model, dispatch_uid=f"catalog-version-delete-{model.__name__}"
        )
