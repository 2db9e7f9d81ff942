"""The office's standby page of an election: the list in order (who, for which
shift or station and day, since when, the offers sent and what became of them),
the settings, pause and resume, and taking someone off the list.

Every page needs the election managed by the user (admins and coordinators):
names and contact details are on it. For anyone else the uniform 404."""

from __future__ import annotations

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from accounts.scopes import Capability
from elections.models import Election
from pollcrew.refusals import Refused
from staffing import access
from staffing.forms_standby import FIELDS, StandbySettingsForm
from staffing.models import SeatOffer, StandbyEntry
from staffing.services import standby as services

NEED = Capability.MANAGE
PER_PAGE = 100
SHOWN = {
    "waiting": [StandbyEntry.Status.WAITING],
    "all": list(StandbyEntry.Status.values),
}


def get_standby_entry_for_user(user: User, election_id: int, entry_id: int) -> StandbyEntry:
    election = access.get_election_for_user(user, election_id, NEED)
    entry = (
        StandbyEntry.objects.select_related("volunteer", "election")
        .filter(election=election, pk=entry_id)
        .first()
    )
    if entry is None:
        raise Http404
    return entry


def _page(request: HttpRequest, election: Election, form: StandbySettingsForm) -> HttpResponse:
    show = request.GET.get("show", "waiting")
    if show not in SHOWN:
        show = "waiting"
    entries = (
        StandbyEntry.objects.filter(election=election, status__in=SHOWN[show])
        .select_related("volunteer", "shift__role", "shift__station", "station")
        .prefetch_related(
            Prefetch(
                "offers",
                queryset=SeatOffer.objects.select_related("shift__role", "shift__station").order_by(
                    "created_at", "pk"
                ),
            )
        )
        .order_by("created_at", "pk")
    )
    page = Paginator(entries, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "staffing/standby/list.html",
        {
            "election": election,
            "page": page,
            "first_place": page.start_index(),
            "show": show,
            "form": form,
        },
    )


@login_required
@require_GET
def standby_list(request: HttpRequest, election_id: int) -> HttpResponse:
    """The standby list in order, with the settings."""
    election = access.get_election_for_user(request.user, election_id, NEED)
    return _page(request, election, StandbySettingsForm(instance=election))


@login_required
@require_POST
def standby_settings(request: HttpRequest, election_id: int) -> HttpResponse:
    election = access.get_election_for_user(request.user, election_id, NEED)
    form = StandbySettingsForm(request.POST, instance=Election.objects.get(pk=election.pk))
    if form.is_valid():
        changes = {name: form.cleaned_data[name] for name in FIELDS if name in form.changed_data}
        try:
            services.update_standby_settings(election, by=request.user, **changes)
        except (ValidationError, Refused) as error:
            message = error.message if isinstance(error, Refused) else " ".join(error.messages)
            form.add_error(None, message)
        else:
            flash.success(request, _("The standby settings are saved."))
            return redirect("staffing:standby", election_id=election.pk)
    return _page(request, election, form)


@login_required
@require_POST
def standby_pause(request: HttpRequest, election_id: int) -> HttpResponse:
    """Pause (``pause=1``) or resume the election's offers."""
    election = access.get_election_for_user(request.user, election_id, NEED)
    paused = request.POST.get("pause") == "1"
    services.set_standby_paused(election, paused, by=request.user)
    if paused:
        flash.success(request, _("Standby offers are paused. Open offers can still be claimed."))
    else:
        flash.success(request, _("Standby offers are running again."))
    return redirect("staffing:standby", election_id=election.pk)


@login_required
@require_POST
def standby_remove(request: HttpRequest, election_id: int, entry_id: int) -> HttpResponse:
    """Take someone off the list; their open offers are withdrawn."""
    entry = get_standby_entry_for_user(request.user, election_id, entry_id)
    services.leave_standby(entry, by=request.user)
    flash.success(
        request,
        _("%(name)s is off the standby list.") % {"name": entry.volunteer.full_name},
    )
    return redirect("staffing:standby", election_id=election_id)
