"""URLs of the coordinator's pages for areas, polling stations and roles (in the
staffing namespace)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
