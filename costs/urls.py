from django.urls import path

from . import views

app_name = "costs"
urlpatterns = [
    path("cost/", views.cost, name="cost"),
    path("choose/", views.choose, name="choose"),
    path("buyers-guides/", views.guide_list, name="buyers-guides"),
    path("buyers-guides/<slug:slug>/", views.guide, name="buyers-guide"),
]
