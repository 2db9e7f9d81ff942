"""The office's sign-up links page: a new link made from the form (with its
limits, errors at their fields), its address shown and working, revoking it,
the sign-ups held for approval approved or refused from the page, and the
page's queries not growing with the links and held sign-ups."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry
from staffing import signup as reading
from staffing.models import Assignment, SignupLink
from staffing.services import signup as services
from tests import factories as f

pytestmark = pytest.mark.django_db
Status = Assignment.Status


@pytest.fixture
def office():
    election = f.election(name="Folketingsvalg 2027")
    station = f.station(f.area("Nord"), name="Nordskolen")
    shift = f.shift(
        election, station_=station, role_=f.role("Tilforordnet", requires_approval=True)
    )
    coordinator = f.user(coordinator=True)
    client = Client()
    client.force_login(coordinator)
    return election, shift, coordinator, client


def page(election) -> str:
    return reverse("staffing:signup_links", args=[election.pk])


def test_a_coordinator_makes_a_link_and_sees_its_address(office):
    election, shift, coordinator, client = office
    response = client.post(
        page(election),
        {
            "kind": "seats",
            "label": "Plakat på biblioteket",
            "station": shift.station_id,
            "seat_cap": "25",
            "expires_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 302
    link = SignupLink.objects.get()
    assert (link.label, link.station, link.seat_cap, link.created_by) == (
        "Plakat på biblioteket",
        shift.station,
        25,
        coordinator,
    )
    assert link.expires_at > timezone.now()
    listing = client.get(page(election)).content.decode()
    address = reading.link_url(link)
    assert address in listing and "0 / 25" in listing
    # The address works for anyone, and only the hash is stored.
    assert reading.link_token(link) not in link.token_hash
    assert Client().get(address.removeprefix("http://testserver")).status_code == 200
    assert AuditEntry.objects.filter(action="staffing.create_signup_link").exists()


def test_form_errors_are_at_their_fields(office):
    election, _shift, _coordinator, client = office
    response = client.post(
        page(election), {"kind": "team", "label": "", "seat_cap": "0", "expires_on": "2001-01-01"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "A team join link needs its team." in html
    assert "This field is required." in html
    assert "Choose today or a later day." in html
    assert not SignupLink.objects.exists()


def test_an_invite_only_role_cannot_be_chosen(office):
    election, _shift, _coordinator, client = office
    secret = f.role("Valgstyrer", invite_only=True)
    f.shift(election, role_=secret)
    response = client.post(page(election), {"kind": "seats", "label": "X", "role": secret.pk})
    assert response.status_code == 400
    assert not SignupLink.objects.exists()


def test_revoking_ends_the_link(office):
    election, _shift, _coordinator, client = office
    link = services.create_signup_link(election, by=None, label="Plakat")
    address = reverse("signup:home", args=[reading.link_token(link)])
    assert (
        client.post(reverse("staffing:revoke_signup_link", args=[election.pk, link.pk])).status_code
        == 302
    )
    assert Client().get(address).status_code == 404
    assert "Revoked" in client.get(page(election)).content.decode()


def _held(election, shift) -> Assignment:
    link = services.create_signup_link(election, by=None, label="Plakat")
    volunteer = f.volunteer("sms", first_name="Sofie", last_name="Holm")
    return Assignment.objects.create(
        shift=shift,
        volunteer=volunteer,
        status=Status.INVITED,
        signup_link=link,
        awaiting_approval=True,
    )


def test_held_sign_ups_are_approved_from_the_page(office, committed):
    election, shift, coordinator, client = office
    seat = _held(election, shift)
    listing = client.get(page(election)).content.decode()
    assert "1 sign-up awaits approval" in listing and "Sofie Holm" in listing
    url = reverse("staffing:approve_signup", args=[election.pk, seat.pk])
    assert committed(client.post, url).status_code == 302
    seat.refresh_from_db()
    assert (seat.status, seat.awaiting_approval) == (Status.ACCEPTED, False)
    entry = AuditEntry.objects.get(action="staffing.approve_signup")
    assert entry.actor == coordinator
    # A second click says it was answered; nothing changes.
    again = client.post(url, follow=True)
    assert "This sign-up was answered meanwhile." in again.content.decode()


def test_held_sign_ups_are_refused_from_the_page(office, committed):
    election, shift, _coordinator, client = office
    seat = _held(election, shift)
    url = reverse("staffing:refuse_signup", args=[election.pk, seat.pk])
    assert committed(client.post, url, {"reason": "Ukendt"}).status_code == 302
    seat.refresh_from_db()
    assert seat.status == Status.REMOVED
    assert "awaits approval" not in client.get(page(election)).content.decode()


def test_a_coordinator_of_another_election_gets_the_404(office):
    election, shift, _coordinator, _client = office
    seat = _held(election, shift)
    other = Client()
    other.force_login(f.user(coordinator=True, elections=[f.election()]))
    assert other.get(page(election)).status_code == 404
    url = reverse("staffing:approve_signup", args=[election.pk, seat.pk])
    assert other.post(url).status_code == 404
    seat.refresh_from_db()
    assert seat.awaiting_approval


def test_the_page_costs_the_same_queries_as_links_grow(office, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    election, shift, _coordinator, client = office
    _held(election, shift)
    client.get(page(election))
    with CaptureQueriesContext(connection) as seen:
        client.get(page(election))
    for i in range(5):
        _held(election, f.shift(election, start=8 + i, end=9 + i))
        services.create_signup_link(election, by=None, label=f"L{i}", team=f.team())
    with django_assert_num_queries(len(seen)):
        assert client.get(page(election)).status_code == 200


def test_the_board_links_to_the_sign_up_links(office):
    election, _shift, _coordinator, client = office
    board = client.get(reverse("staffing:board", args=[election.pk])).content.decode()
    assert page(election) in board


def test_a_held_standby_claim_is_approved_from_the_page(office, committed):
    election, shift, _coordinator, client = office
    seat = Assignment.objects.create(  # as a standby claim on an approval role makes it
        shift=shift,
        volunteer=f.volunteer("sms"),
        status=Status.INVITED,
        awaiting_approval=True,
    )
    assert "1 sign-up awaits approval" in client.get(page(election)).content.decode()
    url = reverse("staffing:approve_signup", args=[election.pk, seat.pk])
    assert committed(client.post, url).status_code == 302
    seat.refresh_from_db()
    assert seat.status == Status.ACCEPTED


# --- a team leader's own join links --------------------------------------------------------


@pytest.fixture
def leader():
    election = f.election(name="Folketingsvalg 2027")
    venstre, other = f.team("Venstre"), f.team("Konservative")
    f.shift(election, team=venstre)  # the team has seats in the election: it is theirs to see
    user = f.user(role="team_leader", teams=[venstre])
    client = Client()
    client.force_login(user)
    return election, venstre, other, client


def test_a_team_leader_makes_and_revokes_their_teams_join_link(leader, committed):
    election, venstre, other, client = leader
    html = client.get(page(election)).content.decode()
    assert 'name="area"' not in html and 'value="seats"' not in html
    assert f'value="{other.pk}"' not in html  # only their own team to choose
    response = client.post(page(election), {"kind": "team", "label": "Stand", "team": venstre.pk})
    assert response.status_code == 302
    link = SignupLink.objects.get()
    assert (link.kind, link.team) == (SignupLink.Kind.TEAM, venstre)
    assert reading.link_url(link) in client.get(page(election)).content.decode()
    revoke = reverse("staffing:revoke_signup_link", args=[election.pk, link.pk])
    assert client.post(revoke).status_code == 302
    link.refresh_from_db()
    assert link.revoked_at is not None


def test_a_team_leader_cannot_make_or_see_other_links(leader):
    election, _venstre, other, client = leader
    assert (
        client.post(page(election), {"kind": "team", "label": "X", "team": other.pk}).status_code
        == 400
    )
    assert client.post(page(election), {"kind": "seats", "label": "X"}).status_code == 400
    seats = services.create_signup_link(election, by=None, label="Plakat")
    theirs = services.create_signup_link(
        election, by=None, label="Konservativ", kind=SignupLink.Kind.TEAM, team=other
    )
    html = client.get(page(election)).content.decode()
    assert "Plakat" not in html and "Konservativ" not in html
    for link in (seats, theirs):
        url = reverse("staffing:revoke_signup_link", args=[election.pk, link.pk])
        assert client.post(url).status_code == 404
    assert not SignupLink.objects.filter(revoked_at__isnull=False).exists()
