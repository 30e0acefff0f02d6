from django.http import QueryDict
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import replace_url

from catalog.models import Gpu, LlmModel, Quantization

from . import answer as answers
from .forms import CONTEXT_PRESETS, FIRST_VISIT, QuestionForm


@require_GET
@vary_on_headers("HX-Request")
def will_it_run(request):
    """The "Will it run?" page; with HX-Request it returns only the #result partial."""
    query = request.GET if request.GET else _first_visit()
    form = QuestionForm(query)
    context = {"form": form, "context_presets": CONTEXT_PRESETS, **_choices(form)}
    if form.is_valid():
        result = answers.answer(form)
        plan = result.recommended_plan or result.plans[-1]
        context |= {
            "result": result,
            "verdict": answers.verdict(result, form.devices),
            "bars": answers.memory_bars(plan),
            "shown_plan": plan,
            "permalink": f"/?{form.canonical_query()}",
            "strategy_names": answers.STRATEGY_NAMES,
            "strategy_terms": answers.STRATEGY_TERMS,
        }
    template = "calculator/page.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#result"
        context["partial"] = True
    response = TemplateResponse(request, template, context)
    if request.htmx and "permalink" in context:
        response = replace_url(response, context["permalink"])
    return response


def _first_visit() -> QueryDict:
    query = QueryDict(mutable=True)
    for key, value in FIRST_VISIT.items():
        query.setlist(key, value if isinstance(value, list) else [value])
    return query


def _choices(form: QuestionForm) -> dict:
    """Picker options: listed rows, plus whatever the question already names."""
    chosen_gpus = set(form.data.getlist("gpu"))
    return {
        "models": LlmModel.objects.only("slug", "name"),
        "quants": Quantization.objects.only("slug", "name", "bits_per_weight"),
        "gpus": Gpu.objects.only("slug", "name").filter(listed=True)
        | Gpu.objects.filter(slug__in=chosen_gpus),
    }
