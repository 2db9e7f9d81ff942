"""Creating, editing, copying and deleting an election, its lifecycle (draft →
active → closed → archived, each step confirmed on a page that says what it
does). Inviting the previous election's volunteers into a copy: views/reinvite.py.

Who may: an admin, or a coordinator whose grant covers every election, may
create elections (and copies, which are new elections). A coordinator limited to
some elections may edit, activate, close, delete and re-invite in those only.
Everyone else gets a 404 (as for every page outside one's scope)."""

from __future__ import annotations

import copy
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from accounts.models import User
from accounts.scopes import Scope, scope_of
from elections import services as election_services
from elections.forms import CopyElectionForm, ElectionForm, NewElectionForm
from elections.models import Election, Shift
from elections.services.lifecycle import REMINDER_FIELDS
from pollcrew.refusals import Refused
from staffing import access
from staffing.models import Assignment
from staffing.services import closing
from staffing.services import standby as standby_services
from staffing.views._common import C

Status = Election.Status


# --- who may do what -----------------------------------------------------------------------


def may_create(scope: Scope) -> bool:
    """New elections (and copies): admins, and coordinators of every election."""
    return scope.allows(C.MANAGE)  # no election named: only a grant limited by none


def may_manage(scope: Scope, election: Election) -> bool:
    return scope.allows(C.MANAGE, election_id=election.pk)


def _require_creator(user: User) -> Scope:
    scope = access.require(user, C.MANAGE)
    if not may_create(scope):
        raise Http404
    return scope


def manageable_elections(user: User):
    return scope_of(user).filter(Election.objects.all(), C.MANAGE)


# --- the lifecycle steps, as the pages and the header show them ----------------------------


@dataclass(frozen=True)
class Step:
    status: str
    button: str
    title: str
    effects: tuple[str, ...]
    primary: bool = True


def step(election: Election, status: str, *, queued: int = 0, open_: int = 0) -> Step | None:
    """The step from the election's status to ``status``, with what it does; None
    if the lifecycle has no such step."""
    if status not in election_services.TRANSITIONS.get(election.status, set()):
        return None
    days = settings.RETENTION_DAYS_AFTER_CLOSE
    if status == Status.ACTIVE and election.status == Status.DRAFT:
        return Step(
            status,
            _("Activate"),
            _("Activate “%(name)s”?") % {"name": election.name},
            (
                _(
                    "From now on volunteers can be invited, and they can answer through "
                    "their personal links."
                ),
                _("Activating sends nothing by itself: messages go out as people are invited."),
                _(
                    "It can be closed later, but not made a draft again, and then it can "
                    "no longer be deleted, only archived."
                ),
            ),
        )
    if status == Status.ACTIVE:
        return Step(
            status,
            _("Reopen"),
            _("Reopen “%(name)s”?") % {"name": election.name},
            (
                _("Messages go out again, and volunteers can answer again through their links."),
                _("Messages cancelled when it was closed are not sent."),
                _("The retention period starts again when it is next closed."),
            ),
            primary=False,
        )
    if status == Status.CLOSED:
        return Step(
            status,
            _("Close"),
            _("Close “%(name)s”?") % {"name": election.name},
            (
                _("No more messages go out, and volunteers can no longer answer."),
                ngettext(
                    "%(count)d message about its seats has not gone out yet: it is cancelled.",
                    "%(count)d messages about its seats have not gone out yet: they are cancelled.",
                    queued,
                )
                % {"count": queued}
                if queued
                else _("Every message about its seats has gone out: there is nothing to cancel."),
                *(
                    [
                        ngettext(
                            "%(count)d invitation has no answer yet: it is withdrawn, and the "
                            "person invited is told so in a last message.",
                            "%(count)d invitations have no answer yet: they are withdrawn, and "
                            "the people invited are told so in a last message.",
                            open_,
                        )
                        % {"count": open_}
                    ]
                    if open_
                    else []
                ),
                _("The board, the rosters and the people stay; it can be reopened."),
                ngettext(
                    "%(days)d day after closing, decline reasons, message texts and personal "
                    "links are deleted (retention).",
                    "%(days)d days after closing, decline reasons, message texts and personal "
                    "links are deleted (retention).",
                    days,
                )
                % {"days": days},
            ),
            primary=False,
        )
    return Step(
        status,
        _("Archive"),
        _("Archive “%(name)s”?") % {"name": election.name},
        (
            _("It is kept for the record: it can no longer be reopened or changed."),
            _("Personal data is deleted on the same schedule as for a closed election."),
        ),
        primary=False,
    )


