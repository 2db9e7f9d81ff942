"""Where an area, a polling station or a role is used, for the refusal that
stops its deletion: "used by 14 shifts in Folketingsvalg 2027 (5 June 2027) at
Nordskolen, Sydhallen and 3 more".

Stations and areas live a layer below elections and cannot look up here, so
their delete services take ``check_station`` / ``check_area`` as their ``check``
(called under the row lock); ``delete_role`` calls ``role_refusal`` itself. One
query each, however many shifts there are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, QuerySet
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts import writes
from elections.models import Election, Role, Shift
from pollcrew.collation import danish_sorted
from pollcrew.refusals import Refused
from polling_stations import services as station_services
from polling_stations.models import Area, PollingStation

ELECTIONS_NAMED = 5
STATIONS_NAMED = 3


@dataclass
class Use:
    """The shifts of one election that use the thing."""

    election_id: int
    name: str
    election_date: date
    shifts: int = 0
    stations: list[str] = field(default_factory=list)

    def describe(self, *, with_stations: bool) -> str:
        text = ngettext(
            "%(count)d shift in %(election)s (%(date)s)",
            "%(count)d shifts in %(election)s (%(date)s)",
            self.shifts,
        ) % {
            "count": self.shifts,
            "election": self.name,
            "date": date_format(self.election_date, "DATE_FORMAT"),
        }
        if with_stations and self.stations:
            names = danish_sorted(self.stations, key=str)
            shown = ", ".join(names[:STATIONS_NAMED])
            if len(names) > STATIONS_NAMED:
                shown = _("%(names)s and %(count)d more") % {
                    "names": shown,
                    "count": len(names) - STATIONS_NAMED,
                }
            text = _("%(shifts)s at %(stations)s") % {"shifts": text, "stations": shown}
        return text


def uses(shifts: QuerySet[Shift]) -> list[Use]:
    """``shifts`` counted per election (newest election first) and station, in one query."""
    rows = (
        shifts.order_by()
        .values("election_id", "election__name", "election__election_date", "station__name")
        .annotate(n=Count("pk"))
    )
    found: dict[int, Use] = {}
    for row in rows:
        use = found.setdefault(
            row["election_id"],
            Use(row["election_id"], row["election__name"], row["election__election_date"]),
        )
        use.shifts += row["n"]
        use.stations.append(row["station__name"])
    return sorted(found.values(), key=lambda u: (u.election_date, u.election_id), reverse=True)


def _named(lines: list[str]) -> list[str]:
    """The first ELECTIONS_NAMED of one line an election, then how many more."""
    named = lines[:ELECTIONS_NAMED]
    if len(lines) > ELECTIONS_NAMED:
        named.append(
            ngettext(
                "and %(count)d more election",
                "and %(count)d more elections",
                len(lines) - ELECTIONS_NAMED,
            )
            % {"count": len(lines) - ELECTIONS_NAMED}
        )
    return named


def _refusal(name: str, found: list[Use], *, with_stations: bool) -> Refused | None:
    if not found:
        return None
    lines = [use.describe(with_stations=with_stations) for use in found]
    return writes.in_use_refusal(name, _named(lines), names=lines)


def station_refusal(station: PollingStation) -> Refused | None:
    """The elections with shifts at the station, or None if it is unused."""
    return _refusal(station.name, uses(Shift.objects.filter(station=station)), with_stations=False)


def role_refusal(role: Role) -> Refused | None:
    """The elections with shifts of the role, and at which stations."""
    return _refusal(role.name, uses(Shift.objects.filter(role=role)), with_stations=True)


def area_refusal(area: Area) -> Refused | None:
    """Its polling stations (see polling_stations.services), else the elections
    it takes part in (an election's areas are on its board)."""
    refusal = station_services.area_refusal(area)
    if refusal is not None:
        return refusal
    elections = list(
        Election.objects.filter(areas=area)
        .order_by("-election_date", "-pk")
        .values_list("name", "election_date")
    )
    if not elections:
        return None
    lines = [
        _("%(election)s (%(date)s)") % {"election": name, "date": date_format(day, "DATE_FORMAT")}
        for name, day in elections
    ]
    where = "; ".join(_named(lines))
    message = ngettext(
        "“%(name)s” takes part in %(where)s and cannot be deleted. "
        "Remove it from that election first.",
        "“%(name)s” takes part in %(where)s and cannot be deleted. "
        "Remove it from those elections first.",
        len(lines),
    ) % {"name": area.name, "where": where}
    return Refused("in_use", message, names=lines)


def check_station(station: PollingStation) -> None:
    """For ``polling_stations.services.delete_station(..., check=check_station)``."""
    refusal = station_refusal(station)
    if refusal is not None:
        raise refusal


def check_area(area: Area) -> None:
    """For ``polling_stations.services.delete_area(..., check=check_area)``."""
    refusal = area_refusal(area)
    if refusal is not None:
        raise refusal
