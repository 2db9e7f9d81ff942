"""The election pages through the views: create, edit, the lifecycle with its
confirmations, delete, copy, and inviting the previous election's volunteers
into a copy; per role, with field errors for bad input and audit entries.

Who may: admins and coordinators of every election create and copy; a
coordinator limited to some elections manages those (edit, status, delete,
re-invite) and nothing else; everyone else gets a 404."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry, User
from elections.models import Election, Shift
from notifications.models import Message
from polling_stations.models import Area
from staffing import services
from staffing.models import Assignment
from staffing.rules import RuleViolation
from tests import factories as f

pytestmark = pytest.mark.django_db
Status = Election.Status


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page(response) -> str:
    return response.content.decode()


def notices(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def admin() -> User:
    return User.objects.create_superuser("admin@kommune.dk", "et-langt-kodeord")


@pytest.fixture
def world():
    """An active election with seats at two stations, and a draft."""
    e = f.election(name="Folketingsvalg 2027")
    north = f.station(f.area("Nord"), name="Nordskolen")
    south = f.station(f.area("Syd"), name="Sydhallen")
    f.area("Øst")  # no seats: not taking part
    party = f.team("Venstre")
    clerk = f.role("Tilforordnet")
    f.shift(e, station_=north, role_=clerk, capacity=4)
    f.shift(e, station_=north, role_=clerk, capacity=2, team=party)
    f.shift(e, station_=south, role_=clerk, capacity=3, start=14, end=20)
    draft = f.election(status=Status.DRAFT, name="Prøvevalg")
    f.shift(draft, station_=north, capacity=2)
    return e, draft, north, south, party


def others(world) -> dict[str, User]:
    _e, _draft, north, _south, party = world
    return {
        "outsider": f.user("outsider@kommune.dk"),
        "viewer": f.user("kigger@kommune.dk", role="viewer"),
        "station_manager": f.user(
            "valgstyrer@kommune.dk", role="station_manager", stations=[north]
        ),
        "team_leader": f.user("sekretaer@kommune.dk", role="team_leader", teams=[party]),
    }


def all_urls(e: Election) -> list[str]:
    return [
        reverse("staffing:election_create"),
        reverse("staffing:election_edit", args=[e.pk]),
        reverse("staffing:election_status", args=[e.pk, "closed"]),
        reverse("staffing:election_delete", args=[e.pk]),
        reverse("staffing:election_copy", args=[e.pk]),
    ]


# --- who may -----------------------------------------------------------------------------------


def test_only_admins_and_coordinators_reach_the_election_pages(world, admin, coordinator):
    e = world[0]
    for user in (admin, coordinator):
        client = login(user)
        for url in all_urls(e):
            assert client.get(url).status_code == 200, (user, url)
    for name, user in others(world).items():
        client = login(user)
        for url in all_urls(e):
            assert client.get(url).status_code == 404, (name, url)
            assert client.post(url, {"name": "x"}).status_code == 404, (name, url)
    assert Client().get(all_urls(e)[0])["Location"].startswith(reverse("account_login"))


def test_a_coordinator_of_one_election_manages_it_but_creates_and_copies_nothing(world):
    e, draft, *_ = world
    limited = login(f.user("lokal@kommune.dk", role="coordinator", elections=[e]))
    assert limited.get(reverse("staffing:election_edit", args=[e.pk])).status_code == 200
    assert (
        limited.get(reverse("staffing:election_status", args=[e.pk, "closed"])).status_code == 200
    )
    assert limited.get(reverse("staffing:election_delete", args=[e.pk])).status_code == 200
    # Not theirs: 404, as if it did not exist.
    for url in all_urls(draft)[1:]:
        assert limited.get(url).status_code == 404, url
    # New elections and copies are for coordinators of every election.
    assert limited.get(reverse("staffing:election_create")).status_code == 404
    assert limited.get(reverse("staffing:election_copy", args=[e.pk])).status_code == 404
    listing = limited.get(reverse("staffing:elections"))
    assert "New election" not in page(listing)
    assert "Prøvevalg" not in page(listing)  # someone else's draft
    board = page(limited.get(reverse("staffing:board", args=[e.pk])))
    assert reverse("staffing:election_edit", args=[e.pk]) in board
    assert reverse("staffing:election_copy", args=[e.pk]) not in board


def test_unknown_elections_and_steps_are_404(world, coordinator):
    e = world[0]
    client = login(coordinator)
    assert client.get(reverse("staffing:election_edit", args=[999999])).status_code == 404
    assert (
        client.get(reverse("staffing:election_status", args=[e.pk, "nonsense"])).status_code == 404
    )
    assert (
        client.post(reverse("staffing:election_status", args=[e.pk, "nonsense"])).status_code == 404
    )
    assert client.get(reverse("staffing:election_reinvite", args=[e.pk])).status_code == 404


def test_the_list_offers_new_election_to_those_who_may_create(world, coordinator):
    _e, _draft, *_ = world
    listing = login(coordinator).get(reverse("staffing:elections"))
    assert reverse("staffing:election_create") in page(listing)
    assert "Prøvevalg" in page(listing)
    viewer_list = login(others(world)["viewer"]).get(reverse("staffing:elections"))
    assert reverse("staffing:election_create") not in page(viewer_list)
    assert "Folketingsvalg 2027" in page(viewer_list)
    assert "Prøvevalg" not in page(viewer_list)  # drafts are the office's work in progress


def test_the_header_shows_the_status_and_only_what_the_user_may_do(world, coordinator):
    e, draft, *_ = world
    board = page(login(coordinator).get(reverse("staffing:board", args=[e.pk])))
    assert "Active" in board
    for url in (
        reverse("staffing:election_status", args=[e.pk, "closed"]),
        reverse("staffing:election_edit", args=[e.pk]),
        reverse("staffing:election_copy", args=[e.pk]),
    ):
        assert url in board
    # Closing ends the work: it comes after the everyday buttons, not first.
    close = board.index(reverse("staffing:election_status", args=[e.pk, "closed"]))
    assert board.index(reverse("staffing:election_edit", args=[e.pk])) < close
    assert reverse("staffing:election_delete", args=[e.pk]) not in board  # not a draft
    assert reverse("staffing:election_status", args=[e.pk, "active"]) not in board
    draft_board = page(login(coordinator).get(reverse("staffing:board", args=[draft.pk])))
    assert reverse("staffing:election_status", args=[draft.pk, "active"]) in draft_board
    assert reverse("staffing:election_delete", args=[draft.pk]) in draft_board
    assert "This election is a draft" in draft_board
    viewer_board = page(login(others(world)["viewer"]).get(reverse("staffing:board", args=[e.pk])))
    assert "Active" in viewer_board
    assert reverse("staffing:election_edit", args=[e.pk]) not in viewer_board
    assert reverse("staffing:election_status", args=[e.pk, "closed"]) not in viewer_board


# --- create and edit -------------------------------------------------------------------------


def new_election(world, **overrides) -> dict:
    _e, _draft, north, south, _party = world
    data = {
        "name": "Kommunalvalg 2029",
        "kind": "municipal_regional",
        "election_date": "2029-11-20",
        "response_days": "7",
        "lock_days": "3",
        "areas": [north.area_id, south.area_id],
    }
    data.update(overrides)
    return data


def test_a_coordinator_creates_a_draft_election(world, coordinator):
    _e, _draft, north, south, _party = world
    client = login(coordinator)
    form = client.get(reverse("staffing:election_create"))
    # Every area is ticked to begin with.
    assert set(form.context["form"].initial["areas"]) == set(
        Area.objects.values_list("pk", flat=True)
    )
    response = client.post(reverse("staffing:election_create"), new_election(world), follow=True)
    created = Election.objects.get(name="Kommunalvalg 2029")
    assert response.redirect_chain[-1][0] == reverse("staffing:board", args=[created.pk])
    assert (created.status, created.election_date, created.kind) == (
        "draft",
        date(2029, 11, 20),
        "municipal_regional",
    )
    assert set(created.areas.values_list("pk", flat=True)) == {north.area_id, south.area_id}
    assert "“Kommunalvalg 2029” was created as a draft." in notices(response)
    (entry,) = AuditEntry.objects.filter(action="elections.create_election")
    assert (entry.actor, entry.election_id) == (coordinator, created.pk)
    assert entry.changes["areas"] == [None, sorted([north.area_id, south.area_id])]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("election_date", "20.11.2029"),
        ("election_date", ""),
        ("response_days", "0"),
        ("lock_days", "-1"),
        ("kind", "coronation"),
        ("areas", []),
    ],
)
def test_bad_input_gives_a_field_error_and_creates_nothing(world, coordinator, field, value):
    before = Election.objects.count()
    response = login(coordinator).post(
        reverse("staffing:election_create"), new_election(world, **{field: value})
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert 'class="form-error-message"' in page(response)
    assert Election.objects.count() == before


def test_a_new_election_may_copy_the_seats_of_another(world, coordinator):
    e = world[0]
    response = login(coordinator).post(
        reverse("staffing:election_create"),
        new_election(world, copy_from=e.pk, election_date="2031-06-01", kind="parliamentary"),
    )
    created = Election.objects.get(name="Kommunalvalg 2029")
    assert response["Location"] == reverse("staffing:board", args=[created.pk])
    assert created.copied_from == e
    assert created.shifts.count() == 3
    assert created.status == "draft"


def test_editing_saves_the_changes_and_audits_them(world, coordinator):
    _e, draft, _north, *_ = world
    client = login(coordinator)
    form = client.get(reverse("staffing:election_edit", args=[draft.pk]))
    assert form.context["form"]["name"].value() == "Prøvevalg"
    response = client.post(
        reverse("staffing:election_edit", args=[draft.pk]),
        new_election(world, name="Prøvevalg 2", election_date=draft.election_date.isoformat()),
        follow=True,
    )
    draft.refresh_from_db()
    assert draft.name == "Prøvevalg 2"
    assert "Your changes were saved." in notices(response)
    (entry,) = AuditEntry.objects.filter(action="elections.update_election")
    assert entry.actor == coordinator
    assert entry.changes["name"] == ["Prøvevalg", "Prøvevalg 2"]
    assert entry.changes["kind"] == ["parliamentary", "municipal_regional"]


def test_a_new_date_that_strands_seats_is_a_field_error(world, coordinator):
    e = world[0]
    response = login(coordinator).post(
        reverse("staffing:election_edit", args=[e.pk]),
        new_election(world, name=e.name, election_date="2035-01-01"),
    )
    assert response.status_code == 200
    error = response.context["form"].errors["election_date"][0]
    assert "3 shifts would fall outside the election's window" in error
    assert "2035-" not in error  # localised dates, never ISO
    e.refresh_from_db()
    assert e.election_date != date(2035, 1, 1)


def test_removing_an_area_with_seats_is_a_field_error(world, coordinator):
    e, _draft, north, _south, _party = world
    response = login(coordinator).post(
        reverse("staffing:election_edit", args=[e.pk]),
        new_election(
            world, name=e.name, election_date=e.election_date.isoformat(), areas=[north.area_id]
        ),
    )
    assert response.status_code == 200
    assert "Syd" in response.context["form"].errors["areas"][0]
    assert e.areas.count() == 2


def test_an_archived_election_cannot_be_edited(world, coordinator):
    archived = f.election(status=Status.ARCHIVED, name="Gammelt valg")
    client = login(coordinator)
    response = client.get(reverse("staffing:election_edit", args=[archived.pk]))
    assert response.context["form"] is None
    assert "can no longer be changed" in page(response)
    client.post(reverse("staffing:election_edit", args=[archived.pk]), new_election(world))
    archived.refresh_from_db()
    assert archived.name == "Gammelt valg"


# --- the lifecycle ---------------------------------------------------------------------------


def test_activating_asks_first_and_says_what_it_does(world, coordinator):
    _e, draft, *_ = world
    client = login(coordinator)
    url = reverse("staffing:election_status", args=[draft.pk, "active"])
    confirm = page(client.get(url))
    assert "Activate “Prøvevalg”?" in confirm
    assert "volunteers can be invited" in confirm
    assert 'name="csrfmiddlewaretoken"' in confirm
    draft.refresh_from_db()
    assert draft.status == "draft"  # a GET changes nothing
    response = client.post(url, follow=True)
    draft.refresh_from_db()
    assert draft.status == "active"
    assert "“Prøvevalg” is active: invitations can go out and volunteers can answer." in notices(
        response
    )
    (entry,) = AuditEntry.objects.filter(action="elections.set_status")
    assert (entry.actor, entry.changes["status"]) == (coordinator, ["draft", "active"])


def test_closing_cancels_queued_messages_and_counts_them(world, coordinator):
    e = world[0]
    shift = e.shifts.filter(team=None).first()
    services.invite(shift, [f.volunteer(), f.volunteer(), f.volunteer()], by=None)
    other = f.shift(f.election(), capacity=1)  # another election's message stays queued
    services.invite(other, [f.volunteer()], by=None)
    assert Message.objects.filter(status="queued").count() == 4
    client = login(coordinator)
    url = reverse("staffing:election_status", args=[e.pk, "closed"])
    confirm = page(client.get(url))
    assert "3 messages about its seats have not gone out yet: they are cancelled." in confirm
    assert "volunteers can no longer answer" in confirm
    assert (
        "3 invitations have no answer yet: they are withdrawn, and the people invited are "
        "told so in a last message." in confirm
    )
    response = client.post(url, follow=True)
    e.refresh_from_db()
    assert e.status == "closed"
    assert "“Folketingsvalg 2027” is closed. 3 queued messages were cancelled." in notices(response)
    assert Message.objects.filter(status="cancelled").count() == 3
    # The other election's, and the three last words: the invitations are withdrawn.
    assert Message.objects.filter(status="queued").count() == 1 + 3
    assert Message.objects.filter(status="queued", kind="invitation_withdrawn").count() == 3
    (entry,) = AuditEntry.objects.filter(action="staffing.cancel_election_messages")
    assert (entry.actor, entry.election_id, entry.detail) == (coordinator, e.pk, {"cancelled": 3})
    # Closed: no more invitations.
    with pytest.raises(RuleViolation):
        services.invite(Shift.objects.get(pk=shift.pk), [f.volunteer()], by=None)


def test_a_closed_election_is_reopened_or_archived(world, coordinator):
    e = world[0]
    client = login(coordinator)
    close = page(client.get(reverse("staffing:election_status", args=[e.pk, "closed"])))
    assert "Every message about its seats has gone out: there is nothing to cancel." in close
    client.post(reverse("staffing:election_status", args=[e.pk, "closed"]))
    board = page(client.get(reverse("staffing:board", args=[e.pk])))
    assert reverse("staffing:election_status", args=[e.pk, "active"]) in board  # reopen
    assert reverse("staffing:election_status", args=[e.pk, "archived"]) in board
    reopen = page(client.get(reverse("staffing:election_status", args=[e.pk, "active"])))
    assert "Reopen “Folketingsvalg 2027”?" in reopen
    client.post(reverse("staffing:election_status", args=[e.pk, "active"]))
    e.refresh_from_db()
    assert e.status == "active"
    client.post(reverse("staffing:election_status", args=[e.pk, "closed"]))
    archive = page(client.get(reverse("staffing:election_status", args=[e.pk, "archived"])))
    assert "can no longer be reopened or changed" in archive
    client.post(reverse("staffing:election_status", args=[e.pk, "archived"]))
    e.refresh_from_db()
    assert e.status == "archived"
    assert [
        x.changes["status"]
        for x in AuditEntry.objects.filter(action="elections.set_status").order_by("pk")
    ] == [
        ["active", "closed"],
        ["closed", "active"],
        ["active", "closed"],
        ["closed", "archived"],
    ]


def test_a_step_the_lifecycle_does_not_have_is_explained_and_refused(world, coordinator):
    e = world[0]
    client = login(coordinator)
    url = reverse("staffing:election_status", args=[e.pk, "draft"])
    response = client.get(url)
    assert response.status_code == 200
    assert "An election that is active cannot become draft." in page(response)
    assert f'action="{url}"' not in page(response)  # nothing to confirm
    refused = client.post(url, follow=True)
    assert "An election that is active cannot become draft." in notices(refused)
    e.refresh_from_db()
    assert e.status == "active"
    assert not AuditEntry.objects.filter(action="elections.set_status").exists()


# --- delete ----------------------------------------------------------------------------------


def test_a_draft_is_deleted_after_the_confirmation(world, coordinator):
    _e, draft, *_ = world
    client = login(coordinator)
    confirm = page(client.get(reverse("staffing:election_delete", args=[draft.pk])))
    assert "Its 1 shift (2 seats) is deleted with it." in confirm
    response = client.post(reverse("staffing:election_delete", args=[draft.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("staffing:elections")
    assert "“Prøvevalg” was deleted." in notices(response)
    assert not Election.objects.filter(pk=draft.pk).exists()
    (entry,) = AuditEntry.objects.filter(action="elections.delete_election")
    assert (entry.actor, entry.object_id) == (coordinator, draft.pk)


def test_an_election_with_answers_cannot_be_deleted_only_archived(world, coordinator):
    e = world[0]
    services.accept(
        services.invite(e.shifts.filter(team=None).first(), [f.volunteer()], by=None).invited[0]
    )
    client = login(coordinator)
    confirm = page(client.get(reverse("staffing:election_delete", args=[e.pk])))
    assert "only a draft can be deleted" in confirm
    assert "close it and archive it instead" in confirm
    response = client.post(reverse("staffing:election_delete", args=[e.pk]))
    assert response.status_code == 200
    assert "Only a draft election can be deleted" in page(response)
    assert Election.objects.filter(pk=e.pk).exists()
    assert not AuditEntry.objects.filter(action="elections.delete_election").exists()


def test_a_draft_someone_was_given_a_seat_in_is_not_deleted(world, coordinator):
    """A seat given while it was active, then… it cannot be a draft again; but a
    seat written in directly (an import) protects it all the same."""
    _e, draft, *_ = world
    Assignment.objects.create(
        shift=draft.shifts.first(),
        volunteer=f.volunteer(),
        status="invited",
        invited_at=timezone.now(),
    )
    client = login(coordinator)
    confirm = page(client.get(reverse("staffing:election_delete", args=[draft.pk])))
    assert "1 person has been invited to it" in confirm
    response = client.post(reverse("staffing:election_delete", args=[draft.pk]))
    assert "People have been given seats in “Prøvevalg”, so it cannot be deleted" in page(response)
    assert Election.objects.filter(pk=draft.pk).exists()


# --- copy ------------------------------------------------------------------------------------


def test_copying_through_the_page(world, coordinator):
    e, _draft, _north, _south, party = world
    services.accept(
        services.invite(e.shifts.filter(team=None).first(), [f.volunteer()], by=None).invited[0]
    )
    client = login(coordinator)
    confirm = client.get(reverse("staffing:election_copy", args=[e.pk]))
    assert "The seat grid: 3 shifts with 9 seats" in page(confirm)
    assert "People are not copied." in page(confirm)
    assert confirm.context["form"]["name"].value() == "Copy of Folketingsvalg 2027"
    new_day = e.election_date + timedelta(days=364)
    response = client.post(
        reverse("staffing:election_copy", args=[e.pk]),
        {"name": "Folketingsvalg 2028", "election_date": new_day.isoformat()},
        follow=True,
    )
    copy = Election.objects.get(name="Folketingsvalg 2028")
    assert response.redirect_chain[-1][0] == reverse("staffing:board", args=[copy.pk])
    assert (
        "“Folketingsvalg 2028” was created as a draft with 3 shifts (9 seats). People are not "
        "copied: once it is active, invite the previous volunteers again."
    ) in notices(response)
    assert copy.status == "draft" and copy.copied_from == e
    assert copy.shifts.filter(team=party).count() == 1
    assert not Assignment.objects.filter(shift__election=copy).exists()
    for old, new in zip(
        e.shifts.order_by("station__name", "capacity"),
        copy.shifts.order_by("station__name", "capacity"),
        strict=True,
    ):
        assert (old.station, old.role, old.team, old.capacity) == (
            new.station,
            new.role,
            new.team,
            new.capacity,
        )
        assert timezone.localtime(new.starts_at).time() == timezone.localtime(old.starts_at).time()
        assert timezone.localtime(new.starts_at).date() == timezone.localtime(
            old.starts_at
        ).date() + timedelta(days=364)
    (entry,) = AuditEntry.objects.filter(action="elections.copy_election")
    assert (entry.actor, entry.election_id, entry.detail["source"]) == (coordinator, copy.pk, e.pk)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "", "election_date": "2031-06-01"}, "name"),
        ({"name": "Kopi", "election_date": "1. juni"}, "election_date"),
        ({"name": "Kopi", "election_date": ""}, "election_date"),
        ({"name": "x" * 201, "election_date": "2031-06-01"}, "name"),
    ],
)
def test_a_bad_copy_is_a_field_error(world, coordinator, data, field):
    e = world[0]
    before = Election.objects.count()
    response = login(coordinator).post(reverse("staffing:election_copy", args=[e.pk]), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert Election.objects.count() == before


# --- invite the previous volunteers again ----------------------------------------------------


@pytest.fixture
def copied(world):
    """Folketingsvalg 2027 with three accepted people, copied to a year later."""
    e, _draft, north, _south, party = world
    open_shift = e.shifts.get(station=north, team=None)
    team_shift = e.shifts.get(team=party)
    anna = f.volunteer(first_name="Anna", last_name="Andersen")
    bo = f.volunteer(first_name="Bo", last_name="Berg")
    bo.teams.add(party)
    cecilie = f.volunteer(first_name="Cecilie", last_name="Carlsen")
    services.accept(services.invite(open_shift, [anna], by=None).invited[0])
    services.accept(services.invite(team_shift, [bo], by=None).invited[0])
    services.accept(services.invite(open_shift, [cecilie], by=None).invited[0])
    bo.teams.remove(party)
    cecilie.do_not_contact = True
    cecilie.save()
    coordinator = f.user("koordinator@kommune.dk", coordinator=True)
    client = login(coordinator)
    client.post(
        reverse("staffing:election_copy", args=[e.pk]),
        {"name": "Folketingsvalg 2028", "election_date": (e.election_date + timedelta(days=364))},
    )
    return Election.objects.get(name="Folketingsvalg 2028"), client, coordinator


def test_in_a_draft_copy_the_reinvite_page_says_to_activate_first(copied):
    copy, client, _ = copied
    url = reverse("staffing:election_reinvite", args=[copy.pk])
    board = page(client.get(reverse("staffing:board", args=[copy.pk])))
    assert url in board
    response = page(client.get(url))
    assert "3 people accepted seats in <bdi>Folketingsvalg 2027</bdi>." in response
    assert "Inviting only works in an active election: this one is a draft." in response
    assert reverse("staffing:election_status", args=[copy.pk, "active"]) in response
    refused = page(client.post(url))
    assert "is not active" in refused
    assert not Assignment.objects.filter(shift__election=copy).exists()


def test_reinvite_invites_the_eligible_and_lists_the_others_with_the_reason(
    copied, django_capture_on_commit_callbacks
):
    """The job runs on commit (eagerly here: tests/test_reinvite.py has the rest)."""
    copy, client, coordinator = copied
    client.post(reverse("staffing:election_status", args=[copy.pk, "active"]))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("staffing:election_reinvite", args=[copy.pk]))
    text = page(client.get(response["Location"]))
    assert "1 invitation sent" in text
    assert "2 not invited" in text
    team = page(client.get(response["Location"], {"show": "team_reserved"}))
    assert "reserved for Venstre, and Bo Berg is not a member" in team
    dnc = page(client.get(response["Location"], {"show": "do_not_contact"}))
    assert "Cecilie Carlsen is marked “do not contact”." in dnc
    (invited,) = Assignment.objects.filter(shift__election=copy)
    assert (invited.volunteer.first_name, invited.status, invited.invited_by) == (
        "Anna",
        "invited",
        coordinator,
    )
    assert invited.shift.team is None
    assert Message.objects.filter(subject_id=invited.pk, kind="invitation").exists()
    (entry,) = AuditEntry.objects.filter(action="staffing.reinvite_previous")
    assert (entry.actor, entry.election_id) == (coordinator, copy.pk)


def test_reinvite_needs_the_source_in_scope_too(copied):
    copy, _client, _ = copied
    limited = login(f.user("lokal@kommune.dk", role="coordinator", elections=[copy]))
    assert limited.get(reverse("staffing:election_edit", args=[copy.pk])).status_code == 200
    assert limited.get(reverse("staffing:election_reinvite", args=[copy.pk])).status_code == 404


# --- query counts ----------------------------------------------------------------------------


def test_the_confirmation_pages_cost_a_constant_number_of_queries(
    world, coordinator, django_assert_num_queries
):
    e = world[0]
    client = login(coordinator)
    urls = [
        reverse("staffing:election_status", args=[e.pk, "closed"]),
        reverse("staffing:election_copy", args=[e.pk]),
        reverse("staffing:election_delete", args=[e.pk]),
    ]
    counts = []
    for url in urls:
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        counts.append(len(captured))
    for _ in range(5):
        shift = f.shift(e, station_=f.station(), capacity=3)
        services.invite(shift, [f.volunteer(), f.volunteer()], by=None)
    for url, count in zip(urls, counts, strict=True):
        with django_assert_num_queries(count):
            client.get(url)


def test_closing_from_the_django_admin_also_cancels_queued_messages(world, admin_client):
    """The admin's lifecycle actions go through staffing's change_election_status,
    like the product's buttons: closing leaves nothing queued about the seats but
    the last word to the people whose invitations it withdraws."""
    e = world[0]
    services.invite(e.shifts.filter(team=None).first(), [f.volunteer(), f.volunteer()], by=None)
    assert Message.objects.filter(status="queued").count() == 2
    response = admin_client.post(
        reverse("admin:elections_election_changelist"),
        {"action": "make_closed", "_selected_action": [e.pk]},
        follow=True,
    )
    assert response.status_code == 200
    e.refresh_from_db()
    assert e.status == "closed"
    queued = Message.objects.filter(status="queued")
    assert [m.kind for m in queued] == ["invitation_withdrawn"] * 2
    assert "2 queued messages were cancelled." in response.content.decode()
