"""The fill counts the database keeps (staffing.counters): ``SeatFill`` per shift
and ``ElectionTally`` per election, kind and hour, written by triggers whatever
writes the rows. After every kind of write the kept counts equal a recount from
the rows, and the dashboard read from the tallies equals the dashboard counted
from the assignments, also at the edges of its time windows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from elections.models import Shift
from notifications.models import Message
from staffing import counters, dashboard, services
from staffing.fill import fill_of_shift, fills_by
from staffing.models import Assignment, ElectionTally, SeatFill, VolunteerSeats
from tests import factories as f
from tests.test_dashboard import failed_message, seat

pytestmark = pytest.mark.django_db

S = Assignment.Status


def kept() -> tuple[list[tuple], list[tuple], list[tuple]]:
    fills = list(
        SeatFill.objects.order_by("shift_id").values_list(
            "shift_id", "election_id", "station_id", "role_id", "seats", "invited", "accepted"
        )
    )
    tallies = list(
        ElectionTally.objects.exclude(n=0)
        .order_by("election_id", "kind", "hour")
        .values_list("election_id", "kind", "hour", "n")
    )
    seats = list(
        VolunteerSeats.objects.exclude(invited=0, accepted=0, declined=0)
        .order_by("election_id", "volunteer_id")
        .values_list("election_id", "volunteer_id", "invited", "accepted", "declined")
    )
    return fills, tallies, seats


def assert_kept_equals_recount() -> None:
    before = kept()
    counters.recount(connection)
    assert before == kept()


def test_every_kind_of_write_keeps_the_counts_equal_to_a_recount(coordinator):
    e = f.election()
    other_station = f.station()
    clerks = f.shift(e, capacity=3)
    chairs = f.shift(e, capacity=2, start=7, end=21, role_=f.role("Valgstyrer"))
    evening = f.shift(e, capacity=2, start=20, end=23, station_=other_station)
    people = [f.volunteer() for _ in range(6)]

    result = services.invite(clerks, people[:3], by=coordinator)  # one bulk INSERT
    assert fill_of_shift(clerks).invited == 3
    first, second, third = result.invited
    services.accept(first)
    services.decline(second, reason="Syg")
    services.assign(chairs, people[3], by=coordinator)
    services.move(third, evening, by=coordinator)
    services.remove(first, by=coordinator)
    assert_kept_equals_recount()
    # Merging moves a seat to another volunteer: their counts in the election follow.
    services.merge_volunteers(people[5], people[3], by=coordinator)
    assert VolunteerSeats.objects.get(election=e, volunteer=people[5]).accepted == 1
    assert_kept_equals_recount()

    services.invite(chairs, [people[4]], by=coordinator)
    services.resize_shift(chairs, 5, by=coordinator)
    Assignment.objects.filter(volunteer=people[4]).update(
        invited_at=timezone.now() - timedelta(days=30)
    )
    assert services.expire_invitations() == 1
    failed_message(Assignment.objects.get(volunteer=people[5]))
    Message.objects.filter(status=Message.Status.FAILED).update(
        status=Message.Status.SENT, sent_at=timezone.now()
    )
    failed_message(Assignment.objects.get(volunteer=people[5]))
    assert_kept_equals_recount()

    fills = fills_by(Shift.objects.filter(election=e))
    assert fills[clerks.pk].held == 0
    assert (fills[chairs.pk].needed, fills[chairs.pk].accepted) == (5, 1)
    assert fills[evening.pk].invited == 1

    # Deleting rows (a shift and its history) keeps them equal too.
    empty = f.shift(e, capacity=1)
    assert SeatFill.objects.filter(shift=empty).exists()
    services.delete_shift(empty, by=coordinator)
    assert not SeatFill.objects.filter(shift_id=empty.pk).exists()
    Message.objects.all().delete()
    Assignment.objects.filter(shift=evening).delete()
    assert_kept_equals_recount()


def test_counts_of_one_election_stay_out_of_another(coordinator):
    one, two = f.election(), f.election()
    a, b = f.shift(one, capacity=2), f.shift(two, capacity=4)
    services.invite(a, [f.volunteer()], by=coordinator)
    services.assign(b, f.volunteer(), by=coordinator)
    by_election = fills_by(Shift.objects.all(), "election_id")
    assert (by_election[one.pk].needed, by_election[one.pk].invited) == (2, 1)
    assert (by_election[two.pk].needed, by_election[two.pk].accepted) == (4, 1)
    assert not ElectionTally.objects.filter(election=one, kind="accepted").exists()


def test_tallied_dashboard_equals_the_counted_one_at_the_windows_edges(coordinator):
    """Invitations and answers a minute on each side of the 2- and 7-day edges:
    the tallies are per hour, the edge hours are counted exactly."""
    e = f.election()
    now = timezone.now()
    shift = f.shift(e, capacity=20)
    minute, day = timedelta(minutes=1), timedelta(days=1)
    for ago in (2 * day - minute, 2 * day + minute, 7 * day - minute, 7 * day + minute):
        seat(shift, S.INVITED, invited=ago, now=now)
    for status in (S.DECLINED, S.WITHDRAWN):
        for answered in (7 * day - minute, 7 * day + minute, day):
            seat(shift, status, invited=8 * day, answered=answered, now=now)
    for answered in (3 * day, 3 * day, day):
        seat(shift, S.ACCEPTED, invited=4 * day, answered=answered, now=now)
    failed_message(seat(shift, S.INVITED, invited=timedelta(hours=3), now=now))

    shifts = Shift.objects.filter(election=e)
    tallied = dashboard.tallied_activity(e, now)
    counted = dashboard.counted_activity(
        Assignment.objects.filter(shift__in=shifts), now, anyone_holds_a_seat=True
    )
    assert tallied.outstanding == counted.outstanding
    assert (tallied.outstanding.fresh, tallied.outstanding.waiting) == (2, 2)
    assert tallied.outstanding.stale == 1
    assert tallied.outstanding.oldest == now - (7 * day + minute)
    assert (tallied.declined, tallied.withdrawn) == (counted.declined, counted.withdrawn) == (2, 2)
    assert tallied.failed == counted.failed == 1
    assert tallied.per_day == counted.per_day
    assert sum(tallied.per_day.values()) == 3
    assert timezone.localtime(tallied.first).date() == timezone.localtime(counted.first).date()

    whole = dashboard.dashboard(e, shifts, now=now, whole=True)
    part = dashboard.dashboard(e, shifts, now=now)
    assert whole == part


def test_recount_fills_command_rebuilds_lost_counts(coordinator):
    from django.core.management import call_command

    e = f.election()
    shift = f.shift(e, capacity=2)
    services.assign(shift, f.volunteer(), by=coordinator)
    SeatFill.objects.update(accepted=0)
    ElectionTally.objects.all().delete()
    call_command("recount_fills", verbosity=0)
    assert fill_of_shift(shift).accepted == 1
    assert ElectionTally.objects.filter(election=e, kind="accepted").get().n == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_the_counts_and_do_not_deadlock():
    """Invitation rounds, answers and the expiry sweep at once, on the shifts of
    one election: they share the election's tally rows (the same hour)."""
    import threading

    from django.db import connections

    e = f.election()
    shifts = [f.shift(e, capacity=8, start=h, end=h + 1) for h in range(8, 14)]
    stale = [f.volunteer() for _ in range(len(shifts))]
    for shift, person in zip(shifts, stale, strict=True):
        services.invite(shift, [person], by=None)
    Assignment.objects.update(invited_at=timezone.now() - timedelta(days=30))
    people = {s.pk: [f.volunteer() for _ in range(5)] for s in shifts}
    start = threading.Barrier(len(shifts) + 1)
    errors: list[BaseException] = []

    def fill(shift: Shift) -> None:
        try:
            start.wait()
            invited = services.invite(shift, people[shift.pk], by=None).invited
            for i, assignment in enumerate(invited):
                if i % 2:
                    services.decline(assignment, reason="")
                else:
                    services.accept(assignment)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    def sweep() -> None:
        try:
            start.wait()
            services.expire_invitations()
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=fill, args=(s,)) for s in shifts]
    threads.append(threading.Thread(target=sweep))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    fills = fills_by(Shift.objects.filter(election=e), "election_id")[e.pk]
    assert (fills.accepted, fills.invited) == (3 * len(shifts), 0)
    assert_kept_equals_recount()


