"""Bad input and privacy: NUL bytes, tokens in logs and in stored messages,
impossible dates, link housekeeping."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from notifications.models import Message
from pollcrew.logs import RedactTokens
from pollcrew.redaction import redact
from staffing import services
from staffing.links import issue_link, purge_expired
from staffing.messaging import messages_for_volunteer
from staffing.models import PersonalLink
from staffing.tasks import purge_expired_links
from tests import factories as f

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_nul_bytes_are_a_400_not_a_500(coordinator):
    e = f.election()
    shift = f.shift(e)
    client = login(coordinator)
    board = reverse("staffing:board", args=[e.pk])
    assert client.get(board, {"q": "skole\x00"}).status_code == 400
    invite = reverse("staffing:invite", args=[e.pk, shift.pk])
    assert client.get(invite, {"q": "\x00"}).status_code == 400
    assert client.post(invite, {"volunteers": ["1\x00"]}).status_code == 400
    admin = Client()
    from accounts.models import User

    admin.force_login(User.objects.create_superuser("a@kommune.dk", "et-langt-kodeord"))
    url = reverse("admin:staffing_assignment_changelist")
    assert admin.get(url, {"status": "\x00"}).status_code == 400


def test_nul_in_a_volunteers_reason_is_a_400(client):
    v = f.volunteer()
    [a] = services.invite(f.shift(), [v], by=None).invited
    token = issue_link(v, a.shift.election)
    url = reverse("portal:decline", args=[token, a.pk])
    assert client.post(url, {"reason": "nej\x00"}).status_code == 400
    a.refresh_from_db()
    assert a.status == "invited"


def test_log_lines_never_carry_a_token():
    record = logging.LogRecord(
        "django.request",
        logging.WARNING,
        __file__,
        1,
        "Not Found: %s",
        ("/v/AbCdEf0123456789_-AbCdEf0123456789/a/3/accept/",),
        None,
    )
    RedactTokens().filter(record)
    assert record.getMessage() == "Not Found: /v/[redacted]/a/3/accept/"
    handlers = settings.LOGGING["handlers"]
    assert all("redact_tokens" in h.get("filters", []) for h in handlers.values())
    assert settings.LOGGING["loggers"]["django.server"]["handlers"] == ["console"]


def test_sent_messages_keep_no_live_link(committed, mailoutbox):
    v = f.volunteer()
    committed(services.invite, f.shift(), [v], by=None)
    message = messages_for_volunteer(v).get()
    assert message.status == "sent"
    assert "/v/[redacted]/" in message.body and "/v/[redacted]/" in message.body_html
    sent_text = mailoutbox[0].body
    assert "/v/[redacted]/" not in sent_text
    assert redact(sent_text) == message.body


def test_admin_never_shows_a_live_link():
    v = f.volunteer()
    services.invite(f.shift(), [v], by=None)  # not dispatched: still queued, link inside
    message = messages_for_volunteer(v).get()
    assert message.status == "queued" and "/v/[redacted]/" not in message.body
    from accounts.models import User

    admin = Client()
    admin.force_login(User.objects.create_superuser("a@kommune.dk", "et-langt-kodeord"))
    page = admin.get(reverse("admin:notifications_message_change", args=[message.pk]))
    html = page.content.decode()
    assert "/v/[redacted]/" in html
    token = message.body.split("/v/")[1].split("/")[0]
    assert token not in html


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "2026-02-30"])
def test_roster_for_a_day_without_shifts_is_404(coordinator, day):
    e = f.election()
    shift = f.shift(e)
    url = reverse("documents:roster", args=[e.pk, shift.station_id, day])
    assert login(coordinator).get(url).status_code == 404


def test_search_finds_names_whatever_the_case(coordinator):
    e = f.election()
    shift = f.shift(e)
    f.volunteer(first_name="Jürgen", last_name="Strauß")
    f.volunteer(first_name="Åse", last_name="Ørsted")
    client = login(coordinator)
    url = reverse("staffing:invite", args=[e.pk, shift.pk])
    for query in ("strauß", "STRAUß", "jürgen", "ÅSE ØRSTED", "ørs"):
        found = [c.volunteer.last_name for c in client.get(url, {"q": query}).context["candidates"]]
        assert found and found[0] in ("Strauß", "Ørsted"), query


def test_htmx_history_restore_gets_the_whole_page(coordinator):
    e = f.election()
    shift = f.shift(e)
    url = reverse("staffing:invite", args=[e.pk, shift.pk])
    client = login(coordinator)
    partial = client.get(url, {"q": "x"}, HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode()
    assert "HX-Request" in partial["Vary"]
    restore = client.get(
        url, {"q": "x"}, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert "<html" in restore.content.decode()


def test_expired_links_are_purged_after_a_while():
    v = f.volunteer()
    e = f.election()
    issue_link(v, e)
    old, recent, live = (issue_link(v, e) for _ in range(3))
    now = timezone.now()
    links = list(PersonalLink.objects.order_by("pk"))
    PersonalLink.objects.filter(pk=links[1].pk).update(expires_at=now - timedelta(days=31))
    PersonalLink.objects.filter(pk=links[2].pk).update(expires_at=now - timedelta(days=29))
    assert purge_expired() == 1
    assert purge_expired_links() == 0
    assert PersonalLink.objects.count() == 3
    assert old and recent and live


def test_staff_password_reset_goes_through_the_outbox(client, mailoutbox, committed):
    f.user("koordinator@kommune.dk", coordinator=True)
    response = committed(
        client.post, reverse("account_reset_password"), {"email": "koordinator@kommune.dk"}
    )
    assert response.status_code == 302
    message = Message.objects.get(to="koordinator@kommune.dk")
    assert message.kind == "account_password_reset_key"
    assert message.status == "sent"
    [email] = mailoutbox
    assert "/accounts/password/reset/key/" in email.body
    # The stored copy keeps no working reset link.
    assert "/accounts/password/reset/key/[redacted]/" in message.body
    assert redact(email.body) == message.body


def test_log_lines_never_carry_a_reset_key():
    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"GET %s HTTP/1.1" 200',
        ("/accounts/password/reset/key/3-cb7x-a1b2c3/",),
        None,
    )
    RedactTokens().filter(record)
    assert record.getMessage() == '"GET /accounts/password/reset/key/[redacted]/ HTTP/1.1" 200'
