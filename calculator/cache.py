"""An estimate is a pure function of its inputs, the catalog and the engine: cache it on all three.

Any save or delete of a catalog row bumps the catalog version, so no cached answer outlives an edit.
With several processes, use a shared cache (CACHE_URL=redis://...) so they all see the bump.
"""

import hashlib

from django.apps import apps
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save

from .engine import ENGINE_VERSION

CATALOG_VERSION_KEY = "catalog-version"
TIMEOUT_S = 24 * 3600


def catalog_version() -> int:
    return cache.get_or_set(CATALOG_VERSION_KEY, 1, timeout=None)


def bump_catalog_version(**_) -> None:
    try:
        cache.incr(CATALOG_VERSION_KEY)
    except ValueError:  # not set yet (or evicted): any new value invalidates the old keys
        cache.set(CATALOG_VERSION_KEY, catalog_version() + 1, timeout=None)


def key(kind: str, query: str) -> str:
    digest = hashlib.sha256(f"{ENGINE_VERSION}|{catalog_version()}|{query}".encode()).hexdigest()[:32]
    return f"{kind}:{digest}"


def get_or_compute(kind: str, query: str, compute):
    cache_key = key(kind, query)
    value = cache.get(cache_key)
    if value is None:
        value = compute()
        cache.set(cache_key, value, TIMEOUT_S)
    return value


def connect_signals() -> None:
    for model in apps.get_app_config("catalog").get_models():
        if model.__name__.startswith("Historical"):
            continue
        post_save.connect(
            bump_catalog_version, sender=model, dispatch_uid=f"catalog-version-save-{model.__name__}"
        )
        post_delete.connect(
            bump_catalog_version, sender=model, dispatch_uid=f"catalog-version-delete-{model.__name__}"
        )
