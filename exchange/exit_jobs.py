"""The admin's full data export as a background job: at national scale the ZIP
takes longer to make than a web request may last (gunicorn's worker timeout),
so the button queues a Celery task and the page follows it.

- A job is a random token. Its state (who asked, status, tables done, size,
  error) is a cache entry; its file is ``MEDIA_ROOT/exit/<token>.zip``, written
  under a temporary name first and renamed when complete, so a half-written file
  is never offered.
- ``request_export`` is the one way in: a second click by the same admin while
  their job waits or runs gets that job.
- ``run`` is what the task does; it is safe to run twice (a redelivered task
  finds the job done and returns; a job that was running when its worker died
  starts again). Each run first deletes the files older than
  EXIT_FILES_KEEP_HOURS (they hold everyone's personal data).
- Only the admin who asked may follow and download the job; the download is
  recorded in the audit log, as the export itself is (``exchange.exit``)."""

from __future__ import annotations

import logging
import os
import secrets
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from accounts.models import User
from accounts.scopes import scope_of
from exchange import exit as data_exit

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
ACTIVE = (QUEUED, RUNNING)
# A job that has not moved for this long is taken as dead: the admin may start another.
STALE = timedelta(hours=1)


def keep_for() -> timedelta:
    return timedelta(hours=getattr(settings, "EXIT_FILES_KEEP_HOURS", 24))


def folder() -> Path:
    return Path(settings.MEDIA_ROOT) / "exit"


def file_path(token: str) -> Path:
    return folder() / f"{token}.zip"


def _key(token: str) -> str:
    return f"exchange.exit.job.{token}"


def _latest_key(user_id: int) -> str:
    return f"exchange.exit.latest.{user_id}"


def _valid(token: str) -> bool:
    return 20 <= len(token) <= 64 and all(c.isalnum() or c in "-_" for c in token)


def get(token: str) -> dict[str, Any] | None:
    if not _valid(token):
        return None
    state = cache.get(_key(token))
    return state if isinstance(state, dict) else None


def _save(token: str, state: dict[str, Any]) -> None:
    state["updated_at"] = timezone.now().isoformat()
    cache.set(_key(token), state, timeout=int(keep_for().total_seconds()) + 3600)


def _stale(state: dict[str, Any]) -> bool:
    updated = datetime.fromisoformat(state["updated_at"])
    return timezone.now() - updated > STALE


def active(state: dict[str, Any]) -> bool:
    return state["status"] in ACTIVE and not _stale(state)


def job_for(user: User, token: str) -> dict[str, Any] | None:
    """The job ``token`` if ``user`` is an admin and asked for it, else None."""
    state = get(token)
    if state is None or state.get("by") != user.pk or not scope_of(user).is_admin:
        return None
    return state


def latest(user: User) -> tuple[str, dict[str, Any]] | None:
    token = cache.get(_latest_key(user.pk))
    state = get(token) if isinstance(token, str) else None
    return (token, state) if state is not None else None


def request_export(*, by: User, ip: str | None = None) -> tuple[str, bool]:
    """The admin's export job: the one waiting or running, or a new one queued.
    Returns its token and whether it is new."""
    from exchange import exit_tasks

    found = latest(by)
    if found is not None and active(found[1]):
        return found[0], False
    token = secrets.token_urlsafe(24)
    _save(
        token,
        {
            "status": QUEUED,
            "by": by.pk,
            "ip": ip,
            "created_at": timezone.now().isoformat(),
            "tables_done": 0,
            "tables_total": len(data_exit.exported_models()),
            "size": 0,
            "error": "",
        },
    )
    cache.set(_latest_key(by.pk), token, timeout=int(keep_for().total_seconds()) + 3600)
    exit_tasks.run_full_export.delay(token)
    return token, True


def purge(now: float | None = None) -> int:
    """Delete the export files (and leftovers of broken runs) older than
    EXIT_FILES_KEEP_HOURS; how many."""
    limit = (now if now is not None else time.time()) - keep_for().total_seconds()
    count = 0
    if not folder().is_dir():
        return 0
    for path in folder().iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < limit:
                path.unlink()
                count += 1
        except FileNotFoundError:  # another run took it
            continue
    return count


def run(token: str) -> dict[str, Any] | None:
    """Make the job's ZIP (the task's work)."""
    purge()
    state = get(token)
    if state is None or state["status"] in (DONE, FAILED):
        return state
    user = User.objects.filter(pk=state["by"], is_active=True).first()
    if user is None or not scope_of(user).is_admin:
        state.update(status=FAILED, error="not_admin")
        _save(token, state)
        return state
    state.update(status=RUNNING, tables_done=0)
    _save(token, state)

    def progress(done: int, total: int) -> None:
        state.update(tables_done=done, tables_total=total)
        _save(token, state)

    folder().mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder(), prefix=f".{token}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            data_exit.export_all(out, by=user, ip=state.get("ip"), on_table=progress)
        os.replace(temporary, file_path(token))
    except Exception:
        log.exception("The full data export failed")
        Path(temporary).unlink(missing_ok=True)
        state.update(status=FAILED, error="failed")
        _save(token, state)
        return state  # the page says so; running it again would fail again
    state.update(status=DONE, size=file_path(token).stat().st_size)
    _save(token, state)
    return state
