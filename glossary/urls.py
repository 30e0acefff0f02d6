from django.contrib.sitemaps.views import sitemap
from django.urls import path

from . import views
from .sitemaps import SITEMAPS

urlpatterns = [
    path("glossary/", views.term_index, name="glossary"),
    path("glossary/<slug:slug>/", views.term, name="term"),
    path("guides/", views.guide_index, name="guides"),
    path("guides/<slug:slug>/", views.guide, name="guide"),
    path("errors/", views.error_index, name="errors"),
    path("errors/<slug:slug>/", views.error, name="error"),
    path("search/", views.search, name="search"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", views.robots_txt, name="robots-txt"),
]
