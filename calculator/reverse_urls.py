"""The reverse questions' pages; calculator/urls.py includes these at the site root."""

from django.urls import path

from . import reverse_views

urlpatterns = [
    path("what-runs/", reverse_views.what_runs, name="what-runs"),
    path("what-hardware/", reverse_views.what_hardware, name="what-hardware"),
]
