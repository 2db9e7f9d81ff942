"""Filling seats through the pages: invite many to many (a review, then a result
saying who was invited and who was not, with the reason per person), seat
directly, answer on someone's behalf after the lock, move, remove with a notice,
replace, send a new link; drafts; localised dates; who may; query counts."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry, User
from elections.models import Election
from notifications.models import Message
from staffing import services
from staffing.links import issue_link
from staffing.messaging import messages_for_volunteer
from staffing.models import Assignment, PersonalLink
from tests import factories as f

pytestmark = pytest.mark.django_db

ISO_DATE = re.compile(r"\b20\d\d-\d\d-\d\d\b")


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def said(response) -> list[str]:
    """The messages shown after a POST (on the page the redirect leads to)."""
    return [str(m) for m in get_messages(response.wsgi_request)]


def page(response) -> str:
    return response.content.decode()


def text(response) -> str:
    """The page's text, without tags (names are wrapped in <bdi>)."""
    return re.sub(r"<[^>]+>", "", page(response))


@pytest.fixture
def world():
    """An active election with a station: a day shift (2 seats) and an evening
    shift (2 seats) of two roles, and a second station with a counter shift."""
    e = f.election(name="Folketingsvalg 2027", lock_days=3)
    station = f.station(f.area("Nord"), name="Nordskolen")
    other = f.station(station.area, name="Nordhallen")
    chair = f.role("Valgstyrer", sort_order=1)
    clerk = f.role("Tilforordnet", sort_order=2)
    day = f.shift(e, station_=station, role_=chair, capacity=2, start=8, end=14)
    evening = f.shift(e, station_=station, role_=clerk, capacity=2, start=14, end=21)
    counter = f.shift(e, station_=other, role_=clerk, capacity=2, start=14, end=21)
    return e, station, day, evening, counter


def people(*names: str, **kw) -> list:
    result = []
    for name in names:
        first, last = name.split()
        result.append(f.volunteer(first_name=first, last_name=last, **kw))
    return result


# --- invite many to many ------------------------------------------------------------------


def test_invite_two_people_to_two_shifts_with_a_review_and_a_result(
    world, coordinator, mailoutbox, committed
):
    e, _station, day, evening, _counter = world
    anna, bo = people("Anna Ager", "Bo Bak")
    young = f.volunteer(first_name="Carl", last_name="Ung", born=e.election_date.replace(year=2012))
    quiet = f.volunteer(first_name="Dorte", last_name="Stille", do_not_contact=True)
    client = login(coordinator)
    url = reverse("staffing:fill_invite", args=[e.pk])
    ids = [anna.pk, bo.pk, young.pk, quiet.pk]

    # The choice, per person: where they may be invited, and why not.
    chosen = {"shifts": [day.pk, evening.pk], "volunteers": ids, "filtered": "1"}
    html = page(client.get(url, chosen))
    assert "Carl Ung is under 18 on the day of the shift" in html
    assert "Dorte Stille is marked “do not contact”." in html
    assert "Review the invitations" in html

    # The review says exactly what sending would do; nothing is sent yet.
    review = client.get(url, {**chosen, "review": "1"})
    assert "4 invitations will be sent." in page(review)
    refused = "Will not be invited: Carl Ung. Carl Ung is under 18 on the day of the shift"
    assert refused in text(review)
    assert not Assignment.objects.exists()

    response = committed(
        client.post, url, {"shifts": [day.pk, evening.pk], "volunteers": ids}, follow=True
    )
    html = page(response)
    assert response.redirect_chain[-1][0] == reverse("staffing:fill_invite_result", args=[e.pk])
    assert "4 volunteers invited." in html
    assert "4 not invited (the reasons are given below)." in html
    assert html.count("Not invited: Carl Ung is under 18") == 2
    assert html.count("Not invited: Dorte Stille is marked “do not contact”.") == 2
    assert "Valgstyrer · Nordskolen" in html and "Tilforordnet · Nordskolen" in html
    assert set(
        Assignment.objects.filter(status="invited").values_list("volunteer_id", "shift_id")
    ) == {(anna.pk, day.pk), (anna.pk, evening.pk), (bo.pk, day.pk), (bo.pk, evening.pk)}
    assert {m.to[0] for m in mailoutbox} == {anna.email, bo.email}
    entries = AuditEntry.objects.filter(action="staffing.invite")
    assert entries.count() == 4 and {x.actor_id for x in entries} == {coordinator.pk}


