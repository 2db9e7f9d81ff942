"""Check-in on the day: the signed link a sign-in sheet's QR code carries, the page
it opens (station managers of that station and coordinators; everyone else the
uniform 404), and the check_in / undo_check_in services behind it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from accounts.models import AuditEntry
from elections.models import Shift
from pollcrew.refusals import Refused
from staffing import services
from staffing.checkin import assignment_for_checkin_token, checkin_token, checkin_url
from staffing.models import Assignment, SeatFill
from tests import factories as f

pytestmark = pytest.mark.django_db

S = Assignment.Status


def move_shift(shift: Shift, starts_in: timedelta, length: timedelta = timedelta(hours=6)) -> None:
    """Put the shift at ``now + starts_in`` (after people have answered: answers
    close when a shift starts)."""
    starts = timezone.now() + starts_in
    Shift.objects.filter(pk=shift.pk).update(starts_at=starts, ends_at=starts + length)
    shift.refresh_from_db()


@pytest.fixture
def day():
    """A shift at a station with two accepted seats and one open invitation, under
    way since an hour ago, and the people who might scan its sheet."""
    election = f.election(name="Folketingsvalg 2027")
    station = f.station(name="Nordskolen")
    other = f.station(name="Sydhallen")
    team = f.team("Venstre")
    shift = f.shift(election, station_=station, capacity=3, team=team)
    f.shift(election, station_=other, capacity=2)
    karen = f.volunteer(first_name="Karen", last_name="Blixen")
    ole = f.volunteer(first_name="Ole", last_name="Rømer")
    ida = f.volunteer(first_name="Ida", last_name="Jensen")
    for v in (karen, ole, ida):
        v.teams.add(team)
    invited = services.invite(shift, [karen, ole, ida], by=None).invited
    seats = {a.volunteer_id: a for a in invited}
    services.accept(seats[karen.pk])
    services.accept(seats[ole.pk])
    move_shift(shift, -timedelta(hours=1))
    return {
        "election": election,
        "station": station,
        "other": other,
        "team": team,
        "shift": shift,
        "karen": Assignment.objects.get(pk=seats[karen.pk].pk),
        "ole": Assignment.objects.get(pk=seats[ole.pk].pk),
        "ida": Assignment.objects.get(pk=seats[ida.pk].pk),
        "manager": f.user("valgstyrer@kommune.dk", role="station_manager", stations=[station]),
    }


def signed_in(user, **kw) -> Client:
    client = Client(**kw)
    client.force_login(user)
    return client


def url_path(seat: Assignment) -> str:
    from django.conf import settings

    return checkin_url(seat.pk).removeprefix(settings.SITE_URL)


def fill(shift: Shift) -> tuple[int, int]:
    row = SeatFill.objects.get(shift=shift)
    return row.invited, row.accepted


# --- the token --------------------------------------------------------------------------


def test_the_url_is_absolute_and_its_token_gives_back_the_assignment(settings):
    settings.SITE_URL = "https://valg.kommune.dk"
    url = checkin_url(4711)
    assert url.startswith("https://valg.kommune.dk/check-in/")
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert assignment_for_checkin_token(token) == 4711
    assert len(token) < 60  # a small QR code
    assert "4711" not in token


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # another signature
        lambda t: signing.b62_encode(4712) + t[t.index(":") :],  # the next id, same signature
        lambda t: t.split(":")[0],  # no signature at all
        lambda t: signing.Signer(salt="something else").sign(signing.b62_encode(4711)),
        lambda t: signing.Signer(salt="x", key="another key").sign(signing.b62_encode(4711)),
        lambda t: "",
        lambda t: t * 3,
    ],
)
def test_a_tampered_token_gives_nothing(tamper):
    assert assignment_for_checkin_token(tamper(checkin_token(4711))) is None


def test_a_tampered_or_made_up_token_is_a_404_even_for_a_coordinator(day, coordinator):
    client = signed_in(coordinator)
    good = url_path(day["karen"])
    assert client.get(good).status_code == 200
    token = good.rstrip("/").rsplit("/", 1)[1]
    other_id = signing.b62_encode(day["ole"].pk)
    for bad in (
        token[:-1] + ("x" if token[-1] != "x" else "y"),
        other_id + token[token.index(":") :],
        "1",
        "x" * 47,
    ):
        assert client.get(f"/check-in/{bad}/").status_code == 404, bad
        assert client.post(f"/check-in/{bad}/").status_code == 404, bad
    assert Assignment.objects.get(pk=day["ole"].pk).status == S.ACCEPTED


def test_signed_out_goes_to_the_sign_in_page(day):
    response = Client().get(url_path(day["karen"]))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- who may check in ------------------------------------------------------------------


def test_the_station_manager_sees_who_it_is_and_checks_them_in(day):
    seat, shift = day["karen"], day["shift"]
    before = fill(shift)
    assert before == (1, 2)
    client = signed_in(day["manager"])
    page = client.get(url_path(seat)).content.decode()
    assert "Karen Blixen" in page
    assert shift.role.name in page and "Nordskolen" in page
    assert "Accepted" in page
    assert ">Check in</button>" in page

    response = client.post(url_path(seat), follow=True)
    seat.refresh_from_db()
    assert seat.status == S.CHECKED_IN
    assert abs(seat.checked_in_at - timezone.now()) < timedelta(minutes=1)
    shown = timezone.localtime(seat.checked_in_at).strftime("%H:%M")
    page = response.content.decode()
    assert f"Karen Blixen is checked in (at {shown})." in page
    assert f"Checked in at {shown}" in page
    assert "Undo check-in" in page
    entry = AuditEntry.objects.get(action="staffing.check_in")
    assert entry.object_id == seat.pk and entry.actor == day["manager"]
    assert entry.election_id == day["election"].pk
    assert entry.changes["status"] == ["accepted", "checked_in"]
    assert entry.changes["checked_in_at"][0] is None
    # Checked in still fills the seat: the counts do not move.
    assert fill(shift) == before
    assert SeatFill.objects.get(shift=shift).seats == 3


def test_a_coordinator_may_check_in_too(day, coordinator):
    signed_in(coordinator).post(url_path(day["ole"]))
    assert Assignment.objects.get(pk=day["ole"].pk).status == S.CHECKED_IN


@pytest.mark.parametrize("who", ["other_manager", "viewer", "team_leader", "outsider"])
def test_anyone_else_gets_the_uniform_404_and_nothing_changes(day, who):
    user = {
        "other_manager": lambda: f.user(role="station_manager", stations=[day["other"]]),
        "viewer": lambda: f.user(role="viewer"),
        "team_leader": lambda: f.user(role="team_leader", teams=[day["team"]]),
        "outsider": lambda: f.user(),
    }[who]()
    client = signed_in(user)
    assert client.get(url_path(day["karen"])).status_code == 404
    assert client.post(url_path(day["karen"])).status_code == 404
    assert Assignment.objects.get(pk=day["karen"].pk).status == S.ACCEPTED
    assert not AuditEntry.objects.filter(action="staffing.check_in").exists()


def test_a_station_manager_limited_to_another_election_gets_a_404(day):
    later = f.election(name="Kommunalvalg 2029")
    manager = f.user(role="station_manager", stations=[day["station"]], elections=[later])
    assert signed_in(manager).get(url_path(day["karen"])).status_code == 404


# --- refusals ---------------------------------------------------------------------------


def test_an_open_invitation_cannot_be_checked_in(day):
    seat = day["ida"]
    client = signed_in(day["manager"])
    page = client.get(url_path(seat)).content.decode()
    assert "only someone who has accepted their seat can be checked in" in page
    assert ">Check in</button>" not in page
    response = client.post(url_path(seat), follow=True)
    assert (
        "Ida Jensen cannot be checked in: their seat is invited. Only someone who has "
        "accepted the seat can be checked in." in response.content.decode()
    )
    seat.refresh_from_db()
    assert seat.status == S.INVITED and seat.checked_in_at is None
    assert not AuditEntry.objects.filter(action="staffing.check_in").exists()


def test_a_declined_seat_cannot_be_checked_in(day):
    seat = day["ida"]
    Shift.objects.filter(pk=day["shift"].pk).update(
        starts_at=timezone.now() + timedelta(days=3), ends_at=timezone.now() + timedelta(days=4)
    )
    services.decline(seat)
    move_shift(day["shift"], -timedelta(hours=1))
    with pytest.raises(Refused) as refused:
        services.check_in(seat, by=day["manager"])
    assert refused.value.code == "not_checkable"
    assert "their seat is declined" in refused.value.message
    assert Assignment.objects.get(pk=seat.pk).status == S.DECLINED


def test_a_shift_on_another_day_is_refused(day):
    shift, seat = day["shift"], day["karen"]
    move_shift(shift, timedelta(days=30))
    opens = timezone.localtime(shift.starts_at - timedelta(hours=2))
    client = signed_in(day["manager"])
    page = client.get(url_path(seat)).content.decode()
    assert ">Check in</button>" not in page
    assert "Check-in for this shift is open from" in page
    response = client.post(url_path(seat), follow=True)
    assert (
        f"Check-in for this shift opens on {opens.day}/{opens.month} at {opens:%H:%M}."
        in response.content.decode()
    )
    assert Assignment.objects.get(pk=seat.pk).status == S.ACCEPTED

    move_shift(shift, -timedelta(days=1))  # yesterday's shift, over
    with pytest.raises(Refused) as refused:
        services.check_in(seat, by=day["manager"])
    assert refused.value.code == "checkin_closed"
    assert Assignment.objects.get(pk=seat.pk).status == S.ACCEPTED


def test_check_in_opens_two_hours_before_the_start(day):
    shift, seat = day["shift"], day["karen"]
    move_shift(shift, timedelta(hours=2, minutes=5))
    with pytest.raises(Refused) as refused:
        services.check_in(seat, by=day["manager"])
    assert refused.value.code == "checkin_not_open"
    move_shift(shift, timedelta(hours=1, minutes=55))
    assert services.check_in(seat, by=day["manager"]).status == S.CHECKED_IN


def test_checking_in_twice_changes_nothing_and_says_since_when(day):
    seat = day["karen"]
    client = signed_in(day["manager"])
    client.post(url_path(seat))
    first = Assignment.objects.get(pk=seat.pk).checked_in_at
    response = client.post(url_path(seat), follow=True)
    shown = timezone.localtime(first).strftime("%H:%M")
    assert f"Karen Blixen is already checked in (at {shown})." in response.content.decode()
    assert Assignment.objects.get(pk=seat.pk).checked_in_at == first
    assert AuditEntry.objects.filter(action="staffing.check_in").count() == 1


def test_undo_makes_the_seat_accepted_again(day):
    seat, shift = day["karen"], day["shift"]
    client = signed_in(day["manager"])
    client.post(url_path(seat))
    response = client.post(url_path(seat), {"action": "undo"}, follow=True)
    page = response.content.decode()
    assert "Karen Blixen is no longer checked in." in page
    assert ">Check in</button>" in page
    seat.refresh_from_db()
    assert seat.status == S.ACCEPTED and seat.checked_in_at is None
    entry = AuditEntry.objects.get(action="staffing.undo_check_in")
    assert entry.changes["status"] == ["checked_in", "accepted"]
    assert fill(shift) == (1, 2)
    # Undoing again is harmless; an invitation has nothing to undo.
    assert services.undo_check_in(seat, by=day["manager"]).status == S.ACCEPTED
    with pytest.raises(Refused) as refused:
        services.undo_check_in(day["ida"], by=day["manager"])
    assert refused.value.code == "not_checked_in"


def test_check_in_refused_for_an_election_no_longer_active(day):
    day["election"].status = "closed"
    day["election"].save(update_fields=["status"])
    with pytest.raises(Refused) as refused:
        services.check_in(day["karen"], by=day["manager"])
    assert refused.value.code == "election_not_active"


def test_csrf_is_enforced_on_the_post(day):
    client = signed_in(day["manager"], enforce_csrf_checks=True)
    seat = day["karen"]
    assert client.post(url_path(seat)).status_code == 403
    assert Assignment.objects.get(pk=seat.pk).status == S.ACCEPTED
    client.get(url_path(seat))
    token = client.cookies["csrftoken"].value
    assert client.post(url_path(seat), {"csrfmiddlewaretoken": token}).status_code == 302
    assert Assignment.objects.get(pk=seat.pk).status == S.CHECKED_IN


def test_the_page_escapes_names(day):
    volunteer = day["karen"].volunteer
    volunteer.first_name = "<script>alert(1)</script>"
    volunteer.save(update_fields=["first_name"])
    page = signed_in(day["manager"]).get(url_path(day["karen"])).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
