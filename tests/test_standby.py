"""Standby lists and automatic backfill (issue 10): people wait for a full shift,
a freed seat is offered to the next of them with a claim link and a deadline,
the first claim gets it, the others are told and stay on the list, an offer not
claimed in time moves on, and election-day mode goes to the same station first,
then the area, with a short deadline."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import TestCase
from django.utils import timezone

from accounts.models import AuditEntry
from notifications.models import Message
from pollcrew.refusals import Refused
from staffing import messaging, services, tasks
from staffing.models import Assignment, SeatOffer, StandbyEntry, hash_token
from staffing.rules import RuleViolation
from staffing.services import standby
from tests import factories as f
from tests.fakes.celery_broker import celery_broker
from tests.fakes.net import closed_port

pytestmark = pytest.mark.django_db
Status = Assignment.Status
Offer = SeatOffer.Status
CLAIM = re.compile(r"/v/offer/([A-Za-z0-9_-]+)/")


def full_shift(capacity: int = 1, **election_kw):
    """An active election with standby on, and a shift whose seats are all taken."""
    e = f.election(standby_enabled=True, offers_per_seat=2, **election_kw)
    shift = f.shift(e, capacity=capacity)
    seated = [f.volunteer() for _ in range(capacity)]
    for person in seated:
        services.assign(shift, person, by=None)
    return shift, [shift.assignments.get(volunteer=p) for p in seated]


def queue(shift, count: int, **kw) -> list:
    """``count`` people join the shift's standby list, one after the other."""
    people = []
    for i in range(count):
        person = f.volunteer(first_name=f"Standby{i}", **kw)
        standby.join_standby(person, election=shift.election, shift=shift)
        people.append(person)
    return people


def offers_to(shift) -> list:
    return list(
        SeatOffer.objects.filter(shift=shift, status=Offer.OPEN)
        .order_by("entry__created_at")
        .values_list("entry__volunteer__first_name", flat=True)
    )


def claim_token(person) -> str:
    """The claim link's token in the last offer the person was emailed (the
    outbox keeps no link once a message is sent)."""
    [*_earlier, last] = [m for m in mail.outbox if m.to == [person.email] and CLAIM.search(m.body)]
    return CLAIM.search(last.body).group(1)


def offer_of(person) -> SeatOffer:
    return SeatOffer.objects.get(token_hash=hash_token(claim_token(person)))


# --- joining and leaving ---------------------------------------------------------------------


def test_joining_twice_is_one_entry_in_order(committed):
    shift, _seated = full_shift()
    first, second = queue(shift, 2)
    again = standby.join_standby(first, election=shift.election, shift=shift)
    entries = list(StandbyEntry.objects.filter(shift=shift).order_by("created_at", "pk"))
    assert [e.volunteer for e in entries] == [first, second]
    assert again == entries[0]
    assert AuditEntry.objects.filter(action="staffing.standby_join").count() == 2


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("seated", "You already have a seat on this shift."),
        ("invite_only", "filled by invitation only"),
        ("draft", "is not active"),
        ("started", "already started"),
        ("do_not_contact", "asked us not to contact you"),
    ],
)
def test_joining_is_refused_with_the_reason(setup, message):
    shift, [seat] = full_shift()
    person = seat.volunteer if setup == "seated" else f.volunteer()
    if setup == "invite_only":
        shift.role.invite_only = True
        shift.role.save()
    elif setup == "draft":
        shift.election.status = "draft"
        shift.election.save()
    elif setup == "started":
        shift.starts_at = timezone.now() - timedelta(minutes=5)
        shift.save()
    elif setup == "do_not_contact":
        person.do_not_contact = True
        person.save()
    with pytest.raises(Refused, match=message):
        standby.join_standby(person, election=shift.election, shift=shift)
    assert not StandbyEntry.objects.filter(volunteer=person).exists()


def test_leaving_withdraws_the_open_offer_and_it_moves_on(committed):
    shift, [seat] = full_shift()
    shift.election.offers_per_seat = 1
    shift.election.save()
    first, second = queue(shift, 2)
    committed(services.decline, seat)
    assert offers_to(shift) == [first.first_name]
    token = claim_token(first)

    committed(standby.leave_standby, StandbyEntry.objects.get(volunteer=first))

    assert StandbyEntry.objects.get(volunteer=first).status == StandbyEntry.Status.LEFT
    assert standby.resolve_offer(token) is None  # the link is dead: the uniform 404
    assert offers_to(shift) == [second.first_name]


