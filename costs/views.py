"""The cost pages: cost per million tokens (/cost/), "Choose my GPU" (/choose/) and the buyer guides.

Each is a GET form bound to a Form (the permalink is its URL); with HX-Request the view returns only
the page's #result partial. Bad input is a message next to its field, never an error page.
"""

from django.http import Http404, QueryDict
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from calculator.page import first_visit
from config.htmx import respond  # page or #result partial, one helper for all

from . import choose as choosing
from . import costing, guides


@require_GET
@vary_on_headers("HX-Request")
def cost(request):
    """Self-hosted against rented against a hosted API, for the calculator question in the query."""
    context = costing.cost_answer(request.GET or first_visit())
    return respond(request, "costs/cost.html", context)


@require_GET
@vary_on_headers("HX-Request")
def choose(request):
    """The hardware sets that meet a budget, models (or a size class), a context and a speed floor."""
    context = choosing.choose_answer(request.GET or QueryDict(choosing.FIRST_VISIT))
    return respond(request, "costs/choose.html", context)


@require_GET
def guide_list(request):
    return TemplateResponse(request, "costs/guides.html", {"guides": guides.GUIDES.values()})


@require_GET
def guide(request, slug: str):
    found = guides.GUIDES.get(slug)
    if found is None:
        raise Http404("No such guide.")
    return TemplateResponse(request, "costs/guide.html", {"guide": found, **guides.render(found)})
