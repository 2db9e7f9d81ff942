"""Forms of the setup pages: areas, polling stations (with their position),
roles (with the skills they require), and the list filters.

The model forms check fields and named constraints as the model states them
(with their messages); the services check again when they write, and a refusal
they raise is put on the form (``put_on_form``), never shown as a 500."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from elections.models import Role
from pollcrew.ids import parse_id
from polling_stations.models import Area, PollingStation
from volunteers.models import Skill

TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
SHORT_TEXT = {"rows": 3}


def put_on_form(form: forms.BaseForm, error: ValidationError) -> None:
    """A service's ValidationError on the form: on its field if the form shows it,
    at the top otherwise."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)


def changed_fields(form: forms.ModelForm) -> dict[str, Any]:
    return {name: form.cleaned_data[name] for name in form.changed_data}


class ConstraintsOnFields(forms.ModelForm):
    """A named constraint's message next to the field it is about ("This area has
    a polling station with this name already." under the name), not at the top.
    Model forms put every constraint with its own message at the top."""

    constraint_fields: dict[str, str] = {}

    def _post_clean(self) -> None:
        super()._post_clean()
        top = self._errors.get(NON_FIELD_ERRORS) if self._errors else None
        if not top:
            return
        fields = {
            str(constraint.get_violation_error_message()): self.constraint_fields[constraint.name]
            for constraint in self._meta.model._meta.constraints
            if constraint.name in self.constraint_fields
        }
        kept = []
        for error in top.as_data():
            field = fields.get(str(error.message))
            if field and field in self.fields and field not in self._errors:
                self._errors[field] = self.error_class([error.message], renderer=self.renderer)
                self.cleaned_data.pop(field, None)
            elif field and field in self._errors:
                continue  # said already
            else:
                kept.append(error)
        if kept:
            self._errors[NON_FIELD_ERRORS] = self.error_class(
                [e.message for e in kept], error_class="nonfield", renderer=self.renderer
            )
        else:
            del self._errors[NON_FIELD_ERRORS]


def skill_label(skill: Skill) -> str:
    """A skill as a choice: its name, and its kind unless it is a plain skill."""
    if skill.kind == Skill.Kind.SKILL:
        return skill.name
    return f"{skill.name} ({skill.get_kind_display()})"


class AreaForm(ConstraintsOnFields):
    constraint_fields = {"area_unique_name": "name"}

    class Meta:
        model = Area
        fields = ["name"]