def test_capacity_runs_out_in_the_service_order_and_the_result_says_so(world, coordinator):
    e, _station, day, _evening, _counter = world
    trio = people("Anna Ager", "Bo Bak", "Cecilie Cold")
    response = login(coordinator).post(
        reverse("staffing:fill_invite", args=[e.pk]),
        {"shifts": [day.pk], "volunteers": [v.pk for v in trio]},
        follow=True,
    )
    html = text(response)
    assert "2 volunteers invited." in html
    assert "Not invited: Cecilie Cold: All seats on this shift are taken." in html


def test_a_full_shift_says_so_before_anyone_is_ticked(world, coordinator):
    e, station, day, evening, _counter = world
    services.invite(day, people("Anna Ager", "Bo Bak"), by=None)
    client = login(coordinator)
    # One shift's page: no search, no form, the reason.
    html = page(client.get(reverse("staffing:invite", args=[e.pk, day.pk]), {"q": "a"}))
    assert "This shift is full" in html
    assert 'name="q"' not in html and 'name="volunteers"' not in html
    # Many shifts: the full one is marked, and cannot be ticked.
    html = page(client.get(reverse("staffing:fill_invite", args=[e.pk]), {"station": station.pk}))
    assert "Full: nobody more can be invited" not in html  # "only with free seats" by default
    html = page(
        client.get(
            reverse("staffing:fill_invite", args=[e.pk]),
            {"station": station.pk, "filtered": "1"},
        )
    )
    assert "Full: nobody more can be invited" in html
    assert (
        f'name="shifts" value="{day.pk}"' not in html
        and f'name="shifts" value="{evening.pk}"' in html
    )
    # The station page says so at the shift, and offers no invite button there.
    html = page(client.get(reverse("staffing:station", args=[e.pk, station.pk])))
    assert "Full: every seat is taken or awaiting an answer." in html
    assert reverse("staffing:invite", args=[e.pk, day.pk]) not in html
    assert reverse("staffing:invite", args=[e.pk, evening.pk]) in html


def test_no_submit_button_when_nobody_is_eligible(world, coordinator):
    e, _station, day, _evening, _counter = world
    f.volunteer(first_name="Carl", last_name="Ung", born=e.election_date.replace(year=2012))
    f.volunteer(first_name="Carla", last_name="Ung", do_not_contact=True)
    client = login(coordinator)
    html = page(client.get(reverse("staffing:invite", args=[e.pk, day.pk]), {"q": "ung"}))
    assert "Carl Ung" in html and "Carla Ung" in html
    assert "Invite the chosen volunteers" not in html
    assert "Nobody in these results can be invited to this shift" in html
    html = page(
        client.get(reverse("staffing:fill_invite", args=[e.pk]), {"shifts": [day.pk], "q": "ung"})
    )
    assert "Review the invitations" not in html
    assert "Nobody here can be invited to the chosen shifts" in html


def test_a_search_that_hits_its_limit_says_showing_50_of_n(world, coordinator):
    e, _station, day, _evening, _counter = world
    for i in range(53):
        f.volunteer(first_name=f"Mette{i:02d}", last_name="Mange")
    client = login(coordinator)
    html = page(client.get(reverse("staffing:invite", args=[e.pk, day.pk]), {"q": "mange"}))
    assert "Showing 50 of 53 — refine the search." in html
    html = page(
        client.get(reverse("staffing:fill_invite", args=[e.pk]), {"shifts": [day.pk], "q": "mange"})
    )
    assert "Showing 50 of 53 — refine the search." in html
    html = page(client.get(reverse("staffing:invite", args=[e.pk, day.pk]), {"q": "mette0"}))
    assert "Showing" not in html


def test_a_search_over_the_limit_shows_the_people_who_can_be_invited_first(world, coordinator):
    """60 Jensens match and 50 are shown: the 55 who cannot be invited (a seat at the
    same time, too young, do not contact) must not push out the 5 who can."""
    e, _station, day, _evening, counter = world
    busy_shift = f.shift(e, station_=counter.station, role_=day.role, capacity=60, start=8, end=14)
    for i in range(50):
        Assignment.objects.create(
            volunteer=f.volunteer(first_name=f"Anna{i:02d}", last_name="Jensen"),
            shift=busy_shift,
            status=Assignment.Status.ACCEPTED,
            responded_at=timezone.now(),
        )
    young = day.election.election_date.replace(year=day.election.election_date.year - 16)
    for i in range(3):
        f.volunteer(first_name=f"Bo{i}", last_name="Jensen", born=young)
    for i in range(2):
        f.volunteer(first_name=f"Carl{i}", last_name="Jensen", do_not_contact=True)
    for i in range(5):
        f.volunteer(first_name=f"Ørn{i}", last_name="Jensen")
    client = login(coordinator)
    response = client.get(reverse("staffing:invite", args=[e.pk, day.pk]), {"q": "jensen"})
    html = page(response)
    assert "Showing 50 of 60 — refine the search." in html
    for i in range(5):
        assert f"Ørn{i}" in html
    assert response.context["candidates"].eligible_count == 5


