"""The volunteer's personal link: no login, one uniform 404, private headers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.views import answer_token
from staffing import services
from staffing.links import issue_link
from staffing.models import Assignment, PersonalLink, hash_token
from tests import factories as f

pytestmark = pytest.mark.django_db
Status = Assignment.Status


@pytest.fixture
def invited():
    shift = f.shift(capacity=2, role_=f.role("Tilforordnet", description="Hjælper vælgerne."))
    volunteer = f.volunteer(first_name="Mette", last_name="Frandsen")
    [assignment] = services.invite(shift, [volunteer], by=None).invited
    token = issue_link(volunteer, shift.election)
    return assignment, token


def portal(token: str) -> str:
    return reverse("portal:home", args=[token])


def action(token: str, assignment: Assignment, what: str) -> str:
    return reverse(f"portal:{what}", args=[token, assignment.pk])


def form(token: str, assignment: Assignment, **data: str) -> dict[str, str]:
    """What the page's answer form sends: its fields and the link-bound form token."""
    link = PersonalLink.objects.get(token_hash=hash_token(token))
    return {"answer_token": answer_token(link, assignment.pk), **data}


def assert_private(response) -> None:
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response["X-Robots-Tag"]


def test_link_shows_the_shift_with_answers(client, invited):
    assignment, token = invited
    response = client.get(portal(token))
    assert response.status_code == 200
    assert_private(response)
    page = response.content.decode()
    assert "Hi Mette" in page
    assert "Tilforordnet" in page and "Hjælper vælgerne." in page
    assert assignment.shift.station.name in page
    assert action(token, assignment, "accept") in page
    assert action(token, assignment, "decline") in page
    assert PersonalLink.objects.get(token_hash=hash_token(token)).last_used_at


def test_accept_by_link(client, invited, mailoutbox, committed):
    assignment, token = invited
    response = committed(client.post, action(token, assignment, "accept"), form(token, assignment))
    assert response.status_code == 302 and response["Location"] == portal(token)
    assert_private(response)
    assignment.refresh_from_db()
    assert assignment.status == Status.ACCEPTED
    page = client.get(portal(token)).content.decode()
    assert "You are booked as Tilforordnet" in page
    assert "Cancel my shift" in page
    assert mailoutbox[-1].subject.startswith("Confirmed:")


def test_decline_by_link_with_reason(client, invited):
    assignment, token = invited
    client.post(
        action(token, assignment, "decline"), form(token, assignment, reason="Jeg er på ferie")
    )
    assignment.refresh_from_db()
    assert (assignment.status, assignment.reason) == (Status.DECLINED, "Jeg er på ferie")
    page = client.get(portal(token)).content.decode()
    assert "Thank you for answering" in page
    assert "Accept after all" in page


def test_full_shift_gets_a_clear_answer_not_an_error(client, invited):
    assignment, token = invited
    services.decline(assignment)
    services.invite(assignment.shift, [f.volunteer(), f.volunteer()], by=None)
    response = client.post(
        action(token, assignment, "accept"), form(token, assignment), follow=True
    )
    assert response.status_code == 200
    assert "All seats on this shift are taken." in response.content.decode()
    assignment.refresh_from_db()
    assert assignment.status == Status.DECLINED


def test_a_late_invitation_can_still_be_answered(client):
    """Invited inside the lock period (a last-minute replacement): the first answer
    is still possible online; only changing it afterwards is locked."""
    e = f.election(days_ahead=1, lock_days=3)
    v = f.volunteer()
    [a] = services.invite(f.shift(e), [v], by=None).invited
    token = issue_link(v, e)
    page = client.get(portal(token)).content.decode()
    assert action(token, a, "accept") in page
    client.post(action(token, a, "accept"), form(token, a))
    a.refresh_from_db()
    assert a.status == Status.ACCEPTED

    page = client.get(portal(token)).content.decode()
    assert "can no longer be changed online" in page
    assert action(token, a, "decline") not in page
    response = client.post(action(token, a, "decline"), form(token, a), follow=True)
    assert "can no longer be changed online" in response.content.decode()
    a.refresh_from_db()
    assert a.status == Status.ACCEPTED


def test_overnight_shift_says_it_ends_the_next_day(client):
    e = f.election()
    v = f.volunteer()
    start = f.at(e.election_date, 20)
    shift = f.shift(e)
    type(shift).objects.filter(pk=shift.pk).update(
        starts_at=start, ends_at=start + timedelta(hours=5)
    )
    services.invite(shift, [v], by=None)
    page = client.get(portal(issue_link(v, e))).content.decode()
    assert "20:00\u201301:00 (the next day)" in page


def test_removed_by_the_office_hides_older_answers(client, invited):
    assignment, token = invited
    services.decline(assignment)
    [again] = services.invite(assignment.shift, [f.volunteer()], by=None).invited
    services.decline(again)
    # The office took the volunteer off (set directly until the removal action lands).
    removed = Assignment.objects.create(
        shift=assignment.shift, volunteer=assignment.volunteer, status=Status.REMOVED
    )
    page = client.get(portal(token)).content.decode()
    assert "has taken you off this shift" in page
    assert action(token, assignment, "accept") not in page
    response = client.post(
        action(token, assignment, "accept"), form(token, assignment), follow=True
    )
    assert "can no longer be accepted" in response.content.decode()
    assignment.refresh_from_db()
    assert assignment.status == Status.DECLINED
    assert removed.pk


