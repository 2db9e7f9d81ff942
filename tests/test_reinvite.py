"""Inviting the previous election's volunteers into a copy, through the pages: the
request starts a Celery job (eager here, on commit; a real worker at the end),
the run's page shows its progress and then who was invited to which shift and
who was not, by reason, a page at a time."""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry
from elections.models import Election, Shift
from elections.services.copying import copy_election
from notifications.models import Message
from staffing import reinvite, services
from staffing.models import Assignment, ReinviteRow, ReinviteRun
from staffing.views import reinvite as views
from tests import factories as f
from tests import test_worker as worker_tests
from tests.test_election_pages import login, notices, page

Status = Election.Status


def build(extra_people: int = 0, tag: str = "") -> tuple[Election, Election, dict]:
    """Folketingsvalg 2027 with accepted people, copied (active) a year later, where:
        Anna and Erik may be invited again; Bo left the party his seat is reserved for;
        Cecilie is "do not contact"; Dorte's counting seat is gone; Ib is under the
        chair's raised minimum age; one of Frida and Gitte finds Sydhallen's one seat
        taken. ``extra_people`` more clerks at Nordskolen, all invitable. ``tag`` tells
    the names of a second such world apart."""
    day = timezone.localdate() + timedelta(days=20)
    source = f.election(election_date=day, name=f"Folketingsvalg 2027{tag}")
    north = f.station(f.area(f"Nord{tag}"), name=f"Nordskolen{tag}")
    south = f.station(f.area(f"Syd{tag}"), name=f"Sydhallen{tag}")
    clerk, counter = f.role(f"Tilforordnet{tag}"), f.role(f"Tæller{tag}")
    chair, party = f.role(f"Valgstyrer{tag}"), f.team(f"Venstre{tag}")

    def shift(station, role, capacity, team=None, start=8, end=20):
        source.areas.add(station.area_id)
        return Shift.objects.create(
            election=source,
            station=station,
            role=role,
            team=team,
            starts_at=f.at(day, start),
            ends_at=f.at(day, end),
            capacity=capacity,
        )

    open_shift = shift(north, clerk, 5 + extra_people)
    party_shift = shift(north, clerk, 2, team=party)
    chair_shift = shift(north, chair, 1)
    count_shift = shift(south, counter, 1, start=20, end=23)
    south_clerks = shift(south, clerk, 2)

    def seated(at_shift, first, last, **kw):
        volunteer = f.volunteer(first_name=first, last_name=last, **kw)
        if at_shift.team_id:
            volunteer.teams.add(at_shift.team_id)
        services.accept(services.invite(at_shift, [volunteer], by=None).invited[0])
        return volunteer

    people = {
        "anna": seated(open_shift, "Anna", "Andersen"),
        "bo": seated(party_shift, "Bo", "Berg"),
        "cecilie": seated(open_shift, "Cecilie", "<i>Carlsen</i>"),
        "dorte": seated(count_shift, "Dorte", "Dam"),
        "erik": seated(party_shift, "Erik", "Eriksen"),
        "frida": seated(south_clerks, "Frida", "Frost"),
        "gitte": seated(south_clerks, "Gitte", "Gul"),
        "ib": seated(chair_shift, "Ib", "Iversen", born=date(1990, 1, 1)),
    }
    for i in range(extra_people):
        seated(open_shift, f"Extra{i:03}", "Ekstra")
    people["bo"].teams.remove(party)
    people["cecilie"].do_not_contact = True
    people["cecilie"].save()
    chair.min_age = 80
    chair.save()
    copy = copy_election(
        source, name=f"Folketingsvalg 2028{tag}", election_date=day + timedelta(days=364), by=None
    )
    copy.shifts.filter(station=south, role=counter).delete()  # no counting at Sydhallen
    copy.shifts.filter(station=south, role=clerk).update(capacity=1)
    Election.objects.filter(pk=copy.pk).update(status=Status.ACTIVE)
    return source, Election.objects.get(pk=copy.pk), people


@pytest.fixture
def copied(db):
    source, copy, people = build()
    return source, copy, people


def start_url(copy) -> str:
    return reverse("staffing:election_reinvite", args=[copy.pk])


