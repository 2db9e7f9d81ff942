"""Each endpoint per role: the same scope as the pages. Viewers see counts and
no people; team leaders their team's seats and members; station managers their
station; outside the scope a 404, never a 403."""

from __future__ import annotations

import pytest

from accounts.models import AuditEntry
from tests import factories as f
from tests.test_api_helpers import client_for, make_world, personas

pytestmark = pytest.mark.django_db

ROLES = ("admin", "coordinator", "station_manager", "team_leader", "viewer")


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_what_each_role_lists():
    w = make_world()
    apis = {role: client_for(user) for role, user in personas(w).items()}
    everything = {w.open_shift.pk, w.team_shift.pk, w.other_shift.pk}
    # role → (shifts, stations, assignments, volunteers, teams); None: a 404
    expected = {
        "admin": (everything, 2, {w.seat.pk, w.held.pk}, 2, {w.team.pk}),
        "coordinator": (everything, 2, {w.seat.pk, w.held.pk}, 2, {w.team.pk}),
        "station_manager": (
            {w.open_shift.pk, w.team_shift.pk},
            1,
            {w.seat.pk, w.held.pk},
            2,
            set(),
        ),
        "team_leader": ({w.team_shift.pk}, 1, {w.seat.pk}, 1, {w.team.pk}),
        "viewer": (everything, 2, None, None, None),
    }
    for role in ROLES:
        api = apis[role]
        shifts, stations, seats, people, teams = expected[role]
        assert _ids(api.get("/api/v1/shifts/")) == shifts, role
        assert len(_ids(api.get("/api/v1/stations/"))) == stations, role
        assert _ids(api.get("/api/v1/elections/")) == {w.election.pk}, role
        assert len(_ids(api.get("/api/v1/roles/"))) == 3, role
        for url, want in (
            ("/api/v1/assignments/", seats),
            ("/api/v1/teams/", teams),
        ):
            if want is None:
                assert api.get(url).status_code == 404, (role, url)
            else:
                assert _ids(api.get(url)) == want, (role, url)
        if people is None:
            assert api.get("/api/v1/volunteers/").status_code == 404
            assert api.get("/api/v1/messages/").status_code == 404
        else:
            assert api.get("/api/v1/volunteers/").json()["count"] == people, role


def test_outside_the_scope_is_a_404():
    w = make_world()
    users = personas(w)
    leader, manager = client_for(users["team_leader"]), client_for(users["station_manager"])
    assert leader.get(f"/api/v1/assignments/{w.held.pk}/").status_code == 404
    assert leader.get(f"/api/v1/assignments/{w.seat.pk}/").status_code == 200
    assert leader.get(f"/api/v1/volunteers/{w.held.volunteer_id}/").status_code == 404
    assert manager.get(f"/api/v1/shifts/{w.other_shift.pk}/").status_code == 404
    assert manager.get(f"/api/v1/stations/{w.other_station.pk}/").status_code == 404
    viewer = client_for(users["viewer"])
    assert viewer.get(f"/api/v1/volunteers/{w.member.pk}/").status_code == 404
    assert viewer.get("/api/v1/assignments/abc/").status_code == 404


def test_a_viewer_sees_the_counts_of_a_shift():
    w = make_world()
    users = personas(w)
    viewer = client_for(users["viewer"])
    shift = viewer.get(f"/api/v1/shifts/{w.open_shift.pk}/").json()
    assert shift["fill"] == {"seats": 3, "awaiting": 0, "accepted": 1, "vacant": 2}
    election = viewer.get(f"/api/v1/elections/{w.election.pk}/").json()
    assert election["fill"] == {"seats": 7, "awaiting": 1, "accepted": 1, "vacant": 5}
    assert "volunteer" not in shift
    # A station's manager contact (a name and a number) and the office's notes:
    # only for those who manage the reference data, as on the setup pages.
    w.station.manager_contact, w.station.notes = "Bo Berg, 20 12 34 56", "Nøglen hos Bo"
    w.station.save()
    for role in ("viewer", "station_manager", "team_leader"):
        station = client_for(users[role]).get(f"/api/v1/stations/{w.station.pk}/").json()
        assert "manager_contact" not in station and "notes" not in station, role
        assert station["name"] == "Nordskolen"
    full = client_for(users["coordinator"]).get("/api/v1/stations/", {"area": w.station.area_id})
    assert full.json()["results"][0]["manager_contact"] == "Bo Berg, 20 12 34 56"


def test_writes_need_the_pages_capability():
    w = make_world()
    users = personas(w)
    for role in ("station_manager", "team_leader", "viewer"):
        api = client_for(users[role])
        assert api.post("/api/v1/areas/", {"name": "Øst"}, format="json").status_code == 404
        url = f"/api/v1/assignments/{w.seat.pk}/accept/"
        assert api.post(url).status_code == 404, role
        body = {"shift": w.open_shift.pk, "volunteer": w.member.pk}
        assert api.post("/api/v1/assignments/assign/", body, format="json").status_code == 404


def test_a_team_leader_invites_to_their_teams_seats_only():
    w = make_world()
    leader = client_for(personas(w)["team_leader"])
    newcomer = f.volunteer(first_name="Ny", last_name="Medlem")
    newcomer.teams.add(w.team)
    body = {"shift": w.team_shift.pk, "volunteers": [newcomer.pk]}
    invited = leader.post("/api/v1/assignments/invite/", body)
    assert invited.status_code == 200 and invited.json()["invited"] == 1
    other = {"shift": w.open_shift.pk, "volunteers": [newcomer.pk]}
    assert leader.post("/api/v1/assignments/invite/", other).status_code == 404


def test_one_read_is_audited_and_a_message_shows_no_live_link():
    w = make_world()
    api = client_for(personas(w)["coordinator"])
    assert api.get(f"/api/v1/volunteers/{w.member.pk}/").status_code == 200
    entry = AuditEntry.objects.get(action="api.read_volunteers")
    assert entry.detail["id"] == w.member.pk and entry.detail["count"] == 1
    [message] = api.get("/api/v1/messages/", {"volunteer": w.member.pk}).json()["results"]
    assert "body" not in message  # the list carries no texts
    detail = api.get(f"/api/v1/messages/{message['id']}/").json()
    assert "/v/[redacted]" in detail["body"]  # the invitation's personal link
    assert "/v/" not in detail["body"].replace("/v/[redacted]", "")
