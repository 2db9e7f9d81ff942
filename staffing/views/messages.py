"""The message log of an election: every message about its seats that the user
may see (``Capability.VIEW_CONTACT``: coordinators, admins, and station managers
and team leaders for their own seats), filtered and a page at a time, with the
delivery statistics on top; one message's history; and sending a failed one
again (``Capability.MANAGE`` over its seat), through
``staffing.services.resend``. Reading the log or a message is audited (it shows
phone numbers and email addresses)."""

from __future__ import annotations

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts import audit
from accounts.scopes import scope_of
from notifications.models import Channel, Message
from pollcrew.phones import display_phone
from pollcrew.redaction import redact
from pollcrew.refusals import Refused
from staffing import access, message_log, rules
from staffing.forms_messages import MessageFilterForm
from staffing.services.resend import may_resend, resend_message, resend_of
from staffing.views._common import C
from staffing.volunteer_timeline import message_label
from volunteers.models import Volunteer

PER_PAGE = 50


@login_required
@require_GET
def election_messages(request: HttpRequest, election_id: int) -> HttpResponse:
    election = access.get_election_for_user(request.user, election_id, C.VIEW_CONTACT)
    assignments = message_log.election_assignments(request.user, election)
    form = MessageFilterForm(request.GET or None)
    filters = form.filters()
    stats = message_log.delivery_stats(message_log.about(assignments), assignments)
    paginator = Paginator(
        message_log.filtered(assignments, filters).only(*message_log.ROW_FIELDS), PER_PAGE
    )
    page = paginator.get_page(request.GET.get("page"))
    rows = message_log.rows(page.object_list)
    if rows:
        audit.record_read(
            request,
            "read.message_log",
            election,
            election_id=election.pk,
            detail={"messages": len(rows), "page": page.number},
        )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "staffing/messages/log.html",
        {
            "election": election,
            "form": form,
            "filtered": filters.narrowed,
            "volunteer_only": filters.volunteer is not None,
            "stats": stats,
            "statuses": Message.Status.choices,
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
        },
    )


@login_required
@require_GET
def election_message(request: HttpRequest, election_id: int, message_id: int) -> HttpResponse:
    election = access.get_election_for_user(request.user, election_id, C.VIEW_CONTACT)
    message, assignment = message_log.get_message_for_user(request.user, election, message_id)
    resent_as = resend_of(message)
    original_id = message_log.resent_from_id(message)
    audit.record_read(request, "read.message", assignment, election_id=election.pk)
    return render(
        request,
        "staffing/messages/detail.html",
        {
            "election": election,
            "message": message,
            "kind_label": message_label(message.kind),
            "when": rules.shift_when(assignment.shift),
            "language": dict(Volunteer.Language.choices).get(message.language, message.language),
            "assignment": assignment,
            "volunteer": assignment.volunteer,
            # A queued message still holds a live personal link: staff never see one.
            "body": redact(message.body),
            "resent_as": resent_as,
            "resent_from": original_id,
            "may_resend": (
                resent_as is None
                and may_resend(message)
                and scope_of(request.user).allows_shift(C.MANAGE, assignment.shift)
            ),
        },
    )


@login_required
@require_POST
def election_message_resend(
    request: HttpRequest, election_id: int, message_id: int
) -> HttpResponse:
    election = access.get_election_for_user(request.user, election_id, C.MANAGE)
    message, _assignment = message_log.get_message_for_user(
        request.user, election, message_id, C.MANAGE
    )
    try:
        resent = resend_message(message, by=request.user)
    except Refused as refused:
        flash.error(request, refused.message)
        return redirect("staffing:election_message", election.pk, message.pk)
    to = display_phone(resent.to) if resent.channel == Channel.SMS else resent.to
    flash.success(
        request,
        _("Sent again as a new message: %(kind)s to %(to)s.")
        % {"kind": message_label(resent.kind), "to": to},
    )
    return redirect("staffing:election_message", election.pk, resent.pk)
