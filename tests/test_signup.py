"""Open sign-up through a sign-up link (/s/<token>/): the open seats grouped by
station and day with their free seats, the filters, a newcomer proving a phone
number with a one-time code and taking a seat, a returning volunteer recognised
and not made twice, approval holds, seat caps, team join links, and every way
in refused with the one 404 or a clear message, never a 500."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry
from notifications import sms
from portal.signup import form_token
from staffing import services
from staffing import signup as reading
from staffing.models import Assignment, PersonalLink, SignupLink, hash_token
from staffing.services import signup as signup_services
from tests import factories as f
from volunteers.models import Volunteer

pytestmark = pytest.mark.django_db
Status = Assignment.Status
PHONE = "+4520333333"


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()


@pytest.fixture
def open_election():
    election = f.election(name="Folketingsvalg 2027")
    north = f.station(f.area("Nord"), name="Nordskolen", postal_code="8200")
    south = f.station(f.area("Syd"), name="Sydhallen", postal_code="8000")
    clerk = f.role("Tilforordnet")
    shifts = {
        "north": f.shift(election, station_=north, role_=clerk, capacity=2),
        "south": f.shift(election, station_=south, role_=clerk, capacity=1),
        "secret": f.shift(election, station_=north, role_=f.role("Valgstyrer", invite_only=True)),
        "team": f.shift(election, station_=south, role_=clerk, start=20, end=23, team=f.team("V")),
    }
    link = signup_services.create_signup_link(election, by=None, label="Plakat på biblioteket")
    return election, shifts, link, reading.link_token(link)


def details(client, token: str, shift_id: int, **data):
    return client.post(reverse("signup:details", args=[token, shift_id]), _form(token, **data))


def code_in_sms(phone: str = PHONE) -> str:
    [record] = [r for r in sms.outbox if r.to == phone][-1:]
    return re.search(r"\b(\d{6})\b", record.body).group(1)


def state_of(response) -> str:
    return re.search(r'name="state" value="([^"]+)"', response.content.decode()).group(1)


def confirm(client, token: str, state: str, code: str):
    link = reading.resolve_signup_link(token)
    return client.post(
        reverse("signup:confirm", args=[token]),
        {"form_token": form_token(link), "state": state, "code": code, "lang": "en"},
    )


def sign_up(client, committed, token, shift_id, **data):
    sent = committed(details, client, token, shift_id, **data)
    assert sent.status_code == 200, sent.content.decode()
    phone = data.get("phone", "20 33 33 33")
    to = "+45" + phone.replace(" ", "") if not phone.startswith("+") else phone
    return committed(confirm, client, token, state_of(sent), code_in_sms(to))


# --- the list of open seats ------------------------------------------------------------------


def test_the_page_lists_open_seats_by_station_and_day(client, open_election):
    _election, shifts, _link, token = open_election
    services.assign(shifts["south"], f.volunteer(), by=None)  # full now
    page = client.get(reverse("signup:home", args=[token]), {"lang": "en"}).content.decode()
    assert "Nordskolen" in page and "Sydhallen" in page
    assert "2 free seats" in page and "Full" in page
    assert "Valgstyrer" not in page  # invite only: never listed
    assert reverse("signup:details", args=[token, shifts["team"].pk]) not in page  # a team's
    assert reverse("signup:details", args=[token, shifts["north"].pk]) in page
    assert reverse("signup:details", args=[token, shifts["south"].pk]) not in page  # full


def test_the_page_filters_by_postal_code_and_area(client, open_election):
    _election, _shifts, _link, token = open_election
    url = reverse("signup:home", args=[token])
    page = client.get(url, {"postal_code": "8200", "lang": "en"}).content.decode()
    assert "Nordskolen" in page and "Sydhallen" not in page
    south = reading.areas_of(reading.resolve_signup_link(token)).get(name="Syd")
    page = client.get(url, {"area": south.pk, "lang": "en"}).content.decode()
    assert "Sydhallen" in page and "Nordskolen" not in page
    page = client.get(url, {"postal_code": "9999", "lang": "en"}).content.decode()
    assert "No shifts match your search" in page


def test_the_page_costs_the_same_queries_however_many_shifts(
    client, open_election, django_assert_num_queries
):
    election, _shifts, _link, token = open_election
    url = reverse("signup:home", args=[token])
    client.get(url)  # warm: the organisation's cache

    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as seen:
            assert client.get(url).status_code == 200
        return len(seen)

    before = count()
    for hour in range(6, 12):
        f.shift(election, station_=f.station(f.area()), start=hour, end=hour + 2)
    with django_assert_num_queries(before):
        assert client.get(url).status_code == 200


def test_a_link_limited_to_a_station_role_and_day_lists_only_those(client, open_election):
    election, shifts, _link, _token = open_election
    link = signup_services.create_signup_link(
        election, by=None, label="Nord", station=shifts["north"].station
    )
    page = client.get(reverse("signup:home", args=[reading.link_token(link)])).content.decode()
    assert "Nordskolen" in page and "Sydhallen" not in page


# --- signing up -------------------------------------------------------------------------------


def test_a_newcomer_signs_up_with_a_code_and_gets_the_seat(client, committed, open_election):
    election, shifts, link, token = open_election
    sent = committed(details, client, token, shifts["north"].pk)
    assert "We have sent a code to" in sent.content.decode()
    assert not Volunteer.objects.filter(phone=PHONE).exists()  # nothing before the code
    done = committed(confirm, client, token, state_of(sent), code_in_sms())
    assert done.status_code == 302 and done["Location"].startswith("/v/")
    sofie = Volunteer.objects.get(phone=PHONE)
    assert (sofie.first_name, sofie.birth_date, sofie.language) == ("Sofie", date(1990, 4, 2), "en")
    seat = Assignment.objects.get(volunteer=sofie)
    assert (seat.shift, seat.status, seat.signup_link) == (shifts["north"], Status.ACCEPTED, link)
    link.refresh_from_db()
    assert link.used == 1
    assert any("booked" in r.body.lower() or "/v/" in r.body for r in sms.outbox if r.to == PHONE)
    page = client.get(done["Location"]).content.decode()
    assert "You are booked as Tilforordnet" in page
    assert AuditEntry.objects.filter(action="staffing.sign_up", object_id=seat.pk).exists()
    assert PersonalLink.objects.filter(volunteer=sofie, election=election).exists()


def test_a_returning_volunteer_is_recognised_not_made_twice(client, committed, open_election):
    _election, shifts, _link, token = open_election
    known = f.volunteer("sms", phone=PHONE, first_name="Sofie", last_name="Holm-Jensen")
    done = sign_up(client, committed, token, shifts["north"].pk, first_name="S.")
    assert done.status_code == 302
    assert Volunteer.objects.filter(phone=PHONE).count() == 1
    known.refresh_from_db()
    assert known.first_name == "Sofie"  # what was typed does not overwrite
    assert Assignment.objects.get(volunteer=known).status == Status.ACCEPTED


def test_the_code_page_reads_the_same_for_a_known_and_an_unknown_number(
    client, committed, open_election
):
    _election, shifts, _link, token = open_election
    f.volunteer("sms", phone=PHONE)
    known = committed(details, client, token, shifts["north"].pk).content.decode()
    unknown = committed(details, client, token, shifts["north"].pk, phone="20444444")
    strip = lambda html: re.sub(r'value="[^"]+"|20 ?33 ?33 ?33|20 ?44 ?44 ?44', "", html)  # noqa: E731
    assert strip(known) == strip(unknown.content.decode())


def test_a_wrong_code_is_said_and_nothing_is_made(client, committed, open_election):
    _election, shifts, _link, token = open_election
    sent = committed(details, client, token, shifts["north"].pk)
    wrong = committed(confirm, client, token, state_of(sent), "000000")
    if code_in_sms() == "000000":  # one in a million
        return
    assert wrong.status_code == 400
    assert "That code is wrong or too old" in wrong.content.decode()
    assert not Volunteer.objects.filter(phone=PHONE).exists()


def test_a_double_submit_makes_one_seat(client, committed, open_election):
    _election, shifts, _link, token = open_election
    sent = committed(details, client, token, shifts["north"].pk)
    code = code_in_sms()
    first = committed(confirm, client, token, state_of(sent), code)
    second = committed(confirm, client, token, state_of(sent), code)
    assert first.status_code == second.status_code == 302
    assert Assignment.objects.filter(volunteer__phone=PHONE).count() == 1


def test_a_tampered_state_is_refused(client, committed, open_election):
    _election, shifts, _link, token = open_election
    sent = committed(details, client, token, shifts["north"].pk)
    response = committed(confirm, client, token, state_of(sent)[:-3] + "abc", code_in_sms())
    assert response.status_code == 400
    assert "Please start again" in response.content.decode()
    assert not Volunteer.objects.filter(phone=PHONE).exists()


def test_the_last_seat_taken_meanwhile_is_said_plainly(client, committed, open_election):
    _election, shifts, _link, token = open_election
    sent = committed(details, client, token, shifts["south"].pk)
    services.assign(shifts["south"], f.volunteer(), by=None)  # someone was quicker
    done = committed(confirm, client, token, state_of(sent), code_in_sms())
    assert done.status_code == 302
    page = client.get(done["Location"]).content.decode()
    assert "the last seat on this shift was just taken" in page
    assert not Assignment.objects.filter(volunteer__phone=PHONE).exists()
    assert shifts["south"].assignments.holding_seat().count() == 1


def test_too_young_is_told_in_their_own_words(client, committed, open_election):
    _election, shifts, _link, token = open_election
    young = (timezone.localdate() - timedelta(days=365 * 16)).isoformat()
    done = sign_up(client, committed, token, shifts["north"].pk, birth_date=young)
    page = client.get(done["Location"]).content.decode()
    assert "You must be at least 18 on the day of the shift" in page
    assert not Assignment.objects.filter(volunteer__phone=PHONE).exists()


def test_form_errors_are_shown_at_their_fields(client, committed, open_election):
    _election, shifts, _link, token = open_election
    response = committed(
        details, client, token, shifts["north"].pk, phone="", first_name="", birth_date="2999-01-01"
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Write your mobile number: the code goes there." in page
    assert "Check the date of birth." in page
    assert "This field is required." in page
    assert sms.outbox == []


def test_approval_holds_the_seat_until_the_office_answers(client, committed, open_election):
    election, shifts, _link, token = open_election
    shift = shifts["north"]
    shift.role.requires_approval = True
    shift.role.save()
    done = sign_up(client, committed, token, shift.pk)
    seat = Assignment.objects.get(volunteer__phone=PHONE)
    assert (seat.status, seat.awaiting_approval) == (Status.INVITED, True)
    assert (
        "held until the election office confirms it"
        in client.get(done["Location"]).content.decode()
    )
    # It neither expires nor is reminded while the office decides.
    later = timezone.now() + timedelta(days=election.response_days + 1)
    assert services.expire_invitations(later) == 0
    committed(signup_services.approve_signup, seat, by=None)
    seat.refresh_from_db()
    assert (seat.status, seat.awaiting_approval) == (Status.ACCEPTED, False)


def test_the_office_may_refuse_a_held_sign_up(client, committed, open_election):
    _election, shifts, _link, token = open_election
    shifts["north"].role.requires_approval = True
    shifts["north"].role.save()
    sign_up(client, committed, token, shifts["north"].pk)
    seat = Assignment.objects.get(volunteer__phone=PHONE)
    sms.outbox.clear()
    committed(signup_services.refuse_signup, seat, by=None, reason="Kender ikke personen")
    seat.refresh_from_db()
    assert (seat.status, seat.awaiting_approval) == (Status.REMOVED, False)
    assert [r.to for r in sms.outbox] == [PHONE]


def test_a_seat_cap_ends_the_link(client, committed, open_election):
    election, shifts, _link, _token = open_election
    link = signup_services.create_signup_link(election, by=None, label="Én", seat_cap=1)
    token = reading.link_token(link)
    sign_up(client, committed, token, shifts["north"].pk)
    done = sign_up(client, committed, token, shifts["north"].pk, phone="20555555")
    page = client.get(done["Location"]).content.decode()
    assert "has had all the sign-ups it takes" in page
    assert not Assignment.objects.filter(volunteer__phone="+4520555555").exists()
    assert (
        "has had all the sign-ups it takes"
        in client.get(reverse("signup:home", args=[token])).content.decode()
    )


# --- team join links --------------------------------------------------------------------------


def test_a_team_join_link_registers_people_into_the_team(client, committed, open_election):
    election, shifts, _link, _token = open_election
    team = shifts["team"].team
    link = signup_services.create_signup_link(
        election, by=None, label="Venstres liste", kind=SignupLink.Kind.TEAM, team=team
    )
    token = reading.link_token(link)
    page = client.get(reverse("signup:home", args=[token]), {"lang": "en"}).content.decode()
    assert "Join <bdi>V</bdi>" in page
    sent = committed(
        client.post,
        reverse("signup:join", args=[token]),
        {
            "form_token": form_token(link),
            "first_name": "Ole",
            "last_name": "Dam",
            "birth_date": "1970-01-01",
            "phone": "20666666",
            "proved": "sms",
            "lang": "en",
        },
    )
    done = committed(confirm, client, token, state_of(sent), code_in_sms("+4520666666"))
    assert done.status_code == 200
    assert "You are registered with <bdi>V</bdi>" in done.content.decode()
    ole = Volunteer.objects.get(phone="+4520666666")
    assert list(ole.teams.all()) == [team]
    assert not Assignment.objects.filter(volunteer=ole).exists()
    # Now a member, Ole may be invited to the team's seats.
    assert services.invite(shifts["team"], [ole], by=None).invited


# --- safety ----------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["bad", "revoked", "expired", "closed"])
def test_every_invalid_link_is_the_same_404(client, open_election, state):
    election, _shifts, link, token = open_election
    if state == "bad":
        token = token[:-2] + "00"
    elif state == "revoked":
        signup_services.revoke_signup_link(link, by=None)
    elif state == "expired":
        SignupLink.objects.filter(pk=link.pk).update(expires_at=timezone.now())
    else:
        election.status = election.Status.CLOSED
        election.save()
    response = client.get(reverse("signup:home", args=[token]))
    assert response.status_code == 404
    assert "This link is not valid" in response.content.decode()
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]


def test_a_post_without_the_form_token_is_refused(client, open_election):
    _election, shifts, _link, token = open_election
    response = client.post(
        reverse("signup:details", args=[token, shifts["north"].pk]), {"first_name": "X"}
    )
    assert response.status_code == 403
    assert sms.outbox == []


def test_asking_for_codes_is_limited_per_sender(client, committed, open_election, settings):
    _election, shifts, _link, token = open_election
    from portal import limits

    most = limits.CODES[1]
    for i in range(most):
        assert (
            committed(details, client, token, shifts["north"].pk, phone=f"2070{i:04d}").status_code
            == 200
        )
    response = committed(details, client, token, shifts["north"].pk, phone="20709999")
    assert response.status_code == 429
    assert not [r for r in sms.outbox if r.to == "+4520709999"]


def test_a_shift_outside_the_link_is_the_404(client, open_election):
    _election, shifts, _link, token = open_election
    other = f.shift(f.election())
    for shift_id in (shifts["secret"].pk, shifts["team"].pk, other.pk):
        response = client.get(reverse("signup:details", args=[token, shift_id]))
        assert response.status_code == 404


def test_a_held_sign_up_is_the_offices_to_confirm_not_the_persons(client, committed, open_election):
    _election, shifts, _link, token = open_election
    shifts["north"].role.requires_approval = True
    shifts["north"].role.save()
    done = sign_up(client, committed, token, shifts["north"].pk)
    seat = Assignment.objects.get(volunteer__phone=PHONE)
    page = client.get(done["Location"]).content.decode()
    assert "Waiting for the election office to confirm" in page
    assert reverse("portal:accept", args=[done["Location"].split("/")[2], seat.pk]) not in page
    assert "Withdraw my sign-up" in page
    # Posting the accept form anyway is refused; the seat stays held.
    from portal.views import answer_token

    personal_token = done["Location"].split("/")[2]
    personal = PersonalLink.objects.get(token_hash=hash_token(personal_token))
    response = committed(
        client.post,
        reverse("portal:accept", args=[personal_token, seat.pk]),
        {"answer_token": answer_token(personal, seat.pk)},
        follow=True,
    )
    assert "The election office confirms this seat" in response.content.decode()
    seat.refresh_from_db()
    assert (seat.status, seat.awaiting_approval) == (Status.INVITED, True)
    # The office answering on their behalf approves it.
    committed(services.accept, seat, by=f.user(coordinator=True))
    seat.refresh_from_db()
    assert (seat.status, seat.awaiting_approval) == (Status.ACCEPTED, False)


def test_a_refused_sign_up_frees_the_seat_for_the_standby_list(client, committed, open_election):
    election, shifts, _link, token = open_election
    election.standby_enabled = True
    election.save()
    shift = shifts["south"]  # one seat
    shift.role.requires_approval = True
    shift.role.save()
    sign_up(client, committed, token, shift.pk)
    waiting = f.volunteer("sms", phone="+4520777777")
    from staffing.services.standby import join_standby

    committed(join_standby, waiting, election=election, shift=shift)
    seat = Assignment.objects.get(volunteer__phone=PHONE)
    sms.outbox.clear()
    committed(signup_services.refuse_signup, seat, by=None)
    assert any(r.to == "+4520777777" for r in sms.outbox)  # offered the freed seat


def test_a_full_shift_can_be_waited_for_from_the_sign_up_page(client, committed, open_election):
    election, shifts, _link, token = open_election
    election.standby_enabled = True
    election.save()
    shift = shifts["south"]  # one seat
    services.assign(shift, f.volunteer(), by=None)
    page = client.get(reverse("signup:home", args=[token]), {"lang": "en"}).content.decode()
    standby_url = reverse("signup:details", args=[token, shift.pk]) + "?standby=1"
    assert standby_url.replace("&", "&amp;") in page or standby_url in page
    sent = committed(details, client, token, shift.pk, standby="1")
    done = committed(confirm, client, token, state_of(sent), code_in_sms())
    assert done.status_code == 302
    sofie = Volunteer.objects.get(phone=PHONE)
    assert sofie.standby.get().shift == shift
    assert not Assignment.objects.filter(volunteer=sofie).exists()
    assert "You are on the standby list" in client.get(done["Location"]).content.decode()


def test_without_standby_a_full_shift_offers_no_list(client, open_election):
    _election, shifts, _link, token = open_election
    services.assign(shifts["south"], f.volunteer(), by=None)
    url = reverse("signup:details", args=[token, shifts["south"].pk])
    assert client.get(url, {"standby": "1"}).status_code == 404


# --- what the review found --------------------------------------------------------------------


def test_only_the_proved_address_is_kept(client, committed, open_election):
    """An address typed but not proved could be anyone's: whoever later proved it
    would be recognised as this person and get their link."""
    _election, shifts, _link, token = open_election
    sign_up(client, committed, token, shifts["north"].pk, email="victim@example.dk")
    sofie = Volunteer.objects.get(phone=PHONE)
    assert sofie.email == ""
    known = f.volunteer("email", email="karen@example.dk")
    sign_up(client, committed, token, shifts["south"].pk, phone="20888888")
    # Someone proving another phone, typing Karen's email, is not Karen.
    assert Volunteer.objects.get(phone="+4520888888") != known
    known.refresh_from_db()
    assert known.phone == ""


def test_a_name_of_control_characters_is_a_field_error(client, committed, open_election):
    _election, shifts, _link, token = open_election
    response = committed(details, client, token, shifts["north"].pk, first_name="\u202e\u2066")
    assert response.status_code == 400
    assert "Write your name." in response.content.decode()
    assert sms.outbox == []


def test_a_foreign_number_is_refused(client, committed, open_election):
    _election, shifts, _link, token = open_election
    response = committed(details, client, token, shifts["north"].pk, phone="+46701234567")
    assert response.status_code == 400
    assert "Use a mobile number from Denmark, or your email." in response.content.decode()
    assert sms.outbox == []


def test_a_code_opens_only_the_sign_up_it_was_sent_for(client, committed, open_election):
    _election, shifts, _link, token = open_election
    committed(details, client, token, shifts["north"].pk)
    code = code_in_sms()
    other = committed(details, client, token, shifts["south"].pk)  # a new code for south
    sms.outbox.clear()
    # north's code with south's form: refused
    assert committed(confirm, client, token, state_of(other), code).status_code == 400
    assert not Assignment.objects.filter(volunteer__phone=PHONE).exists()


def test_an_empty_code_is_asked_for_again(client, committed, open_election):
    _election, shifts, _link, token = open_election
    sent = committed(details, client, token, shifts["north"].pk)
    response = committed(confirm, client, token, state_of(sent), "")
    assert response.status_code == 400
    assert "Write the code." in response.content.decode()


def test_someone_the_office_took_off_cannot_sign_up_again(client, committed, open_election):
    _election, shifts, _link, token = open_election
    sofie = f.volunteer("sms", phone=PHONE)
    seat = services.assign(shifts["north"], sofie, by=None)
    services.remove(seat, by=None)
    done = sign_up(client, committed, token, shifts["north"].pk)
    assert "Please contact the election office" in client.get(done["Location"]).content.decode()
    assert not shifts["north"].assignments.holding_seat().filter(volunteer=sofie).exists()


def test_seats_offered_to_the_standby_list_are_not_open_to_sign_up(
    client, committed, open_election
):
    election, shifts, _link, token = open_election
    election.standby_enabled = True
    election.save()
    shift = shifts["south"]  # one seat
    holder = services.assign(shift, f.volunteer(), by=None)
    from staffing.services.standby import join_standby

    join_standby(f.volunteer("sms"), election=election, shift=shift)
    committed(services.decline, holder)  # the seat is offered to the list
    page = client.get(reverse("signup:home", args=[token]), {"lang": "en"}).content.decode()
    assert reverse("signup:details", args=[token, shift.pk]) + '"' not in page
    done = sign_up(client, committed, token, shift.pk)
    assert (
        "the last seat on this shift was just taken"
        in client.get(done["Location"]).content.decode()
    )


def test_a_team_link_has_no_seat_form(client, open_election):
    election, shifts, _link, _token = open_election
    link = signup_services.create_signup_link(
        election, by=None, label="Hold", kind=SignupLink.Kind.TEAM, team=shifts["team"].team
    )
    url = reverse("signup:details", args=[reading.link_token(link), shifts["team"].pk])
    assert client.get(url).status_code == 404


def test_a_shift_full_since_the_list_was_shown_says_so_before_the_code(client, open_election):
    election, shifts, _link, token = open_election
    election.standby_enabled = True
    election.save()
    services.assign(shifts["south"], f.volunteer(), by=None)
    url = reverse("signup:details", args=[token, shifts["south"].pk])
    page = client.get(url, {"lang": "en"}).content.decode()
    assert "the last seat on this shift was just taken" in page
    assert 'name="first_name"' not in page  # no form to fill in for nothing
    assert "?standby=1" in page


def test_a_station_full_all_day_can_be_waited_for(client, committed, open_election):
    election, shifts, _link, token = open_election
    election.standby_enabled = True
    election.save()
    south = shifts["south"]  # Sydhallen's only open shift that day: one seat
    services.assign(south, f.volunteer(), by=None)
    day = south.starts_at.astimezone(timezone.get_current_timezone()).date()
    page = client.get(reverse("signup:home", args=[token]), {"lang": "en"}).content.decode()
    wait_url = reverse("signup:wait", args=[token, south.station_id, day.isoformat()])
    assert wait_url in page and "wait for any seat at Sydhallen this day" in page
    sent = committed(client.post, wait_url, _form(token))
    assert sent.status_code == 200, sent.content.decode()
    done = committed(confirm, client, token, state_of(sent), code_in_sms())
    assert done.status_code == 302
    entry = Volunteer.objects.get(phone=PHONE).standby.get()
    assert (entry.shift, entry.station, entry.day) == (None, south.station, day)
    # A seat freeing up on any of its shifts that day is offered to her.
    seat = south.assignments.get(status=Status.ACCEPTED)
    sms.outbox.clear()
    committed(services.decline, seat)
    assert any(r.to == PHONE and "/v/offer/" in r.body for r in sms.outbox)


def test_waiting_needs_a_station_with_the_links_shifts_that_day(client, open_election):
    election, shifts, _link, token = open_election
    election.standby_enabled = True
    election.save()
    other = f.station(f.area())
    day = shifts["south"].starts_at.date().isoformat()
    for args in ((other.pk, day), (shifts["south"].station_id, "2001-01-01"), (1, "x")):
        assert client.get(reverse("signup:wait", args=[token, *args])).status_code == 404


def _form(token: str, **data) -> dict:
    link = reading.resolve_signup_link(token)
    return {
        "form_token": form_token(link),
        "first_name": "Sofie",
        "last_name": "Holm",
        "birth_date": "1990-04-02",
        "phone": "20 33 33 33",
        "email": "",
        "proved": "sms",
        "lang": "en",
        **data,
    }


def test_a_link_sends_at_most_its_hourly_budget_of_codes(
    client, committed, open_election, settings
):
    _election, shifts, _link, token = open_election
    settings.SIGNUP_CODES_PER_LINK_PER_HOUR = 2
    for phone in ("20700001", "20700002"):
        assert committed(details, client, token, shifts["north"].pk, phone=phone).status_code == 200
    response = committed(details, client, token, shifts["north"].pk, phone="20700003")
    assert response.status_code == 429
    assert "Very many people are signing up right now" in response.content.decode()
    assert not [r for r in sms.outbox if r.to == "+4520700003"]


def test_wrong_guesses_use_up_the_code(client, committed, open_election):
    """Each wrong code counts against the code (5 at most), then even the right
    one is refused: guessing a six-digit code is hopeless."""
    _election, shifts, _link, token = open_election
    sent = committed(details, client, token, shifts["north"].pk)
    right = code_in_sms()
    wrong = "000000" if right != "000000" else "111111"
    for _attempt in range(5):
        assert committed(confirm, client, token, state_of(sent), wrong).status_code == 400
    assert committed(confirm, client, token, state_of(sent), right).status_code == 400
    assert not Volunteer.objects.filter(phone=PHONE).exists()