def test_office_contact_is_shown_when_configured(client, invited, settings):
    _assignment, token = invited
    settings.ELECTION_OFFICE_CONTACT = "Valgsekretariatet, 33 66 33 66"
    assert "Valgsekretariatet, 33 66 33 66" in client.get(portal(token)).content.decode()
    assert "Valgsekretariatet, 33 66 33 66" in client.get(portal("x" * 43)).content.decode()


def _not_found_body(client) -> bytes:
    return client.get(portal("x" * 43)).content


@pytest.mark.parametrize("spoil", ["unknown", "revoked", "expired", "too_long", "empty_ish"])
def test_every_bad_token_gets_the_same_404(client, invited, spoil):
    assignment, token = invited
    link = PersonalLink.objects.get(token_hash=hash_token(token))
    if spoil == "unknown":
        token = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    elif spoil == "revoked":
        PersonalLink.objects.filter(pk=link.pk).update(revoked_at=timezone.now())
    elif spoil == "expired":
        PersonalLink.objects.filter(pk=link.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
    elif spoil == "too_long":
        token = token * 3
    else:
        token = "-"
    for response in (client.get(portal(token)), client.post(action(token, assignment, "accept"))):
        assert response.status_code == 404
        assert_private(response)
        assert response.content == _not_found_body(client)
    assignment.refresh_from_db()
    assert assignment.status == Status.INVITED


def test_someone_elses_assignment_is_404(client, invited):
    assignment, _token = invited
    other = f.volunteer()
    other_token = issue_link(other, assignment.shift.election)
    response = client.post(action(other_token, assignment, "accept"), form(other_token, assignment))
    assert response.status_code == 404
    assert response.content == _not_found_body(client)
    assignment.refresh_from_db()
    assert assignment.status == Status.INVITED


def test_link_for_another_election_does_not_reach_this_one(client, invited):
    assignment, _token = invited
    token_elsewhere = issue_link(assignment.volunteer, f.election())
    response = client.post(
        action(token_elsewhere, assignment, "accept"), form(token_elsewhere, assignment)
    )
    assert response.status_code == 404


def test_answers_are_posts_with_a_form_token(invited):
    assignment, token = invited
    strict = Client(enforce_csrf_checks=True)
    url = action(token, assignment, "accept")
    # A wrong method gets the same 404 as a bad token: no validity oracle.
    assert strict.get(url).status_code == 404
    assert strict.get(action("x" * 43, assignment, "accept")).status_code == 404
    [elsewhere] = services.invite(assignment.shift, [f.volunteer()], by=None).invited
    for forged in ({}, {"answer_token": "0" * 64}, form(token, elsewhere)):
        response = strict.post(url, forged)
        assert response.status_code == 403
        assert "Please try again" in response.content.decode()
        assert_private(response)
    assignment.refresh_from_db()
    assert assignment.status == Status.INVITED
    # The real form works even as browsers send it under no-referrer: Origin null.
    response = strict.post(url, form(token, assignment), HTTP_ORIGIN="null")
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.status == Status.ACCEPTED


def test_token_is_stored_only_as_a_hash(invited):
    _assignment, token = invited
    assert len(token) >= 43  # 32 random bytes, URL-safe
    assert not PersonalLink.objects.filter(token_hash=token).exists()
    assert PersonalLink.objects.filter(token_hash=hash_token(token)).exists()


def test_page_is_in_the_volunteers_language(client, invited):
    assignment, token = invited
    assignment.volunteer.language = "da"
    assignment.volunteer.save()
    response = client.get(portal(token), HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Language"] == "da"
    assert '<html lang="da">' in response.content.decode()


def test_query_count_does_not_grow_with_shifts(client, django_assert_max_num_queries):
    e = f.election()
    v = f.volunteer()
    token = issue_link(v, e)

    def add_shifts(first_hour: int, count: int) -> None:
        for hour in range(first_hour, first_hour + count):
            services.invite(f.shift(e, start=hour, end=hour + 1), [v], by=None)

    add_shifts(8, 2)
    # link lookup, last_used update, assignments with shift/role/station/election,
    # plus session/messages bookkeeping.
    with django_assert_max_num_queries(6) as few:
        client.get(portal(token))
    add_shifts(10, 8)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(portal(token))
    assert response.content.decode().count("Waiting for your answer") == 10


def test_opening_the_page_again_soon_writes_nothing(client, invited, django_assert_num_queries):
    """ "Last opened" is kept to five minutes: a page read again sooner makes no
    write (under load a write and its commit per read cost more than the page)."""
    _assignment, token = invited
    link = PersonalLink.objects.get(token_hash=hash_token(token))
    client.get(portal(token))
    first = PersonalLink.objects.get(pk=link.pk).last_used_at
    with django_assert_num_queries(2):  # the link, the seats: no UPDATE
        client.get(portal(token))
    assert PersonalLink.objects.get(pk=link.pk).last_used_at == first
    PersonalLink.objects.filter(pk=link.pk).update(last_used_at=first - timedelta(minutes=6))
    client.get(portal(token))
    assert PersonalLink.objects.get(pk=link.pk).last_used_at > first - timedelta(minutes=1)
