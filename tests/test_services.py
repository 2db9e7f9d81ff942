"""The staffing rules, each with the clear answer a coordinator or volunteer sees."""

from __future__ import annotations

from datetime import UTC, date, timedelta

import pytest
from django.utils import timezone

from elections.models import Election
from notifications.models import Message
from staffing import services
from staffing.models import Assignment
from staffing.rules import RuleViolation
from tests import factories as f

pytestmark = pytest.mark.django_db
Status = Assignment.Status


def invite_one(shift, volunteer):
    result = services.invite(shift, [volunteer], by=None)
    assert not result.refused, result.refused
    return result.invited[0]


def refusal_of(shift, volunteer) -> RuleViolation:
    result = services.invite(shift, [volunteer], by=None)
    assert not result.invited
    [(who, refusal)] = result.refused
    assert who == volunteer
    return refusal


class TestInvite:
    def test_invites_up_to_capacity_and_says_why_not_the_rest(self, mailoutbox, committed):
        shift = f.shift(capacity=2)
        people = [f.volunteer(last_name=name) for name in ("Andersen", "Bech", "Clausen")]
        result = committed(services.invite, shift, people, by=None)
        assert [a.volunteer.last_name for a in result.invited] == ["Andersen", "Bech"]
        [(who, refusal)] = result.refused
        assert who.last_name == "Clausen"
        assert refusal.code == "full"
        assert refusal.message == "All seats on this shift are taken."
        assert len(mailoutbox) == 2
        assert Message.objects.filter(kind="invitation", status="sent").count() == 2

    def test_records_who_invited(self, coordinator):
        a = services.invite(f.shift(), [f.volunteer()], by=coordinator).invited[0]
        assert a.invited_by == coordinator and a.status == Status.INVITED

    def test_sms_volunteers_get_an_sms_with_their_link(self, sms_outbox, committed):
        v = f.volunteer(channel="sms")
        committed(invite_one, f.shift(), v)
        [sms] = sms_outbox
        assert sms.to == v.phone
        assert "http://testserver/v/" in sms.body

    def test_election_must_be_active(self):
        shift = f.shift(f.election(status=Election.Status.DRAFT))
        with pytest.raises(RuleViolation) as exc:
            services.invite(shift, [f.volunteer()], by=None)
        assert exc.value.code == "election_not_active"
        assert "is not active" in exc.value.message
        assert not Assignment.objects.exists()
        assert not Message.objects.exists()

    def test_minimum_age_on_the_shift_day(self):
        e = f.election(days_ahead=10)
        shift = f.shift(e, role_=f.role(min_age=18))
        day = e.election_date
        turns_18_after = f.volunteer(
            first_name="Ida", last_name="Holm", born=date(day.year - 18, 1, 1) + timedelta(days=400)
        )
        refusal = refusal_of(shift, turns_18_after)
        assert refusal.code == "too_young"
        assert refusal.message.startswith("Ida Holm is under 18 on the day of the shift")
        turns_18_on_the_day = f.volunteer(born=date(day.year - 18, day.month, day.day))
        assert invite_one(shift, turns_18_on_the_day)

    def test_no_overlapping_shifts(self):
        e = f.election()
        v = f.volunteer(first_name="Per", last_name="Lund")
        invite_one(f.shift(e, start=8, end=14), v)
        refusal = refusal_of(f.shift(e, start=13, end=20), v)
        assert refusal.code == "overlap"
        assert refusal.message.startswith("Per Lund already has a shift at that time")
        # Back to back is fine.
        assert invite_one(f.shift(e, start=14, end=20), v)

    def test_declined_shift_is_not_reinvited(self):
        shift = f.shift()
        v = f.volunteer()
        services.decline(invite_one(shift, v))
        assert refusal_of(shift, v).code == "declined_before"

    def test_already_on_the_shift(self):
        shift = f.shift()
        v = f.volunteer()
        invite_one(shift, v)
        assert refusal_of(shift, v).code == "already_on_shift"

    def test_do_not_contact(self):
        assert refusal_of(f.shift(), f.volunteer(do_not_contact=True)).code == "do_not_contact"

    def test_team_reserved_seats(self):
        party = f.team("Venstre")
        shift = f.shift(team=party)
        outsider = f.volunteer()
        refusal = refusal_of(shift, outsider)
        assert refusal.code == "team_reserved"
        assert "reserved for Venstre" in refusal.message
        member = f.volunteer()
        member.teams.add(party)
        assert invite_one(shift, member)

    def test_shift_already_started(self):
        e = f.election(days_ahead=0)
        shift = f.shift(e, start=0, end=23)
        with pytest.raises(RuleViolation) as exc:
            services.invite(shift, [f.volunteer()], by=None)
        assert exc.value.code == "shift_started"

    def test_invitations_expire_when_the_shift_starts(self):
        e = f.election(days_ahead=0)
        shift = f.shift(e, start=0, end=23)
        a = Assignment.objects.create(shift=shift, volunteer=f.volunteer())
        assert services.expire_invitations() == 1
        a.refresh_from_db()
        assert a.status == Status.EXPIRED

    def test_expired_invitation_frees_the_seat(self):
        shift = f.shift(capacity=1)
        first = invite_one(shift, f.volunteer())
        assert refusal_of(shift, f.volunteer()).code == "full"
        Assignment.objects.filter(pk=first.pk).update(invited_at=timezone.now() - timedelta(days=8))
        assert services.expire_invitations() == 1
        assert invite_one(shift, f.volunteer())


