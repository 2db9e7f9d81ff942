"""Review findings on the coordinator workspace (issue 7), each with the behaviour a
user would notice: a refusal that does not name a seat outside the user's scope,
a draft election that is not there for those who may not manage it, an invite
result shown once, the Django admin refusing to delete what is in use, and the
seat grid's audit entries through the one bulk writer."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from elections.models import Election
from staffing import rules, services
from staffing.rules import RuleViolation
from staffing.views.filling import RESULT_KEPT_SECONDS, RESULT_KEY
from tests import factories as f

pytestmark = pytest.mark.django_db

ISO_DATE = re.compile(r"\b20\d\d-\d\d-\d\d\b")


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(response) -> str:
    return re.sub(r"<[^>]+>", "", response.content.decode())


# --- 1. an overlap refusal names only a seat the user may see -------------------------------


@pytest.fixture
def clash():
    """A team's shift at Nordskolen, and a member of the team who already holds a
    seat at the same time at Sydhallen, on a shift that is not the team's."""
    e = f.election(name="Folketingsvalg 2027")
    team = f.team("Venstre")
    ours = f.shift(
        e,
        station_=f.station(f.area("Nord"), name="Nordskolen"),
        role_=f.role("Tilforordnet"),
        team=team,
        start=8,
        end=14,
    )
    theirs = f.shift(
        e,
        station_=f.station(f.area("Syd"), name="Sydhallen"),
        role_=f.role("Valgstyrer"),
        start=10,
        end=16,
    )
    member = f.volunteer(first_name="Karen", last_name="Medlem")
    member.teams.add(team)
    [seat] = services.invite(theirs, [member], by=None).invited
    services.accept(seat)
    return e, team, ours, theirs, member


def _hides_the_other_seat(message: str, ours) -> None:
    assert "Karen Medlem already has another seat at that time" in message
    assert rules.shift_when(ours) in message  # the pages' format: day/month and times
    assert not ISO_DATE.search(message)
    assert "Sydhallen" not in message and "Valgstyrer" not in message


def test_a_team_leader_is_not_told_where_the_clashing_seat_is(clash):
    _e, team, ours, _theirs, member = clash
    leader = f.user(role="team_leader", teams=[team])
    result = services.invite(ours, [member], by=leader)
    [(_person, refusal)] = result.refused
    assert refusal.code == "overlap"
    _hides_the_other_seat(refusal.message, ours)


def test_a_coordinator_is_told_where_the_clashing_seat_is(clash):
    _e, _team, ours, _theirs, member = clash
    result = services.invite(ours, [member], by=f.user(coordinator=True))
    [(_person, refusal)] = result.refused
    assert "Karen Medlem already has a shift at that time: Valgstyrer · Sydhallen" in (
        refusal.message
    )


def test_a_team_leader_of_both_teams_is_told_where(clash):
    _e, team, ours, theirs, member = clash
    other_team = f.team("Konservative")
    theirs.team = other_team
    theirs.save()
    leader = f.user(role="team_leader", teams=[team, other_team])
    [(_person, refusal)] = services.invite(ours, [member], by=leader).refused
    assert "Valgstyrer · Sydhallen" in refusal.message


def test_the_team_leaders_invite_pages_do_not_name_the_other_seat(clash):
    e, team, ours, _theirs, member = clash
    client = login(f.user(role="team_leader", teams=[team]))
    url = reverse("staffing:fill_invite", args=[e.pk])
    chosen = {"shifts": [ours.pk], "volunteers": [member.pk], "filtered": "1"}
    _hides_the_other_seat(text(client.get(url, chosen)), ours)
    response = client.post(url, {"shifts": [ours.pk], "volunteers": [member.pk]}, follow=True)
    assert "Not invited: Karen Medlem already has another seat at that time" in text(response)
    assert "Sydhallen" not in text(response)


@pytest.fixture
def elsewhere():
    """A coordinator of one election, and a volunteer who holds a seat at the same
    time in another election (at "Hemmelig Skole")."""
    mine = f.election(name="Kommunalvalg")
    other = f.election(name="Folkeafstemning")
    day = f.shift(mine, station_=f.station(name="Nordskolen"), start=8, end=14)
    later = f.shift(mine, station_=day.station, start=16, end=20)
    secret = f.shift(other, station_=f.station(name="Hemmelig Skole"), start=10, end=16)
    volunteer = f.volunteer(first_name="Karen", last_name="Medlem")
    services.accept(services.invite(secret, [volunteer], by=None).invited[0])
    coordinator = f.user(role="coordinator", elections=[mine])
    return mine, day, later, volunteer, coordinator


def _refused(call) -> RuleViolation:
    with pytest.raises(RuleViolation) as refused:
        call()
    return refused.value


