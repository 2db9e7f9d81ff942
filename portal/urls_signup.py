"""Public sign-up pages: /s/<token>/ (open seats, team join)."""

from django.urls import path  # noqa: F401

app_name = "signup"
urlpatterns: list = []
