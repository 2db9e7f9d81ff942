"""Merging two records of one person, through the merge page: seats in every
election, links, messages and history move to the survivor; both on one shift
keeps one seat (the stronger answer) and says so; all audited, all or nothing."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEntry, User
from notifications.models import Message
from staffing import services
from staffing.links import issue_link
from staffing.models import Assignment, PersonalLink
from staffing.services.merge import merge_volunteers, merged_ids
from tests import factories as f
from volunteers.models import Skill, Volunteer

pytestmark = pytest.mark.django_db


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def pair():
    team_a, team_b = f.team("Venstre"), f.team("Hjemmeværnet")
    keep = f.volunteer(
        first_name="Søren", last_name="Kjærgaard", born=date(1970, 1, 2), channel="sms"
    )
    keep.teams.add(team_a)
    gone = f.volunteer(
        first_name="Soeren",
        last_name="Kjaergaard",
        born=date(1970, 1, 2),
        email="soren@example.dk",
        city="Aarhus",
        notes="Kan kun om formiddagen",
    )
    gone.teams.add(team_b)
    gone.skills.add(Skill.objects.create(name="Førstehjælp"))
    return keep, gone


def merge_page(volunteer: Volunteer) -> str:
    return reverse("staffing:volunteer_merge", args=[volunteer.pk])


def test_merge_moves_seats_links_messages_and_history(pair, coordinator, committed):
    keep, gone = pair
    e1 = f.election(name="Folketingsvalg 2027")
    e2 = f.election(name="Kommunalvalg 2029", days_ahead=60)
    [seat1] = committed(services.invite, f.shift(e1), [gone], by=coordinator).invited
    committed(services.accept, seat1)
    [seat2] = committed(services.invite, f.shift(e2), [gone], by=coordinator).invited
    token = issue_link(gone, e1)
    client = login(coordinator)
    client.post(
        reverse("staffing:volunteer_edit", args=[gone.pk]),
        {
            "first_name": gone.first_name,
            "last_name": gone.last_name,
            "birth_date": "1970-01-02",
            "email": gone.email,
            "preferred_channel": "email",
            "language": "en",
            "city": "Aarhus C",
            "notes": gone.notes,
            "teams": [t.pk for t in gone.teams.all()],
            "skills": [s.pk for s in gone.skills.all()],
            # Warned that Søren is likely the same person: saved anyway.
            "duplicates_seen": str(keep.pk),
            "save_anyway": "1",
        },
    )
    messages_before = Message.objects.filter(subject_id__in=[seat1.pk, seat2.pk]).count()
    assert messages_before >= 3  # two invitations and a confirmation

    # The page finds the likely duplicate (same name, Danish-folded, and birth date).
    page = client.get(merge_page(keep))
    assert [row["v"] for row in page.context["candidates"]] == [gone]
    assert "same name and date of birth" in page.content.decode()
    compare = client.get(merge_page(keep), {"other": gone.pk}).content.decode()
    assert "Keep Søren Kjærgaard" in compare and "Keep Soeren Kjaergaard" in compare

    response = client.post(merge_page(keep), {"other": gone.pk, "keep": "this"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("staffing:volunteer", args=[keep.pk])
    text = response.content.decode()
    assert "Soeren Kjaergaard is merged into Søren Kjærgaard: 2 seats moved" in text
    assert not Volunteer.objects.filter(pk=gone.pk).exists()
    assert set(Assignment.objects.filter(volunteer=keep)) == {seat1, seat2}
    assert set(PersonalLink.objects.values_list("volunteer_id", flat=True)) == {keep.pk}
    # The link mailed to the merged record opens the survivor's seats.
    assert client.get(reverse("portal:home", args=[token])).status_code == 200
    keep.refresh_from_db()
    assert keep.email == "soren@example.dk"  # taken over: the survivor had none
    assert keep.city == "Aarhus C"
    assert keep.phone.startswith("+45")  # its own kept
    assert keep.notes == "Kan kun om formiddagen"
    assert {t.name for t in keep.teams.all()} == {"Venstre", "Hjemmeværnet"}
    assert [s.name for s in keep.skills.all()] == ["Førstehjælp"]

    # Audited: the merge on the survivor, the merged record's end, each seat moved.
    entry = AuditEntry.objects.get(action="staffing.merge_volunteers")
    assert entry.actor == coordinator and entry.object_id == keep.pk
    assert entry.detail["merged"] == gone.pk and entry.detail["assignments"] == 2
    assert entry.changes["email"] == ["", "soren@example.dk"]
    assert AuditEntry.objects.get(action="volunteers.merged_into").object_id == gone.pk
    moved = AuditEntry.objects.filter(action="staffing.merge_move")
    assert sorted(moved.values_list("object_id", flat=True)) == sorted([seat1.pk, seat2.pk])
    assert moved.first().changes == {"volunteer": [gone.pk, keep.pk]}

    # The survivor's page shows the merged record's history and messages.
    response = client.get(reverse("staffing:volunteer", args=[keep.pk]))
    events = response.context["events"]
    titles = [ev.title for ev in events]
    assert "Another record merged into this one" in titles
    assert "Record changed" in titles  # the edit of the merged record, before the merge
    assert sum(1 for ev in events if ev.kind == "message") == messages_before


def test_both_on_the_same_shift_keeps_the_accepted_seat(pair, coordinator):
    keep, gone = pair
    e = f.election()
    shift = f.shift(e, capacity=5)
    later = f.shift(e, start=21, end=23)
    [mine] = services.invite(shift, [keep], by=coordinator).invited
    [theirs] = services.invite(shift, [gone], by=coordinator).invited
    services.accept(theirs)
    services.invite(later, [gone], by=coordinator)
    response = login(coordinator).post(
        merge_page(keep), {"other": gone.pk, "keep": "this"}, follow=True
    )
    text = response.content.decode()
    assert "Both records were on the same shift" in text
    assert "the seat kept is the one that was accepted" in text
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert theirs.volunteer_id == keep.pk and theirs.status == "accepted"
    assert mine.status == "removed"
    assert Assignment.objects.filter(volunteer=keep).holding_seat().count() == 2
    entry = AuditEntry.objects.get(action="staffing.merge_volunteers")
    assert entry.detail["conflicts"] == [["same_shift", theirs.pk, mine.pk, None]]
    drop = AuditEntry.objects.get(action="staffing.merge_drop")
    assert drop.object_id == mine.pk and drop.changes == {"status": ["invited", "removed"]}


def test_overlapping_seats_are_reported_not_changed(pair, coordinator):
    keep, gone = pair
    e = f.election()
    morning = f.shift(e, start=8, end=14)
    midday = f.shift(e, start=12, end=18)
    services.invite(morning, [keep], by=None)
    services.invite(midday, [gone], by=None)
    result = merge_volunteers(keep, gone, by=coordinator)
    assert [c.kind for c in result.conflicts] == ["overlap"]
    assert Assignment.objects.filter(volunteer=keep).holding_seat().count() == 2


def test_keep_the_other_record(pair, coordinator):
    keep, gone = pair
    response = login(coordinator).post(merge_page(keep), {"other": gone.pk, "keep": "other"})
    assert response["Location"] == reverse("staffing:volunteer", args=[gone.pk])
    assert not Volunteer.objects.filter(pk=keep.pk).exists()


def test_merged_ids_follow_a_chain_of_merges(coordinator):
    a, b, c = f.volunteer(), f.volunteer(), f.volunteer()
    merge_volunteers(b, a, by=coordinator)
    merge_volunteers(c, b, by=coordinator)
    assert merged_ids(c.pk) == sorted([a.pk, b.pk])


def test_merge_is_all_or_nothing(pair, coordinator, monkeypatch):
    keep, gone = pair
    [seat] = services.invite(f.shift(), [gone], by=None).invited
    from staffing.services import merge

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(merge.audit, "record", broken)
    with pytest.raises(RuntimeError):
        merge_volunteers(keep, gone, by=coordinator)
    seat.refresh_from_db()
    assert seat.volunteer_id == gone.pk
    assert Volunteer.objects.filter(pk=gone.pk).exists()
    assert not AuditEntry.objects.filter(action__startswith="staffing.merge").exists()


def test_bad_merge_input(pair, coordinator):
    keep, gone = pair
    client = login(coordinator)
    for data in ({}, {"other": "abc"}, {"other": keep.pk}, {"other": 999999}):
        response = client.post(merge_page(keep), data)
        assert response.status_code == 200
        assert "Choose the other record." in response.content.decode()
    response = client.post(merge_page(keep), {"other": gone.pk, "keep": "both"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert Volunteer.objects.filter(pk=gone.pk).exists()


def test_merge_needs_every_seat_in_scope(pair):
    keep, gone = pair
    mine, theirs = f.election(), f.election(days_ahead=60)
    services.invite(f.shift(theirs), [gone], by=None)
    limited = f.user(role="coordinator", elections=[mine])
    response = login(limited).post(
        merge_page(keep), {"other": gone.pk, "keep": "this"}, follow=True
    )
    assert "seats in elections you do not manage" in response.content.decode()
    assert Volunteer.objects.filter(pk=gone.pk).exists()


def test_only_managers_merge(pair):
    keep, gone = pair
    leader = f.user(role="team_leader", teams=list(keep.teams.all()))
    response = login(leader).post(merge_page(keep), {"other": gone.pk, "keep": "this"})
    assert response.status_code == 404
    assert Volunteer.objects.filter(pk=gone.pk).exists()


def test_the_compare_page_names_no_shift_of_an_election_the_user_does_not_manage():
    """A coordinator of election A compares two records that share a seat in
    election B: the page does not name B's station (and the merge is refused)."""
    mine, theirs = f.election(name="Valg A"), f.election(name="Hemmeligt valg B")
    hidden = f.shift(theirs, station_=f.station(f.area("Syd"), name="Skjult Skole"), capacity=2)
    a, b = f.volunteer(first_name="Mette"), f.volunteer(first_name="Mette")
    services.invite(hidden, [a, b], by=None)
    user = f.user(role="coordinator", elections=[mine])
    url = reverse("staffing:volunteer_merge", args=[a.pk])
    html = login(user).get(url, {"other": b.pk}).content.decode()
    assert "Skjult Skole" not in html and "Hemmeligt valg B" not in html
    coordinator = f.user(coordinator=True)
    assert "Skjult Skole" in login(coordinator).get(url, {"other": b.pk}).content.decode()


