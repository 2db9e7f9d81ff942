"""What the API tests share (no tests here): a client that sends a fresh token of
a user, and a small world with one election, two stations, a team seat."""

from __future__ import annotations

from dataclasses import dataclass

from rest_framework.test import APIClient

from api import services as api_services
from staffing import services
from tests import factories as f


def client_for(user, *, days: int = 90) -> APIClient:
    made = api_services.create_token(user, name="test", days=days, by=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {made.secret}")
    client.token = made.token
    client.default_format = "json"
    return client


@dataclass
class World:
    election: object
    station: object
    other_station: object
    team: object
    open_shift: object
    team_shift: object
    other_shift: object
    member: object
    seat: object  # the member, invited to the team's shift
    held: object  # someone accepted on the open shift


def make_world() -> World:
    e = f.election()
    station = f.station(f.area("Nord"), name="Nordskolen")
    other = f.station(f.area("Syd"), name="Sydhallen")
    team = f.team("Venstre")
    open_shift = f.shift(e, station_=station, capacity=3)
    team_shift = f.shift(e, station_=station, capacity=2, team=team, start=20, end=23)
    other_shift = f.shift(e, station_=other, capacity=2)
    member = f.volunteer(first_name="Karen", last_name="Medlem")
    member.teams.add(team)
    [seat] = services.invite(team_shift, [member], by=None).invited
    held = services.invite(open_shift, [f.volunteer(last_name="Holder")], by=None).invited[0]
    services.accept(held)
    return World(e, station, other, team, open_shift, team_shift, other_shift, member, seat, held)


def personas(w: World) -> dict:
    from accounts.models import User

    return {
        "admin": User.objects.create_superuser("admin@kommune.dk", "et-langt-kodeord"),
        "coordinator": f.user("koordinator@kommune.dk", role="coordinator"),
        "station_manager": f.user(
            "valgstyrer@kommune.dk", role="station_manager", stations=[w.station]
        ),
        "team_leader": f.user("partisekretaer@kommune.dk", role="team_leader", teams=[w.team]),
        "viewer": f.user("kigger@kommune.dk", role="viewer"),
    }
