"""Security keys and passkeys (allauth.mfa's WebAuthn): the settings, the pages a
user who must enrol can reach, adding a key, the key as the second step of
signing in, a passkey alone, removing a key, and the audit log for each change.

The key is a small software authenticator here (``SoftKey``: an ECDSA P-256 key
pair, "none" attestation), built from the WebAuthn data structures as a browser
and a key would build them, not with allauth's functions. The test client plays
the browser at http://localhost, the only http origin WebAuthn accepts: the
relying party is the host the page was opened on. The browser tests
(tests/e2e/test_webauthn.py) use Chromium's virtual authenticator instead."""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field

import pytest
from allauth.mfa.models import Authenticator
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from fido2.cose import ES256
from fido2.utils import websafe_decode, websafe_encode
from fido2.webauthn import (
    AttestationObject,
    AttestedCredentialData,
    AuthenticatorData,
    CollectedClientData,
)

from accounts import mfa
from accounts.models import AuditEntry, User
from tests.test_mfa import PASSWORD, person, totp, with_app

pytestmark = pytest.mark.django_db

HOST = "localhost"
ORIGIN = f"http://{HOST}"
ADD = "/accounts/2fa/webauthn/add/"
KEYS = "/accounts/2fa/webauthn/"

# --- a software security key ------------------------------------------------------


@dataclass
class SoftKey:
    """One credential on one authenticator: what a USB key or a phone keeps."""

    rp_id: str = HOST
    origin: str = ORIGIN
    resident: bool = False  # a passkey: the key keeps the user handle
    verifies_user: bool = True  # a PIN, a fingerprint
    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    credential_id: bytes = field(default_factory=lambda: os.urandom(32))
    user_handle: bytes = b""
    counter: int = 0

    def _flags(self, attested: bool) -> AuthenticatorData.FLAG:
        flags = AuthenticatorData.FLAG.UP
        if self.verifies_user:
            flags |= AuthenticatorData.FLAG.UV
        if attested:
            flags |= AuthenticatorData.FLAG.AT
        return flags

    def _client_data(self, kind: str, challenge: str) -> CollectedClientData:
        return CollectedClientData.create(type=kind, challenge=challenge, origin=self.origin)

    def create(self, options: dict) -> dict:
        """navigator.credentials.create(): the credential as allauth's script posts it."""
        public_key = options["publicKey"]
        assert public_key["rp"]["id"] == self.rp_id
        self.user_handle = websafe_decode(public_key["user"]["id"])
        client_data = self._client_data("webauthn.create", public_key["challenge"])
        credential = AttestedCredentialData.create(
            b"\0" * 16,
            self.credential_id,
            ES256.from_cryptography_key(self.private_key.public_key()),
        )
        auth_data = AuthenticatorData.create(
            hashlib.sha256(self.rp_id.encode()).digest(),
            self._flags(attested=True),
            self.counter,
            credential,
        )
        attestation = AttestationObject.create("none", auth_data, {})
        return {
            "type": "public-key",
            "id": websafe_encode(self.credential_id),
            "rawId": websafe_encode(self.credential_id),
            "authenticatorAttachment": "cross-platform",
            "response": {
                "clientDataJSON": client_data.b64,
                "attestationObject": websafe_encode(attestation),
                "transports": ["usb"],
            },
            "clientExtensionResults": {"credProps": {"rk": self.resident}},
        }

    def get(self, options: dict) -> dict:
        """navigator.credentials.get(): an assertion over the server's challenge."""
        public_key = options["publicKey"]
        allowed = [websafe_decode(c["id"]) for c in public_key.get("allowCredentials") or []]
        assert self.resident or self.credential_id in allowed
        self.counter += 1
        client_data = self._client_data("webauthn.get", public_key["challenge"])
        auth_data = AuthenticatorData.create(
            hashlib.sha256(self.rp_id.encode()).digest(), self._flags(False), self.counter
        )
        signature = self.private_key.sign(
            bytes(auth_data) + client_data.hash, ec.ECDSA(hashes.SHA256())
        )
        response = {
            "clientDataJSON": client_data.b64,
            "authenticatorData": websafe_encode(auth_data),
            "signature": websafe_encode(signature),
        }
        if self.resident:
            response["userHandle"] = websafe_encode(self.user_handle)
        return {
            "type": "public-key",
            "id": websafe_encode(self.credential_id),
            "rawId": websafe_encode(self.credential_id),
            "response": response,
            "clientExtensionResults": {},
        }


