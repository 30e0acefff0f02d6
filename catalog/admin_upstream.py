"""The admin's "Upstream changes": values load_catalog kept out of fields editors changed (see
catalog/loading.py), each with the value here beside it, to accept or ignore; a read-only list.
The same decisions from a shell: `manage.py catalog_upstream`."""

from django.contrib import admin, messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from .models import UpstreamChange


@admin.register(UpstreamChange)
class UpstreamChangeAdmin(admin.ModelAdmin):
    list_display = ["row_link", "field", "here", "upstream", "source", "seen_at", "status"]
    list_filter = ["status", "model", "field"]
    search_fields = ["slug", "field"]
    actions = ["accept_selected", "ignore_selected"]
    fields = [
        "model",
        "slug",
        "field",
        "here",
        "value",
        "source",
        "seen_at",
        "status",
        "decided_by",
        "decided_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        """The list's actions need "change"; a row's own page stays read-only."""
        return obj is None and super().has_change_permission(request)

    @admin.display(description="row", ordering="slug")
    def row_link(self, change):
        try:
            row = change.row()
            url = reverse(f"admin:{row._meta.app_label}_{row._meta.model_name}_change", args=[row.pk])
        except (ObjectDoesNotExist, LookupError, NoReverseMatch):
            return f"{change.model} {change.slug} (no longer here)"
        return format_html('<a href="{}">{} {}</a>', url, row._meta.verbose_name, change.slug)

    @admin.display(description="value here")
    def here(self, change):
        try:
            return repr(getattr(change.row(), change.field))
        except (ObjectDoesNotExist, LookupError, AttributeError):
            return "–"

    @admin.display(description="upstream value", ordering="value")
    def upstream(self, change):
        return repr(change.value)

    @admin.action(
        description="Accept the upstream value (the field follows upstream again)", permissions=["change"]
    )
    def accept_selected(self, request, queryset):
        accepted, refused = 0, []
        for change in queryset:
            try:
                change.accept(request.user)
                accepted += 1
            except ValidationError as e:
                refused.append(f"{change}: {' '.join(e.messages)}")
            except ObjectDoesNotExist:
                refused.append(f"{change}: the row is no longer here")
        if accepted:
            messages.success(request, f"Accepted {accepted} upstream value(s); each row's history says so.")
        for problem in refused:
            messages.error(request, f"Not accepted, {problem}")

    @admin.action(description="Ignore: keep the edit, stop offering this value", permissions=["change"])
    def ignore_selected(self, request, queryset):
        for change in queryset:
            change.ignore(request.user)
        messages.success(
            request, f"Ignored {len(queryset)} upstream value(s); a newer upstream value is offered again."
        )
