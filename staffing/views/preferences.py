"""A volunteer's wishes per election, on the coordinator's side: the elections
the user manages with what the person has said for each, and the form for one
election (``staffing.forms_preferences``, saved through
``staffing.services.preferences.set_preference`` with ``by=`` the user).

Scope: as editing a volunteer (``volunteer_edit``): the manage capability over
the person and over the election; anything else is the uniform 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts import audit
from elections.models import Election
from staffing import access
from staffing.forms_preferences import PreferenceForm
from staffing.forms_setup import put_on_form
from staffing.models import Preference
from staffing.services.preferences import set_preference, wishes_of
from staffing.views._common import C

# Elections whose wishes still matter (a closed one's are kept, but not listed).
OPEN = (Election.Status.DRAFT, Election.Status.ACTIVE)


@login_required
@require_GET
def volunteer_preferences(request: HttpRequest, volunteer_id: int) -> HttpResponse:
    """The elections the user manages, each with whether the person has wishes
    stored and when they were last changed: three queries."""
    volunteer = access.get_volunteer_for_user(request.user, volunteer_id, C.MANAGE)
    elections = list(
        access.visible_elections(request.user, C.MANAGE)
        .filter(status__in=OPEN)
        .order_by("election_date", "pk")
    )
    stored = {
        p.election_id: p
        for p in Preference.objects.filter(
            volunteer=volunteer, election__in=[e.pk for e in elections]
        ).only("election_id", "available", "updated_at", "updated_by_id")
    }
    return render(
        request,
        "staffing/preferences/list.html",
        {
            "volunteer": volunteer,
            "rows": [{"election": e, "preference": stored.get(e.pk)} for e in elections],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def volunteer_preference(request: HttpRequest, volunteer_id: int, election_id: int) -> HttpResponse:
    volunteer = access.get_volunteer_for_user(request.user, volunteer_id, C.MANAGE)
    election = access.get_election_for_user(request.user, election_id, C.MANAGE)
    wishes = wishes_of(volunteer, election)
    form = PreferenceForm(
        request.POST if request.method == "POST" else None,
        election=election,
        initial=wishes.initial(),
    )
    if request.method == "POST" and form.is_valid():
        try:
            set_preference(volunteer, election, by=request.user, **form.wishes())
        except ValidationError as error:
            put_on_form(form, error)
        else:
            messages.success(
                request,
                _("The wishes of %(name)s for %(election)s are saved.")
                % {"name": volunteer.full_name, "election": election.name},
            )
            return redirect("staffing:volunteer_preference", volunteer.pk, election.pk)
    if request.method == "GET":
        audit.record_read(request, "read.volunteer_preferences", volunteer, election_id=election.pk)
    return render(
        request,
        "staffing/preferences/form.html",
        {"volunteer": volunteer, "election": election, "form": form, "wishes": wishes},
    )
