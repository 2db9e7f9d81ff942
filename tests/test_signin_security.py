"""Sign-in that cannot be turned into a lock-out, the client's address behind a
trusted proxy, notices of a new browser, signing out everywhere, idle sessions.

The limits' numbers (accounts.limits): 5 failures per address and account, 30
per address, 20 per account from browsers the owner has not used before."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import limits
from accounts.models import AuditEntry, KnownDevice, User
from accounts.sessions import REFRESH_EVERY
from notifications.models import Message
from tests import factories as f

pytestmark = pytest.mark.django_db

EMAIL = "koordinator@kommune.dk"
PASSWORD = "rigtig-godt-kodeord"
LOGIN = reverse("account_login")


@pytest.fixture
def owner() -> User:
    return f.user(EMAIL, coordinator=True, password=PASSWORD)


def sign_in(client: Client, password: str, ip: str, email: str = EMAIL) -> bool:
    """Post the real sign-in form; True if it signed in."""
    response = client.post(LOGIN, {"login": email, "password": password}, REMOTE_ADDR=ip)
    return response.status_code == 302 and "_auth_user_id" in client.session


def refused_as_too_many(client: Client, ip: str) -> bool:
    """The right password, refused: with the form's "too many attempts" (200), or
    allauth's own per-address request limit (429)."""
    response = client.post(LOGIN, {"login": EMAIL, "password": PASSWORD}, REMOTE_ADDR=ip)
    if response.status_code == 429:
        return True
    page = response.content.decode()
    return (
        response.status_code == 200
        and "_auth_user_id" not in client.session
        and "Too many failed login attempts" in page
    )


# --- limits that hold, and cannot lock the owner out ----------------------------------


def test_one_address_guessing_one_account_is_stopped_there_only(owner):
    attacker = Client()
    for _ in range(limits.PAIR_LIMIT):
        assert not sign_in(attacker, "forkert-kodeord", "203.0.113.7")
    # Now even the right password from that address is refused, unchecked...
    assert refused_as_too_many(attacker, "203.0.113.7")
    # ...but the owner at their own address signs in.
    assert sign_in(Client(), PASSWORD, "198.51.100.20")


def test_a_distributed_guess_cannot_keep_the_owner_out_of_a_known_browser(owner):
    own_browser = Client()
    assert sign_in(own_browser, PASSWORD, "198.51.100.20")  # the owner, earlier
    own_browser.post(reverse("account_logout"))
    # Many addresses guess the password, a few tries each (under the pair limit).
    for n in range(limits.ACCOUNT_LIMIT):
        assert not sign_in(Client(), "forkert-kodeord", f"203.0.113.{n + 1}")
    # A new browser, even with the right password, is held back now...
    assert refused_as_too_many(Client(), "192.0.2.50")
    # ...but the owner's own browser (it carries the device cookie) gets in.
    assert sign_in(own_browser, PASSWORD, "198.51.100.20")


def test_one_address_guessing_many_accounts_is_stopped(owner):
    attacker = Client()
    for n in range(limits.IP_LIMIT):
        sign_in(attacker, "forkert", "203.0.113.9", email=f"gaet{n}@kommune.dk")
    assert refused_as_too_many(attacker, "203.0.113.9")
    assert sign_in(Client(), PASSWORD, "198.51.100.20")


def test_a_success_clears_the_owners_own_typos(owner):
    client = Client()
    for _ in range(limits.PAIR_LIMIT - 1):
        assert not sign_in(client, "tastefejl", "198.51.100.20")
    assert sign_in(client, PASSWORD, "198.51.100.20")
    client.post(reverse("account_logout"))
    for _ in range(limits.PAIR_LIMIT - 1):
        assert not sign_in(client, "tastefejl", "198.51.100.20")
    assert sign_in(client, PASSWORD, "198.51.100.20")


# --- the client's address behind a trusted proxy ----------------------------------------


