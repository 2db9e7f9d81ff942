"""Roles and their scopes: what each role sees through the pages, the scope
filters themselves, the grant and revoke services, the management commands and
the admin's staff-user pages."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from accounts import services as account_services
from accounts.models import AuditEntry, GrantScope, RoleGrant, ScopeKind, StaffRole, User
from accounts.scopes import Capability, load_scope
from elections import services as election_services
from elections.models import Election, Shift
from notifications.models import Message
from pollcrew.phones import display_phone
from pollcrew.refusals import Refused
from polling_stations.models import PollingStation
from staffing import services
from staffing.models import Assignment
from tests import factories as f
from volunteers.models import Team, Volunteer

pytestmark = pytest.mark.django_db
C = Capability
MEMBER_PHONE = "+4520112233"


@dataclass
class World:
    x: Election  # the election with shifts at A, B and C
    y: Election  # another election, with a shift at B only
    a: PollingStation
    b: PollingStation
    c: PollingStation
    team: Team
    other_team: Team
    a_open: Shift
    a_team: Shift
    b_open: Shift
    c_team: Shift
    y_b: Shift
    holder: Volunteer  # accepted on A's open shift (email)
    member: Volunteer  # of the team, invited to A's team shift (SMS)
    south: Volunteer  # accepted on B's open shift
    candidate: Volunteer  # of the team, on no shift
    stranger: Volunteer  # no team, matches the same search as the candidate


@pytest.fixture
def w() -> World:
    x, y = f.election(name="Folketingsvalg X"), f.election(name="Regionsvalg Y", days_ahead=60)
    a = f.station(f.area("Nord"), name="Nordskolen")
    b = f.station(f.area("Syd"), name="Sydhallen")
    c = f.station(f.area("Øst"), name="Østerbro")
    team, other_team = f.team("Venstre"), f.team("Enhedslisten")
    a_open = f.shift(x, station_=a, capacity=3)
    a_team = f.shift(x, station_=a, capacity=2, team=team, start=20, end=23)
    b_open = f.shift(x, station_=b, capacity=2)
    c_team = f.shift(x, station_=c, capacity=4, team=team)
    y_b = f.shift(y, station_=b, capacity=1)
    holder = f.volunteer(first_name="Hans", last_name="Holder", email="holder@example.dk")
    member = f.volunteer("sms", first_name="Mette", last_name="Medlem", phone=MEMBER_PHONE)
    south = f.volunteer(first_name="Birte", last_name="Sydlig", email="birte@example.dk")
    candidate = f.volunteer(first_name="Karen", last_name="Partimedlem")
    stranger = f.volunteer(first_name="Karen", last_name="Udenfor")
    member.teams.add(team)
    candidate.teams.add(team)
    services.accept(services.invite(a_open, [holder], by=None).invited[0])
    services.invite(a_team, [member], by=None)
    services.accept(services.invite(b_open, [south], by=None).invited[0])
    return World(
        x, y, a, b, c, team, other_team, a_open, a_team, b_open, c_team, y_b,
        holder, member, south, candidate, stranger,
    )  # fmt: skip


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def board(client: Client, e: Election):
    response = client.get(reverse("staffing:board", args=[e.pk]))
    assert response.status_code == 200
    rows = response.context["page"].object_list
    return [r.station for r in rows], response.context["totals"]


def listed(client: Client) -> list[Election]:
    response = client.get(reverse("staffing:elections"))
    assert response.status_code == 200
    return [e for e, _fill in response.context["rows"]]


def station_url(e: Election, s: PollingStation) -> str:
    return reverse("staffing:station", args=[e.pk, s.pk])


def roster_url(e: Election, s: PollingStation) -> str:
    return reverse("documents:roster", args=[e.pk, s.pk, e.election_date.isoformat()])


def contact_data(w: World) -> list[str]:
    """Every way a volunteer's contact data could show up in a page."""
    return ["@example.dk", w.holder.email, MEMBER_PHONE, display_phone(MEMBER_PHONE), "20112233"]


# --- scope through the pages ---------------------------------------------------


