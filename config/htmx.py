"""One view, page and fragment (STYLE.md): with HX-Request, and not a history restore, a page's view
answers with its `#result` partial and the canonical URL for the address bar."""

from urllib.parse import urlsplit

from django.http import HttpResponse
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


class SameAddressMiddleware:
    """An HTMX answer that would push the address the page already shows changes nothing there: it is
    answered 204, which htmx neither swaps nor pushes (base.html's `responseHandling`). A field's `change`
    fires when the mouse goes down on a link, and asks the question the page already answers; that
    answer's `history.pushState` cancelled the link's navigation when it landed first. Above the
    response cache, so that a kept answer is caught too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        shown = request.headers.get("HX-Current-URL")
        if not shown or "HX-History-Restore-Request" in request.headers:
            return self.get_response(request)
        # the browser revalidates a repeated fragment: a 304 would hide the address its answer pushes (the
        # browser hands htmx its cached answer, HX-Push-Url included), so the answer is read whole here
        request.META.pop("HTTP_IF_NONE_MATCH", None)
        request.__dict__.pop("headers", None)  # `request.headers` is read from META once, then kept
        response = self.get_response(request)
        pushed = response.get("HX-Push-Url")
        if pushed and response.status_code in (200, 400) and _address(pushed) == _address(shown):
            return HttpResponse(status=204)
        return response


def _address(url: str) -> tuple[str, str]:
    """A URL's path and query, whether it names its scheme and host or not."""
    parts = urlsplit(url)
    return parts.path or "/", parts.query
