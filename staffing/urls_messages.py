"""URLs of an election's message log (in the staffing namespace)."""

from django.urls import URLPattern, path

from staffing.views import messages as views

urlpatterns: list[URLPattern] = [
    path(
        "elections/<int:election_id>/messages/", views.election_messages, name="election_messages"
    ),
    path(
        "elections/<int:election_id>/messages/<int:message_id>/",
        views.election_message,
        name="election_message",
    ),
    path(
        "elections/<int:election_id>/messages/<int:message_id>/resend/",
        views.election_message_resend,
        name="election_message_resend",
    ),
]
