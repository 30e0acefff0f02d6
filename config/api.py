"""What every /api/v1/ view shares: it answers GET (and HEAD), and any other method with a JSON 405; a
path under /api/ that names no endpoint is a JSON 404 (`page_not_found`, the project's handler404).

Django's `require_GET` answers a wrong method with an empty 405, and a POST, PUT or DELETE never even
gets there: the CSRF middleware answers first with its HTML 403 page. The API reads no cookie and
changes nothing, so a CSRF token protects nothing on it: `api_view` exempts the view and answers
{"errors": {"__all__": [...]}} with an `Allow` header, as the API's other errors do.
"""

import functools

from django.http import JsonResponse
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt

ALLOWED_METHODS = ("GET", "HEAD")


def api_view(view):
    @csrf_exempt
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in ALLOWED_METHODS:
            return method_not_allowed()
        return view(request, *args, **kwargs)

    return wrapped


def method_not_allowed() -> JsonResponse:
    allowed = ", ".join(ALLOWED_METHODS)
    response = JsonResponse({"errors": {"__all__": [f"Method not allowed: use {allowed}."]}}, status=405)
    response["Allow"] = allowed
    return response


def page_not_found(request, exception):
    """A JSON 404 under /api/ (a script reads JSON, as from every other answer there: /api/v2/estimate, a
    version guessed, read the site's HTML page); the site's own 404 page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"errors": {"__all__": ["No such endpoint: the endpoints are listed at /api/."]}}, status=404
        )
    return defaults.page_not_found(request, exception)