class StationForm(ConstraintsOnFields):
    constraint_fields = {"station_unique_name_per_area": "name"}

    class Meta:
        model = PollingStation
        fields = [
            "area",
            "name",
            "address",
            "postal_code",
            "city",
            "accessibility",
            "capacity_note",
            "manager_contact",
            "notes",
            "latitude",
            "longitude",
        ]
        widgets = {
            "accessibility": forms.Textarea(attrs=SHORT_TEXT),
            "capacity_note": forms.Textarea(attrs=SHORT_TEXT),
            "notes": forms.Textarea(attrs=SHORT_TEXT),
        }
        labels = {"city": _("Town or city")}
        help_texts = {
            "latitude": _(
                "Where the station is, for volunteers who want to help near home: degrees "
                "north, e.g. 56.1572. Empty (with the longitude): the postal code's centre."
            ),
            "longitude": _("Degrees east, e.g. 10.2107."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].empty_label = _("Choose an area")
        self.fields["postal_code"].widget.attrs.update(inputmode="numeric", autocomplete="off")
        for name, most in (("latitude", 90), ("longitude", 180)):
            field = self.fields[name]
            field.validators += [MinValueValidator(-most), MaxValueValidator(most)]
            field.widget.attrs.update(min=str(-most), max=str(most), step="any")
            field.widget.attrs["inputmode"] = "decimal"

    def clean(self) -> dict[str, Any]:
        """Both coordinates or neither (the constraint's message would be at the top)."""
        cleaned = super().clean()
        latitude, longitude = cleaned.get("latitude"), cleaned.get("longitude")
        if "latitude" in self.errors or "longitude" in self.errors:
            return cleaned
        if latitude is None and longitude is not None:
            self.add_error("latitude", _("Give the latitude too, or leave both empty."))
        elif longitude is None and latitude is not None:
            self.add_error("longitude", _("Give the longitude too, or leave both empty."))
        return cleaned


class RoleForm(ConstraintsOnFields):
    constraint_fields = {"role_unique_name": "name", "role_min_age_sane": "min_age"}

    class Meta:
        model = Role
        fields = [
            "name",
            "short_name",
            "default_start",
            "default_end",
            "pay",
            "min_age",
            "invite_only",
            "requires_approval",
            "standby_enabled",
            "reminders_enabled",
            "invitation_reminder_days",
            "invitation_reminders_max",
            "description",
            "description_en",
            "what_to_bring",
            "what_to_bring_en",
            "required_skills",
        ]
        widgets = {
            "required_skills": forms.CheckboxSelectMultiple,
            "default_start": TIME,
            "default_end": TIME,
            "description": forms.Textarea(attrs=SHORT_TEXT),
            "description_en": forms.Textarea(attrs=SHORT_TEXT),
            "what_to_bring": forms.Textarea(attrs=SHORT_TEXT),
            "what_to_bring_en": forms.Textarea(attrs=SHORT_TEXT),
        }
        help_texts = {
            "default_end": _(
                "An end earlier than the start means the next day (e.g. 20:00 to 01:00)."
            ),
            "pay": _("In kroner, per shift."),
            "min_age": _("On the day of the shift."),
            "reminders_enabled": _(
                "Send a reminder before each shift (and the SMS on the morning, if the "
                "election sends it)."
            ),
            "invitation_reminder_days": _(
                "Remind unanswered invitations to this role after this many days, then every "
                "this many days. Empty: as the election says. 0: none."
            ),
            "invitation_reminders_max": _("Empty: as the election says."),
            "required_skills": _(
                "Only people with all of the ticked skills, trainings or languages are "
                "proposed for this role."
            ),
        }
        labels = {
            "invitation_reminder_days": _("Remind unanswered invitations after (days)"),
            "invitation_reminders_max": _("Reminders per invitation, at most"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pay"].min_value = 0
        self.fields["pay"].widget.attrs.update(min="0", step="0.01", inputmode="decimal")
        self.fields["pay"].validators.append(MinValueValidator(0))
        self.fields["min_age"].validators.append(MaxValueValidator(120))
        self.fields["min_age"].widget.attrs["max"] = "120"
        skills = self.fields["required_skills"]
        skills.queryset = Skill.objects.order_by("kind", "name")
        skills.label_from_instance = skill_label

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("default_start"), cleaned.get("default_end")
        if start is not None and start == end:
            self.add_error(
                "default_end",
                _("The end must differ from the start (earlier means the next day)."),
            )
        return cleaned

    @property
    def overnight(self) -> bool:
        """The times as entered end the next day (shown next to the fields)."""
        start = self["default_start"].value()
        end = self["default_end"].value()
        return bool(start and end and str(end)[:5] < str(start)[:5])


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)


class StationFilterForm(SearchForm):
    """The area's choices are given (the areas of the stations listed), so that
    the filter costs no query of its own."""

    area = forms.TypedChoiceField(label=_("Area"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, areas: list[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].label = _("Search stations")
        self.fields["q"].help_text = _("Name, address, postal code or town.")
        self.fields["area"].choices = [("", _("All areas")), *areas]


class MoveForm(forms.Form):
    """Up, down, first, last, or a position (1 is the first)."""

    to = forms.CharField(max_length=8)

    def clean_to(self) -> str | int:
        value = self.cleaned_data["to"].strip()
        if value in ("up", "down", "first", "last"):
            return value
        position = parse_id(value)
        if position is not None and position < 100_000:
            return position
        raise ValidationError(_("Give a position (1 is the first)."), code="invalid")
