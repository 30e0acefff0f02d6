"""Bulk editing in the admin: CSV and XLSX import and export of GPUs, prices and measurements
(django-import-export).

An import is previewed first: every row says new, update, skip (unchanged) or why it is refused, with
the changed values highlighted; nothing is written until the editor confirms. Every row goes through
the model's `full_clean()` (the engine's own checks, the constraints, unique names), is saved one by
one (so the catalog version moves and each row gets a history entry) and carries the reason the editor
gave on the import form.
"""

from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import TextField
from django.utils.encoding import force_str
from django.utils.html import format_html
from import_export import fields, resources, widgets
from import_export.admin import ExportActionMixin, ImportExportMixin
from import_export.formats.base_formats import CSV, XLSX
from import_export.forms import ConfirmImportForm, ImportForm

from estimator.units import GIB

from . import slugs
from .admin_forms import REASON_MAX_LENGTH, split_bytes
from .models import Gpu, LlmModel, Measurement, Price, Quantization

REASON_HELP = "Why, and from which source: every row this import changes keeps it in its history."


class GibWidget(widgets.Widget):
    """Bytes in the database, GiB in the file: 24, 15.9921875 (exact either way)."""

    def clean(self, value, row=None, **kwargs):
        if value is None or str(value).strip() == "":
            return None
        try:
            gib = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError(f"“{value}” is not a number of GiB.") from None
        if not gib.is_finite():
            raise ValueError(f"“{value}” is not a number of GiB.")
        return int((gib * GIB).to_integral_value())

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        number, unit = split_bytes(int(value), ["GiB"])
        return format(number if unit == "GiB" else Decimal(int(value)) / GIB, "f")


class SlugWidget(widgets.ForeignKeyWidget):
    """A related row named by its slug; an unknown slug is a message on its row, not a traceback."""

    def __init__(self, model, label: str):
        super().__init__(model, field="slug")
        self.label = label

    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except ObjectDoesNotExist:
            renamed = slugs.with_renamed(self.model, {}, [str(value).strip()]).get(str(value).strip())
            if renamed is None:  # else the slug it had before an editor renamed it
                raise ValueError(f"No {self.label} has the slug “{value}”.") from None
            return renamed


class ValueDiff(resources.Diff):
    """The preview's cells: a changed value as "old → new", whole values rather than import-export's
    character diff (which shows 1999.00 → 1799.10 as "1<del>9</del><ins>7</ins>99.<del>0</del>...")."""

    def as_html(self):
        cells = []
        for old, new in zip(self.left, self.right, strict=False):
            old, new = force_str(old), force_str(new)
            if self.new or old == new:
                cells.append(format_html("{}", new))
            else:
                cells.append(format_html("<del>{}</del> → <ins>{}</ins>", old, new))
        return cells


class CatalogResource(resources.ModelResource):
    """Rows matched by slug, checked by `full_clean()`, saved one at a time with the editor's reason.
    The editor is the history user (the admin's middleware), so the models remember which fields
    the file changed (`admin_edited_fields`) and catalog loads leave them alone."""

    def get_diff_class(self):
        return ValueDiff

    @classmethod
    def widget_from_django_field(cls, f, default=widgets.Widget):
        """A text column left empty is "" (an empty XLSX cell reads as None, which a TextField refuses)."""
        if isinstance(f, TextField):
            return widgets.CharWidget
        return super().widget_from_django_field(f, default)

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        try:
            super().import_field(field, instance, row, is_m2m, **kwargs)
        except (ArithmeticError, TypeError):  # DecimalWidget's InvalidOperation, for one
            raise ValueError(f"“{row.get(field.column_name)}” is not a number.") from None

    def before_import(self, dataset, **kwargs):
        """A row naming a catalog row by a slug it had before an editor renamed it updates that row
        under its current slug (a file exported before the rename still applies): three queries for
        the whole file, two of them only when a slug is not found."""
        super().before_import(dataset, **kwargs)
        self.renamed = {}
        if "slug" not in (dataset.headers or []):
            return
        model = self._meta.model
        asked = {str(s).strip() for s in dataset["slug"] if s}
        found = dict.fromkeys(model.objects.filter(slug__in=asked).values_list("slug", flat=True))
        self.renamed = {
            old: row.slug for old, row in slugs.with_renamed(model, found, asked).items() if row is not None
        }

    def before_import_row(self, row, **kwargs):
        super().before_import_row(row, **kwargs)
        slug = str(row.get("slug") or "").strip()
        if slug in getattr(self, "renamed", {}):
            row["slug"] = self.renamed[slug]

    def before_save_instance(self, instance, row, **kwargs):
        instance._change_reason = kwargs.get("change_reason") or "Imported from a file"