# --- a freed seat is offered -----------------------------------------------------------------


def test_a_decline_offers_the_seat_to_the_next_people_in_order(committed, mailoutbox):
    shift, [seat] = full_shift()
    people = queue(shift, 4)

    committed(services.decline, seat)

    # One free seat, offered to offers_per_seat (2) people: the first two on the list.
    assert offers_to(shift) == [people[0].first_name, people[1].first_name]
    offer = offer_of(people[0])
    assert offer.deadline == offer.created_at + timedelta(hours=shift.election.offer_hours)
    mail = next(m for m in mailoutbox if m.to == [people[0].email] and "free" in m.subject)
    assert "/v/offer/" in mail.body and "Claim the seat by" in mail.body
    # Running again changes nothing: the seat is covered by the open offers.
    assert standby.offer_free_seats(shift.pk) == []


def test_a_withdrawal_expiry_removal_move_and_more_seats_offer_seats(committed, coordinator):
    shift, [a, b] = full_shift(capacity=2)
    shift.election.offers_per_seat = 1
    shift.election.save()
    people = queue(shift, 6)
    other = f.shift(shift.election, capacity=3, start=21, end=23)

    committed(services.remove, a, by=coordinator)
    assert len(offers_to(shift)) == 1
    committed(services.move, b, other, by=coordinator)
    assert len(offers_to(shift)) == 2
    committed(services.resize_shift, shift, 4, by=coordinator)
    assert offers_to(shift) == [p.first_name for p in people[:4]]


def test_an_expired_invitation_offers_its_seat(committed):
    e = f.election(standby_enabled=True, offers_per_seat=1, response_days=3)
    shift = f.shift(e, capacity=1)
    [invitation] = services.invite(shift, [f.volunteer()], by=None).invited
    [waiting] = queue(shift, 1)
    Assignment.objects.filter(pk=invitation.pk).update(
        invited_at=timezone.now() - timedelta(days=4)
    )
    committed(services.expire_invitations)
    assert offers_to(shift) == [waiting.first_name]


def test_people_who_cannot_take_the_seat_are_skipped(committed):
    shift, [seat] = full_shift()
    shift.election.offers_per_seat = 1
    shift.election.save()
    young = f.volunteer(first_name="Young", born=timezone.localdate() - timedelta(days=365 * 16))
    busy = f.volunteer(first_name="Busy")
    quiet = f.volunteer(first_name="Quiet")
    fine = f.volunteer(first_name="Fine")
    for person in (young, busy, quiet, fine):
        standby.join_standby(person, election=shift.election, shift=shift)
    clash = f.shift(shift.election, capacity=1, start=9, end=12)
    services.assign(clash, busy, by=None)
    quiet.do_not_contact = True
    quiet.save()

    committed(services.decline, seat)
    assert offers_to(shift) == ["Fine"]


def test_a_team_shift_is_offered_to_members_only(committed):
    team = f.team("Venstre")
    e = f.election(standby_enabled=True, offers_per_seat=1)
    shift = f.shift(e, capacity=1, team=team)
    holder = f.volunteer()
    holder.teams.add(team)
    seat = services.assign(shift, holder, by=None)
    outsider, member = f.volunteer(first_name="Outsider"), f.volunteer(first_name="Member")
    member.teams.add(team)
    for person in (outsider, member):
        standby.join_standby(person, election=e, shift=shift)
    committed(services.decline, seat)
    assert offers_to(shift) == ["Member"]


def test_the_station_list_for_the_day_is_offered_too(committed):
    shift, [seat] = full_shift()
    shift.election.offers_per_seat = 3
    shift.election.save()
    [on_shift] = queue(shift, 1)
    at_station = f.volunteer(first_name="Station")
    day = timezone.localtime(shift.starts_at).date()
    standby.join_standby(at_station, election=shift.election, station=shift.station, day=day)
    elsewhere = f.shift(shift.election, station_=f.station(shift.station.area)).station
    standby.join_standby(
        f.volunteer(first_name="Elsewhere"), election=shift.election, station=elsewhere, day=day
    )
    committed(services.decline, seat)
    assert offers_to(shift) == [on_shift.first_name, "Station"]