@pytest.mark.parametrize(
    ("trusted", "peer", "forwarded", "recorded"),
    [
        (["10.0.0.1"], "10.0.0.1", "203.0.113.5", "203.0.113.5"),
        # A client's own X-Forwarded-For is not believed past the proxy's entry.
        (["10.0.0.1"], "10.0.0.1", "1.2.3.4, 203.0.113.5", "203.0.113.5"),
        # Two proxies in a row.
        (["10.0.0.0/24"], "10.0.0.1", "203.0.113.5, 10.0.0.2", "203.0.113.5"),
        # Not from a trusted proxy: the header is ignored.
        (["10.0.0.1"], "198.51.100.9", "203.0.113.5", "198.51.100.9"),
        ([], "10.0.0.1", "203.0.113.5", "10.0.0.1"),
    ],
)
def test_the_clients_address_behind_trusted_proxies(
    settings, owner, trusted, peer, forwarded, recorded
):
    settings.TRUSTED_PROXIES = trusted
    Client().post(
        LOGIN,
        {"login": EMAIL, "password": PASSWORD},
        REMOTE_ADDR=peer,
        HTTP_X_FORWARDED_FOR=forwarded,
    )
    assert AuditEntry.objects.get(action="auth.login").ip == recorded


def test_behind_a_proxy_every_user_is_not_one_address(settings, owner):
    """The red-team finding: without a trusted-proxy setting, everyone shares the
    proxy's address, so one attacker blocks everyone. With it, they do not."""
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    attacker = Client()
    for n in range(limits.IP_LIMIT):
        attacker.post(
            LOGIN,
            {"login": f"gaet{n}@kommune.dk", "password": "x"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR="203.0.113.66",
        )
    owner_client = Client()
    owner_client.post(
        LOGIN,
        {"login": EMAIL, "password": PASSWORD},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.20",
    )
    assert "_auth_user_id" in owner_client.session


# --- a new browser, signing out everywhere, idle sessions -----------------------------------


def test_a_sign_in_from_a_new_browser_is_emailed(owner, committed, mailoutbox):
    first = Client()
    committed(sign_in, first, PASSWORD, "198.51.100.20")
    assert mailoutbox == []  # the very first browser: nothing to warn about
    first.post(reverse("account_logout"))
    committed(sign_in, first, PASSWORD, "198.51.100.20")
    assert mailoutbox == []  # the same browser again
    committed(sign_in, Client(HTTP_USER_AGENT="Firefox/128 (Ukendt)"), PASSWORD, "192.0.2.9")
    [email] = mailoutbox
    assert email.to == [EMAIL]
    assert "Firefox/128 (Ukendt)" in email.body and "192.0.2.9" in email.body
    assert "/me/" in email.body
    assert Message.objects.get(kind="account_new_sign_in").status == "sent"
    assert KnownDevice.objects.filter(user=owner).count() == 2
    assert AuditEntry.objects.filter(action="auth.login", detail__new_browser=True).count() == 2


def test_sign_out_everywhere_ends_every_session(owner):
    laptop, phone = Client(), Client()
    assert sign_in(laptop, PASSWORD, "198.51.100.20")
    assert sign_in(phone, PASSWORD, "198.51.100.21")
    elections = reverse("staffing:elections")
    assert phone.get(elections).status_code == 200
    response = laptop.post(reverse("me:sign_out_everywhere"))
    assert response.status_code == 302
    assert phone.get(elections).status_code == 302  # to the sign-in page
    assert laptop.get(elections).status_code == 302
    assert AuditEntry.objects.get(action="accounts.sign_out_everywhere").actor == owner
    # The password still works: signing in again is possible.
    assert sign_in(Client(), PASSWORD, "198.51.100.22")


def test_an_admin_signs_someone_out_everywhere(owner):
    phone = Client()
    assert sign_in(phone, PASSWORD, "198.51.100.21")
    admin = Client()
    admin.force_login(User.objects.create_superuser("admin@kommune.dk", "et-langt-kodeord"))
    admin.post(reverse("administration:staff_sign_out_everywhere", args=[owner.pk]))
    assert phone.get(reverse("staffing:elections")).status_code == 302


def test_sessions_end_after_eight_idle_hours_and_slide_with_activity(settings, owner):
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    client = Client()
    assert sign_in(client, PASSWORD, "198.51.100.20")
    key = client.session.session_key
    expiry = Session.objects.get(session_key=key).expire_date
    assert timedelta(hours=7, minutes=59) < expiry - timezone.now() <= timedelta(hours=8)
    # Active again after a while: the expiry moves on (the stamp is older than
    # REFRESH_EVERY); within REFRESH_EVERY nothing is written.
    session = client.session
    session["pollcrew_activity"] = int(time.time()) - REFRESH_EVERY - 1
    session.save()
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() + timedelta(hours=1))
    client.get(reverse("staffing:elections"))
    assert Session.objects.get(session_key=key).expire_date - timezone.now() > timedelta(hours=7)
    # Idle past the expiry: signed out.
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(1))
    assert client.get(reverse("staffing:elections")).status_code == 302


