"""The catalog tables a question's workload reads besides the runtimes (catalog/fitting.py): KV cache
types and system memory presets, each read once per catalog version (catalog/cache.py) as the
engine's `Workload` fields, so an editor's change reaches every answer and the pickers."""

import logging
from typing import get_args

from estimator.schema import KvCacheType as EngineKvCacheType

from . import cache
from .models import KvCacheType, RamPreset

logger = logging.getLogger(__name__)


def kv_cache_types() -> dict[str, dict]:
    """The KV cache types the engine can size, in picker order (one query, cached until the catalog
    changes): slug -> {"name", "listed", "workload": `Workload` fields, the row's bytes per element
    among them}. A row whose slug the engine does not name (its launch flags are written from it) is
    logged and left out."""

    def load():
        known = set(get_args(EngineKvCacheType))
        rows = {}
        for kv in KvCacheType.objects.only("slug", "name", "listed", "bytes_per_element"):
            if kv.slug not in known:
                logger.error("KV cache type %r left out: the engine does not name it", kv.slug)
                continue
            rows[kv.slug] = {"name": kv.name, "listed": kv.listed, "workload": kv.workload_fields()}
        return rows

    return cache.get_or_compute("kv-cache-types", "", load)


def kv_workload(slug: str) -> dict:
    """`Workload` fields for a KV cache type: its row's, or, for one the table does not hold (the
    default, on a catalog whose KV table is not loaded yet), the name alone: the engine's own size."""
    row = kv_cache_types().get(slug)
    return row["workload"] if row else {"kv_cache_type": slug}


def ram_presets() -> dict[str, dict]:
    """System memory presets, in picker order (one query, cached until the catalog changes): slug ->
    {"name", "listed", "workload": `Workload` fields, the RAM bandwidth offload plans read}."""

    def load():
        return {
            r.slug: {"name": r.name, "listed": r.listed, "workload": r.workload_fields()}
            for r in RamPreset.objects.only("slug", "name", "listed", "bandwidth_gb_s")
        }

    return cache.get_or_compute("ram-presets", "", load)