def test_station_manager_sees_only_their_station(w):
    client = login(f.user(role="station_manager", stations=[w.a]))
    assert listed(client) == [w.x]
    [(_e, fill)] = client.get(reverse("staffing:elections")).context["rows"]
    assert (fill.needed, fill.accepted) == (5, 1)
    stations, totals = board(client, w.x)
    assert stations == [w.a]
    assert (totals.needed, totals.accepted, totals.invited) == (3 + 2, 1, 1)

    page = client.get(station_url(w.x, w.a)).content.decode()
    assert "Hans Holder" in page and "holder@example.dk" in page
    assert "Mette Medlem" in page and display_phone(MEMBER_PHONE) == "+45 20 11 22 33"
    assert "+45 20 11 22 33" in page
    assert client.get(station_url(w.x, w.b)).status_code == 404
    assert client.get(reverse("staffing:board", args=[w.y.pk])).status_code == 404

    roster = client.get(roster_url(w.x, w.a))
    assert roster.status_code == 200 and roster["Content-Type"] == "application/pdf"
    assert client.get(roster_url(w.x, w.b)).status_code == 404
    assert AuditEntry.objects.filter(action="read.roster", object_id=w.a.pk).count() == 1


def test_team_leader_sees_only_their_teams_seats(w):
    leader = f.user(role="team_leader", teams=[w.team])
    client = login(leader)
    assert listed(client) == [w.x]
    stations, totals = board(client, w.x)
    assert stations == [w.a, w.c]
    assert (totals.needed, totals.accepted, totals.invited) == (2 + 4, 0, 1)

    response = client.get(station_url(w.x, w.a))
    assert [r["shift"] for r in response.context["rows"]] == [w.a_team]
    page = response.content.decode()
    assert "Mette Medlem" in page and "+45 20 11 22 33" in page
    assert "Hans Holder" not in page and "holder@example.dk" not in page
    assert client.get(station_url(w.x, w.b)).status_code == 404

    team_page = client.get(reverse("staffing:team", args=[w.team.pk]))
    assert team_page.status_code == 200
    text = team_page.content.decode()
    assert "Mette Medlem" in text and "+45 20 11 22 33" in text
    assert "Karen Partimedlem" in text and w.candidate.email in text
    assert "Karen Udenfor" not in text
    assert client.get(reverse("staffing:team", args=[w.other_team.pk])).status_code == 404


def test_rosters_print_only_the_seats_in_scope(w, tmp_path):
    services.accept(Assignment.objects.get(volunteer=w.member))
    pdf = tmp_path / "roster.pdf"

    def printed(user: User) -> str:
        response = login(user).get(roster_url(w.x, w.a))
        assert response.status_code == 200
        pdf.write_bytes(response.content)
        result = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True
        )
        return result.stdout.decode()

    leader = printed(f.user(role="team_leader", teams=[w.team]))
    assert "Mette Medlem" in leader and "Hans Holder" not in leader
    manager = printed(f.user(role="station_manager", stations=[w.a], elections=[w.x]))
    assert "Mette Medlem" in manager and "Hans Holder" in manager


def test_team_leader_searches_and_invites_only_members(w):
    invite = reverse("staffing:invite", args=[w.x.pk, w.a_team.pk])
    # A coordinator's search finds both Karens: the query does match the stranger.
    everyone = login(f.user(coordinator=True)).get(invite, {"q": "karen"}).context["candidates"]
    assert {c.volunteer for c in everyone} == {w.candidate, w.stranger}

    leader = f.user(role="team_leader", teams=[w.team])
    client = login(leader)
    found = client.get(invite, {"q": "karen"}).context["candidates"]
    assert [c.volunteer for c in found] == [w.candidate]
    assert client.get(reverse("staffing:invite", args=[w.x.pk, w.a_open.pk])).status_code == 404

    refused = client.post(invite, {"volunteers": [w.stranger.pk]})
    assert refused.status_code == 200 and refused.context["form"].errors
    assert not Assignment.objects.filter(volunteer=w.stranger).exists()

    done = client.post(invite, {"volunteers": [w.candidate.pk]})
    assert done.status_code == 302
    assert Assignment.objects.get(volunteer=w.candidate).invited_by == leader


