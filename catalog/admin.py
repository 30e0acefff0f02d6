from django.contrib import admin
from django.db.models import F, OuterRef, Subquery

from estimator import memory
from estimator.units import GIB, format_bytes

from . import admin_preview
from . import artifacts as artifact_shape
from .admin_bulk import (
    BulkAdminMixin,
    GpuResource,
    LlmResource,
    MeasurementResource,
    PriceResource,
    QuantizationResource,
)
from .admin_editing import CatalogAdmin
from .admin_forms import CatalogAdminForm, GpuAdminForm
from .models import (
    Artifact,
    DiffusionModel,
    FormerSlug,
    Gpu,
    Interconnect,
    KvCacheType,
    LlmModel,
    Measurement,
    Price,
    Quantization,
    RamPreset,
    Runtime,
)
from .runtimes import BY_SLUG, ENGINE_RUNTIME


class RangeFilter(admin.SimpleListFilter):
    """Ranges between `bounds`, each including its upper bound, so a 32 GiB card is in "16 to 32"."""

    field: str
    unit: str
    scale: float = 1
    bounds: list[int]

    def ranges(self) -> dict[str, tuple[float | None, float | None, str]]:
        b = self.bounds
        ranges = {f"le{b[0]}": (None, b[0], f"Up to {b[0]} {self.unit}")}
        for low, high in zip(b, b[1:], strict=False):
            ranges[f"{low}-{high}"] = (low, high, f"Over {low}, up to {high} {self.unit}")
        ranges[f"gt{b[-1]}"] = (b[-1], None, f"Over {b[-1]} {self.unit}")
        return ranges

    def lookups(self, request, model_admin):
        return [(key, label) for key, (_, _, label) in self.ranges().items()]

    def queryset(self, request, queryset):
        if self.value() not in self.ranges():
            return queryset
        low, high, _ = self.ranges()[self.value()]
        if low is not None:
            queryset = queryset.filter(**{f"{self.field}__gt": low * self.scale})
        if high is not None:
            queryset = queryset.filter(**{f"{self.field}__lte": high * self.scale})
        return queryset


class MemoryRangeFilter(RangeFilter):
    title = "memory"
    parameter_name = "memory"
    field, unit, scale = "memory_bytes", "GiB", GIB
    bounds = [16, 32, 64, 128]


class ParamsRangeFilter(RangeFilter):
    title = "parameters"
    parameter_name = "params"
    field, unit = "total_params_b", "B"
    bounds = [10, 40, 100]


def newest_history_date(model):
    """The date of a row's newest history entry, as a subquery for `annotate()`."""
    records = model.history.model.objects.filter(id=OuterRef("pk")).order_by("-history_date")
    return Subquery(records.values("history_date")[:1])


@admin.register(Gpu)
class GpuAdmin(BulkAdminMixin, CatalogAdmin):
    form = GpuAdminForm
    resource_classes = [GpuResource]
    list_display = [
        "name",
        "vendor",
        "release_date",
        "memory_display",
        "bandwidth_gb_s",
        "price_display",
        "last_changed",
        "listed",
    ]
    list_filter = ["vendor", "form_factor", "unified_memory", "listed", "nvlink", MemoryRangeFilter]
    # No list_editable "listed": a list posted from a stale page wrote its old ticks back over others'
    # changes, without a reason; the list and unlist actions do it with one, on the rows as saved.
    search_fields = ["name", "slug", "architecture", "source_id"]
    list_per_page = 100
    ordering = [F("release_date").desc(nulls_last=True), "name"]
    prepopulated_fields = {"slug": ["name"]}
    renameable = True  # public slugs: "Change slug" keeps the old ones working
    readonly_fields = ["search_key", "estimate_preview"]
    site_url_name = "catalog:gpu-detail"

    def get_queryset(self, request):
        return (
            super().get_queryset(request).with_current_price().annotate(last_changed=newest_history_date(Gpu))
        )

    @admin.display(description="Memory", ordering="memory_bytes")
    def memory_display(self, obj):
        return format_bytes(obj.memory_bytes)

    @admin.display(description="Price (USD)", ordering="current_price_amount")
    def price_display(self, obj):
        amount = getattr(obj, "current_price_amount", None)
        if amount is None:
            return "–"
        when = obj.current_price_date.isoformat() if obj.current_price_date else "undated"
        return f"${amount:,.0f} ({when})"

    @admin.display(description="Last changed", ordering="last_changed")
    def last_changed(self, obj):
        return obj.last_changed

    @admin.display(description="Estimates")
    def estimate_preview(self, obj):
        return admin_preview.as_html(obj)


