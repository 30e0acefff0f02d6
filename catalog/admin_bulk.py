"""Bulk editing in the admin: CSV and XLSX import and export of GPUs, LLMs, formats, prices and
measurements (django-import-export), every column a row has.

An import is previewed first: every row says new, update, skip (unchanged) or why it is refused, with
the changed values highlighted; nothing is written until the editor confirms. Every row goes through
the model's `full_clean()` (the engine's own checks, the constraints, unique names), is saved one by
one (so the catalog version moves and each row gets a history entry) and carries the reason the editor
gave on the import form.
"""

import functools
import json
from decimal import Decimal, InvalidOperation, localcontext
from typing import get_args

from django import forms
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import BooleanField, TextField
from django.utils.encoding import force_str
from django.utils.html import format_html
from import_export import fields, resources, widgets
from import_export.admin import ExportActionMixin, ImportExportMixin
from import_export.formats.base_formats import CSV, XLSX
from import_export.forms import ConfirmImportForm, ImportForm

from estimator.schema import Backend

from . import admin_concurrency, slugs
from .admin_forms import REASON_MAX_LENGTH, UNITS
from .models import Gpu, LlmModel, Measurement, Price, Quantization

REASON_HELP = "Why, and from which source: every row this import changes keeps it in its history."


class SizeWidget(widgets.Widget):
    """Bytes in the database, `unit` in the file, as the admin form types them (memory in GiB, what the
    driver reports in MiB): 24, 15.9921875, 46068. Exact either way."""

    def __init__(self, unit: str):
        super().__init__()
        self.unit = unit

    def clean(self, value, row=None, **kwargs):
        if value is None or str(value).strip() == "":
            return None
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError(f"“{value}” is not a number of {self.unit}.") from None
        if not number.is_finite():
            raise ValueError(f"“{value}” is not a number of {self.unit}.")
        return int((number * UNITS[self.unit]).to_integral_value())

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        with localcontext(prec=60):  # any byte count, exactly: a power of two divides it in few digits
            return format(Decimal(int(value)) / UNITS[self.unit], "f")


class ChoiceWidget(widgets.CharWidget):
    """A choice by the value stored or the label the admin shows, in any case: a form factor is
    "integrated" or "Unified-memory machine". Written as the value."""

    def __init__(self, choices, **kwargs):
        super().__init__(**kwargs)
        self.labels = [str(label) for _, label in choices]
        self.by_text = {str(v).lower(): v for v, _ in choices} | {str(t).lower(): v for v, t in choices}

    def clean(self, value, row=None, **kwargs):
        text = "" if value is None else str(value).strip()
        if text == "":
            return ""  # the model says whether it may be empty
        if text.lower() not in self.by_text:
            raise ValueError(f"“{value}” is not one of: {', '.join(self.labels)}.")
        return self.by_text[text.lower()]


class YesNoWidget(widgets.BooleanWidget):
    """1/0, true/false, yes/no in any case; anything else is refused (import-export's own widget reads
    "yes" as False)."""

    TEXT = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, bool):
            return value
        text = "" if value is None else str(value).strip().lower()
        if text.endswith(".0"):  # a spreadsheet's 1.0
            text = text[:-2]
        if text not in self.TEXT:
            raise ValueError(f"“{value}” is not yes or no: write 1 or 0.")
        return self.TEXT[text]


class NamesWidget(widgets.Widget):
    """A JSON list of names, as "cuda, vulkan" in the file (a JSON list is read too); each one of `allowed`."""

    def __init__(self, allowed: tuple[str, ...]):
        super().__init__()
        self.allowed = allowed

    def clean(self, value, row=None, **kwargs):
        text = "" if value is None else str(value).strip()
        if text.startswith("["):
            try:
                names = json.loads(text)
            except json.JSONDecodeError:
                raise ValueError(f"“{value}” is not a list: write cuda, vulkan.") from None
        else:
            names = [n.strip() for n in text.split(",") if n.strip()]
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ValueError(f"“{value}” is not a list of names: write cuda, vulkan.")
        unknown = [n for n in names if n not in self.allowed]
        if unknown:
            raise ValueError(f"Unknown: {', '.join(unknown)}; the names are {', '.join(self.allowed)}.")
        return names

    def render(self, value, obj=None, **kwargs):
        return ", ".join(str(n) for n in value) if isinstance(value, list) else ""


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


def columns(model, renamed: dict[str, str] | None = None) -> list[str]:
    """A file's columns for `model`: every field editors and loads write (`upstream_fields`: what the
    engine reads from a row is among them, so no file leaves one at its default), a size under the
    name of its unit (`renamed`), then the row's version."""
    renamed = renamed or {}
    return [renamed.get(f.name, f.name) for f in model.upstream_fields()] + ["version"]


class RowsBySlug:
    """The options every catalog resource's Meta shares: rows matched by slug, unchanged rows skipped
    (and said so), every row checked by `full_clean()`."""

    import_id_fields = ["slug"]
    skip_unchanged = True
    report_skipped = True
    clean_model_instances = True


