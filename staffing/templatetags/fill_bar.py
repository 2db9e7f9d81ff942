"""``{% fill_bar fill %}``: the small bar of accepted seats (a ``staffing.fill.Fill``)
drawn on the board and the dashboard, as an SVG with a text alternative. A tag
rather than an included template: the board draws one per station and area."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from staffing.fill import Fill

register = template.Library()


@register.simple_tag
def fill_bar(fill: Fill) -> SafeString:
    label = gettext("%(a)s of %(n)s accepted") % {"a": fill.accepted, "n": fill.needed}
    return format_html(
        '<svg class="pc-bar" width="96" height="10" viewBox="0 0 100 10"'
        ' preserveAspectRatio="none" role="img" aria-label="{}">'
        '<rect class="pc-bar__back" x="0" y="0" width="100" height="10"/>'
        '<rect class="pc-bar__fill" x="0" y="0" width="{}" height="10"/></svg>',
        label,
        fill.accepted_pct,
    )