def test_the_volunteer_list_hands_people_to_the_invite_page(world, coordinator):
    e, _station, _day, _evening, _counter = world
    anna, bo = people("Anna Ager", "Bo Bak")
    html = page(
        login(coordinator).get(
            reverse("staffing:fill_invite", args=[e.pk])
            + f"?volunteers={anna.pk}&volunteers={bo.pk}"
        )
    )
    assert html.count('checked><label for="v') == 2  # both ticked, before any shift is chosen
    assert "Tick at least one shift with free seats" in html


# --- seat directly, answer on behalf -------------------------------------------------------


def test_seat_someone_directly(world, coordinator, mailoutbox, committed):
    e, station, day, _evening, _counter = world
    (anna,) = people("Anna Ager")
    client = login(coordinator)
    url = reverse("staffing:fill_assign", args=[e.pk, day.pk])
    html = page(client.get(url, {"volunteer": anna.pk}))
    assert "Seat Anna Ager" in html or "Seat <bdi>Anna Ager</bdi>" in html
    response = committed(client.post, url, {"volunteer": anna.pk})
    assert response.status_code == 302
    assert response.url.startswith(reverse("staffing:station", args=[e.pk, station.pk]))
    seat = Assignment.objects.get(volunteer=anna)
    assert seat.status == "accepted" and seat.shift == day
    assert "Anna Ager now holds a seat on Valgstyrer · Nordskolen" in said(response)[0]
    assert messages_for_volunteer(anna).get().kind == "accepted"
    assert mailoutbox[0].to == [anna.email]
    assert AuditEntry.objects.get(action="staffing.assign").actor == coordinator


def test_seat_directly_refused_says_why_and_writes_nothing(world, coordinator):
    e, _station, day, _evening, _counter = world
    young = f.volunteer(first_name="Carl", last_name="Ung", born=e.election_date.replace(year=2012))
    client = login(coordinator)
    url = reverse("staffing:fill_assign", args=[e.pk, day.pk])
    html = page(client.get(url, {"volunteer": young.pk}))
    assert "Carl Ung is under 18" in html and 'name="volunteer"' not in html
    response = client.post(url, {"volunteer": young.pk}, follow=True)
    assert "Carl Ung is under 18 on the day of the shift" in page(response)
    assert not Assignment.objects.exists()


def test_answer_on_behalf_after_the_lock(coordinator, mailoutbox, committed):
    e = f.election(days_ahead=2, lock_days=3)
    shift = f.shift(e, capacity=2)
    anna, bo = people("Anna Ager", "Bo Bak")
    [seat_a, seat_b] = services.invite(shift, [anna, bo], by=None).invited
    services.decline(seat_a, reason="Ferie")
    services.accept(seat_b)
    client = login(coordinator)
    url = reverse("staffing:fill_answer", args=[e.pk, seat_a.pk])
    html = page(client.get(url))
    assert "They can no longer change their answer online" in html
    assert "but the office can" in html
    assert 'value="decline"' not in html  # a declined seat: only yes is an answer

    response = committed(client.post, url, {"answer": "accept"})
    assert response.status_code == 302
    seat_a.refresh_from_db()
    assert seat_a.status == "accepted"
    assert "Answered for Anna Ager: yes" in said(response)[0]
    entry = AuditEntry.objects.filter(action="staffing.accept", actor=coordinator).get()
    assert entry.object_id == seat_a.pk

    response = committed(
        client.post,
        reverse("staffing:fill_answer", args=[e.pk, seat_b.pk]),
        {"answer": "decline", "reason": "Syg"},
    )
    seat_b.refresh_from_db()
    assert seat_b.status == "withdrawn" and seat_b.reason == "Syg"
    assert "Their answer now: Withdrawn." in said(response)[-1]


