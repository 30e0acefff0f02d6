"""One view, page and fragment (STYLE.md): with HX-Request, and not a history restore, a page's view
answers with its `#result` partial and the canonical URL for the address bar."""

from django.template.response import TemplateResponse
from django_htmx.http import replace_url


def respond(request, template: str, context: dict, *, partial: str = "result") -> TemplateResponse:
    """The page, or with HX-Request (not a history restore) its `#<partial>` and, when the context has
    a `permalink`, that URL in place of the one typed."""
    if request.htmx and not request.htmx.history_restore_request:
        template += f"#{partial}"
        context["partial"] = True
    response = TemplateResponse(request, template, context)
    if request.htmx and "permalink" in context:
        response = replace_url(response, context["permalink"])
    return response