def test_merge_keeps_what_reinvitation_runs_did_with_the_merged_records_seats(coordinator):
    from staffing.models import ReinviteRow, ReinviteRun

    e = f.election()
    before, after = f.shift(e), f.shift(e, start=9, end=10)
    keep, gone = f.volunteer(), f.volunteer()
    run = ReinviteRun.objects.create(election=e, requested_by=coordinator, language="da")
    both = {"run": run, "previous_shift": before, "outcome": "invited", "shift": after}
    ReinviteRow.objects.create(volunteer=keep, **both)
    ReinviteRow.objects.create(volunteer=gone, **both)  # the same previous seat
    ReinviteRow.objects.create(
        run=run,
        volunteer=gone,
        previous_shift=after,
        outcome="not_invited",
        reason_code="no_seat",
        reason="No such seat",
    )
    merge_volunteers(keep, gone, by=coordinator)
    rows = ReinviteRow.objects.filter(run=run).order_by("previous_shift_id")
    assert [(r.volunteer_id, r.previous_shift_id) for r in rows] == [
        (keep.pk, before.pk),
        (keep.pk, after.pk),
    ]


def test_standby_places_move_to_the_record_kept():
    from staffing.models import StandbyEntry
    from staffing.services.standby import join_standby

    e = f.election(standby_enabled=True)
    full, other = f.shift(e, capacity=1), f.shift(e, capacity=1, start=20, end=23)
    keep, gone = f.volunteer(first_name="Karen"), f.volunteer(first_name="Karen")
    early = join_standby(gone, election=e, shift=full)  # first in the list
    later = join_standby(keep, election=e, shift=full)
    only_gone = join_standby(gone, election=e, shift=other)
    merge_volunteers(keep, gone, by=None)
    waiting = StandbyEntry.objects.filter(volunteer=keep, status="waiting")
    assert {entry.shift_id for entry in waiting} == {full.pk, other.pk}
    later.refresh_from_db()
    assert later.created_at == early.created_at  # the earlier place in the list is kept
    only_gone.refresh_from_db()
    assert only_gone.volunteer_id == keep.pk


def test_wishes_move_to_the_record_kept_where_it_has_none():
    from staffing.models import Preference

    first, second = f.election(), f.election()
    keep, gone = f.volunteer(first_name="Karen"), f.volunteer(first_name="Karen")
    Preference.objects.create(volunteer=keep, election=first, max_shifts=1)
    Preference.objects.create(volunteer=gone, election=first, max_shifts=3)
    moved = Preference.objects.create(volunteer=gone, election=second, near_home=True)
    merge_volunteers(keep, gone, by=None)
    wishes = {p.election_id: p for p in Preference.objects.filter(volunteer=keep)}
    assert wishes[first.pk].max_shifts == 1  # the survivor's own wishes win
    assert wishes[second.pk].pk == moved.pk and wishes[second.pk].near_home
    assert Preference.objects.count() == 2