def test_assigning_does_not_name_a_seat_in_another_election(elsewhere):
    _mine, day, _later, volunteer, coordinator = elsewhere
    refusal = _refused(lambda: services.assign(day, volunteer, by=coordinator))
    assert refusal.code == "overlap"
    assert "Karen Medlem already has another seat at that time" in refusal.message
    assert "Hemmelig" not in refusal.message
    admin = f.user(coordinator=True)
    assert "Hemmelig Skole" in _refused(lambda: services.assign(day, volunteer, by=admin)).message


def test_moving_and_answering_do_not_name_a_seat_in_another_election(elsewhere):
    _mine, day, later, volunteer, coordinator = elsewhere
    [seat] = services.invite(later, [volunteer], by=coordinator).invited
    refusal = _refused(lambda: services.move(seat, day, by=coordinator))
    assert "another seat at that time" in refusal.message and "Hemmelig" not in refusal.message
    services.decline(seat, by=coordinator)
    later.starts_at, later.ends_at = day.starts_at, day.ends_at
    later.save()
    refusal = _refused(lambda: services.accept(seat, by=coordinator))
    assert "another seat at that time" in refusal.message and "Hemmelig" not in refusal.message


def test_changing_a_shifts_times_does_not_name_a_seat_in_another_election(elsewhere):
    _mine, day, later, volunteer, coordinator = elsewhere
    services.assign(later, volunteer, by=coordinator)
    refusal = _refused(
        lambda: services.reschedule_shift(
            later, starts_at=day.starts_at, ends_at=day.ends_at, by=coordinator, confirm=True
        )
    )
    assert refusal.code == "breaks_rules"
    assert "another seat at that time" in refusal.message and "Hemmelig" not in refusal.message


def test_the_volunteer_on_their_own_link_is_told_which_seat(elsewhere):
    _mine, day, later, volunteer, coordinator = elsewhere
    [seat] = services.invite(later, [volunteer], by=coordinator).invited
    services.decline(seat)
    later.starts_at, later.ends_at = day.starts_at, day.ends_at
    later.save()
    assert "Hemmelig Skole" in _refused(lambda: services.accept(seat)).message


# --- 2. a draft election is there only for those who may manage it ------------------------


@pytest.fixture
def draft():
    """A draft with a seat reserved for a team at Nordskolen."""
    e = f.election(name="Kommunalvalg (kladde)", status="draft")
    station = f.station(f.area("Nord"), name="Nordskolen")
    team = f.team("Venstre")
    team_shift = f.shift(e, station_=station, team=team, start=8, end=12)
    return e, station, team, team_shift


DRAFT_PAGES = {
    "staffing:board": lambda e, station, shift: [e.pk],
    "staffing:station": lambda e, station, shift: [e.pk, station.pk],
    "documents:roster": lambda e, station, shift: [e.pk, station.pk, e.election_date.isoformat()],
    "staffing:invite": lambda e, station, shift: [e.pk, shift.pk],
    "staffing:fill_invite": lambda e, station, shift: [e.pk],
    "staffing:fill_invite_result": lambda e, station, shift: [e.pk],
}


def _users(e, station, team) -> dict:
    other = f.election(name="Folketingsvalg")
    return {
        "viewer": f.user(role="viewer"),
        "viewer of this election": f.user(role="viewer", elections=[e]),
        "station manager": f.user(role="station_manager", stations=[station]),
        "team leader": f.user(role="team_leader", teams=[team]),
        "coordinator of another election": f.user(role="coordinator", elections=[other]),
        "coordinator of this election": f.user(role="coordinator", elections=[e]),
        "coordinator": f.user(coordinator=True),
    }


MANAGERS = {"coordinator of this election", "coordinator"}


@pytest.mark.parametrize("name", sorted(DRAFT_PAGES))
def test_a_draft_is_a_404_for_everyone_who_may_not_manage_it(draft, name):
    e, station, team, shift = draft
    target = reverse(name, args=DRAFT_PAGES[name](e, station, shift))
    for who, user in _users(e, station, team).items():
        expected = 200 if who in MANAGERS else 404
        assert login(user).get(target).status_code == expected, (who, target)


def test_once_active_the_draft_opens_for_those_who_may_view(draft):
    e, station, team, shift = draft
    users = _users(e, station, team)
    board = reverse("staffing:board", args=[e.pk])
    station_page = reverse("staffing:station", args=[e.pk, station.pk])
    for who in ("viewer", "viewer of this election", "station manager", "team leader"):
        assert login(users[who]).get(board).status_code == 404, who
    e.status = Election.Status.ACTIVE
    e.save()
    for who in ("viewer", "viewer of this election", "station manager", "team leader"):
        client = login(users[who])
        assert client.get(board).status_code == 200, who
        assert client.get(station_page).status_code == 200, who
    invite = reverse("staffing:invite", args=[e.pk, shift.pk])
    assert login(users["team leader"]).get(invite).status_code == 200


def test_a_draft_is_not_listed_for_a_viewer(draft):
    e, station, team, _shift = draft
    users = _users(e, station, team)
    assert e.name not in text(login(users["viewer"]).get(reverse("staffing:elections")))
    assert e.name in text(login(users["coordinator"]).get(reverse("staffing:elections")))