def test_viewer_sees_counts_never_people(w):
    client = login(f.user(role="viewer"))
    assert set(listed(client)) == {w.x, w.y}
    stations, totals = board(client, w.x)
    assert stations == [w.a, w.b, w.c]
    assert totals.needed == 3 + 2 + 2 + 4
    response = client.get(station_url(w.x, w.a))
    page = response.content.decode()
    assert "3 seats: 1 accepted, 0 awaiting answer." in page
    assert "2 seats: 0 accepted, 1 awaiting answer." in page
    for secret in ["Hans Holder", "Mette Medlem", "Holder", "Medlem", *contact_data(w)]:
        assert secret not in page, secret
    assert all(r["people"] is None and not r["contact"] for r in response.context["rows"])
    assert not AuditEntry.objects.filter(action="read.station_people").exists()
    for url in (
        roster_url(w.x, w.a),
        reverse("staffing:invite", args=[w.x.pk, w.a_open.pk]),
        reverse("staffing:team", args=[w.team.pk]),
    ):
        assert client.get(url).status_code == 404, url


def test_coordinator_limited_to_one_election(w):
    client = login(f.user(role="coordinator", elections=[w.x]))
    assert listed(client) == [w.x]
    assert board(client, w.x)[0] == [w.a, w.b, w.c]
    assert client.get(reverse("staffing:board", args=[w.y.pk])).status_code == 404
    assert client.get(station_url(w.y, w.b)).status_code == 404
    assert client.get(reverse("staffing:invite", args=[w.y.pk, w.y_b.pk])).status_code == 404


def test_viewer_and_team_leader_sees_all_boards_names_on_team_seats_only(w):
    u = f.user(role="viewer")
    f.grant(u, "team_leader", teams=[w.team])
    client = login(u)
    assert set(listed(client)) == {w.x, w.y}
    assert board(client, w.x)[0] == [w.a, w.b, w.c]
    assert board(client, w.y)[0] == [w.b]
    response = client.get(station_url(w.x, w.a))
    rows = {r["shift"]: r for r in response.context["rows"]}
    assert set(rows) == {w.a_open, w.a_team}
    assert rows[w.a_open]["people"] is None and rows[w.a_team]["people"]
    assert not rows[w.a_open]["invite"] and rows[w.a_team]["invite"]
    page = response.content.decode()
    assert "Mette Medlem" in page and "Hans Holder" not in page
    page_b = client.get(station_url(w.x, w.b)).content.decode()
    assert "Birte Sydlig" not in page_b and "birte@example.dk" not in page_b
    assert client.get(roster_url(w.x, w.b)).status_code == 404


def test_user_without_a_role_gets_404_everywhere(w):
    client = login(f.user())
    for url in (
        reverse("staffing:elections"),
        reverse("staffing:board", args=[w.x.pk]),
        station_url(w.x, w.a),
        reverse("staffing:invite", args=[w.x.pk, w.a_open.pk]),
        reverse("staffing:team", args=[w.team.pk]),
        roster_url(w.x, w.a),
        reverse("administration:staff"),
    ):
        assert client.get(url).status_code == 404, url


# --- the scope filters -----------------------------------------------------------


def seen(user: User, queryset, capability: str = C.VIEW_COUNTS) -> list:
    """The rows, as a list: duplicates would show."""
    return list(load_scope(user).filter(queryset, capability))


