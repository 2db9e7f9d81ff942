"""The personal page, more complete (issue 10, first part): the job in the
volunteer's language, what to bring, pay, a map link, the answer-by date, the
office's number where answers are locked; the language switch, remembered; the
shift as an .ics file and the private calendar feed (parsed back with
icalendar): stable UIDs, a sequence that grows when the shift changes, cancelled
seats gone, the uniform 404 for a bad feed token, private headers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from accounts.models import AuditEntry
from notifications.models import Message
from portal.views import answer_token
from staffing import services
from staffing.links import issue_link
from staffing.models import Assignment, CalendarFeed, PersonalLink, hash_token
from staffing.services.shifts import update_shift
from tests import factories as f

pytestmark = pytest.mark.django_db
Status = Assignment.Status


@pytest.fixture
def booked(settings):
    settings.ELECTION_OFFICE_CONTACT = "Valgsekretariatet, 33 66 33 66"
    role = f.role(
        "Valgstyrer",
        description="Leder valgstedet.",
        description_en="Runs the polling station.",
        what_to_bring="Madpakke",
        what_to_bring_en="A packed lunch",
        pay="1200.50",
    )
    shift = f.shift(capacity=3, role_=role, station_=f.station(f.area("Nord"), name="Nordskolen"))
    person = f.volunteer(first_name="Mette", language="en")
    [seat] = services.invite(shift, [person], by=None).invited
    seat = services.accept(seat)
    return seat, issue_link(person, shift.election)


def page(token: str) -> str:
    return reverse("portal:home", args=[token])


def events(body: bytes) -> list:
    return list(Calendar.from_ical(body).walk("VEVENT"))


def feed_url(client: Client, token: str) -> str:
    return client.get(page(token)).context["feed_url"].replace("http://testserver", "")


def test_the_page_says_the_job_in_the_volunteers_language_with_pay_and_map(client, booked):
    _seat, token = booked
    html = client.get(page(token)).content.decode()
    assert "Runs the polling station." in html and "Leder valgstedet." not in html
    assert "A packed lunch" in html
    assert "1,200.50 kr." in html
    assert "https://www.openstreetmap.org/search?query=" in html
    assert "Add to my calendar (.ics)" in html


def test_an_invitation_shows_the_answer_by_date_in_danish(client):
    role = f.role("Valgstyrer", description="Leder valgstedet.", description_en="")
    shift = f.shift(role_=role)
    person = f.volunteer(language="en")
    services.invite(shift, [person], by=None)
    html = client.get(page(issue_link(person, shift.election))).content.decode()
    assert "Please answer by" in html
    assert "Leder valgstedet." in html  # no English text written: the Danish one
    assert "Add to my calendar" not in html  # not booked yet


def test_the_language_switch_is_remembered_on_the_volunteer(client, booked):
    seat, token = booked
    link = PersonalLink.objects.get(token_hash=hash_token(token))
    url = reverse("portal:language", args=[token])
    assert client.post(url, {"language": "da"}).status_code == 403  # no form token
    response = client.post(url, {"language": "da", "answer_token": answer_token(link, 0)})
    assert response.status_code == 302
    seat.volunteer.refresh_from_db()
    assert seat.volunteer.language == "da"
    html = client.get(page(token)).content.decode()
    assert "Leder valgstedet." in html and "Madpakke" in html
    assert AuditEntry.objects.filter(action="volunteers.update_volunteer").exists()
    client.post(url, {"language": "xx", "answer_token": answer_token(link, 0)})
    seat.volunteer.refresh_from_db()
    assert seat.volunteer.language == "da"


def test_one_shift_as_an_ics_file(client, booked):
    seat, token = booked
    response = client.get(reverse("portal:shift_calendar", args=[token, seat.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "attachment" in response["Content-Disposition"]
    [event] = events(response.content)
    assert str(event["uid"]) == f"assignment-{seat.pk}@testserver"
    assert event.decoded("dtstart") == seat.shift.starts_at
    assert event.decoded("dtend") == seat.shift.ends_at
    assert str(event["summary"]) == "Valgstyrer · Nordskolen"
    assert "Nordskolen" in str(event["location"])
    assert "A packed lunch" in str(event["description"])
    other = f.shift(seat.shift.election)
    assert client.get(reverse("portal:shift_calendar", args=[token, other.pk])).status_code == 404


def test_the_feed_follows_changes_and_drops_cancelled_seats(client, booked):
    seat, token = booked
    # Booked a minute ago (the sequence counts seconds).
    Assignment.objects.filter(pk=seat.pk).update(updated_at=timezone.now() - timedelta(minutes=1))
    url = feed_url(client, token)
    assert url.startswith("/v/calendar/") and url.endswith(".ics")
    response = client.get(url)
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    [first] = events(response.content)

    later = seat.shift.starts_at + timedelta(hours=1)
    update_shift(seat.shift, by=None, confirm=True, starts_at=later)
    [moved] = events(client.get(url).content)
    assert str(moved["uid"]) == str(first["uid"])
    assert moved.decoded("dtstart") == later
    assert int(moved["sequence"]) > int(first["sequence"])

    services.decline(Assignment.objects.get(pk=seat.pk))  # withdraws the booked seat
    assert events(client.get(url).content) == []
    assert feed_url(client, token) == ""  # nothing booked: no feed offered
    assert Message.objects.filter(kind="withdrawn").exists()


def test_the_feed_token_is_hashed_renewable_and_ends_with_the_links(client, booked):
    seat, token = booked
    url = feed_url(client, token)
    feed = CalendarFeed.objects.get()
    feed_token = url.removeprefix("/v/calendar/").removesuffix(".ics")
    assert len(feed_token) >= 32 and feed.token_hash == hash_token(feed_token)
    assert feed_token not in str(list(CalendarFeed.objects.values()))
    assert feed_url(client, token) == url  # the same address every time

    link = PersonalLink.objects.get(token_hash=hash_token(token))
    renew = reverse("portal:renew_calendar", args=[token])
    assert client.post(renew).status_code == 403  # the page's form token is needed
    assert client.post(renew, {"answer_token": answer_token(link, 0)}).status_code == 302
    assert client.get(url).status_code == 404
    assert client.get(feed_url(client, token)).status_code == 200

    election = seat.shift.election
    election.election_date = timezone.localdate() - timedelta(days=60)
    election.save()
    assert client.get(feed_url(client, token)).status_code == 404


@pytest.mark.parametrize("bad", ["x", "0" * 64, "a" * 500, "%C3%A6"])
def test_a_bad_feed_token_is_the_uniform_404(client, booked, bad):
    response = client.get(f"/v/calendar/{bad}.ics")
    assert response.status_code == 404
    assert response["Cache-Control"] == "no-store"
    assert client.post(feed_url(client, booked[1])).status_code == 404


def test_a_locked_shift_says_whom_to_call(client, booked):
    seat, token = booked
    election = seat.shift.election
    election.lock_days = 40
    election.save()
    html = client.get(page(token)).content.decode()
    assert "Valgsekretariatet, 33 66 33 66" in html
    assert "can no longer be changed online" in html
