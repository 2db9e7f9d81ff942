"""What a volunteer wishes for one election: where, which days, how many shifts,
which roles. Edited by the coordinator and on the personal page; read by the
auto-assigner (``autoassign``), which treats availability, refused roles and the
most shifts as hard rules and the rest as wishes.

Imported by ``staffing.models`` so that Django and the migrations see it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from elections.models import Election, Role
from polling_stations.models import Area, PollingStation
from volunteers.models import Volunteer


class Preference(models.Model):
    election = models.ForeignKey(
        Election, on_delete=models.CASCADE, related_name="preferences", verbose_name=_("election")
    )
    volunteer = models.ForeignKey(
        Volunteer,
        on_delete=models.CASCADE,
        related_name="preferences",
        verbose_name=_("volunteer"),
    )
    available = models.BooleanField(
        _("can help in this election"),
        default=True,
        help_text=_("Unticked: never proposed for a seat in this election."),
    )
    # ISO dates (YYYY-MM-DD) of the election's days; empty: any day.
    available_days = models.JSONField(_("available days"), default=list, blank=True)
    max_shifts = models.PositiveSmallIntegerField(
        _("most shifts"),
        null=True,
        blank=True,
        help_text=_("Empty: the election's default."),
    )
    near_home = models.BooleanField(
        _("near home"),
        default=False,
        help_text=_("Prefer stations close to the volunteer's postal code."),
    )
    preferred_stations = models.ManyToManyField(
        PollingStation,
        blank=True,
        related_name="+",
        verbose_name=_("preferred polling stations"),
    )
    preferred_areas = models.ManyToManyField(
        Area, blank=True, related_name="+", verbose_name=_("preferred areas")
    )
    wanted_roles = models.ManyToManyField(
        Role, blank=True, related_name="+", verbose_name=_("roles wanted")
    )
    refused_roles = models.ManyToManyField(
        Role, blank=True, related_name="+", verbose_name=_("roles refused")
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
        help_text=_("Empty: the volunteer on their personal page."),
    )

    class Meta:
        verbose_name = _("preference")
        verbose_name_plural = _("preferences")
        constraints = [
            # One row per person and election; the auto-assigner reads them all at once.
            models.UniqueConstraint(
                fields=["election", "volunteer"],
                name="preference_unique_per_election",
                violation_error_message=_("This volunteer has preferences for this election."),
            ),
            models.CheckConstraint(
                condition=Q(max_shifts__isnull=True) | Q(max_shifts__gte=1),
                name="preference_max_shifts_positive",
                violation_error_message=_("The most shifts must be at least 1."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer} · {self.election}"
