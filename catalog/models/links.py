"""Links between GPUs and between machines."""

from django.db import models
from django.db.models import Q

from .base import Searchable, catalog_history


class Interconnect(Searchable):
    """A link between GPUs of one machine (PCIe, NVLink) or between machines (Ethernet, ...)."""

    class Kind(models.TextChoices):
        PCIE = "pcie", "PCIe"
        NVLINK = "nvlink", "NVLink"
        ETHERNET = "ethernet", "Ethernet"
        THUNDERBOLT = "thunderbolt", "Thunderbolt"
        INFINIBAND = "infiniband", "InfiniBand"

    NETWORK_KINDS = {Kind.ETHERNET, Kind.THUNDERBOLT, Kind.INFINIBAND}

    kind = models.CharField(max_length=20, choices=Kind.choices, db_index=True)
    bandwidth_gb_s = models.FloatField(
        "bandwidth (GB/s)", help_text="In each direction, GB/s: 10^9 bytes per second (not GiB)."
    )
    bandwidth_total_gb_s = models.FloatField(
        "both directions (GB/s)", null=True, blank=True, help_text="Both directions together, GB/s."
    )
    latency_us = models.FloatField(
        "latency (µs)",
        null=True,
        blank=True,
        help_text="Per-hop latency of a small message, µs; empty: the engine's default.",
    )
    sort_order = models.PositiveIntegerField(default=100, help_text="Picker order: smaller numbers first.")
    notes = models.TextField(blank=True)
    history = catalog_history()

    class Meta(Searchable.Meta):
        ordering = ["sort_order", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(bandwidth_gb_s__gt=0),
                name="interconnect_bandwidth_positive",
                violation_error_message="Bandwidth must be more than 0 GB/s.",
            ),
            models.CheckConstraint(
                condition=Q(latency_us__isnull=True) | Q(latency_us__gte=0),
                name="interconnect_latency_nonneg",
                violation_error_message="Latency cannot be negative.",
            ),
        ]

    @property
    def between_machines(self) -> bool:
        return self.kind in self.NETWORK_KINDS

    @property
    def bridge(self) -> bool:
        """An NVLink bridge between two cards (the catalog names them "NVLink bridge (RTX 3090, 2-way)"), not
        the NVLink fabric of SXM modules ("NVLink 3 (A100 SXM)"): a 2-way bridge joins a pair, no more."""
        return self.kind == self.Kind.NVLINK and "bridge" in self.name.lower()

    def workload_fields(self) -> dict:
        """Keyword arguments for the engine's `Workload`: the GPU link, or the network between hosts."""
        if self.between_machines:
            return {"network_gb_s": self.bandwidth_gb_s, "network_latency_us": self.latency_us}
        return {
            "link_gb_s": self.bandwidth_gb_s,
            "link_latency_us": self.latency_us,
            "nvlink": self.kind == self.Kind.NVLINK,
        }
