"""Reminders (staffing.reminders): unanswered invitations every N days at most K
times, the shift D days before, the morning SMS; keyed, so that a second run or
two beat processes at once send nothing twice."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from elections.models import Election
from notifications.models import Message
from staffing import services
from staffing.models import Assignment
from staffing.reminders import morning_time, send_reminders
from staffing.tasks import send_reminders as send_reminders_task
from tests import factories as f
from tests.fakes.scenarios import resolve

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def invited(volunteer=None, **shift_kw) -> Assignment:
    shift = f.shift(**shift_kw)
    [seat] = services.invite(shift, [volunteer or f.volunteer()], by=None).invited
    return seat


def reminders(kind: str = "invitation_reminder") -> list[Message]:
    return list(Message.objects.filter(kind=kind).order_by("pk"))


def after(seat: Assignment, days: float) -> datetime:
    return seat.invited_at + timedelta(days=days)


# --- invitation reminders ---------------------------------------------------------


def test_an_unanswered_invitation_is_reminded_after_n_days_with_a_working_link():
    seat = invited(f.volunteer("sms", language="da"))

    assert send_reminders(after(seat, 2.9)).total == 0
    sent = send_reminders(after(seat, 3.01))

    assert sent.counts == {"invitation_reminder": 1}
    [reminder] = reminders()
    assert (reminder.channel, reminder.to, reminder.language) == (
        "sms",
        seat.volunteer.phone,
        "da",
    )
    assert reminder.idempotency_key == f"assignment:{seat.pk}:invitation_reminder:1"
    assert seat.shift.role.name in reminder.body
    assert resolve(reminder.body).volunteer_id == seat.volunteer_id


def test_running_twice_sends_nothing_twice():
    seat = invited()
    send_reminders(after(seat, 3.01))

    assert send_reminders(after(seat, 3.02)).total == 0
    assert send_reminders(after(seat, 4)).total == 0

    assert len(reminders()) == 1


def test_then_every_n_days_at_most_k_times_while_it_can_be_answered():
    seat = invited()  # the election: 3 days, at most 2; answer within 7 days
    moments = [3.01, 5.9, 6.01, 6.5, 6.99, 8, 20]

    counts = [send_reminders(after(seat, d)).total for d in moments]

    assert counts == [1, 0, 1, 0, 0, 0, 0]
    assert [m.idempotency_key.rsplit(":", 1)[1] for m in reminders()] == ["1", "2"]


def test_a_beat_stopped_for_days_sends_the_latest_reminder_only():
    seat = invited()

    assert send_reminders(after(seat, 6.5)).total == 1

    [reminder] = reminders()
    assert reminder.idempotency_key.endswith(":2")


def about(seat: Assignment, kind: str = "invitation_reminder") -> list[Message]:
    return list(Message.objects.about(seat).filter(kind=kind))


def test_the_election_and_the_role_decide_how_often():
    election = f.election(invitation_reminder_days=2, invitation_reminders_max=1)
    seat = invited(election_=election)
    assert [send_reminders(after(seat, d)).total for d in (2.01, 4.01, 6.01)] == [1, 0, 0]

    quick = invited(role_=f.role(invitation_reminder_days=1, invitation_reminders_max=3))
    never = invited(role_=f.role(invitation_reminder_days=0))
    send_reminders(after(quick, 1.01))
    send_reminders(after(quick, 6.5))
    assert len(about(quick)) == 2
    assert about(never) == []


def test_answered_stopped_and_unreachable_people_are_not_reminded():
    answered = invited()
    services.decline(answered)
    dnc = invited()
    dnc.volunteer.do_not_contact = True
    dnc.volunteer.save()
    post_only = invited()
    post_only.volunteer.unreachable = True
    post_only.volunteer.save()
    closed = invited()
    Election.objects.filter(pk=closed.shift.election_id).update(status=Election.Status.CLOSED)

    assert send_reminders(after(closed, 3.01)).total == 0


def test_two_beat_processes_at_once_send_each_reminder_once(transactional_db):
    election = f.election()
    seats = [invited(election_=election) for _ in range(5)]
    now = after(seats[-1], 3.01)
    start = threading.Barrier(2)
    results: list[int] = []

    def run() -> None:
        try:
            start.wait()
            results.append(send_reminders(now).total)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert len(results) == 2  # both runs finished without an error
    assert sum(results) == 5  # between them, each reminder once
    if connections["default"].vendor == "postgresql":
        assert sorted(results) == [0, 5]  # the second waited for the first's commit
    assert Message.objects.filter(kind="invitation_reminder").count() == 5


def test_the_queries_do_not_grow_with_the_reminders(django_assert_max_num_queries):
    election = f.election()
    few = [invited(election_=election) for _ in range(3)]
    with django_assert_max_num_queries(99) as few_queries:
        send_reminders(after(few[-1], 3.01))
    Message.objects.filter(kind="invitation_reminder").delete()
    many = few + [invited(election_=election) for _ in range(12)]
    with django_assert_max_num_queries(99) as many_queries:
        assert send_reminders(after(many[-1], 3.01)).total == 15

    assert len(many_queries.captured_queries) == len(few_queries.captured_queries)


def test_the_beat_task_runs_the_job(settings):
    seat = invited()
    Assignment.objects.filter(pk=seat.pk).update(invited_at=timezone.now() - 3.01 * DAY)

    assert send_reminders_task.delay().get() == {"invitation_reminder": 1}


# --- shift reminders and the morning SMS --------------------------------------------


def booked(**kw) -> Assignment:
    seat = invited(**kw)
    Assignment.objects.filter(pk=seat.pk).update(invited_at=seat.invited_at - 10 * DAY)
    services.accept(seat)
    Assignment.objects.filter(pk=seat.pk).update(responded_at=seat.invited_at - 9 * DAY)
    seat.refresh_from_db()
    return seat


def test_the_shift_is_reminded_d_days_before():
    seat = booked()
    starts = seat.shift.starts_at

    assert send_reminders(starts - 2 * DAY - timedelta(minutes=1)).counts == {}
    assert send_reminders(starts - 2 * DAY + timedelta(minutes=1)).counts == {"shift_reminder": 1}
    assert send_reminders(starts - DAY).counts == {}

    [reminder] = reminders("shift_reminder")
    assert reminder.channel == seat.volunteer.preferred_channel
    assert "Reminder: your shift as" in reminder.subject
    assert resolve(reminder.body).volunteer_id == seat.volunteer_id


def test_a_moved_shift_is_reminded_again_and_a_late_yes_is_not():
    seat = booked()
    starts = seat.shift.starts_at
    send_reminders(starts - DAY)
    seat.shift.__class__.objects.filter(pk=seat.shift_id).update(
        starts_at=starts + timedelta(hours=2), ends_at=seat.shift.ends_at + timedelta(hours=2)
    )
    assert send_reminders(starts - DAY + timedelta(minutes=1)).counts == {"shift_reminder": 1}

    late = invited()
    services.accept(late)
    # Said yes a day before the shift, within the two days: the confirmation is enough.
    Assignment.objects.filter(pk=late.pk).update(responded_at=late.shift.starts_at - DAY)
    send_reminders(late.shift.starts_at - timedelta(hours=12))
    assert about(late, "shift_reminder") == []


def test_roles_with_reminders_off_get_no_shift_reminder():
    seat = booked(role_=f.role(reminders_enabled=False))
    assert send_reminders(seat.shift.starts_at - DAY).total == 0


def test_the_morning_sms_goes_at_six_to_everyone_with_a_mobile_number():
    election = f.election(shift_morning_sms=True, shift_reminder_days=0)
    by_email = booked(election_=election)
    by_email.volunteer.phone = "+4520111111"
    by_email.volunteer.save()
    no_phone = booked(election_=election)
    six = morning_time(by_email.shift.starts_at)
    assert timezone.localtime(six).hour == 6

    assert send_reminders(six - timedelta(minutes=1)).total == 0
    assert send_reminders(six + timedelta(minutes=1)).counts == {"shift_morning": 1}
    assert send_reminders(six + timedelta(minutes=16)).total == 0

    [sms] = reminders("shift_morning")
    assert (sms.channel, sms.to) == ("sms", "+4520111111")
    assert "Good morning" in sms.body
    assert no_phone.volunteer.phone == ""


def test_an_early_shift_gets_its_morning_sms_two_hours_before():
    seat = booked(election_=f.election(shift_morning_sms=True), start=5, end=12)
    assert morning_time(seat.shift.starts_at) == seat.shift.starts_at - timedelta(hours=2)


def test_no_morning_sms_unless_the_election_asks():
    seat = booked()
    seat.volunteer.phone = "+4520111112"
    seat.volunteer.save()
    assert (
        send_reminders(seat.shift.starts_at - timedelta(hours=1)).counts.get("shift_morning")
        is None
    )


# --- the settings, in the product ---------------------------------------------------------


def test_the_election_form_sets_the_reminders_and_refuses_bad_values(client, coordinator):
    area = f.area("Nord")
    data = {
        "name": "Kommunalvalg 2029",
        "kind": "municipal_regional",
        "election_date": "2029-11-20",
        "response_days": "7",
        "lock_days": "3",
        "invitation_reminder_days": "2",
        "invitation_reminders_max": "3",
        "shift_reminder_days": "1",
        "shift_morning_sms": "on",
        "areas": [area.pk],
    }
    client.force_login(coordinator)
    form = client.get(reverse("staffing:election_create")).content.decode()
    assert "Remind unanswered invitations after (days)" in form

    bad = client.post(reverse("staffing:election_create"), {**data, "invitation_reminders_max": 6})
    assert "invitation_reminders_max" in bad.context["form"].errors
    assert not Election.objects.filter(name="Kommunalvalg 2029").exists()

    client.post(reverse("staffing:election_create"), data)
    election = Election.objects.get(name="Kommunalvalg 2029")
    assert (
        election.invitation_reminder_days,
        election.invitation_reminders_max,
        election.shift_reminder_days,
        election.shift_morning_sms,
    ) == (2, 3, 1, True)

    # Left empty when editing: kept as it was.
    edit = {**data, "invitation_reminder_days": "", "shift_morning_sms": ""}
    client.post(reverse("staffing:election_edit", args=[election.pk]), edit)
    election.refresh_from_db()
    assert (election.invitation_reminder_days, election.shift_morning_sms) == (2, False)


def test_a_copy_keeps_the_reminder_settings(coordinator):
    from elections.services import copy_election

    source = f.election(invitation_reminder_days=4, shift_morning_sms=True)
    copy = copy_election(source, name="Igen", election_date=source.election_date, by=coordinator)
    assert (copy.invitation_reminder_days, copy.shift_morning_sms) == (4, True)


def test_a_role_overrides_the_invitation_reminders_on_its_form(client, coordinator):
    role = f.role(name="Fintæller")
    client.force_login(coordinator)
    data = {
        "name": "Fintæller",
        "short_name": "FT",
        "default_start": "20:00",
        "default_end": "01:00",
        "pay": "850.00",
        "min_age": "18",
        "reminders_enabled": "on",
        "invitation_reminder_days": "0",
        "invitation_reminders_max": "",
    }

    client.post(reverse("staffing:setup_role_edit", args=[role.pk]), data)

    role.refresh_from_db()
    assert (role.invitation_reminder_days, role.invitation_reminders_max) == (0, None)
