"""The print engine: a request becomes a job, the job's items are split into
chunks that Celery workers render in parallel, and the worker that finishes the
last chunk merges the parts into one PDF (or one ZIP of single PDFs).

- ``request_job`` is the one way in (pages, the command line): a second request
  for the same documents by the same person while one runs gets that one.
- ``start``/``render_chunk``/``merge`` are what the tasks run; each is safe to run
  twice (a redelivered task finds its work done and returns).
- A chunk that fails is rendered again item by item: the items that fail alone
  are reported by name, the rest is printed.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import secrets
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

import pikepdf
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import User
from accounts.scopes import Capability
from documents.kinds import KINDS, Filters, Kind
from documents.merge import merge_pdfs
from documents.models import PrintChunk, PrintJob
from documents.rendered import Rendered
from documents.rendering import render_pdf
from elections.models import Election, Shift
from staffing import access
from staffing.models import Assignment

log = logging.getLogger(__name__)

# What a printed document shows: names with addresses or phone numbers.
NEED = Capability.VIEW_CONTACT


@dataclass(frozen=True)
class Request:
    election: Election
    kind: str
    filters: Filters
    as_zip: bool = False

    def fingerprint(self, by: User | None) -> str:
        data = {
            "election": self.election.pk,
            "kind": self.kind,
            "filters": self.filters.as_json(),
            "zip": self.as_zip,
            "by": by.pk if by is not None else None,
        }
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def request_job(
    request: Request, *, by: User | None, language: str, command_line: bool = False
) -> tuple[PrintJob, bool]:
    """The job for ``request``: the running one if the same person asked for the
    same documents already, else a new one queued for the workers. Returns the job
    and whether it is new."""
    from documents import tasks

    if by is None and not command_line:
        raise ValueError("a print job is asked for by a person or from the command line")
    fingerprint = request.fingerprint(by)
    running = PrintJob.objects.filter(fingerprint=fingerprint, status__in=PrintJob.ACTIVE)
    with transaction.atomic():
        found = running.first()
        if found is not None:
            return found, False
        try:
            with transaction.atomic():
                job = PrintJob.objects.create(
                    election=request.election,
                    kind=request.kind,
                    filters=request.filters.as_json(),
                    as_zip=request.as_zip,
                    fingerprint=fingerprint,
                    requested_by=by,
                    command_line=command_line,
                    language=language,
                )
        except IntegrityError:  # the same request, a moment earlier
            return running.get(), False
        audit.record(
            "print.requested",
            job,
            by=by,
            election_id=request.election.pk,
            detail={"kind": request.kind, "filters": job.filters, "zip": request.as_zip},
        )
        transaction.on_commit(lambda: tasks.start_print_job.delay(job.pk))
    return job, True


def scope_shifts(job: PrintJob) -> QuerySet[Shift] | None:
    """The shifts the job may print: the requester's scope now (a person who lost
    their role since asking gets nothing); the whole election from the command
    line. None if the requester may no longer print in this election."""
    if job.command_line:
        return Shift.objects.filter(election_id=job.election_id)
    user = job.requested_by
    if user is None:  # the requester's account is gone
        return None
    if not user.is_active:
        return None
    if not access.visible_elections(user, NEED).filter(pk=job.election_id).exists():
        return None
    return access.election_shifts(user, job.election, NEED)


def _chunks(kind: Kind, keys: list[str]) -> list[list[str]]:
    """Keys in print order, cut into chunks of at most ``kind.chunk_size``; an
    item that must be alone gets a chunk of its own, and a chunk never mixes
    languages (a letter's language is its document's): letters come in the
    site's language first, then the others, each in print order."""
    languages = kind.languages(keys) if kind.languages else {}
    if languages:
        # One language after the other, each in print order: few, full chunks
        # (language changes scattered through the stations would cut them small).
        default = settings.LANGUAGE_CODE
        keys = sorted(keys, key=lambda k: (languages.get(k) != default, languages.get(k) or ""))
    chunks: list[list[str]] = []
    current: list[str] = []
    for key in keys:
        alone = key in kind.alone
        other_language = current and languages.get(key) != languages.get(current[-1])
        if current and (alone or other_language or len(current) >= kind.chunk_size):
            chunks.append(current)
            current = []
        current.append(key)
        if alone:
            chunks.append(current)
            current = []
    if current:
        chunks.append(current)
    return chunks


