from django.urls import path

from . import api, views

app_name = "catalog"
urlpatterns = [
    path("api/v1/gpus", api.gpus, name="api-gpus"),
    path("api/v1/models", api.llms, name="api-models"),
    path("api/v1/quantizations", api.quantizations, name="api-quantizations"),
    path("api/v1/interconnects", api.interconnects, name="api-interconnects"),
    path("api/v1/runtimes", api.runtimes, name="api-runtimes"),
    path("api/v1/diffusion-models", api.diffusion_models, name="api-diffusion-models"),
    path("gpus/", views.gpu_list, name="gpu-list"),
    path("gpus/compare/", views.gpu_compare, name="gpu-compare"),
    path("gpus/pick/", views.gpu_pick, name="gpu-pick"),
    path("gpus/<name:slug>/", views.gpu_detail, name="gpu-detail"),
    path("models/", views.model_list, name="model-list"),
    path("models/pick/", views.model_pick, name="model-pick"),
    path("models/<name:slug>/", views.model_detail, name="model-detail"),
]
