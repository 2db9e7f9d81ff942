"""The volunteer's "My wishes" form (portal.preferences): the coordinator's
preference form (staffing.forms_preferences) in the volunteer's words."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from staffing.forms_preferences import PreferenceForm

LABELS = {
    "available": _("I can help at this election"),
    "available_days": _("Which days can you help?"),
    "max_shifts": _("At most how many shifts?"),
    "near_home": _("Near my home"),
    "preferred_areas": _("Areas you would like"),
    "preferred_stations": _("Polling stations you would like"),
    "wanted_roles": _("Jobs you would like"),
    "refused_roles": _("Jobs you do not want"),
}
HINTS = {
    "available_days": _("Tick none if any day suits you."),
    "max_shifts": _("Leave it empty if you don't mind."),
    "near_home": _("A polling station close to the postal code we have for you."),
    "refused_roles": _("We will not ask you to do these."),
}


class WishesForm(PreferenceForm):
    both_message = _("You cannot both want and not want the same job: %(roles)s.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label in LABELS.items():
            self.fields[name].label = label
            self.fields[name].help_text = HINTS.get(name, "")
        self.fields["max_shifts"].widget.attrs.update(inputmode="numeric")
