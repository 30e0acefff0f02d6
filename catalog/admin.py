from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    DiffusionModel,
    Gpu,
    Interconnect,
    KvCacheType,
    LlmModel,
    Measurement,
    Quantization,
    RamPreset,
    Runtime,
)


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


class ParamsRangeFilter(admin.SimpleListFilter):
    title = "parameters"
    parameter_name = "params"
    RANGES = {"lt10": (0, 10), "10-40": (10, 40), "40-100": (40, 100), "ge100": (100, 10**6)}

    def lookups(self, request, model_admin):
        return [("lt10", "< 10B"), ("10-40", "10–40B"), ("40-100", "40–100B"), ("ge100", "≥ 100B")]

    def queryset(self, request, queryset):
        if self.value() not in self.RANGES:
            return queryset
        low, high = self.RANGES[self.value()]
        return queryset.filter(total_params_b__gte=low, total_params_b__lt=high)


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
    list_filter = ["vendor", "form_factor", "unified_memory", "listed", "nvlink", MemoryRangeFilter]
    list_editable = ["listed"]
    search_fields = ["name", "slug", "architecture", "source_id"]
    list_per_page = 100
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["search_key"]

    @admin.display(description="Memory (GiB)", ordering="memory_bytes")
    def memory_gib_display(self, obj):
        return f"{obj.memory_gib:g}"

    def save_model(self, request, obj, form, change):
        """Remember which fields an admin changed, so imports leave them alone. The form's
        changed_data also flags values that only differ in form (an empty JSON list posted as "[]"),
        so each is compared with the stored value."""
        if change:
            stored = type(obj).objects.get(pk=obj.pk)
            changed = {
                name
                for name in form.changed_data
                if name != "admin_edited_fields" and getattr(stored, name) != getattr(obj, name)
            }
            obj.admin_edited_fields = sorted(set(obj.admin_edited_fields) | changed)
        super().save_model(request, obj, form, change)


@admin.register(LlmModel)
class LlmModelAdmin(SimpleHistoryAdmin):
    list_display = ["name", "family", "total_params_b", "active_params_b", "num_hidden_layers", "listed"]
    list_filter = ["family", "listed", "tie_word_embeddings", ParamsRangeFilter]
    search_fields = ["name", "slug", "hf_id", "family"]
    prepopulated_fields = {"slug": ["name"]}

    def get_urls(self):
        from django.urls import path

        from .admin_import import import_view

        view = self.admin_site.admin_view(lambda request: import_view(request, self))
        return [path("import/", view, name="catalog_llmmodel_import"), *super().get_urls()]


@admin.register(Quantization)
class QuantizationAdmin(SimpleHistoryAdmin):
    list_display = ["name", "family", "bits_per_weight", "sort_order", "listed"]
    list_filter = ["family", "listed"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(KvCacheType)
class KvCacheTypeAdmin(SimpleHistoryAdmin):
    list_display = ["name", "bytes_per_element", "sort_order", "listed"]
    list_filter = ["listed"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Interconnect)
class InterconnectAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "bandwidth_gb_s", "latency_us", "listed"]
    list_filter = ["kind", "listed"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Runtime)
class RuntimeAdmin(SimpleHistoryAdmin):
    list_display = ["name", "engine_runtime", "split_modes", "kv_cache_types", "overhead_mib", "listed"]
    list_filter = ["listed", "engine_runtime"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    @admin.display(description="Overhead per GPU (MiB)", ordering="per_device_overhead_bytes")
    def overhead_mib(self, obj):
        return f"{obj.per_device_overhead_bytes / 2**20:g}"


@admin.register(RamPreset)
class RamPresetAdmin(SimpleHistoryAdmin):
    list_display = ["name", "memory_type", "channels", "transfer_rate_mt_s", "bandwidth_gb_s", "listed"]
    list_filter = ["memory_type", "channels", "listed"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(DiffusionModel)
class DiffusionModelAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "denoiser_b", "total_b", "listed"]
    list_filter = ["kind", "listed"]
    search_fields = ["name", "slug", "hf_id"]
    prepopulated_fields = {"slug": ["name"]}

    @admin.display(description="Denoiser (B)")
    def denoiser_b(self, obj):
        return obj.denoiser_params_b

    @admin.display(description="All components (B)")
    def total_b(self, obj):
        return round(obj.total_params_b, 3)


@admin.register(Measurement)
class MeasurementAdmin(SimpleHistoryAdmin):
    list_display = [
        "slug",
        "llm",
        "quantization",
        "gpu",
        "gpu_count",
        "backend",
        "test",
        "value",
        "source_quality",
    ]
    list_filter = ["metric", "backend", "runtime", "split_mode", "gpu_count", "quantization", "llm"]
    list_select_related = ["llm", "quantization", "gpu"]
    search_fields = ["slug", "gpu__name", "gpu__slug", "llm__name", "llm__slug", "source", "notes"]
    autocomplete_fields = ["gpu", "llm", "quantization"]
    list_per_page = 100


from . import admin_upstream  # noqa: E402, F401  (the "Upstream changes" page; its own module)
