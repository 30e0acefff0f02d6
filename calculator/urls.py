from django.urls import path

from . import api, api_docs, diffusion_views, og, openapi, views

app_name = "calculator"
urlpatterns = [
    path("", views.will_it_run, name="will-it-run"),
    path("r/", views.share, name="share"),
    path("r/<slug:snapshot_id>", views.snapshot, name="snapshot"),
    path("og.png", og.question_image, name="og-image"),
    path("chart.svg", views.chart_svg, name="chart-svg"),
    path("r/<slug:snapshot_id>/og.png", og.snapshot_image, name="snapshot-og-image"),
    path("r/<slug:snapshot_id>/chart.svg", views.snapshot_chart_svg, name="snapshot-chart-svg"),
    path("compare/", views.compare, name="compare"),
    path("own-model/", views.own_model, name="own-model"),
    path("rig/", views.paste_rig, name="paste-rig"),
    path("hardware-row/", views.hardware_row, name="hardware-row"),
    path("api/v1/estimate", api.estimate, name="api-estimate"),
    path("image-models/<name:slug>/", diffusion_views.detail, name="diffusion-detail"),
    path("models/pick/all/", diffusion_views.model_pick, name="model-pick-all"),
    path("api/v1/openapi.json", openapi.openapi_json, name="api-openapi"),
    path("api/", api_docs.docs, name="api-docs"),
]
