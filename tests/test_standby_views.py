"""The standby pages: the volunteer's claim page and the personal page's standby
section, and the office's list with its settings, pause and removal."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry
from portal.standby import claim_token
from portal.views import answer_token
from staffing import services
from staffing.links import issue_link, resolve_link
from staffing.models import Assignment, SeatOffer, StandbyEntry, hash_token
from staffing.services import standby
from tests import factories as f
from volunteers.models import Volunteer

pytestmark = pytest.mark.django_db
Status = Assignment.Status
Offer = SeatOffer.Status
CLAIM = re.compile(r"/v/offer/([A-Za-z0-9_-]+)/")


@pytest.fixture
def full(committed):
    """A one-seat shift, its holder, and two people waiting, offered it at once
    when the holder declines (offers_per_seat 2). Returns (shift, tokens)."""
    e = f.election(name="Folketingsvalg 2027", standby_enabled=True, offers_per_seat=2)
    station = f.station(f.area("Nord"), name="Nordskolen", address="Skolevej 1")
    shift = f.shift(e, station_=station, capacity=1, role_=f.role("Tilforordnet"))
    seat = services.assign(shift, f.volunteer(), by=None)
    people = [f.volunteer(first_name=name) for name in ("Anna", "Bo")]
    for person in people:
        standby.join_standby(person, election=e, shift=shift)
    committed(services.decline, seat)
    tokens = {}
    for person in people:
        [message] = [m for m in mail.outbox if m.to == [person.email] and CLAIM.search(m.body)]
        tokens[person.first_name] = CLAIM.search(message.body).group(1)
    return shift, tokens


def offer_url(token: str) -> str:
    return reverse("portal:offer", args=[token])


def claim(client: Client, token: str, **extra):
    offer = SeatOffer.objects.get(token_hash=hash_token(token))
    return client.post(offer_url(token), {"claim_token": claim_token(offer)}, **extra)


# --- the claim page --------------------------------------------------------------------------


def test_the_claim_page_shows_the_seat_with_one_button(full):
    _shift, tokens = full
    response = Client().get(offer_url(tokens["Anna"]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Anna, a seat is free" in page
    assert "Tilforordnet" in page and "Nordskolen" in page and "Skolevej 1" in page
    assert "Claim by" in page
    assert page.count('type="submit"') == 1 and "Take the seat" in page
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_claiming_gets_the_seat_and_the_second_is_told_someone_was_quicker(full):
    shift, tokens = full
    anna, bo = Client(), Client()
    page_of_bo = bo.get(offer_url(tokens["Bo"]))  # Bo has the page open…
    assert "Take the seat" in page_of_bo.content.decode()

    response = claim(anna, tokens["Anna"], follow=True)
    assert "The seat is yours" in response.content.decode()
    response = claim(bo, tokens["Bo"], follow=True)  # …and presses after Anna
    page = response.content.decode()
    assert response.status_code == 200
    assert "Someone was quicker" in page and "still on the standby list" in page
    assert "Take the seat" not in page
    held = shift.assignments.holding_seat()
    assert [a.volunteer.first_name for a in held] == ["Anna"]


def test_a_double_submit_is_one_seat(full):
    shift, tokens = full
    client = Client()
    claim(client, tokens["Anna"])
    response = claim(client, tokens["Anna"], follow=True)
    assert "The seat is yours" in response.content.decode()
    assert shift.assignments.holding_seat().count() == 1


def test_a_claim_without_the_form_token_is_refused(full):
    shift, tokens = full
    response = Client().post(offer_url(tokens["Anna"]), {"claim_token": "x"})
    assert response.status_code == 403
    assert not shift.assignments.holding_seat().exists()


def test_a_bad_or_dead_token_is_the_uniform_404(full):
    shift, tokens = full
    not_found = Client().get(reverse("portal:home", args=["x" * 43])).content
    assert Client().get(offer_url("x" * 43)).content == not_found
    standby.leave_standby(StandbyEntry.objects.get(volunteer__first_name="Anna"))
    response = Client().get(offer_url(tokens["Anna"]))  # withdrawn with the entry
    assert response.status_code == 404 and response.content == not_found
    shift.starts_at = timezone.now() - timedelta(minutes=1)
    shift.ends_at = timezone.now() + timedelta(hours=1)
    shift.save()
    assert Client().get(offer_url(tokens["Bo"])).status_code == 404  # the shift has begun


def test_an_offer_that_ran_out_says_so(full, committed):
    _shift, tokens = full
    offer = SeatOffer.objects.get(token_hash=hash_token(tokens["Anna"]))
    committed(standby.expire_offers, offer.deadline + timedelta(seconds=1))
    page = Client().get(offer_url(tokens["Anna"])).content.decode()
    assert "The time to claim this seat has run out" in page
    assert "Take the seat" not in page


def test_the_claim_page_is_in_the_persons_language(full):
    _shift, tokens = full
    Volunteer.objects.filter(first_name="Anna").update(language="da")
    response = Client().get(offer_url(tokens["Anna"]))
    assert response["Content-Language"] == "da"
    assert '<html lang="da">' in response.content.decode()


# --- the personal page -----------------------------------------------------------------------


@pytest.fixture
def page_world():
    e = f.election(standby_enabled=True)
    station = f.station(f.area("Nord"), name="Nordskolen")
    mine = f.shift(e, station_=station, capacity=2, start=8, end=12)
    full_shift = f.shift(e, station_=station, capacity=1, start=14, end=20)
    services.assign(full_shift, f.volunteer(), by=None)
    person = f.volunteer(first_name="Mette")
    services.assign(mine, person, by=None)
    return e, person, full_shift, issue_link(person, e)


def page_token(token: str) -> str:
    return answer_token(resolve_link(token), 0)


def test_the_personal_page_offers_the_standby_list_of_full_shifts(page_world):
    _e, person, full_shift, token = page_world
    client = Client()
    page = client.get(reverse("portal:home", args=[token])).content.decode()
    assert "Put me on the standby list" in page

    response = client.post(
        reverse("portal:standby_join", args=[token]),
        {"answer_token": page_token(token), "shift": full_shift.pk},
        follow=True,
    )
    page = response.content.decode()
    assert "You are on the standby list for" in page
    assert "Leave the list" in page
    entry = StandbyEntry.objects.get(volunteer=person)
    assert (entry.shift, entry.status) == (full_shift, StandbyEntry.Status.WAITING)
    assert AuditEntry.objects.filter(action="staffing.standby_join").exists()

    response = client.post(
        reverse("portal:standby_leave", args=[token]),
        {"answer_token": page_token(token), "entry": entry.pk},
        follow=True,
    )
    assert "You are off the standby list." in response.content.decode()
    entry.refresh_from_db()
    assert entry.status == StandbyEntry.Status.LEFT


def test_an_invite_only_or_other_elections_shift_cannot_be_joined(page_world):
    _e, _person, full_shift, token = page_world
    other = f.shift(capacity=1)
    response = Client().post(
        reverse("portal:standby_join", args=[token]),
        {"answer_token": page_token(token), "shift": other.pk},
    )
    assert response.status_code == 404
    full_shift.role.invite_only = True
    full_shift.role.save()
    page = Client().get(reverse("portal:home", args=[token])).content.decode()
    assert "Put me on the standby list" not in page
    response = Client().post(
        reverse("portal:standby_join", args=[token]),
        {"answer_token": page_token(token), "shift": full_shift.pk},
        follow=True,
    )
    assert "filled by invitation only" in response.content.decode()
    assert not StandbyEntry.objects.exists()


def test_someone_elses_entry_cannot_be_left(page_world):
    e, _person, full_shift, token = page_world
    other = standby.join_standby(f.volunteer(), election=e, shift=full_shift)
    response = Client().post(
        reverse("portal:standby_leave", args=[token]),
        {"answer_token": page_token(token), "entry": other.pk},
    )
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.status == StandbyEntry.Status.WAITING


def test_no_standby_section_when_the_election_has_none(page_world):
    e, _person, _full_shift, token = page_world
    e.standby_enabled = False
    e.save()
    page = Client().get(reverse("portal:home", args=[token])).content.decode()
    assert "Standby" not in page


# --- the office's page -----------------------------------------------------------------------


def test_the_list_in_order_with_offers(full, coordinator):
    shift, _tokens = full
    late = standby.join_standby(
        f.volunteer(first_name="Carl"), election=shift.election, shift=shift
    )
    client = Client()
    client.force_login(coordinator)
    page = client.get(reverse("staffing:standby", args=[shift.election_id])).content.decode()
    assert page.index("Anna") < page.index("Bo") < page.index("Carl")
    assert page.count("Offered</span>") == 2  # Anna's and Bo's open offers
    assert "None yet" in page  # Carl's
    assert f"entry-{late.pk}" in page


def test_the_list_page_costs_the_same_queries_however_long(
    full, coordinator, django_assert_num_queries
):
    shift, _tokens = full
    client = Client()
    client.force_login(coordinator)
    url = reverse("staffing:standby", args=[shift.election_id])
    client.get(url)  # warm: the session, the organisation
    # The session, the user, their grants (the scope), the election, the list's
    # count (pages), the entries (with person, shift, station) and their offers:
    # the same seven for 2 or 12 people.
    with django_assert_num_queries(7) as small:
        assert client.get(url).status_code == 200
    for _ in range(10):
        standby.join_standby(f.volunteer(), election=shift.election, shift=shift)
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200


def test_pausing_stops_new_offers_and_resuming_offers_again(full, coordinator, committed):
    shift, _tokens = full
    client = Client()
    client.force_login(coordinator)
    election = shift.election
    client.post(reverse("staffing:standby_pause", args=[election.pk]), {"pause": "1"})
    election.refresh_from_db()
    assert election.standby_paused
    page = client.get(reverse("staffing:standby", args=[election.pk])).content.decode()
    assert "Offers are paused" in page and "Resume offers" in page
    assert AuditEntry.objects.filter(action="staffing.standby_pause").exists()

    # Both open offers run out while paused: nobody else is offered the seat.
    carl = standby.join_standby(f.volunteer(first_name="Carl"), election=election, shift=shift)
    later = SeatOffer.objects.filter(shift=shift).latest("deadline").deadline
    committed(standby.expire_offers, later + timedelta(seconds=1))
    assert not SeatOffer.objects.filter(entry=carl).exists()

    committed(client.post, reverse("staffing:standby_pause", args=[election.pk]), {"pause": "0"})
    assert SeatOffer.objects.filter(entry=carl, status=Offer.OPEN).exists()


def test_the_settings_are_saved_and_audited(full, coordinator):
    shift, _tokens = full
    client = Client()
    client.force_login(coordinator)
    response = client.post(
        reverse("staffing:standby_settings", args=[shift.election_id]),
        {
            "standby_enabled": "on",
            "offer_hours": 6,
            "offers_per_seat": 3,
            "election_day_hours": 12,
            "election_day_offer_minutes": 20,
        },
    )
    assert response.status_code == 302
    shift.election.refresh_from_db()
    assert (shift.election.offer_hours, shift.election.offers_per_seat) == (6, 3)
    assert AuditEntry.objects.filter(action="elections.update_election").exists()

    response = client.post(
        reverse("staffing:standby_settings", args=[shift.election_id]),
        {"standby_enabled": "on", "offer_hours": 0, "offers_per_seat": 0},
    )
    assert response.status_code == 200
    assert "greater than or equal to 1" in response.content.decode()


def test_removing_someone_withdraws_their_offer(full, coordinator, committed):
    shift, _tokens = full
    anna = StandbyEntry.objects.get(volunteer__first_name="Anna")
    client = Client()
    client.force_login(coordinator)
    response = client.post(
        reverse("staffing:standby_remove", args=[shift.election_id, anna.pk]), follow=True
    )
    assert "is off the standby list" in response.content.decode()
    anna.refresh_from_db()
    assert anna.status == StandbyEntry.Status.LEFT
    assert SeatOffer.objects.get(entry=anna).status == Offer.CANCELLED
    assert AuditEntry.objects.filter(action="staffing.standby_leave", actor=coordinator).exists()


def test_the_board_links_to_the_list(full, coordinator):
    shift, _tokens = full
    client = Client()
    client.force_login(coordinator)
    page = client.get(reverse("staffing:board", args=[shift.election_id])).content.decode()
    assert reverse("staffing:standby", args=[shift.election_id]) in page


def test_the_election_form_has_the_standby_settings(full, coordinator):
    shift, _tokens = full
    election = shift.election
    client = Client()
    client.force_login(coordinator)
    url = reverse("staffing:election_edit", args=[election.pk])
    page = client.get(url).content
    assert b'name="offers_per_seat"' in page and b'name="standby_enabled"' in page
    # A new election sets standby up once it exists: not on the new-election form.
    assert b'name="offers_per_seat"' not in client.get(reverse("staffing:election_create")).content

    response = client.post(
        url,
        {
            "name": election.name,
            "kind": election.kind,
            "election_date": election.election_date.isoformat(),
            "response_days": 7,
            "lock_days": 3,
            "areas": [shift.station.area_id],
            "offer_hours": 4,
            "offers_per_seat": 1,
            "election_day_hours": 48,
            "election_day_offer_minutes": 15,
        },
    )
    assert response.status_code == 302
    election.refresh_from_db()
    assert not election.standby_enabled  # unticked
    assert (election.offer_hours, election.offers_per_seat) == (4, 1)
    assert (election.election_day_hours, election.election_day_offer_minutes) == (48, 15)


def test_a_role_is_kept_out_of_standby_on_its_setup_page(coordinator, committed):
    e = f.election(standby_enabled=True)
    role = f.role("Fintæller")
    shift = f.shift(e, capacity=1, role_=role)
    seat = services.assign(shift, f.volunteer(), by=None)
    standby.join_standby(f.volunteer(), election=e, shift=shift)
    client = Client()
    client.force_login(coordinator)
    form = {
        "name": "Fintæller",
        "short_name": "FT",
        "default_start": "20:00",
        "default_end": "01:00",
        "pay": "850.00",
        "min_age": "18",
        "reminders_enabled": "on",
        # "standby_enabled" not ticked: refill from standby is off for the role
    }
    response = client.post(reverse("staffing:setup_role_edit", args=[role.pk]), form)
    assert response.status_code == 302
    role.refresh_from_db()
    assert not role.standby_enabled

    committed(services.decline, seat)
    assert not SeatOffer.objects.filter(shift=shift).exists()


def test_the_volunteers_history_names_the_offer_and_the_claim(full, coordinator):
    _shift, tokens = full
    claim(Client(), tokens["Anna"])
    anna = Volunteer.objects.get(first_name="Anna")
    client = Client()
    client.force_login(coordinator)
    page = client.get(reverse("staffing:volunteer", args=[anna.pk])).content.decode()
    assert "Offer of a freed seat (standby list)" in page
    assert "Took a seat offered from the standby list" in page
    assert "seat_offer" not in page and "staffing.standby_claim" not in page


def test_turning_standby_on_in_the_election_form_offers_the_free_seats(coordinator, committed):
    e = f.election(name="Folketingsvalg 2027")
    shift = f.shift(e, capacity=1, role_=f.role("Tilforordnet"))
    waiting = f.volunteer(first_name="Anna")
    standby.join_standby(waiting, election=e, shift=shift)
    client = Client()
    client.force_login(coordinator)
    response = committed(
        client.post,
        reverse("staffing:election_edit", args=[e.pk]),
        {
            "name": e.name,
            "kind": e.kind,
            "election_date": e.election_date.isoformat(),
            "response_days": 7,
            "lock_days": 3,
            "areas": [shift.station.area_id],
            "standby_enabled": "on",
            "offer_hours": 12,
            "offers_per_seat": 2,
            "election_day_hours": 24,
            "election_day_offer_minutes": 30,
        },
    )
    assert response.status_code == 302
    assert SeatOffer.objects.filter(entry__volunteer=waiting, shift=shift).exists()
    board = client.get(response["Location"]).content.decode()
    assert "Your changes were saved." in board  # a change of the standby settings alone too
    assert any(m.to == [waiting.email] and CLAIM.search(m.body) for m in mail.outbox)


def test_a_claim_on_a_role_needing_approval_is_held_and_says_so(committed):
    e = f.election(standby_enabled=True, offers_per_seat=1)
    shift = f.shift(e, capacity=1, role_=f.role("Valgstyrer", requires_approval=True))
    seat = services.assign(shift, f.volunteer(), by=None)
    anna = f.volunteer(first_name="Anna", language="en")
    standby.join_standby(anna, election=e, shift=shift)
    committed(services.decline, seat)
    [message] = [m for m in mail.outbox if m.to == [anna.email] and CLAIM.search(m.body)]
    token = CLAIM.search(message.body).group(1)
    client = Client()
    committed(claim, client, token)
    held = Assignment.objects.get(shift=shift, volunteer=anna)
    assert (held.status, held.awaiting_approval) == (Status.INVITED, True)
    page = client.get(offer_url(token)).content.decode()
    assert "Waiting for the election office to confirm" in page
    assert "The seat is yours" not in page