def test_a_password_change_is_emailed_to_the_owner(owner, committed, mailoutbox):
    client = Client()
    assert sign_in(client, PASSWORD, "198.51.100.20")
    committed(
        client.post,
        reverse("account_change_password"),
        {
            "oldpassword": PASSWORD,
            "password1": "et-nyt-langt-kodeord",
            "password2": "et-nyt-langt-kodeord",
        },
    )
    assert any(m.to == [EMAIL] for m in mailoutbox)
    assert Message.objects.filter(kind__startswith="account_password_changed").exists()


# --- the limits' finer points ----------------------------------------------------------


def test_an_ipv6_sender_is_counted_per_64_not_per_address(owner):
    """One customer holds a whole /64: changing the last bits is no fresh start."""
    attacker = Client()
    for n in range(limits.PAIR_LIMIT):
        assert not sign_in(attacker, "forkert-kodeord", f"2001:db8:7:1::{n + 1:x}")
    assert refused_as_too_many(attacker, "2001:db8:7:1::ff")
    # Another allocation is someone else.
    assert sign_in(Client(), PASSWORD, "2001:db8:7:2::1")


def test_the_same_account_in_other_letters_is_the_same_window(owner):
    attacker = Client()
    for n in range(limits.PAIR_LIMIT):
        login = EMAIL.upper() if n % 2 else EMAIL
        assert not sign_in(attacker, "forkert-kodeord", "203.0.113.7", email=login)
    assert refused_as_too_many(attacker, "203.0.113.7")


def test_a_stolen_device_cookie_meets_its_own_limit(owner):
    own_browser = Client()
    assert sign_in(own_browser, PASSWORD, "198.51.100.20")
    own_browser.post(reverse("account_logout"))
    thief = Client()
    thief.cookies = own_browser.cookies  # the signed cookie, copied
    for _ in range(limits.DEVICE_LIMIT):
        assert not sign_in(thief, "forkert-kodeord", "203.0.113.8")
    assert refused_as_too_many(thief, "203.0.113.8")
    # A fresh browser elsewhere is not held back by that.
    assert sign_in(Client(), PASSWORD, "198.51.100.21")


def test_the_first_refusal_is_audited_once_not_every_attempt(owner):
    attacker = Client()
    for _ in range(limits.PAIR_LIMIT + 5):
        sign_in(attacker, "forkert-kodeord", "203.0.113.7")
    [entry] = AuditEntry.objects.filter(action="auth.login_limited")
    assert entry.ip == "203.0.113.7"
    assert entry.detail["windows"] == ["pair"]
    assert entry.detail["attempted"] == EMAIL


