"""Email: what volunteers receive, and delivery over real SMTP (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from notifications.models import Message
from notifications.tasks import sweep_outbox
from staffing import services
from staffing.models import Assignment
from tests import factories
from tests.fakes.scenarios import invite_one, link_in, make_due, message_for, resolve

Status = Message.Status
DANISH_WEEKDAYS = ["mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag"]
ENGLISH_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

pytestmark = pytest.mark.django_db


@pytest.fixture
def invite(django_capture_on_commit_callbacks):
    """Invite an email volunteer to a new shift and dispatch the invitation."""

    def run(election=None, **volunteer_kw) -> tuple[Message, Assignment]:
        volunteer = factories.volunteer(channel="email", **volunteer_kw)
        with django_capture_on_commit_callbacks(execute=True):
            assignment = invite_one(volunteer, election_=election)
        return message_for(volunteer, "invitation"), assignment

    return run


def _html(email) -> str:
    [(html, mimetype)] = email.alternatives
    assert mimetype == "text/html"
    return html


# --- content ----------------------------------------------------------------------------


def test_invitation_email(invite, mailoutbox, client):
    message, assignment = invite(first_name="Karen")
    shift = assignment.shift

    [email] = mailoutbox
    assert email.to == [assignment.volunteer.email]
    assert email.subject == f"You are invited to help at the {shift.election.name}"
    assert email.extra_headers["Auto-Submitted"] == "auto-generated"
    text, html = email.body, _html(email)
    for part in (text, html):
        assert "Dear Karen," in part
        assert shift.role.name in part
        assert shift.station.name in part
        assert "Testrup Kommune" in part
    url, _token = link_in(text)
    assert url in html
    link = resolve(text)
    assert link.volunteer == assignment.volunteer
    assert link.election == shift.election
    # The link opens the volunteer's page, showing this shift.
    response = client.get(url.removeprefix("http://testserver"))
    assert response.status_code == 200
    assert shift.station.name in response.content.decode()
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.subject == email.subject


@pytest.mark.parametrize(
    ("answer", "kind", "subject_start"),
    [
        ("accept", "accepted", "Confirmed: you are "),
        ("decline", "declined", "You declined: "),
        ("withdraw", "withdrawn", "Cancelled: "),
    ],
)
def test_confirmation_email(
    invite, mailoutbox, django_capture_on_commit_callbacks, answer, kind, subject_start
):
    _message, assignment = invite(first_name="Karen")
    with django_capture_on_commit_callbacks(execute=True):
        if answer in ("accept", "withdraw"):
            assignment = services.accept(assignment)
        if answer in ("decline", "withdraw"):
            assignment = services.decline(assignment)

    email = mailoutbox[-1]
    shift = assignment.shift
    assert email.subject.startswith(subject_start)
    assert shift.role.name in email.subject
    assert shift.election.name in email.subject
    assert "Dear Karen," in email.body
    assert "Dear Karen," in _html(email)
    link = resolve(email.body)  # a fresh link to see or change the answer
    assert link.volunteer == assignment.volunteer
    assert link_in(email.body)[0] in _html(email)
    assert message_for(assignment.volunteer, kind).status == Status.SENT


def test_html_part_escapes_the_name_and_text_part_shows_it(invite, mailoutbox):
    invite(first_name="<b>Ole & Co</b>")

    [email] = mailoutbox
    assert "Dear <b>Ole & Co</b>," in email.body
    html = _html(email)
    assert "&lt;b&gt;Ole &amp; Co&lt;/b&gt;" in html
    assert "<b>Ole" not in html


def _december_election():
    return factories.election(election_date=date(timezone.localdate().year + 1, 12, 10))


def test_danish_volunteer_gets_danish_dates(invite, mailoutbox):
    election = _december_election()
    invite(election=election, language="da")

    [email] = mailoutbox
    day = election.election_date
    for part in (email.body, _html(email)):
        assert f"{DANISH_WEEKDAYS[day.weekday()]} den 10. december {day.year}" in part
        assert "December" not in part
        assert ENGLISH_WEEKDAYS[day.weekday()] not in part
    assert '<html lang="da">' in _html(email)


def test_english_volunteer_gets_english_dates(invite, mailoutbox):
    election = _december_election()
    invite(election=election, language="en")

    [email] = mailoutbox
    day = election.election_date
    assert f"{ENGLISH_WEEKDAYS[day.weekday()]} 10 December {day.year}" in email.body
    assert '<html lang="en">' in _html(email)


# --- real SMTP ---------------------------------------------------------------------------


def test_invitation_over_smtp(invite, smtp_sink):
    message, assignment = invite(first_name="Karen")

    [received] = smtp_sink.wait_for(1)
    [(sender, recipients)] = smtp_sink.envelopes
    assert recipients == [assignment.volunteer.email]
    assert "valg@pollcrew.invalid" in sender
    assert received["To"] == assignment.volunteer.email
    assert received["Subject"] == message.subject
    assert received["Auto-Submitted"] == "auto-generated"
    assert received.get_content_type() == "multipart/alternative"
    text = received.get_body(preferencelist=("plain",)).get_content()
    html = received.get_body(preferencelist=("html",)).get_content()
    assert resolve(text).volunteer == assignment.volunteer
    assert link_in(text)[0] in html
    message.refresh_from_db()
    assert message.status == Status.SENT


def test_danish_letters_survive_smtp(invite, smtp_sink):
    invite(first_name="Søren Ærø-Åberg")

    [received] = smtp_sink.wait_for(1)
    assert "Dear Søren Ærø-Åberg," in received.get_body(preferencelist=("plain",)).get_content()


def test_smtp_server_down_keeps_the_message_queued(invite, smtp_down, smtp_sink, settings):
    # smtp_sink runs, but the settings point at the closed port until we switch.
    settings.EMAIL_PORT = smtp_down
    message, _assignment = invite()

    message.refresh_from_db()
    assert message.status == Status.QUEUED
    assert message.attempts == 1
    assert message.last_error.startswith("SMTP:")
    assert message.scheduled_for > timezone.now()
    assert smtp_sink.messages == []

    # The server is back; the retry goes out when it is due.
    settings.EMAIL_PORT = smtp_sink.port
    make_due(message)
    assert sweep_outbox() == 1
    smtp_sink.wait_for(1)
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.attempts == 2
    assert len(smtp_sink.messages) == 1


def test_greylisted_recipient_is_retried(invite, smtp_sink):
    """A 4xx answer to RCPT TO means "later" (greylisting, a full mailbox). It used
    to fail the message for good, like a 5xx."""
    address = "grey@example.dk"
    smtp_sink.refuse[address] = "451 4.7.1 Greylisted, please try again later"

    message, _assignment = invite(email=address)

    message.refresh_from_db()
    assert message.status == Status.QUEUED
    assert "451" in message.last_error
    del smtp_sink.refuse[address]
    make_due(message)
    sweep_outbox()
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert len(smtp_sink.wait_for(1)) == 1


def test_unknown_recipient_fails_for_good(invite, smtp_sink):
    address = "nobody@example.dk"
    smtp_sink.refuse[address] = "550 5.1.1 No such user"

    message, _assignment = invite(email=address)

    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert message.attempts == 1
    assert "550" in message.last_error
    make_due(message)
    assert sweep_outbox() == 0
