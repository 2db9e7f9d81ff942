"""``{% seat_actions a election manage %}``: the links beside a person on the
station page (answer for them, move, replace, remove, a new link), each named
with the person for screen readers and returning to the shift afterwards.

A tag rather than an included template: the biggest national station lists some
60 people, and an include per person cost more than the rest of the page."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from elections.models import Election
from staffing.models import Assignment

register = template.Library()

Status = Assignment.Status
ANSWERABLE = {Status.INVITED, Status.ACCEPTED, Status.DECLINED, Status.EXPIRED, Status.WITHDRAWN}
MOVABLE = {Status.INVITED, Status.ACCEPTED}
REMOVABLE = {Status.INVITED, Status.ACCEPTED, Status.CHECKED_IN}


@register.simple_tag(takes_context=True)
def seat_actions(
    context: dict[str, Any], a: Assignment, election: Election, manage: bool
) -> SafeString:
    back = quote(context["request"].get_full_path(), safe="/")  # as the urlencode filter
    links = []
    if manage:
        if a.status in ANSWERABLE:
            links.append(("staffing:fill_answer", gettext("Answer for them")))
        if a.status in MOVABLE:
            links.append(("staffing:fill_move", gettext("Move")))
            links.append(("staffing:fill_replace", gettext("Replace")))
        if a.status in REMOVABLE:
            links.append(("staffing:fill_remove", gettext("Remove")))
    links.append(("staffing:fill_new_link", gettext("New link")))
    name = a.volunteer.full_name
    items = format_html_join(
        "",
        '<li><a href="{}?next={}%23shift-{}" aria-label="{} ({})">{}</a></li>',
        (
            (reverse(url, args=[election.pk, a.pk]), back, a.shift_id, label, name, label)
            for url, label in links
        ),
    )
    return format_html('<ul class="pc-seat-actions unstyled-list">{}</ul>', items)