def test_answer_needs_a_choice(world, coordinator):
    e, _station, day, _evening, _counter = world
    [seat] = services.invite(day, people("Anna Ager"), by=None).invited
    response = login(coordinator).post(reverse("staffing:fill_answer", args=[e.pk, seat.pk]), {})
    assert response.status_code == 200
    assert "Choose yes or no." in page(response)


# --- move, remove, replace, new link -------------------------------------------------------


def test_move_to_another_shift_with_a_notice(world, coordinator, committed):
    e, _station, _day, evening, counter = world
    (anna,) = people("Anna Ager")
    [seat] = services.invite(evening, [anna], by=None).invited
    client = login(coordinator)
    url = reverse("staffing:fill_move", args=[e.pk, seat.pk])
    html = page(client.get(url))
    assert f'name="to_shift" value="{counter.pk}"' in html  # the same role nearby
    response = committed(client.post, url, {"to_shift": counter.pk})
    assert response.status_code == 302
    seat.refresh_from_db()
    assert seat.shift == counter and seat.status == "invited"
    assert "Anna Ager moved from Tilforordnet · Nordskolen" in said(response)[0]
    assert "to Tilforordnet · Nordhallen" in said(response)[0]
    assert messages_for_volunteer(anna).filter(kind="moved").exists()
    assert AuditEntry.objects.get(action="staffing.move").actor == coordinator


def test_move_refused_for_a_full_shift(world, coordinator):
    e, _station, day, evening, _counter = world
    services.invite(evening, people("Bo Bak", "Cecilie Cold"), by=None)
    [seat] = services.invite(day, people("Anna Ager"), by=None).invited
    client = login(coordinator)
    html = page(client.get(reverse("staffing:fill_move", args=[e.pk, seat.pk])))
    assert f'name="to_shift" value="{evening.pk}"' not in html and "Full" in html
    response = client.post(
        reverse("staffing:fill_move", args=[e.pk, seat.pk]), {"to_shift": evening.pk}, follow=True
    )
    assert "All seats on this shift are taken." in page(response)
    seat.refresh_from_db()
    assert seat.shift == day


def test_remove_with_a_notice(world, coordinator, mailoutbox, committed):
    e, station, day, _evening, _counter = world
    (anna,) = people("Anna Ager")
    [seat] = services.invite(day, [anna], by=None).invited
    services.accept(seat)
    client = login(coordinator)
    url = reverse("staffing:fill_remove", args=[e.pk, seat.pk])
    html = page(client.get(url))
    assert "A notice goes to them by email." in html
    back = reverse("staffing:station", args=[e.pk, station.pk]) + f"#shift-{day.pk}"
    mailoutbox.clear()
    response = committed(client.post, url, {"reason": "Flyttet", "next": back})
    assert response.status_code == 302 and response.url == back
    seat.refresh_from_db()
    assert seat.status == "removed"
    assert said(response) == [
        f"Anna Ager was removed from {_label(client, day)}. A notice goes to them by email."
    ]
    notice = messages_for_volunteer(anna).get(kind="removed")
    assert notice.status == Message.Status.SENT and mailoutbox[0].to == [anna.email]
    entry = AuditEntry.objects.get(action="staffing.remove")
    assert entry.actor == coordinator and entry.detail["reason"] == "Flyttet"
    # A second click changes nothing and says so.
    again = client.post(url, {"reason": ""})
    assert again.status_code == 302 and "nothing changed" in said(again)[0]
    assert AuditEntry.objects.filter(action="staffing.remove").count() == 1


def _label(client: Client, shift) -> str:
    """The shift as the pages show it (role · station · day and times)."""
    html = page(client.get(reverse("staffing:fill_assign", args=[shift.election_id, shift.pk])))
    when = re.search(r'<p class="pc-lead">.*? · (.*?) ·', html, re.S).group(1).strip()
    return f"{shift.role.name} · {shift.station.name} · {when}"


