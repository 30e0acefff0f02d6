"""Speeds measured by visitors: one row per llama-bench test (or timing line) pasted on
/measurements/submit/, waiting for an admin's approval before the calculator shows it."""

import uuid

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from simple_history.models import HistoricalRecords

from catalog.models import Gpu, LlmModel, Measurement, Quantization

MAX_PASTE_CHARS = 16 * 1024  # a llama-bench table of a few dozen rows is 3 KB


class VisitorMeasurementQuerySet(models.QuerySet):
    def approved(self):
        return self.filter(status=VisitorMeasurement.Status.APPROVED)


class VisitorMeasurement(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    class Runtime(models.TextChoices):
        LLAMA_CPP = "llama.cpp", "llama.cpp (llama-bench, llama-server)"
        OLLAMA = "ollama", "Ollama"

    submission = models.UUIDField(default=uuid.uuid4, db_index=True, help_text="Rows pasted together.")
    gpu = models.ForeignKey(Gpu, on_delete=models.PROTECT, related_name="visitor_measurements")
    gpu_count = models.PositiveSmallIntegerField("GPUs", default=1)
    device_name = models.CharField(max_length=200, blank=True, help_text="As llama.cpp printed it.")
    llm = models.ForeignKey(
        LlmModel, on_delete=models.PROTECT, related_name="visitor_measurements", verbose_name="LLM"
    )
    quantization = models.ForeignKey(
        Quantization, on_delete=models.PROTECT, related_name="visitor_measurements", verbose_name="format"
    )
    model_printed = models.CharField(
        "model as printed", max_length=200, blank=True, help_text="llama-bench's model column."
    )
    params_b = models.FloatField("parameters (B)", null=True, blank=True)
    size_gib = models.FloatField("file size (GiB)", null=True, blank=True)
    runtime = models.CharField(max_length=20, choices=Runtime.choices, default=Runtime.LLAMA_CPP)
    tool = models.CharField(max_length=20, help_text="llama-bench, llama-server or ollama.")
    backend = models.CharField(max_length=20, choices=Measurement.Backend.choices)
    backend_printed = models.CharField(max_length=40, blank=True)
    runtime_build = models.CharField("build", max_length=60, blank=True, help_text="llama.cpp's build line.")
    metric = models.CharField(max_length=20, choices=Measurement.Metric.choices)
    test = models.CharField(max_length=40, help_text="pp512, tg128, pp512@d4096; tg192@d27: after a prompt.")
    tokens = models.PositiveIntegerField(help_text="Prompt tokens read (pp) or tokens generated (tg).")
    depth = models.PositiveIntegerField(default=0, help_text="Tokens already in the context.")
    tok_s = models.FloatField("tokens/s")
    flags = models.CharField(
        max_length=300, blank=True, help_text="llama-bench's other columns: ngl=99 fa=1."
    )
    line = models.CharField("line read", max_length=500, help_text="The line this number was read from.")
    pasted = models.TextField(
        "lines read",
        max_length=MAX_PASTE_CHARS,
        help_text="Only the lines the parser read, as plain text; shown escaped, never as HTML.",
    )
    estimate_tok_s = models.FloatField(
        "estimate (tokens/s)",
        null=True,
        blank=True,
        help_text="The engine's estimate for this test when it was sent (community/plausible.py).",
    )
    far_from_estimate = models.BooleanField(
        default=False,
        db_index=True,
        help_text="Three times faster or slower than the estimate: possible, but check it before approving.",
    )
    submitted_at = models.DateTimeField(auto_now_add=True, db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(history_change_reason_field=models.TextField(null=True))

    objects = VisitorMeasurementQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at", "submission", "metric", "test"]
        constraints = [
            models.CheckConstraint(condition=Q(tok_s__gt=0), name="visitor_measurement_tok_s_positive"),
            models.CheckConstraint(
                condition=Q(gpu_count__gt=0), name="visitor_measurement_gpu_count_positive"
            ),
        ]
        indexes = [models.Index(fields=["status", "llm", "quantization", "gpu", "gpu_count"])]

    def __str__(self):
        count = f"{self.gpu_count}× " if self.gpu_count > 1 else ""
        return f"{self.test} {self.tok_s:g} tok/s, {self.llm} {self.quantization} on {count}{self.gpu}"

    @classmethod
    def from_db(cls, db, field_names, values):
        row = super().from_db(db, field_names, values)
        row._loaded_status = row.status
        return row


@receiver(post_save, sender=VisitorMeasurement, dispatch_uid="visitor-measurement-saved")
@receiver(post_delete, sender=VisitorMeasurement, dispatch_uid="visitor-measurement-deleted")
def _approved_changed(sender, instance, **kwargs) -> None:
    """Approving, rejecting after approval, editing or deleting an approved row changes what the
    calculator shows: forget the cached summary and move every page's ETag (the catalog version), now
    and again at commit. A pending row changes nothing anyone sees."""
    approved = VisitorMeasurement.Status.APPROVED
    seen = (instance.status, getattr(instance, "_loaded_status", None))
    instance._loaded_status = instance.status
    if approved not in seen:
        return
    from catalog.cache import bump_catalog_version

    from . import measured

    measured.forget()
    bump_catalog_version()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(measured.forget, robust=True)
