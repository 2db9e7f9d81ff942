"""Copying an election (elections.services.copy_election) and inviting the previous
election's volunteers into the copy (staffing.reinvite), as services.

Re-dating happens on the local clock (Europe/Copenhagen): a shift three days
before election day at 10:00 is three days before the new election day at 10:00,
and an overnight shift stays overnight with the same local start and end, also
when the night of the new date has a daylight saving change (both directions)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import AuditEntry
from elections.models import Election, Shift
from elections.services.copying import copy_election, redate
from pollcrew.refusals import Refused
from staffing import reinvite, services
from staffing.models import Assignment, ReinviteRun
from tests import factories as f

pytestmark = pytest.mark.django_db
CPH = ZoneInfo("Europe/Copenhagen")
UTC = ZoneInfo("UTC")
Status = Election.Status


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=CPH)


def add_shift(election, station, role, start: datetime, end: datetime, capacity=2, team=None):
    election.areas.add(station.area_id)
    return Shift.objects.create(
        election=election,
        station=station,
        role=role,
        team=team,
        starts_at=start,
        ends_at=end,
        capacity=capacity,
    )


def shape(election) -> list[tuple]:
    """The grid as it looks on the local clock, relative to election day."""
    rows = []
    for s in Shift.objects.filter(election=election).order_by("station__name", "role__name", "pk"):
        start, end = timezone.localtime(s.starts_at), timezone.localtime(s.ends_at)
        rows.append(
            (
                s.station.name,
                s.role.name,
                s.team.name if s.team else None,
                s.capacity,
                (start.date() - election.election_date).days,
                start.time(),
                (end.date() - election.election_date).days,
                end.time(),
            )
        )
    return rows


def test_the_copy_has_the_whole_grid_with_team_reservations_and_no_people(settings):
    assert settings.TIME_ZONE == "Europe/Copenhagen"
    coordinator = f.user("k@kommune.dk", coordinator=True)
    day = date(2027, 6, 6)
    source = f.election(election_date=day, lock_days=4, response_days=5, kind="referendum")
    north, south = f.station(f.area("Nord"), name="Nordskolen"), f.station(f.area("Syd"))
    f.area("Øst")  # not taking part: not copied either
    chair, clerk = f.role("Valgstyrer"), f.role("Tilforordnet")
    party = f.team("Venstre")
    add_shift(source, north, chair, local(day, 7), local(day, 20), capacity=1)
    add_shift(source, north, clerk, local(day, 8), local(day, 22), capacity=12)
    add_shift(source, north, clerk, local(day, 8), local(day, 22), capacity=3, team=party)
    add_shift(
        source, south, clerk, local(day - timedelta(days=3), 10), local(day - timedelta(days=3), 16)
    )
    held = add_shift(source, south, chair, local(day, 19), local(day + timedelta(days=1), 2))
    services.accept(services.invite(held, [f.volunteer()], by=None).invited[0])

    new_day = date(2028, 6, 4)
    copy = copy_election(source, name="Folketingsvalg 2028", election_date=new_day, by=coordinator)

    copy.refresh_from_db()
    assert (copy.name, copy.election_date, copy.status) == ("Folketingsvalg 2028", new_day, "draft")
    assert (copy.kind, copy.lock_days, copy.response_days) == ("referendum", 4, 5)
    assert copy.copied_from == source
    assert set(copy.areas.all()) == {north.area, south.area}
    assert shape(copy) == shape(source)
    assert Shift.objects.filter(election=copy, team=party).count() == 1
    assert not Assignment.objects.filter(shift__election=copy).exists()
    # The source is untouched.
    assert Shift.objects.filter(election=source).count() == 5
    assert Assignment.objects.filter(shift__election=source).count() == 1

    (entry,) = AuditEntry.objects.filter(action="elections.copy_election")
    assert (entry.actor, entry.election_id, entry.object_id) == (coordinator, copy.pk, copy.pk)
    assert entry.detail == {"source": source.pk, "shifts": 5, "seats": 20, "areas": 2}
    assert entry.changes["election_date"] == [None, "2028-06-04"]


def test_a_shift_three_days_before_at_ten_stays_three_days_before_at_ten():
    source = f.election(election_date=date(2027, 6, 6))
    early = local(date(2027, 6, 3), 10)
    add_shift(source, f.station(), f.role(), early, early + timedelta(hours=6))
    copy = copy_election(source, name="Kopi", election_date=date(2027, 11, 16), by=None)
    (shift,) = copy.shifts.all()
    assert timezone.localtime(shift.starts_at) == local(date(2027, 11, 13), 10)
    assert timezone.localtime(shift.ends_at) == local(date(2027, 11, 13), 16)


@pytest.mark.parametrize(
    ("new_day", "hours"),
    [
        # Spring: on 28 March 2027 the clocks go from 02:00 to 03:00; the night is an hour shorter.
        (date(2027, 3, 28), 7),
        # Autumn: on 31 October 2027 the clocks go from 03:00 back to 02:00; an hour longer.
        (date(2027, 10, 31), 9),
        # And back to a night without a change.
        (date(2027, 11, 21), 8),
    ],
    ids=["spring-forward", "fall-back", "no-change"],
)
def test_an_overnight_shift_stays_overnight_across_a_dst_change(new_day, hours):
    """Counting from 22:00 the evening before until 06:00 on election day, and the
    count on election night (21:00 → 03:30): same local times on the new dates."""
    day = date(2027, 6, 6)
    source = f.election(election_date=day)
    station, role = f.station(), f.role()
    add_shift(source, station, role, local(day - timedelta(days=1), 22), local(day, 6))
    add_shift(source, station, role, local(day, 21), local(day + timedelta(days=1), 3, 30))

    copy = copy_election(source, name="Kopi", election_date=new_day, by=None)

    night, count = copy.shifts.order_by("starts_at")
    assert timezone.localtime(night.starts_at) == local(new_day - timedelta(days=1), 22)
    assert timezone.localtime(night.ends_at) == local(new_day, 6)
    assert night.ends_at - night.starts_at == timedelta(hours=hours)  # real hours on the day
    assert timezone.localtime(count.starts_at) == local(new_day, 21)
    assert timezone.localtime(count.ends_at) == local(new_day + timedelta(days=1), 3, 30)
    assert shape(copy) == shape(source)


@pytest.mark.parametrize(
    "source_day", [date(2027, 3, 28), date(2027, 10, 31)], ids=["from-spring", "from-autumn"]
)
def test_a_source_on_a_dst_night_copies_to_an_ordinary_night(source_day):
    source = f.election(election_date=source_day)
    add_shift(
        source,
        f.station(),
        f.role(),
        local(source_day - timedelta(days=1), 22),
        local(source_day, 6),
    )
    copy = copy_election(source, name="Kopi", election_date=date(2027, 12, 5), by=None)
    (night,) = copy.shifts.all()
    assert timezone.localtime(night.starts_at) == local(date(2027, 12, 4), 22)
    assert timezone.localtime(night.ends_at) == local(date(2027, 12, 5), 6)
    assert night.ends_at - night.starts_at == timedelta(hours=8)


@pytest.mark.parametrize(
    ("new_day", "start_utc", "end_utc"),
    [
        # 02:30 happens twice that night: the second time (standard time), 01:30 UTC.
        (
            date(2027, 10, 31),
            datetime(2027, 10, 31, 1, 30, tzinfo=UTC),
            datetime(2027, 10, 31, 4, 0, tzinfo=UTC),
        ),
        # 02:30 does not happen that night: read as standard time, 01:30 UTC (03:30 summer time).
        (
            date(2027, 3, 28),
            datetime(2027, 3, 28, 1, 30, tzinfo=UTC),
            datetime(2027, 3, 28, 3, 0, tzinfo=UTC),
        ),
    ],
    ids=["twice", "never"],
)
def test_a_local_time_the_new_night_has_twice_or_never_is_taken_as_standard_time(
    new_day, start_utc, end_utc
):
    """The same on every database (PostgreSQL copies in SQL, others in Python)."""
    day = date(2027, 6, 6)
    source = f.election(election_date=day)
    add_shift(source, f.station(), f.role(), local(day, 2, 30), local(day, 5))
    (shift,) = copy_election(source, name="Kopi", election_date=new_day, by=None).shifts.all()
    assert (shift.starts_at, shift.ends_at) == (start_utc, end_utc)


def test_redate_keeps_the_wall_clock_in_utc_terms_too():
    """The same instant in UTC arithmetic would be an hour off after a change:
    10:00 CET (09:00 UTC) in February is 10:00 CEST (08:00 UTC) in May."""
    moment = datetime(2027, 2, 7, 9, 0, tzinfo=UTC)
    moved = redate(moment, date(2027, 2, 7), date(2027, 5, 9), CPH)
    assert moved == datetime(2027, 5, 9, 8, 0, tzinfo=UTC)
    assert moved.astimezone(CPH).time() == time(10)


def test_a_source_with_shifts_outside_its_window_is_refused_and_nothing_is_created():
    """Made before the window was checked: the copy says so instead of copying a typo."""
    day = date(2027, 6, 6)
    source = f.election(election_date=day, name="Gammelt valg")
    add_shift(
        source,
        f.station(),
        f.role(),
        local(day - timedelta(days=400), 8),
        local(day - timedelta(days=400), 9),
    )
    before = Election.objects.count()
    with pytest.raises(Refused) as refused:
        copy_election(source, name="Kopi", election_date=date(2028, 6, 4), by=None)
    assert refused.value.code == "shifts_outside_window"
    assert "Gammelt valg" in refused.value.message
    assert "2028-" not in refused.value.message  # dates as the pages show them, not ISO
    assert Election.objects.count() == before
    assert not AuditEntry.objects.filter(action="elections.copy_election").exists()


def test_a_copy_name_is_validated():
    source = f.election()
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        copy_election(source, name="", election_date=source.election_date, by=None)
    assert "name" in error.value.error_dict


# --- inviting the previous volunteers again ---------------------------------------------------


@pytest.fixture
def previous():
    """A past election with accepted people, and its copy (made active) a year on."""
    day = timezone.localdate() + timedelta(days=20)
    source = f.election(election_date=day, name="Folketingsvalg 2027")
    north = f.station(f.area("Nord"), name="Nordskolen")
    south = f.station(f.area("Syd"), name="Sydhallen")
    clerk, counter = f.role("Tilforordnet"), f.role("Tæller", min_age=18)
    party = f.team("Venstre")
    open_shift = add_shift(source, north, clerk, local(day, 8), local(day, 20), capacity=5)
    party_shift = add_shift(
        source, north, clerk, local(day, 8), local(day, 20), capacity=2, team=party
    )
    count_shift = add_shift(
        source, south, counter, local(day, 20), local(day + timedelta(days=1), 1), capacity=3
    )

    def seated(shift, **kw):
        volunteer = f.volunteer(**kw)
        if shift.team_id:
            volunteer.teams.add(shift.team_id)
        services.accept(services.invite(shift, [volunteer], by=None).invited[0])
        return volunteer

    people = {
        "anna": seated(open_shift, first_name="Anna", last_name="Andersen"),
        "bo": seated(party_shift, first_name="Bo", last_name="Berg"),  # leaves the party
        "carl": seated(open_shift, first_name="Carl", last_name="Carlsen"),  # do not contact
        "dorte": seated(count_shift, first_name="Dorte", last_name="Dam"),  # station dropped
        "erik": seated(party_shift, first_name="Erik", last_name="Eriksen"),  # stays in party
    }
    declined = f.volunteer(first_name="Frida", last_name="Frost")
    services.decline(services.invite(open_shift, [declined], by=None).invited[0])
    waiting = f.volunteer(first_name="Gustav", last_name="Gul")  # invited, never answered
    services.invite(open_shift, [waiting], by=None)

    people["bo"].teams.remove(party)
    people["carl"].do_not_contact = True
    people["carl"].save()
    copy = copy_election(
        source, name="Folketingsvalg 2028", election_date=day + timedelta(days=364), by=None
    )
    copy.shifts.filter(station=south).delete()  # Sydhallen has no counting this time
    return source, copy, people, party


def reinvited(committed, copy, by=None, **process):
    """Start a run and let its job run (eagerly, on commit); the run as it ended."""
    started = committed(reinvite.start, copy, by=by, language="en")
    started.run.refresh_from_db()
    return started.run


def outcomes(run) -> dict[str, tuple[str, str]]:
    return {
        row.volunteer.first_name: (row.outcome, row.reason_code)
        for row in run.rows.select_related("volunteer")
    }


def activate(copy) -> Election:
    Election.objects.filter(pk=copy.pk).update(status=Status.ACTIVE)
    return Election.objects.get(pk=copy.pk)


def test_reinvite_invites_the_accepted_where_they_still_may_and_says_why_not(previous, committed):
    source, copy, _people, party = previous
    coordinator = f.user("k@kommune.dk", coordinator=True)
    copy = activate(copy)

    run = reinvited(committed, copy, by=coordinator)

    assert (run.status, run.total, run.invited, run.not_invited) == ("done", 5, 2, 3)
    assert run.started_at is not None and run.finished_at is not None
    assert outcomes(run) == {
        "Anna": ("invited", ""),
        "Erik": ("invited", ""),
        "Bo": ("not_invited", "team_reserved"),
        "Carl": ("not_invited", "do_not_contact"),
        "Dorte": ("not_invited", "no_seat"),
    }
    invited = {a.volunteer.first_name: a for a in Assignment.objects.filter(shift__election=copy)}
    assert set(invited) == {"Anna", "Erik"}
    assert invited["Anna"].shift.team is None
    assert invited["Erik"].shift.team == party  # the team's seat again
    assert all(a.status == "invited" and a.invited_by == coordinator for a in invited.values())
    rows = {row.volunteer.first_name: row for row in run.rows.select_related("volunteer")}
    assert rows["Erik"].shift == invited["Erik"].shift
    assert rows["Dorte"].shift is None
    assert "reserved for Venstre" in rows["Bo"].reason
    assert "do not contact" in rows["Carl"].reason
    assert "no Tæller seat at Sydhallen" in rows["Dorte"].reason
    # Through the invitation service: audited as the requester, a message each.
    assert AuditEntry.objects.filter(action="staffing.invite", election_id=copy.pk).count() == 2
    assert set(
        AuditEntry.objects.filter(action="staffing.invite", election_id=copy.pk).values_list(
            "actor", flat=True
        )
    ) == {coordinator.pk}
    (entry,) = AuditEntry.objects.filter(action="staffing.reinvite_previous")
    assert (entry.actor, entry.election_id) == (coordinator, copy.pk)
    assert entry.detail == {"source": source.pk, "run": run.pk, "invited": 2, "not_invited": 3}


def test_the_reasons_are_written_in_the_requesters_language(previous, committed):
    _, copy, _, _ = previous
    copy = activate(copy)
    started = committed(reinvite.start, copy, by=None, language="da")
    reasons = dict(started.run.rows.values_list("reason_code", "reason"))
    assert "markeret" in reasons["do_not_contact"].lower(), reasons["do_not_contact"]


def test_reinvite_in_a_draft_is_refused_with_the_reason(previous, committed):
    _, copy, _, _ = previous
    with pytest.raises(Refused) as refused:
        committed(reinvite.start, copy, by=None, language="en")
    assert refused.value.code == "election_not_active"
    assert "Folketingsvalg 2028" in refused.value.message
    assert not ReinviteRun.objects.exists()
    assert not Assignment.objects.filter(shift__election=copy).exists()


def test_reinvite_twice_invites_nobody_twice(previous, committed):
    _, copy, _, _ = previous
    copy = activate(copy)
    first = reinvited(committed, copy)
    again = reinvited(committed, copy)
    assert again.pk != first.pk
    assert (again.invited, again.not_invited) == (0, 5)
    assert outcomes(again)["Anna"] == ("not_invited", "already_on_shift")
    assert outcomes(again)["Erik"] == ("not_invited", "already_on_shift")
    assert Assignment.objects.filter(shift__election=copy).count() == 2


class Crash(BaseException):
    """The worker dies: nothing after it runs, no handler catches it."""


def test_a_job_that_dies_goes_on_where_it_stopped(previous, committed, monkeypatch):
    """A chunk per shift: the job dies in its second chunk, whose invitations and
    rows are undone with it; the job delivered again does the rest, once."""
    _, copy, _, _ = previous
    copy = activate(copy)
    monkeypatch.setattr(reinvite, "CHUNK_PEOPLE", 1)
    real_invite, calls = services.invite, []

    def dies_the_second_time(shift, volunteers, *, by):
        calls.append(shift.pk)
        if len(calls) == 2:
            raise Crash
        return real_invite(shift, volunteers, by=by)

    monkeypatch.setattr(services, "invite", dies_the_second_time)
    with pytest.raises(Crash):
        committed(reinvite.start, copy, by=None, language="en")
    (run,) = ReinviteRun.objects.all()
    assert run.status == "running"
    first = dict(run.rows.values_list("volunteer__first_name", "outcome"))
    assert first["Dorte"] == "not_invited"  # no seat: written with the first chunk
    assert len(first) == 3  # Dorte, and one shift's people; the second shift undone
    assert run.processed == 3

    ended = reinvite.process(run.pk)  # the task delivered again

    assert ended.status == "done"
    assert (ended.invited, ended.not_invited, ended.total) == (2, 3, 5)
    assert ended.rows.count() == 5
    assert Assignment.objects.filter(shift__election=copy).count() == 2
    assert reinvite.process(run.pk) is None  # a third delivery: nothing left to do
    assert ReinviteRun.objects.get(pk=run.pk).rows.count() == 5


def test_a_run_stops_when_the_election_is_closed_and_goes_on_when_asked(previous, committed):
    _, copy, _, _ = previous
    copy = activate(copy)
    started = reinvite.start(copy, by=None, language="en")  # not committed: the job waits
    Election.objects.filter(pk=copy.pk).update(status=Status.CLOSED)
    ended = reinvite.process(started.run.pk)
    assert ended.status == "failed"
    assert "not active" in ended.error
    assert ended.rows.count() == 0
    activate(copy)
    again = committed(reinvite.start, copy, by=None, language="en")
    assert (again.run.pk, again.created) == (started.run.pk, False)  # the same run, on
    again.run.refresh_from_db()
    assert (again.run.status, again.run.invited, again.run.error) == ("done", 2, "")


def test_one_run_at_a_time_per_election_held_by_the_database(previous):
    _, copy, _, _ = previous
    copy = activate(copy)
    first = reinvite.start(copy, by=None, language="en")  # queued: its job has not run
    second = reinvite.start(copy, by=None, language="en")
    assert (second.run.pk, second.created) == (first.run.pk, False)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReinviteRun.objects.create(election=copy, language="en", status="running")
    assert ReinviteRun.objects.count() == 1


def test_two_requests_at_once_get_the_same_run(previous, monkeypatch):
    """The race the constraint decides: the other request's run appears between the
    check for a running one and the insert; this request shows that run."""
    _, copy, _, _ = previous
    copy = activate(copy)
    other = ReinviteRun.objects.create(election=copy, language="en")  # the other request's
    real_active_run, looked = reinvite.active_run, []

    def not_yet_the_first_time(election):
        looked.append(election.pk)
        return None if len(looked) == 1 else real_active_run(election)

    monkeypatch.setattr(reinvite, "active_run", not_yet_the_first_time)
    started = reinvite.start(copy, by=None, language="en")
    assert (started.run.pk, started.created) == (other.pk, False)
    assert ReinviteRun.objects.count() == 1
