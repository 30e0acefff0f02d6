from django.contrib import admin
from django.urls import include, path

from . import health
from .throttle import ThrottledAdminAuthenticationForm

admin.site.login_form = ThrottledAdminAuthenticationForm  # refuses password guessing: config/throttle.py
handler404 = "config.api.page_not_found"  # JSON under /api/

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("", include("calculator.urls")),
    path("", include("reverse_questions.urls")),
    path("", include("catalog.urls")),
    path("", include("glossary.urls")),
    path("", include("costs.urls")),
    path("", include("community.urls")),
    path("", include("site_index.urls")),
]
