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
from staffing.grid import Cell, Grid, StationRow
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
                _("Choose a day from %(first)s to %(last)s: shifts of this election fall then."),
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
    ) -> Iterator[tuple[Any, SafeString]]:
        """(area group, its rows as HTML) in order. ``named``: each input is a
        field of its own (the form works without JavaScript); else grid.js posts
        the changed cells packed. ``readonly``: numbers, no inputs."""
        day_query = f"?day={day.isoformat()}"
        role_names = [escape(r.name) for r in self.grid.roles]
        details = escape(_("Details"))
        for group in self.grid.groups:
            html = [
                self._row(row, cell_url, day_query, role_names, details, named, readonly)
                for row in group.rows
            ]
            yield group, mark_safe("".join(html))  # noqa: S308 - built from escaped parts

    def _row(
        self,
        row: StationRow,
        cell_url: str,
        day_query: str,
        role_names: list[str],
        details: str,
        named: bool,
        readonly: bool,
    ) -> str:
        station = escape(row.name)
        parts = [f'<tr><th scope="row" id="s{row.pk}"><bdi>{station}</bdi></th>']
        total = 0
        for cell, role_name in zip(row.cells, role_names, strict=True):
            href = f"{cell_url}{cell.station_id}/{cell.role_id}/{day_query}"
            if readonly or not cell.editable:
                html, seats = self._fixed(cell, station, role_name, href, details)
            else:
                html, seats = self._cell(cell, station, role_name, href, details, named)
            parts.append(html)
            total += seats
        parts.append(f'<td class="pc-grid__sum" data-row-total>{total}</td></tr>')
        return "".join(parts)

    def _fixed(
        self, cell: Cell, station: str, role_name: str, href: str, details: str
    ) -> tuple[str, int]:
        """A cell one number does not describe (several shifts): its seats, and a
        link to its details."""
        seats = cell.seats
        label = ngettext(
            "%(station)s, %(role)s: %(seats)d seats in %(count)d shift. Details",
            "%(station)s, %(role)s: %(seats)d seats in %(count)d shifts. Details",
            len(cell.shifts),
        ) % {"station": station, "role": role_name, "seats": seats, "count": len(cell.shifts)}
        special = " pc-grid__special" if cell.special else ""
        return (
            f'<td class="pc-grid__multi{special}" data-seats="{seats}">'
            f'<a href="{href}" aria-label="{label}">{seats}</a></td>',
            seats,
        )

    def _cell(
        self, cell: Cell, station: str, role_name: str, href: str, details: str, named: bool
    ) -> tuple[str, int]:
        key = (cell.station_id, cell.role_id)
        seats = cell.seats
        typed = self.typed.get(key)
        value = typed if typed is not None else (str(seats) if seats else "")
        shown = _seats(value) if typed is not None else seats
        ref = f"{cell.station_id}.{cell.role_id}.{seats}"
        attrs = [f'name="c{ref}"' if named else f'data-c="{ref}"']
        if value:
            attrs.append(f'value="{escape(value)}"')
        if cell.held:
            attrs.append(f'data-held="{cell.held}"')
        errors = self.errors.get(key)
        extra = ""
        td_class = ""
        if errors:
            attrs.append(
                f'id="c{cell.station_id}-{cell.role_id}" aria-invalid="true" '
                f'aria-describedby="e{cell.station_id}-{cell.role_id}"'
            )
            extra = (
                f'<span class="pc-grid__msg" id="e{cell.station_id}-{cell.role_id}">'
                f"{escape(' '.join(errors))}</span>"
            )
            td_class = "pc-grid__error"
        if cell.special:
            what = escape(self._special(cell))
            extra += (
                f'<a class="pc-grid__more pc-grid__more--on" href="{href}" tabindex="-1" '
                f'title="{what}" aria-label="{station}, {role_name}: {what}. {details}">•</a>'
            )
            td_class = f"{td_class} pc-grid__special".strip()
        else:
            extra += (
                f'<a class="pc-grid__more" href="{href}" tabindex="-1" '
                f'aria-label="{station}, {role_name}: {details}">+</a>'
            )
        opening = f'<td class="{td_class}">' if td_class else "<td>"
        cell_html = (
            f'{opening}<input {" ".join(attrs)} aria-labelledby="s{cell.station_id} '
            f'r{cell.role_id}" inputmode="numeric" autocomplete="off" size="3">{extra}</td>'
        )
        return cell_html, shown or 0

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
