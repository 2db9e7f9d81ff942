"""``{% election_actions election as actions %}``: what the election's header
(templates/staffing/_election_header.html) offers the signed-in user. It uses
the scope the request has loaded already, so the header costs no query."""

from __future__ import annotations

from typing import Any

from django import template

from elections.models import Election
from staffing.views.elections import HeaderActions, header_actions

register = template.Library()


@register.simple_tag(takes_context=True)
def election_actions(context: dict[str, Any], election: Election) -> HeaderActions:
    return header_actions(context["request"].user, election)
