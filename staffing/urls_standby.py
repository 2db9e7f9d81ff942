"""The office's pages for standby lists (staffing.views.standby)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
