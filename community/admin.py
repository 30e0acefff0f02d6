"""Reviewing visitors' measurements: filter on "Waiting for review", read the lines each was read from,
filter on "far from estimate" for the runs three times faster or slower than the engine's estimate,
approve or reject the rows picked (each saved with the reviewer, the time and a reason in its history)."""

from django.contrib import admin, messages
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from catalog.admin_editing import NumericAutocompleteAdmin

from .models import VisitorMeasurement


@admin.register(VisitorMeasurement)
class VisitorMeasurementAdmin(NumericAutocompleteAdmin, SimpleHistoryAdmin):
    list_display = [
        "submitted_at",
        "llm",
        "quantization",
        "gpu",
        "gpu_count",
        "backend",
        "test",
        "tok_s",
        "estimate_tok_s",
        "far_from_estimate",
        "tool",
        "status",
        "reviewer",
    ]
    list_filter = ["status", "far_from_estimate", "backend", "metric", "tool", "runtime"]
    list_select_related = ["llm", "quantization", "gpu", "reviewer"]
    search_fields = ["gpu__name", "llm__name", "quantization__name", "model_printed", "device_name", "pasted"]
    autocomplete_fields = ["gpu", "llm", "quantization"]
    date_hierarchy = "submitted_at"
    readonly_fields = [
        "submission",
        "submitted_at",
        "pasted",
        "estimate_tok_s",
        "far_from_estimate",
        "reviewer",
        "reviewed_at",
    ]
    actions = ["approve", "reject"]
    list_per_page = 100

    @admin.action(description="Approve: show beside the estimates")
    def approve(self, request, queryset):
        self._review(request, queryset, VisitorMeasurement.Status.APPROVED)

    @admin.action(description="Reject")
    def reject(self, request, queryset):
        self._review(request, queryset, VisitorMeasurement.Status.REJECTED)

    def _review(self, request, queryset, status):
        now = timezone.now()
        rows = list(queryset)
        for row in rows:  # one save each: the history records who reviewed it
            row.status, row.reviewer, row.reviewed_at = status, request.user, now
            row._change_reason = f"{status.label} by {request.user.get_username()}"
            row.save()
        self.message_user(request, f"{status.label}: {len(rows)} measurement(s).", messages.SUCCESS)
