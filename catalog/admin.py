from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Gpu, LlmModel, Quantization


class MemoryRangeFilter(admin.SimpleListFilter):
    title = "memory"
    parameter_name = "memory"
    RANGES = {
        "lt16": (0, 16),
        "16-32": (16, 32),
        "32-64": (32, 64),
        "64-128": (64, 128),
        "ge128": (128, 10**6),
    }

    def lookups(self, request, model_admin):
        return [
            ("lt16", "< 16 GiB"),
            ("16-32", "16–32 GiB"),
            ("32-64", "32–64 GiB"),
            ("64-128", "64–128 GiB"),
            ("ge128", "≥ 128 GiB"),
        ]

    def queryset(self, request, queryset):
        if self.value() not in self.RANGES:
            return queryset
        low, high = self.RANGES[self.value()]
        return queryset.filter(memory_bytes__gte=low * 2**30, memory_bytes__lt=high * 2**30)


@admin.register(Gpu)
class GpuAdmin(SimpleHistoryAdmin):
    list_display = [
        "name",
        "vendor",
        "form_factor",
        "memory_gib_display",
        "bandwidth_gb_s",
        "fp16_tflops",
        "listed",
    ]
    list_filter = ["vendor", "form_factor", "unified_memory", "listed", MemoryRangeFilter]
    search_fields = ["name", "slug", "architecture"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["search_key"]

    @admin.display(description="Memory (GiB)", ordering="memory_bytes")
    def memory_gib_display(self, obj):
        return f"{obj.memory_gib:g}"

    def save_model(self, request, obj, form, change):
        if change:
            edited = set(obj.admin_edited_fields) | set(form.changed_data) - {"admin_edited_fields"}
            obj.admin_edited_fields = sorted(edited)
        super().save_model(request, obj, form, change)


@admin.register(LlmModel)
class LlmModelAdmin(SimpleHistoryAdmin):
    list_display = ["name", "family", "total_params_b", "active_params_b", "num_hidden_layers", "listed"]
    list_filter = ["family", "listed", "tie_word_embeddings"]
    search_fields = ["name", "slug", "hf_id", "family"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Quantization)
class QuantizationAdmin(SimpleHistoryAdmin):
    list_display = ["name", "family", "bits_per_weight", "sort_order", "listed"]
    list_filter = ["family", "listed"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