def page_data(response) -> dict:
    """What the page hands allauth's script (its <script id="js_data"> block)."""
    found = re.search(
        r'<script id="js_data" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert found, "the page carries no WebAuthn data"
    return json.loads(found[1])


# --- a browser at http://localhost -------------------------------------------------


@pytest.fixture
def web() -> Client:
    return Client(HTTP_HOST=HOST)


@pytest.fixture
def required(settings):
    settings.MFA_REQUIRED = True
    return settings


def log_in(client: Client, email: str) -> None:
    response = client.post(reverse("account_login"), {"login": email, "password": PASSWORD})
    assert response.status_code == 302


def add_key(client: Client, key: SoftKey, name: str = "Blue key", **extra) -> object:
    page = client.get(ADD)
    assert page.status_code == 200
    credential = key.create(page_data(page)["creation_options"])
    return client.post(ADD, {"name": name, "credential": json.dumps(credential), **extra})


def key_of(user: User) -> Authenticator:
    return Authenticator.objects.get(user=user, type=Authenticator.Type.WEBAUTHN)


def given_key(client: Client, user: User, key: SoftKey | None = None, **extra) -> SoftKey:
    """``user`` (signed in on ``client``) adds a key; the client is signed out after."""
    key = key or SoftKey()
    response = add_key(client, key, **extra)
    assert response.status_code == 302, response.context and response.context["form"].errors
    client.post(reverse("account_logout"))
    return key


def confirm_with(client: Client, key: SoftKey) -> None:
    """Confirms who it is with the key (before changing keys that exist)."""
    page = client.get(reverse("mfa_reauthenticate_webauthn"))
    assert page.status_code == 200
    assertion = key.get(page_data(page)["request_options"])
    response = client.post(
        reverse("mfa_reauthenticate_webauthn"), {"credential": json.dumps(assertion)}
    )
    assert response.status_code == 302, response


# --- settings ---------------------------------------------------------------------


def _applied(environment: dict[str, str], production: bool) -> dict:
    import environ

    from pollcrew import settings_mfa

    values = {
        "INSTALLED_APPS": ["allauth", "allauth.account", "accounts"],
        "MIDDLEWARE": ["allauth.account.middleware.AccountMiddleware"],
        "PRODUCTION": production,
        "MUNICIPALITY_NAME": "Pollcrew",
    }
    env = environ.Env()
    env.ENVIRON = environment
    settings_mfa.apply(values, env)
    return values


@pytest.mark.parametrize("production", [True, False])
def test_keys_are_a_second_factor_and_the_origin_is_always_checked(production):
    values = _applied({}, production=production)
    assert values["MFA_SUPPORTED_TYPES"] == ["totp", "recovery_codes", "webauthn"]
    # allauth's switch would accept a signature made for any site: never on.
    assert values["MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN"] is False
    assert values["MFA_PASSKEY_LOGIN_ENABLED"] is True


def test_passkey_sign_in_can_be_turned_off():
    values = _applied({"MFA_PASSKEY_LOGIN_ENABLED": "false"}, production=True)
    assert values["MFA_PASSKEY_LOGIN_ENABLED"] is False
    assert "webauthn" in values["MFA_SUPPORTED_TYPES"]  # keys still work as a second step


def test_the_running_settings_use_keys():
    assert "webauthn" in django_settings.MFA_SUPPORTED_TYPES
    assert django_settings.MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN is False
    assert reverse("mfa_login_webauthn") == "/accounts/2fa/webauthn/login/"


# --- enrolling with a key ---------------------------------------------------------


def _scripts_are_csp_clean(html: str) -> None:
    """Scripts only from this site, inline only as JSON data or with the nonce;
    no style attributes."""
    assert "style=" not in html
    for tag in re.findall(r"<script\b[^>]*>", html):
        allowed = (
            re.search(r'src="/static/', tag)
            or 'type="application/json"' in tag
            or re.search(r'nonce="[^"]+"', tag)
        )
        assert allowed, tag


@pytest.mark.parametrize("kind", ["admin", "coordinator"])
def test_a_user_who_must_enrol_can_reach_the_key_pages(web, required, kind):
    user = person(kind)
    log_in(web, user.email)
    assert mfa.needs_enrolment(user)
    for path in (ADD, KEYS):
        response = web.get(path)
        assert response.status_code == 200, path
        _scripts_are_csp_clean(response.content.decode())
    # Confirming with a key takes one: without, the password (not the enrolment page).
    response = web.get(reverse("mfa_reauthenticate_webauthn"))
    assert response["Location"] == reverse("account_reauthenticate")
    page = web.get(ADD).content.decode()
    assert "Your role requires two-step verification" in page
    assert 'href="/accounts/2fa/totp/activate/"' in page  # the app instead
    # The data allauth's script needs, for this host as the relying party.
    options = page_data(web.get(ADD))["creation_options"]["publicKey"]
    assert options["rp"]["id"] == HOST
    assert options["user"]["name"] == user.email
    assert options["authenticatorSelection"]["residentKey"] == "discouraged"


# allauth sends its signals (so the audit log is written) on commit.
@pytest.mark.django_db(transaction=True)
def test_adding_a_key_enrols_shows_recovery_codes_and_is_audited(web, required, mailoutbox):
    user = person("coordinator")
    log_in(web, user.email)
    response = add_key(web, SoftKey(), name="Blue YubiKey")
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_view_recovery_codes")
    assert not mfa.needs_enrolment(user)
    assert web.get("/elections/").status_code == 200
    assert key_of(user).wrap().name == "Blue YubiKey"
    assert key_of(user).wrap().is_passwordless is False
    types = set(Authenticator.objects.filter(user=user).values_list("type", flat=True))
    assert types == {"webauthn", "recovery_codes"}
    added = AuditEntry.objects.filter(action="auth.mfa_added", object_id=user.pk)
    assert sorted(added.values_list("detail__type", flat=True)) == ["recovery_codes", "webauthn"]
    assert {entry.actor for entry in added} == {user}
    # The owner is told (someone in their account could add a key of their own).
    assert [m for m in mailoutbox if m.to == [user.email]]

    listing = web.get(KEYS).content.decode()
    assert "Blue YubiKey" in listing and "Security key" in listing
    _scripts_are_csp_clean(listing)


def test_a_key_made_for_another_site_is_refused(web, required):
    user = person("coordinator")
    log_in(web, user.email)
    response = add_key(web, SoftKey(origin="https://pollcrew.evil.example"))
    assert response.status_code == 200
    assert "The key was not added" in response.content.decode()
    assert not Authenticator.objects.filter(user=user).exists()


def test_a_key_for_another_relying_party_is_refused(web, required):
    user = person("coordinator")
    log_in(web, user.email)
    page = web.get(ADD)
    key = SoftKey(rp_id="evil.example")
    options = page_data(page)["creation_options"]
    options["publicKey"]["rp"]["id"] = "evil.example"
    credential = key.create(options)
    response = web.post(ADD, {"name": "x", "credential": json.dumps(credential)})
    assert response.status_code == 200
    assert not Authenticator.objects.filter(user=user).exists()


def test_an_ip_address_is_not_a_relying_party(required):
    """Opened as http://127.0.0.1 (the demo's address) a key cannot be added: the
    browser refuses an IP address, and so does the server for http."""
    user = person("coordinator")
    client = Client(HTTP_HOST="127.0.0.1")
    log_in(client, user.email)
    page = client.get(ADD)
    response = client.post(
        ADD,
        {
            "name": "x",
            "credential": json.dumps(
                SoftKey(rp_id="127.0.0.1", origin="http://127.0.0.1").create(
                    page_data(page)["creation_options"]
                )
            ),
        },
    )
    assert response.status_code == 200
    assert not Authenticator.objects.filter(user=user).exists()


# --- the key as the second step ---------------------------------------------------


def second_step_with(client: Client, key: SoftKey):
    page = client.get(reverse("mfa_authenticate"))
    assert page.status_code == 200
    assertion = key.get(page_data(page)["request_options"])
    return client.post(reverse("mfa_authenticate"), {"credential": json.dumps(assertion)})


def test_the_key_is_the_second_step_of_signing_in(web, required):
    user = person("coordinator")
    log_in(web, user.email)
    key = given_key(web, user)

    log_in(web, user.email)
    assert web.get("/elections/")["Location"].startswith(reverse("account_login"))
    response = second_step_with(web, key)
    assert response.status_code == 302
    assert response["Location"] == reverse("staffing:elections")
    assert web.get("/elections/").status_code == 200
    assert AuditEntry.objects.filter(action="auth.login", actor=user).count() == 2
    assert key_of(user).last_used_at is not None


def test_another_key_or_a_replayed_answer_is_refused(web, required):
    user = person("coordinator")
    log_in(web, user.email)
    key = given_key(web, user)

    log_in(web, user.email)
    page = web.get(reverse("mfa_authenticate"))
    options = page_data(page)["request_options"]
    stranger = SoftKey(credential_id=key.credential_id)  # same id, another private key
    forged = stranger.get(options)
    response = web.post(reverse("mfa_authenticate"), {"credential": json.dumps(forged)})
    assert response.status_code == 200
    assert web.get("/elections/").status_code == 302

    # A real answer to an old challenge (a replay) is refused too.
    old = key.get(options)
    web.get(reverse("mfa_authenticate"))  # a new challenge
    response = web.post(reverse("mfa_authenticate"), {"credential": json.dumps(old)})
    assert response.status_code == 200
    assert web.get("/elections/").status_code == 302


def test_a_code_still_works_next_to_a_key(web, required):
    user = person("coordinator")
    log_in(web, user.email)
    given_key(web, user)
    secret = with_app(user)
    log_in(web, user.email)
    response = web.post(reverse("mfa_authenticate"), {"code": totp(secret)})
    assert response["Location"] == reverse("staffing:elections")


def test_the_second_step_offers_the_key_only_to_those_who_have_one(web, required):
    app_only = person("admin")
    with_app(app_only)
    log_in(web, app_only.email)
    page = web.get(reverse("mfa_authenticate")).content.decode()
    assert "mfa_webauthn_authenticate" not in page
    assert "authenticator app shows" in page
    web.post(reverse("account_logout"))

    user = person("coordinator")
    log_in(web, user.email)
    given_key(web, user)
    with_app(user)
    log_in(web, user.email)
    page = web.get(reverse("mfa_authenticate")).content.decode()
    assert 'id="mfa_webauthn_authenticate"' in page
    assert 'id="id_code"' in page  # the app's code or a recovery code instead
    _scripts_are_csp_clean(page)


# --- a passkey alone --------------------------------------------------------------


def passkey_sign_in(client: Client, key: SoftKey):
    options = client.get(reverse("mfa_login_webauthn"), HTTP_ACCEPT="application/json").json()
    assertion = key.get(options["request_options"])
    return client.post(reverse("mfa_login_webauthn"), {"credential": json.dumps(assertion)})


def test_a_passkey_signs_in_alone(web, required):
    user = person("coordinator")
    log_in(web, user.email)
    key = given_key(web, user, SoftKey(resident=True), passwordless="on")
    assert key_of(user).wrap().is_passwordless is True

    response = passkey_sign_in(web, key)
    assert response.status_code == 302
    assert response["Location"] == reverse("staffing:elections")
    assert web.get("/elections/").status_code == 200  # no second step, no enrolment
    login = AuditEntry.objects.filter(action="auth.login", actor=user).latest("at")
    assert login.detail == {"new_browser": False}


def test_a_deactivated_user_cannot_sign_in_with_a_passkey(web, required):
    """A passkey does not go through the password backend, which refuses inactive
    users: allauth's login checks it all the same."""
    user = person("coordinator")
    log_in(web, user.email)
    key = given_key(web, user, SoftKey(resident=True), passwordless="on")
    User.objects.filter(pk=user.pk).update(is_active=False)
    response = passkey_sign_in(web, key)
    assert response.status_code == 302
    assert response["Location"] == reverse("account_inactive")
    assert web.get(response["Location"]).status_code == 200
    assert web.get("/elections/").status_code == 302
    assert "_auth_user_id" not in web.session


def test_a_passkey_that_did_not_verify_the_user_does_not_sign_in(web, required):
    user = person("coordinator")
    log_in(web, user.email)
    key = given_key(web, user, SoftKey(resident=True), passwordless="on")
    key.verifies_user = False  # touched, but no PIN or fingerprint
    response = passkey_sign_in(web, key)
    assert response["Location"] == reverse("account_login")
    assert web.get("/elections/").status_code == 302


def test_a_key_added_as_a_second_step_only_cannot_sign_in_alone(web, required):
    user = person("coordinator")
    log_in(web, user.email)
    key = given_key(web, user, SoftKey(resident=True, verifies_user=False))
    response = passkey_sign_in(web, key)
    assert response["Location"] == reverse("account_login")
    assert web.get("/elections/").status_code == 302


# --- removing a key ---------------------------------------------------------------


def remove_url(user: User) -> str:
    return reverse("mfa_remove_webauthn", kwargs={"pk": key_of(user).pk})


# allauth sends its signals (so the audit log is written) on commit.
@pytest.mark.django_db(transaction=True)
def test_renaming_and_removing_a_key_is_audited(web, settings):
    settings.MFA_REQUIRED = False
    user = person("station_manager")
    log_in(web, user.email)
    key = SoftKey()
    add_key(web, key, name="Blue key")
    edit = reverse("mfa_edit_webauthn", kwargs={"pk": key_of(user).pk})
    # Changing a key that exists asks who it is, even right after signing in.
    assert web.get(edit)["Location"].startswith(reverse("account_reauthenticate"))
    assert web.post(remove_url(user))["Location"].startswith(reverse("account_reauthenticate"))
    confirm_with(web, key)
    assert web.get(edit).status_code == 200
    assert web.post(edit, {"name": "Red key"})["Location"] == KEYS
    assert key_of(user).wrap().name == "Red key"
    assert web.post(edit, {"name": ""}).status_code == 200  # a name is needed
    page = web.get(remove_url(user))
    assert page.status_code == 200 and "Red key" in page.content.decode()

    response = web.post(remove_url(user))
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=user).exists()  # the codes went too
    removed = AuditEntry.objects.filter(action="auth.mfa_removed", object_id=user.pk)
    assert sorted(removed.values_list("detail__type", flat=True)) == [
        "recovery_codes",
        "webauthn",
    ]


