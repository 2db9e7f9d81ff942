"""The office's pages for sign-up links and sign-ups awaiting approval."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
