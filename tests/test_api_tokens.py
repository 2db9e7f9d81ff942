"""Personal API tokens: made on the staff page (shown once, stored hashed),
acting as their user, refused alike when unknown, expired, revoked or the user
has lost their role; rate-limited per token."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services as account_services
from accounts.models import AuditEntry
from api import services as api_services
from api import tokens
from api.models import ApiToken
from tests import factories as f
from tests.test_api_helpers import client_for

pytestmark = pytest.mark.django_db

ELECTIONS = "/api/v1/elections/"
UNIFORM = {
    "code": "not_authenticated",
    "message": "The API token is missing, unknown, expired or revoked.",
}


def test_the_page_shows_a_new_token_once_and_stores_only_its_hash(client, coordinator):
    client.force_login(coordinator)
    response = client.post(reverse("api:tokens"), {"name": "Lønsystem", "days": "30"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    secret = response.context["secret"]
    assert len(secret) >= 43 and secret in response.content.decode()
    token = ApiToken.objects.get()
    assert token.token_hash == tokens.hash_of(secret) and secret not in token.token_hash
    assert token.prefix == secret[:8]
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    assert AuditEntry.objects.filter(action="api.token_create", actor=coordinator).exists()
    listing = client.get(reverse("api:tokens")).content.decode()
    assert "Lønsystem" in listing and secret not in listing  # never shown again

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get(ELECTIONS).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_the_lifetime_is_one_of_the_choices(client, coordinator):
    client.force_login(coordinator)
    response = client.post(reverse("api:tokens"), {"name": "x", "days": "5000"})
    assert response.status_code == 400 and not ApiToken.objects.exists()


def test_unknown_expired_revoked_and_roleless_tokens_get_one_uniform_401(coordinator):
    anonymous = APIClient()
    assert anonymous.get(ELECTIONS).status_code == 401
    assert anonymous.get(ELECTIONS).json() == UNIFORM
    assert "Bearer" in anonymous.get(ELECTIONS)["WWW-Authenticate"]

    unknown = APIClient()
    unknown.credentials(HTTP_AUTHORIZATION="Bearer " + tokens.new_secret())
    expired, revoked = client_for(coordinator), client_for(coordinator)
    ApiToken.objects.filter(pk=expired.token.pk).update(
        created_at=timezone.now() - timedelta(days=31), expires_at=timezone.now()
    )
    api_services.revoke_token(revoked.token, by=coordinator)
    assert AuditEntry.objects.filter(action="api.token_revoke").count() == 1

    lost_role = f.user("tidligere@kommune.dk", role="coordinator")
    lost = client_for(lost_role)
    assert lost.get(ELECTIONS).status_code == 200
    account_services.revoke_role(lost_role, "coordinator", by=None)
    inactive_user = f.user("stoppet@kommune.dk", role="coordinator")
    inactive = client_for(inactive_user)
    inactive_user.is_active = False
    inactive_user.save()

    for api in (unknown, expired, revoked, lost, inactive):
        response = api.get(ELECTIONS)
        assert (response.status_code, response.json()) == (401, UNIFORM)


def test_a_signed_in_browser_cannot_use_the_api(client, coordinator):
    """Only tokens on /api/v1/: a session (and so a forged cross-site POST) gets 401."""
    client.force_login(coordinator)
    assert client.get(ELECTIONS).status_code == 401
    assert client.post("/api/v1/areas/", {"name": "Øst"}).status_code == 401


def test_revoking_on_the_page_own_tokens_only_an_admin_everyones(client, coordinator):
    other = f.user("anden@kommune.dk", role="coordinator")
    mine, theirs = client_for(coordinator), client_for(other)
    client.force_login(coordinator)
    url = reverse("api:token_revoke", args=[theirs.token.pk])
    assert client.post(url).status_code == 404
    assert client.post(reverse("api:token_revoke", args=[mine.token.pk])).status_code == 302
    assert mine.get(ELECTIONS).status_code == 401
    admin = f.user("admin@kommune.dk", is_superuser=True)
    client.force_login(admin)
    assert "anden@kommune.dk" in client.get(reverse("api:tokens")).content.decode()
    assert client.post(url).status_code == 302
    assert theirs.get(ELECTIONS).status_code == 401


def test_the_rate_limit_is_per_token_with_retry_after(settings, coordinator):
    settings.API_RATE = "3/minute"
    busy, calm = client_for(coordinator), client_for(coordinator)
    for left in (2, 1, 0):
        answer = busy.get(ELECTIONS)
        assert answer.status_code == 200
        assert (answer["RateLimit-Limit"], answer["RateLimit-Remaining"]) == ("3", str(left))
        assert 0 < int(answer["RateLimit-Reset"]) <= 60
    refused = busy.get(ELECTIONS)
    assert refused.status_code == 429 and refused["RateLimit-Remaining"] == "0"
    assert refused.json()["code"] == "throttled"
    assert int(refused["Retry-After"]) > 0
    assert calm.get(ELECTIONS).status_code == 200  # another token counts on its own
