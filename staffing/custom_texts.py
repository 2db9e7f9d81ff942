"""Finding an office's own text for a message as it is made: the role's text,
else the election's, else none (the default files).

One query per election, however many messages a round makes: a round keeps one
``CustomTexts`` for all its messages."""

from __future__ import annotations

from notifications.templating import CustomText
from staffing.models import Assignment, MessageText

_Key = tuple[int | None, str, str, str]  # role id (None: every role), kind, channel, language


class CustomTexts:
    """The own texts of the elections a round touches, each loaded once."""

    def __init__(self) -> None:
        self._elections: dict[int, dict[_Key, CustomText]] = {}

    def get(
        self, election_id: int, role_id: int | None, kind: str, channel: str, language: str
    ) -> CustomText | None:
        texts = self._elections.get(election_id)
        if texts is None:
            rows = MessageText.objects.filter(election_id=election_id).values_list(
                "role_id", "kind", "channel", "language", "subject", "body"
            )
            texts = {tuple(row[:4]): CustomText(row[4], row[5]) for row in rows}
            self._elections[election_id] = texts
        if not texts:
            return None
        own = texts.get((role_id, kind, channel, language)) if role_id is not None else None
        return own or texts.get((None, kind, channel, language))

    def about(self, assignment: Assignment, kind: str, channel: str) -> CustomText | None:
        """The text of ``kind`` for the person holding ``assignment``, in their language."""
        shift = assignment.shift
        language = assignment.volunteer.language
        return self.get(shift.election_id, shift.role_id, kind, channel, language)
