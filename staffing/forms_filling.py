"""Forms of the pages that fill seats: invite many to many, seat directly, answer
on someone's behalf, move, remove, replace. Every choice of a shift or a person
is limited to what the user's scope allows (the view passes the querysets)."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from django import forms
from django.db.models import Model
from django.utils.translation import gettext_lazy as _

from elections.models import Role, Shift
from pollcrew.ids import parse_id
from polling_stations.models import Area
from volunteers.models import Volunteer

MAX_SHIFTS = 50  # shifts in one round of invitations
MAX_PEOPLE = 500  # people in one round (each gets one message per shift)
REASON_MAX = 1000


def ids_from(values: list[str], limit: int) -> list[int]:
    """Whole positive numbers from repeated query parameters (?volunteers=1&volunteers=2),
    in the order given, without repeats; anything else is ignored."""
    ids: list[int] = []
    for value in values:
        number = parse_id(value)
        if number is not None and number not in ids:
            ids.append(number)
        if len(ids) >= limit:
            break
    return ids


class ScopedForm(forms.Form):
    """A form whose choices the view limits to what the user's scope allows.
    ``scoped`` maps each such field to the keyword argument that gives its
    queryset; every one must be given, so that no form offers everything by
    mistake (the fields' own querysets are empty)."""

    scoped: ClassVar[dict[str, str]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        missing = [arg for arg in self.scoped.values() if arg not in kwargs]
        if missing:
            raise TypeError(f"{type(self).__name__}() needs {', '.join(missing)}=")
        querysets = {name: kwargs.pop(arg) for name, arg in self.scoped.items()}
        super().__init__(*args, **kwargs)
        for name, queryset in querysets.items():
            self.fields[name].queryset = queryset


def _pick_one(model: type[Model], label: str, *, required: str, invalid: str) -> Any:
    """One object out of a scoped queryset (see ScopedForm), with errors that say which."""
    return forms.ModelChoiceField(
        label=label,
        queryset=model._default_manager.none(),
        error_messages={"required": required, "invalid_choice": invalid},
    )


class ShiftFilterForm(ScopedForm):
    """Which shifts to list on the many-to-many invite page (a GET form):
    ``areas=`` and ``roles=`` to choose from, and ``days=`` (value, label)."""

    scoped = {"area": "areas", "role": "roles"}

    station = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)
    area = forms.ModelChoiceField(
        label=_("Area"), queryset=Area.objects.none(), required=False, empty_label=_("All areas")
    )
    role = forms.ModelChoiceField(
        label=_("Role"), queryset=Role.objects.none(), required=False, empty_label=_("All roles")
    )
    day = forms.TypedChoiceField(
        label=_("Day"), required=False, coerce=date.fromisoformat, empty_value=None
    )
    free = forms.BooleanField(label=_("Only shifts with free seats"), required=False)
    q = forms.CharField(
        label=_("Find volunteers"),
        required=False,
        max_length=100,
        help_text=_("Name, email, phone number or postal code."),
    )

    def __init__(self, *args: Any, days: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["day"].choices = [("", _("All days")), *days]


class _Chosen(forms.ModelMultipleChoiceField):
    def __init__(self, *args: Any, limit: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit = limit

    def clean(self, value: Any) -> Any:
        if value and len(value) > self.limit:
            raise forms.ValidationError(
                self.error_messages["too_many"], code="too_many", params={"max": self.limit}
            )
        return super().clean(value)


class ManyInviteForm(ScopedForm):
    """The round of invitations confirmed on the review step (a POST): ``shifts=``
    and the volunteers ``among=`` whom to choose."""

    scoped = {"shifts": "shifts", "volunteers": "among"}

    shifts = _Chosen(
        queryset=Shift.objects.none(),
        limit=MAX_SHIFTS,
        error_messages={
            "required": _("Choose at least one shift."),
            "too_many": _("Choose at most %(max)d shifts at a time."),
        },
    )
    volunteers = _Chosen(
        queryset=Volunteer.objects.none(),
        limit=MAX_PEOPLE,
        error_messages={
            "required": _("Choose at least one volunteer to invite."),
            "too_many": _("Invite at most %(max)d volunteers at a time."),
        },
    )


class AnswerForm(forms.Form):
    ACCEPT, DECLINE = "accept", "decline"
    answer = forms.ChoiceField(
        label=_("Their answer"),
        choices=[(ACCEPT, _("Yes, they take the seat")), (DECLINE, _("No, they cannot"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose yes or no.")},
    )
    reason = forms.CharField(
        label=_("Reason (if no)"),
        required=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "The reason they gave you, if they gave one. "
            "It is deleted some time after the election."
        ),
    )


class RemoveForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For the audit log; it is not sent to them."),
    )


class MoveForm(ScopedForm):
    """The shift to move someone to, out of the ``shifts=`` the user may manage."""

    scoped = {"to_shift": "shifts"}

    to_shift = _pick_one(
        Shift,
        _("Move to"),
        required=_("Choose the shift to move them to."),
        invalid=_("That shift cannot be chosen here."),
    )


class PickOneForm(ScopedForm):
    """One person ``among=`` those the user may see: to seat directly, or to
    replace someone with."""

    scoped = {"volunteer": "among"}

    volunteer = _pick_one(
        Volunteer,
        _("Volunteer"),
        required=_("Choose a volunteer."),
        invalid=_("That volunteer cannot be chosen here."),
    )


class ReplaceForm(PickOneForm):
    reason = RemoveForm.base_fields["reason"]
    seat_directly = forms.BooleanField(
        label=_("They have already said yes: seat them directly instead of inviting them"),
        required=False,
    )
