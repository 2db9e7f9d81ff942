"""``{% fill_bar fill %}``: the small bar of accepted seats (a ``staffing.fill.Fill``)
drawn on the board and the dashboard, as an SVG with a text alternative; and
``{% fill_rows groups %}``, the dashboard's rows per role or area. Tags rather
than included templates: the board draws one per station and area."""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.template.defaultfilters import floatformat
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from staffing.dashboard import Group
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


@register.simple_tag
def fill_rows(groups: Iterable[Group]) -> SafeString:
    """``{% fill_rows dashboard.areas %}``: the rows of a fill-per-role or per-area
    table (name, seats, accepted, fill rate, bar), up to a hundred on the dashboard."""
    return format_html_join(
        "",
        '<tr><th scope="row"><bdi>{}</bdi></th><td class="num">{}</td><td class="num">{}</td>'
        '<td class="num">{}</td><td>{}</td></tr>',
        (
            (
                group.name,
                floatformat(group.fill.needed, "g"),
                floatformat(group.fill.accepted, "g"),
                gettext("%(pct)s %%") % {"pct": group.fill.accepted_pct},
                fill_bar(group.fill),
            )
            for group in groups
        ),
    )
