"""A volunteer's private calendar feed for one election (``staffing.calendar``).

Imported by ``staffing.models`` so that Django and the migrations see it."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from elections.models import Election
from volunteers.models import Volunteer


class CalendarFeed(models.Model):
    """The feed's address holds a token derived from the site's secret, this row's
    id and its ``generation`` (``staffing.calendar.feed_token``): the page can show
    it again without storing it. Only its hash is kept, to find the feed. A new
    generation ends the old address."""

    volunteer = models.ForeignKey(
        Volunteer, on_delete=models.CASCADE, related_name="+", verbose_name=_("volunteer")
    )
    election = models.ForeignKey(
        Election, on_delete=models.CASCADE, related_name="+", verbose_name=_("election")
    )
    generation = models.PositiveIntegerField(_("generation"), default=0)
    token_hash = models.CharField(_("token (hashed)"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")
        constraints = [
            models.UniqueConstraint(
                fields=["volunteer", "election"],
                name="calendarfeed_one_per_volunteer_election",
                violation_error_message=_("This volunteer has a calendar for this election."),
            ),
            models.UniqueConstraint(
                fields=["token_hash"],
                condition=~Q(token_hash=""),
                name="calendarfeed_unique_token_hash",
                violation_error_message=_("This calendar address exists already."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer_id} · {self.election_id} (#{self.generation})"
