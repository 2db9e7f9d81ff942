"""URLs of the coordinator's pages for filling seats: invite many to many, assign,
answer on behalf, move, remove, replace, reissue a link (in the staffing namespace)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
