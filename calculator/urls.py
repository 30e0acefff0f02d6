from django.urls import include, path

from . import api, views

urlpatterns = [
    path("", views.will_it_run, name="will-it-run"),
    path("", include("calculator.reverse_urls")),
    path("r/", views.share, name="share"),
    path("r/<slug:snapshot_id>", views.snapshot, name="snapshot"),
    path("compare/", views.compare, name="compare"),
    path("api/v1/estimate", api.estimate, name="api-estimate"),
]
