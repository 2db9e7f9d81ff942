"""Name badges on A4 label sheets: name (large), role, station and election for
every accepted or checked-in assignment.

Layout: Avery L7165 and compatible sheets, 8 labels of 99.1 by 67.7 mm, 2 across
and 4 down, 13.1 mm from the top edge and 4.65 mm from the left, 101.6 mm apart
across (2.5 mm gap) and 67.7 mm down (no gap). The page has no margin; every
label is placed at its exact position (static/pdf/badges.css).

One query whatever the number: the assignments with their volunteers, shifts,
roles, teams, stations and elections (and the organisation, cached).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from accounts import organisation as organisations
from documents.rendered import Rendered
from documents.rosters import one_line
from elections.models import Shift
from staffing.models import Assignment

LABELS_PER_SHEET = 8  # 2 across, 4 down


@dataclass(frozen=True)
class Badge:
    assignment: Assignment
    position: int  # 0..7 on its sheet, across then down

    @property
    def name(self) -> str:
        return one_line(self.assignment.volunteer.full_name)

    @property
    def shift(self) -> Shift:
        return self.assignment.shift


def badges(assignment_ids: list[int], shifts: QuerySet[Shift] | None = None) -> list[Badge]:
    """Badges for the accepted or checked-in assignments among ``assignment_ids``
    (of ``shifts``, the reader's scope, if given), in the order given."""
    found = Assignment.objects.filled().filter(pk__in=assignment_ids)
    if shifts is not None:
        found = found.filter(shift__in=shifts)
    by_pk = {
        a.pk: a
        for a in found.select_related(
            "volunteer", "shift__role", "shift__team", "shift__station", "shift__election"
        )
    }
    ordered = [by_pk[pk] for pk in dict.fromkeys(assignment_ids) if pk in by_pk]
    return [Badge(a, i % LABELS_PER_SHEET) for i, a in enumerate(ordered)]


def badges_html(assignment_ids: list[int], *, shifts: QuerySet[Shift] | None = None) -> Rendered:
    """Sheets of name badges in one HTML document (8 to an A4 sheet)."""
    found = badges(assignment_ids, shifts)
    sheets = [found[i : i + LABELS_PER_SHEET] for i in range(0, len(found), LABELS_PER_SHEET)]
    html = render_to_string(
        "pdf/badges.html",
        {
            "municipality_name": organisations.current().name,
            "sheets": sheets,
            "printed_at": timezone.localtime(),
        },
    )
    return Rendered(html=html, keys=[str(b.assignment.pk) for b in found])
