"""Point the project's Celery app at a broker for one test, and put it back afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from celery import Celery
from kombu import pools
from kombu.utils.collections import eqhash

from pollcrew.celery import app as celery_app


def _close_pools(app: Celery) -> None:
    """Close and forget the pools for the current broker URL, so that the next
    publish connects afresh. kombu keeps pools in a process-wide registry keyed
    by broker, so they are removed from there too (a closed pool left in it
    would fail every later publish, even eager ones)."""
    with app.connection_for_write() as connection:
        key = eqhash(connection)
    for group in (pools.producers, pools.connections):
        pool = dict.pop(group, key, None)
        if pool is not None:
            pool.force_close_all()
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None
    app._pool = None


@contextmanager
def celery_broker(url: str, *, eager: bool = False, **conf: Any) -> Iterator[Celery]:
    """Use ``url`` as the broker (tasks are published, not run inline, unless
    ``eager``); every setting touched is restored on exit.

    The read and write URLs are set too: Celery prefers the CELERY_BROKER_URL
    environment variable (set in CI) over ``broker_url``, but not over them.
    """
    app = celery_app
    changes = {
        "broker_url": url,
        "broker_read_url": url,
        "broker_write_url": url,
        "task_always_eager": eager,
        **conf,
    }
    saved = {key: app.conf[key] for key in changes}
    _close_pools(app)
    app.conf.update(changes)
    try:
        yield app
    finally:
        _close_pools(app)
        app.conf.update(saved)
