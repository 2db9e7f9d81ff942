"""``{% current_organisation as ORGANISATION %}``: the organisation's name, logo and
letterhead (accounts.organisation.current, cached) in any template, with or
without a request."""

from __future__ import annotations

from django import template

from accounts.models import Organisation
from accounts.organisation import current

register = template.Library()


@register.simple_tag
def current_organisation() -> Organisation:
    return current()
