"""Role-by-URL table of the seat grid (staffing.views.grid): for those who manage
the election's seats, admins and coordinators; everyone else gets a 404, as
outside any scope (a viewer cannot save, nor see the grid). tests/test_seat_grid.py
checks a coordinator limited to another election, and what each save does."""

from __future__ import annotations

from staffing import grid
from tests.permission_cases import MANAGE, Case, E, S, url

# A POST that admins and coordinators make and are redirected after.
SAVED = {**MANAGE, "admin": 302, "coordinator": 302}

R = lambda w: w.open_shift.role_id  # noqa: E731


def _cell(w) -> dict:
    """The cell's details posted as shown (no rows changed): nothing to save."""
    cell = grid.build_cell(w.election, w.station, w.open_shift.role, w.election.election_date)
    return {
        "shifts-TOTAL_FORMS": "0",
        "shifts-INITIAL_FORMS": "0",
        "shifts-MIN_NUM_FORMS": "0",
        "shifts-MAX_NUM_FORMS": "100",
        "version": cell.version,
        "do": "save",
    }


TABLE: dict[str, list[Case]] = {
    "staffing:grid": [
        Case(url("staffing:grid", E), MANAGE),
        Case(
            url("staffing:grid", E), SAVED, "nothing changed: back to the grid", post=lambda w: {}
        ),
    ],
    "staffing:grid_cell": [
        Case(url("staffing:grid_cell", E, S, R), MANAGE),
        Case(url("staffing:grid_cell", E, S, R), SAVED, "saved as shown", post=_cell),
    ],
}
