"""Inference runtimes, and system memory for offload."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from .base import Searchable, catalog_history
from .formats import Quantization
from .gpus import Gpu


class Runtime(Searchable):
    """An inference runtime: the backends and weight formats it runs, the KV cache types it takes.

    How the engine models it, what it costs in memory and which plans it runs are code, not columns
    here (catalog/runtimes.py `ENGINE_RUNTIME`, estimator/memory.py `overhead_bytes`,
    estimator/commands.py `TOOLS`): the admin shows the first two."""

    kv_cache_types = models.JSONField(default=list, blank=True, help_text="KV cache type slugs.")
    backends = models.JSONField(default=list, blank=True)
    formats = models.JSONField(
        default=dict,
        blank=True,
        help_text='Weight-format families it runs on each backend, e.g. {"cuda": ["gguf", "float"]}: '
        "the calculator offers only these combinations.",
    )
    docs_url = models.URLField(blank=True)
    notes = models.TextField(blank=True)
    history = catalog_history()

    def clean(self):
        super().clean()
        self.formats = self.formats if self.formats is not None else {}
        if not isinstance(self.formats, dict) or not all(
            isinstance(v, list) and all(isinstance(f, str) for f in v) for v in self.formats.values()
        ):
            raise ValidationError(
                {"formats": 'A backend → list of families, e.g. {"cuda": ["gguf", "float"]}.'}
            )
        if not isinstance(self.backends, list) or not all(isinstance(b, str) for b in self.backends):
            raise ValidationError({"backends": 'A list of backends, e.g. ["cuda", "rocm"].'})
        kv = self.kv_cache_types
        if not isinstance(kv, list) or not all(isinstance(k, str) for k in kv):
            raise ValidationError({"kv_cache_types": 'A list of KV cache type slugs, e.g. ["f16", "q8_0"].'})
        backends = set(Gpu.BACKEND_BY_VENDOR.values()) | {"vulkan", "cpu"}
        problems = [f"unknown backend “{b}”" for b in sorted(set(self.formats) - backends)]
        problems += [
            f"{b} is not among this runtime's backends"
            for b in sorted(set(self.formats) - set(self.backends or []))
        ]
        families = set(Quantization.Family.values)
        problems += [
            f"unknown format family “{f}” on {b}"
            for b, listed in sorted(self.formats.items())
            for f in listed
            if f not in families
        ]
        if problems:
            text = "; ".join(problems)
            raise ValidationError({"formats": text[0].upper() + text[1:] + "."})

    def families_on(self, backend: str) -> set[str]:
        """The weight-format families this runtime runs on `backend` (none on a backend it lacks)."""
        return set((self.formats or {}).get(backend, ()))


class RamPreset(Searchable):
    """System memory for offload: a DDR generation and channel count, with its peak bandwidth."""

    class MemoryType(models.TextChoices):
        DDR4 = "ddr4", "DDR4"
        DDR5 = "ddr5", "DDR5"

    memory_type = models.CharField(max_length=10, choices=MemoryType.choices, db_index=True)
    channels = models.PositiveIntegerField(help_text="Memory channels in use (64-bit each).")
    transfer_rate_mt_s = models.PositiveIntegerField(
        "transfer rate (MT/s)", help_text="Million transfers per second, e.g. 4800 for DDR5-4800."
    )
    bandwidth_gb_s = models.FloatField(
        "bandwidth (GB/s)", help_text="channels × 8 bytes × MT/s / 1000, GB/s (10^9 bytes per second)."
    )
    history = catalog_history()

    class Meta(Searchable.Meta):
        verbose_name = "RAM preset"
        ordering = ["memory_type", "channels"]
        constraints = [
            models.CheckConstraint(
                condition=Q(bandwidth_gb_s__gt=0),
                name="ram_bandwidth_positive",
                violation_error_message="Bandwidth must be more than 0 GB/s.",
            ),
            models.CheckConstraint(
                condition=Q(channels__gt=0),
                name="ram_channels_positive",
                violation_error_message="At least one channel.",
            ),
        ]

    def workload_fields(self) -> dict:
        return {"ram_bandwidth_gb_s": self.bandwidth_gb_s}