@admin.register(LlmModel)
class LlmModelAdmin(BulkAdminMixin, CatalogAdmin):
    resource_classes = [LlmResource]
    change_list_template = "admin/catalog/llmmodel/change_list.html"  # import-export's extends it
    list_display = ["name", "family", "total_params_b", "active_params_b", "num_hidden_layers", "listed"]
    list_filter = ["family", "listed", "tie_word_embeddings", ParamsRangeFilter]
    search_fields = ["name", "slug", "hf_id", "family"]
    prepopulated_fields = {"slug": ["name"]}
    renameable = True  # public slugs: "Change slug" keeps the old ones working
    readonly_fields = ["search_key", "estimate_preview"]
    site_url_name = "catalog:model-detail"

    def get_urls(self):
        from django.urls import path

        from .admin_import import import_view

        # "import/" stays the config.json / GGUF / Hub import; a CSV or XLSX file is "import-file/"
        # (import-export's own view, under the name its templates reverse).
        view = self.admin_site.admin_view(lambda request: import_view(request, self))
        urls = super().get_urls()
        (files,) = [u for u in urls if u.name == "catalog_llmmodel_import"]
        urls.remove(files)
        return [
            path("import/", view, name="catalog_llmmodel_import_config"),
            path("import-file/", files.callback, name=files.name),
            *urls,
        ]

    @admin.display(description="Estimates")
    def estimate_preview(self, obj):
        return admin_preview.as_html(obj)


