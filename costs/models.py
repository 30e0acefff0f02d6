"""What renting costs: GPU instances by the hour and hosted APIs by the token, each row dated and sourced.

Both are catalog rows (`CatalogRow`): editable in the admin with history, and `load_costs` leaves
the fields an editor changed alone, as `load_catalog` does. Hardware prices stay `catalog.Price` rows.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from catalog.models import CatalogQuerySet, CatalogRow, Gpu, LlmModel, catalog_history


def max_age_days() -> int:
    """Prices older than this many days get a warning on the page (settings.COSTS_PRICE_MAX_AGE_DAYS)."""
    return settings.COSTS_PRICE_MAX_AGE_DAYS


class Dated(CatalogRow):
    """A price seen on `date` at `source_url`."""

    slug = models.SlugField(max_length=200, unique=True, help_text="Stable identity for fixture loads.")
    provider = models.CharField(max_length=80, db_index=True, help_text="e.g. RunPod, Lambda, Groq")
    date = models.DateField(db_index=True, help_text="When the price was published, or read from its page.")
    source_url = models.URLField("source URL", max_length=500, help_text="Where the price was published.")
    note = models.TextField(blank=True, help_text="What the price is for and how it was read.")

    objects = CatalogQuerySet.as_manager()

    class Meta(CatalogRow.Meta):
        abstract = True

    def age_days(self, today: datetime.date | None = None) -> int:
        return ((today or timezone.localdate()) - self.date).days

    @property
    def stale(self) -> bool:
        return self.age_days() > max_age_days()


class CloudPrice(Dated):
    """One cloud offer: an instance of `gpu_count` GPUs at an on-demand price per hour."""

    offer = models.CharField(
        max_length=120, blank=True, help_text="The provider's name for it: Community Cloud, p5.48xlarge, ..."
    )
    gpu = models.ForeignKey(Gpu, on_delete=models.CASCADE, related_name="cloud_prices", verbose_name="GPU")
    gpu_count = models.PositiveSmallIntegerField("GPUs per instance", default=1)
    usd_per_hour = models.DecimalField(
        "USD per hour",
        max_digits=12,
        decimal_places=5,
        validators=[MinValueValidator(0)],
        help_text="On demand, for the whole instance (all its GPUs), before tax.",
    )
    region = models.CharField(max_length=40, blank=True, help_text="e.g. us-east-1; empty: any")
    history = catalog_history()

    class Meta:
        ordering = ["gpu", "usd_per_hour", "slug"]
        verbose_name = "cloud GPU price"
        constraints = [
            models.CheckConstraint(
                condition=Q(usd_per_hour__gte=0),
                name="cloudprice_usd_nonneg",
                violation_error_message="A price cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(gpu_count__gte=1),
                name="cloudprice_gpu_count_positive",
                violation_error_message="An instance has at least one GPU.",
            ),
        ]

    def __str__(self):
        offer = f" {self.offer}" if self.offer else ""
        return f"{self.provider}{offer}: {self.gpu_count}× {self.gpu.name}, ${self.usd_per_hour}/h"

    @property
    def usd_per_gpu_hour(self) -> Decimal:
        return self.usd_per_hour / self.gpu_count


class ApiPrice(Dated):
    """A hosted API's price for an open model, per million tokens in and out."""

    llm = models.ForeignKey(LlmModel, on_delete=models.CASCADE, related_name="api_prices", verbose_name="LLM")
    model_id = models.CharField(
        "provider's model id", max_length=200, blank=True, help_text="e.g. llama-3.3-70b-versatile"
    )
    usd_per_m_input = models.DecimalField(
        "USD per million input tokens", max_digits=10, decimal_places=4, validators=[MinValueValidator(0)]
    )
    usd_per_m_output = models.DecimalField(
        "USD per million output tokens", max_digits=10, decimal_places=4, validators=[MinValueValidator(0)]
    )
    history = catalog_history()

    class Meta:
        ordering = ["llm", "usd_per_m_output", "slug"]
        verbose_name = "hosted API price"
        constraints = [
            models.CheckConstraint(
                condition=Q(usd_per_m_input__gte=0, usd_per_m_output__gte=0),
                name="apiprice_usd_nonneg",
                violation_error_message="A price cannot be negative.",
            ),
        ]

    def __str__(self):
        return f"{self.provider} {self.llm.name}: ${self.usd_per_m_input}/${self.usd_per_m_output} per M"