class TestAnswers:
    def test_accept_sends_a_confirmation(self, mailoutbox, committed):
        a = invite_one(f.shift(), f.volunteer())
        done = committed(services.accept, a)
        assert done.status == Status.ACCEPTED and done.responded_at
        assert [m.kind for m in Message.objects.order_by("pk")] == ["invitation", "accepted"]
        assert mailoutbox[-1].subject.startswith("Confirmed:")

    def test_accept_twice_is_harmless(self):
        a = invite_one(f.shift(), f.volunteer())
        services.accept(a)
        services.accept(a)
        assert Message.objects.filter(kind="accepted").count() == 1

    def test_decline_then_accept_after_all_needs_a_free_seat(self):
        shift = f.shift(capacity=1)
        a = invite_one(shift, f.volunteer())
        services.decline(a, reason="Ferie")
        a.refresh_from_db()
        assert (a.status, a.reason) == (Status.DECLINED, "Ferie")
        b = invite_one(shift, f.volunteer())
        with pytest.raises(RuleViolation) as exc:
            services.accept(a)
        assert exc.value.code == "full"
        services.decline(b)
        assert services.accept(a).status == Status.ACCEPTED

    def test_declining_an_accepted_seat_withdraws(self, mailoutbox, committed):
        a = services.accept(invite_one(f.shift(), f.volunteer()))
        done = committed(services.decline, a)
        assert done.status == Status.WITHDRAWN
        assert mailoutbox[-1].subject.startswith("Cancelled:")

    def test_changes_lock_before_the_shift_but_a_first_answer_does_not(self):
        e = f.election(days_ahead=2, lock_days=3)
        a = invite_one(f.shift(e), f.volunteer())
        assert services.accept(a).status == Status.ACCEPTED  # the first answer
        with pytest.raises(RuleViolation) as exc:
            services.decline(a)
        assert exc.value.code == "locked"
        assert "contact the election office" in exc.value.message
        # The office may still change it on the volunteer's behalf.
        assert services.decline(a, by=f.user()).status == Status.WITHDRAWN
        with pytest.raises(RuleViolation) as exc:
            services.accept(a)
        assert exc.value.code == "locked"

    def test_no_declining_once_the_shift_started(self):
        e = f.election(days_ahead=0)
        shift = f.shift(e, start=0, end=23)
        a = Assignment.objects.create(shift=shift, volunteer=f.volunteer())
        with pytest.raises(RuleViolation) as exc:
            services.decline(a)
        assert exc.value.code == "shift_started"

    def test_superseded_answer_cannot_be_revived(self):
        shift = f.shift(capacity=3)
        v = f.volunteer()
        first = invite_one(shift, v)
        services.decline(first, by=f.user())
        Assignment.objects.filter(pk=first.pk).update(status=Status.EXPIRED)
        second = invite_one(shift, v)
        services.decline(second)
        with pytest.raises(RuleViolation) as exc:
            services.accept(first)
        assert exc.value.code == "not_acceptable"
        assert services.accept(second).status == Status.ACCEPTED

    def test_nul_bytes_are_dropped_from_reasons(self):
        a = invite_one(f.shift(), f.volunteer())
        assert services.decline(a, reason="ferie\x00").reason == "ferie"

    def test_confirmations_are_limited_per_hour(self, sms_outbox, committed):
        a = committed(invite_one, f.shift(), f.volunteer(channel="sms"))
        for _ in range(5):
            committed(services.accept, a)
            committed(services.decline, a)
        a.refresh_from_db()
        assert a.status == Status.WITHDRAWN
        assert len(sms_outbox) == 1 + 3  # the invitation and three confirmations

    def test_invite_queries_do_not_grow_with_the_batch(self, django_assert_max_num_queries):
        def invite_many(n: int) -> None:
            services.invite(f.shift(capacity=n), [f.volunteer() for _ in range(n)], by=None)

        invite_many(2)  # warm caches (content types, permissions)
        # shift lock, volunteer locks, seat count, history, clashes, assignments,
        # links, message keys, messages, savepoint bookkeeping.
        few_volunteers = [f.volunteer() for _ in range(3)]
        small = f.shift(capacity=3)
        with django_assert_max_num_queries(14) as few:
            services.invite(small, few_volunteers, by=None)
        volunteers = [f.volunteer() for _ in range(30)]
        shift = f.shift(capacity=30)
        with django_assert_max_num_queries(len(few.captured_queries)):
            result = services.invite(shift, volunteers, by=None)
        assert len(result.invited) == 30
        assert Message.objects.filter(kind="invitation").count() == 2 + 3 + 30

    def test_no_answers_once_the_election_is_closed(self):
        e = f.election()
        a = invite_one(f.shift(e), f.volunteer())
        Election.objects.filter(pk=e.pk).update(status=Election.Status.CLOSED)
        with pytest.raises(RuleViolation) as exc:
            services.accept(a)
        assert exc.value.code == "election_not_active"

    def test_accepting_rechecks_overlap(self):
        e = f.election()
        v = f.volunteer()
        morning = invite_one(f.shift(e, start=8, end=14), v)
        services.decline(morning)
        invite_one(f.shift(e, start=10, end=16), v)
        with pytest.raises(RuleViolation) as exc:
            services.accept(morning)
        assert exc.value.code == "overlap"

    def test_removed_cannot_be_accepted(self):
        a = invite_one(f.shift(), f.volunteer())
        Assignment.objects.filter(pk=a.pk).update(status=Status.REMOVED)
        with pytest.raises(RuleViolation) as exc:
            services.accept(a)
        assert exc.value.code == "not_acceptable"

    def test_expiry_only_touches_old_invitations_of_active_elections(self):
        old = timezone.now() - timedelta(days=8)
        a = invite_one(f.shift(), f.volunteer())
        fresh = invite_one(f.shift(), f.volunteer())
        Assignment.objects.filter(pk=a.pk).update(invited_at=old)
        draft = f.election(status=Election.Status.DRAFT)
        stale = Assignment.objects.create(
            shift=f.shift(draft), volunteer=f.volunteer(), invited_at=old
        )
        assert services.expire_invitations() == 1
        statuses = dict(Assignment.objects.values_list("pk", "status"))
        assert statuses == {a.pk: "expired", fresh.pk: "invited", stale.pk: "invited"}


def test_lock_days_are_calendar_days_across_dst():
    """Denmark leaves summer time on Sunday 25 October 2026. A shift at 08:00 on
    Tuesday 27 October with lock_days=3 locks at 08:00 on Saturday 24 October,
    local time (counting 72 hours back would give 09:00)."""
    from staffing.rules import self_service_open

    shift = f.shift(f.election())
    shift.starts_at = f.at(date(2026, 10, 27), 8).astimezone(UTC)  # as loaded from the DB
    shift.election.lock_days = 3
    lock = f.at(date(2026, 10, 24), 8)
    assert self_service_open(shift, lock - timedelta(minutes=1))
    assert not self_service_open(shift, lock)