def test_the_last_key_of_a_user_who_must_use_one_stays(web, required):
    user = person("coordinator")
    log_in(web, user.email)
    key = SoftKey()
    add_key(web, key)
    confirm_with(web, key)
    page = web.get(remove_url(user)).content.decode()
    assert "Your role requires two-step verification" in page
    assert 'type="submit"' not in page.split("<main", 1)[1].split("</main>", 1)[0]
    web.post(remove_url(user))
    assert Authenticator.objects.filter(user=user, type="webauthn").exists()

    # With an app as well, the key may go.
    secret = with_app(User.objects.get(pk=user.pk))
    assert secret
    assert web.post(remove_url(user)).status_code == 302
    assert not Authenticator.objects.filter(user=user, type="webauthn").exists()


def test_an_admin_reset_removes_keys_too(web, required):
    user = person("coordinator")
    log_in(web, user.email)
    given_key(web, user)
    assert mfa.reset_second_factor(user, by=None) == 2
    assert mfa.needs_enrolment(user)


def test_pages_are_translated(web, required):
    user = person("coordinator")
    log_in(web, user.email)
    web.post(reverse("set_language"), {"language": "da"})
    page = web.get(ADD).content.decode()
    assert "Tilføj en sikkerhedsnøgle eller adgangsnøgle" in page