def run_url(run) -> str:
    return reverse("staffing:election_reinvite_run", args=[run.election_id, run.pk])


def post_and_run(client, copy, django_capture_on_commit_callbacks):
    """POST the start form; the job runs on commit (eagerly, as without a broker)."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(start_url(copy))
    return response


def test_the_job_invites_the_eligible_and_the_page_says_why_not_for_the_rest(
    copied, coordinator, django_capture_on_commit_callbacks
):
    _, copy, _ = copied
    client = login(coordinator)
    start = page(client.get(start_url(copy)))
    assert "8 people accepted seats in <bdi>Folketingsvalg 2027</bdi>." in start
    assert "It runs in the background" in start

    response = post_and_run(client, copy, django_capture_on_commit_callbacks)

    (run,) = ReinviteRun.objects.all()
    assert response.status_code == 302
    assert response["Location"] == run_url(run)
    assert (run.status, run.requested_by, run.total) == ("done", coordinator, 8)
    assert (run.invited, run.not_invited) == (3, 5)
    text = page(client.get(run_url(run)))
    assert '<h2 id="progress-heading">' in text and "Done" in text
    assert "8 of 8 previous seats handled." in text
    assert "3 invitations sent" in text and "5 not invited" in text
    assert "hx-trigger" not in text and ">Refresh</a>" not in text  # finished: nothing to reload
    # The groups, in the reader's language, with their counts.
    for group in (
        "Invited (3)",
        "Not invited: No such seat in this election (1)",
        "Not invited: Marked “do not contact” (1)",
        "Not invited: No longer in the team the seat is reserved for (1)",
        "Not invited: Under the role&#x27;s minimum age on the new date (1)",
        "Not invited: No free seat left (1)",
    ):
        assert group in text, group

    def listed(show: str) -> str:
        return page(client.get(run_url(run), {"show": show}))

    assert "reserved for Venstre, and Bo Berg is not a member" in listed("team_reserved")
    dnc = listed("do_not_contact")
    assert "Cecilie &lt;i&gt;Carlsen&lt;/i&gt; is marked “do not contact”." in dnc  # escaped
    assert "<i>Carlsen" not in dnc
    assert "There is no Tæller seat at Sydhallen in this election." in listed("no_seat")
    assert "Ib Iversen is under 80" in listed("too_young")
    assert "All seats on this shift are taken." in listed("full")
    invited_list = listed("invited")
    for name in ("Anna Andersen", "Erik Eriksen"):
        assert name in invited_list
    assert "Tilforordnet</bdi>, <bdi>Nordskolen</bdi> (<bdi>Venstre</bdi>)" in invited_list
    # Frida or Gitte: whoever got Sydhallen's one seat is listed as invited.
    (south,) = Assignment.objects.filter(shift__election=copy, shift__station__name="Sydhallen")
    assert south.volunteer.full_name in invited_list
    # Through the invitation service: as the requester, audited, messages queued.
    made = Assignment.objects.filter(shift__election=copy)
    assert {(a.status, a.invited_by) for a in made} == {("invited", coordinator)}
    assert Message.objects.filter(subject_id__in=[a.pk for a in made]).count() == 3
    assert AuditEntry.objects.filter(action="staffing.invite", actor=coordinator).count() == 3
    (entry,) = AuditEntry.objects.filter(action="staffing.reinvite_previous")
    assert (entry.actor, entry.election_id, entry.detail["invited"]) == (coordinator, copy.pk, 3)
    # The start page links the result and offers another round (nobody invited twice).
    again = page(client.get(start_url(copy)))
    assert run_url(run) in again
    assert "Invite them again" in again


def test_in_a_draft_the_start_is_refused_with_the_reason(copied, coordinator):
    _, copy, _ = copied
    Election.objects.filter(pk=copy.pk).update(status=Status.DRAFT)
    client = login(coordinator)
    text = page(client.get(start_url(copy)))
    assert "Inviting only works in an active election: this one is a draft." in text
    response = client.post(start_url(copy))
    assert response.status_code == 200
    assert "is not active" in page(response)
    assert not ReinviteRun.objects.exists()


def test_while_a_run_waits_the_page_refreshes_and_a_second_request_shows_it(copied, coordinator):
    _, copy, _ = copied
    client = login(coordinator)
    first = client.post(start_url(copy))  # no commit in this test: the job has not run
    (run,) = ReinviteRun.objects.all()
    assert run.status == "queued" and first["Location"] == run_url(run)
    text = page(client.get(run_url(run)))
    assert "Waiting to start" in text
    # Without JavaScript, a link; with htmx, the progress and list reload themselves.
    assert f'href="{run_url(run)}?show=invited&amp;page=1">Refresh</a>' in text
    assert 'hx-trigger="every 3s" hx-select="#reinvite-run"' in text
    assert "Go on" not in text

    second = client.post(start_url(copy), follow=True)

    assert ReinviteRun.objects.count() == 1
    assert second.redirect_chain == [(run_url(run), 302)]
    assert notices(second) == [
        "The previous volunteers are being invited already: this is how far it is."
    ]
    assert "See how far it has come" in page(client.get(start_url(copy)))
    assert not Assignment.objects.filter(shift__election=copy).exists()


def test_a_stalled_run_is_offered_to_go_on_and_does(
    copied, coordinator, django_capture_on_commit_callbacks
):
    _, copy, _ = copied
    client = login(coordinator)
    client.post(start_url(copy))  # the job never ran (a broker outage, say)
    (run,) = ReinviteRun.objects.all()
    ReinviteRun.objects.filter(pk=run.pk).update(
        updated_at=timezone.now() - reinvite.STALLED_AFTER - timedelta(seconds=1)
    )
    text = page(client.get(run_url(run)))
    assert "the job seems to have stopped" in text
    assert "hx-trigger" not in text  # no point reloading: it says so, and offers to go on
    assert "Go on" in text

    response = post_and_run(client, copy, django_capture_on_commit_callbacks)

    assert response["Location"] == run_url(run)
    run.refresh_from_db()
    assert (run.status, run.invited, run.not_invited) == ("done", 3, 5)


def test_a_run_that_stopped_goes_on_where_it_stopped(
    copied, coordinator, monkeypatch, django_capture_on_commit_callbacks
):
    """A shift per chunk; the second chunk hits an error: its invitations and rows
    are undone, the first chunk's stay. Going on invites the rest, nobody twice."""
    _, copy, _ = copied
    monkeypatch.setattr(reinvite, "CHUNK_PEOPLE", 1)
    real_invite, calls = services.invite, []

    def fails_the_second_time(shift, volunteers, *, by):
        calls.append(shift.pk)
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return real_invite(shift, volunteers, by=by)

    monkeypatch.setattr(services, "invite", fails_the_second_time)
    client = login(coordinator)
    post_and_run(client, copy, django_capture_on_commit_callbacks)
    (run,) = ReinviteRun.objects.all()
    assert run.status == "failed"
    done_first = run.processed
    assert 0 < done_first < 8
    assert Assignment.objects.filter(shift__election=copy).count() == run.invited
    text = page(client.get(run_url(run)))
    assert "Stopped before the end" in text
    assert "Stopped by an error. Going on continues where it stopped." in text
    assert "Go on" in text
    assert "Go on" in page(client.get(start_url(copy)))

    monkeypatch.setattr(services, "invite", real_invite)
    post_and_run(client, copy, django_capture_on_commit_callbacks)

    run.refresh_from_db()
    assert (run.status, run.invited, run.not_invited, run.error) == ("done", 3, 5, "")
    assert ReinviteRun.objects.count() == 1
    assert run.rows.count() == 8
    assert Assignment.objects.filter(shift__election=copy).count() == 3
    assert not run.rows.filter(reason_code="already_on_shift").exists()