# --- claiming --------------------------------------------------------------------------------


def test_the_first_claim_gets_the_seat_and_the_others_are_told(committed, mailoutbox):
    shift, [seat] = full_shift()
    first, second, third = queue(shift, 3)
    committed(services.decline, seat)
    second_offer, first_offer = offer_of(second), offer_of(first)
    mailoutbox.clear()

    got = committed(standby.claim_offer, second_offer)

    assert (got.volunteer, got.status) == (second, Status.ACCEPTED)
    assert StandbyEntry.objects.get(volunteer=second).status == StandbyEntry.Status.SEATED
    taken = SeatOffer.objects.get(entry__volunteer=first)
    assert taken.status == Offer.TAKEN
    assert StandbyEntry.objects.get(volunteer=first).status == StandbyEntry.Status.WAITING
    told = {m.to[0]: m for m in mailoutbox}
    assert "Confirmed" in told[second.email].subject
    assert "/v/" in told[second.email].body  # their personal link
    assert "is taken" in told[first.email].subject
    assert "still on the standby list" in told[first.email].body
    assert third.email not in told

    with pytest.raises(Refused, match="Someone was quicker"):
        standby.claim_offer(first_offer)
    assert shift.assignments.holding_seat().count() == 1


def test_a_double_submit_returns_the_same_seat(committed):
    shift, [seat] = full_shift()
    [person] = queue(shift, 1)
    committed(services.decline, seat)
    offer = offer_of(person)
    first = committed(standby.claim_offer, offer)
    again = committed(standby.claim_offer, offer)
    assert first.pk == again.pk
    assert Assignment.objects.filter(shift=shift, volunteer=person).count() == 1


def test_never_over_capacity_when_the_office_fills_the_seat_meanwhile(committed, coordinator):
    shift, [seat] = full_shift()
    [person] = queue(shift, 1)
    committed(services.decline, seat)
    offer = offer_of(person)
    services.assign(shift, f.volunteer(), by=coordinator)

    with pytest.raises(Refused, match="Someone was quicker"):
        committed(standby.claim_offer, offer)
    assert shift.assignments.holding_seat().count() == shift.capacity
    offer.refresh_from_db()
    assert offer.status == Offer.TAKEN


# --- expiry ----------------------------------------------------------------------------------


def test_an_unclaimed_offer_expires_and_moves_on(committed):
    shift, [seat] = full_shift()
    shift.election.offers_per_seat = 1
    shift.election.save()
    first, second = queue(shift, 2)
    committed(services.decline, seat)
    offer = offer_of(first)
    later = offer.deadline + timedelta(seconds=1)

    assert committed(standby.expire_offers, later) == 1

    offer.refresh_from_db()
    assert offer.status == Offer.EXPIRED
    assert offers_to(shift) == [second.first_name]
    with pytest.raises(Refused, match="run out"):
        standby.claim_offer(offer)
    # The first person stays on the list, but is not offered this shift again.
    assert StandbyEntry.objects.get(volunteer=first).status == StandbyEntry.Status.WAITING


def test_a_claim_after_the_deadline_is_refused(committed):
    shift, [seat] = full_shift()
    [person] = queue(shift, 1)
    committed(services.decline, seat)
    offer = offer_of(person)
    now = timezone.now()
    SeatOffer.objects.filter(pk=offer.pk).update(
        created_at=now - timedelta(hours=2), deadline=now - timedelta(seconds=1)
    )
    with pytest.raises(Refused, match="run out"):
        committed(standby.claim_offer, offer)
    assert not Assignment.objects.filter(volunteer=person).exists()


# --- election-day mode -----------------------------------------------------------------------


