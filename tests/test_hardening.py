"""Bad input and privacy: NUL bytes, tokens in logs and in stored messages,
impossible dates, link housekeeping."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from notifications.models import Message
from pollcrew.logs import RedactPersonalData
from pollcrew.redaction import redact, scrub
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
    RedactPersonalData().filter(record)
    assert record.getMessage() == "Not Found: /v/[redacted]/a/3/accept/"
    handlers = settings.LOGGING["handlers"]
    assert all("scrub" in h.get("filters", []) for h in handlers.values())
    for name in ("django", "django.server", "celery"):
        assert settings.LOGGING["loggers"][name]["handlers"] == ["console"], name
    assert settings.CELERY_WORKER_HIJACK_ROOT_LOGGER is False


LEAKY = """
import logging, os, django
os.environ["DJANGO_SETTINGS_MODULE"] = "pollcrew.settings"
django.setup()
request = logging.getLogger("django.request")
request.warning("Not Found: %s", "/v/AbCdEf0123456789_-AbCdEf0123456789/")
logging.getLogger("django.security").error("Bad input from karen.jensen@example.org")
logging.getLogger("celery.app.trace").error("Unable to create record: Invalid To +4512345678")
logging.getLogger("notifications.tasks").warning("SMS to +45 20 12 34 56 failed")
try:
    raise ValueError("Invalid 'To' Phone Number: +4520123456 for bo@example.dk")
except ValueError:
    request.exception("Internal Server Error: /v/XyZ0123456789XyZ0123456789/")