def test_the_pages_are_only_for_who_manages_the_copy_and_its_source(
    copied, coordinator, django_capture_on_commit_callbacks
):
    source, copy, _ = copied
    post_and_run(login(coordinator), copy, django_capture_on_commit_callbacks)
    (run,) = ReinviteRun.objects.all()
    limited = login(f.user("lokal@kommune.dk", role="coordinator", elections=[copy]))
    assert limited.get(start_url(copy)).status_code == 404
    assert limited.post(start_url(copy)).status_code == 404
    assert limited.get(run_url(run)).status_code == 404
    station = copy.shifts.first().station
    for other in (
        f.user(role="viewer"),
        f.user(role="station_manager", stations=[station]),
        f.user(role="team_leader", teams=[f.team("Venstre 2")]),
        f.user(),
    ):
        assert login(other).get(run_url(run)).status_code == 404, other
    both = login(f.user(role="coordinator", elections=[copy, source]))
    assert both.get(run_url(run)).status_code == 200
    # A run through another election's URL, or no run at all: not found.
    other_copy = copy_election(
        source, name="Anden kopi", election_date=copy.election_date + timedelta(days=7), by=None
    )
    elsewhere = reverse("staffing:election_reinvite_run", args=[other_copy.pk, run.pk])
    assert login(coordinator).get(elsewhere).status_code == 404
    missing = reverse("staffing:election_reinvite_run", args=[copy.pk, run.pk + 1000])
    assert login(coordinator).get(missing).status_code == 404
    # Not a copy: nothing to invite from.
    plain = reverse("staffing:election_reinvite", args=[source.pk])
    assert login(coordinator).get(plain).status_code == 404


