"""The seat grid's forms: the day (and area) to show, the grid itself, and one
cell's details.

The grid is a plain form: one text input per cell that one number describes (no
shift yet, or exactly one), named ``c<station>.<role>.<seats shown>``, so that
the server knows what the page showed and never overwrites a cell someone else
changed meanwhile. With JavaScript (static/pollcrew/grid.js) the browser sends
only the cells changed, packed in one field, ``cells``:
``"<station>.<role>.<seats shown>=<seats>"`` separated by spaces — a national
grid has 7,000 cells, more than a form may post as separate fields.

A grid's rows are built here as HTML in Python (escaped, names isolated with
<bdi>): a template tag per cell is too slow for 7,000 of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.forms import formset_factory
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from elections.models import Election, Role
from staffing import grid as grid_model
from staffing.grid import AreaGroup, Cell, Grid, StationRow
from staffing.services.grid import CellEdit, ShiftSpec
from volunteers.models import Team

MAX_SEATS = 999
_NAME = re.compile(r"c(\d{1,12})\.(\d{1,12})\.(\d{1,4})")
_PACKED = re.compile(r"(\d{1,12})\.(\d{1,12})\.(\d{1,4})=(\S{0,12})")


def times_label(starts_at: datetime | time, ends_at: datetime | time) -> str:
    """ "07:30-20:00" (with an en dash), or "20:00-01:00 (+1 day)" when it ends
    the next day."""
    start, end = date_format(starts_at, "H:i"), date_format(ends_at, "H:i")
    if isinstance(starts_at, datetime) and isinstance(ends_at, datetime):
        overnight = ends_at.date() > starts_at.date()
    else:
        overnight = grid_model.next_day(starts_at, ends_at)  # type: ignore[arg-type]
    if overnight:
        return _("%(start)s–%(end)s (+1 day)") % {"start": start, "end": end}  # noqa: RUF001
    return f"{start}\u2013{end}"


class DayForm(forms.Form):
    """Which day of the election the grid shows: election day unless chosen, and
    only a day in the election's window."""

    day = forms.DateField(
        label=gettext_lazy("Another day"),
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: Any, election: Election, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.election = election
        self.first, self.last = grid_model.window_days(election)
        widget = self.fields["day"].widget
        widget.attrs.update(min=self.first.isoformat(), max=self.last.isoformat())
        self.fields["day"].help_text = _("From %(first)s to %(last)s.") % {
            "first": date_format(self.first, "DATE_FORMAT"),
            "last": date_format(self.last, "DATE_FORMAT"),
        }

    def clean_day(self) -> date:
        day = self.cleaned_data.get("day") or self.election.election_date
        if not self.first <= day <= self.last:
            raise forms.ValidationError(
                _(
                    "Choose a day from %(first)s to %(last)s: "
                    "this election's shifts can only be on those days."
                ),
                code="outside_window",
                params={
                    "first": date_format(self.first, "DATE_FORMAT"),
                    "last": date_format(self.last, "DATE_FORMAT"),
                },
            )
        return day


def _seats(raw: str) -> int | None:
    """A typed number of seats (blank is none), or None if it is not one."""
    text = raw.strip()
    if not text:
        return 0
    if not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if value <= MAX_SEATS else None


class GridForm:
    """The numbers typed in a grid (see the module's docstring for the names)."""

    def __init__(self, grid: Grid, data: Mapping[str, Any] | None = None) -> None:
        self.grid = grid
        self.cells = grid.cells()
        self.data = data
        self.edits: list[CellEdit] = []
        self.errors: dict[tuple[int, int], list[str]] = {}
        self.typed: dict[tuple[int, int], str] = {}  # shown again after a refusal
        self.unknown = 0  # cells posted that are not on this grid
        self._cleaned = False

    def _posted(self) -> Iterator[tuple[int, int, int, str]]:
        if self.data is None:
            return
        packed = self.data.get("cells")
        if packed is not None:
            for token in str(packed).split():
                match = _PACKED.fullmatch(token)
                if match is None:
                    self.unknown += 1
                    continue
                station, role, was, value = match.groups()
                yield int(station), int(role), int(was), value
            return
        for name, value in self.data.items():
            match = _NAME.fullmatch(name)
            if match is not None:
                station, role, was = match.groups()
                yield int(station), int(role), int(was), str(value)

    def is_valid(self) -> bool:
        if self.data is None:
            return False
        if not self._cleaned:
            self._cleaned = True
            for station, role, was, raw in self._posted():
                key = (station, role)
                if key not in self.cells:
                    self.unknown += 1
                    continue
                seats = _seats(raw)
                self.typed[key] = raw.strip()[:12]
                if seats is None:
                    self.errors[key] = [
                        _("Type a whole number of seats from 0 to %(max)d.") % {"max": MAX_SEATS}
                    ]
                elif seats != was:
                    self.edits.append(CellEdit(station, role, was, seats))
        return not self.errors and not self.unknown

    def add_errors(self, errors: Mapping[Any, list[str]]) -> None:
        for key, messages in errors.items():
            self.errors.setdefault(key, []).extend(messages)

    @property
    def packed(self) -> str:
        """The edits as grid.js posts them (the confirmation page carries them)."""
        return " ".join(f"{e.station_id}.{e.role_id}.{e.was}={e.seats}" for e in self.edits)

    # --- Rendering ------------------------------------------------------------

    def error_list(self) -> list[dict[str, str]]:
        """Each cell with an error: its input's id, where it is, and what is wrong."""
        names = {r.pk: r.name for g in self.grid.groups for r in g.rows}
        roles = {r.pk: r.name for r in self.grid.roles}
        found = []
        for (station, role), messages in self.errors.items():
            found.append(
                {
                    "id": f"c{station}-{role}",
                    "where": f"{names.get(station, '?')} · {roles.get(role, '?')}",
                    "message": " ".join(messages),
                }
            )
        return found

    def groups(
        self, cell_url: str, day: date, *, named: bool = True, readonly: bool = False
    ) -> Iterator[tuple[AreaGroup, SafeString]]:
        """(area group, its rows as HTML) in order. ``named``: each input is a
        field of its own (the form works without JavaScript); else grid.js posts
        the changed cells packed. ``readonly``: numbers, no inputs."""
        render = _RowRenderer(self, cell_url, day, named=named, readonly=readonly)
        for group in self.grid.groups:
            html = "".join([render.row(row) for row in group.rows])
            yield group, mark_safe(html)  # noqa: S308 - built from escaped parts

    @staticmethod
    def _special(cell: Cell) -> str:
        shift = cell.shifts[0]
        parts = []
        if shift.team_name:
            parts.append(_("reserved for %(team)s") % {"team": shift.team_name})
        if (shift.starts_at, shift.ends_at) != cell.default:
            parts.append(times_label(shift.starts_at, shift.ends_at))
        return ", ".join(parts)

    def too_big_without_javascript(self) -> bool:
        """Without JavaScript every cell is a field of its own: more than a form
        may post (DATA_UPLOAD_MAX_NUMBER_FIELDS)."""
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        editable = sum(1 for c in self.cells.values() if c.editable)
        return limit is not None and editable + 10 > limit


class _RowRenderer:
    """A grid's station rows as HTML, the cells of a national grid (7,000) in
    well under 0.1 s: each name escaped once per row or column, strings joined
    once per row. A cell one number describes is an input, labelled by its
    station (``s<pk>``) and role (``r<pk>``) headers, with a "+" link to its
    details (a "•" when it has some); a cell of several shifts shows its seats
    as a link to its details."""

    def __init__(
        self, form: GridForm, cell_url: str, day: date, *, named: bool, readonly: bool
    ) -> None:
        self.form = form
        self.cell_url = cell_url
        self.day_query = f"/?day={day.isoformat()}"
        self.roles = [(r.pk, escape(r.name)) for r in form.grid.roles]
        self.details = escape(_("Details"))
        self.named = named
        self.readonly = readonly
        self.multi_labels: dict[int, str] = {}

    def row(self, row: StationRow) -> str:
        pk = row.pk
        station = escape(row.name)
        parts = [f'<tr><th scope="row" id="s{pk}"><bdi>{station}</bdi></th>']
        total = 0
        base = f"{self.cell_url}{pk}/"
        day_query = self.day_query
        ref_attr = 'name="c' if self.named else 'data-c="'
        slow = self.readonly or self.form.typed or self.form.errors
        for cell, (role_pk, role_name) in zip(row.cells, self.roles, strict=True):
            shifts = cell.shifts
            href = f"{base}{role_pk}{day_query}"
            # The common cell (below): no shift yet, or one at the role's times
            # for anyone (not cell.special, spelt out for speed).
            common = not slow and (
                not shifts
                or (
                    len(shifts) == 1
                    and shifts[0].team_id is None
                    and (shifts[0].starts_at, shifts[0].ends_at) == cell.default
                )
            )
            if not common:
                html, seats = (
                    self._fixed(cell, station, role_name, href)
                    if self.readonly or len(shifts) > 1
                    else self._cell(cell, station, role_name, href)
                )
                parts.append(html)
                total += seats
                continue
            labelled = f"s{pk} r{role_pk}"
            if shifts:
                shift = shifts[0]
                seats = shift.capacity
                total += seats
                value = f' value="{seats}"' if seats else ""
                if shift.held:
                    value += f' data-held="{shift.held}"'
            else:
                seats = 0
                value = ""
            parts.append(
                f'<td><input {ref_attr}{pk}.{role_pk}.{seats}"{value} aria-labelledby="{labelled}"'
                f' inputmode="numeric"><a href="{href}" tabindex="-1"'
                f' aria-labelledby="{labelled} gd">+</a></td>'
            )
        parts.append(f'<td class="pc-grid__sum" data-row-total><span>{total}</span></td></tr>')
        return "".join(parts)

    def _fixed(self, cell: Cell, station: str, role_name: str, href: str) -> tuple[str, int]:
        """A cell one number does not describe (several shifts), or any cell of
        a grid that cannot be changed: its seats, and a link to its details."""
        seats = cell.seats
        count = len(cell.shifts)
        text = self.multi_labels.get(count)
        if text is None:  # looked up once per number of shifts, not per cell
            text = self.multi_labels[count] = ngettext(
                "%(station)s, %(role)s: %(seats)d seats in %(count)d shift. Details",
                "%(station)s, %(role)s: %(seats)d seats in %(count)d shifts. Details",
                count,
            )
        label = text % {"station": station, "role": role_name, "seats": seats, "count": count}
        special = " pc-grid__special" if cell.special else ""
        return (
            f'<td class="pc-grid__multi{special}" data-seats="{seats}">'
            f'<a href="{href}" aria-label="{label}">{seats}</a></td>',
            seats,
        )

    def _cell(self, cell: Cell, station: str, role_name: str, href: str) -> tuple[str, int]:
        station_pk, role_pk = cell.station_id, cell.role_id
        shift = cell.shifts[0] if cell.shifts else None
        seats = shift.capacity if shift else 0
        form = self.form
        typed = form.typed.get((station_pk, role_pk)) if form.typed else None
        ref = f"{station_pk}.{role_pk}.{seats}"
        attrs = f'name="c{ref}"' if self.named else f'data-c="{ref}"'
        if typed is not None:
            shown = _seats(typed) or 0
            if typed:
                attrs += f' value="{escape(typed)}"'
        else:
            shown = seats
            if seats:
                attrs += f' value="{seats}"'
        if shift and shift.held:
            attrs += f' data-held="{shift.held}"'
        labelled = f"s{station_pk} r{role_pk}"
        errors = form.errors.get((station_pk, role_pk)) if form.errors else None
        extra = ""
        td_class = ""
        if errors:
            where = f"{station_pk}-{role_pk}"
            attrs += f' id="c{where}" aria-invalid="true" aria-describedby="e{where}"'
            extra = f'<span class="pc-grid__msg" id="e{where}">{escape(" ".join(errors))}</span>'
            td_class = "pc-grid__error"
        if shift and cell.special:
            what = escape(GridForm._special(cell))
            extra += (
                f'<a class="pc-grid__more--on" href="{href}" tabindex="-1" '
                f'title="{what}" aria-label="{station}, {role_name}: {what}. {self.details}">•</a>'
            )
            td_class = f"{td_class} pc-grid__special".strip()
        else:
            # Named by the headers and the hidden "Details" (#gd) of the table.
            extra += f'<a href="{href}" tabindex="-1" aria-labelledby="{labelled} gd">+</a>'
        opening = f'<td class="{td_class}">' if td_class else "<td>"
        return (
            f'{opening}<input {attrs} aria-labelledby="{labelled}" inputmode="numeric">'
            f"{extra}</td>",
            shown,
        )


# --- One cell's details ---------------------------------------------------------


class ShiftRowForm(forms.Form):
    """One shift of a cell, or a new one (no ``shift``)."""

    shift = forms.IntegerField(required=False, widget=forms.HiddenInput)
    seats = forms.IntegerField(
        label=gettext_lazy("Seats"), required=False, min_value=0, max_value=MAX_SEATS
    )
    starts = forms.TimeField(label=gettext_lazy("Starts"), input_formats=["%H:%M", "%H.%M"])
    ends = forms.TimeField(
        label=gettext_lazy("Ends"),
        input_formats=["%H:%M", "%H.%M"],
        help_text=gettext_lazy("Earlier than the start means the next day."),
    )
    team = forms.ModelChoiceField(
        label=gettext_lazy("Reserved for"),
        queryset=Team.objects.none(),
        required=False,
        empty_label=gettext_lazy("Anyone (no team)"),
    )
    remove = forms.BooleanField(label=gettext_lazy("Remove"), required=False)

    def __init__(self, *args: Any, teams: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if teams is not None:
            self.fields["team"].queryset = teams
        for name in ("starts", "ends"):
            self.fields[name].widget = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("shift") is None and data.get("seats") is None:
            return data  # a blank row for a new shift: nothing to add
        if data.get("shift") is not None and data.get("seats") is None and not data.get("remove"):
            self.add_error("seats", _("Type the number of seats (0 removes the shift)."))
        return data

    def spec(self, key: int, day: date) -> ShiftSpec | None:
        data = self.cleaned_data
        if data.get("shift") is None and not data.get("seats"):
            return None
        starts, ends = data["starts"], data["ends"]
        tz = timezone.get_current_timezone()
        end_day = day + timedelta(days=1) if grid_model.next_day(starts, ends) else day
        team = data.get("team")
        return ShiftSpec(
            key=key,
            shift_id=data.get("shift"),
            capacity=0 if data.get("remove") else data.get("seats") or 0,
            starts_at=datetime.combine(day, starts, tzinfo=tz),
            ends_at=datetime.combine(end_day, ends, tzinfo=tz),
            team_id=team.pk if team else None,
        )


ShiftRowFormSet = formset_factory(ShiftRowForm, extra=0, max_num=100, absolute_max=100)
NEW_ROWS = 2


def cell_formset(cell: Cell, role: Role, day: date, data: Mapping[str, Any] | None = None) -> Any:
    """The cell's shifts as rows, then NEW_ROWS blank rows for new shifts (at the
    role's default times)."""
    starts_at, ends_at = grid_model.role_times(role, day)
    initial = [
        {
            "shift": s.pk,
            "seats": s.capacity,
            "starts": s.starts_at.time(),
            "ends": s.ends_at.time(),
            "team": s.team_id,
        }
        for s in cell.shifts
    ]
    blank = {
        "starts": timezone.localtime(starts_at).time(),
        "ends": timezone.localtime(ends_at).time(),
    }
    initial += [dict(blank) for _ in range(NEW_ROWS)]
    return ShiftRowFormSet(
        data,
        initial=initial,
        prefix="shifts",
        form_kwargs={"teams": Team.objects.order_by("name")},
    )


class CellForm(forms.Form):
    """What the cell was when the page was shown (see grid.Cell.version)."""

    version = forms.CharField(required=False, widget=forms.HiddenInput, max_length=20000)
