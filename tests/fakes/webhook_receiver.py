"""A webhook receiver on 127.0.0.1: what a municipality's integration would run.

It verifies each POST as docs/webhooks.md tells receivers to (the HMAC-SHA256
signature of "<timestamp>.<body>" with the endpoint's secret, and a timestamp
within five minutes), records it, and answers 204, or what a test queued with
:meth:`WebhookReceiver.fail_next` (a 500, a 410…). A request with a bad signature
is answered 401 and recorded with ``verified=False``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOLERANCE = 300


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """The receiver's check, written from the documentation (not the sender's code)."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs(time.time() - sent) > TOLERANCE:
        return False
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return any(
        part.strip().startswith("v1=") and hmac.compare_digest(part.strip()[3:], expected)
        for part in signature.split(",")
    )


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    url: str = ""
    secret: str = ""
    requests: list[Received] = field(default_factory=list)
    _fail: list[int] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, status: int = 500, times: int = 1) -> None:
        with self._lock:
            self._fail.extend([status] * times)

    def _answer(self) -> int:
        with self._lock:
            return self._fail.pop(0) if self._fail else 204

    @property
    def verified(self) -> list[Received]:
        return [r for r in self.requests if r.verified]


def _handler(receiver: WebhookReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            ok = verify(
                receiver.secret,
                self.headers.get("Pollcrew-Timestamp", ""),
                body,
                self.headers.get("Pollcrew-Signature", ""),
            )
            with receiver._lock:
                receiver.requests.append(Received(self.path, dict(self.headers), body, ok))
            status = self._status(ok)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _status(self, ok: bool) -> int:
            return receiver._answer() if ok else 401

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    httpd.daemon_threads = True
    # A short poll: shutting down waits for it, once per test.
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{httpd.server_address[1]}/hooks/pollcrew"
    try:
        yield receiver
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)