@dataclass(frozen=True)
class HeaderActions:
    """What the election's header offers the user (no queries: the scope is loaded)."""

    manage: bool
    create: bool
    steps: tuple[Step, ...]
    editable: bool
    deletable: bool
    reinvite: bool


def header_actions(user: User, election: Election) -> HeaderActions:
    scope = scope_of(user)
    manage = may_manage(scope, election)
    steps = ()
    if manage:
        found = (step(election, s) for s in election_services.TRANSITIONS[election.status])
        steps = tuple(sorted((s for s in found if s), key=lambda s: (not s.primary, s.status)))
    return HeaderActions(
        manage=manage,
        create=manage and may_create(scope),
        steps=steps,
        editable=manage and election.status != Status.ARCHIVED,
        deletable=manage and election.status == Status.DRAFT,
        reinvite=manage and election.copied_from_id is not None,
    )


# --- pages -----------------------------------------------------------------------------------


def _grid_counts(election: Election) -> dict[str, int]:
    counts = Shift.objects.filter(election=election).aggregate(
        shifts=Count("pk"), seats=Sum("capacity")
    )
    return {"shifts": counts["shifts"] or 0, "seats": counts["seats"] or 0}


def _apply_errors(form, error: ValidationError | Refused) -> None:
    if isinstance(error, Refused):
        form.add_error(None, error.message)
    elif hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _create(form: NewElectionForm, *, by: User) -> Election:
    data = form.cleaned_data
    source = data.get("copy_from")
    if source is None:
        return election_services.create_election(
            by=by,
            name=data["name"],
            kind=data["kind"],
            election_date=data["election_date"],
            response_days=data["response_days"],
            lock_days=data["lock_days"],
            **{name: data[name] for name in REMINDER_FIELDS},
            areas=data["areas"],
        )
    with transaction.atomic():
        election = election_services.copy_election(
            source, name=data["name"], election_date=data["election_date"], by=by
        )
        overrides = form.overrides()
        if overrides:
            election = election_services.update_election(election, by=by, **overrides)
    return election


@login_required
@require_http_methods(["GET", "POST"])
def election_create(request: HttpRequest) -> HttpResponse:
    _require_creator(request.user)
    sources = manageable_elections(request.user).order_by("-election_date", "name")
    form = NewElectionForm(request.POST or None, sources=sources)
    if request.method == "POST" and form.is_valid():
        try:
            election = _create(form, by=request.user)
        except (ValidationError, Refused) as error:
            _apply_errors(form, error)
        else:
            if election.copied_from_id:
                counts = _grid_counts(election)
                messages.success(request, _copied_message(election, counts))
            else:
                messages.success(
                    request,
                    _("“%(name)s” was created as a draft.") % {"name": election.name},
                )
            return redirect("staffing:board", election_id=election.pk)
    return render(request, "staffing/election_form.html", {"form": form, "election": None})


@login_required
@require_http_methods(["GET", "POST"])
def election_edit(request: HttpRequest, election_id: int) -> HttpResponse:
    election = access.get_election_for_user(request.user, election_id, C.MANAGE)
    # The form writes its values on the instance it validates: not the page's election.
    form = ElectionForm(request.POST or None, instance=copy.copy(election))
    if election.status == Status.ARCHIVED:
        form = None
    elif request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            standby_services.edit_election(election, by=request.user, **changes)
        except (ValidationError, Refused) as error:
            _apply_errors(form, error)
        else:
            if changes:
                messages.success(request, _("Your changes were saved."))
            return redirect("staffing:board", election_id=election.pk)
    return render(request, "staffing/election_form.html", {"form": form, "election": election})


