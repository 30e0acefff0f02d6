from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("calculator.urls")),
    path("", include("catalog.urls")),
    path("", include("glossary.urls")),
]
