"""Limits per sender on the volunteer pages (portal.limits): over the limit, 429
with a plain message and Retry-After, for good and bad tokens alike (the limit
tells nothing about a link); codes and code guesses have tighter limits of their
own; another sender is not held up."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from notifications import sms
from portal import limits
from portal.views import answer_token
from staffing import services
from staffing.links import issue_link
from staffing.models import PersonalLink, hash_token
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def token():
    volunteer = f.volunteer("sms", phone="+4520111111")
    shift = f.shift()
    services.invite(shift, [volunteer], by=None)
    return issue_link(volunteer, shift.election)


def from_ip(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


def test_pages_over_the_limit_get_429_whatever_the_token(monkeypatch, token):
    monkeypatch.setattr(limits, "PAGES", ("portal-page", 3, 60))
    client = from_ip("192.0.2.7")
    assert client.get(reverse("portal:home", args=[token])).status_code == 200
    assert client.get(reverse("portal:home", args=["x" * 43])).status_code == 404
    assert client.get("/v/calendar/" + "0" * 64 + ".ics").status_code == 404
    for path in (reverse("portal:home", args=[token]), reverse("portal:home", args=["y" * 43])):
        response = client.get(path)
        assert response.status_code == 429
        assert response["Retry-After"] == "60"
        assert response["Cache-Control"] == "no-store"
        assert "Too many tries" in response.content.decode()
    assert from_ip("198.51.100.1").get(reverse("portal:home", args=[token])).status_code == 200
    # One IPv6 customer is one sender: the /64.
    monkeypatch.setattr(limits, "PAGES", ("portal-page-v6", 1, 60))
    assert from_ip("2001:db8::1").get(reverse("portal:home", args=[token])).status_code == 200
    assert from_ip("2001:db8::2").get(reverse("portal:home", args=[token])).status_code == 429


def test_code_requests_and_guesses_have_their_own_limits(monkeypatch, token, committed):
    monkeypatch.setattr(limits, "CODES", ("portal-code", 2, 3600))
    monkeypatch.setattr(limits, "GUESSES", ("portal-guess", 2, 900))
    client = from_ip("192.0.2.8")
    link = PersonalLink.objects.get(token_hash=hash_token(token))
    form = {"answer_token": answer_token(link, 0), "channel": "sms"}
    url = reverse("portal:change_contact", args=[token])
    for n in range(2):
        assert committed(client.post, url, {**form, "address": f"+452033445{n}"}).status_code == 200
    refused = committed(client.post, url, {**form, "address": "+4520334459"})
    assert refused.status_code == 429
    assert not [r for r in sms.outbox if r.to == "+4520334459"]

    verify = reverse("portal:verify_contact", args=[token])
    guess = {**form, "address": "+4520334450", "code": "000000"}
    assert client.post(verify, guess).status_code == 200
    assert client.post(verify, guess).status_code == 200
    assert client.post(verify, guess).status_code == 429
