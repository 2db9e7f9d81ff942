"""Staff pages are in Danish by default, with a switch in the header whose choice
sticks for the user: on this browser, on the next one after signing in, and for
what their actions send."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEntry
from tests import factories as f

pytestmark = pytest.mark.django_db

ELECTIONS = reverse("staffing:elections")
SWITCH = reverse("me:language")


@pytest.fixture
def coordinator_user():
    return f.user("koordinator@kommune.dk", coordinator=True, password="et-langt-kodeord")


def page_language(client: Client, path: str = ELECTIONS, **headers) -> str:
    html = client.get(path, **headers).content.decode()
    return html.split('<html lang="', 1)[1].split('"', 1)[0]


def test_danish_by_default_with_a_visible_switch(client, coordinator_user, settings):
    settings.LANGUAGE_CODE = "da"  # the product's default (the tests read English)
    client.force_login(coordinator_user)
    html = client.get(ELECTIONS).content.decode()
    assert '<html lang="da">' in html
    assert f'action="{SWITCH}"' in html
    assert 'value="en"' in html and ">English<" in html


def test_the_choice_sticks_for_the_user_on_every_browser(coordinator_user):
    laptop = Client()
    laptop.force_login(coordinator_user)
    response = laptop.post(SWITCH, {"language": "en", "next": ELECTIONS})
    assert response.status_code == 302 and response["Location"] == ELECTIONS
    coordinator_user.refresh_from_db()
    assert coordinator_user.language == "en"
    # Even when the browser asks for Danish, the user's choice wins.
    assert page_language(laptop, HTTP_ACCEPT_LANGUAGE="da") == "en"
    # Another browser, after signing in with the password.
    phone = Client()
    phone.post(
        reverse("account_login"),
        {"login": coordinator_user.email, "password": "et-langt-kodeord"},
    )
    assert page_language(phone, HTTP_ACCEPT_LANGUAGE="da") == "en"
    entry = AuditEntry.objects.get(action="accounts.set_language")
    assert entry.changes == {"language": ["", "en"]}
    # And back.
    laptop.post(SWITCH, {"language": "da", "next": ELECTIONS})
    assert page_language(laptop, HTTP_ACCEPT_LANGUAGE="en") == "da"


def test_signed_out_it_is_this_browsers_choice_only(client):
    response = client.post(SWITCH, {"language": "en", "next": reverse("account_login")})
    assert response.cookies["django_language"].value == "en"
    assert page_language(client, reverse("account_login")) == "en"


@pytest.mark.parametrize("back", ["https://evil.example/", "//evil.example/x", ""])
def test_the_switch_only_returns_to_this_site(client, back):
    response = client.post(SWITCH, {"language": "en", "next": back})
    assert response["Location"] == "/"


def test_an_unknown_language_changes_nothing(client, coordinator_user):
    client.force_login(coordinator_user)
    client.post(SWITCH, {"language": "xx", "next": ELECTIONS})
    coordinator_user.refresh_from_db()
    assert coordinator_user.language == ""
    assert not AuditEntry.objects.filter(action="accounts.set_language").exists()


@pytest.mark.parametrize(
    ("language", "written"),
    [("en", "3 November 2026"), ("da", "3. november 2026")],
)
def test_dates_are_written_day_first_in_both_languages(coordinator_user, language, written):
    """English pages write dates as they are written in Denmark (day before month),
    not Django's American "Nov. 3, 2026"."""
    f.election(name="Kommunalvalg", election_date=date(2026, 11, 3))
    client = Client(headers={"accept-language": language})
    client.force_login(coordinator_user)
    client.post(SWITCH, {"language": language, "next": ELECTIONS})
    html = client.get(ELECTIONS).content.decode()
    assert written in html
    assert "Nov. 3" not in html
