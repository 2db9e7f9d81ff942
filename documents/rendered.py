"""What a document renderer hands to the batch engine (documents.jobs)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rendered:
    """One HTML document holding the items a renderer was given.

    ``keys``: the items that are in it, in order, as the engine named them
    (an assignment id, a volunteer id, ``"<station id>:<YYYY-MM-DD>"``,
    ``"summary"``). An item that no longer qualifies (a withdrawn assignment,
    a station without shifts that day) is left out, and the engine reports it.
    ``assignments``: the assignments whose letters this document prints (the
    engine records them as printed once the file is stored).
    """

    html: str
    keys: list[str]
    assignments: list[int] = field(default_factory=list)
