"""``{% current_organisation as ORGANISATION %}``: the organisation's name, logo and
letterhead (accounts.organisation.current, cached) in any template, with or
without a request."""

from __future__ import annotations

from django import template

from accounts.models import Organisation
from accounts.organisation import current

register = template.Library()


@register.simple_tag(takes_context=True)
def current_organisation(context: template.Context) -> Organisation:
    """The request's (``site_context``: read once however many times it is used),
    or, rendered without a request (a letter, an email), read now."""
    request_copy = context.get("ORGANISATION")
    return request_copy if request_copy is not None else current()