def test_the_volunteer_lists_status_filter_reads_the_same_from_kept_counts(coordinator):
    """A user who sees the whole election filters on VolunteerSeats; a scoped
    user on the assignments: both give the same people for every status."""
    from accounts.scopes import scope_of
    from staffing import volunteer_list
    from staffing.forms_volunteers import SeatStatus
    from volunteers.models import Volunteer

    e, other = f.election(), f.election()
    day = f.shift(e, capacity=9, start=8, end=12)
    evening = f.shift(e, capacity=9, start=18, end=22)
    elsewhere = f.shift(other, capacity=9)
    people = [f.volunteer() for _ in range(9)]
    services.invite(day, people[:7], by=coordinator)
    seats = {a.volunteer_id: a for a in Assignment.objects.filter(shift=day)}
    services.accept(seats[people[0].pk])
    services.decline(seats[people[1].pk])
    services.decline(seats[people[2].pk])
    services.assign(evening, people[2], by=coordinator)  # declined one, holds another
    services.accept(seats[people[3].pk])
    services.remove(Assignment.objects.get(volunteer=people[3]), by=coordinator)
    Assignment.objects.filter(volunteer=people[4]).update(
        invited_at=timezone.now() - timedelta(days=30)
    )
    services.expire_invitations()
    services.assign(elsewhere, people[7], by=coordinator)  # another election only
    scope = scope_of(coordinator)
    everyone = Volunteer.objects.filter(pk__in=[p.pk for p in people])
    expected = {
        SeatStatus.NO_SEAT: {1, 3, 4, 7, 8},  # declined, removed, expired, elsewhere, none
        SeatStatus.INVITED: {5, 6},
        SeatStatus.ACCEPTED: {0, 2},
        SeatStatus.DECLINED: {1},
    }
    for status, indexes in expected.items():
        kept = everyone.filter(volunteer_list.by_kept_counts(e, status))
        counted = everyone.filter(volunteer_list.by_assignments(e, status, scope))
        wanted = {people[i].pk for i in indexes}
        assert set(kept.values_list("pk", flat=True)) == wanted, status
        assert set(counted.values_list("pk", flat=True)) == wanted, status
