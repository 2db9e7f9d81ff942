"""Imports: the job that carries an uploaded file through its mapping, dry run
and commit (``ImportJob``), the mapping a user confirmed last for a kind of file
(``MappingPreset``), and volunteers' ids in the system a file came from
(``ExternalVolunteerId``: the volunteer model has no such column)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from elections.models import Election
from volunteers.models import Volunteer


class ImportKind(models.TextChoices):
    VOLUNTEERS = "volunteers", _("Volunteers")
    STATIONS = "stations", _("Areas and polling stations")
    ROLES = "roles", _("Roles")
    TEAMS = "teams", _("Teams with members")
    GRID = "grid", _("Seat grid")


class MatchKey(models.TextChoices):
    """Which column says that a row is a volunteer already known (volunteers)."""

    PHONE = "phone", _("Mobile phone")
    EMAIL = "email", _("Email")
    EXTERNAL_ID = "external_id", _("External id")


class ImportJob(models.Model):
    """One uploaded file on its way in: mapped, checked (the dry run's report),
    then committed. Large files are checked and committed by a Celery job
    (``exchange.tasks``) that counts its progress in ``done_rows``."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Waiting for the column mapping")
        CHECKING = "checking", _("Dry run under way")
        CHECKED = "checked", _("Dry run done")
        COMMITTING = "committing", _("Import under way")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Stopped")

    kind = models.CharField(_("kind"), max_length=12, choices=ImportKind.choices)
    election = models.ForeignKey(
        Election,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("election"),
        help_text=_("The seat grid's election."),
    )
    filename = models.CharField(_("file name"), max_length=255)
    # The file as uploaded; emptied once imported (the report keeps what is needed).
    content = models.BinaryField(_("file"), blank=True)
    headers = models.JSONField(_("header"), default=list, blank=True)
    header_line = models.PositiveIntegerField(_("header line"), default=1)
    # The first rows under the header, as text: shown on the mapping page.
    sample = models.JSONField(_("first rows"), default=list, blank=True)
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    match_key = models.CharField(
        _("match on"), max_length=12, choices=MatchKey.choices, default=MatchKey.PHONE
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.UPLOADED
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    done_rows = models.PositiveIntegerField(_("rows done"), default=0)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    report = models.JSONField(_("report"), default=dict, blank=True)
    error = models.TextField(_("why it stopped"), blank=True)
    seconds = models.FloatField(_("seconds"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    checked_at = models.DateTimeField(_("dry run"), null=True, blank=True)
    committed_at = models.DateTimeField(_("imported"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        constraints = [
            models.CheckConstraint(
                condition=Q(done_rows__lte=models.F("total_rows")),
                name="importjob_progress_within_rows",
                violation_error_message=_("An import cannot have done more rows than it has."),
            ),
            models.CheckConstraint(
                condition=~Q(kind="grid") | Q(election__isnull=False),
                name="importjob_grid_has_election",
                violation_error_message=_("A seat grid import belongs to an election."),
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(committed_at__isnull=False),
                name="importjob_done_has_time",
                violation_error_message=_("An import that is done needs the time it was done."),
            ),
        ]
        indexes = [
            # The import page's list: the user's recent imports, newest first.
            models.Index(fields=["created_by", "-created_at"], name="importjob_user_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.filename} ({self.get_status_display()})"

    @property
    def running(self) -> bool:
        return self.status in (self.Status.CHECKING, self.Status.COMMITTING)

    @property
    def percent(self) -> int:
        return round(100 * self.done_rows / self.total_rows) if self.total_rows else 0


class MappingPreset(models.Model):
    """The mapping a user confirmed last for a kind of file, by its header names:
    the next file with the same header is mapped the same way."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # mappingpreset_one_per_header starts with it
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=ImportKind.choices)
    headers_key = models.CharField(_("header names"), max_length=40)
    mapping = models.JSONField(_("column mapping"), default=dict)
    match_key = models.CharField(
        _("match on"), max_length=12, choices=MatchKey.choices, default=MatchKey.PHONE
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("import mapping preset")
        verbose_name_plural = _("import mapping presets")
        constraints = [
            # Also the lookup of the mapping page (user, kind, header names).
            models.UniqueConstraint(
                fields=["user", "kind", "headers_key"],
                name="mappingpreset_one_per_header",
                violation_error_message=_("This header has a preset already."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.headers_key[:8]}"


class ExternalVolunteerId(models.Model):
    """A volunteer's id in another system (a party's member list, the last
    election's register): imports keyed on it find the same person again."""

    external_id = models.CharField(_("external id"), max_length=100)
    volunteer = models.ForeignKey(
        Volunteer,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("volunteer"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("external volunteer id")
        verbose_name_plural = _("external volunteer ids")
        constraints = [
            # Also the import's lookup of a chunk's ids.
            models.UniqueConstraint(
                fields=["external_id"],
                name="externalvolunteerid_unique",
                violation_error_message=_("This external id belongs to another volunteer."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.external_id} → {self.volunteer_id}"