class CatalogResource(resources.ModelResource):
    """Rows matched by slug, checked by `full_clean()`, saved one at a time with the editor's reason.
    The editor is the history user (the admin's middleware), so the models remember which fields
    the file changed (`admin_edited_fields`) and catalog loads leave them alone.

    An export carries each row's version (catalog/admin_concurrency.py): a row changed in the catalog
    since its file was exported is refused, not overwritten with the file's older values (an empty
    version cell, or a file without the column, writes the file's values whatever changed)."""

    version = fields.Field(column_name="version", dehydrate_method="dehydrate_version")

    def get_diff_class(self):
        return ValueDiff

    @classmethod
    def widget_from_django_field(cls, f, default=widgets.Widget):
        """A text column left empty is "" (an empty XLSX cell reads as None, which a TextField refuses);
        a choice is its value or its label; a yes/no is 1, 0, yes, no, true or false."""
        if f.choices:
            return functools.partial(ChoiceWidget, f.choices)
        if isinstance(f, BooleanField):
            return YesNoWidget
        if isinstance(f, TextField):
            return widgets.CharWidget
        return super().widget_from_django_field(f, default)

    def dehydrate_version(self, obj) -> str:
        return admin_concurrency.version(obj)

    def get_import_fields(self):
        return [f for f in super().get_import_fields() if f.attribute]  # not the version: it is checked

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        try:
            super().import_field(field, instance, row, is_m2m, **kwargs)
        except (ArithmeticError, TypeError):  # DecimalWidget's InvalidOperation, for one
            raise ValueError(f"“{row.get(field.column_name)}” is not a number.") from None

    def import_instance(self, instance, row, **kwargs):
        """The file's values, then what a row needs beyond the model's checks (`row_problems`), and, for
        a row the file changes, that the catalog did not change it since the file was exported."""
        saved = admin_concurrency.values(instance) if instance.pk is not None else None
        super().import_instance(instance, row, **kwargs)
        problems = self.row_problems(instance, row)
        opened = str(row.get("version") or "").strip()
        if saved is not None and opened and admin_concurrency.values(instance) != saved:
            found = admin_concurrency.conflict(instance, opened)
            if found is not None:
                problems["version"] = (
                    f"{found.message(since='this file was exported')} Export it again, or empty this "
                    "row's version cell to write the file's values over it."
                )
        if problems:
            raise ValidationError(problems)

    def row_problems(self, instance, row) -> dict[str, str]:
        """Field → why the row is refused, for what a file can get wrong and a form cannot."""
        return {}

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


def given(row, column: str) -> bool:
    return str(row.get(column) if row.get(column) is not None else "").strip() != ""


class GpuResource(CatalogResource):
    """Every column of a GPU, sizes in the admin form's units; a unified-memory machine needs its GPU's
    share of the memory and its backends (left out, it read as 1 and none: a 128 GB Mac offered all
    128 GiB to the GPU instead of 96)."""

    memory_gib = fields.Field(attribute="memory_bytes", column_name="memory_gib", widget=SizeWidget("GiB"))
    visible_memory_mib = fields.Field(
        attribute="visible_memory_bytes", column_name="visible_memory_mib", widget=SizeWidget("MiB")
    )
    backends = fields.Field(
        attribute="backends", column_name="backends", widget=NamesWidget(get_args(Backend))
    )

    class Meta(RowsBySlug):
        model = Gpu
        fields = export_order = columns(
            Gpu, {"memory_bytes": "memory_gib", "visible_memory_bytes": "visible_memory_mib"}
        )

    def row_problems(self, instance, row) -> dict[str, str]:
        problems = {}
        if instance.unified_memory:
            if instance.gpu_memory_fraction == 1 and not given(row, "gpu_memory_fraction"):
                problems["gpu_memory_fraction"] = (
                    "A unified-memory machine's GPU may use only part of the memory: give its share "
                    "(gpu_memory_fraction: macOS wires about 0.667 to 0.75), or 1 if it may use all of it."
                )
            if not instance._listed_backends:
                problems["backends"] = (
                    "A unified-memory machine needs the backends it runs: metal on a Mac; cuda, vulkan "
                    "on a DGX Spark; rocm, vulkan on a Ryzen AI Max."
                )
        return problems


class LlmResource(CatalogResource):
    """Every column of an LLM: its config.json's fields, as the engine's ModelSpec reads them."""

    class Meta(RowsBySlug):
        model = LlmModel
        fields = export_order = columns(LlmModel)


class QuantizationResource(CatalogResource):
    """Every column of a format: its family and widths, as the engine's QuantSpec reads them."""

    class Meta(RowsBySlug):
        model = Quantization
        fields = export_order = columns(Quantization)


class MeasurementResource(CatalogResource):
    gpu = fields.Field(attribute="gpu", column_name="gpu", widget=SlugWidget(Gpu, "GPU"))
    llm = fields.Field(attribute="llm", column_name="llm", widget=SlugWidget(LlmModel, "LLM"))
    quantization = fields.Field(
        attribute="quantization", column_name="quantization", widget=SlugWidget(Quantization, "format")
    )

    class Meta(RowsBySlug):
        model = Measurement
        fields = export_order = columns(Measurement)


class PriceResource(CatalogResource):
    """Prices by slug: a row without one is a new price (its slug is made from the GPU, condition,
    region, currency and date)."""

    gpu = fields.Field(attribute="gpu", column_name="gpu", widget=SlugWidget(Gpu, "GPU"))

    class Meta(RowsBySlug):
        model = Price
        fields = export_order = columns(Price)


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
