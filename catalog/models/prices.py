"""Dated, sourced GPU prices."""

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.text import slugify

from ..price_tag import PriceTag
from .base import CatalogQuerySet, CatalogRow, catalog_history, free_slug


class PriceQuerySet(CatalogQuerySet):
    def newest_first(self):
        """By date, newest first; undated prices (launch prices whose date no source gives) last."""
        return self.order_by(F("date").desc(nulls_last=True), "-pk")


class Price(CatalogRow):
    """What a GPU costs (or cost) somewhere, on a date, according to a source: one row per sighting."""

    class Condition(models.TextChoices):
        NEW = "new", "New"
        USED = "used", "Used"

    slug = models.SlugField(
        max_length=200,
        unique=True,
        blank=True,
        help_text="Stable identity for fixture loads; left empty, it is made from the GPU, condition, "
        "region, currency and date.",
    )
    gpu = models.ForeignKey("Gpu", on_delete=models.CASCADE, related_name="prices", verbose_name="GPU")
    condition = models.CharField(max_length=10, choices=Condition.choices, default=Condition.NEW)
    region = models.CharField(
        max_length=2,
        default="US",
        validators=[RegexValidator(r"^[A-Z]{2}$", "Two capital letters: a country code (US, DE, JP) or EU.")],
        help_text="Where the price applies: an ISO 3166-1 country code (US, DE, JP), or EU.",
    )
    amount = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(0)],
        help_text="In the currency below, taxes as the source states them (US prices exclude sales tax).",
    )
    currency = models.CharField(
        max_length=3,
        default="USD",
        validators=[RegexValidator(r"^[A-Z]{3}$", "Three capital letters: an ISO 4217 code (USD, EUR).")],
        help_text="ISO 4217 code: USD, EUR, GBP, ...",
    )
    date = models.DateField(
        null=True,
        blank=True,
        db_index=True,
        help_text="When the price was announced or seen. Empty only for a launch price no source dates.",
    )
    source_url = models.URLField("source URL", max_length=500, help_text="Where the price was published.")
    weak_source = models.BooleanField(
        default=False,
        help_text="The source is a blog or an aggregator, not the vendor, a retailer or established press: the "
        "pages say so beside the price (and the note says which and why).",
    )
    note = models.TextField(
        blank=True, help_text="What the price is for (edition, configuration) and how it was read."
    )
    history = catalog_history()

    objects = PriceQuerySet.as_manager()

    class Meta:
        ordering = ["gpu", F("date").desc(nulls_last=True), "slug"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0),
                name="price_amount_nonneg",
                violation_error_message="A price cannot be negative.",
            ),
        ]

    def __str__(self):
        when = self.date.isoformat() if self.date else "undated"
        return f"{self.label[:-1]}, {when})"

    @property
    def label(self) -> str:
        """'750.00 USD (used, US)': the price without its date, where a page prints the date its own way."""
        return f"{self.amount:,} {self.currency} ({self.get_condition_display().lower()}, {self.region})"

    @property
    def tag(self) -> PriceTag:
        """The price as the pages word it (PriceTag.when: 'used, Dec 2026', 'launch, Jan 2021'); reads its
        GPU's release date (loaded with it where a page shows several)."""
        return PriceTag.seen(
            self.amount, self.date, self.source_url, self.condition, self.gpu.release_date, self.weak_source
        )

    def save(self, *args, **kwargs):
        """A new row without a slug gets `default_slug()`, with -2, -3, ... if that is taken; a slug
        is never rewritten afterwards (the loader and exports know the row by it)."""
        if not self.slug:
            self.slug = free_slug(Price, self.default_slug())
        super().save(*args, **kwargs)

    @staticmethod
    def newest_key(price: "Price") -> tuple:
        """Sort key for `newest_first()` order in Python."""
        return (price.date is None, -(price.date.toordinal() if price.date else 0), -(price.pk or 0))

    def default_slug(self) -> str:
        when = self.date.isoformat() if self.date else "undated"
        return slugify(f"{self.gpu.slug} {self.condition} {self.region} {self.currency} {when}")
