"""Django served on a thread per request (as the live server is), with room
for many connections at once: tests where everyone presses at the same moment."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler


class _Server(ThreadedWSGIServer):
    # Everyone connects at the same moment: the live server's backlog of 10 would
    # reset connections before Django saw them.
    request_queue_size = 256


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass


@contextmanager
def threaded_django(settings) -> Iterator[str]:
    """The server's base address; SITE_URL and ALLOWED_HOSTS point at it
    (``settings``: pytest-django's fixture, which restores them)."""
    httpd = _Server(("127.0.0.1", 0), _Quiet, allow_reuse_address=False)
    httpd.set_app(WSGIHandler())
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    settings.SITE_URL = base
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    try:
        yield base
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)
