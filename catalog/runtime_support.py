"""Only combinations that exist: which of the calculator's runtimes runs on which backend, and which format
families and KV cache types it runs there (the catalog's `Runtime` table, fixtures/catalog/runtimes.json).
The calculator's form checks a question against it, and the catalog and reverse pages offer formats and
devices by it; `fitting.py` answers at the runtime it picks."""

import logging
from collections.abc import Iterable

from . import cache
from .models import Runtime
from .runtimes import ENGINE_RUNTIME, RUNTIME_CHOICES

logger = logging.getLogger(__name__)


def runtime_table() -> dict[str, dict]:
    """The catalog's runtime × backend × format table for the calculator's runtimes (one query, cached
    until the catalog changes): slug -> {"name", "backends", "formats": {backend: families}, "kv"}."""

    def load():
        table = {}
        for r in Runtime.objects.filter(slug__in=ENGINE_RUNTIME):
            try:
                table[r.slug] = {
                    "name": r.name,
                    "backends": [str(b) for b in r.backends or []],
                    "formats": {str(b): [str(x) for x in f] for b, f in (r.formats or {}).items()},
                    "kv": [str(k) for k in r.kv_cache_types or []],
                }
            except (TypeError, AttributeError) as e:  # written around the admin's checks: left out
                logger.error("Runtime %r left out of the runtime table: %s", r.slug, e)
        return table

    return cache.get_or_compute("runtime-table", "", load)


def runs_there(row: dict | None, backends: Iterable[str], family: str | None = None) -> bool:
    """Whether a runtime (its `runtime_table()` row) runs on every one of `backends`, and runs the format
    `family` there. A runtime the catalog does not describe (None), or one with no formats recorded, has
    nothing to check against."""
    if row is None:
        return True
    formats = row["formats"]
    return all(
        b in row["backends"] and (family is None or not formats or family in formats.get(b, ()))
        for b in backends
    )


def device_backend(row: dict | None, choices: Iterable[str], family: str | None = None) -> str | None:
    """The backend a runtime (its `runtime_table()` row) runs on one device with: the first of the
    device's `choices` (Gpu.backend_choices, its usual backend first) it runs the format `family` on;
    None where it runs on none. LM Studio on an Intel Arc: Vulkan; llama.cpp there: SYCL."""
    return next((b for b in choices if runs_there(row, [b], family)), None)


def runtime_for(family: str, backends: Iterable[str], table: dict[str, dict]) -> str | None:
    """The runtime the calculator picks for a format the visitor chose without naming one: the first of
    RUNTIME_CHOICES that runs it on every device; None when none does."""
    backends = list(backends)
    return next((r for r, _ in RUNTIME_CHOICES if runs_there(table.get(r), backends, family)), None)


def format_runtimes(quants: Iterable, backends: Iterable[str]) -> dict[str, str]:
    """Format slug -> the runtime the calculator runs it with on these backends, for the catalog formats
    (`slug`, `family`) some runtime runs there: MLX formats only on Apple, AWQ under vLLM, never llama.cpp."""
    table, backends = runtime_table(), sorted(set(backends))
    found = {q.slug: runtime_for(q.family, backends, table) for q in quants}
    return {slug: runtime for slug, runtime in found.items() if runtime}


# backend_runtimes per (family, backends), with the runtime table it was read from: the form's format
# picker asks it for each format family (~2.5% of an answer's CPU, py-spy), always with the same few sets.
_backend_runtimes: dict[tuple[str, frozenset[str]], tuple[dict, dict[str, str]]] = {}


def backend_runtimes(family: str, backends: Iterable[str]) -> dict[str, str]:
    """Backend -> the runtime the calculator runs this format family with on one device of it, for the
    backends where some runtime does."""
    table, key = runtime_table(), (family, frozenset(backends))
    held = _backend_runtimes.get(key)
    if held is None or held[0] is not table:  # another catalog version's table: found again
        found = {b: runtime_for(family, [b], table) for b in key[1]}
        if len(_backend_runtimes) >= 256:
            _backend_runtimes.clear()
        held = _backend_runtimes[key] = (table, {b: runtime for b, runtime in found.items() if runtime})
    return dict(held[1])
