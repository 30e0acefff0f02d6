from django.urls import path

from . import api

urlpatterns = [
    path("api/v1/gpus", api.gpus, name="api-gpus"),
    path("api/v1/models", api.llms, name="api-models"),
    path("api/v1/quantizations", api.quantizations, name="api-quantizations"),
]