def start(job_id: int) -> PrintJob | None:
    """Select the job's items, split them into chunks and hand them to the workers."""
    from documents import tasks

    with transaction.atomic():
        job = (
            PrintJob.objects.select_for_update(of=("self",))
            .select_related("election", "requested_by")
            .filter(pk=job_id)
            .first()
        )
        if job is None or job.status != PrintJob.Status.QUEUED:
            return job
        with translation.override(job.language):
            shifts = scope_shifts(job)
            if shifts is None:
                return _fail(job, _("You may no longer print documents in this election."))
            kind = KINDS[job.kind]
            keys = kind.select(job.election, shifts, Filters.from_json(job.filters))
            if not keys:
                return _fail(job, _("Nothing to print: no documents match what you chose."))
        parts = _chunks(kind, keys)
        chunks = PrintChunk.objects.bulk_create(
            PrintChunk(job=job, index=i, keys=part) for i, part in enumerate(parts)
        )
        job.items_total = len(keys)
        job.chunks_total = len(chunks)
        job.status = PrintJob.Status.RUNNING
        job.started_at = timezone.now()
        job.save(update_fields=["items_total", "chunks_total", "status", "started_at"])
        ids = [c.pk for c in chunks]
        transaction.on_commit(lambda: [tasks.render_print_chunk.delay(pk) for pk in ids])
    return job


def _fail(job: PrintJob, error: str) -> PrintJob:
    job.status = PrintJob.Status.FAILED
    job.error = error
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "finished_at"])
    return job


@dataclass
class ChunkResult:
    content: bytes = b""
    pages: int = 0
    rendered: int = 0
    printed: list[int] | None = None
    failures: list[dict] | None = None


def _failure(key: str, labels: dict[str, str], error: str) -> dict:
    return {"key": key, "label": labels.get(key, key), "error": error}


def _render_one_document(job: PrintJob, keys: list[str], shifts: QuerySet[Shift]) -> Rendered:
    return KINDS[job.kind].render(job.election, keys, shifts)


class _PerItem(Exception):
    """The kind renders each item as a document of its own."""


def _pdf_part(job: PrintJob, keys: list[str], shifts: QuerySet[Shift]) -> ChunkResult:
    """The chunk as one PDF; if it cannot be made, item by item."""
    kind = KINDS[job.kind]
    try:
        if kind.per_item:
            raise _PerItem
        rendered = _render_one_document(job, keys, shifts)
        pdf = render_pdf(rendered.html) if rendered.keys else b""
        parts = [(rendered, pdf)]
        failed: list[dict] = []
    except _PerItem:
        parts, failed = _item_by_item(job, keys, shifts)
    except Exception:  # one bad item must not cost the others their documents
        log.warning("print job %s: a chunk failed, rendering it item by item", job.pk)
        parts, failed = _item_by_item(job, keys, shifts)
    labels_needed = [k for k in keys if k not in {k for r, _ in parts for k in r.keys}]
    labels = kind.labels(labels_needed) if labels_needed else {}
    failed_keys = {f["key"] for f in failed}
    failures = [_failure(f["key"], labels, f["error"]) for f in failed]
    done = {k for r, _ in parts for k in r.keys}
    failures += [
        _failure(
            k, labels, _("Left out: it no longer matches (an answer changed or a seat moved).")
        )
        for k in keys
        if k not in done and k not in failed_keys
    ]
    merged = _merge_pdfs(pdf for _, pdf in parts if pdf)
    return ChunkResult(
        content=merged.content,
        pages=merged.pages,
        rendered=len(done),
        printed=[a for r, _ in parts for a in r.assignments],
        failures=failures,
    )


def _item_by_item(
    job: PrintJob, keys: list[str], shifts: QuerySet[Shift]
) -> tuple[list[tuple[Rendered, bytes]], list[dict]]:
    parts: list[tuple[Rendered, bytes]] = []
    failed: list[dict] = []
    for key in keys:
        try:
            rendered = _render_one_document(job, [key], shifts)
            pdf = render_pdf(rendered.html) if rendered.keys else b""
        except Exception as error:
            log.exception("print job %s: item %s could not be printed", job.pk, key)
            failed.append(
                {
                    "key": key,
                    "error": _("Could not be printed (%(problem)s).")
                    % {"problem": type(error).__name__},
                }
            )
            continue
        parts.append((rendered, pdf))
    return parts, failed


