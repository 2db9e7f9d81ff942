"""An election's own message texts: the overview of every kind of message on
each channel and language, and the editor of one text with its placeholders,
a live preview for a real recipient (with the SMS cost), save and revert.

Every page needs the election managed by the user (``message_texts.NEED``):
admins and coordinators; for anyone else the uniform 404."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pollcrew.refusals import Refused
from staffing import access
from staffing import message_texts as texts
from staffing.forms_message_texts import MessageTextForm
from staffing.message_kinds import examples, placeholders_of
from staffing.models import Assignment
from staffing.services import message_texts as services


def _target(request: HttpRequest, election_id: int, kind: str, channel: str, language: str):
    role_id = request.GET.get("role") or request.POST.get("role")
    return texts.get_target_for_user(request.user, election_id, kind, channel, language, role_id)


def _url(name: str, target: texts.Target) -> str:
    url = reverse(
        f"staffing:{name}",
        args=[target.election.pk, target.kind.name, target.channel, target.language],
    )
    return f"{url}?{urlencode({'role': target.role.pk})}" if target.role else url


def _recipient(request: HttpRequest, target: texts.Target) -> tuple[list, Assignment | None]:
    """The people the preview can be for, and the one chosen (the first by default)."""
    people = list(texts.recipients(request.user, target))
    wanted = request.POST.get("recipient") or request.GET.get("recipient")
    chosen = next((seat for seat in people if str(seat.pk) == wanted), None)
    return people, chosen or (people[0] if people else None)


@login_required
@require_GET
def message_texts(request: HttpRequest, election_id: int) -> HttpResponse:
    """Which messages have the election's own text, and which the default."""
    election = access.get_election_for_user(request.user, election_id, texts.NEED)
    return render(
        request,
        "staffing/message_texts/list.html",
        {"election": election, "rows": texts.overview(election), "languages": texts.LANGUAGES},
    )


@login_required
@require_http_methods(["GET", "POST"])
def message_text(
    request: HttpRequest, election_id: int, kind: str, channel: str, language: str
) -> HttpResponse:
    """Edit one text; the preview beside it follows the text as it is typed."""
    target = _target(request, election_id, kind, channel, language)
    own = texts.saved(target)
    current = own or texts.default_text(target.kind, channel, language)
    initial = {"subject": current.subject, "body": current.body}
    form = MessageTextForm(
        request.POST if request.method == "POST" else None, initial=initial, target=target
    )
    if request.method == "POST" and form.is_valid():
        try:
            stored = services.save_message_text(
                target,
                subject=form.cleaned_data.get("subject", ""),
                body=form.cleaned_data["body"],
                by=request.user,
            )
        except Refused as refused:
            form.add_error("body", refused.message)
        else:
            if stored is None:
                flash.success(request, _("The text is the default one: the default is used."))
            else:
                flash.success(request, _("The text is saved. Messages made from now on use it."))
            return redirect("staffing:message_texts", target.election.pk)
    people, seat = _recipient(request, target)
    data = form.data if form.is_bound else initial
    preview = texts.preview(target, data.get("subject", ""), data.get("body", ""), seat)
    return render(
        request,
        "staffing/message_texts/edit.html",
        {
            "election": target.election,
            "target": target,
            "own": own,
            "form": form,
            "roles": texts.roles_of(request.user, target.election),
            "people": people,
            "preview": preview,
            "placeholders": placeholders_of(target.kind),
            "examples": examples(language),
            "preview_url": _url("message_text_preview", target),
            "revert_url": _url("message_text_revert", target),
            "here_url": _url("message_text", target),
            "base_url": reverse(
                "staffing:message_text",
                args=[target.election.pk, target.kind.name, target.channel, target.language],
            ),
        },
    )


@login_required
@require_POST
def message_text_preview(
    request: HttpRequest, election_id: int, kind: str, channel: str, language: str
) -> HttpResponse:
    """The preview of the text being typed (htmx), or what is wrong with it."""
    target = _target(request, election_id, kind, channel, language)
    _people, seat = _recipient(request, target)
    subject = request.POST.get("subject", "") if not target.is_sms else ""
    preview = texts.preview(target, subject, request.POST.get("body", ""), seat)
    return render(
        request,
        "staffing/message_texts/_preview.html",
        {"target": target, "preview": preview},
    )


@login_required
@require_POST
def message_text_revert(
    request: HttpRequest, election_id: int, kind: str, channel: str, language: str
) -> HttpResponse:
    """Back to the default text."""
    target = _target(request, election_id, kind, channel, language)
    if services.revert_message_text(target, by=request.user):
        flash.success(request, _("The default text is used again."))
    return redirect("staffing:message_texts", target.election.pk)
