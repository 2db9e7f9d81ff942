"""The volunteer pages through the views: the list (search, filters, status in an
election, pages and counts, the selection sent to the invite page), a
volunteer's page (contact, teams, seats across elections, history), create and
edit with duplicate warnings, scope (404 outside it) and query counts."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEntry, User
from notifications.models import Message
from staffing import services
from tests import factories as f
from volunteers.models import Skill, Volunteer

pytestmark = pytest.mark.django_db
LIST = reverse("staffing:volunteers")


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def names(response) -> list[str]:
    return [row["v"].full_name for row in response.context["rows"]]


@pytest.fixture
def people():
    return {
        "soren": f.volunteer(
            first_name="Søren", last_name="Kjærgaard", phone="+4520123456", language="da"
        ),
        "aase": f.volunteer(first_name="Åse", last_name="Aagaard", language="da"),
        "rene": f.volunteer(first_name="René", last_name="Müller", language="en"),
        "oeh": f.volunteer(
            first_name="Jørgen", last_name="Østergaard", channel="sms", language="da"
        ),
    }


# --- the list ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("soren", ["Søren Kjærgaard"]),
        ("SØREN", ["Søren Kjærgaard"]),
        ("soeren", ["Søren Kjærgaard"]),
        ("kjaergaard", ["Søren Kjærgaard"]),
        ("kjargard", ["Søren Kjærgaard"]),
        ("aase", ["Åse Aagaard"]),
        ("ågård", ["Åse Aagaard"]),
        ("oestergaard", ["Jørgen Østergaard"]),
        ("jorgen", ["Jørgen Østergaard"]),
        ("rene muller", ["René Müller"]),
        ("20 12 34 56", ["Søren Kjærgaard"]),
        ("+45 2012 3456", ["Søren Kjærgaard"]),
        ("nobody-like-this", []),
    ],
)
def test_search_folds_danish_letters_and_case(people, coordinator, query, expected):
    response = login(coordinator).get(LIST, {"q": query})
    assert response.status_code == 200
    assert names(response) == expected


def test_search_by_email(people, coordinator):
    email = people["aase"].email
    assert names(login(coordinator).get(LIST, {"q": email.upper()})) == ["Åse Aagaard"]


def test_list_is_in_danish_order(people, coordinator):
    f.volunteer(first_name="Anne", last_name="Zebra")
    f.volunteer(first_name="Bo", last_name="Andersen")
    response = login(coordinator).get(LIST)
    # Z before Æ Ø Å; "Aa" is Å, last.
    assert names(response) == [
        "Bo Andersen",
        "Søren Kjærgaard",
        "René Müller",
        "Anne Zebra",
        "Jørgen Østergaard",
        "Åse Aagaard",
    ]


def test_filters_team_skill_language_channel(people, coordinator):
    team = f.team("Venstre")
    skill = Skill.objects.create(name="Tegnsprog")
    people["soren"].teams.add(team)
    people["rene"].skills.add(skill)
    client = login(coordinator)
    assert names(client.get(LIST, {"team": team.pk})) == ["Søren Kjærgaard"]
    assert names(client.get(LIST, {"skill": skill.pk})) == ["René Müller"]
    assert names(client.get(LIST, {"language": "en"})) == ["René Müller"]
    assert names(client.get(LIST, {"channel": "sms"})) == ["Jørgen Østergaard"]
    assert names(client.get(LIST, {"channel": "sms", "q": "soren"})) == []


def test_status_filter_in_the_chosen_election(people, coordinator):
    e = f.election(name="Folketingsvalg 2027")
    other = f.election(name="Kommunalvalg 2029", days_ahead=60)
    s1, s2 = f.shift(e), f.shift(e, start=14, end=20)
    invited = services.invite(s1, [people["soren"], people["aase"], people["rene"]], by=None)
    by_name = {a.volunteer.first_name: a for a in invited.invited}
    services.accept(by_name["Søren"])
    services.decline(by_name["Åse"], reason="")
    # Jørgen has a seat elsewhere only: no seat in this election.
    services.invite(f.shift(other), [people["oeh"]], by=None)
    # Åse declined one shift and holds another: not "declined" in the election.
    services.invite(s2, [people["rene"]], by=None)
    client = login(coordinator)

    def status(value: str, election=e) -> list[str]:
        return names(client.get(LIST, {"election": election.pk, "status": value}))

    assert status("accepted") == ["Søren Kjærgaard"]
    assert status("invited") == ["René Müller"]
    assert status("declined") == ["Åse Aagaard"]
    assert status("no_seat") == ["Jørgen Østergaard", "Åse Aagaard"]
    assert status("invited", other) == ["Jørgen Østergaard"]
    page = client.get(LIST, {"election": e.pk}).content.decode()
    assert "In Folketingsvalg 2027" in page
    assert "Accepted" in page and "Declined" in page and "No seat" in page


def test_bad_filter_input_is_a_field_error_not_a_500(people, coordinator):
    client = login(coordinator)
    response = client.get(LIST, {"team": "abc", "election": "999999", "status": "maybe"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"team", "election", "status"}
    assert "Select a valid choice" in response.content.decode()
    response = client.get(LIST, {"page": "banana", "q": "x" * 5000})
    assert response.status_code == 200


def test_pages_and_counts(coordinator):
    for i in range(53):
        f.volunteer(first_name=f"Person{i:02d}", last_name="Hansen")
    client = login(coordinator)
    response = client.get(LIST)
    page = response.content.decode()
    assert len(response.context["rows"]) == 50
    assert "Showing 1\u201350 of 53 volunteers" in page
    assert "Page 1 of 2" in page
    response = client.get(LIST, {"page": 2})
    assert len(response.context["rows"]) == 3
    assert "Showing 51\u201353 of 53 volunteers" in response.content.decode()
    response = client.get(LIST, {"q": "person0"})
    assert "10 volunteers" in response.content.decode()
    response = client.get(LIST, {"q": "person01"})
    assert "1 volunteer" in response.content.decode()
    # Page links keep the search.
    response = client.get(LIST, {"q": "hansen"})
    assert "?q=hansen&amp;page=2" in response.content.decode()


def test_list_query_count_is_constant(coordinator, django_assert_num_queries):
    e = f.election()
    team = f.team("Radikale")

    def add(count: int) -> None:
        for _ in range(count):
            v = f.volunteer()
            v.teams.add(team)
            services.invite(f.shift(e), [v], by=None)

    add(2)
    client = login(coordinator)
    # session, user, grants (scope), the elections (default and choices), COUNT,
    # the page, its seats in the election, its teams, the audit entry, the
    # teams and skills to filter by.
    expected = 11
    with django_assert_num_queries(expected):
        client.get(LIST)
    add(60)
    with django_assert_num_queries(expected):
        response = client.get(LIST)
    assert len(response.context["rows"]) == 50
    with django_assert_num_queries(expected + 1):  # the team chosen (form cleaning)
        response = client.get(LIST, {"q": "karen jensen", "team": team.pk, "page": 2})
    assert len(response.context["rows"]) == 12


def test_team_leader_sees_only_their_teams_members(people):
    team = f.team("Venstre")
    people["soren"].teams.add(team)
    leader = f.user(role="team_leader", teams=[team])
    response = login(leader).get(LIST)
    assert names(response) == ["Søren Kjærgaard"]
    assert list(response.context["form"].fields["team"].queryset) == [team]
    assert names(login(leader).get(LIST, {"q": "aase"})) == []


def test_team_leader_sees_only_their_teams_seats_in_the_status_column(people):
    """A member invited to a seat that is not the team's: the team leader sees
    "No seat" (that invitation is not theirs to see) and the status filter agrees."""
    team = f.team("Venstre")
    people["soren"].teams.add(team)
    e = f.election()
    f.shift(e, team=team)  # the team's seats: the leader sees this election
    services.invite(f.shift(e), [people["soren"]], by=None)  # not reserved for the team
    leader = f.user(role="team_leader", teams=[team])
    client = login(leader)
    page = client.get(LIST, {"election": e.pk}).content.decode()
    assert "pc-tag--none" in page and "pc-tag--invited" not in page
    assert names(client.get(LIST, {"election": e.pk, "status": "invited"})) == []
    assert names(client.get(LIST, {"election": e.pk, "status": "no_seat"})) == ["Søren Kjærgaard"]
    # The coordinator sees the invitation.
    coordinator = f.user(coordinator=True)
    assert names(login(coordinator).get(LIST, {"election": e.pk, "status": "invited"})) == [
        "Søren Kjærgaard"
    ]


def test_station_manager_sees_people_with_seats_at_their_stations(people):
    e = f.election()
    shift = f.shift(e)
    services.invite(shift, [people["rene"]], by=None)
    manager = f.user(role="station_manager", stations=[shift.station])
    assert names(login(manager).get(LIST)) == ["René Müller"]


def test_viewers_and_outsiders_get_404(people, outsider):
    viewer = f.user(role="viewer")
    assert login(viewer).get(LIST).status_code == 404
    assert login(outsider).get(LIST).status_code == 404
    url = reverse("staffing:volunteer", args=[people["soren"].pk])
    assert login(viewer).get(url).status_code == 404


def test_the_list_is_audited_as_a_read(people, coordinator):
    login(coordinator).get(LIST, {"q": "soren"})
    entry = AuditEntry.objects.get(action="read.volunteer_list")
    assert entry.actor == coordinator
    assert entry.detail == {"people": 1, "searched": True}


def test_ticked_people_go_to_the_invite_page(people, coordinator):
    e = f.election()
    f.shift(e)
    client = login(coordinator)
    page = client.get(LIST, {"election": e.pk}).content.decode()
    assert 'name="pick"' in page
    picked = [people["soren"].pk, people["aase"].pk]
    response = client.get(LIST, {"election": e.pk, "pick": picked, "invite": "1"})
    assert response.status_code == 302
    target = reverse("staffing:fill_invite", args=[e.pk])
    assert response["Location"] == f"{target}?volunteers={picked[0]}&volunteers={picked[1]}"
    # …and the invite page has both of them picked (the two pages speak one format).
    invite = client.get(response["Location"])
    assert [fit.volunteer.pk for fit in invite.context["picked"]] == picked
    # Nobody ticked: the list again, with the reason.
    response = client.get(LIST, {"election": e.pk, "invite": "1"}, follow=True)
    assert "Tick the people to invite first." in response.content.decode()


def test_ticked_people_outside_the_scope_are_dropped(people):
    e = f.election()
    team = f.team("Venstre")
    f.shift(e, team=team)
    people["soren"].teams.add(team)
    leader = f.user(role="team_leader", teams=[team])
    response = login(leader).get(
        LIST,
        {"election": e.pk, "pick": [people["soren"].pk, people["aase"].pk], "invite": "1"},
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"?volunteers={people['soren'].pk}")


# --- a volunteer's page ---------------------------------------------------------------------


def test_volunteer_page_shows_contact_seats_and_history(people, coordinator, committed):
    soren = people["soren"]
    team = f.team("Venstre")
    soren.teams.add(team)
    skill = Skill.objects.create(name="Førstehjælp")
    e1 = f.election(name="Folketingsvalg 2027")
    e2 = f.election(name="Kommunalvalg 2029", days_ahead=60)
    shift1 = f.shift(e1, station_=f.station(name="Vestre Skole"), role_=f.role("Tilforordnet"))
    shift2 = f.shift(e2, station_=f.station(name="Østre Hal"), role_=f.role("Valgstyrer"))
    [a1] = committed(services.invite, shift1, [soren], by=coordinator).invited
    committed(services.accept, a1)
    committed(services.invite, shift2, [soren], by=coordinator)
    Message.objects.filter(subject_id=a1.pk).update(status=Message.Status.FAILED, last_error="x")
    client = login(coordinator)
    client.post(
        reverse("staffing:volunteer_edit", args=[soren.pk]),
        {**form_data(soren), "city": "Aarhus", "teams": [team.pk], "skills": [skill.pk]},
    )
    response = client.get(reverse("staffing:volunteer", args=[soren.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    for text in (
        "Søren Kjærgaard",
        "+45 20 12 34 56",
        "Venstre",
        "Førstehjælp",
        "Folketingsvalg 2027",
        "Vestre Skole",
        "Kommunalvalg 2029",
        "Østre Hal",
        "Invitation",  # the messages
        "Failed",
        "Accepted",
        "Record changed",
        "Changed: city, skills",
        "koordinator@kommune.dk",  # who invited, who changed the record
    ):
        assert text in page, text
    kinds = [ev.kind for ev in response.context["events"]]
    assert kinds.count("invited") == 2 and "answered" in kinds and "message" in kinds
    assert "staff" in kinds
    assert AuditEntry.objects.filter(action="read.volunteer_page", object_id=soren.pk).exists()


def test_volunteer_page_query_count_is_constant(people, coordinator, django_assert_num_queries):
    soren = people["soren"]
    client = login(coordinator)
    url = reverse("staffing:volunteer", args=[soren.pk])
    # session, user, grants, the volunteer, teams, skills, assignments, merged
    # ids, messages, audit entries, the read's audit entry.
    with django_assert_num_queries(11):
        client.get(url)
    for i in range(5):
        e = f.election(days_ahead=30 + i)
        [a] = services.invite(f.shift(e), [soren], by=coordinator).invited
        services.accept(a)
        soren.teams.add(f.team())
    with django_assert_num_queries(11):
        response = client.get(url)
    assert len(response.context["assignments"]) == 5


def test_team_leader_sees_only_seats_of_their_team(people):
    team = f.team("Venstre")
    soren = people["soren"]
    soren.teams.add(team)
    e = f.election()
    services.invite(f.shift(e, team=team), [soren], by=None)
    services.invite(f.shift(e, start=14, end=20), [soren], by=None)
    leader = f.user(role="team_leader", teams=[team])
    response = login(leader).get(reverse("staffing:volunteer", args=[soren.pk]))
    assert response.status_code == 200
    assert len(response.context["assignments"]) == 1
    assert "Edit" not in response.content.decode()
    assert (
        login(leader).get(reverse("staffing:volunteer", args=[people["aase"].pk])).status_code
        == 404
    )


# --- create and edit ------------------------------------------------------------------------


def form_data(v: Volunteer | None = None, **changes) -> dict:
    data = {
        "first_name": v.first_name if v else "Mette",
        "last_name": v.last_name if v else "Frederiksen",
        "birth_date": (v.birth_date if v else date(1977, 11, 19)).isoformat(),
        "email": v.email if v else "mette@example.dk",
        "phone": v.phone if v else "",
        "preferred_channel": v.preferred_channel if v else "email",
        "language": v.language if v else "da",
    }
    data.update(changes)
    return data


def test_create_a_volunteer(coordinator):
    team = f.team("Venstre")
    response = login(coordinator).post(
        reverse("staffing:volunteer_create"),
        form_data(phone="20 12 34 99", teams=[team.pk]),
        follow=True,
    )
    v = Volunteer.objects.get(last_name="Frederiksen")
    assert response.redirect_chain[-1][0] == reverse("staffing:volunteer", args=[v.pk])
    assert v.phone == "+4520123499"
    assert list(v.teams.all()) == [team]
    assert "Mette Frederiksen is saved." in response.content.decode()
    entry = AuditEntry.objects.get(action="volunteers.create_volunteer")
    assert entry.actor == coordinator and entry.object_id == v.pk


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        (
            {"phone": "20 12 34 56", "email": "ny@example.dk", "first_name": "Ny"},
            "same mobile number",
        ),
        ({"email": "SOREN@EXAMPLE.DK", "first_name": "Ny"}, "same email address"),
        (
            {"first_name": "Soeren", "last_name": "Kjaergaard", "email": "ny@example.dk"},
            "same name and date of birth",
        ),
    ],
)
def test_duplicate_warning_before_saving_then_save_anyway(coordinator, changes, reason):
    soren = f.volunteer(
        first_name="Søren",
        last_name="Kjærgaard",
        phone="+4520123456",
        email="soren@example.dk",
        born=date(1970, 1, 2),
    )
    client = login(coordinator)
    url = reverse("staffing:volunteer_create")
    data = form_data(birth_date="1970-01-02", **changes)
    response = client.post(url, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "This may be a person already in the register" in page
    assert reason in page
    assert "Save anyway" in page
    assert Volunteer.objects.count() == 1
    [warning] = response.context["duplicates"]
    assert warning["v"] == soren
    # Save anyway: saved, after the warning was seen.
    response = client.post(url, {**data, "duplicates_seen": str(soren.pk), "save_anyway": "1"})
    assert response.status_code == 302
    assert Volunteer.objects.count() == 2


def test_save_anyway_without_having_seen_the_duplicate_warns_again(coordinator):
    f.volunteer(first_name="A", last_name="B", email="same@example.dk")
    client = login(coordinator)
    url = reverse("staffing:volunteer_create")
    response = client.post(url, {**form_data(email="same@example.dk"), "save_anyway": "1"})
    assert response.status_code == 200
    assert response.context["duplicates"]
    assert Volunteer.objects.count() == 1


def test_different_people_are_saved_without_a_warning(coordinator):
    f.volunteer(first_name="Søren", last_name="Kjærgaard", born=date(1970, 1, 2))
    response = login(coordinator).post(
        reverse("staffing:volunteer_create"),
        form_data(first_name="Søren", last_name="Kjærgaard", birth_date="1971-01-02"),
    )
    assert response.status_code == 302


def test_edit_warns_about_others_not_about_itself(people, coordinator):
    soren, aase = people["soren"], people["aase"]
    client = login(coordinator)
    url = reverse("staffing:volunteer_edit", args=[soren.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert 'value="Søren"' in response.content.decode()
    response = client.post(url, form_data(soren, city="Odense"))
    assert response.status_code == 302
    soren.refresh_from_db()
    assert soren.city == "Odense"
    entry = AuditEntry.objects.get(action="volunteers.update_volunteer")
    assert entry.changes == {"city": ["", "Odense"]}
    response = client.post(url, form_data(soren, email=aase.email))
    assert response.status_code == 200
    assert [d["v"] for d in response.context["duplicates"]] == [aase]
    soren.refresh_from_db()
    assert soren.email != aase.email


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"phone": "12 34 56 78"}, "phone"),
        ({"email": "not-an-email"}, "email"),
        ({"birth_date": "17/17/1980"}, "birth_date"),
        ({"first_name": ""}, "first_name"),
        ({"preferred_channel": "pigeon"}, "preferred_channel"),
        ({"teams": ["999999"]}, "teams"),
    ],
)
def test_bad_input_is_a_field_error(coordinator, changes, field):
    response = login(coordinator).post(reverse("staffing:volunteer_create"), form_data(**changes))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert "Please correct the fields marked below." in response.content.decode()
    assert Volunteer.objects.count() == 0


def test_a_constraint_is_a_form_error(coordinator):
    response = login(coordinator).post(
        reverse("staffing:volunteer_create"), form_data(preferred_channel="sms", phone="")
    )
    assert response.status_code == 200
    assert "a mobile number for SMS" in response.content.decode()


def test_edit_and_create_are_for_managers_only(people):
    leader = f.user(role="team_leader", teams=[f.team()])
    manager = f.user(role="station_manager", stations=[f.station()])
    for user in (leader, manager):
        client = login(user)
        assert client.get(reverse("staffing:volunteer_create")).status_code == 404
        assert client.post(reverse("staffing:volunteer_create"), form_data()).status_code == 404
        url = reverse("staffing:volunteer_edit", args=[people["soren"].pk])
        assert client.post(url, form_data(people["soren"], city="X")).status_code == 404
    assert Volunteer.objects.filter(city="X").count() == 0


def test_a_broad_search_stops_counting_and_says_so(coordinator, monkeypatch):
    from staffing.views import volunteers as views

    monkeypatch.setattr(views, "COUNT_CAP", 55)
    for i in range(60):
        f.volunteer(first_name=f"Person{i:02d}", last_name="Hansen")
    client = login(coordinator)
    page = client.get(LIST, {"q": "hansen"}).content.decode()
    assert "Showing 1\u201350 of more than 55 volunteers: refine the search" in page
    # The whole register is counted exactly.
    assert "Showing 1\u201350 of 60 volunteers" in client.get(LIST).content.decode()


def test_shown_phone_is_what_the_phone_filter_shows():
    from pollcrew.phones import display_phone
    from staffing.views.volunteers import shown_phone

    for number in ("+4520123456", "+4571368177", "+46701234567", "+4930123456", ""):
        assert shown_phone(number) == (display_phone(number) if number else "")


def test_list_links_to_each_volunteers_page(people, coordinator):
    page = login(coordinator).get(LIST, {"q": "soren"}).content.decode()
    assert f'href="{reverse("staffing:volunteer", args=[people["soren"].pk])}"' in page
