from django.http import Http404, HttpResponseRedirect, QueryDict
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import push_url

from catalog.models import Gpu, LlmModel, Quantization

from . import answer as answers
from . import cache, charts, snapshots
from .forms import CONTEXT_PRESETS, FIRST_VISIT, KV_CHOICES, RUNTIME_CHOICES, QuestionForm

MAX_COMPARED = 4


@require_GET
@vary_on_headers("HX-Request")
def will_it_run(request):
    """The "Will it run?" page; with HX-Request it returns only the #result partial."""
    form = QuestionForm(request.GET if request.GET else first_visit())
    context = {"form": form, **_choices(form)}
    if form.is_valid():
        context |= computed(form)
    template = "calculator/page.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#result"
        context["partial"] = True
    response = TemplateResponse(request, template, context)
    if request.htmx and "permalink" in context:
        response = push_url(response, context["permalink"])
    return response


def computed(form: QuestionForm) -> dict:
    """The result of a valid form (cached on question, catalog and engine), or the engine's refusal."""
    try:
        result, chart_list = cache.get_or_compute("result", form.canonical_query(), lambda: _compute(form))
    except answers.EngineRefused as refusal:
        form.add_error(None, str(refusal))
        return {}
    return answers.result_context(result, form) | {"charts": chart_list}


def _compute(form: QuestionForm) -> tuple:
    result = answers.answer(form)
    strategy = (result.recommended_plan or answers.closest_plan(result)).strategy
    return result, [charts.speed_vs_context(form, strategy), charts.speed_vs_users(form, strategy)]


def first_visit() -> QueryDict:
    query = QueryDict(mutable=True)
    for key, value in FIRST_VISIT.items():
        query.setlist(key, value if isinstance(value, list) else [value])
    return query


def _choices(form: QuestionForm) -> dict:
    """Picker options: listed rows, plus whatever the question already names."""
    from catalog.models import Interconnect

    chosen = [s for s in form.data.getlist("gpu") if s]
    rows = [
        (g, c) for g, c in zip(form.gpu_slugs, form.counts_raw or ["1"] * len(form.gpu_slugs), strict=False)
    ]
    while len(rows) < 2:
        rows.append(("", "1"))
    return {
        "models": LlmModel.objects.only("slug", "name"),
        "quants": Quantization.objects.only("slug", "name", "bits_per_weight"),
        "gpus": (Gpu.objects.filter(listed=True) | Gpu.objects.filter(slug__in=chosen)).only("slug", "name"),
        "links": Interconnect.objects.only("slug", "name"),
        "hardware_rows": rows,
        "context_presets": CONTEXT_PRESETS,
        "kv_choices": KV_CHOICES,
        "runtime_choices": RUNTIME_CHOICES,
    }


@require_POST
def share(request):
    """Freeze the question's result at a short URL."""
    form = QuestionForm(QueryDict(request.POST.get("q", "")))
    if not form.is_valid():
        return HttpResponseRedirect(f"/?{request.POST.get('q', '')}")
    snapshot = snapshots.save(form)
    return HttpResponseRedirect(snapshot.get_absolute_url())


@require_GET
def snapshot(request, snapshot_id):
    try:
        context = snapshots.show(snapshot_id)
    except snapshots.Snapshot.DoesNotExist:
        raise Http404("No such shared result.") from None
    return TemplateResponse(request, "calculator/snapshot.html", context)


@require_GET
def compare(request):
    """Two to four questions side by side: `?q=<query>&q=<query>`, each column its own permalink."""
    columns = []
    for query in request.GET.getlist("q")[:MAX_COMPARED]:
        query = query.split("?", 1)[-1].strip()  # a whole permalink or just its query string
        form = QuestionForm(QueryDict(query))
        column = {"form": form, "query": query}
        if form.is_valid():
            column |= computed(form)
        columns.append(column)
    return TemplateResponse(request, "calculator/compare.html", {"columns": columns, "max": MAX_COMPARED})