def test_replace_in_one_step(world, coordinator, committed):
    e, _station, day, _evening, _counter = world
    anna, bo = people("Anna Ager", "Bo Bak")
    [seat] = services.invite(day, [anna], by=None).invited
    client = login(coordinator)
    url = reverse("staffing:fill_replace", args=[e.pk, seat.pk])
    html = page(client.get(url))
    # Without a search: people with no seat yet, the first eligible one chosen.
    assert "Suggested: people with no seat in this election yet" in html
    assert f'value="{bo.pk}" id="pick{bo.pk}" checked' in html
    assert f'name="volunteer" value="{anna.pk}"' not in html
    response = committed(client.post, url, {"volunteer": bo.pk, "reason": "Syg"})
    assert response.status_code == 302
    assert "Anna Ager was taken off Valgstyrer · Nordskolen" in said(response)[0]
    assert "and Bo Bak invited in their place" in said(response)[0]
    seat.refresh_from_db()
    assert seat.status == "removed"
    assert Assignment.objects.get(volunteer=bo, shift=day).status == "invited"
    assert messages_for_volunteer(anna).filter(kind="removed").exists()
    assert messages_for_volunteer(bo).filter(kind="invitation").exists()
    entry = AuditEntry.objects.get(action="staffing.replace")
    assert entry.detail["replaced_by"] == bo.pk and entry.actor == coordinator


def test_replace_seating_directly(world, coordinator, committed):
    e, _station, day, _evening, _counter = world
    anna, bo = people("Anna Ager", "Bo Bak")
    [seat] = services.invite(day, [anna], by=None).invited
    url = reverse("staffing:fill_replace", args=[e.pk, seat.pk])
    response = committed(login(coordinator).post, url, {"volunteer": bo.pk, "seat_directly": "on"})
    assert "and Bo Bak seated in their place" in said(response)[0]
    assert Assignment.objects.get(volunteer=bo).status == "accepted"


def test_replace_refused_changes_nothing(world, coordinator):
    e, _station, day, _evening, _counter = world
    (anna,) = people("Anna Ager")
    young = f.volunteer(first_name="Carl", last_name="Ung", born=e.election_date.replace(year=2012))
    [seat] = services.invite(day, [anna], by=None).invited
    client = login(coordinator)
    url = reverse("staffing:fill_replace", args=[e.pk, seat.pk])
    html = page(client.get(url, {"q": "ung"}))
    assert "Carl Ung is under 18" in html and 'name="volunteer"' not in html
    assert ">Replace</button>" not in html  # nobody eligible: no button
    response = client.post(url + "?q=ung", {"volunteer": young.pk}, follow=True)
    assert "Carl Ung is under 18 on the day of the shift" in page(response)
    seat.refresh_from_db()
    assert seat.status == "invited"
    assert not Assignment.objects.filter(volunteer=young).exists()


def test_reissue_a_link_and_the_old_one_stops_working(world, coordinator, committed):
    e, _station, day, _evening, _counter = world
    (anna,) = people("Anna Ager")
    [seat] = services.invite(day, [anna], by=None).invited
    old = issue_link(anna, e)
    client = login(coordinator)
    assert Client().get(reverse("portal:home", args=[old])).status_code == 200
    url = reverse("staffing:fill_new_link", args=[e.pk, seat.pk])
    assert "stops working at once" in page(client.get(url))
    response = committed(client.post, url)
    assert response.status_code == 302
    assert "A new personal link is on its way to Anna Ager by email." in said(response)[0]
    assert Client().get(reverse("portal:home", args=[old])).status_code == 404
    assert (
        not PersonalLink.objects.usable()
        .filter(volunteer=anna)
        .exclude(
            pk__in=PersonalLink.objects.filter(created_at__gt=seat.invited_at)
            .order_by("-created_at")
            .values("pk")[:1]
        )
    )
    assert messages_for_volunteer(anna).filter(kind="new_link").get().status == "sent"
    assert AuditEntry.objects.get(action="staffing.reissue_link").actor == coordinator


def test_no_new_link_for_someone_not_to_be_contacted(world, coordinator):
    e, _station, day, _evening, _counter = world
    (anna,) = people("Anna Ager")
    [seat] = services.invite(day, [anna], by=None).invited
    anna.do_not_contact = True
    anna.save()
    client = login(coordinator)
    url = reverse("staffing:fill_new_link", args=[e.pk, seat.pk])
    html = page(client.get(url))
    assert "marked “do not contact”" in html and "disabled" in html
    response = client.post(url, follow=True)
    assert "their link is kept" in page(response)
    assert not AuditEntry.objects.filter(action="staffing.reissue_link").exists()


# --- a draft or closed election -----------------------------------------------------------


