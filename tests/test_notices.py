"""What volunteers are told when an invitation ends without their answer: it
expired (the answer-by date passed), or it was withdrawn (the election closed)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditEntry
from elections.models import Election
from notifications.models import Message
from staffing import services
from staffing.models import Assignment
from staffing.services.closing import change_election_status
from tests import factories as f
from tests.fakes.scenarios import resolve

pytestmark = pytest.mark.django_db
S = Assignment.Status


def invited(election=None, **kw) -> Assignment:
    shift = f.shift(election, **kw)
    [seat] = services.invite(shift, [f.volunteer("sms")], by=None).invited
    return seat


def notices(kind: str) -> list[Message]:
    return list(Message.objects.filter(kind=kind).order_by("pk"))


def test_an_expired_invitation_is_told_once_with_a_link(committed):
    seat = invited()
    later = seat.invited_at + timedelta(days=8)

    assert committed(services.expire_invitations, later) == 1
    assert committed(services.expire_invitations, later) == 0

    seat.refresh_from_db()
    assert seat.status == S.EXPIRED
    [notice] = notices("expired")
    assert notice.status == Message.Status.SENT  # dispatched on commit, sent eagerly
    assert notice.to == seat.volunteer.phone
    assert "has expired" in notice.body
    assert notice.subject_id == seat.pk


def test_no_word_when_the_shift_has_begun_or_to_do_not_contact(committed):
    started = invited()
    dnc = invited()
    dnc.volunteer.do_not_contact = True
    dnc.volunteer.save()

    committed(services.expire_invitations, started.shift.starts_at + timedelta(minutes=1))

    assert Assignment.objects.filter(status=S.EXPIRED).count() == 2
    assert notices("expired") == []


def test_closing_an_election_withdraws_its_open_invitations_and_says_so(
    committed, coordinator, fake_twilio
):
    election = f.election()
    open_ = [invited(election) for _ in range(2)]
    accepted = invited(election)
    services.accept(accepted)
    reminder_soon = Message.objects.filter(kind="accepted").count()

    committed(change_election_status, election, Election.Status.CLOSED, by=coordinator)

    assert {a.status for a in Assignment.objects.filter(pk__in=[a.pk for a in open_])} == {
        S.EXPIRED
    }
    accepted.refresh_from_db()
    assert accepted.status == S.ACCEPTED
    withdrawn = notices("invitation_withdrawn")
    assert sorted(m.subject_id for m in withdrawn) == sorted(a.pk for a in open_)
    assert {m.status for m in withdrawn} == {Message.Status.SENT}
    bodies = [sms.body for sms in fake_twilio.received if "is withdrawn" in sms.body]
    assert len(bodies) == 2
    assert "http" not in bodies[0]  # nothing left to answer: no link
    entries = AuditEntry.objects.filter(action="staffing.expire", detail__reason="election_closed")
    assert entries.count() == 2 and {e.actor for e in entries} == {coordinator}
    assert Message.objects.filter(kind="accepted").count() == reminder_soon


def test_reopening_and_closing_again_tells_nobody_twice(committed, coordinator):
    election = f.election()
    invited(election)
    committed(change_election_status, election, Election.Status.CLOSED, by=coordinator)
    committed(change_election_status, election, Election.Status.ACTIVE, by=coordinator)
    committed(change_election_status, election, Election.Status.CLOSED, by=coordinator)

    assert len(notices("invitation_withdrawn")) == 1


def test_the_expired_notice_links_to_the_volunteers_page(committed, fake_twilio):
    seat = invited()
    Assignment.objects.filter(pk=seat.pk).update(invited_at=timezone.now() - timedelta(days=8))

    committed(services.expire_invitations)

    [sms] = [r for r in fake_twilio.received if "has expired" in r.body]
    assert resolve(sms.body).volunteer_id == seat.volunteer_id
