"""Lists: page numbers, filters and ordering, a fixed number of queries per page
whatever the rows, ETags (304 when nothing changed), and one audit entry per
request that returns people."""

from __future__ import annotations

import pytest

from accounts.models import AuditEntry
from staffing import services
from tests import factories as f
from tests.test_api_helpers import client_for

pytestmark = pytest.mark.django_db


def _seated(election, n: int) -> None:
    station = f.station()
    team = f.team()
    for _ in range(n):
        person = f.volunteer()
        person.teams.add(team)
        shift = f.shift(election, station_=station, capacity=1)
        services.invite(shift, [person], by=None)


@pytest.mark.parametrize(
    ("url", "queries"),
    [
        # token, scope, count, page, the page's teams, audit entry
        ("/api/v1/volunteers/", 6),
        # token, scope, count, page (shifts joined), audit entry
        ("/api/v1/assignments/", 5),
        # token, scope, count, page (seat fill joined)
        ("/api/v1/shifts/", 4),
        # token, scope, count, page (members counted)
        ("/api/v1/teams/", 4),
        # token, scope, count, page (about the seats in scope), audit entry
        ("/api/v1/messages/", 5),
        # token, scope, count, page, areas, fill per election
        ("/api/v1/elections/", 6),
    ],
)
def test_a_page_costs_the_same_queries_for_2_and_30_rows(
    url, queries, coordinator, django_assert_num_queries
):
    election = f.election()
    api = client_for(coordinator)
    api.get("/api/v1/roles/")  # the token's first use is written once (last_used_at)
    _seated(election, 2)
    with django_assert_num_queries(queries):
        assert api.get(url).status_code == 200
    _seated(election, 28)
    f.election()
    f.team()
    with django_assert_num_queries(queries):
        response = api.get(url)
    assert response.status_code == 200


def test_page_numbers_and_page_size(coordinator):
    for name in ("Ærø", "Aabenraa", "Zealand", "Østerby", "Berg"):
        f.volunteer(last_name=name)
    api = client_for(coordinator)
    first = api.get("/api/v1/volunteers/", {"page_size": 2}).json()
    assert first["count"] == 5 and first["next"] and first["previous"] is None
    assert [v["last_name"] for v in first["results"]] == ["Berg", "Zealand"]  # Danish order
    last = api.get("/api/v1/volunteers/", {"page_size": 2, "page": 3}).json()
    assert [v["last_name"] for v in last["results"]] == ["Aabenraa"]
    assert api.get("/api/v1/volunteers/", {"page": 9}).status_code == 404
    ordered = api.get("/api/v1/volunteers/", {"ordering": "-last_name"}).json()
    assert ordered["results"][0]["last_name"] == "Østerby"


def test_filters_the_pages_filter_by(coordinator):
    election = f.election()
    team = f.team()
    shift = f.shift(election, capacity=3)
    karen = f.volunteer(first_name="Karen", last_name="Sørensen")
    karen.teams.add(team)
    other = f.volunteer(first_name="Bo", last_name="Berg")
    [invited] = services.invite(shift, [karen], by=None).invited
    services.accept(services.invite(shift, [other], by=None).invited[0])
    api = client_for(coordinator)

    def ids(url: str, **params) -> set[int]:
        response = api.get(url, params)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    assert ids("/api/v1/volunteers/", search="soren") == {karen.pk}
    assert ids("/api/v1/volunteers/", team=team.pk) == {karen.pk}
    assert ids("/api/v1/volunteers/", election=election.pk, status="accepted") == {other.pk}
    assert ids("/api/v1/assignments/", status="invited") == {invited.pk}
    assert ids("/api/v1/assignments/", election=election.pk, station=shift.station_id) == {
        invited.pk,
        invited.pk + 1,
    }
    assert ids("/api/v1/assignments/", election=f.election().pk) == set()
    assert ids("/api/v1/shifts/", role=shift.role_id) == {shift.pk}
    assert ids("/api/v1/messages/", volunteer=karen.pk)  # her invitation
    bad = api.get("/api/v1/volunteers/", {"status": "bogus"})
    assert bad.status_code == 400 and "status" in bad.json()["fields"]


def test_an_unchanged_list_answers_304_to_its_etag(coordinator):
    f.volunteer()
    api = client_for(coordinator)
    first = api.get("/api/v1/volunteers/")
    etag = first["ETag"]
    assert etag and "private" in first["Cache-Control"]
    again = api.get("/api/v1/volunteers/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and not again.content
    f.volunteer()
    changed = api.get("/api/v1/volunteers/", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    # Another user's tag says nothing about what this user sees: a list they see
    # differently is never a 304 to the tag of someone who sees more.
    leader = client_for(f.user(role="team_leader", teams=[f.team()]))
    theirs = leader.get("/api/v1/volunteers/", HTTP_IF_NONE_MATCH=changed["ETag"])
    assert theirs.status_code == 200 and theirs.json()["count"] == 0


def test_reads_of_personal_data_are_audited_once_per_request(coordinator):
    election = f.election()
    _seated(election, 3)
    api = client_for(coordinator)
    api.get("/api/v1/volunteers/", {"search": "karen"})
    api.get("/api/v1/assignments/", {"election": election.pk})
    team = api.get("/api/v1/teams/").json()["results"][0]  # counts only: not audited
    assert team["member_count"] == 3
    assert len(api.get(f"/api/v1/teams/{team['id']}/").json()["members"]) == 3
    api.get("/api/v1/messages/")
    api.get("/api/v1/shifts/")  # counts only: not personal data
    entries = {e.action: e for e in AuditEntry.objects.filter(action__startswith="api.read")}
    assert set(entries) == {
        "api.read_volunteers",
        "api.read_assignments",
        "api.read_teams",
        "api.read_messages",
    }
    volunteers = entries["api.read_volunteers"]
    assert volunteers.actor == coordinator
    assert volunteers.detail["count"] == 3
    assert volunteers.detail["filters"] == "search=karen"
    assert volunteers.detail["token"].startswith("test (")
    assert entries["api.read_assignments"].election_id == election.pk
