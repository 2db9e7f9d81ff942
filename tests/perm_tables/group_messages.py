"""Who may write, preview and send a group message of an election, and follow it.

Writing to a group of volunteers changes what they are told, so every page needs
the manage capability over the election (``staffing.group_messages.NEED``):
admins and coordinators. Station managers and team leaders, who see only their
stations' or team's seats, and viewers get the uniform 404, as outsiders do.
The compose and change pages and the send button are POSTs too (302 to the
group message's page)."""

from __future__ import annotations

from django.urls import reverse

from staffing import group_messages as groups
from staffing.models import GroupMessage
from staffing.services import group_messages as services
from tests.permission_cases import MANAGE, POST_ONLY, Case, E, World, url


def _draft(w: World) -> GroupMessage:
    return services.save_draft(
        w.election,
        filters=groups.Filters(),
        subject="Husk mødet",
        body="Hej {first_name}, vi ses {when}.",
        by=None,
    )


def _page(name: str):
    return lambda w: reverse(name, args=[w.election.pk, _draft(w).pk])


def _form(w: World) -> dict:
    return {
        "statuses": list(groups.STATUSES),
        "subject": "Husk mødet",
        "body": "Hej {first_name}",
    }


POSTED = {**MANAGE, "admin": 302, "coordinator": 302}

TABLE: dict[str, list[Case]] = {
    "staffing:group_messages": [
        Case(url("staffing:group_messages", E), MANAGE, "the compose page"),
        Case(
            url("staffing:group_messages", E),
            POSTED,
            "saving a draft, then its page",
            post=_form,
        ),
    ],
    "staffing:group_message": [
        Case(_page("staffing:group_message"), MANAGE, "a draft's preview"),
    ],
    "staffing:group_message_edit": [
        Case(_page("staffing:group_message_edit"), MANAGE),
        Case(_page("staffing:group_message_edit"), POSTED, "changing a draft", post=_form),
    ],
    "staffing:group_message_send": [
        Case(_page("staffing:group_message_send"), POST_ONLY, "sending is a POST"),
        Case(
            _page("staffing:group_message_send"),
            POSTED,
            "sent (the second time: shown as it is), then its page",
            post=lambda w: {},
        ),
    ],
}
