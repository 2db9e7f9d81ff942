"""Station rosters: per station and day, every role's seats with names, phone
numbers, times and a signature column; vacant seats as empty rows."""

from __future__ import annotations

from datetime import date

from django.template.loader import render_to_string
from django.utils import timezone

from documents.rendering import render_pdf
from elections.models import Election, Shift, day_bounds
from polling_stations.models import PollingStation
from volunteers.models import Assignment


def roster_context(election: Election, station: PollingStation, on: date) -> dict:
    start, end = day_bounds(on)
    shifts = list(
        Shift.objects.filter(
            election=election, station=station, starts_at__gte=start, starts_at__lt=end
        )
        .select_related("role", "team")
        .order_by("role__sort_order", "starts_at")
    )
    booked: dict[int, list[Assignment]] = {s.pk: [] for s in shifts}
    for a in (
        Assignment.objects.filled()
        .filter(shift__in=shifts)
        .select_related("volunteer")
        .order_by("volunteer__last_name", "volunteer__first_name")
    ):
        booked[a.shift_id].append(a)
    sections = []
    for s in shifts:
        people = booked[s.pk]
        sections.append(
            {"shift": s, "people": people, "vacant": range(max(s.capacity - len(people), 0))}
        )
    return {
        "election": election,
        "station": station,
        "day": on,
        "sections": sections,
        "printed_at": timezone.localtime(),
    }


def render_station_roster(election: Election, station: PollingStation, on: date) -> bytes:
    html = render_to_string("documents/roster.html", roster_context(election, station, on))
    return render_pdf(html)