@pytest.mark.parametrize("status", [Election.Status.DRAFT, Election.Status.CLOSED])
def test_a_draft_shows_the_invite_buttons_disabled_with_the_reason(coordinator, status):
    e = f.election(status=status, name="Kommunalvalg 2029")
    shift = f.shift(e)
    (anna,) = people("Anna Ager")
    client = login(coordinator)
    activate = reverse("staffing:election_status", args=[e.pk, "active"])
    reason = "is not active yet: it is a draft" if status == "draft" else "it is closed"

    html = page(client.get(reverse("staffing:station", args=[e.pk, shift.station_id])))
    assert reason in html and activate in html
    assert 'disabled aria-describedby="not-inviting">Invite volunteers</button>' in html
    assert 'disabled aria-describedby="not-inviting">Invite to several shifts</button>' in html
    assert reverse("staffing:invite", args=[e.pk, shift.pk]) not in html

    for url in (
        reverse("staffing:invite", args=[e.pk, shift.pk]) + "?q=anna",
        reverse("staffing:fill_invite", args=[e.pk]) + f"?shifts={shift.pk}&q=anna",
        reverse("staffing:fill_assign", args=[e.pk, shift.pk]) + f"?volunteer={anna.pk}",
    ):
        html = page(client.get(url))
        assert reason in html and activate in html, url
        assert "disabled" in html and '<form method="post"' not in html.split("</header>")[1]
        assert "Anna Ager" not in html

    # A POST straight to the URLs invites nobody, and says why.
    response = client.post(
        reverse("staffing:invite", args=[e.pk, shift.pk]), {"volunteers": [anna.pk]}
    )
    assert response.status_code == 200 and reason in page(response)
    response = client.post(
        reverse("staffing:fill_invite", args=[e.pk]),
        {"shifts": [shift.pk], "volunteers": [anna.pk]},
    )
    assert response.status_code == 200 and reason in page(response)
    assert not Assignment.objects.exists()


def test_the_activation_link_is_only_for_those_who_may_activate(coordinator):
    e = f.election(status=Election.Status.CLOSED)
    team = f.team("Venstre")
    shift = f.shift(e, team=team)
    leader = f.user(role="team_leader", teams=[team])
    invite = reverse("staffing:invite", args=[e.pk, shift.pk])
    html = page(login(leader).get(invite))
    assert "is not active: it is closed" in html
    assert reverse("staffing:election_status", args=[e.pk, "active"]) not in html
    assert reverse("staffing:election_status", args=[e.pk, "active"]) in page(
        login(coordinator).get(invite)
    )
    # A draft is not there at all for those who may not manage it (not even its reason).
    e.status = Election.Status.DRAFT
    e.save()
    assert login(leader).get(invite).status_code == 404


# --- dates as the pages show them, never ISO, in Danish too ------------------------------


@pytest.mark.parametrize(
    ("language", "clash", "next_day"),
    [
        ("en", "already has a shift at that time", "(the next day)"),
        ("da", "har allerede en vagt på det tidspunkt", "(næste dag)"),
    ],
)
def test_refusals_and_messages_give_dates_as_the_pages_do(coordinator, language, clash, next_day):
    coordinator.language = language
    coordinator.save()
    e = f.election(name="Folketingsvalg 2027")
    station = f.station(name="Nordskolen")
    night = f.shift(e, station_=station, role_=f.role("Optæller"), start=20, end=23)
    night.ends_at = night.ends_at + timedelta(hours=4)  # 20:00 until 03:00 the next day
    night.save()
    evening = f.shift(e, station_=station, start=21, end=23)
    (anna,) = people("Anna Ager")
    services.invite(night, [anna], by=None)
    client = login(coordinator)
    html = page(client.get(reverse("staffing:invite", args=[e.pk, evening.pk]), {"q": "anna"}))
    when = f"{e.election_date.day}/{e.election_date.month} 20:00\N{EN DASH}03:00 {next_day}"
    assert f"{clash}: Optæller · Nordskolen · {when}" in html
    assert not ISO_DATE.search(re.sub(r"<[^>]+>", "", html))

    [seat] = Assignment.objects.filter(volunteer=anna)
    response = client.post(reverse("staffing:fill_remove", args=[e.pk, seat.pk]), {}, follow=True)
    [message] = said(response)
    assert f"Optæller · Nordskolen · {when}" in message
    # No ISO date in what people read (a roster's URL may carry one).
    assert not ISO_DATE.search(message) and not ISO_DATE.search(text(response))
    response = client.get(reverse("staffing:fill_answer", args=[e.pk, seat.pk]))
    assert not ISO_DATE.search(text(response))


