from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from config.htmx import respond

from .search import SearchForm, search


@require_GET
@vary_on_headers("HX-Request")
def site_search(request) -> TemplateResponse:
    """Glossary, guides, errors, GPUs and models matching `?q=`; with HX-Request only the #results
    partial."""
    form = SearchForm(request.GET)
    context = {"form": form, "query": "", "groups": []}
    if form.is_valid() and form.cleaned_data["q"]:
        context["query"] = form.cleaned_data["q"]
        context["groups"] = search(context["query"])
    return respond(request, "site_index/search.html", context, partial="results")
