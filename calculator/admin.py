"""Shared snapshots in the admin: to look at, search and delete, never to add or edit (a snapshot is a
frozen answer; editing it would make its permalink lie)."""

from django.contrib import admin
from django.utils.text import Truncator

from .models import Snapshot


@admin.register(Snapshot)
class SnapshotAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "created", "last_viewed", "short_query", "engine_version"]
    list_filter = ["kind", "engine_version", "created", "last_viewed"]
    search_fields = ["id", "query"]
    date_hierarchy = "created"
    fields = ["id", "kind", "query", "engine_version", "created", "last_viewed", "specs", "result"]
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super().get_queryset(request).defer("specs", "result")
        )  # up to ~100 KB a row, unused in the list

    @admin.display(description="query")
    def short_query(self, snapshot: Snapshot) -> str:
        return Truncator(snapshot.query).chars(80)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