def test_scope_filters_per_role(w):
    sm = f.user(role="station_manager", stations=[w.a])
    tl = f.user(role="team_leader", teams=[w.team])
    viewer = f.user(role="viewer")
    coord_x = f.user(role="coordinator", elections=[w.x])
    nobody = f.user()
    admin = User.objects.create_superuser("admin@kommune.dk", "pw-admin-12345")
    shifts, stations = Shift.objects.all(), PollingStation.objects.all()
    assignments = Assignment.objects.all()
    people, teams = Volunteer.objects.all(), Team.objects.all()

    assert sorted(seen(sm, Election.objects.all()), key=lambda e: e.pk) == [w.x]
    assert set(seen(sm, shifts)) == {w.a_open, w.a_team}
    assert seen(sm, stations) == [w.a]
    assert {a.volunteer for a in seen(sm, assignments, C.VIEW_PEOPLE)} == {w.holder, w.member}
    assert set(seen(sm, people, C.VIEW_CONTACT)) == {w.holder, w.member}
    assert seen(sm, teams, C.VIEW_CONTACT) == []
    assert seen(sm, shifts, C.INVITE) == []

    assert seen(tl, Election.objects.all()) == [w.x]
    assert set(seen(tl, shifts, C.INVITE)) == {w.a_team, w.c_team}
    assert set(seen(tl, stations)) == {w.a, w.c}
    assert {a.volunteer for a in seen(tl, assignments, C.VIEW_PEOPLE)} == {w.member}
    assert set(seen(tl, people, C.VIEW_CONTACT)) == {w.member, w.candidate}
    assert seen(tl, teams, C.VIEW_CONTACT) == [w.team]

    assert set(seen(viewer, Election.objects.all())) == {w.x, w.y}
    assert len(seen(viewer, shifts)) == 5
    for qs in (shifts, assignments, people, teams):
        assert seen(viewer, qs, C.VIEW_PEOPLE) == [] and seen(viewer, qs, C.VIEW_CONTACT) == []

    assert seen(coord_x, Election.objects.all()) == [w.x]
    assert set(seen(coord_x, shifts, C.MANAGE)) == {w.a_open, w.a_team, w.b_open, w.c_team}
    assert set(seen(coord_x, stations)) == {w.a, w.b, w.c}
    assert len(seen(coord_x, people, C.VIEW_CONTACT)) == 5  # volunteers belong to no election

    for qs in (Election.objects.all(), shifts, stations, assignments, people, teams):
        assert seen(nobody, qs) == []
        assert len(seen(admin, qs, C.ADMINISTER)) == qs.count()


def test_multi_valued_paths_never_duplicate_rows(w):
    f.shift(w.x, station_=w.c, capacity=1, team=w.team, start=6, end=7)
    f.shift(w.y, station_=w.c, capacity=1, team=w.team)
    w.member.teams.add(w.other_team)
    services.invite(w.c_team, [w.member], by=None)
    tl = f.user(role="team_leader", teams=[w.team, w.other_team])
    sm = f.user(role="station_manager", stations=[w.a, w.c])
    stations = seen(tl, PollingStation.objects.all())
    assert sorted(s.pk for s in stations) == sorted([w.a.pk, w.c.pk])
    assert sorted(e.pk for e in seen(tl, Election.objects.all())) == sorted([w.x.pk, w.y.pk])
    assert sorted(v.pk for v in seen(tl, Volunteer.objects.all(), C.VIEW_CONTACT)) == sorted(
        [w.member.pk, w.candidate.pk]
    )
    assert [v.pk for v in seen(sm, Volunteer.objects.filter(pk=w.member.pk), C.VIEW_CONTACT)] == [
        w.member.pk
    ]
    assert load_scope(tl).filter(PollingStation.objects.all(), C.VIEW_COUNTS).count() == 2


def test_team_leader_limited_to_an_election_needs_a_team_seat_in_it(w):
    """Team and election are one condition on the same shift, not on any two."""
    tl = f.user(role="team_leader", teams=[w.team], elections=[w.y])
    assert seen(tl, PollingStation.objects.all()) == []  # B: team seats in X, open in Y
    assert seen(tl, Election.objects.all()) == []
    f.shift(w.y, station_=w.b, team=w.team, start=6, end=7)
    assert seen(tl, PollingStation.objects.all()) == [w.b]
    assert seen(tl, Election.objects.all()) == [w.y]


