"""The site's URLs plus /bench/bare: the cheapest Django view, through the full middleware stack.

bench/load.py measures it in the same run as the real pages, as the ceiling they are compared with.
"""

from django.http import HttpResponse
from django.urls import include, path


def bare(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("bench/bare", bare),
    path("", include("config.urls")),
]
