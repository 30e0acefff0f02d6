"""Catalog lists for scripts and the pickers: /api/v1/gpus, /models, /quantizations, /interconnects,
/runtimes, /diffusion-models. Filters come from the query string through a Form; a bad value is a 400
{"errors": {field: [messages]}}, and so is a parameter the list does not know. Order is stable (listed
first, then by name, then slug). Each answer is one page: `limit` rows (LIMIT by default, MAX_LIMIT at
most) from `offset`, with `count`, the rows that match, and `next`, the URL of the next page (null on
the last)."""

from dataclasses import dataclass

from django import forms
from django.http import JsonResponse

from config.api import api_view
from estimator.units import or_listed

from .form_fields import bounded, choice, unknown_value
from .models import DiffusionModel, Gpu, Interconnect, LlmModel, Quantization, Runtime

LIMIT = 50
MAX_LIMIT = 200
MAX_OFFSET = 100_000  # far above any table; bounds the work a request asks for
GIB = 2**30
MAX_MEMORY_GB = 2**20  # a PiB: above any device, and small enough that × GIB stays a finite bigint
BOOL_CHOICES = [("", ""), ("1", "yes"), ("true", "yes"), ("0", "no"), ("false", "no")]


YES_OR_NO = f"“%(value)s” is not yes or no: pick {or_listed([v for v, _ in BOOL_CHOICES if v])}."


def yes_or_no() -> forms.TypedChoiceField:
    """An optional 1/true/0/false filter: None when absent."""
    return forms.TypedChoiceField(
        required=False,
        choices=BOOL_CHOICES,
        coerce=lambda v: v in {"1", "true"},
        empty_value=None,
        error_messages={"invalid_choice": YES_OR_NO},
    )


class CatalogFilter(forms.Form):
    q = forms.CharField(required=False, max_length=200)
    listed = yes_or_no()
    limit = bounded(forms.IntegerField, 1, MAX_LIMIT, help_text=f"default {LIMIT}")
    offset = bounded(forms.IntegerField, 0, MAX_OFFSET, help_text="default 0")

    def clean(self):
        """A number given with no value is a mistake in a script (`?min_memory_gb=`), not "any": leave
        the parameter out to not filter on it. (Text and choices may be empty: the schema says so.)"""
        for name, field in self.fields.items():
            if isinstance(field, forms.IntegerField) and self.data.get(name, None) == "":
                self.add_error(name, "Give a value, or leave the parameter out.")
            # `limit=5&limit=6` read the last one silently, and `next` repeated both (as /api/v1/estimate)
            if len(given := self.data.getlist(name)) > 1:
                self.add_error(name, f"Given {len(given)} times: give it once.")
        return super().clean()


class GpuFilter(CatalogFilter):
    vendor = choice("vendor", Gpu.Vendor.choices, labels=False)
    min_memory_gb = bounded(forms.FloatField, 0, MAX_MEMORY_GB, help_text="GiB")
    unified = yes_or_no()


class LlmFilter(CatalogFilter):
    family = forms.CharField(required=False, max_length=60)

    def clean_family(self) -> str:
        """A family no model has is a 400 naming the families, as /api/v1/quantizations' (a choice) is: it
        answered 200 with no rows, as if the catalog had no such models yet. One query when given, one more to name them."""
        family = self.cleaned_data["family"]
        if family and not LlmModel.objects.filter(family=family).exists():
            families = sorted(set(LlmModel.objects.values_list("family", flat=True)) - {""})
            raise forms.ValidationError(unknown_value("family", families), params={"value": family})
        return family


class QuantFilter(CatalogFilter):
    family = choice("family", Quantization.Family.choices, labels=False)


@dataclass(frozen=True)
class Page:
    """One answer's rows, how many rows match in all, and the next page's URL."""

    rows: list
    count: int
    next: str | None

    def json(self, fields: list[str]) -> JsonResponse:
        results = [{f: getattr(row, f) for f in fields} for row in self.rows]
        return JsonResponse({"count": self.count, "next": self.next, "results": results})


def _rows(request, model, form_class, order):
    """(page, None) or (None, 400 response): the page's rows, `count` and `next` (see the docstring)."""
    form = form_class(request.GET)
    # a misspelt filter (`min_memory=24`) is named, not ignored: ignored, it answered every row
    unknown = {name: ["Unknown parameter."] for name in sorted(set(request.GET) - set(form.fields))}
    if unknown or not form.is_valid():
        return None, JsonResponse({"errors": {**form.errors, **unknown}}, status=400)
    data = form.cleaned_data
    qs = model.objects.all()
    if data.get("q"):
        qs = qs.search(data["q"])
    if data.get("listed") is not None:
        qs = qs.filter(listed=data["listed"])
    if data.get("vendor"):
        qs = qs.filter(vendor=data["vendor"])
    if data.get("min_memory_gb") is not None:
        qs = qs.filter(memory_bytes__gte=data["min_memory_gb"] * GIB)
    if data.get("unified") is not None:
        qs = qs.filter(unified_memory=data["unified"])
    if data.get("family"):
        qs = qs.filter(family=data["family"])
    limit, offset = data.get("limit") or LIMIT, data.get("offset") or 0
    rows = list(qs.order_by(*order)[offset : offset + limit])
    count = offset + len(rows) if len(rows) < limit and (rows or not offset) else qs.count()
    following = None
    if offset + limit < count:
        query = request.GET.copy()
        query["offset"] = str(offset + limit)
        following = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
    return Page(rows, count, following), None


@api_view
def gpus(request):
    rows, error = _rows(request, Gpu, GpuFilter, ["-listed", "name", "slug"])
    if error:
        return error
    fields = ["slug", "name", "vendor", "form_factor", "memory_bytes", "bandwidth_gb_s", "fp16_tflops",
              "unified_memory", "nvlink", "backends", "listed"]  # fmt: skip
    return rows.json(fields)


@api_view
def llms(request):
    rows, error = _rows(request, LlmModel, LlmFilter, ["-listed", "name", "slug"])
    if error:
        return error
    fields = ["slug", "name", "family", "hf_id", "total_params_b", "active_params_b", "max_position_embeddings",
              "yarn_factor", "yarn_original_context", "listed"]  # fmt: skip
    return rows.json(fields)


@api_view
def quantizations(request):
    rows, error = _rows(
        request, Quantization, QuantFilter, ["sort_order", "-bits_per_weight", "name", "slug"]
    )
    if error:
        return error
    fields = ["slug", "name", "family", "bits_per_weight", "listed"]
    return rows.json(fields)


@api_view
def interconnects(request):
    rows, error = _rows(request, Interconnect, CatalogFilter, ["sort_order", "name", "slug"])
    if error:
        return error
    fields = ["slug", "name", "kind", "bandwidth_gb_s", "bandwidth_total_gb_s", "latency_us", "listed"]
    return rows.json(fields)


@api_view
def runtimes(request):
    rows, error = _rows(request, Runtime, CatalogFilter, ["-listed", "name", "slug"])
    if error:
        return error
    fields = ["slug", "name", "kv_cache_types", "backends", "formats", "docs_url", "listed"]
    return rows.json(fields)


@api_view
def diffusion_models(request):
    rows, error = _rows(request, DiffusionModel, CatalogFilter, ["-listed", "name", "slug"])
    if error:
        return error
    fields = ["slug", "name", "kind", "hf_id", "components", "listed"]
    return rows.json(fields)
