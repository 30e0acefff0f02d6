from django.urls import path

from . import views

app_name = "glossary"
urlpatterns = [
    path("glossary/", views.term_index, name="glossary"),
    path("glossary/<slug:slug>/", views.term, name="term"),
    path("accuracy/", views.accuracy, name="accuracy"),
    path("guides/", views.guide_index, name="guides"),
    path("guides/<slug:slug>/", views.guide, name="guide"),
    path("errors/", views.error_index, name="errors"),
    path("errors/<slug:slug>/", views.error, name="error"),
    path("robots.txt", views.robots_txt, name="robots-txt"),
]
