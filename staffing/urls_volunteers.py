"""URLs of the coordinator's pages for the volunteer list, a volunteer's page, create,
edit and merge (in the staffing namespace)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