def _zip_part(job: PrintJob, keys: list[str], shifts: QuerySet[Shift]) -> ChunkResult:
    """The chunk as single PDFs in a ZIP, one per item, named after it."""
    kind = KINDS[job.kind]
    labels = kind.labels(keys)
    parts, failed = _item_by_item(job, keys, shifts)
    buffer = io.BytesIO()
    pages = 0
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for rendered, pdf in parts:
            if not pdf:
                continue
            key = rendered.keys[0]
            name = file_slug(labels.get(key, key)) or "document"
            archive.writestr(f"{job.kind}-{key.replace(':', '-')}-{name}.pdf", pdf)
            with pikepdf.open(io.BytesIO(pdf)) as single:
                pages += len(single.pages)
    done = {k for r, _ in parts for k in r.keys}
    failed_keys = {f["key"] for f in failed}
    failures = [_failure(f["key"], labels, f["error"]) for f in failed]
    failures += [
        _failure(
            k, labels, _("Left out: it no longer matches (an answer changed or a seat moved).")
        )
        for k in keys
        if k not in done and k not in failed_keys
    ]
    return ChunkResult(
        content=buffer.getvalue(),
        pages=pages,
        rendered=len(done),
        printed=[a for r, _ in parts for a in r.assignments],
        failures=failures,
    )


def render_chunk(chunk_id: int) -> PrintChunk | None:
    """Render one chunk and store its part; the last chunk of a job starts the merge."""
    from documents import tasks

    chunk = PrintChunk.objects.select_related("job__election", "job__requested_by").get(pk=chunk_id)
    job = chunk.job
    if chunk.status != PrintChunk.Status.PENDING or job.status != PrintJob.Status.RUNNING:
        return chunk  # a redelivered task: done already, or the job has ended
    with translation.override(job.language):
        shifts = scope_shifts(job)
        try:
            if shifts is None:
                raise PermissionError
            result = (_zip_part if job.as_zip else _pdf_part)(job, chunk.keys, shifts)
        except Exception:
            log.exception("print job %s: chunk %s failed", job.pk, chunk.index)
            labels = KINDS[job.kind].labels(chunk.keys)
            reason = _("Could not be printed.")
            result = ChunkResult(failures=[_failure(k, labels, reason) for k in chunk.keys])
    part = ""
    if result.content:
        suffix = "zip" if job.as_zip else "pdf"
        part = default_storage.save(
            f"print/parts/{job.pk}-{chunk.index}-{secrets.token_hex(8)}.{suffix}",
            ContentFile(result.content),
        )
    with transaction.atomic():
        job = PrintJob.objects.select_for_update().get(pk=job.pk)
        fresh = PrintChunk.objects.select_for_update().get(pk=chunk.pk)
        if fresh.status != PrintChunk.Status.PENDING or job.status != PrintJob.Status.RUNNING:
            if part:
                default_storage.delete(part)
            return fresh
        fresh.status = PrintChunk.Status.DONE if result.rendered else PrintChunk.Status.FAILED
        fresh.part = part
        fresh.pages = result.pages
        fresh.rendered = result.rendered
        fresh.failures = result.failures or []
        fresh.printed = result.printed or []
        fresh.finished_at = timezone.now()
        fresh.save()
        PrintJob.objects.filter(pk=job.pk).update(
            items_done=F("items_done") + len(chunk.keys), chunks_done=F("chunks_done") + 1
        )
        if job.chunks_done + 1 == job.chunks_total:
            PrintJob.objects.filter(pk=job.pk).update(status=PrintJob.Status.MERGING)
            transaction.on_commit(lambda: tasks.merge_print_job.delay(job.pk))
    return fresh


@dataclass
class Merged:
    content: bytes
    pages: int


def _merge_pdfs(pdfs: Iterable[bytes]) -> Merged:
    """One tagged (PDF/UA-1) PDF from several, in order, with their structure
    trees and bookmarks (documents.merge)."""
    content, pages = merge_pdfs(pdfs)
    return Merged(content, pages)


def _merge_zips(parts: Iterable[bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for part in parts:
            with zipfile.ZipFile(io.BytesIO(part)) as archive:
                for name in archive.namelist():
                    out.writestr(name, archive.read(name))
    return buffer.getvalue()


_DANISH = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "Ae", "Ø": "Oe", "Å": "Aa"})


