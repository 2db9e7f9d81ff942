"""URLs of an election's own message texts (in the staffing namespace)."""

from django.urls import URLPattern, path

from staffing.views import message_texts as views

_ONE = "elections/<int:election_id>/message-texts/<slug:kind>/<slug:channel>/<slug:language>/"

urlpatterns: list[URLPattern] = [
    path("elections/<int:election_id>/message-texts/", views.message_texts, name="message_texts"),
    path(_ONE, views.message_text, name="message_text"),
    path(f"{_ONE}preview/", views.message_text_preview, name="message_text_preview"),
    path(f"{_ONE}revert/", views.message_text_revert, name="message_text_revert"),
]