def test_election_day_offers_go_to_the_station_then_the_area_with_a_short_deadline(committed):
    # Election-day mode from 800 hours before the shift: the shift (30 days ahead) is in it.
    e = f.election(standby_enabled=True, offers_per_seat=3, election_day_hours=800)
    area = f.area("Nord")
    station = f.station(area, name="Nordskolen")
    neighbour = f.shift(e, station_=f.station(area, name="Nordhallen")).station
    far = f.shift(e, station_=f.station(f.area("Syd"), name="Sydhallen")).station
    shift = f.shift(e, station_=station, capacity=1)
    later_at_station = f.shift(e, station_=station, capacity=1, start=20, end=23)
    seat = services.assign(shift, f.volunteer(), by=None)
    services.assign(later_at_station, f.volunteer(), by=None)
    day = e.election_date
    # In list order: the area first, then another station far away, then the station.
    standby.join_standby(f.volunteer(first_name="Area"), election=e, station=neighbour, day=day)
    standby.join_standby(f.volunteer(first_name="Far"), election=e, station=far, day=day)
    standby.join_standby(f.volunteer(first_name="Station"), election=e, shift=later_at_station)

    committed(services.decline, seat)

    offers = list(SeatOffer.objects.filter(shift=shift).order_by("pk"))
    # The same station first, then the area; never another area.
    assert [o.entry.volunteer.first_name for o in offers] == ["Station", "Area"]
    for offer in offers:
        assert offer.deadline - offer.created_at == timedelta(minutes=30)


def test_outside_election_day_only_the_shifts_own_lists_are_offered(committed):
    e = f.election(standby_enabled=True, offers_per_seat=3, election_day_hours=24)
    station = f.station(f.area("Nord"))
    shift = f.shift(e, station_=station, capacity=1)
    later_at_station = f.shift(e, station_=station, capacity=1, start=20, end=23)
    seat = services.assign(shift, f.volunteer(), by=None)
    services.assign(later_at_station, f.volunteer(), by=None)
    standby.join_standby(f.volunteer(first_name="Other"), election=e, shift=later_at_station)
    committed(services.decline, seat)
    assert not SeatOffer.objects.filter(shift=shift).exists()


# --- switched off ----------------------------------------------------------------------------


@pytest.mark.parametrize("switch", ["paused", "election_off", "role_off"])
def test_no_offers_when_paused_or_switched_off(committed, switch):
    shift, [seat] = full_shift()
    queue(shift, 2)
    if switch == "paused":
        shift.election.standby_paused = True
        shift.election.save()
    elif switch == "election_off":
        shift.election.standby_enabled = False
        shift.election.save()
    else:
        shift.role.standby_enabled = False
        shift.role.save()

    committed(services.decline, seat)

    assert not SeatOffer.objects.exists()
    assert not Message.objects.filter(kind=messaging.SEAT_OFFER).exists()


def test_resuming_offers_the_seats_freed_while_paused(committed, coordinator):
    shift, [seat] = full_shift()
    [person] = queue(shift, 1)
    shift.election.standby_paused = True
    shift.election.save()
    committed(services.decline, seat)
    assert not SeatOffer.objects.exists()

    committed(standby.set_standby_paused, shift.election, False, by=coordinator)

    assert offers_to(shift) == [person.first_name]


# --- the rest ------------------------------------------------------------------------------


def test_joining_a_shift_with_a_free_seat_offers_it_at_once(committed):
    e = f.election(standby_enabled=True, offers_per_seat=1)
    shift = f.shift(e, capacity=1)
    person = f.volunteer(first_name="Early")
    committed(standby.join_standby, person, election=e, shift=shift)
    assert offers_to(shift) == ["Early"]


def test_the_offer_sms_holds_the_claim_link_and_the_deadline(committed, sms_outbox):
    shift, [seat] = full_shift()
    person = f.volunteer("sms", first_name="Sofie")
    standby.join_standby(person, election=shift.election, shift=shift)
    committed(services.decline, seat)
    [sms] = [m for m in sms_outbox if m.to == person.phone]
    offer = SeatOffer.objects.get(entry__volunteer=person)
    deadline = timezone.localtime(offer.deadline)
    assert "Sofie, a seat is free as" in sms.body
    assert f"Claim by {deadline.day}/{deadline.month} {deadline:%H:%M}: http" in sms.body
    assert "/v/offer/" in sms.body


def test_the_sweep_runs_every_minute(settings):
    tasks = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert tasks["staffing.tasks.expire_offers"] <= timedelta(minutes=2)


def test_a_redelivered_offer_task_offers_nothing_twice(committed):
    shift, [seat] = full_shift()
    queue(shift, 3)
    committed(services.decline, seat)
    assert tasks.offer_free_seats.delay(shift.pk).get() == 0
    assert SeatOffer.objects.filter(shift=shift).count() == 2