def test_the_answer_time_is_localised(coordinator):
    coordinator.language = "da"
    coordinator.save()
    e = f.election()
    shift = f.shift(e)
    [seat] = services.invite(shift, people("Anna Ager"), by=None).invited
    services.accept(seat)
    seat.refresh_from_db()
    html = page(login(coordinator).get(reverse("staffing:fill_answer", args=[e.pk, seat.pk])))
    months = "januar februar marts april maj juni juli august september oktober november december"
    month = months.split()[seat.responded_at.astimezone().month - 1]
    assert f". {month} {seat.responded_at.year}" in html
    assert not ISO_DATE.search(re.sub(r"<[^>]+>", "", html))


# --- who may ------------------------------------------------------------------------------


def test_team_leaders_invite_to_their_teams_seats_only(world, committed):
    e, station, day, _evening, _counter = world
    team = f.team("Venstre")
    team_shift = f.shift(e, station_=station, team=team, capacity=2, start=6, end=8)
    member, stranger = people("Mads Medlem", "Sara Fremmed")
    member.teams.add(team)
    leader = f.user(role="team_leader", teams=[team])
    client = login(leader)
    url = reverse("staffing:fill_invite", args=[e.pk])
    html = page(client.get(url, {"filtered": "1", "shifts": [day.pk, team_shift.pk]}))
    assert (
        f'name="shifts" value="{team_shift.pk}"' in html
        and f'name="shifts" value="{day.pk}"' not in html
    )
    response = committed(
        client.post,
        url,
        {"shifts": [team_shift.pk], "volunteers": [member.pk]},
        follow=True,
    )
    assert "1 volunteer invited." in page(response)
    # Not their shift: the form again, with the error, and nothing invited.
    response = client.post(url, {"shifts": [day.pk], "volunteers": [member.pk]}, follow=True)
    assert "Select a valid choice" in page(response) or "That choice" in page(response)
    assert not Assignment.objects.filter(shift=day).exists()
    # Their seats, but not theirs to change: answering, moving, removing is 404.
    seat = Assignment.objects.get(volunteer=member)
    for name in ("fill_answer", "fill_move", "fill_remove", "fill_replace"):
        assert client.get(reverse(f"staffing:{name}", args=[e.pk, seat.pk])).status_code == 404
    assert client.get(reverse("staffing:fill_new_link", args=[e.pk, seat.pk])).status_code == 200
    html = page(client.get(reverse("staffing:station", args=[e.pk, station.pk])))
    assert reverse("staffing:fill_new_link", args=[e.pk, seat.pk]) in html
    assert reverse("staffing:fill_remove", args=[e.pk, seat.pk]) not in html
    del stranger


def test_seats_of_another_election_or_outside_scope_are_404(world, coordinator):
    e, _station, day, _evening, _counter = world
    [seat] = services.invite(day, people("Anna Ager"), by=None).invited
    other = f.election()
    client = login(coordinator)
    for name in ("fill_answer", "fill_move", "fill_remove", "fill_replace", "fill_new_link"):
        assert client.get(reverse(f"staffing:{name}", args=[other.pk, seat.pk])).status_code == 404
    limited = f.user(role="coordinator", elections=[other])
    client = login(limited)
    for name in ("fill_answer", "fill_move", "fill_remove", "fill_replace", "fill_new_link"):
        assert client.get(reverse(f"staffing:{name}", args=[e.pk, seat.pk])).status_code == 404
        assert client.post(reverse(f"staffing:{name}", args=[e.pk, seat.pk])).status_code == 404
    assert client.get(reverse("staffing:fill_invite", args=[e.pk])).status_code == 404
    seat.refresh_from_db()
    assert seat.status == "invited"


def test_the_result_page_shows_only_ones_own_round_of_this_election(world, coordinator):
    e, _station, day, _evening, _counter = world
    client = login(coordinator)
    client.post(
        reverse("staffing:fill_invite", args=[e.pk]),
        {"shifts": [day.pk], "volunteers": [people("Anna Ager")[0].pk]},
    )
    other = f.election()
    html = page(client.get(reverse("staffing:fill_invite_result", args=[other.pk])))
    assert "There is no recent round of invitations to show." in html
    html = page(
        login(f.user(coordinator=True)).get(reverse("staffing:fill_invite_result", args=[e.pk]))
    )
    assert "Anna Ager" not in html