def test_allows_matches_filter(w):
    sm = load_scope(f.user(role="station_manager", stations=[w.a], elections=[w.x]))
    tl = load_scope(f.user(role="team_leader", teams=[w.team]))
    coord = load_scope(f.user(role="coordinator", elections=[w.x]))
    assert sm.allows(C.VIEW_CONTACT, election_id=w.x.pk, station_id=w.a.pk)
    assert not sm.allows(C.VIEW_CONTACT, election_id=w.y.pk, station_id=w.a.pk)
    assert not sm.allows(C.VIEW_CONTACT, election_id=w.x.pk, station_id=w.b.pk)
    assert not sm.allows(C.INVITE, election_id=w.x.pk, station_id=w.a.pk)
    assert tl.allows_shift(C.INVITE, w.a_team) and not tl.allows_shift(C.INVITE, w.a_open)
    assert coord.allows_shift(C.MANAGE, w.b_open) and not coord.allows_shift(C.MANAGE, w.y_b)
    for scope in (sm, tl, coord):
        for shift in Shift.objects.all():
            for cap in Capability.values:
                in_filter = load_scope(User.objects.get(pk=scope.user_id)).filter(
                    Shift.objects.filter(pk=shift.pk), cap
                )
                assert scope.allows_shift(cap, shift) == in_filter.exists(), (scope, shift, cap)


def test_load_scope_is_one_query(w, django_assert_num_queries):
    u = f.user(role="viewer", elections=[w.x, w.y])
    f.grant(u, "team_leader", teams=[w.team, w.other_team], elections=[w.x])
    f.grant(u, "station_manager", stations=[w.a, w.b, w.c])
    with django_assert_num_queries(1):
        scope = load_scope(u)
    assert scope.roles() == ["station_manager", "team_leader", "viewer"]
    by_role = {g.role: g for g in scope.grants}
    assert by_role["team_leader"].teams == {w.team.pk, w.other_team.pk}
    assert by_role["team_leader"].elections == {w.x.pk}
    assert by_role["station_manager"].stations == {w.a.pk, w.b.pk, w.c.pk}
    assert by_role["viewer"].elections == {w.x.pk, w.y.pk}
    u.is_active = False
    assert not load_scope(u).is_staff_member


# --- grant and revoke services -------------------------------------------------


@pytest.mark.parametrize(
    ("role", "scope", "code"),
    [
        ("station_manager", {}, "needs_station"),
        ("station_manager", {"elections": [1]}, "needs_station"),
        ("team_leader", {}, "needs_team"),
        ("coordinator", {"stations": [1]}, "elections_only"),
        ("viewer", {"teams": [1]}, "elections_only"),
        ("station_manager", {"stations": [1], "teams": [1]}, "stations_only"),
        ("team_leader", {"teams": [1], "stations": [1]}, "teams_only"),
        ("admin", {"elections": [1]}, "admin_unscoped"),
        ("boss", {}, "unknown_role"),
    ],
)
def test_grant_refusals_write_nothing(role, scope, code):
    u = f.user()
    with pytest.raises(Refused) as refused:
        account_services.grant_role(u, role, by=None, **scope)
    assert refused.value.code == code and refused.value.message
    assert not RoleGrant.objects.exists() and not AuditEntry.objects.exists()
    u.refresh_from_db()
    assert not u.is_superuser


def test_grant_again_replaces_the_scope_and_audits_the_difference(w):
    admin = User.objects.create_superuser("admin@kommune.dk", "pw-admin-12345")
    u = f.user("valgstyrer@kommune.dk")
    account_services.grant_role(u, "station_manager", stations=[w.a.pk], by=admin)
    first = AuditEntry.objects.get(action="accounts.grant_role")
    assert (first.actor, first.actor_label, first.object_id) == (admin, admin.email, u.pk)
    assert first.changes == {"role": [None, "station_manager"], "stations": [[], [w.a.pk]]}
    assert first.detail == {"role": "station_manager"}

    account_services.grant_role(u, "station_manager", stations=[w.b.pk, w.c.pk], by=admin)
    [grant] = load_scope(u).grants
    assert grant.stations == {w.b.pk, w.c.pk} and not grant.elections
    assert GrantScope.objects.count() == 2 and RoleGrant.objects.count() == 1
    second = AuditEntry.objects.filter(action="accounts.grant_role").order_by("pk").last()
    assert second.changes == {"stations": [[w.a.pk], sorted([w.b.pk, w.c.pk])]}

    count = AuditEntry.objects.count()
    account_services.grant_role(u, "station_manager", stations=[w.c.pk, w.b.pk], by=admin)
    assert AuditEntry.objects.count() == count


