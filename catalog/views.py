"""Public catalog pages: GPU list and page, model list and page, GPUs side by side.

Each page loads the rows it needs in a fixed number of queries, whatever the catalog's size, and
leaves the arithmetic to catalog/pages.py. Every result links to the calculator with its values filled in.
Each is a function of its URL and the catalog version, so it is served from the response cache with an
ETag (config/http_cache.py) once rendered.
"""

from itertools import groupby
from urllib.parse import urlencode

from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from config import http_cache

from . import fitting, measurements, pages, slugs, tiers
from .models import DiffusionModel, Gpu, LlmModel, Quantization


@require_GET
@http_cache.public(etag=http_cache.page_etag)
def gpu_list(request):
    """Every GPU, filtered and sorted by a GET form, 50 to a page."""
    form = pages.GpuListForm(request.GET)
    page = None
    if form.is_valid():
        page = pages.page_of(pages.gpu_rows(form), request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    return TemplateResponse(request, "catalog/gpu_list.html", context)


# a GPU page's published measurements: by model, format, cards, metric, depth, test
MEASURED_ORDER = (
    "llm__name",
    "quantization__bits_per_weight",
    "gpu_count",
    "metric",
    "context_tokens",
    "test",
    "slug",
)


@require_GET
@http_cache.public(etag=http_cache.page_etag)
def gpu_detail(request, slug):
    """A GPU's specs, per model the format people run it at (or the largest narrower one that fits) at 8192
    tokens, as the what-runs page asks by default, and the speeds
    published for it. Every model, as the what-runs page its tiers link to counts them (the listed ones
    alone made "Runs great: 108 models" open a page of 113)."""
    gpu = Gpu.objects.with_current_price().filter(slug=slug).first()
    if gpu is None:
        return slugs.redirect_or_404(Gpu, slug, "catalog:gpu-detail")  # renamed since: a 301 to its page
    # the format people run each model at, as /what-runs/ and the comparison ask: at the largest that fits, a
    # review read Llama 3.3 70B as "Slow, 5.9 tok/s" (Q8_0) on an M4 Max that runs it at 9.2 in Q4_K_M
    rows = pages.what_runs(gpu, "default")
    published = gpu.measurements.select_related("llm", "quantization").order_by(*MEASURED_ORDER)
    measured = measurements.with_estimates(gpu, published)  # each beside the engine's estimate of its test
    # the same question on the what-runs page, where the visitor can change the count, context and format
    asked = {"gpu": gpu.slug, "count": 1, "ctx": pages.CTX}
    what_runs = reverse("reverse_questions:what-runs")
    context = {
        "gpu": gpu,
        "gpus": [gpu],
        "rows": rows,
        # each tier's first rows; the rest on the what-runs page of that tier alone, the same question
        "tiers": tiers.tiers(
            rows, "size", more_url=lambda key: f"{what_runs}?{urlencode(asked | {'tier': key})}"
        ),
        "sort": "size",
        "sort_links": {key: f"{what_runs}?{urlencode(asked | {'sort': key})}" for key in tiers.SORTS},
        "what_runs": f"{what_runs}?{urlencode(asked)}",
        "ctx": pages.CTX,
        "measured": measured,
        # one fold per model: the 3090's 200 rows were 38 phone screens of cards (a visitor review)
        "measured_by_model": [
            {"llm": same[0].row.llm, "rows": same}
            for same in (list(g) for _, g in groupby(measured, key=lambda e: e.row.llm_id))
        ],
    }
    return TemplateResponse(request, "catalog/gpu_detail.html", context)


@require_GET
@http_cache.public(etag=http_cache.page_etag)
def gpu_pick(request):
    """The hardware picker: `<option>`s of the GPUs matching `q`, for HTMX to swap into a `<select>`."""
    return _picked(request, pages.pick_gpus, "catalog/_gpu_options.html")


@require_GET
@http_cache.public(etag=http_cache.page_etag)
def model_pick(request):
    """The model picker: `<option>`s of the models matching `q`."""
    return _picked(request, pages.pick_models, "catalog/_model_options.html")


def _picked(request, find, template: str):
    query = request.GET.get("q", "")[:100].replace("\x00", "")
    return TemplateResponse(request, template, {"found": find(query), "query": query})


@require_GET
@http_cache.public(etag=http_cache.page_etag)
def gpu_compare(request):
    """2 to 4 GPUs side by side (`?gpu=a&gpu=b`), their specs and popular models' speed on one of each; a
    problem with the request is said on the page."""
    asked, problem = pages.compare_slugs(request.GET.getlist("gpu"))
    gpus, unknown, readings = pages.gpus_to_compare(asked)
    if unknown:
        problem = pages.unknown_words(Gpu, unknown)
    speeds = pages.compare_speeds(gpus) if len(gpus) >= 2 else []
    menus = [gpus[i].slug if i < len(gpus) else "" for i in range(pages.MAX_COMPARE)]  # each menu's choice
    context = {
        "gpus": gpus,
        "problem": problem,
        "speeds": speeds,
        "ctx": pages.CTX,
        "menus": menus,
        "choices": pages.compare_choices(gpus),
        "whole_computer": pages.whole_computer(gpus),
        "unknown": unknown,
        "readings": pages.reading_links(gpus, readings),  # each name read as a GPU, and the other matches
    }
    return TemplateResponse(request, "catalog/gpu_compare.html", context)


@require_GET
@http_cache.public(etag=http_cache.page_etag)
def model_list(request):
    """Every LLM of the catalog, listed ones first, filtered and sorted by a GET form; then every image and
    video model, which the calculator
    answers (a visitor review: the list named none, and the calculator's list none until typed)."""
    form = pages.ModelListForm(request.GET)
    models = pages.model_rows(form) if form.is_valid() else None
    diffusion = DiffusionModel.objects.order_by("kind", "name", "slug")
    # each opens as a question on the most popular card (pages.POPULAR_GPUS), which the visitor changes there
    context = {"form": form, "models": models, "diffusion": diffusion, "on_gpu": pages.POPULAR_GPUS[-1]}
    return TemplateResponse(request, "catalog/model_list.html", context)


@require_GET
@http_cache.public(etag=http_cache.page_etag)
def model_detail(request, slug):
    """A model's architecture and, per listed format, its size and the hardware that holds it."""
    model = LlmModel.objects.filter(slug=slug).first()
    if model is None:
        return slugs.redirect_or_404(LlmModel, slug, "catalog:model-detail")
    rows = pages.quant_rows(model, Quantization.objects.listed(), Gpu.objects.listed())
    context = {
        "model": model,
        "rows": rows,
        "experts_note": pages.kept_experts_note(model, rows),
        "ctx": pages.CTX,
        "max_same": fitting.MAX_SAME_GPUS,
    }
    return TemplateResponse(request, "catalog/model_detail.html", context)