def test_forged_or_foreign_ids_are_form_errors_not_500s(world, coordinator):
    e, _station, day, _evening, _counter = world
    client = login(coordinator)
    url = reverse("staffing:fill_invite", args=[e.pk])
    response = client.post(url, {"shifts": ["abc", "999999"], "volunteers": ["x"]}, follow=True)
    assert response.status_code == 200
    response = client.get(url, {"shifts": ["abc", "-1", "9" * 30], "volunteers": ["x"], "day": "x"})
    assert response.status_code == 200
    [seat] = services.invite(day, people("Anna Ager"), by=None).invited
    response = client.post(reverse("staffing:fill_move", args=[e.pk, seat.pk]), {"to_shift": "x"})
    assert response.status_code == 200 and "That shift cannot be chosen here." in page(response)
    response = client.post(
        reverse("staffing:fill_assign", args=[e.pk, day.pk]), {"volunteer": "999999"}, follow=True
    )
    assert "That volunteer cannot be chosen here." in page(response)
    assert (
        client.get(
            reverse("staffing:fill_assign", args=[e.pk, day.pk]), {"volunteer": "9" * 30}
        ).status_code
        == 200
    )
    response = client.post(
        reverse("staffing:fill_remove", args=[e.pk, seat.pk]), {"reason": "x" * 2000}
    )
    assert response.status_code == 200
    seat.refresh_from_db()
    assert seat.status == "invited"


def test_the_actions_are_csrf_protected(world, coordinator):
    e, _station, day, _evening, _counter = world
    [seat] = services.invite(day, people("Anna Ager"), by=None).invited
    client = Client(enforce_csrf_checks=True)
    client.force_login(coordinator)
    for name in ("fill_answer", "fill_move", "fill_remove", "fill_replace", "fill_new_link"):
        response = client.post(reverse(f"staffing:{name}", args=[e.pk, seat.pk]), {})
        assert response.status_code == 403
    seat.refresh_from_db()
    assert seat.status == "invited"


# --- query counts -------------------------------------------------------------------------


def test_station_page_with_seat_actions_has_constant_queries(
    world, coordinator, django_assert_num_queries
):
    e, station, day, evening, _counter = world
    services.invite(day, people("Anna Ager"), by=None)
    client = login(coordinator)
    url = reverse("staffing:station", args=[e.pk, station.pk])
    # session, user, grants, election, station, its shifts with fill counts, the
    # people on them, and the audit entry for reading their contact data.
    with django_assert_num_queries(8):
        client.get(url)
    services.invite(evening, [f.volunteer(), f.volunteer()], by=None)
    for hour in range(6):
        s = f.shift(e, station_=station, start=hour, end=hour + 1)
        services.invite(s, [f.volunteer(), f.volunteer()], by=None)
    with django_assert_num_queries(8):
        html = page(client.get(url))
    assert html.count(">Remove<") == 15


def test_candidate_search_has_constant_queries(world, coordinator, django_assert_num_queries):
    e, _station, day, _evening, _counter = world
    for _ in range(3):
        f.volunteer(last_name="Søgbar")
    client = login(coordinator)
    url = reverse("staffing:invite", args=[e.pk, day.pk])
    # session, user, grants, election, shift; the fill (the shift's seat counters); the
    # matches with their total; their earlier seats on the shift, their overlapping
    # seats; the audit entry.
    with django_assert_num_queries(10):
        client.get(url, {"q": "søgbar"})
    for _ in range(60):
        v = f.volunteer(last_name="Søgbar")
        services.invite(f.shift(e, start=9, end=10), [v], by=None)
    with django_assert_num_queries(10):
        html = page(client.get(url, {"q": "søgbar"}))
    assert "Showing 50 of 63" in html


def test_many_to_many_page_has_constant_queries(world, coordinator):
    e, station, day, evening, counter = world
    client = login(coordinator)
    url = reverse("staffing:fill_invite", args=[e.pk])

    def queries(shifts, volunteers) -> int:
        params = {
            "shifts": [s.pk for s in shifts],
            "volunteers": [v.pk for v in volunteers],
            "q": "søgbar",
            "filtered": "1",
        }
        with CaptureQueriesContext(connection) as context:
            assert client.get(url, params).status_code == 200
        return len(context.captured_queries)

    few = [f.volunteer(last_name="Søgbar") for _ in range(2)]
    small = queries([day], few)
    many = [f.volunteer(last_name="Søgbar") for _ in range(20)]
    team = f.team("Venstre")
    reserved = f.shift(e, station_=station, team=team, start=6, end=8)
    for v in many[:5]:
        v.teams.add(team)
    services.invite(evening, many[:2], by=None)
    # One more query for the team memberships once a chosen shift is reserved.
    assert queries([day, evening, counter, reserved], [*few, *many]) == small + 1