def test_a_password_reset_clears_the_account_window_and_forgets_other_browsers(
    owner, committed, mailoutbox, settings
):
    settings.SITE_URL = "https://pollcrew.kommune.dk"
    settings.ALLOWED_HOSTS = ["*"]  # a lax deployment: the Host header is the client's
    laptop = Client()
    assert sign_in(laptop, PASSWORD, "198.51.100.20")
    for n in range(limits.ACCOUNT_LIMIT):
        sign_in(Client(), "forkert-kodeord", f"203.0.113.{n + 1}")
    assert refused_as_too_many(Client(), "192.0.2.50")

    browser = Client()
    committed(
        browser.post,
        reverse("account_reset_password"),
        {"email": EMAIL},
        HTTP_HOST="evil.example",
        REMOTE_ADDR="192.0.2.50",
    )
    [email] = mailoutbox
    # The link is on the site's own address, whatever Host the request named.
    link = re.search(r"https://pollcrew\.kommune\.dk(/\S+)", email.body)[1]
    assert "evil.example" not in email.body + email.subject
    form = browser.get(link, follow=True)
    browser.post(
        form.redirect_chain[-1][0] if form.redirect_chain else link,
        {"password1": "et-helt-nyt-kodeord", "password2": "et-helt-nyt-kodeord"},
        REMOTE_ADDR="192.0.2.50",
    )
    assert AuditEntry.objects.filter(action="accounts.password_reset").exists()
    assert not KnownDevice.objects.filter(user=owner).exists()  # the laptop, forgotten
    # The owner proved they hold the mailbox: a new browser may sign in again.
    assert sign_in(Client(), "et-helt-nyt-kodeord", "192.0.2.50")


@pytest.mark.parametrize(
    ("trusted", "peer", "forwarded", "recorded"),
    [
        (["10.0.0.1"], "10.0.0.1", "203.0.113.5:41000", "203.0.113.5"),
        (["10.0.0.1"], "10.0.0.1", "[2001:db8::5]:41000", "2001:db8::5"),
        (["10.0.0.1"], "10.0.0.1", "2001:db8::5", "2001:db8::5"),
        # Gunicorn on a unix socket has no peer address: only the proxy reaches it.
        (["10.0.0.1"], "", "203.0.113.5", "203.0.113.5"),
        # Garbage in the header: the proxy's own address is kept.
        (["10.0.0.1"], "10.0.0.1", "not-an-address", "10.0.0.1"),
    ],
)
def test_forwarded_addresses_with_ports_brackets_and_sockets(
    settings, owner, trusted, peer, forwarded, recorded
):
    settings.TRUSTED_PROXIES = trusted
    Client().post(
        LOGIN,
        {"login": EMAIL, "password": PASSWORD},
        REMOTE_ADDR=peer,
        HTTP_X_FORWARDED_FOR=forwarded,
    )
    assert AuditEntry.objects.get(action="auth.login").ip == recorded


def test_expired_sessions_and_long_gone_browsers_are_purged_nightly(owner, settings):
    from accounts import devices, tasks

    assert (
        settings.CELERY_BEAT_SCHEDULE["purge-sign-in-leftovers"]["task"]
        == "accounts.tasks.purge_sign_in_leftovers"
    )
    laptop, old = Client(), Client()
    assert sign_in(laptop, PASSWORD, "198.51.100.20")
    assert sign_in(old, PASSWORD, "198.51.100.21")
    Session.objects.filter(session_key=old.session.session_key).update(
        expire_date=timezone.now() - timedelta(minutes=1)
    )
    gone = timezone.now() - timedelta(seconds=devices.MAX_AGE + 60)
    KnownDevice.objects.filter(pk=KnownDevice.objects.order_by("pk").last().pk).update(
        last_seen=gone
    )

    assert tasks.purge_sign_in_leftovers.delay().get() == {"sessions": 1, "browsers": 1}

    assert Session.objects.count() == 1
    assert laptop.get(reverse("staffing:elections")).status_code == 200
    assert KnownDevice.objects.filter(user=owner).count() == 1
