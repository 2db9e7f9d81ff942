"""Print jobs: a batch of documents (all letters of an election, every roster…)
rendered by Celery workers in chunks and merged into one file.

A job's chunks are rows of their own, so that several workers render them in
parallel and each records its own result; the worker that finishes the last
chunk merges them (documents.jobs). At most one job per request fingerprint
(who asks, for what) is queued or running: a second request shows that one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from elections.models import Election


class DocumentKind(models.TextChoices):
    LETTERS = "letters", _("Appointment letters")
    INVITATIONS = "invitations", _("Invitation letters")
    ROSTERS = "rosters", _("Election roster")
    SIGNIN = "signin", _("Sign-in sheets")
    BADGES = "badges", _("Name badges")


class PrintJob(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Rendering")
        MERGING = "merging", _("Putting together")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    ACTIVE = (Status.QUEUED, Status.RUNNING, Status.MERGING)

    election = models.ForeignKey(
        Election,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # printjob_election_idx starts with it
        verbose_name=_("election"),
    )
    kind = models.CharField(_("documents"), max_length=12, choices=DocumentKind.choices)
    # What was asked for, normalised (documents.jobs.Request.as_filters).
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    as_zip = models.BooleanField(_("ZIP of single PDFs"), default=False)
    fingerprint = models.CharField(_("fingerprint"), max_length=64, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    # Asked for by `manage.py print_documents` (the whole election, no scope).
    command_line = models.BooleanField(_("from the command line"), default=False)
    # The requester's language: page titles and failure reasons are in it.
    language = models.CharField(_("language"), max_length=8)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    items_total = models.IntegerField(_("items"), default=0)
    items_done = models.IntegerField(_("items rendered"), default=0)
    chunks_total = models.IntegerField(_("chunks"), default=0)
    chunks_done = models.IntegerField(_("chunks finished"), default=0)
    # [{"key": ..., "label": ..., "error": ...}]: items that could not be printed.
    failures = models.JSONField(_("not printed"), default=list, blank=True)
    file = models.FileField(_("file"), upload_to="print/", blank=True)
    file_size = models.BigIntegerField(_("file size"), null=True, blank=True)
    pages = models.IntegerField(_("pages"), null=True, blank=True)
    error = models.TextField(_("why it failed"), blank=True)
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)

    class Meta:
        verbose_name = _("print job")
        verbose_name_plural = _("print jobs")
        constraints = [
            models.UniqueConstraint(
                fields=["fingerprint"],
                condition=Q(status__in=["queued", "running", "merging"]),
                name="printjob_one_active_per_request",
                violation_error_message=_("These documents are already being printed."),
            ),
            models.CheckConstraint(
                condition=Q(items_done__gte=0)
                & Q(chunks_done__gte=0)
                & Q(chunks_done__lte=models.F("chunks_total")),
                name="printjob_counts_in_range",
                violation_error_message=_("A print job cannot finish more chunks than it has."),
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(finished_at__isnull=False),
                name="printjob_done_has_time",
                violation_error_message=_("A finished print job needs the time it finished."),
            ),
        ]
        indexes = [
            models.Index(fields=["election", "-created_at"], name="printjob_election_idx"),
            models.Index(fields=["status", "expires_at"], name="printjob_expiry_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.election_id} #{self.pk} ({self.status})"

    @property
    def active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.items_total:
            return 0
        # Merging is the last stretch: never show 100 % before the file exists.
        return min(99, self.items_done * 100 // self.items_total)


class PrintChunk(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        DONE = "done", _("Rendered")
        FAILED = "failed", _("Failed")

    job = models.ForeignKey(
        PrintJob, on_delete=models.CASCADE, related_name="chunks", verbose_name=_("print job")
    )
    index = models.IntegerField(_("number"))
    keys = models.JSONField(_("items"))
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    # Storage name of the rendered part (a PDF, or a ZIP's worth of single PDFs).
    part = models.CharField(_("part"), max_length=200, blank=True)
    pages = models.IntegerField(_("pages"), default=0)
    rendered = models.IntegerField(_("items rendered"), default=0)
    failures = models.JSONField(_("not printed"), default=list, blank=True)
    # Assignments whose letters this chunk printed: recorded when the file is ready.
    printed = models.JSONField(_("letters printed"), default=list, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("print chunk")
        verbose_name_plural = _("print chunks")
        constraints = [
            models.UniqueConstraint(
                fields=["job", "index"],
                name="printchunk_unique_index",
                violation_error_message=_("A print job has one chunk per number."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.job_id}/{self.index} ({self.status})"
