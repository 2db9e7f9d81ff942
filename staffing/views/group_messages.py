"""Group messages of an election: write one (the filter, the subject and the
text), see it as its first recipient will with the counts and the SMS cost,
send it, and follow the job until the result (sent, failed, no address).

Every page needs the election managed by the user (``group_messages.NEED``):
admins and coordinators; for anyone else the uniform 404."""

from __future__ import annotations

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pollcrew.refusals import Refused
from staffing import access
from staffing import group_messages as groups
from staffing.forms_group_messages import GroupMessageForm, initial_from
from staffing.models import GroupMessage
from staffing.services import group_messages as services

# While the job runs, htmx reloads the progress this often (and a link does).
REFRESH_SECONDS = 2


def _form(request: HttpRequest, election, **kwargs) -> GroupMessageForm:
    shifts = access.election_shifts(request.user, election, groups.NEED)
    data = request.POST if request.method == "POST" else None
    return GroupMessageForm(data, shifts=shifts, **kwargs)


@login_required
@require_http_methods(["GET", "POST"])
def group_messages(request: HttpRequest, election_id: int) -> HttpResponse:
    """Write a new group message; the earlier ones below."""
    election = access.get_election_for_user(request.user, election_id, groups.NEED)
    form = _form(request, election)
    if request.method == "POST" and form.is_valid():
        group = services.save_draft(
            election,
            filters=form.filters(),
            subject=form.cleaned_data["subject"],
            body=form.cleaned_data["body"],
            by=request.user,
        )
        return redirect("staffing:group_message", election.pk, group.pk)
    return render(
        request,
        "staffing/group_messages/compose.html",
        {
            "election": election,
            "form": form,
            "placeholders": groups.PLACEHOLDERS,
            "latest": groups.latest(election),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def group_message_edit(request: HttpRequest, election_id: int, group_id: int) -> HttpResponse:
    """Change a draft (a message that was sent is shown instead)."""
    group = groups.get_group_message_for_user(request.user, election_id, group_id)
    election = group.election
    if group.status != GroupMessage.Status.DRAFT:
        return redirect("staffing:group_message", election.pk, group.pk)
    form = _form(request, election, initial=initial_from(group))
    if request.method == "POST" and form.is_valid():
        try:
            services.save_draft(
                election,
                filters=form.filters(),
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                by=request.user,
                group=group,
            )
        except Refused as refused:
            flash.error(request, refused.message)
        return redirect("staffing:group_message", election.pk, group.pk)
    return render(
        request,
        "staffing/group_messages/compose.html",
        {
            "election": election,
            "form": form,
            "group": group,
            "placeholders": groups.PLACEHOLDERS,
        },
    )


@login_required
@require_GET
def group_message(request: HttpRequest, election_id: int, group_id: int) -> HttpResponse:
    """A draft: its preview, counts and the button to send it. Sent: the job's
    progress (reloaded by htmx while it runs), then the result."""
    group = groups.get_group_message_for_user(request.user, election_id, group_id)
    draft = group.status == GroupMessage.Status.DRAFT
    return render(
        request,
        "staffing/group_messages/detail.html",
        {
            "election": group.election,
            "group": group,
            "draft": draft,
            "filters": groups.describe(groups.Filters.from_json(group.filters)),
            "preview": groups.preview(group) if draft else None,
            "result": None if draft else groups.result(group),
            "stalled": services.stalled(group),
            "refresh": REFRESH_SECONDS if not draft and not group.finished else None,
        },
    )


@login_required
@require_POST
def group_message_send(request: HttpRequest, election_id: int, group_id: int) -> HttpResponse:
    group = groups.get_group_message_for_user(request.user, election_id, group_id)
    try:
        services.send_group_message(group, by=request.user)
    except Refused as refused:
        flash.error(request, refused.message)
    return redirect("staffing:group_message", group.election_id, group.pk)


__all__ = ["group_message", "group_message_edit", "group_message_send", "group_messages"]