def test_revoke_role(w):
    admin = User.objects.create_superuser("admin@kommune.dk", "pw-admin-12345")
    u = f.user(role="team_leader", teams=[w.team])
    assert account_services.revoke_role(u, "team_leader", by=admin) is True
    assert not load_scope(u).is_staff_member and not GrantScope.objects.exists()
    entry = AuditEntry.objects.get(action="accounts.revoke_role")
    assert entry.actor == admin and entry.changes == {"teams": [[w.team.pk], None]}
    assert account_services.revoke_role(u, "team_leader", by=admin) is False
    assert AuditEntry.objects.filter(action="accounts.revoke_role").count() == 1


def test_the_last_admin_stays(w):
    only = User.objects.create_superuser("admin@kommune.dk", "pw-admin-12345")
    with pytest.raises(Refused) as refused:
        account_services.revoke_role(only, "admin", by=None)
    assert refused.value.code == "last_admin"
    with pytest.raises(Refused) as refused:
        account_services.set_active(only, False, by=None)
    assert refused.value.code == "last_admin"
    with pytest.raises(Refused) as refused:
        account_services.set_active(only, False, by=only)
    assert refused.value.code == "self"
    only.refresh_from_db()
    assert only.is_superuser and only.is_active

    second = f.user("anden@kommune.dk")
    account_services.grant_role(second, "admin", by=only)
    assert load_scope(User.objects.get(pk=second.pk)).is_admin
    assert account_services.revoke_role(only, "admin", by=second) is True
    only.refresh_from_db()
    assert not only.is_superuser and not only.is_staff
    actions = list(
        AuditEntry.objects.filter(action__startswith="accounts.")
        .order_by("pk")
        .values_list("action", "actor")
    )
    assert actions == [("accounts.grant_role", only.pk), ("accounts.revoke_role", second.pk)]


def test_set_active(w):
    admin = User.objects.create_superuser("admin@kommune.dk", "pw-admin-12345")
    u = f.user(role="viewer")
    account_services.set_active(u, False, by=admin)
    u.refresh_from_db()
    assert not u.is_active and not load_scope(u).is_staff_member
    entry = AuditEntry.objects.get(action="accounts.set_active")
    assert entry.actor == admin and entry.changes == {"is_active": [True, False]}
    account_services.set_active(u, True, by=admin)
    u.refresh_from_db()
    assert load_scope(u).roles() == ["viewer"]


def test_forget_scope_object_removes_the_rows(w):
    u = f.user(role="station_manager", stations=[w.a, w.b])
    assert account_services.forget_scope_object(ScopeKind.STATION, w.a.pk, by=None) == 1
    assert load_scope(u).grants[0].stations == {w.b.pk}
    entry = AuditEntry.objects.get(action="accounts.forget_scope")
    assert entry.object_id == u.pk and entry.changes == {"stations": [[w.a.pk], []]}
    account_services.forget_scope_object(ScopeKind.STATION, w.b.pk, by=None)
    assert seen(u, Shift.objects.all()) == []  # a station manager of nothing sees nothing
    # ... and has no grant left to show on the staff page.
    assert not RoleGrant.objects.filter(user=u).exists()
    assert AuditEntry.objects.get(action="accounts.revoke_role").object_id == u.pk