def test_the_result_is_paged_and_odd_parameters_fall_back(
    copied, coordinator, monkeypatch, django_capture_on_commit_callbacks
):
    _, copy, _ = copied
    monkeypatch.setattr(views, "ROWS_PER_PAGE", 2)
    client = login(coordinator)
    post_and_run(client, copy, django_capture_on_commit_callbacks)
    (run,) = ReinviteRun.objects.all()
    first = page(client.get(run_url(run), {"show": "invited"}))
    assert "Page 1 of 2" in first
    assert first.count("<tr>") == 3  # the header and two people, in Danish name order
    assert first.index("Anna Andersen") < first.index("Erik Eriksen")
    second = page(client.get(run_url(run), {"show": "invited", "page": "2"}))
    assert "Page 2 of 2" in second and "Anna Andersen" not in second
    for odd in (
        {"show": "<script>", "page": "x"},
        {"page": "99999999999999999999"},
        {"page": "-1"},
    ):
        response = client.get(run_url(run), odd)
        assert response.status_code == 200, odd
        assert "<script>" not in page(response)


def test_the_result_page_costs_the_same_queries_for_8_or_58_people(
    coordinator, monkeypatch, django_capture_on_commit_callbacks, django_assert_num_queries
):
    monkeypatch.setattr(views, "ROWS_PER_PAGE", 20)
    client = login(coordinator)
    runs = []
    for extra in (0, 50):
        _, copy, _ = build(extra, tag=f" ({extra})")
        post_and_run(client, copy, django_capture_on_commit_callbacks)
        runs.append(ReinviteRun.objects.get(election=copy))
    assert [r.total for r in runs] == [8, 58]
    assert runs[1].invited == 53
    # session, user, the user's grants, the copy, its source, the run, the counts per
    # reason, the list's count, the page's ids in name order, the page's rows (people,
    # both shifts, their stations and roles, the team)
    for run in runs:
        for query in ({}, {"show": "invited"}, {"show": "invited", "page": "3"}):
            with django_assert_num_queries(10):
                response = client.get(run_url(run), query)
            assert response.status_code == 200
    assert "Page 3 of 3" in page(client.get(run_url(runs[1]), {"show": "invited", "page": "3"}))


# --- a real worker ---------------------------------------------------------------------------

worker = worker_tests.worker  # a real Celery worker in a thread (tests/test_worker.py)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_job(worker, coordinator):
    _, copy, _ = build()
    client = login(coordinator)
    response = client.post(start_url(copy))  # committed: published, picked up by the worker
    (run,) = ReinviteRun.objects.all()
    assert response["Location"] == run_url(run)
    deadline = time.monotonic() + 30
    while run.status != "done" and time.monotonic() < deadline:
        time.sleep(0.1)
        run.refresh_from_db()
    assert (run.status, run.invited, run.not_invited) == ("done", 3, 5)
    assert ReinviteRow.objects.filter(run=run).count() == 8
    assert Assignment.objects.filter(shift__election=copy).count() == 3
