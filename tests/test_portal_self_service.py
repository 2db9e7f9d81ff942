"""What a volunteer does for themselves on the personal page: "don't ask me
again" (declines open invitations, cancels queued messages, keeps booked seats,
the office can undo it), their needs, and a new mobile number or email proved
with a one-time code before it replaces the old one, which is told. Every form
needs the page's form token; nothing here answers 500."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.models import AuditEntry
from notifications import sms
from notifications.models import Message
from portal.views import answer_token
from staffing import services
from staffing.links import issue_link
from staffing.models import Assignment, PersonalLink, hash_token
from tests import factories as f
from volunteers.models import Volunteer
from volunteers.services import update_volunteer

pytestmark = pytest.mark.django_db
Status = Assignment.Status
OLD = "+4520111111"
NEW = "+4520222222"


@pytest.fixture
def person(committed):
    volunteer = f.volunteer("sms", first_name="Mette", phone=OLD, email="mette@example.dk")
    election = f.election()
    invited_shift = f.shift(election, capacity=3, start=8, end=12)
    booked_shift = f.shift(election, capacity=3, start=14, end=20)
    committed(services.invite, invited_shift, [volunteer], by=None)
    [booked] = committed(services.invite, booked_shift, [volunteer], by=None).invited
    committed(services.accept, booked)
    token = issue_link(volunteer, invited_shift.election)
    sms.outbox.clear()
    return volunteer, token


def post(client, token: str, name: str, **data):
    link = PersonalLink.objects.get(token_hash=hash_token(token))
    url = reverse(f"portal:{name}", args=[token])
    return client.post(url, {"answer_token": answer_token(link, 0), **data})


def code_sent_to(phone: str) -> str:
    [record] = [r for r in sms.outbox if r.to == phone]
    return re.search(r"\b(\d{6})\b", record.body).group(1)


def test_dont_ask_me_again(client, person, committed):
    volunteer, token = person
    waiting = Message.objects.create(
        channel="sms",
        to=OLD,
        kind="x",
        language="en",
        idempotency_key="later",
        subject_type="volunteers.volunteer",
        subject_id=volunteer.pk,
    )
    response = committed(post, client, token, "stop_contact")
    assert response.status_code == 302
    volunteer.refresh_from_db()
    assert volunteer.do_not_contact
    statuses = sorted(
        Assignment.objects.filter(volunteer=volunteer).values_list("status", flat=True)
    )
    assert statuses == [Status.ACCEPTED, Status.DECLINED]
    waiting.refresh_from_db()
    assert waiting.status == Message.Status.CANCELLED
    assert sms.outbox == []  # not even a confirmation of the decline
    page = client.get(reverse("portal:home", args=[token])).content.decode()
    assert "We will not contact you again" in page and "Yes, don&#x27;t ask me again" not in page
    # The office can undo it.
    update_volunteer(volunteer, by=f.user(coordinator=True), do_not_contact=False)
    volunteer.refresh_from_db()
    assert not volunteer.do_not_contact


def test_a_new_number_needs_the_code_and_the_old_one_is_told(client, person, committed):
    volunteer, token = person
    response = committed(
        post, client, token, "change_contact", channel="sms", address="20 22 22 22"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "We have sent a code to <bdi>+45 20 22 22 22</bdi>" in html
    volunteer.refresh_from_db()
    assert volunteer.phone == OLD  # not yet
    code = code_sent_to(NEW)

    wrong = committed(
        post,
        client,
        token,
        "verify_contact",
        channel="sms",
        address=NEW,
        code="000000" if code != "000000" else "111111",
    )
    assert "That code is wrong or too old" in wrong.content.decode()
    volunteer.refresh_from_db()
    assert volunteer.phone == OLD

    done = committed(post, client, token, "verify_contact", channel="sms", address=NEW, code=code)
    assert done.status_code == 302
    volunteer.refresh_from_db()
    assert volunteer.phone == NEW
    [told] = [r for r in sms.outbox if r.to == OLD]
    assert "your mobile number for election work is now" in told.body
    assert "is now +45 ** 22 22 22." not in told.body
    assert "is now +45 ** ** 22 22." in told.body  # masked
    entry = AuditEntry.objects.filter(action="volunteers.update_volunteer").latest("pk")
    assert entry.changes["phone"] == [OLD, NEW] and entry.actor_id is None
    again = committed(post, client, token, "verify_contact", channel="sms", address=NEW, code=code)
    assert "That code is wrong or too old" in again.content.decode()  # used up


def test_a_new_email_by_code(client, person, committed, mailoutbox):
    volunteer, token = person
    committed(post, client, token, "change_contact", channel="email", address="Mette@Ny.DK")
    [mail] = mailoutbox
    assert mail.to == ["mette@ny.dk"]
    code = re.search(r"\b(\d{6})\b", mail.subject).group(1)
    committed(
        post, client, token, "verify_contact", channel="email", address="mette@ny.dk", code=code
    )
    volunteer.refresh_from_db()
    assert volunteer.email == "mette@ny.dk"
    told = mailoutbox[-1]
    assert told.to == ["mette@example.dk"] and "m***@ny.dk" in told.body


@pytest.mark.parametrize(
    ("channel", "address", "error"),
    [
        ("sms", "12", "valid"),
        ("sms", "80 10 20 30", "not a mobile number"),
        ("email", "not-an-email", "valid email"),
        ("sms", OLD, "the address we have already"),
    ],
)
def test_a_bad_new_address_is_refused_clearly(client, person, channel, address, error):
    volunteer, token = person
    response = post(client, token, "change_contact", channel=channel, address=address)
    assert response.status_code == 302
    page = client.get(reverse("portal:home", args=[token])).content.decode()
    assert error in page
    assert sms.outbox == [] and Volunteer.objects.get(pk=volunteer.pk).phone == OLD


def test_needs(client, person):
    volunteer, token = person
    post(client, token, "needs", diet="Vegetar, kørestol")
    volunteer.refresh_from_db()
    assert volunteer.diet == "Vegetar, kørestol"


@pytest.mark.parametrize("name", ["stop_contact", "needs", "change_contact", "verify_contact"])
def test_every_form_needs_the_page_token(client, person, name):
    volunteer, token = person
    url = reverse(f"portal:{name}", args=[token])
    assert client.post(url, {"diet": "x", "channel": "sms", "address": NEW}).status_code == 403
    assert client.get(url).status_code == 404
    assert client.post(url.replace(token, "x" * 43)).status_code == 404
    volunteer.refresh_from_db()
    assert not volunteer.do_not_contact and volunteer.diet == ""