def test_deleting_the_only_election_of_a_limited_coordinator_does_not_widen_it(w):
    """A grant limited to a deleted election alone is revoked (it read as "every
    election" before this was fixed)."""
    draft = f.election(status=Election.Status.DRAFT)
    u = f.user(role="coordinator", elections=[draft])
    manager = f.user(role="station_manager", stations=[w.a], elections=[draft])
    assert seen(u, Election.objects.all()) == [draft]
    assert seen(manager, Shift.objects.all()) == []
    election_services.delete_election(draft, by=None)
    assert login(u).get(reverse("staffing:board", args=[w.x.pk])).status_code == 404
    assert seen(u, Election.objects.all()) == []
    assert seen(manager, Shift.objects.all()) == []
    assert not RoleGrant.objects.filter(user__in=[u, manager]).exists()
    revoked = AuditEntry.objects.filter(
        action="accounts.revoke_role", object_id__in=[u.pk, manager.pk]
    )
    assert revoked.count() == 2


def test_create_staff_user():
    admin = User.objects.create_superuser("admin@kommune.dk", "pw-admin-12345")
    u = account_services.create_staff_user(" Ny@Kommune.DK ", first_name="Ny", by=admin)
    assert u.email == "ny@kommune.dk" and not u.has_usable_password()
    assert not load_scope(u).is_staff_member
    assert AuditEntry.objects.get(action="accounts.create_user").actor == admin
    with pytest.raises(Refused) as refused:
        account_services.create_staff_user("NY@kommune.dk", by=admin)
    assert refused.value.code == "email_taken"


# --- management commands ---------------------------------------------------------


def run(name: str, *args) -> str:
    out = StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


def test_a_fresh_database_has_the_roles():
    assert list(StaffRole.values) == [
        "admin", "coordinator", "station_manager", "team_leader", "viewer",
    ]  # fmt: skip
    u = f.user("ny@kommune.dk")
    assert "is coordinator" in run("grant_role", "ny@kommune.dk", "coordinator")
    [grant] = load_scope(u).grants
    assert grant.role == "coordinator" and not grant.elections


def test_grant_role_command(w):
    u = f.user("valgstyrer@kommune.dk")
    out = run(
        "grant_role", "VALGSTYRER@kommune.dk", "station_manager",
        "--station", str(w.a.pk), "--station", str(w.b.pk), "--election", str(w.x.pk),
    )  # fmt: skip
    assert "valgstyrer@kommune.dk is station_manager" in out
    [grant] = load_scope(u).grants
    assert (grant.role, grant.stations, grant.elections) == (
        "station_manager", {w.a.pk, w.b.pk}, {w.x.pk},
    )  # fmt: skip

    with pytest.raises(CommandError, match="999999"):
        run("grant_role", "valgstyrer@kommune.dk", "viewer", "--election", "999999")
    with pytest.raises(CommandError, match=r"nobody@kommune\.dk"):
        run("grant_role", "nobody@kommune.dk", "coordinator")
    with pytest.raises(CommandError, match="at least one team"):
        run("grant_role", "valgstyrer@kommune.dk", "team_leader", "--station", str(w.a.pk))
    assert load_scope(u).roles() == ["station_manager"]

    assert "no longer station_manager" in run("revoke_role", u.email, "station_manager")
    assert not load_scope(u).is_staff_member
    assert "nothing changed" in run("revoke_role", u.email, "station_manager")


def test_revoke_role_command_keeps_the_last_admin():
    User.objects.create_superuser("admin@kommune.dk", "pw-admin-12345")
    with pytest.raises(CommandError, match="last admin"):
        run("revoke_role", "admin@kommune.dk", "admin")
    assert User.objects.get(email="admin@kommune.dk").is_superuser


# --- the staff-user pages ---------------------------------------------------------


@pytest.fixture
def admin() -> User:
    return User.objects.create_superuser("admin@kommune.dk", "pw-admin-12345")


def test_staff_list_shows_roles(w, admin):
    f.user("valgstyrer@kommune.dk", role="station_manager", stations=[w.a])
    f.user("kigger@kommune.dk", role="viewer")
    f.user("ny@kommune.dk")
    page = login(admin).get(reverse("administration:staff")).content.decode()
    for text in ("valgstyrer@kommune.dk", "Station manager", "kigger@kommune.dk", "Viewer"):
        assert text in page
    assert "No role" in page
    coordinator = login(f.user(role="coordinator"))
    assert coordinator.get(reverse("administration:staff")).status_code == 404


