"""A fake OpenID Connect provider on 127.0.0.1, spoken to by allauth's real
``openid_connect`` provider (over HTTP, with ``requests``) and by a real browser.

It plays a municipality's IdP (Entra ID, ADFS, Keycloak) in the authorization code
flow, with the endpoints allauth uses:

- ``GET /.well-known/openid-configuration``: the discovery document (issuer =
  ``base_url``, which is what ``OIDC_SERVER_URL`` is set to);
- ``GET /authorize``: checks the client, the redirect URI and the PKCE challenge,
  and at once redirects back with a one-time code for the test user of the moment
  (:meth:`FakeOidcProvider.sign_in_as`), or with ``error=access_denied`` after
  :meth:`FakeOidcProvider.deny_next` (the user cancelled at the IdP);
- ``POST /token``: client authentication (``client_secret_post`` or
  ``client_secret_basic``), the code (once), the redirect URI and the PKCE
  verifier; answers an access token and an ID token;
- ``GET /userinfo``: the user's claims for a bearer access token;
- ``GET /jwks``: the signing keys.

ID tokens are signed RS256 with a key pair made when the fake starts, published
(public half) at the JWKS endpoint with its ``kid``, as Entra ID, ADFS and
Keycloak do. allauth does not check the signature of an ID token it fetched
itself from the token endpoint (OpenID Connect Core 3.1.3.7: TLS authenticates
the IdP), but it does check issuer, audience and expiry, which
:attr:`FakeOidcProvider.id_token_overrides` can break.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def pkce_challenge(verifier: str) -> str:
    return _b64url(hashlib.sha256(verifier.encode()).digest())


@dataclass
class _Grant:
    """What a code stands for until the token endpoint redeems it."""

    client_id: str
    redirect_uri: str
    code_challenge: str
    code_challenge_method: str
    claims: dict[str, Any]
    scope: str


@dataclass
class AuthorizeRequest:
    """One visit to /authorize, as the fake saw it."""

    params: dict[str, str]
    answered: str  # "code", an error code, or "refused" (bad client / redirect URI)


@dataclass
class TokenRequest:
    form: dict[str, str]
    auth: str  # "basic", "post" or ""
    status: int


@dataclass
class _State:
    authorizations: list[AuthorizeRequest] = field(default_factory=list)
    token_requests: list[TokenRequest] = field(default_factory=list)
    userinfo_requests: int = 0


class FakeOidcProvider:
    """The fake IdP. ``start()`` it, configure Pollcrew with ``environment()``, ``stop()`` it."""

    def __init__(
        self,
        client_id: str = "pollcrew-test",
        client_secret: str | None = None,
        *,
        redirect_uris: list[str] | None = None,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret or secrets.token_urlsafe(32)
        #: Redirect URIs the client may use; None accepts any (the test server's
        #: host and port are not known before it starts).
        self.redirect_uris = redirect_uris
        #: The claims of whoever signs in next (sub, email, email_verified, names).
        self.user: dict[str, Any] = {}
        #: Claims to change in the next ID tokens only (aud, iss, exp…): a broken token.
        self.id_token_overrides: dict[str, Any] = {}
        self.state = _State()
        self._codes: dict[str, _Grant] = {}
        self._tokens: dict[str, dict[str, Any]] = {}
        self._deny: str = ""
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = f"fake-{secrets.token_hex(4)}"
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.sign_in_as("ansat@kommune.dk")

    # --- lifecycle -----------------------------------------------------------------

    def start(self, port: int = 0) -> FakeOidcProvider:
        server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "the fake OpenID provider is not running"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def issuer(self) -> str:
        return self.base_url

    def environment(self, **more: str) -> dict[str, str]:
        """The environment variables that point Pollcrew at this provider."""
        return {
            "OIDC_SERVER_URL": self.base_url,
            "OIDC_CLIENT_ID": self.client_id,
            "OIDC_CLIENT_SECRET": self.client_secret,
            **more,
        }

    # --- what tests arrange ---------------------------------------------------------------

    def sign_in_as(
        self,
        email: str | None,
        *,
        sub: str | None = None,
        email_verified: bool | None = True,
        given_name: str = "Test",
        family_name: str = "Bruger",
        **claims: Any,
    ) -> dict[str, Any]:
        """The next sign-in is this user. ``email_verified=None`` leaves the claim
        out (as Entra ID and ADFS do); ``email=None`` leaves the email out."""
        user: dict[str, Any] = {
            "sub": sub or f"sub-{secrets.token_hex(8)}",
            "given_name": given_name,
            "family_name": family_name,
            "name": f"{given_name} {family_name}".strip(),
            **claims,
        }
        if email is not None:
            user["email"] = email
        if email is not None and email_verified is not None:
            user["email_verified"] = email_verified
        with self._lock:
            self.user = user
        return user

    def deny_next(self, error: str = "access_denied") -> None:
        """The next /authorize answers with this error (the user cancelled at the IdP)."""
        with self._lock:
            self._deny = error

    # --- the endpoints -------------------------------------------------------------------

    def discovery(self) -> dict[str, Any]:
        base = self.base_url
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token",
            "userinfo_endpoint": f"{base}/userinfo",
            "jwks_uri": f"{base}/jwks",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid", "profile", "email"],
            "claims_supported": [
                "sub",
                "email",
                "email_verified",
                "name",
                "given_name",
                "family_name",
            ],
        }

    def authorize(self, params: dict[str, str]) -> tuple[int, dict[str, str], dict[str, Any]]:
        """(status, headers, JSON body): a redirect back to the client, or a 400."""
        redirect_uri = params.get("redirect_uri", "")
        with self._lock:
            if params.get("client_id") != self.client_id or not redirect_uri.startswith(
                ("http://", "https://")
            ):
                return self._refused(params, "unknown client or redirect URI")
            if self.redirect_uris is not None and redirect_uri not in self.redirect_uris:
                return self._refused(params, "redirect URI not registered")
            back: dict[str, str] = {}
            if "state" in params:
                back["state"] = params["state"]
            if self._deny:
                back["error"], self._deny = self._deny, ""
                answered = back["error"]
            elif params.get("response_type") != "code" or "openid" not in params.get(
                "scope", ""
            ).split(" "):
                back["error"] = answered = "invalid_request"
            else:
                code = secrets.token_urlsafe(24)
                self._codes[code] = _Grant(
                    client_id=self.client_id,
                    redirect_uri=redirect_uri,
                    code_challenge=params.get("code_challenge", ""),
                    code_challenge_method=params.get("code_challenge_method", ""),
                    claims=dict(self.user),
                    scope=params.get("scope", ""),
                )
                back["code"] = code
                answered = "code"
            self.state.authorizations.append(AuthorizeRequest(params=params, answered=answered))
        separator = "&" if "?" in redirect_uri else "?"
        location = f"{redirect_uri}{separator}{urllib.parse.urlencode(back)}"
        return 302, {"Location": location}, {}

    def _refused(
        self, params: dict[str, str], why: str
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        # An IdP never redirects to a URI it does not know: it shows an error page.
        self.state.authorizations.append(AuthorizeRequest(params=params, answered="refused"))
        return 400, {}, {"error": "invalid_request", "error_description": why}

    def token(self, form: dict[str, str], authorization: str) -> tuple[int, dict[str, Any]]:
        client_id, secret, how = form.get("client_id", ""), form.get("client_secret", ""), "post"
        if authorization.startswith("Basic "):
            decoded = base64.b64decode(authorization[6:]).decode()
            client_id, _, secret = decoded.partition(":")
            client_id, secret = urllib.parse.unquote(client_id), urllib.parse.unquote(secret)
            how = "basic"
        elif not secret:
            how = ""
        with self._lock:
            status, payload = self._token_answer(form, client_id, secret)
            self.state.token_requests.append(TokenRequest(form=form, auth=how, status=status))
        return status, payload

    def _token_answer(
        self, form: dict[str, str], client_id: str, secret: str
    ) -> tuple[int, dict[str, Any]]:
        if client_id != self.client_id or not hmac.compare_digest(secret, self.client_secret):
            return 401, {"error": "invalid_client"}
        if form.get("grant_type") != "authorization_code":
            return 400, {"error": "unsupported_grant_type"}
        grant = self._codes.pop(form.get("code", ""), None)  # a code works once
        if grant is None or grant.redirect_uri != form.get("redirect_uri"):
            return 400, {"error": "invalid_grant"}
        if grant.code_challenge:
            verifier = form.get("code_verifier", "")
            if grant.code_challenge_method != "S256" or not hmac.compare_digest(
                pkce_challenge(verifier), grant.code_challenge
            ):
                return 400, {"error": "invalid_grant", "error_description": "PKCE"}
        access_token = secrets.token_urlsafe(32)
        self._tokens[access_token] = grant.claims
        now = int(time.time())
        id_claims = {
            "iss": self.issuer,
            "sub": grant.claims["sub"],
            "aud": self.client_id,
            "iat": now,
            "auth_time": now,
            "exp": now + 300,
            "jti": secrets.token_hex(16),
            **grant.claims,
            **self.id_token_overrides,
        }
        return 200, {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 3600,
            "scope": grant.scope,
            "id_token": jwt.encode(
                id_claims, self._key, algorithm="RS256", headers={"kid": self.kid}
            ),
        }

    def jwks(self) -> dict[str, Any]:
        """The public signing key, as a JSON Web Key Set."""
        key = RSAAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        return {"keys": [{**key, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def userinfo(self, authorization: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.state.userinfo_requests += 1
            claims = self._tokens.get(authorization.removeprefix("Bearer ").strip())
        if not authorization.startswith("Bearer ") or claims is None:
            return 401, {"error": "invalid_token"}
        return 200, dict(claims)


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeOidc/1.0"

    @property
    def fake(self) -> FakeOidcProvider:
        return self.server.fake  # type: ignore[attr-defined]

    def do_GET(self) -> None:
        parts = urllib.parse.urlsplit(self.path)
        params = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
        if parts.path == "/.well-known/openid-configuration":
            self._reply(200, self.fake.discovery())
        elif parts.path == "/authorize":
            status, headers, payload = self.fake.authorize(params)
            self._reply(status, payload, headers)
        elif parts.path == "/userinfo":
            self._reply(*self.fake.userinfo(self.headers.get("Authorization", "")))
        elif parts.path == "/jwks":
            self._reply(200, self.fake.jwks())
        else:
            self._reply(404, {"error": "not_found"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
        if urllib.parse.urlsplit(self.path).path == "/token":
            self._reply(*self.fake.token(form, self.headers.get("Authorization", "")))
        else:
            self._reply(404, {"error": "not_found"})

    def _reply(
        self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(payload).encode() if payload or status != 302 else b""
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if data:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read ``FakeOidcProvider.state`` instead."""


