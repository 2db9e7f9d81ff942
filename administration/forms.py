from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.logos import check_logo
from accounts.models import ActorKind, Organisation, StaffRole, User
from elections.models import Election
from polling_stations.models import PollingStation
from volunteers.models import Team


class StaffUserForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    first_name = forms.CharField(label=_("First name"), required=False, max_length=150)
    last_name = forms.CharField(label=_("Last name"), required=False, max_length=150)


class GrantForm(forms.Form):
    role = forms.ChoiceField(
        label=pgettext_lazy("staff permission", "Role"),
        choices=[("", _("Choose a role")), *StaffRole.choices],
    )
    elections = forms.ModelMultipleChoiceField(
        label=_("Elections"),
        queryset=Election.objects.all(),
        required=False,
        help_text=_("None chosen: every election (coordinators and viewers)."),
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    stations = forms.ModelMultipleChoiceField(
        label=_("Polling stations"),
        queryset=PollingStation.objects.select_related("area").order_by("area__name", "name"),
        required=False,
        help_text=_("Station managers see and print these stations' rosters."),
        widget=forms.SelectMultiple(attrs={"size": 10}),
    )
    teams = forms.ModelMultipleChoiceField(
        label=_("Teams"),
        queryset=Team.objects.all(),
        required=False,
        help_text=_("Team leaders see their teams and the seats reserved for them."),
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )


class AuditFilterForm(forms.Form):
    actor = forms.ModelChoiceField(
        label=_("Staff user"),
        queryset=User.objects.order_by("email"),
        required=False,
        empty_label=_("Anyone"),
    )
    actor_kind = forms.ChoiceField(
        label=_("Who"), choices=[("", _("Anyone")), *ActorKind.choices], required=False
    )
    action = forms.CharField(label=_("Action"), required=False, max_length=64)
    object_type = forms.CharField(label=_("Object type"), required=False, max_length=100)
    election = forms.ModelChoiceField(
        label=_("Election"),
        queryset=Election.objects.all(),
        required=False,
        empty_label=_("All elections"),
    )
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            self.add_error("until", _("The end date is before the start date."))
        return cleaned


class OrganisationForm(forms.Form):
    """The organisation's name, logo and letterhead (accounts.services.update_organisation)."""

    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        help_text=_("Shown in the page header and on every letter, e.g. “Aarhus Kommune”."),
    )
    logo = forms.FileField(
        label=_("Upload a logo"),
        required=False,
        help_text=_("A PNG or SVG image of at most 1 MB. Leave empty to keep the current logo."),
        # A plain file input: removing the logo is the separate checkbox.
        widget=forms.FileInput(attrs={"accept": ".png,.svg,image/png,image/svg+xml"}),
    )
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)
    address = forms.CharField(
        label=_("Postal address"),
        required=False,
        max_length=1000,
        help_text=_("The sender's address on letters, one line per line."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    contact_line = forms.CharField(
        label=_("Contact line"),
        required=False,
        max_length=300,
        help_text=_("How people reach the election office, e.g. a phone number and an email."),
    )
    signature_name = forms.CharField(label=_("Signature name"), required=False, max_length=200)
    signature_title = forms.CharField(
        label=_("Signature title"),
        required=False,
        max_length=200,
        help_text=_("E.g. “Election secretary”."),
    )
    letter_footer = forms.CharField(
        label=_("Letter footer"),
        required=False,
        max_length=2000,
        help_text=_("Printed at the bottom of every letter."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    TEXT_FIELDS = (
        "name",
        "address",
        "contact_line",
        "signature_name",
        "signature_title",
        "letter_footer",
    )

    @classmethod
    def initial_from(cls, org: Organisation) -> dict[str, str]:
        return {field: getattr(org, field) for field in cls.TEXT_FIELDS}

    def clean_logo(self):
        """The kind is read from the bytes (accounts.logos): a PNG Pillow can
        read, or an SVG with no script and no reference outside it."""
        logo = self.cleaned_data.get("logo")
        if logo:
            check_logo(logo)
            logo.seek(0)
        return logo

    def service_fields(self) -> dict[str, object]:
        """The keyword arguments of update_organisation (logo: a new file, None
        to remove it, absent to keep it)."""
        data = self.cleaned_data
        fields: dict[str, object] = {field: data[field] for field in self.TEXT_FIELDS}
        if data.get("logo"):
            fields["logo"] = data["logo"]
        elif data.get("remove_logo"):
            fields["logo"] = None
        return fields
