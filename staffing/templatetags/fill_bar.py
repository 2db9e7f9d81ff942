"""``{% fill_bar fill %}``: the small bar of accepted seats (a ``staffing.fill.Fill``)
drawn on the board and the dashboard, as an SVG with a text alternative;
``{% board_rows page election %}``, the board's rows; and ``{% fill_rows groups %}``,
the dashboard's rows per role or area. Written in Python rather than as included
templates or template loops: a national board draws some 150 rows per request
(the board with its dashboard should take 60 ms)."""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.urls import reverse
from django.utils.formats import get_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from elections.models import Election
from staffing.board import StationRow
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


def grouped(number: int) -> str:
    """An integer with the language's thousand separator (``floatformat:"g"``
    without going through Decimal: hundreds of numbers per board)."""
    return f"{number:,}".replace(",", get_format("THOUSAND_SEPARATOR"))


@register.simple_tag
def board_rows(rows: Iterable[StationRow], election: Election, grid_url: str = "") -> SafeString:
    """``{% board_rows page election grid_url %}``: the board's rows, one per
    station (``staffing.board.StationRow``): name (linked to the station page when
    it has seats), area, the counts and the bar; "no seats yet" with a link to
    the seat grid (``grid_url``, for those who may change it) otherwise."""
    no_seats = gettext("No seats yet")
    if grid_url:
        no_seats = format_html(
            '{} · <a href="{}">{}</a>', no_seats, grid_url, gettext("Add seats in the seat grid")
        )
    return format_html_join(
        "\n", "<tr>{}</tr>", ((_board_row(row, election, no_seats),) for row in rows)
    )


def _board_row(row: StationRow, election: Election, no_seats: str) -> SafeString:
    station, fill = row.station, row.fill
    if not row.has_seats:
        return format_html(
            "<td><bdi>{}</bdi></td><td><bdi>{}</bdi></td>"
            '<td colspan="5" class="pc-noseats">{}</td>',
            station.name,
            station.area.name,
            no_seats,
        )
    return format_html(
        '<td><a href="{}"><bdi>{}</bdi></a></td><td><bdi>{}</bdi></td>'
        '<td class="num">{}</td><td class="num">{}</td><td class="num">{}</td>'
        '<td class="num">{}</td><td>{}</td>',
        reverse("staffing:station", args=[election.pk, station.pk]),
        station.name,
        station.area.name,
        fill.needed,
        fill.invited,
        fill.accepted,
        fill.vacant,
        fill_bar(fill),
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
                grouped(group.fill.needed),
                grouped(group.fill.accepted),
                gettext("%(pct)s %%") % {"pct": group.fill.accepted_pct},
                fill_bar(group.fill),
            )
            for group in groups
        ),
    )