# --- pointing Pollcrew at it --------------------------------------------------------------


def use_sso(settings, environment: dict[str, str]) -> None:
    """Configure SSO as ``pollcrew.settings_sso`` does at start-up for this
    ``environment`` (nothing else of the process's environment is read), through
    pytest-django's ``settings`` fixture, which restores everything afterwards."""
    import copy

    import environ

    from pollcrew import settings_sso

    env = environ.Env()
    env.ENVIRON = dict(environment)
    computed: dict[str, Any] = {
        "INSTALLED_APPS": list(settings.INSTALLED_APPS),
        "PRODUCTION": False,
        "CONTENT_SECURITY_POLICY": copy.deepcopy(settings.CONTENT_SECURITY_POLICY),
    }
    settings_sso.apply(computed, env)
    assert computed.pop("INSTALLED_APPS") == list(settings.INSTALLED_APPS)
    computed.pop("PRODUCTION")
    for name, value in computed.items():
        setattr(settings, name, value)


@contextmanager
def running_fake_idp(settings, **environment: str) -> Iterator[FakeOidcProvider]:
    """A running fake IdP, with Pollcrew's SSO settings pointing at it."""
    provider = FakeOidcProvider().start()
    try:
        use_sso(settings, provider.environment(**environment))
        yield provider
    finally:
        provider.stop()


def main() -> None:
    """``python -m tests.fakes.oidc_server --email you@kommune.dk``: the fake IdP on
    its own, to try SSO with ``make demo`` (every sign-in is that user)."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--email", required=True, help="who every sign-in is")
    parser.add_argument("--port", type=int, default=8089)
    args = parser.parse_args()
    provider = FakeOidcProvider(client_secret="fake-idp-secret").start(args.port)
    provider.sign_in_as(args.email, sub=f"fake-{args.email}")
    print("The fake IdP runs. Start Pollcrew with:")
    for name, value in provider.environment(OIDC_PROVIDER_NAME="Fake IdP").items():
        print(f"  export {name}={value}")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        provider.stop()


if __name__ == "__main__":
    main()