def test_turning_standby_on_offers_the_seats_freed_meanwhile(committed, coordinator):
    shift, [seat] = full_shift()
    shift.election.standby_enabled = False
    shift.election.save()
    [person] = queue(shift, 1)
    committed(services.decline, seat)
    assert not SeatOffer.objects.exists()

    committed(standby.update_standby_settings, shift.election, by=coordinator, standby_enabled=True)

    assert offers_to(shift) == [person.first_name]


def test_someone_seated_another_way_waits_no_more(committed):
    e = f.election(standby_enabled=True)
    shift = f.shift(e, capacity=1)
    holder = services.assign(shift, f.volunteer(), by=None)
    anna = f.volunteer(first_name="Anna")
    entry = standby.join_standby(anna, election=e, shift=shift)
    committed(services.decline, holder)  # Anna is offered the seat…
    assert SeatOffer.objects.filter(entry=entry, status=SeatOffer.Status.OPEN).exists()
    services.assign(shift, anna, by=None)  # …and the office seats her by phone meanwhile
    entry.refresh_from_db()
    assert entry.status == StandbyEntry.Status.SEATED
    assert not SeatOffer.objects.filter(entry=entry, status=SeatOffer.Status.OPEN).exists()
    assert AuditEntry.objects.filter(action="staffing.standby_seated", object_id=entry.pk).exists()


def test_closing_the_election_withdraws_open_offers(committed):
    from staffing.services.closing import change_election_status

    e = f.election(standby_enabled=True)
    shift = f.shift(e, capacity=1)
    holder = services.assign(shift, f.volunteer(), by=None)
    entry = standby.join_standby(f.volunteer(), election=e, shift=shift)
    committed(services.decline, holder)
    change_election_status(e, e.Status.CLOSED, by=None)
    assert not SeatOffer.objects.filter(entry=entry, status=SeatOffer.Status.OPEN).exists()
    assert AuditEntry.objects.get(action="staffing.withdraw_offers").detail == {"withdrawn": 1}
    entry.refresh_from_db()
    assert entry.status == StandbyEntry.Status.WAITING  # still on the list


def test_broker_down_a_decline_still_works_and_the_sweep_offers_the_seat():
    e = f.election(standby_enabled=True)
    shift = f.shift(e, capacity=1)
    holder = services.assign(shift, f.volunteer(), by=None)
    anna = f.volunteer(first_name="Anna")
    entry = standby.join_standby(anna, election=e, shift=shift)
    down = celery_broker(
        f"redis://127.0.0.1:{closed_port()}/0", task_publish_retry_policy={"max_retries": 0}
    )
    with down, TestCase.captureOnCommitCallbacks(execute=True):
        services.decline(holder)  # no exception reaches the person declining
    assert not SeatOffer.objects.filter(entry=entry).exists()  # the task was not published
    standby.expire_offers()  # the sweep (broker back)
    assert SeatOffer.objects.filter(entry=entry, status=SeatOffer.Status.OPEN).exists()


def test_dont_ask_me_again_leaves_the_standby_lists(committed):
    from staffing.services.self_service import stop_contact

    e = f.election(standby_enabled=True, offers_per_seat=1)
    shift = f.shift(e, capacity=1)
    holder = services.assign(shift, f.volunteer(), by=None)
    anna, bo = f.volunteer(first_name="Anna"), f.volunteer(first_name="Bo")
    first = standby.join_standby(anna, election=e, shift=shift)
    standby.join_standby(bo, election=e, shift=shift)
    committed(services.decline, holder)  # offered to Anna, first on the list
    committed(stop_contact, anna)
    first.refresh_from_db()
    assert first.status == StandbyEntry.Status.LEFT
    # Her offer went to Bo at once, not after its deadline.
    assert SeatOffer.objects.filter(entry__volunteer=bo, status=SeatOffer.Status.OPEN).exists()


def test_a_role_kept_out_of_standby_has_no_list_to_join():
    e = f.election(standby_enabled=True)
    shift = f.shift(e, capacity=1, role_=f.role("Valgstyrer", standby_enabled=False))
    with pytest.raises(RuleViolation, match="This shift has no standby list"):
        standby.join_standby(f.volunteer(), election=e, shift=shift)
