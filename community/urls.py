from django.urls import path

from . import views

app_name = "community"
urlpatterns = [
    path("measurements/submit/", views.submit, name="submit"),
]
