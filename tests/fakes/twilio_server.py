"""A fake Twilio REST API on 127.0.0.1, spoken to by the real ``twilio`` client.

It implements the one call Pollcrew makes, ``POST /2010-04-01/Accounts/{sid}/Messages.json``
(form fields To, From or MessagingServiceSid, Body, StatusCallback), checks HTTP basic
auth (account SID : auth token), and answers like Twilio does:

- 201 with a message resource (``sid`` "SM" + 32 hex, ``status`` "queued", …);
- 400 with code 21211 for numbers a test marked invalid (or that are not E.164);
- whatever a test queued with :meth:`FakeTwilio.fail_next` (500, 429, …);
- 401 with code 20003 for wrong credentials.

It also answers Twilio's message look-ups, ``GET …/Messages.json`` (newest first;
filters To, From, DateSent, DateSent<, DateSent>; pages of PageSize with
``next_page_uri``) and ``GET …/Messages/{sid}.json``; each is recorded in
:attr:`FakeTwilio.lookups`. :attr:`FakeTwilio.reply_delay` makes it answer each
create request that many seconds late, *after* accepting the message (as a slow
network does): a sender killed meanwhile never learns the SID.

It can also play Twilio's side of a status callback: :meth:`FakeTwilio.send_status`
POSTs a form signed with ``X-Twilio-Signature`` to the StatusCallback URL it was given;
with :attr:`FakeTwilio.status_before_reply` set it does so for every accepted message
*before* answering the API call, as a fast carrier can: the callback then arrives while
the sender is still waiting for the message's SID.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from twilio.request_validator import RequestValidator

API_VERSION = "2010-04-01"
_MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>AC[0-9a-f]{32})/Messages\.json$")
_MESSAGE_PATH = re.compile(
    r"^/2010-04-01/Accounts/(?P<account>AC[0-9a-f]{32})/Messages/(?P<sid>SM[0-9a-f]{32})\.json$"
)
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")

# Twilio's own wording for the errors the fake produces.
_ERRORS: dict[int, tuple[int, str]] = {
    20003: (401, "Authenticate"),
    20404: (404, "The requested resource was not found"),
    20429: (429, "Too Many Requests"),
    20500: (500, "An internal server error has occurred"),
    21211: (400, "Invalid 'To' Phone Number: {to}"),
    21602: (400, "Message body is required."),
    21603: (400, "A 'From' phone number is required."),
    21604: (400, "A 'To' phone number is required."),
}
_DEFAULT_CODE_FOR_STATUS = {401: 20003, 404: 20404, 429: 20429, 500: 20500, 503: 20500}


def new_sid(prefix: str) -> str:
    """A Twilio-style SID: two letters and 32 lowercase hex digits."""
    return prefix + secrets.token_hex(16)


def _rfc2822(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=False).replace("-0000", "+0000")


def _rfc2822_now() -> str:
    return _rfc2822(datetime.now(UTC))


def _parse_date_filter(value: str) -> tuple[datetime, bool]:
    """A DateSent filter value: ``YYYY-MM-DD`` (a whole day) or ISO 8601 with a time,
    as the client sends it. Returns (moment, whole_day)."""
    if len(value) == 10:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC), True
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC), False


@dataclass(frozen=True)
class ReceivedSms:
    """One message the fake accepted."""

    sid: str
    account_sid: str
    to: str
    from_: str
    messaging_service_sid: str
    body: str
    status_callback: str
    created: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class _Failure:
    status: int
    code: int
    remaining: int


class FakeTwilio:
    """The fake server. ``start()`` it, point the settings at ``base_url``, ``stop()`` it."""

    def __init__(
        self,
        account_sid: str | None = None,
        auth_token: str | None = None,
        from_: str = "+4570112233",
    ) -> None:
        self.account_sid = account_sid or new_sid("AC")
        self.auth_token = auth_token or secrets.token_hex(16)
        self.from_ = from_
        #: Messages accepted (201), in order.
        self.received: list[ReceivedSms] = []
        #: Every API request as (HTTP status answered, form fields), in order.
        self.requests: list[tuple[int, dict[str, str]]] = []
        #: Numbers answered with 400 / code 21211.
        self.invalid_numbers: set[str] = set()
        #: Answer errors in the RFC 9457 "problem details" shape newer Twilio APIs use.
        self.problem_details = False
        #: A status ("delivered", "undelivered"…) to call back with before answering
        #: the API call that created the message; the HTTP status answered is kept
        #: in :attr:`early_callbacks`.
        self.status_before_reply: str | None = None
        self.early_callbacks: list[int] = []
        #: Seconds to wait before answering each create request (the message is
        #: accepted first). Settable while the server runs.
        self.reply_delay = 0.0
        #: Like an account's sending rate, enforced: more messages than this within
        #: any second are answered 429 (code 20429). None: no limit.
        self.max_per_second: int | None = None
        #: Every look-up (GET) as (HTTP status answered, path, query), in order.
        self.lookups: list[tuple[int, str, dict[str, str]]] = []
        self._failures: list[_Failure] = []
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -----------------------------------------------------------

    def start(self) -> FakeTwilio:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop answering; afterwards connections to ``base_url`` are refused."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def port(self) -> int:
        assert self._server is not None, "the fake Twilio is not running"
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- what tests arrange ----------------------------------------------------

    def fail_next(self, status: int, times: int = 1, *, code: int | None = None) -> None:
        """Answer the next ``times`` message requests with HTTP ``status``."""
        code = code or _DEFAULT_CODE_FOR_STATUS.get(status, status * 100)
        with self._lock:
            self._failures.append(_Failure(status=status, code=code, remaining=times))

    def mark_invalid(self, *numbers: str) -> None:
        with self._lock:
            self.invalid_numbers.update(numbers)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedSms]:
        """Block until at least ``count`` messages were accepted (for worker tests)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._changed.wait(left)
            return list(self.received)

    # --- Twilio's side of a status callback --------------------------------------

    def status_callback(
        self,
        sms: ReceivedSms,
        status: str,
        *,
        error_code: str = "",
        url: str | None = None,
        auth_token: str | None = None,
    ) -> tuple[str, dict[str, str], str]:
        """The URL, form fields and X-Twilio-Signature Twilio would send."""
        url = url or sms.status_callback
        params = {
            "AccountSid": sms.account_sid,
            "ApiVersion": API_VERSION,
            "From": sms.from_,
            "MessageSid": sms.sid,
            "MessageStatus": status,
            "SmsSid": sms.sid,
            "SmsStatus": status,
            "To": sms.to,
        }
        if error_code:
            params["ErrorCode"] = error_code
        signature = RequestValidator(auth_token or self.auth_token).compute_signature(url, params)
        return url, params, signature

    def send_status(
        self,
        sms: ReceivedSms,
        status: str,
        *,
        error_code: str = "",
        url: str | None = None,
        auth_token: str | None = None,
    ) -> int:
        """POST a signed status callback over HTTP; return the HTTP status answered."""
        url, params, signature = self.status_callback(
            sms, status, error_code=error_code, url=url, auth_token=auth_token
        )
        request = urllib.request.Request(  # noqa: S310 (a test URL, http on loopback)
            url,
            data=urllib.parse.urlencode(params).encode(),
            headers={
                "X-Twilio-Signature": signature,
                "Content-Type": "application/x-www-form-urlencoded",
                "User-Agent": "TwilioProxy/1.1",
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return response.status
        except urllib.error.HTTPError as exc:
            exc.close()
            return exc.code

    # --- Twilio's side of an incoming SMS ---------------------------------------------

    def inbound(
        self, sender: str, body: str, url: str, *, sid: str | None = None, to: str | None = None
    ) -> tuple[str, dict[str, str], str]:
        """The form fields and X-Twilio-Signature of Twilio's "a message comes in"
        webhook for an SMS from ``sender`` to our number."""
        sid = sid or new_sid("SM")
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": API_VERSION,
            "Body": body,
            "From": sender,
            "FromCountry": "DK",
            "MessageSid": sid,
            "NumMedia": "0",
            "NumSegments": "1",
            "SmsMessageSid": sid,
            "SmsSid": sid,
            "SmsStatus": "received",
            "To": to or self.from_,
            "ToCountry": "DK",
        }
        signature = RequestValidator(self.auth_token).compute_signature(url, params)
        return url, params, signature

    def send_inbound(self, sender: str, body: str, url: str, *, sid: str | None = None) -> int:
        """POST a signed incoming SMS to ``url`` over HTTP; return the HTTP status answered."""
        url, params, signature = self.inbound(sender, body, url, sid=sid)
        request = urllib.request.Request(  # noqa: S310 (a test URL, http on loopback)
            url,
            data=urllib.parse.urlencode(params).encode(),
            headers={
                "X-Twilio-Signature": signature,
                "Content-Type": "application/x-www-form-urlencoded",
                "User-Agent": "TwilioProxy/1.1",
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return response.status
        except urllib.error.HTTPError as exc:
            exc.close()
            return exc.code

    # --- answering the API ---------------------------------------------------------

    def _authorised(self, header: str, account: str) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return account == self.account_sid and secrets.compare_digest(header, f"Basic {expected}")

    def _next_failure(self) -> _Failure | None:
        if not self._failures:
            return None
        failure = self._failures[0]
        failure.remaining -= 1
        if failure.remaining <= 0:
            self._failures.pop(0)
        return failure

    def handle_create(
        self, account: str, authorization: str, form: dict[str, str]
    ) -> tuple[int, dict[str, Any]]:
        with self._changed:
            answer = self._answer(account, authorization, form)
            self.requests.append((answer[0], form))
            self._changed.notify_all()
            return answer

    def _answer(
        self, account: str, authorization: str, form: dict[str, str]
    ) -> tuple[int, dict[str, Any]]:
        if not self._authorised(authorization, account):
            return self._error(20003, account)
        failure = self._next_failure()
        if failure is not None:
            return self._error(failure.code, account, status=failure.status)
        to = form.get("To", "")
        if not to:
            return self._error(21604, account)
        if not form.get("Body"):
            return self._error(21602, account)
        if not form.get("From") and not form.get("MessagingServiceSid"):
            return self._error(21603, account)
        if to in self.invalid_numbers or not _E164.match(to):
            return self._error(21211, account, to=to)
        if self.max_per_second is not None:
            second_ago = datetime.now(UTC).timestamp() - 1
            recent = 0
            for earlier in reversed(self.received):
                if earlier.created.timestamp() <= second_ago:
                    break
                recent += 1
            if recent >= self.max_per_second:
                return self._error(20429, account, status=429)
        sms = ReceivedSms(
            sid=new_sid("SM"),
            account_sid=account,
            to=to,
            from_=form.get("From", ""),
            messaging_service_sid=form.get("MessagingServiceSid", ""),
            body=form["Body"],
            status_callback=form.get("StatusCallback", ""),
        )
        self.received.append(sms)
        return 201, self._resource(sms)

    def handle_lookup(
        self, path: str, authorization: str, query: dict[str, str]
    ) -> tuple[int, dict[str, Any]]:
        with self._lock:
            answer = self._look_up(path, authorization, query)
            self.lookups.append((answer[0], path, query))
            return answer

    def _look_up(
        self, path: str, authorization: str, query: dict[str, str]
    ) -> tuple[int, dict[str, Any]]:
        one = _MESSAGE_PATH.match(path)
        many = _MESSAGES_PATH.match(path)
        match = one or many
        if match is None:
            return self._error(20404, "")
        account = match["account"]
        if not self._authorised(authorization, account):
            return self._error(20003, account)
        mine = [sms for sms in self.received if sms.account_sid == account]
        if one is not None:
            found = next((sms for sms in mine if sms.sid == one["sid"]), None)
            if found is None:
                return self._error(20404, account)
            return 200, self._resource(found, listed=True)
        return 200, self._page(account, mine, query)

    def _page(
        self, account: str, messages: list[ReceivedSms], query: dict[str, str]
    ) -> dict[str, Any]:
        """One page of the message list, newest first, as Twilio's v2010 list answers."""
        selected = [sms for sms in reversed(messages) if _matches(sms, query)]
        size = min(max(int(query.get("PageSize") or 50), 1), 1000)
        page = int(query.get("Page") or 0)
        start = page * size
        rows = selected[start : start + size]
        base = f"/{API_VERSION}/Accounts/{account}/Messages.json"

        def uri(number: int) -> str:
            params = {k: v for k, v in query.items() if k not in ("Page", "PageToken")}
            params.update({"PageSize": str(size), "Page": str(number)})
            if number:
                params["PageToken"] = f"PA{number}"
            return f"{base}?{urllib.parse.urlencode(params)}"

        more = start + size < len(selected)
        return {
            "messages": [self._resource(sms, listed=True) for sms in rows],
            "end": start + len(rows) - 1 if rows else start,
            "first_page_uri": uri(0),
            "next_page_uri": uri(page + 1) if more else None,
            "page": page,
            "page_size": size,
            "previous_page_uri": uri(page - 1) if page else None,
            "start": start,
            "uri": uri(page),
        }

    def _resource(self, sms: ReceivedSms, *, listed: bool = False) -> dict[str, Any]:
        """The message as Twilio shows it: "queued" when created; when looked up
        later, "sent" (handed to the carrier the moment it was accepted)."""
        now = _rfc2822_now()
        created = _rfc2822(sms.created)
        uri = f"/{API_VERSION}/Accounts/{sms.account_sid}/Messages/{sms.sid}"
        queued = "queued" if sms.from_ else "accepted"
        return {
            "account_sid": sms.account_sid,
            "api_version": API_VERSION,
            "body": sms.body,
            "date_created": created,
            "date_sent": created if listed else None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": sms.from_ or None,
            "messaging_service_sid": sms.messaging_service_sid or None,
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": sms.sid,
            "status": "sent" if listed else queued,
            "subresource_uris": {"media": f"{uri}/Media.json"},
            "to": sms.to,
            "uri": f"{uri}.json",
        }

    def _error(
        self, code: int, account: str, *, status: int | None = None, to: str = ""
    ) -> tuple[int, dict[str, Any]]:
        default_status, text = _ERRORS.get(code, (status or 400, "Error"))
        status = status or default_status
        message = text.format(to=to)
        more_info = f"https://www.twilio.com/docs/errors/{code}"
        if self.problem_details:
            return status, {
                "type": more_info,
                "title": message,
                "status": status,
                "code": code,
                "detail": message,
                "instance": f"/{API_VERSION}/Accounts/{account}/Messages.json",
            }
        return status, {"code": code, "message": message, "more_info": more_info, "status": status}


def _matches(sms: ReceivedSms, query: dict[str, str]) -> bool:
    """Twilio's list filters: To, From, DateSent (a day, or a moment), DateSent<, DateSent>."""
    if query.get("To") and sms.to != query["To"]:
        return False
    if query.get("From") and sms.from_ != query["From"]:
        return False
    sent = sms.created
    for key, compare in (
        ("DateSent", "="),
        ("DateSent<", "<"),
        ("DateSent>", ">"),
    ):
        if not query.get(key):
            continue
        moment, whole_day = _parse_date_filter(query[key])
        value = sent.date() if whole_day else sent.replace(microsecond=0)
        bound = moment.date() if whole_day else moment
        # Twilio's "<" and ">" are inclusive: on or before, on or after.
        if compare == "=" and value != bound:
            return False
        if compare == "<" and value > bound:
            return False
        if compare == ">" and value < bound:
            return False
    return True


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeTwilio/1.0"

    def do_POST(self) -> None:
        fake: FakeTwilio = self.server.fake  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode()
        form = dict(urllib.parse.parse_qsl(raw, keep_blank_values=True))
        match = _MESSAGES_PATH.match(urllib.parse.urlsplit(self.path).path)
        if match is None:
            status, payload = fake._error(20404, "")
        else:
            status, payload = fake.handle_create(
                match["account"], self.headers.get("Authorization", ""), form
            )
            early = fake.status_before_reply
            if status == 201 and early and form.get("StatusCallback"):
                sms = next(r for r in fake.received if r.sid == payload["sid"])
                fake.early_callbacks.append(fake.send_status(sms, early))
            if fake.reply_delay > 0:
                time.sleep(fake.reply_delay)
        self._reply(status, payload)

    def do_GET(self) -> None:
        fake: FakeTwilio = self.server.fake  # type: ignore[attr-defined]
        parts = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
        self._reply(*fake.handle_lookup(parts.path, self.headers.get("Authorization", ""), query))

    def _reply(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Twilio-Request-Id", new_sid("RQ"))
        self.end_headers()
        # The sender may be gone (a test killed it): the message stays accepted.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read ``FakeTwilio.requests`` instead."""
