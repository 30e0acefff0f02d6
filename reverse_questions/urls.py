"""The reverse questions' pages, at the site root (config/urls.py)."""

from django.urls import path

from . import views

app_name = "reverse_questions"
urlpatterns = [
    path("what-runs/", views.what_runs, name="what-runs"),
    path("what-hardware/", views.what_hardware, name="what-hardware"),
]
