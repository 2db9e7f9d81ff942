"""URLs of the coordinator's pages for the seat grid (in the staffing namespace)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