@admin.register(Quantization)
class QuantizationAdmin(BulkAdminMixin, CatalogAdmin):
    resource_classes = [QuantizationResource]
    list_display = ["name", "family", "bits_per_weight", "sort_order", "listed"]
    list_filter = ["family", "listed"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    # No "Change slug": a format's slug is its llama.cpp name, which the engine reads its kernel family
    # from (speed.format_family), commands print as the file tag and artifacts list: renaming q4_k_m
    # would change estimates and commands, not just an address.


@admin.register(KvCacheType)
class KvCacheTypeAdmin(CatalogAdmin):
    list_display = ["name", "bytes_per_element", "sort_order", "listed"]
    list_filter = ["listed"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Interconnect)
class InterconnectAdmin(CatalogAdmin):
    list_display = ["name", "kind", "bandwidth_gb_s", "latency_us", "listed"]
    list_filter = ["kind", "listed"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Runtime)
class RuntimeAdmin(CatalogAdmin):
    list_display = ["name", "engine_name", "kv_cache_types", "formats", "engine_overhead", "listed"]
    list_filter = ["listed"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["engine_name", "engine_overhead"]

    @admin.display(description="The engine models it as")
    def engine_name(self, obj):
        """The engine's `Workload.runtime` the calculator runs this runtime as (catalog/runtimes.py
        `RUNTIMES`), and for which format families it runs another ("llama.cpp; mlx formats: mlx" for
        LM Studio). Read-only: it is the code's, not a column."""
        info = BY_SLUG.get(obj.slug)
        if info is None:
            return "Not modelled: the calculator does not offer this runtime."
        return "; ".join([info.engine, *(f"{family} formats: {e}" for family, e in info.engines.items())])

    @admin.display(description="Runtime overhead per GPU (the engine's)")
    def engine_overhead(self, obj):
        """What the engine adds on each GPU under this runtime, per backend (estimator/memory.py
        `overhead_bytes`: the driver's context, and NCCL buffers when vLLM spans GPUs; vLLM's CUDA
        graphs count with its compute buffers). Read-only: it is the engine's, not a column."""
        engine = ENGINE_RUNTIME.get(obj.slug)
        if engine is None:
            return "—"  # not modelled (engine_name says so)
        by_cost: dict[tuple[int, int], list[str]] = {}
        backends = obj.backends if isinstance(obj.backends, list) else []  # a refused edit shows too
        for backend in (b for b in backends if isinstance(b, str)):
            one = memory.overhead_bytes(backend, runtime=engine)
            several = memory.overhead_bytes(backend, runtime=engine, multi_gpu=True)
            by_cost.setdefault((one, several), []).append(backend)

        def size(n: int) -> str:
            return format_bytes(n) if n else "none"

        return "; ".join(
            size(one)
            + (f" ({size(several)} on several GPUs)" if several != one else "")
            + f" on {', '.join(names)}"
            for (one, several), names in by_cost.items()
        )


@admin.register(RamPreset)
class RamPresetAdmin(CatalogAdmin):
    list_display = ["name", "memory_type", "channels", "transfer_rate_mt_s", "bandwidth_gb_s", "listed"]
    list_filter = ["memory_type", "channels", "listed"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(DiffusionModel)
class DiffusionModelAdmin(CatalogAdmin):
    list_display = ["name", "kind", "denoiser_b", "total_b", "listed"]
    list_filter = ["kind", "listed"]
    search_fields = ["name", "slug", "hf_id"]
    prepopulated_fields = {"slug": ["name"]}
    # No "Change slug": the denoiser shapes (fixtures/sources/diffusion_shapes.json) and the page's
    # choice between the image and the LLM calculator (calculator/diffusion_answer.py) go by this slug.

    @admin.display(description="Denoiser (B)")
    def denoiser_b(self, obj):
        return obj.denoiser_params_b

    @admin.display(description="All components (B)")
    def total_b(self, obj):
        return round(obj.total_params_b, 3)


@admin.register(Measurement)
class MeasurementAdmin(BulkAdminMixin, CatalogAdmin):
    resource_classes = [MeasurementResource]
    actions = []  # measurements are not listed or unlisted
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


class ArtifactAdminForm(CatalogAdminForm):
    """The row's own checks, plus what the model cannot check alone: that its formats are catalog
    formats this kind of file can hold (catalog/artifacts.py, as `manage.py check_artifacts`)."""

    def clean(self):
        data = super().clean()
        kind, formats = data.get("kind"), data.get("formats")
        if kind and isinstance(formats, list):
            families = dict(Quantization.objects.values_list("slug", "family"))
            for message in artifact_shape.format_problems(kind, formats, families):
                self.add_error("formats", message)
        return data


@admin.register(Artifact)
class ArtifactAdmin(CatalogAdmin):
    form = ArtifactAdminForm
    actions = []  # artifacts are not listed or unlisted
    list_display = ["llm", "kind", "repo", "tag", "formats_display", "publisher", "checked"]
    list_filter = ["kind", "publisher", "checked", "llm"]
    list_select_related = ["llm"]
    search_fields = ["slug", "repo", "tag", "publisher", "llm__name", "llm__slug", "note", "source_url"]
    autocomplete_fields = ["llm"]
    list_per_page = 100

    @admin.display(description="Formats")
    def formats_display(self, obj):
        return ", ".join(obj.formats or []) or "–"


@admin.register(Price)
class PriceAdmin(BulkAdminMixin, CatalogAdmin):
    resource_classes = [PriceResource]
    actions = []  # prices are not listed or unlisted
    list_display = ["gpu", "amount", "currency", "condition", "region", "date", "source_url"]
    list_filter = ["condition", "region", "currency", "date"]
    list_select_related = ["gpu"]
    search_fields = ["slug", "gpu__name", "gpu__slug", "source_url", "note"]
    autocomplete_fields = ["gpu"]
    date_hierarchy = "date"
    ordering = [F("date").desc(nulls_last=True), "gpu__name"]
    list_per_page = 100


@admin.register(FormerSlug)
class FormerSlugAdmin(admin.ModelAdmin):
    """Every rename, for reading: slugs change on their row's "Change slug" page."""

    list_display = ["slug", "renamed_to", "model", "renamed_at", "renamed_by", "reason"]
    list_filter = ["model", "renamed_at"]
    search_fields = ["slug", "renamed_to", "reason"]
    list_select_related = ["renamed_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


from . import admin_upstream  # noqa: E402, F401  (the "Upstream changes" page; its own module)
