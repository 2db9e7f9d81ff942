"""Role-by-URL table of the setup pages (areas, polling stations, roles).

Only admins and coordinators of every election (the table's coordinator) use
them (staffing.setup_access); everyone else gets a 404 on every one of them,
lists included, as outside any scope. tests/test_setup_pages.py checks a
coordinator limited to some elections. The world's station, area and role are in
use, so a delete is refused: the page says where, and nothing is deleted (200)."""

from __future__ import annotations

from tests.permission_cases import MANAGE, POST_ONLY, Case, S, url

# A POST that admins and coordinators make and are redirected after.
CHANGED = {**MANAGE, "admin": 302, "coordinator": 302}
SHOWN_AGAIN = MANAGE  # a form shown again with its errors, or a refusal: 200

A = lambda w: w.station.area_id  # noqa: E731
R = lambda w: w.open_shift.role_id  # noqa: E731


def _station(w) -> dict:
    return {
        "area": w.station.area_id,
        "name": w.station.name,
        "address": w.station.address,
        "postal_code": w.station.postal_code,
        "city": w.station.city,
    }


TABLE: dict[str, list[Case]] = {
    "staffing:setup_areas": [Case(url("staffing:setup_areas"), MANAGE)],
    "staffing:setup_area_create": [
        Case(url("staffing:setup_area_create"), MANAGE),
        Case(url("staffing:setup_area_create"), SHOWN_AGAIN, post=lambda w: {"name": ""}),
    ],
    "staffing:setup_area_edit": [
        Case(url("staffing:setup_area_edit", A), MANAGE),
        Case(
            url("staffing:setup_area_edit", A),
            CHANGED,
            "saved unchanged",
            post=lambda w: {"name": w.station.area.name},
        ),
    ],
    "staffing:setup_area_move": [
        Case(url("staffing:setup_area_move", A), POST_ONLY),
        Case(url("staffing:setup_area_move", A), CHANGED, post=lambda w: {"to": "down"}),
    ],
    "staffing:setup_area_delete": [
        Case(url("staffing:setup_area_delete", A), MANAGE, "says why it cannot be deleted"),
        Case(url("staffing:setup_area_delete", A), SHOWN_AGAIN, "has stations", post=lambda w: {}),
    ],
    "staffing:setup_stations": [Case(url("staffing:setup_stations"), MANAGE)],
    "staffing:setup_station_create": [
        Case(url("staffing:setup_station_create"), MANAGE),
        Case(url("staffing:setup_station_create"), SHOWN_AGAIN, post=lambda w: {"name": ""}),
    ],
    "staffing:setup_station_edit": [
        Case(url("staffing:setup_station_edit", S), MANAGE, "not even their own station"),
        Case(url("staffing:setup_station_edit", S), CHANGED, post=_station),
    ],
    "staffing:setup_station_move": [
        Case(url("staffing:setup_station_move", S), POST_ONLY),
        Case(url("staffing:setup_station_move", S), CHANGED, post=lambda w: {"to": "1"}),
    ],
    "staffing:setup_station_delete": [
        Case(url("staffing:setup_station_delete", S), MANAGE),
        Case(url("staffing:setup_station_delete", S), SHOWN_AGAIN, "has shifts", post=lambda w: {}),
    ],
    "staffing:setup_roles": [Case(url("staffing:setup_roles"), MANAGE)],
    "staffing:setup_role_create": [
        Case(url("staffing:setup_role_create"), MANAGE),
        Case(url("staffing:setup_role_create"), SHOWN_AGAIN, post=lambda w: {"name": ""}),
    ],
    "staffing:setup_role_edit": [
        Case(url("staffing:setup_role_edit", R), MANAGE),
        Case(url("staffing:setup_role_edit", R), SHOWN_AGAIN, post=lambda w: {"name": ""}),
    ],
    "staffing:setup_role_move": [
        Case(url("staffing:setup_role_move", R), POST_ONLY),
        Case(url("staffing:setup_role_move", R), CHANGED, post=lambda w: {"to": "first"}),
    ],
    "staffing:setup_role_delete": [
        Case(url("staffing:setup_role_delete", R), MANAGE),
        Case(url("staffing:setup_role_delete", R), SHOWN_AGAIN, "has shifts", post=lambda w: {}),
    ],
}
