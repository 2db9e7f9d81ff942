"""URLs of an election's group messages (in the staffing namespace)."""

from django.urls import URLPattern, path

from staffing.views import group_messages as views

urlpatterns: list[URLPattern] = [
    path(
        "elections/<int:election_id>/group-messages/",
        views.group_messages,
        name="group_messages",
    ),
    path(
        "elections/<int:election_id>/group-messages/<int:group_id>/",
        views.group_message,
        name="group_message",
    ),
    path(
        "elections/<int:election_id>/group-messages/<int:group_id>/edit/",
        views.group_message_edit,
        name="group_message_edit",
    ),
    path(
        "elections/<int:election_id>/group-messages/<int:group_id>/send/",
        views.group_message_send,
        name="group_message_send",
    ),
]
