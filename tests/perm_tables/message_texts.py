"""Who may see and change an election's own message texts.

What volunteers are told is the election office's word, so every page needs the
manage capability over the election (``staffing.message_texts.NEED``): admins
and coordinators. Station managers, team leaders and viewers get the uniform
404, as outsiders do. Saving and going back to the default are POSTs (302 to
the overview); the live preview is a POST that answers with the preview."""

from __future__ import annotations

from django.urls import reverse

from tests.permission_cases import MANAGE, POST_ONLY, Case, E, World, url


def _one(name: str, kind: str = "invitation", channel: str = "sms", language: str = "da"):
    return lambda w: reverse(name, args=[w.election.pk, kind, channel, language])


def _role(name: str):
    return lambda w: _one(name)(w) + f"?role={w.open_shift.role_id}"


def _text(w: World) -> dict:
    return {"body": "{municipality}: Hej {first_name}, svar her: {link}"}


POSTED = {**MANAGE, "admin": 302, "coordinator": 302}

TABLE: dict[str, list[Case]] = {
    "staffing:message_texts": [
        Case(url("staffing:message_texts", E), MANAGE, "the overview"),
    ],
    "staffing:message_text": [
        Case(_one("staffing:message_text"), MANAGE, "the editor"),
        Case(_role("staffing:message_text"), MANAGE, "the editor for one role"),
        Case(_one("staffing:message_text"), POSTED, "saving a text", post=_text),
    ],
    "staffing:message_text_preview": [
        Case(_one("staffing:message_text_preview"), POST_ONLY, "the preview is a POST"),
        Case(_one("staffing:message_text_preview"), MANAGE, "the preview", post=_text),
    ],
    "staffing:message_text_revert": [
        Case(_one("staffing:message_text_revert"), POST_ONLY, "reverting is a POST"),
        Case(_one("staffing:message_text_revert"), POSTED, "back to the default", post=_text),
    ],
}