"""


@pytest.mark.parametrize("debug", ["true", "false"])
def test_djangos_own_loggers_redact_and_mask(debug):
    """Through the configuration a server runs with (Django's loggers, Celery's,
    a traceback), with DEBUG on and off: no token, no number, no address."""
    env = {**os.environ, "DEBUG": debug, "LOG_LEVEL": "INFO"}
    done = subprocess.run(
        [sys.executable, "-c", LEAKY],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    logged = done.stderr + done.stdout
    for secret in (
        "AbCdEf0123456789_-AbCdEf0123456789",
        "XyZ0123456789XyZ0123456789",
        "karen.jensen@",
        "bo@example.dk",
        "+4512345678",
        "+4520123456",
        "20 12 34 56",
    ):
        assert secret not in logged, (secret, logged)
    for shown in ("/v/[redacted]/", "k•••@example.org", "+45 •• •• •• 78", "+45 •• •• •• 56"):
        assert shown in logged, (shown, logged)
    assert "Traceback" in logged  # the error is still there to read


CELERY_WORKER_LOGGING = """
import logging, os, django
os.environ["DJANGO_SETTINGS_MODULE"] = "pollcrew.settings"
django.setup()
from celery.utils.log import get_task_logger
from pollcrew.celery import app
app.log.setup(loglevel="INFO")  # what `celery worker` does when it starts
get_task_logger("notifications.tasks").warning("SMS to +4520123456 failed for bo@example.dk")
logging.getLogger("celery.worker").error("Task for /v/AbCdEf0123456789_-AbCdEf0123456789 failed")
"""


def test_the_celery_workers_own_loggers_mask_too():
    """Celery gives task loggers a handler of its own unless told not to."""
    done = subprocess.run(
        [sys.executable, "-c", CELERY_WORKER_LOGGING],
        cwd=settings.BASE_DIR,
        env={**os.environ, "LOG_LEVEL": "INFO"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    logged = done.stderr + done.stdout
    for secret in ("4520123456", "bo@example.dk", "AbCdEf0123456789_-AbCdEf0123456789"):
        assert secret not in logged, (secret, logged)
    assert "SMS to +45 •• •• •• 56 failed for b•••@example.dk" in logged
    assert "/v/[redacted]" in logged


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        # A token at the end of a path, or before a query.
        ("GET /v/AbCdEf0123456789_-AbCd HTTP/1.1", "GET /v/[redacted] HTTP/1.1"),
        ("GET /v/AbCdEf0123456789_-AbCd?lang=da", "GET /v/[redacted]?lang=da"),
        # Percent-encoded in a query string.
        (
            "/x/?to=%2B4520123456&who=karen%40example.org",
            "/x/?to=+45 •• •• •• 56&who=k•••@example.org",
        ),
        ("%2Fv%2FAbCdEf0123456789_-AbCd%2Faccept", "/v/[redacted]/accept"),
        # National numbers, written without a "+".
        ("Invalid To 20123456", "Invalid To +45 •• •• •• 56"),
        ("ring 20 12 34 56 nu", "ring +45 •• •• •• 56 nu"),
        ("phone=004520123456&x=1", "phone=+45 •• •• •• 56&x=1"),
        ("0045 20 12 34 56", "+45 •• •• •• 56"),
        (
            '"GET /x/?to=20123456 HTTP/1.1" 200 20123456',
            '"GET /x/?to=+45 •• •• •• 56 HTTP/1.1" 200 +45 •• •• •• 56',
        ),
        ('"GET / HTTP/1.1" 200 5123 "-"', '"GET / HTTP/1.1" 200 5123 "-"'),
        ("valg 02.12.2026 og 2026-12-02", "valg 02.12.2026 og 2026-12-02"),
        (
            "Task x[c221e297-8378-4f64-b38a-d8c251fb51a4] ok",
            "Task x[c221e297-8378-4f64-b38a-d8c251fb51a4] ok",
        ),
        # What is not a phone number stays readable.
        ("GET /staff/elections/12/ 200 1534", "GET /staff/elections/12/ 200 1534"),
        (
            "2026-12-02 04:10:31,632 succeeded in 0.003064749s",
            "2026-12-02 04:10:31,632 succeeded in 0.003064749s",
        ),
    ],
)
def test_scrub_finds_tokens_numbers_and_addresses_in_every_spelling(line, shown):
    assert scrub(line) == shown


def test_a_log_line_that_cannot_be_scrubbed_is_withheld(monkeypatch):
    def broken(_text):
        raise RuntimeError("boom")

    monkeypatch.setattr("pollcrew.logs.scrub", broken)
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "to %s", ("+4520123456",), None)
    RedactPersonalData().filter(record)
    assert record.getMessage() == RedactPersonalData.WITHHELD


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


def test_password_reset_never_emails_an_unknown_address(client, mailoutbox, committed):
    """No "you have no account" email to whoever's address is typed in: the page
    looks the same, nothing is sent or queued."""
    response = committed(
        client.post, reverse("account_reset_password"), {"email": "fremmed@example.org"}
    )
    assert response.status_code == 302
    assert mailoutbox == []
    assert not Message.objects.exists()


def test_staff_pages_are_not_stored_by_caches(client):
    """Every page a signed-in staff user gets is no-store (lists of people, the
    admin); the public sign-in page is not affected."""
    user = f.user("koordinator@kommune.dk", coordinator=True)
    e = f.election()
    shift = f.shift(e)
    client.force_login(user)
    for url in (
        reverse("staffing:elections"),
        reverse("staffing:board", args=[e.pk]),
        reverse("staffing:station", args=[e.pk, shift.station_id]),
        reverse("staffing:invite", args=[e.pk, shift.pk]),
    ):
        cache_control = client.get(url)["Cache-Control"]
        assert "no-store" in cache_control and "private" in cache_control, url
    admin = f.user("admin@kommune.dk", is_superuser=True, is_staff=True)
    client.force_login(admin)
    assert "no-store" in client.get(reverse("admin:index"))["Cache-Control"]
    assert "no-store" in client.get(reverse("administration:audit"))["Cache-Control"]


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
    RedactPersonalData().filter(record)
    assert record.getMessage() == '"GET /accounts/password/reset/key/[redacted]/ HTTP/1.1" 200'


# --- ids and dates typed into URLs and forms (issue 7's pages) ------------------------------

ODD_IDS = ["\u00b2", "\u0663", "-1", "0", "1e3", "9" * 30, "9" * 5000]


@pytest.mark.parametrize("odd", ODD_IDS)
def test_odd_ids_in_urls_and_forms_are_ignored_never_a_500(odd):
    """Superscript and Arabic-Indic digits pass str.isdigit() but not int();
    5,000 digits exceed int()'s limit; 30 digits exceed the database's. Each is
    ignored or a form error, never a server error."""
    e = f.election(copied_from=f.election(name="Sidste valg"))
    shift = f.shift(e)
    role = f.role("Tilforordnet")
    volunteer = f.volunteer()
    client = Client(raise_request_exception=False)
    client.force_login(f.user(coordinator=True))
    gets = [
        (reverse("staffing:fill_invite", args=[e.pk]), {"volunteers": odd, "shifts": odd}),
        (reverse("staffing:fill_assign", args=[e.pk, shift.pk]), {"volunteer": odd}),
        (reverse("staffing:grid", args=[e.pk]), {"area": odd, "page": odd}),
        (reverse("staffing:volunteers"), {"invite": "1", "pick": odd}),
        (reverse("staffing:volunteer_merge", args=[volunteer.pk]), {"other": odd}),
    ]
    for url, query in gets:
        assert client.get(url, query).status_code in (200, 302), (url, query)
    posts = [
        (reverse("staffing:setup_role_move", args=[role.pk]), {"to": odd}),
        (reverse("staffing:grid", args=[e.pk]), {"do": "confirm", "confirm": odd}),
        (reverse("staffing:election_reinvite", args=[e.pk]), {"after": odd}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code in (200, 302, 400), (url, data)


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_an_election_day_beyond_the_calendar_is_a_field_error(day):
    """A typo like 9999 would put the election's window beyond the calendar: the
    new-election, edit and copy forms refuse it on the field."""
    e = f.election(name="Folketingsvalg")
    f.shift(e)
    client = Client(raise_request_exception=False)
    client.force_login(f.user(coordinator=True))
    for url, data in (
        (reverse("staffing:election_create"), {"name": "Nyt", "kind": "other"}),
        (reverse("staffing:election_copy", args=[e.pk]), {"name": "Kopi"}),
    ):
        response = client.post(url, {**data, "election_date": day, "response_days": "7"})
        assert response.status_code in (200, 400), url
        assert "Choose an election day between" in response.content.decode(), url


@pytest.mark.parametrize(
    ("text", "token"),
    [
        ("Tag pladsen: https://valg.example.dk/v/offer/Abc-123_xyz/ inden kl. 12", "Abc-123_xyz"),
        ("Kalender: https://valg.example.dk/v/calendar/Q9w-e_R7.ics", "Q9w-e_R7"),
        ("Dit link: https://valg.example.dk/v/Zz9_-Yy8/", "Zz9_-Yy8"),
    ],
)
def test_every_kind_of_volunteer_link_is_redacted_from_stored_messages(text, token):
    """A sent standby offer or calendar feed keeps no live token (the generic
    pattern alone took "offer" and "calendar" for the token)."""
    stored = redact(text)
    assert token not in stored
    assert "[redacted]" in stored
    assert scrub(text).count(token) == 0
