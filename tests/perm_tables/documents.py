"""Printed documents (letters, sign-in sheets, badges, print jobs): names and
addresses, so never for viewers, and only in the reader's scope — a station
manager prints their station's, a team leader their team's seats."""

from __future__ import annotations

from documents.models import PrintJob
from staffing.models import Assignment
from tests.permission_cases import CONTACT, LOGIN, Case, E, S, everyone, staff_only, url

DAY = lambda w: w.election.election_date.isoformat()  # noqa: E731
OTHER = lambda w: w.other_station.pk  # noqa: E731
ELSEWHERE = staff_only(viewer=404, station_manager=404, team_leader=404)


def _accepted(w) -> int:
    """The accepted seat on the station's open shift (not the team's)."""
    return Assignment.objects.get(shift=w.open_shift, status=Assignment.Status.ACCEPTED).pk


def _someone_elses_job(w) -> int:
    return PrintJob.objects.create(
        election=w.election, kind="letters", fingerprint="x", language="en", requested_by=w.staff
    ).pk


TABLE: dict[str, list[Case]] = {
    "documents:letter": [
        Case(
            url("documents:letter", E, _accepted),
            staff_only(viewer=404, team_leader=404),
            "an open seat at the station: its manager prints it, the team's leader does not",
        ),
    ],
    "documents:invitation": [
        Case(
            url("documents:invitation", E, lambda w: w.assignment.volunteer_id),
            staff_only(viewer=404),
            "a team member invited to the team's seat at the station",
        ),
    ],
    "documents:signin": [
        Case(url("documents:signin", E, S, DAY), CONTACT),
        Case(url("documents:signin", E, OTHER, DAY), ELSEWHERE),
    ],
    "documents:badges": [
        Case(
            url("documents:badges", E, S),
            staff_only(viewer=404, team_leader=404),
            "the team's only seat is not accepted yet: no badge in the leader's scope",
        ),
        Case(
            url("documents:badges", E, OTHER),
            {**everyone(404), "anonymous": LOGIN},
            "nobody has accepted a seat there: no badges, for anyone",
        ),
    ],
    "documents:print": [
        Case(url("documents:print", E), CONTACT),
        Case(
            url("documents:print", E),
            {
                **CONTACT,
                "admin": 302,
                "coordinator": 302,
                "station_manager": 302,
                "team_leader": 302,
            },
            "asking for a batch redirects to its progress page",
            post=lambda w: {"kind": "rosters"},
        ),
    ],
    "documents:job": [
        Case(
            url("documents:job", _someone_elses_job),
            {**everyone(404), "anonymous": LOGIN},
            "a job is its requester's alone",
        ),
    ],
    "documents:job_download": [
        Case(
            url("documents:job_download", _someone_elses_job),
            {**everyone(404), "anonymous": LOGIN},
        ),
    ],
}
