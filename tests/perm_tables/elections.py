"""Who may create, edit, copy, delete an election, change its status, and invite the
previous election's volunteers into a copy (and see that job's page): admins and
coordinators (the table's coordinator covers every election; tests/test_election_pages.py
and tests/test_reinvite.py check one limited to some elections). Everyone else: 404,
as outside any scope."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from elections import services as election_services
from elections.models import Election
from staffing.models import ReinviteRun
from tests.permission_cases import LOGIN, MANAGE, Case, E, everyone, url


def _new_election(w) -> dict:
    return {
        "name": "Kommunalvalg 2029",
        "kind": "municipal_regional",
        "election_date": (w.election.election_date + timedelta(days=400)).isoformat(),
        "response_days": "7",
        "lock_days": "3",
        "areas": [w.station.area_id, w.other_station.area_id],
    }


def _copy(w) -> str:
    """A copy of the world's election (a draft), made when the case is built."""
    copied = election_services.copy_election(
        w.election,
        name="Folketingsvalg 2031",
        election_date=w.election.election_date + timedelta(days=700),
        by=None,
    )
    return reverse("staffing:election_reinvite", args=[copied.pk])


def _active_copy(w) -> Election:
    copied = election_services.copy_election(
        w.election,
        name="Folketingsvalg 2032",
        election_date=w.election.election_date + timedelta(days=728),
        by=None,
    )
    Election.objects.filter(pk=copied.pk).update(status=Election.Status.ACTIVE)
    return copied


def _reinvite_active(w) -> str:
    """An active copy: a POST starts the job (it runs on commit, not in these tests)
    and redirects to its page; a second POST, to the same run."""
    return reverse("staffing:election_reinvite", args=[_active_copy(w).pk])


def _run(w) -> str:
    """The page of a finished run in an active copy."""
    copied = _active_copy(w)
    run = ReinviteRun.objects.create(
        election=copied, language="en", status="done", finished_at=timezone.now()
    )
    return reverse("staffing:election_reinvite_run", args=[copied.pk, run.pk])


POSTED = {**MANAGE, "admin": 302, "coordinator": 302}

TABLE: dict[str, list[Case]] = {
    "staffing:election_create": [
        Case(url("staffing:election_create"), MANAGE, "coordinators of every election"),
        Case(
            url("staffing:election_create"), POSTED, "created, then its board", post=_new_election
        ),
    ],
    "staffing:election_edit": [
        Case(url("staffing:election_edit", E), MANAGE),
        Case(
            url("staffing:election_edit", E),
            POSTED,
            post=lambda w: {**_new_election(w), "election_date": w.election.election_date},
        ),
    ],
    "staffing:election_status": [
        Case(url("staffing:election_status", E, lambda w: "closed"), MANAGE, "the confirmation"),
        Case(
            url("staffing:election_status", E, lambda w: "draft"),
            MANAGE,
            "no such step from active: the page says so",
        ),
        Case(
            url("staffing:election_status", E, lambda w: "nonsense"),
            {**everyone(404), "anonymous": LOGIN},
        ),
        Case(url("staffing:election_status", E, lambda w: "closed"), POSTED, post=lambda w: {}),
    ],
    "staffing:election_delete": [
        Case(url("staffing:election_delete", E), MANAGE, "says why it cannot be deleted"),
        Case(
            url("staffing:election_delete", E),
            MANAGE,
            "refused (it is active, with answers): the page again, with the reason",
            post=lambda w: {},
        ),
    ],
    "staffing:election_copy": [
        Case(url("staffing:election_copy", E), MANAGE),
        Case(
            url("staffing:election_copy", E),
            POSTED,
            "the copy's board follows",
            post=lambda w: {
                "name": "Folketingsvalg 2031",
                "election_date": (w.election.election_date + timedelta(days=700)).isoformat(),
            },
        ),
    ],
    "staffing:election_reinvite": [
        Case(
            url("staffing:election_reinvite", E),
            {**everyone(404), "anonymous": LOGIN},
            "not a copy: nothing to re-invite from",
        ),
        Case(_copy, MANAGE),
        Case(_copy, MANAGE, "a draft: refused on the page, with the reason", post=lambda w: {}),
        Case(_reinvite_active, POSTED, "the job starts; its page follows", post=lambda w: {}),
    ],
    "staffing:election_reinvite_run": [
        Case(_run, MANAGE, "the run's progress and result"),
        Case(_run, {**everyone(405), "anonymous": LOGIN}, "GET only", post=lambda w: {}),
    ],
}
