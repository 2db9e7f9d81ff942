"""The election forms of the coordinator's pages. They only validate input; the
services (elections.services) make the writes and apply the rules that need the
database (the window around the election date, areas that still have seats)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import QuerySet
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from elections import window
from elections.models import MAX_REMINDERS, Election
from elections.services.lifecycle import REMINDER_FIELDS
from polling_stations.models import Area

MAX_DAYS = 365
# The standby settings' bounds (the election's constraint: at least an hour, 5
# minutes on election day, one person per seat).
STANDBY_LIMITS = (
    ("offer_hours", 1, 24 * 14),
    ("offers_per_seat", 1, 20),
    ("election_day_hours", 0, 24 * 14),
    ("election_day_offer_minutes", 5, 24 * 60),
)
STANDBY_NAMES = tuple(name for name, _least, _most in STANDBY_LIMITS)


class DateInput(forms.DateInput):
    """The browser's date picker; its value is always YYYY-MM-DD."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class ElectionForm(forms.ModelForm):
    """Create or edit an election. The areas are ticked boxes, every area by default."""

    areas = forms.ModelMultipleChoiceField(
        label=_("Areas taking part"),
        queryset=Area.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Every polling station in these areas is on the board."),
    )

    class Meta:
        model = Election
        fields = [
            "name",
            "kind",
            "election_date",
            "response_days",
            "lock_days",
            "invitation_reminder_days",
            "invitation_reminders_max",
            "shift_reminder_days",
            "shift_morning_sms",
            "standby_enabled",
            "offer_hours",
            "offers_per_seat",
            "election_day_hours",
            "election_day_offer_minutes",
            "areas",
        ]
        widgets = {"election_date": DateInput()}
        labels = {
            "name": _("Name"),
            "kind": _("Kind"),
            "election_date": _("Election day"),
            "response_days": _("Days to answer"),
            "lock_days": _("Lock days"),
            "invitation_reminder_days": _("Remind unanswered invitations after (days)"),
            "invitation_reminders_max": _("Reminders per invitation, at most"),
            "shift_reminder_days": _("Remind of the shift (days before)"),
            "shift_morning_sms": _("SMS on the morning of the shift"),
            "standby_enabled": _("Offer freed seats to the standby list"),
            "offer_hours": _("Hours to claim an offered seat"),
            "offers_per_seat": _("People offered each free seat at once"),
            "election_day_hours": _("Election-day mode from (hours before the shift)"),
            "election_day_offer_minutes": _("Minutes to claim a seat in election-day mode"),
        }
        help_texts = {
            "name": _("As volunteers see it in messages, e.g. “Folketingsvalg 2027”."),
            "response_days": _(
                "An invitation not answered within this many days expires and frees its seat."
            ),
            "lock_days": _(
                "Volunteers cannot change their answer online this many days before a shift; "
                "the election office can."
            ),
            "invitation_reminder_days": _(
                "Then again every this many days, while the invitation is open. 0: no reminders. "
                "A role can set its own."
            ),
            "shift_reminder_days": _("To everyone with a seat. 0: no reminder."),
            "offers_per_seat": _(
                "The first of them to claim it gets it; the others stay on the list."
            ),
            "election_day_hours": _(
                "From then, a freed seat goes to standby people of the same station first, "
                "then of the area."
            ),
            "shift_morning_sms": _(
                "A short SMS at 6 in the morning on the day, to everyone with a seat and a "
                "mobile number."
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is None and "areas" not in self.initial:
            self.initial["areas"] = list(Area.objects.values_list("pk", flat=True))
        self.fields["areas"].label_from_instance = lambda area: area.name
        # The constraint's rule as a field rule, so that its error is shown at the field.
        for name, least, most in (
            ("response_days", 1, MAX_DAYS),
            ("lock_days", 0, MAX_DAYS),
            ("invitation_reminder_days", 0, MAX_DAYS),
            ("invitation_reminders_max", 0, MAX_REMINDERS),
            ("shift_reminder_days", 0, MAX_DAYS),
            *STANDBY_LIMITS,
        ):
            field = self.fields[name]
            field.min_value, field.max_value = least, most
            field.validators += [MinValueValidator(least), MaxValueValidator(most)]
            field.widget.attrs.update(min=least, max=most)
            if name not in ("response_days", "lock_days"):
                field.required = False  # empty: as before (clean)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        # Left empty: as before (or the default, for a new election).
        for name in (
            "invitation_reminder_days",
            "invitation_reminders_max",
            "shift_reminder_days",
            *STANDBY_NAMES,
        ):
            if name in cleaned and cleaned[name] is None:
                cleaned[name] = getattr(self.instance, name)
        return cleaned

    def clean_areas(self) -> QuerySet[Area]:
        areas = self.cleaned_data["areas"]
        if not areas and Area.objects.exists():
            raise forms.ValidationError(_("Choose at least one area."), code="no_areas")
        return areas


class NewElectionForm(ElectionForm):
    """A new election, from nothing or as a copy of an existing one."""

    copy_from = forms.ModelChoiceField(
        label=_("Copy seats from"),
        queryset=Election.objects.none(),
        required=False,
        empty_label=_("Nothing: start empty"),
        help_text=_(
            "Its seat grid is copied, every shift re-dated to the new election day. "
            "Kind, days and areas are taken from it unless you change them here. "
            "People are not copied."
        ),
    )

    field_order = ["copy_from", "name", "kind", "election_date"]

    def __init__(self, *args: Any, sources: QuerySet[Election], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Standby lists are set up once the election exists (its edit page).
        for name in ("standby_enabled", *STANDBY_NAMES):
            del self.fields[name]
        self.fields["copy_from"].queryset = sources
        self.fields["copy_from"].label_from_instance = _source_label

    def overrides(self) -> dict[str, Any]:
        """For a copy: the fields changed here, which win over the source's."""
        return {
            name: self.cleaned_data[name]
            for name in ("kind", "response_days", "lock_days", *REMINDER_FIELDS, "areas")
            if name in self.changed_data
        }


def _source_label(election: Election) -> str:
    return f"{election.name} ({date_format(election.election_date, 'SHORT_DATE_FORMAT')})"


class CopyElectionForm(forms.Form):
    """A copy of an election: its new name and day."""

    name = forms.CharField(label=_("Name of the new election"), max_length=200)
    election_date = forms.DateField(
        label=_("Election day"), widget=DateInput(), validators=[window.check_election_date]
    )