def file_slug(text: str) -> str:
    """A file name part in plain ASCII: "Søren Ødegård" → "soeren-oedegaard"."""
    return slugify(text.translate(_DANISH))


def file_name(job: PrintJob) -> str:
    election = file_slug(job.election.name) or str(job.election_id)
    suffix = "zip" if job.as_zip else "pdf"
    return f"{job.kind}-{election}-{job.pk}.{suffix}"


def keep_for() -> timedelta:
    return timedelta(hours=settings.PRINT_FILES_KEEP_HOURS)


def run_inline(job_id: int) -> PrintJob:
    """Do whatever is left of a job in this process, in order (the command line
    without workers). Each step is idempotent: done steps are skipped."""
    start(job_id)
    for chunk_id in PrintChunk.objects.filter(
        job_id=job_id, status=PrintChunk.Status.PENDING
    ).values_list("pk", flat=True):
        render_chunk(chunk_id)
    merge(job_id)
    return PrintJob.objects.get(pk=job_id)


def _read(name: str) -> bytes:
    with default_storage.open(name, "rb") as part:
        return part.read()


def merge(job_id: int) -> PrintJob | None:
    """Put the parts together, store the file, record the letters as printed."""
    job = PrintJob.objects.select_related("election").filter(pk=job_id).first()
    if job is None or job.status != PrintJob.Status.MERGING:
        return job
    chunks = list(job.chunks.order_by("index"))
    contents = [_read(c.part) for c in chunks if c.part]
    failures = [f for c in chunks for f in c.failures]
    printed = [a for c in chunks for a in c.printed]
    if job.as_zip:
        content = _merge_zips(contents) if contents else b""
        pages = sum(c.pages for c in chunks)
    else:
        merged = _merge_pdfs(contents)
        content, pages = merged.content, merged.pages
    name = ""
    if content:
        name = default_storage.save(
            f"print/{secrets.token_urlsafe(16)}/{file_name(job)}", ContentFile(content)
        )
    now = timezone.now()
    with transaction.atomic():
        locked = PrintJob.objects.select_for_update().get(pk=job.pk)
        if locked.status != PrintJob.Status.MERGING:
            if name:
                default_storage.delete(name)
            return locked
        locked.failures = failures
        locked.finished_at = now
        if name:
            locked.status = PrintJob.Status.DONE
            locked.file = name
            locked.file_size = len(content)
            locked.pages = pages
            locked.expires_at = now + keep_for()
            field = KINDS[job.kind].printed_field
            if field and printed:
                Assignment.objects.filter(pk__in=printed).update(**{field: now})
        else:
            locked.status = PrintJob.Status.FAILED
            with translation.override(job.language):
                locked.error = _("None of the documents could be printed.")
        locked.save()
    for chunk in chunks:
        if chunk.part:
            default_storage.delete(chunk.part)
    return locked


def purge(now=None) -> int:
    """Delete files past their expiry, and give up on jobs that stopped moving
    (a worker that died mid-job): a new request can then start afresh."""
    now = now or timezone.now()
    expired = 0
    for job in PrintJob.objects.filter(status=PrintJob.Status.DONE, expires_at__lt=now):
        if job.file:
            job.file.delete(save=False)
        PrintJob.objects.filter(pk=job.pk).update(status=PrintJob.Status.EXPIRED, file="")
        expired += 1
    stale = now - timedelta(hours=settings.PRINT_JOB_TIMEOUT_HOURS)
    for job in PrintJob.objects.filter(status__in=PrintJob.ACTIVE, created_at__lt=stale):
        for chunk in job.chunks.exclude(part=""):
            default_storage.delete(chunk.part)
        with translation.override(job.language):
            _fail(job, _("Stopped: it took too long. Ask for the documents again."))
    return expired


_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def download_name(job: PrintJob) -> str:
    return _SAFE_NAME.sub("-", file_name(job))


def record_printed(kind: str, assignment_ids: list[int]) -> None:
    """A single letter was printed on request: "only not yet printed" leaves it out."""
    field = KINDS[kind].printed_field
    if field and assignment_ids:
        Assignment.objects.filter(pk__in=assignment_ids).update(**{field: timezone.now()})
