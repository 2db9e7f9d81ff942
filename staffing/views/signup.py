"""The office's side of open sign-up: an election's sign-up links (made,
listed with their address and use, revoked) and the sign-ups held for
approval (approved or refused).

Every page needs the election managed by the user (admins and coordinators);
a held sign-up must also be in the user's scope. A team leader sees the page
for their own teams: their team join links only, made and revoked by them.
Anything else: the 404."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import StaffRole
from accounts.scopes import Capability, scope_of
from elections.models import Election
from pollcrew.refusals import Refused
from staffing import access
from staffing import signup as reading
from staffing.forms_signup import SignupLinkForm
from staffing.models import Assignment, SignupLink
from staffing.services import signup as services
from volunteers.models import Team

NEED = Capability.MANAGE


@dataclass(frozen=True)
class Desk:
    """What the user may do with an election's sign-up links: everything
    (``teams`` None), or, leading teams, their teams' join links."""

    election: Election
    teams: QuerySet[Team] | None

    def links(self) -> QuerySet[SignupLink]:
        links = SignupLink.objects.filter(election=self.election)
        if self.teams is not None:
            links = links.filter(kind=SignupLink.Kind.TEAM, team__in=self.teams)
        return links


def get_signup_desk_for_user(user, election_id: int) -> Desk:
    election = access.get_election_for_user(user, election_id, Capability.INVITE)
    if access.visible_elections(user, NEED).filter(pk=election.pk).exists():
        return Desk(election, None)
    led = {
        team
        for grant in scope_of(user).grants
        if grant.role == StaffRole.TEAM_LEADER
        and (not grant.elections or election.pk in grant.elections)
        for team in grant.teams
    }
    if not led:
        raise Http404
    return Desk(election, Team.objects.filter(pk__in=sorted(led)))


def get_signup_link_for_user(user, election_id: int, link_id: int) -> SignupLink:
    link = get_signup_desk_for_user(user, election_id).links().filter(pk=link_id).first()
    if link is None:
        raise Http404
    return link


def get_signed_up_seat_for_user(user, election_id: int, assignment_id: int) -> Assignment:
    """A seat taken through a sign-up link (or held from a standby claim), in the
    user's scope. Whether it still awaits approval is the service's to say (a
    second click: "answered meanwhile")."""
    election = access.get_election_for_user(user, election_id, NEED)
    seat = access.get_assignment_for_user(user, election, assignment_id, NEED)
    if seat.signup_link_id is None and not seat.awaiting_approval:  # a standby claim is held too
        raise Http404
    return seat


@login_required
@require_http_methods(["GET", "POST"])
def signup_links(request: HttpRequest, election_id: int) -> HttpResponse:
    """The election's links with their addresses, and a form for a new one."""
    desk = get_signup_desk_for_user(request.user, election_id)
    election = desk.election
    form = SignupLinkForm(request.POST or None, election=election, teams=desk.teams)
    if request.method == "POST" and form.is_valid():
        try:
            link = services.create_signup_link(election, by=request.user, **form.link_fields())
        except Refused as refused:
            form.add_error(None, refused.message)
        else:
            flash.success(request, _("The link is made. Copy its address below."))
            return redirect(f"{request.path}#link-{link.pk}")
    links = list(desk.links().select_related("area", "station", "role", "team", "created_by"))
    held = (
        scope_of(request.user).filter(reading.pending_approval(election), NEED)
        if desk.teams is None
        else Assignment.objects.none()
    )
    return render(
        request,
        "staffing/signup_links.html",
        {
            "election": election,
            "form": form,
            "rows": [(link, reading.link_url(link)) for link in links],
            "held": list(held[:200]),
            "held_count": held.count(),
            "team_only": desk.teams is not None,
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@login_required
@require_POST
def revoke_signup_link(request: HttpRequest, election_id: int, link_id: int) -> HttpResponse:
    link = get_signup_link_for_user(request.user, election_id, link_id)
    services.revoke_signup_link(link, by=request.user)
    flash.success(request, _("The link no longer works."))
    return redirect("staffing:signup_links", election_id)


@login_required
@require_POST
def approve_signup(request: HttpRequest, election_id: int, assignment_id: int) -> HttpResponse:
    seat = get_signed_up_seat_for_user(request.user, election_id, assignment_id)
    try:
        services.approve_signup(seat, by=request.user)
    except Refused as refused:
        flash.error(request, refused.message)
    else:
        flash.success(
            request, _("%(name)s has the seat and is told.") % {"name": seat.volunteer.full_name}
        )
    return redirect(f"{_links_url(election_id)}#held")


@login_required
@require_POST
def refuse_signup(request: HttpRequest, election_id: int, assignment_id: int) -> HttpResponse:
    seat = get_signed_up_seat_for_user(request.user, election_id, assignment_id)
    try:
        services.refuse_signup(seat, by=request.user, reason=request.POST.get("reason", ""))
    except Refused as refused:
        flash.error(request, refused.message)
    else:
        flash.success(
            request,
            _("%(name)s does not get the seat and is told.") % {"name": seat.volunteer.full_name},
        )
    return redirect(f"{_links_url(election_id)}#held")


def _links_url(election_id: int) -> str:
    return reverse("staffing:signup_links", args=[election_id])
