"""An import from upload to commit, as services (``by=``, audited): ``upload``
reads the file and proposes a mapping (the user's preset for that header, else
guessed from the header names), ``set_mapping`` confirms it (and remembers it as
the preset), ``start_check`` runs the dry run and ``start_commit`` the import —
in the request for a small file, as a Celery job (``exchange.tasks``) from
``IMPORT_IN_REQUEST_MAX_ROWS`` rows on.

The commit checks every row again (the data may have changed since the dry run)
and writes the rows that pass in one transaction. While it runs, its progress is
counted in the cache (the job's row is locked inside that transaction), so that
the page polling it sees the rows go by.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import User
from elections.models import Election
from exchange.imports import fields, kinds
from exchange.imports.readers import Table, cell_text, read_table
from exchange.models import ImportJob, MappingPreset
from pollcrew.refusals import Refused

log = logging.getLogger(__name__)
Status = ImportJob.Status
SAMPLE_ROWS = 3  # shown under each column's name on the mapping page


def in_request_max_rows() -> int:
    return getattr(settings, "IMPORT_IN_REQUEST_MAX_ROWS", 2000)


def max_bytes() -> int:
    return getattr(settings, "IMPORT_MAX_BYTES", 30 * 1024 * 1024)


def table_of(job: ImportJob) -> Table:
    return read_table(job.filename, bytes(job.content), fields.score(job.kind))


def upload(
    *,
    by: User,
    kind: str,
    filename: str,
    content: bytes,
    election: Election | None = None,
) -> ImportJob:
    """A new import of ``content``: refused if it is not a table we can read."""
    if len(content) > max_bytes():
        raise Refused("too_large", _("The file is too large."))
    table = read_table(filename, content, fields.score(kind))
    if not table.rows:
        raise Refused("empty", _("The file has a header but no rows under it."))
    headers = table.headers
    preset = MappingPreset.objects.filter(
        user=by, kind=kind, headers_key=fields.headers_key(headers)
    ).first()
    mapping = fields.clean_mapping(kind, headers, preset.mapping) if preset else {}
    with transaction.atomic():
        job = ImportJob.objects.create(
            kind=kind,
            election=election,
            filename=filename[:255],
            content=content,
            headers=headers,
            header_line=table.header_line,
            sample=[[cell_text(c)[:80] for c in row] for row in table.rows[:SAMPLE_ROWS]],
            mapping=mapping or fields.guess(kind, headers),
            match_key=preset.match_key
            if preset
            else ImportJob._meta.get_field("match_key").default,
            total_rows=len(table.rows),
            created_by=by,
        )
        audit.record(
            "exchange.upload_import",
            job,
            by=by,
            election_id=election.pk if election else None,
            detail={"kind": kind, "rows": len(table.rows), "file": job.filename},
        )
    return job


def set_mapping(job: ImportJob, mapping: dict[str, int], match_key: str, *, by: User) -> ImportJob:
    """Confirm the mapping (and remember it for files with the same header)."""
    mapping = fields.clean_mapping(job.kind, job.headers, mapping)
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.running:
            raise Refused("running", _("This import is running; wait for it to finish."))
        if job.status == Status.DONE:
            raise Refused("done", _("This file has been imported already."))
        job.mapping, job.match_key = mapping, match_key
        job.status = Status.UPLOADED
        job.report, job.counts = {}, {}
        job.save(update_fields=["mapping", "match_key", "status", "report", "counts", "updated_at"])
        MappingPreset.objects.update_or_create(
            user=by,
            kind=job.kind,
            headers_key=fields.headers_key(job.headers),
            defaults={"mapping": mapping, "match_key": match_key},
        )
        audit.record(
            "exchange.map_import", job, by=by, detail={"mapping": mapping, "key": match_key}
        )
    return job


def _progress_key(job_id: int) -> str:
    return f"exchange:import:{job_id}:done"


def progress(job: ImportJob) -> int:
    """Rows done so far (while a job runs, counted in the cache)."""
    if job.running:
        return min(int(cache.get(_progress_key(job.pk)) or 0), job.total_rows)
    return job.done_rows


def _start(job: ImportJob, status: str, *, by: User) -> ImportJob:
    from exchange import tasks

    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.running:
            return job
        if job.status == Status.DONE:
            raise Refused("done", _("This file has been imported already."))
        if status == Status.COMMITTING and job.status != Status.CHECKED:
            raise Refused("not_checked", _("Run the dry run first."))
        missing = kinds.missing_fields(job.kind, job.mapping, job.match_key)
        if missing:
            raise Refused(
                "mapping",
                _("Choose a column for: %(fields)s.")
                % {"fields": ", ".join(str(f) for f in missing)},
            )
        job.status, job.done_rows, job.error = status, 0, ""
        job.save(update_fields=["status", "done_rows", "error", "updated_at"])
        audit.record(
            "exchange.commit_import" if status == Status.COMMITTING else "exchange.check_import",
            job,
            by=by,
            election_id=job.election_id,
        )
    cache.set(_progress_key(job.pk), 0, 24 * 3600)
    if job.total_rows <= in_request_max_rows():
        run(job.pk)
    else:
        transaction.on_commit(lambda: tasks.run_import.delay(job.pk))
    job.refresh_from_db()
    return job


def start_check(job: ImportJob, *, by: User) -> ImportJob:
    return _start(job, Status.CHECKING, by=by)


def start_commit(job: ImportJob, *, by: User) -> ImportJob:
    return _start(job, Status.COMMITTING, by=by)


def run(job_id: int) -> ImportJob | None:
    """The dry run or the commit the job is waiting for (a task, or the request
    for a small file). A redelivered task finds the job finished and returns."""
    job = ImportJob.objects.select_related("created_by", "election").filter(pk=job_id).first()
    if job is None or not job.running:
        return job
    started = time.monotonic()

    def counted(done: int) -> None:
        cache.set(_progress_key(job_id), done, 24 * 3600)

    try:
        table = table_of(job)
        kind = kinds.KINDS[job.kind]
        options: dict[str, Any] = {"election": job.election, "progress": counted}
        if job.status == Status.CHECKING:
            report = kind.check(table, job.mapping, job.match_key, **options).report
            _finish(job, Status.CHECKED, report.as_json(), started, checked_at=timezone.now())
        else:
            with transaction.atomic():
                # Held until the import commits: a second worker given the same
                # job (a redelivered task) waits here, then finds it done.
                locked = ImportJob.objects.select_for_update().filter(pk=job_id).first()
                if locked is None or locked.status != Status.COMMITTING:
                    return locked
                report = kind.commit(
                    table, job.mapping, job.match_key, by=job.created_by, job_id=job.pk, **options
                )
                _finish(
                    job, Status.DONE, report.as_json(), started, committed_at=timezone.now(),
                    content=b"",
                )  # fmt: skip
    except Refused as refusal:
        ImportJob.objects.filter(pk=job_id).update(status=Status.FAILED, error=refusal.message)
    except Exception:
        log.exception("import %s stopped by an error", job_id)
        ImportJob.objects.filter(pk=job_id).update(
            status=Status.FAILED, error=_("Stopped by an error. Nothing was imported.")
        )
    return ImportJob.objects.get(pk=job_id)


def _finish(job: ImportJob, status: str, report: dict, started: float, **extra: Any) -> None:
    ImportJob.objects.filter(pk=job.pk).update(
        status=status,
        report=report,
        counts=report["counts"],
        done_rows=job.total_rows,
        seconds=round(time.monotonic() - started, 2),
        updated_at=timezone.now(),
        **extra,
    )


def keep_days() -> int:
    return getattr(settings, "IMPORT_FILES_KEEP_DAYS", 7)


def purge_files(*, now: Any = None) -> int:
    """Uploaded files (personal data) not imported within ``IMPORT_FILES_KEEP_DAYS``
    are emptied, and jobs stuck running that long are stopped; the reports stay
    (what was refused and why). Returns how many jobs were emptied."""
    cutoff = (now or timezone.now()) - timedelta(days=keep_days())
    stale = ImportJob.objects.filter(created_at__lt=cutoff).exclude(content=b"")
    with transaction.atomic():
        ImportJob.objects.filter(
            created_at__lt=cutoff, status__in=[Status.CHECKING, Status.COMMITTING]
        ).update(status=Status.FAILED, error=_("Stopped: it ran too long."))
        emptied = stale.update(content=b"", updated_at=timezone.now())
        if emptied:
            audit.record("exchange.purge_import_files", by=None, detail={"jobs": emptied})
    return emptied
