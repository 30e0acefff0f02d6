from django.contrib import admin

from catalog.admin_editing import CatalogAdmin

from .models import ApiPrice, CloudPrice


@admin.register(CloudPrice)
class CloudPriceAdmin(CatalogAdmin):
    actions = []  # prices are not listed or unlisted
    list_display = ["provider", "offer", "gpu", "gpu_count", "usd_per_hour", "region", "date", "source_url"]
    list_filter = ["provider", "date"]
    list_select_related = ["gpu"]
    search_fields = ["slug", "provider", "offer", "gpu__name", "gpu__slug", "note"]
    autocomplete_fields = ["gpu"]
    date_hierarchy = "date"
    ordering = ["-date", "provider"]


@admin.register(ApiPrice)
class ApiPriceAdmin(CatalogAdmin):
    actions = []
    list_display = [
        "provider",
        "llm",
        "model_id",
        "usd_per_m_input",
        "usd_per_m_output",
        "date",
        "source_url",
    ]
    list_filter = ["provider", "date"]
    list_select_related = ["llm"]
    search_fields = ["slug", "provider", "model_id", "llm__name", "llm__slug", "note"]
    autocomplete_fields = ["llm"]
    date_hierarchy = "date"
    ordering = ["-date", "provider"]