class GpuResource(CatalogResource):
    memory_gib = fields.Field(attribute="memory_bytes", column_name="memory_gib", widget=GibWidget())

    class Meta:
        model = Gpu
        import_id_fields = ["slug"]
        fields = [
            "slug",
            "name",
            "vendor",
            "form_factor",
            "architecture",
            "memory_gib",
            "bandwidth_gb_s",
            "fp16_tflops",
            "bf16_tflops",
            "fp32_tflops",
            "fp8_tflops",
            "int8_tops",
            "tdp_w",
            "release_date",
            "launch_price_usd",
            "unified_memory",
            "listed",
            "source",
        ]
        export_order = fields
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True


class MeasurementResource(CatalogResource):
    gpu = fields.Field(attribute="gpu", column_name="gpu", widget=SlugWidget(Gpu, "GPU"))
    llm = fields.Field(attribute="llm", column_name="llm", widget=SlugWidget(LlmModel, "LLM"))
    quantization = fields.Field(
        attribute="quantization", column_name="quantization", widget=SlugWidget(Quantization, "format")
    )

    class Meta:
        model = Measurement
        import_id_fields = ["slug"]
        fields = [
            "slug",
            "llm",
            "quantization",
            "gpu",
            "gpu_count",
            "runtime",
            "backend",
            "metric",
            "test",
            "value",
            "context_tokens",
            "split_mode",
            "date",
            "runtime_build",
            "flags",
            "source",
            "source_quality",
            "notes",
        ]
        export_order = fields
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True


class PriceResource(CatalogResource):
    """Prices by slug: a row without one is a new price (its slug is made from the GPU, condition,
    region, currency and date)."""

    gpu = fields.Field(attribute="gpu", column_name="gpu", widget=SlugWidget(Gpu, "GPU"))

    class Meta:
        model = Price
        import_id_fields = ["slug"]
        fields = ["slug", "gpu", "condition", "region", "amount", "currency", "date", "source_url", "note"]
        export_order = fields
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True


class ReasonImportForm(ImportForm):
    change_reason = forms.CharField(
        label="Change reason", max_length=REASON_MAX_LENGTH, help_text=REASON_HELP
    )
    field_order = ["resource", "import_file", "format", "change_reason"]


class ReasonConfirmImportForm(ConfirmImportForm):
    change_reason = forms.CharField(
        label="Change reason", max_length=REASON_MAX_LENGTH, help_text=REASON_HELP
    )


class BulkAdminMixin(ImportExportMixin, ExportActionMixin):
    """Import (previewed, confirmed, with a reason) and export, of the whole table or the selected rows."""

    import_form_class = ReasonImportForm
    confirm_form_class = ReasonConfirmImportForm
    import_formats = [CSV, XLSX]
    export_formats = [CSV, XLSX]
    show_change_form_export = False

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def get_valid_export_item_pks(self, request):
        """The rows "Export selected" may name: those this admin shows. (import-export deprecates this
        hook, yet its export view calls it, warning, unless the admin gives its own.)"""
        return self.get_queryset(request).values_list("pk", flat=True)

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial["change_reason"] = import_form.cleaned_data["change_reason"]
        return initial

    def get_import_data_kwargs(self, **kwargs):
        form = kwargs.get("form")
        reason = form.cleaned_data.get("change_reason", "") if form is not None else ""
        return {**super().get_import_data_kwargs(**kwargs), "change_reason": reason}
