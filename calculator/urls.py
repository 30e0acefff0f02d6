from django.urls import path

from . import api, views

urlpatterns = [
    path("", views.will_it_run, name="will-it-run"),
    path("api/v1/estimate", api.estimate, name="api-estimate"),
]
