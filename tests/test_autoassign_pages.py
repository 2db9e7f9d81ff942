"""The auto-assign pages: start a run and see its figures, one station's diff
against today (unchanged, new, left open with why), lock/drop/swap, the people
left out, accept and the next wave. Each page costs the same queries for 2 or 20
stations and rows; a field error shows at the field; outside one's scope a 404."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from autoassign import explain
from autoassign.models import LeftOut, OpenSeat, Proposal, ProposalRow
from elections.models import Election
from staffing.models import Assignment
from tests import factories as f
from volunteers.models import Volunteer

pytestmark = pytest.mark.django_db
Status = Proposal.Status
State = ProposalRow.State
WISH = next(iter(explain.WISHES))


@pytest.fixture
def client(coordinator) -> Client:
    c = Client()
    c.force_login(coordinator)
    return c


def build(election, stations: int, *, rows_per_shift: int = 1) -> Proposal:
    """``stations`` stations with a shift each: one person seated now, proposed
    rows, one seat left open, one person left out."""
    role = f.role()
    proposal = Proposal.objects.create(
        election=election,
        status=Status.READY,
        open_seats=stations * (rows_per_shift + 1),
        filled=stations * rows_per_shift,
        seat_bound=stations * rows_per_shift,
        score=90.0,
        score_bound=100.0,
        greedy_filled=stations * rows_per_shift - 1,
        greedy_score=50.0,
        stats={"wishes": {WISH: 3}, "greedy_wishes": {WISH: 1}, "seconds": {"total": 1.5}},
    )
    area = f.area()
    for i in range(stations):
        shift = f.shift(
            election,
            station_=f.station(area, name=f"Skole {i:02d}"),
            role_=role,
            capacity=rows_per_shift + 2,
        )
        Assignment.objects.create(
            shift=shift,
            volunteer=f.volunteer(first_name="Gammel"),
            status="accepted",
            responded_at=timezone.now(),
        )
        for _ in range(rows_per_shift):
            ProposalRow.objects.create(
                proposal=proposal,
                shift=shift,
                volunteer=f.volunteer(first_name="Ny"),
                wishes=[WISH],
                score=12,
            )
        OpenSeat.objects.create(
            proposal=proposal,
            shift=shift,
            seats=1,
            code="taken_elsewhere",
            params={"role": role.name, "seats": 1, "n": 3},
        )
        LeftOut.objects.create(
            proposal=proposal,
            volunteer=f.volunteer(first_name="Ude"),
            code="near",
            params={"km": 25},
        )
    return proposal


def row_role(proposal: Proposal) -> str:
    return proposal.rows.select_related("shift__role").first().shift.role.name


def urls(proposal: Proposal) -> dict[str, str]:
    e, p = proposal.election_id, proposal.pk
    row = proposal.rows.order_by("pk").first()
    return {
        "home": reverse("autoassign:home", args=[e]),
        "proposal": reverse("autoassign:proposal", args=[e, p]),
        "station": reverse("autoassign:station", args=[e, p, row.shift.station_id]),
        "left_out": reverse("autoassign:left_out", args=[e, p]),
        "swap": reverse("autoassign:row_swap", args=[e, p, row.pk]),
    }


def test_the_page_shows_the_figures_and_the_stations(client):
    proposal = build(f.election(), 2)
    page = client.get(reverse("autoassign:home", args=[proposal.election_id]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Ready to review" in text
    assert "10.00 %" in text  # the gap from the bound
    assert "Skole 00" in text and "Skole 01" in text
    assert "Run auto-assign" in text
    assert str(explain.WISHES[WISH]) in text
    assert "2 people who could help were left out" in text


def test_the_page_without_a_proposal_offers_to_run(client):
    election = f.election()
    f.shift(election)
    page = client.get(reverse("autoassign:home", args=[election.pk]))
    assert page.status_code == 200
    assert "No proposal has been made" in page.content.decode()


def test_a_run_in_progress_is_polled_with_htmx(client):
    election = f.election()
    proposal = Proposal.objects.create(
        election=election, status=Status.RUNNING, progress=40, stage="Solving"
    )
    page = client.get(reverse("autoassign:home", args=[election.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in page
    assert reverse("autoassign:proposal", args=[election.pk, proposal.pk]) in page
    assert 'value="40"' in page and "Solving: 40 % done." in page


def test_running_starts_a_proposal_and_field_errors_show(client, coordinator, settings):
    election = f.election()
    north, south = f.area("Nord"), f.area("Syd")
    shift = f.shift(election, station_=f.station(north))
    f.shift(election, station_=f.station(south))
    url = reverse("autoassign:run", args=[election.pk])
    # A station outside the area chosen, and a time limit too long: said at the fields.
    page = client.post(url, {"area": south.pk, "station": shift.station_id, "time_limit": "99999"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "This polling station is not in the area chosen." in text
    assert "form-error-message" in text
    assert not Proposal.objects.exists()


def test_a_second_run_while_one_works_is_refused_with_the_reason(client):
    election = f.election()
    f.shift(election)
    Proposal.objects.create(election=election, status=Status.QUEUED)
    page = client.post(reverse("autoassign:run", args=[election.pk]), {})
    assert page.status_code == 200
    assert "under way" in page.content.decode()
    assert Proposal.objects.count() == 1


def test_the_station_page_shows_the_diff(client):
    proposal = build(f.election(), 2, rows_per_shift=2)
    text = client.get(urls(proposal)["station"]).content.decode()
    assert text.count("Unchanged") >= 1 and "Gammel" in text
    assert text.count(">New<") == 2
    assert (
        explain.open_seat_text("taken_elsewhere", {"role": row_role(proposal), "seats": 1, "n": 3})
        in text
    )
    assert "1 seat left open" in text
    assert str(explain.WISHES[WISH]) in text


def test_lock_and_drop_with_htmx_return_the_row(client):
    proposal = build(f.election(), 1)
    row = proposal.rows.get()
    lock = reverse("autoassign:row_lock", args=[proposal.election_id, proposal.pk, row.pk])
    answer = client.post(lock, {"locked": "1"}, headers={"HX-Request": "true"})
    assert answer.status_code == 200
    assert f'id="row-{row.pk}"' in answer.content.decode() and "Unlock" in answer.content.decode()
    row.refresh_from_db()
    assert row.locked
    drop = reverse("autoassign:row_drop", args=[proposal.election_id, proposal.pk, row.pk])
    answer = client.post(drop, {"dropped": "1"})  # without htmx: back to the station
    assert answer.status_code == 302 and answer.url.endswith(f"#row-{row.pk}")
    row.refresh_from_db()
    assert row.dropped


def test_a_refused_change_says_why_in_the_row(client):
    proposal = build(f.election(), 1)
    Proposal.objects.filter(pk=proposal.pk).update(status=Status.DISCARDED)
    row = proposal.rows.get()
    lock = reverse("autoassign:row_lock", args=[proposal.election_id, proposal.pk, row.pk])
    answer = client.post(lock, {"locked": "1"}, headers={"HX-Request": "true"})
    assert "not ready for review" in answer.content.decode()


def test_swap_lists_people_with_why_not_and_swaps(client):
    proposal = build(f.election(), 1)
    row = proposal.rows.get()
    shift = row.shift
    f.volunteer(first_name="Vibeke", last_name="Ærø")
    f.volunteer(first_name="Villy", last_name="Ærø", do_not_contact=True)
    page = client.get(urls(proposal)["swap"], {"q": "ærø"})
    text = page.content.decode()
    assert "Vibeke" in text and "Villy" in text and "do not contact" in text
    assert text.count(">Choose<") == 1
    chosen = Volunteer.objects.get(first_name="Vibeke")
    answer = client.post(urls(proposal)["swap"], {"volunteer": chosen.pk})
    assert answer.status_code == 302
    row.refresh_from_db()
    assert row.volunteer == chosen and row.by_hand
    # Someone refused: the page again, with the reason.
    villy = Volunteer.objects.get(first_name="Villy")
    again = client.post(urls(proposal)["swap"], {"volunteer": villy.pk})
    assert again.status_code == 200 and "do not contact" in again.content.decode()
    assert shift.pk == row.shift_id


def test_swap_of_someone_outside_ones_scope_is_a_field_error(client):
    proposal = build(f.election(), 1)
    answer = client.post(urls(proposal)["swap"], {"volunteer": 999999})
    assert answer.status_code == 200
    assert "Choose someone from the list." in answer.content.decode()


def test_the_left_out_list_with_reasons(client):
    proposal = build(f.election(), 3)
    text = client.get(urls(proposal)["left_out"]).content.decode()
    assert text.count("Ude") == 3
    assert explain.left_out_text("near", {"km": 25}) in text


def test_accept_with_a_wave_size_and_the_next_wave(client, django_capture_on_commit_callbacks):
    proposal = build(f.election(), 3)
    accept = reverse("autoassign:accept", args=[proposal.election_id, proposal.pk])
    assert "form-error-message" in client.post(accept, {"size": "0"}).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(accept, {"size": "2"})
    assert answer.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == Status.ACCEPTED
    assert proposal.rows.filter(state=State.INVITED).count() == 2
    page = client.get(answer.url).content.decode()
    assert "Send the next wave" in page
    wave = reverse("autoassign:wave", args=[proposal.election_id, proposal.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(wave, {})
    assert proposal.rows.filter(state=State.INVITED).count() == 3
    assert "Send the next wave" not in client.get(answer.url).content.decode()


def test_accept_in_a_draft_election_says_why(client):
    election = f.election(status=Election.Status.DRAFT)
    proposal = build(election, 1)
    answer = client.post(reverse("autoassign:accept", args=[election.pk, proposal.pk]), {})
    assert answer.status_code == 200
    assert "not active yet" in answer.content.decode()


def test_discard(client):
    proposal = build(f.election(), 1)
    answer = client.post(reverse("autoassign:discard", args=[proposal.election_id, proposal.pk]))
    assert answer.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == Status.DISCARDED


def test_pages_of_another_elections_proposal_are_404(client):
    proposal = build(f.election(), 1)
    other = f.election()
    row = proposal.rows.get()
    for url in (
        reverse("autoassign:proposal", args=[other.pk, proposal.pk]),
        reverse("autoassign:station", args=[other.pk, proposal.pk, row.shift.station_id]),
        reverse("autoassign:row_swap", args=[other.pk, proposal.pk, row.pk]),
        reverse("autoassign:left_out", args=[other.pk, proposal.pk]),
        reverse("autoassign:station", args=[proposal.election_id, proposal.pk, f.station().pk]),
    ):
        assert client.get(url).status_code == 404, url


def test_a_coordinator_of_another_election_gets_404(outsider):
    proposal = build(f.election(), 1)
    other = f.election()
    c = Client()
    c.force_login(f.user(coordinator=True, elections=[other]))
    for url in urls(proposal).values():
        assert c.get(url).status_code == 404, url


# The session, the user, their grants (scope), the election, the proposal, then:
QUERIES = {
    # the weights (wave size), the run form's choices (days, areas, stations, roles),
    # the stations' seats, the stations, the seats held, the rows and the seats
    # left open per station, the people left out per reason. (The latest proposal
    # is the page's proposal: not looked up a second time.)
    "home": 16,
    # the station, its shifts, the seats held, the rows, the seats left open; the
    # read is audited.
    "station": 11,
    # the reasons (with an example each), the count and the page; audited.
    "left_out": 10,
    # the people without a seat (suggest: 2), the invitation rules (history,
    # overlaps: 4), the proposal's other rows, the seats held, the preferences,
    # the weights, the role's required skills, the party rules; audited.
    "swap": 18,
}


@pytest.mark.parametrize("page", sorted(QUERIES))
def test_pages_cost_the_same_queries_for_2_or_20(client, page, django_assert_num_queries):
    small = urls(build(f.election(), 2))[page]
    large = urls(build(f.election(), 20))[page]
    client.get(small)  # warm: the session, the organisation
    with django_assert_num_queries(QUERIES[page]):
        assert client.get(small).status_code == 200
    with django_assert_num_queries(QUERIES[page]):
        assert client.get(large).status_code == 200


def test_the_station_page_costs_the_same_for_2_or_20_rows(client, django_assert_num_queries):
    small = urls(build(f.election(), 1, rows_per_shift=2))["station"]
    large = urls(build(f.election(), 1, rows_per_shift=20))["station"]
    client.get(small)
    with django_assert_num_queries(QUERIES["station"]):
        client.get(small)
    with django_assert_num_queries(QUERIES["station"]):
        client.get(large)


def test_a_wave_being_sent_is_polled_and_can_be_sent_again(
    client, django_capture_on_commit_callbacks
):
    proposal = build(f.election(), 2)
    url = reverse("autoassign:accept", args=[proposal.election_id, proposal.pk])
    client.post(url, {"size": "1"})  # the wave's task is not run: it stays "being sent"
    page_url = reverse("autoassign:proposal", args=[proposal.election_id, proposal.pk])
    page = client.get(page_url).content.decode()
    assert 'hx-trigger="every 2s"' in page and "Send the wave again" in page
    wave = reverse("autoassign:wave", args=[proposal.election_id, proposal.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(wave, {"resend": "1"}).status_code == 302
    assert proposal.rows.filter(state=State.INVITED).count() == 1
    assert "Send the wave again" not in client.get(page_url).content.decode()