def test_grant_and_revoke_through_the_page(w, admin):
    u = f.user("valgstyrer@kommune.dk")
    client = login(admin)
    url = reverse("administration:staff_user", args=[u.pk])
    assert "Polling stations: Nordskolen" not in client.get(url).content.decode()
    response = client.post(
        url, {"role": "station_manager", "stations": [w.a.pk], "elections": [w.x.pk]}
    )
    assert response.status_code == 302 and response["Location"] == url
    page = client.get(url).content.decode()
    assert "Polling stations: Nordskolen" in page
    assert f"Elections: {w.x}" in page
    [grant] = load_scope(u).grants
    assert (grant.stations, grant.elections) == ({w.a.pk}, {w.x.pk})
    assert AuditEntry.objects.get(action="accounts.grant_role").actor == admin

    revoke = reverse("administration:staff_revoke", args=[u.pk, "station_manager"])
    assert client.post(revoke).status_code == 302
    assert not load_scope(u).is_staff_member
    assert AuditEntry.objects.get(action="accounts.revoke_role").actor == admin


def test_an_invalid_grant_shows_the_error_and_writes_nothing(w, admin):
    u = f.user("valgstyrer@kommune.dk")
    url = reverse("administration:staff_user", args=[u.pk])
    response = login(admin).post(url, {"role": "station_manager", "teams": [w.team.pk]})
    assert response.status_code == 400
    assert "A station manager needs at least one polling station." in response.content.decode()
    assert not RoleGrant.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="accounts.").exists()


def test_create_staff_user_page_sends_a_password_email(admin, mailoutbox, committed):
    client = login(admin)
    response = committed(
        client.post, reverse("administration:staff_create"), {"email": "ny@kommune.dk"}
    )
    u = User.objects.get(email="ny@kommune.dk")
    assert response.status_code == 302
    assert response["Location"] == reverse("administration:staff_user", args=[u.pk])
    assert not load_scope(u).is_staff_member and not u.has_usable_password()
    message = Message.objects.get(to="ny@kommune.dk")
    assert message.kind.startswith("account_") and message.status == "sent"
    [email] = mailoutbox
    assert email.to == ["ny@kommune.dk"] and "/accounts/password/reset/key/" in email.body

    again = client.post(reverse("administration:staff_create"), {"email": "NY@kommune.dk"})
    assert again.status_code == 400
    assert "A staff user with this email exists already." in again.content.decode()
    assert User.objects.filter(email="ny@kommune.dk").count() == 1


def test_admin_pages_keep_an_admin(admin):
    u = f.user("kigger@kommune.dk", role="viewer")
    client = login(admin)
    response = client.post(
        reverse("administration:staff_revoke", args=[admin.pk, "admin"]), follow=True
    )
    assert "admin@kommune.dk is the last admin" in response.content.decode()
    assert User.objects.get(pk=admin.pk).is_superuser
    client.post(reverse("administration:staff_set_active", args=[u.pk]), {"active": "0"})
    u.refresh_from_db()
    assert not u.is_active
    response = client.post(
        reverse("administration:staff_set_active", args=[admin.pk]), {"active": "0"}, follow=True
    )
    assert "You cannot deactivate yourself." in response.content.decode()
    admin.refresh_from_db()
    assert admin.is_active


def test_staff_pages_enforce_csrf(w, admin):
    u = f.user("kigger@kommune.dk", role="viewer")
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    entries = AuditEntry.objects.count()
    posts = [
        (reverse("administration:staff_create"), {"email": "ny@kommune.dk"}),
        (reverse("administration:staff_user", args=[u.pk]), {"role": "coordinator"}),
        (reverse("administration:staff_revoke", args=[u.pk, "viewer"]), {}),
        (reverse("administration:staff_set_active", args=[u.pk]), {"active": "0"}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    u.refresh_from_db()
    assert u.is_active and load_scope(u).roles() == ["viewer"]
    assert not User.objects.filter(email="ny@kommune.dk").exists()
    assert AuditEntry.objects.count() == entries