# --- 3. the invite result: shown once, for its election and its user ----------------------


@pytest.fixture
def round_sent():
    """A coordinator who has just invited Anna Ager (and not the too young Carl Ung)
    in an election; the result page is where the POST redirected."""
    e = f.election(name="Folketingsvalg 2027")
    shift = f.shift(e, station_=f.station(name="Nordskolen"), role_=f.role("Valgstyrer"))
    anna = f.volunteer(first_name="Anna", last_name="Ager")
    carl = f.volunteer(
        first_name="Carl",
        last_name="Ung",
        born=e.election_date.replace(year=e.election_date.year - 12),
    )
    client = login(f.user(coordinator=True))
    response = client.post(
        reverse("staffing:fill_invite", args=[e.pk]),
        {"shifts": [shift.pk], "volunteers": [anna.pk, carl.pk]},
    )
    assert response.status_code == 302
    return e, client, response["Location"]


GONE = "There is no recent round of invitations to show."


def test_the_result_is_shown_once_then_gone_from_the_session(round_sent):
    _e, client, result = round_sent
    first = client.get(result)
    assert "Invited: Anna Ager" in text(first)
    assert "Not invited: Carl Ung is under 18" in text(first)
    assert "no-store" in first["Cache-Control"]
    assert RESULT_KEY not in client.session
    assert "Anna Ager" not in str(dict(client.session))
    again = text(client.get(result))
    assert GONE in again and "Anna Ager" not in again
    assert "The result of a round is shown once" in again


def test_another_elections_result_page_shows_nothing_and_leaves_it_for_its_own(round_sent):
    _e, client, result = round_sent
    other = f.election()
    page = text(client.get(reverse("staffing:fill_invite_result", args=[other.pk])))
    assert GONE in page and "Anna Ager" not in page
    assert "Invited: Anna Ager" in text(client.get(result))


def test_another_users_round_in_the_session_is_not_shown(round_sent):
    _e, client, result = round_sent
    session = client.session
    session[RESULT_KEY] = {**session[RESULT_KEY], "user": f.user(coordinator=True).pk}
    session.save()
    page = text(client.get(result))
    assert GONE in page and "Anna Ager" not in page
    assert RESULT_KEY not in client.session


def test_a_round_not_looked_at_in_time_is_dropped_unseen(round_sent):
    _e, client, result = round_sent
    session = client.session
    kept = session[RESULT_KEY]
    session[RESULT_KEY] = {**kept, "at": kept["at"] - RESULT_KEPT_SECONDS - 1}
    session.save()
    page = text(client.get(result))
    assert GONE in page and "Anna Ager" not in page
    assert RESULT_KEY not in client.session


def test_rounds_in_several_elections_keep_one_result_at_most(round_sent):
    e, client, _result = round_sent
    for _ in range(3):
        other = f.election()
        shift = f.shift(other)
        client.post(
            reverse("staffing:fill_invite", args=[other.pk]),
            {"shifts": [shift.pk], "volunteers": [f.volunteer().pk]},
        )
    kept = client.session[RESULT_KEY]
    assert kept["election"] == other.pk
    keys = list(client.session.keys())
    assert [k for k in keys if "fill" in k] == [RESULT_KEY]
    page = text(client.get(reverse("staffing:fill_invite_result", args=[e.pk])))
    assert GONE in page and "Anna Ager" not in page


def test_the_shift_invite_page_does_not_name_the_other_seat_to_a_team_leader(clash):
    """The shift's own invite page judges each person found with the same rule."""
    e, team, ours, _theirs, _member = clash
    client = login(f.user(role="team_leader", teams=[team]))
    page = text(client.get(reverse("staffing:invite", args=[e.pk, ours.pk]), {"q": "Medlem"}))
    assert "Karen Medlem" in page
    assert "another seat at that time" in page
    assert "Sydhallen" not in page and "Valgstyrer" not in page
    # A coordinator who may see the other seat is told where it is.
    coordinator = login(f.user(coordinator=True))
    page = text(coordinator.get(reverse("staffing:invite", args=[e.pk, ours.pk]), {"q": "Medlem"}))
    assert "Valgstyrer · Sydhallen" in page


def test_seat_directly_and_replace_do_not_name_a_seat_in_another_election(elsewhere):
    mine, day, _later, volunteer, coordinator = elsewhere
    client = login(coordinator)
    assign = reverse("staffing:fill_assign", args=[mine.pk, day.pk])
    [seat] = services.invite(day, [f.volunteer(first_name="Ole")], by=None).invited
    pages = [
        client.get(assign, {"q": "Medlem"}),
        client.get(assign, {"volunteer": volunteer.pk}),
        client.get(reverse("staffing:fill_replace", args=[mine.pk, seat.pk]), {"q": "Medlem"}),
    ]
    for response in pages:
        assert response.status_code == 200, response.request["PATH_INFO"]
        page = text(response)
        assert "Karen Medlem" in page
        assert "another seat at that time" in page
        assert "Hemmelig Skole" not in page
