"""URLs of the coordinator's pages for creating, editing, copying an election and its
lifecycle (in the staffing namespace)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