@login_required
@require_http_methods(["GET", "POST"])
def election_status(request: HttpRequest, election_id: int, status: str) -> HttpResponse:
    election = access.get_election_for_user(request.user, election_id, C.MANAGE)
    if status not in Status.values:
        raise Http404
    if request.method == "POST":
        try:
            change = closing.change_election_status(election, status, by=request.user)
        except Refused as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(request, _status_message(change))
        return redirect("staffing:board", election_id=election.pk)
    queued = open_ = 0
    if status == Status.CLOSED:
        queued = closing.queued_messages(election).count()
        open_ = Assignment.objects.filter(
            shift__election=election, status=Assignment.Status.INVITED
        ).count()
    return render(
        request,
        "staffing/election_status.html",
        {
            "election": election,
            "step": step(election, status, queued=queued, open_=open_),
            "wanted": Status(status).label,
        },
    )


def _status_message(change: closing.StatusChange) -> str:
    election = change.election
    texts = {
        Status.ACTIVE: _("“%(name)s” is active: invitations can go out and volunteers can answer."),
        Status.CLOSED: _("“%(name)s” is closed."),
        Status.ARCHIVED: _("“%(name)s” is archived."),
        Status.DRAFT: _("“%(name)s” is a draft."),
    }
    text = texts[election.status] % {"name": election.name}
    if change.cancelled:
        text += " " + ngettext(
            "%(count)d queued message was cancelled.",
            "%(count)d queued messages were cancelled.",
            change.cancelled,
        ) % {"count": change.cancelled}
    return text


@login_required
@require_http_methods(["GET", "POST"])
def election_delete(request: HttpRequest, election_id: int) -> HttpResponse:
    election = access.get_election_for_user(request.user, election_id, C.MANAGE)
    refusal = None
    if request.method == "POST":
        try:
            election_services.delete_election(election, by=request.user)
        except Refused as refused:
            refusal = refused.message
        else:
            messages.success(request, _("“%(name)s” was deleted.") % {"name": election.name})
            return redirect("staffing:elections")
    people = (
        Assignment.objects.filter(shift__election=election)
        .values("volunteer_id")
        .distinct()
        .count()
    )
    return render(
        request,
        "staffing/election_delete.html",
        {
            "election": election,
            "refusal": refusal,
            "people": people,
            "deletable": election.status == Status.DRAFT and not people,
            **_grid_counts(election),
        },
    )


def _copied_message(election: Election, counts: dict[str, int]) -> str:
    return ngettext(
        "“%(name)s” was created as a draft with %(shifts)d shift (%(seats)d seats). "
        "People are not copied: once it is active, invite the previous volunteers again.",
        "“%(name)s” was created as a draft with %(shifts)d shifts (%(seats)d seats). "
        "People are not copied: once it is active, invite the previous volunteers again.",
        counts["shifts"],
    ) % {"name": election.name, **counts}


@login_required
@require_http_methods(["GET", "POST"])
def election_copy(request: HttpRequest, election_id: int) -> HttpResponse:
    source = access.get_election_for_user(request.user, election_id, C.MANAGE)
    _require_creator(request.user)
    form = CopyElectionForm(
        request.POST or None,
        initial={"name": _("Copy of %(name)s") % {"name": source.name}},
    )
    if request.method == "POST" and form.is_valid():
        try:
            election = election_services.copy_election(
                source,
                name=form.cleaned_data["name"],
                election_date=form.cleaned_data["election_date"],
                by=request.user,
            )
        except (ValidationError, Refused) as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _copied_message(election, _grid_counts(election)))
            return redirect("staffing:board", election_id=election.pk)
    return render(
        request,
        "staffing/election_copy.html",
        {
            "election": source,
            "form": form,
            "areas": source.areas.count(),
            **_grid_counts(source),
        },
    )


__all__ = [
    "election_copy",
    "election_create",
    "election_delete",
    "election_edit",
    "election_status",
]
