"""Answering an invitation by SMS: Twilio's signed "a message comes in" webhook,
"JA"/"NEJ" through the staffing services, a reply with the link otherwise, and
nothing at all for a number we do not know."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AuditEntry
from notifications.inbound import Answer, parse_answer
from notifications.models import InboundMessage, Message
from staffing import services
from staffing.models import Assignment
from tests import factories
from tests.fakes.scenarios import invite_one, resolve
from tests.fakes.twilio_server import new_sid

PHONE = "+4520123456"
INBOUND = reverse("notifications:twilio_inbound")
Status = Assignment.Status
Outcome = InboundMessage.Outcome

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("JA", (Answer.YES, "")),
        ("ja tak", (Answer.YES, "tak")),
        ("  Ja!  ", (Answer.YES, "")),
        ("Jà", (Answer.YES, "")),
        ("YES please", (Answer.YES, "please")),
        ("NEJ", (Answer.NO, "")),
        ("nej, jeg er syg den dag", (Answer.NO, "jeg er syg den dag")),
        ("NÉJ", (Answer.NO, "")),
        ("Nej \u2013 syg", (Answer.NO, "syg")),
        ("no", (Answer.NO, "")),
        ("Jamen", (None, "")),
        ("hej", (None, "")),
        ("nejtak", (None, "")),
        ("", (None, "")),
        ("?", (None, "")),
    ],
)
def test_what_a_reply_answers(body, expected):
    assert parse_answer(body) == expected


# --- over the webhook ------------------------------------------------------------------


@pytest.fixture
def inbound(client, fake_twilio, django_capture_on_commit_callbacks):
    """Send an SMS from ``sender`` through the signed webhook (on-commit work runs)."""

    def send(body: str, sender: str = PHONE, sid: str | None = None):
        _url, params, signature = fake_twilio.inbound(
            sender, body, "http://testserver" + INBOUND, sid=sid
        )
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(INBOUND, params, HTTP_X_TWILIO_SIGNATURE=signature)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/xml")
        return params["MessageSid"]

    return send


@pytest.fixture
def invited(django_capture_on_commit_callbacks):
    """An SMS volunteer with one open invitation (its SMS already sent)."""
    volunteer = factories.volunteer(channel="sms", phone=PHONE, first_name="Karen")
    with django_capture_on_commit_callbacks(execute=True):
        return invite_one(volunteer)


def _replies() -> list[Message]:
    return list(Message.objects.filter(kind="sms_reply").order_by("pk"))


def test_ja_accepts_the_one_open_invitation(inbound, invited, fake_twilio):
    sid = inbound("Ja tak!")

    invited.refresh_from_db()
    assert invited.status == Status.ACCEPTED
    entry = AuditEntry.objects.get(action="staffing.accept")
    assert entry.actor_kind == "volunteer"
    assert entry.actor is None
    # The services confirm it, by SMS, as for an answer on the page; no other reply.
    confirmation = Message.objects.get(kind="accepted")
    assert confirmation.status == Message.Status.SENT
    assert fake_twilio.received[-1].to == PHONE
    assert _replies() == []
    record = InboundMessage.objects.get(provider_id=sid)
    assert record.outcome == Outcome.ACCEPTED
    assert (record.subject_type, record.subject_id) == ("staffing.assignment", invited.pk)


def test_nej_declines_with_the_text_after_it_as_the_reason(inbound, invited):
    inbound("NEJ, jeg er på ferie")

    invited.refresh_from_db()
    assert invited.status == Status.DECLINED
    assert invited.reason == "jeg er på ferie"
    assert Message.objects.filter(kind="declined").count() == 1


def test_twilios_retry_of_the_same_sms_changes_nothing(inbound, invited, fake_twilio):
    sid = inbound("hvad?")  # unclear: a reply with the link
    sent = len(fake_twilio.received)

    inbound("hvad?", sid=sid)

    assert len(_replies()) == 1
    assert len(fake_twilio.received) == sent
    assert InboundMessage.objects.filter(provider_id=sid).count() == 1


def test_an_unclear_text_gets_the_question_again_with_the_link(inbound, invited, fake_twilio):
    inbound("Hvem er I?")

    invited.refresh_from_db()
    assert invited.status == Status.INVITED
    [reply] = _replies()
    assert reply.to == PHONE
    assert reply.status == Message.Status.SENT
    sms = fake_twilio.received[-1]
    assert "Reply YES to accept or NO to decline" in sms.body
    assert invited.shift.role.name in sms.body
    assert invited.shift.station.name in sms.body
    assert resolve(sms.body).volunteer_id == invited.volunteer_id  # a working personal link


def test_with_two_open_invitations_ja_answers_neither(inbound, invited, fake_twilio):
    second = services.invite(
        factories.shift(invited.shift.election, start=21, end=23), [invited.volunteer], by=None
    ).invited[0]

    inbound("JA")

    assert {a.status for a in Assignment.objects.filter(pk__in=[invited.pk, second.pk])} == {
        Status.INVITED
    }
    sms = fake_twilio.received[-1]
    assert "You have 2 open invitations" in sms.body
    assert resolve(sms.body).volunteer_id == invited.volunteer_id


def test_a_refused_answer_is_told_why(inbound, django_capture_on_commit_callbacks, fake_twilio):
    team = factories.team("Venstre")
    volunteer = factories.volunteer(channel="sms", phone=PHONE)
    volunteer.teams.add(team)
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invite_one(volunteer, team=team)
    volunteer.teams.remove(team)  # left the party after the invitation

    sid = inbound("ja")

    invitation.refresh_from_db()
    assert invitation.status == Status.INVITED
    assert "Your answer could not be recorded." in fake_twilio.received[-1].body
    assert InboundMessage.objects.get(provider_id=sid).outcome == Outcome.REFUSED


def test_no_open_invitation_gets_the_link_to_the_page(inbound, invited, fake_twilio):
    services.accept(invited)

    inbound("JA")

    assert "You have no open invitations" in fake_twilio.received[-1].body


def test_an_unknown_number_gets_nothing(inbound, invited, fake_twilio):
    sent = len(fake_twilio.received)

    sid = inbound("JA", sender="+4599887766")

    invited.refresh_from_db()
    assert invited.status == Status.INVITED
    assert len(fake_twilio.received) == sent
    assert _replies() == []
    record = InboundMessage.objects.get(provider_id=sid)
    assert (record.outcome, record.subject_id) == (Outcome.UNKNOWN_SENDER, None)


def test_do_not_contact_gets_no_reply(inbound, invited, fake_twilio):
    invited.volunteer.do_not_contact = True
    invited.volunteer.save()

    inbound("hvad?")

    assert _replies() == []


def test_the_reply_is_in_the_volunteers_language(inbound, invited, fake_twilio):
    invited.volunteer.language = "da"
    invited.volunteer.save()

    inbound("hvad?")

    assert "Svar JA for at sige ja eller NEJ for at sige nej" in fake_twilio.received[-1].body


@pytest.mark.parametrize("how", ["unsigned", "wrong-token", "tampered"])
def test_a_forged_sms_is_refused_and_answers_nothing(client, fake_twilio, invited, how):
    _url, params, signature = fake_twilio.inbound(PHONE, "JA", "http://testserver" + INBOUND)
    if how == "wrong-token":
        fake_twilio.auth_token = "not-the-token"
        _url, params, signature = fake_twilio.inbound(
            PHONE, "JA", "http://testserver" + INBOUND, sid=params["MessageSid"]
        )
    if how == "tampered":
        params["Body"] = "NEJ"
    headers = {} if how == "unsigned" else {"HTTP_X_TWILIO_SIGNATURE": signature}

    response = client.post(INBOUND, params, **headers)

    assert response.status_code == 403
    invited.refresh_from_db()
    assert invited.status == Status.INVITED
    assert not InboundMessage.objects.exists()


def test_the_webhook_refuses_get(client):
    assert client.get(INBOUND).status_code == 405


@pytest.mark.django_db(transaction=True)
def test_an_sms_over_http_answers_through_the_services(fake_twilio, live_server, settings):
    settings.SITE_URL = live_server.url
    volunteer = factories.volunteer(channel="sms", phone=PHONE)
    invitation = invite_one(volunteer)  # autocommit: the invitation goes out

    status = fake_twilio.send_inbound(PHONE, "nej", live_server.url + INBOUND, sid=new_sid("SM"))

    assert status == 200
    invitation.refresh_from_db()
    assert invitation.status == Status.DECLINED
    assert fake_twilio.received[-1].to == PHONE  # the confirmation of the decline
