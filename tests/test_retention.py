"""Retention: what an election no longer needs goes N days after it closed, long-
inactive volunteers are anonymised (with history) or deleted (without), counts
stay, a dry run changes nothing, every run is audited and a second one does nothing.

The world is built today through the real services; retention runs LATER (three
years on, by its ``now``), when the election closed today is long due and
everyone untouched since is inactive. What must be kept is made recent or open.
"""

from __future__ import annotations

import importlib
import json
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from io import StringIO

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.utils import timezone

from accounts.models import AuditEntry
from elections import services as election_services
from elections.models import Election, Shift
from notifications.models import Message
from staffing import candidates, messaging, retention, services, tasks
from staffing.fill import fills_by
from staffing.links import issue_link
from staffing.models import Assignment, PersonalLink
from staffing.retention import ANONYMISED_EMAIL, REMOVED, apply_retention
from tests import factories as f
from volunteers.models import Volunteer

pytestmark = pytest.mark.django_db

LATER = timezone.now() + timedelta(days=3 * 365)
REASON = "Jeg er på ferie i Spanien med min mand"


@dataclass
class World:
    old: Election  # closed today: due LATER
    recent: Election  # closed 30 days before LATER: not due
    active: Election
    draft: Election
    seated: Volunteer  # accepted in old only: anonymised
    decliner: Volunteer  # declined in old with a reason: anonymised
    never: Volunteer  # never on a seat, links in old and active: deleted
    open_seat: Volunteer  # also invited in the active election: kept
    draft_seat: Volunteer  # also on a seat in the draft election: kept
    recent_seat: Volunteer  # declined in the recently closed election: kept
    lately: Volunteer  # never on a seat, but edited lately: kept

    def kept(self) -> list[Volunteer]:
        return [self.open_seat, self.draft_seat, self.recent_seat, self.lately]


def _one(shift: Shift, volunteer: Volunteer) -> Assignment:
    result = services.invite(shift, [volunteer], by=None)
    assert not result.refused, result.refused
    return result.invited[0]


@pytest.fixture
def world(committed, coordinator) -> World:
    old = f.election(days_ahead=20, name="Folketingsvalg gammelt")
    recent = f.election(days_ahead=60, name="Kommunalvalg nyligt")
    active = f.election(days_ahead=40, name="Europa-Parlamentsvalg")
    draft = f.election(days_ahead=80, status=Election.Status.DRAFT, name="Folkeafstemning")
    old_shift, recent_shift = f.shift(old, capacity=4), f.shift(recent, capacity=2)
    active_shift, draft_shift = f.shift(active), f.shift(draft)

    seated = f.volunteer(
        channel="sms",
        first_name="Søren",
        last_name="Kierkegaard",
        address="Nytorv 2",
        postal_code="1450",
        city="København K",
        diet="vegetar",
        notes="Ringer helst om aftenen",
        born=date(1963, 5, 5),
    )
    seated.teams.add(f.team("Socialdemokratiet"))
    decliner, never, open_seat, draft_seat, recent_seat, lately = (f.volunteer() for _ in range(6))

    def build() -> None:
        a_seated, a_decliner, a_open = (_one(old_shift, v) for v in (seated, decliner, open_seat))
        services.accept(a_seated)
        services.decline(a_decliner, reason=REASON)
        services.accept(a_open)
        services.reissue_link(seated, old, by=coordinator)
        issue_link(never, old)
        services.reissue_link(never, active, by=coordinator)
        _one(active_shift, open_seat)
        services.accept(_one(old_shift, draft_seat))
        services.decline(_one(recent_shift, recent_seat), reason="Syg")

    committed(build)
    # Seats in a draft cannot be offered through the services (nothing goes out):
    # an imported roster, say.
    Assignment.objects.create(shift=draft_shift, volunteer=draft_seat, status="invited")
    PersonalLink.objects.filter(volunteer=seated).update(last_used_at=timezone.now())
    for election in (old, recent):
        election_services.set_election_status(election, "closed", by=coordinator)
    Election.objects.filter(pk=recent.pk).update(closed_at=LATER - timedelta(days=30))
    Volunteer.objects.filter(pk=lately.pk).update(updated_at=LATER - timedelta(days=30))
    return World(
        old, recent, active, draft, seated, decliner, never, open_seat, draft_seat, recent_seat,
        lately,
    )  # fmt: skip


# --- what the database holds, for before/after ------------------------------------------


def _election_messages(election: Election):
    return Message.objects.filter(retention._election_messages([election.pk]))


def counts_of(election: Election) -> dict[str, int]:
    return {
        "reasons": Assignment.objects.filter(shift__election=election).exclude(reason="").count(),
        "messages": _election_messages(election).exclude(to=REMOVED).count(),
        "links": PersonalLink.objects.filter(election=election).count(),
    }


def statistics() -> dict[str, object]:
    """What must survive retention: fill counts and messages by kind and status."""
    return {
        "fills": fills_by(Shift.objects.all(), "election_id"),
        "messages": Counter(Message.objects.values_list("channel", "kind", "status")),
        "assignments": Counter(Assignment.objects.values_list("shift_id", "status")),
    }


def volunteer_rows(volunteers) -> list[tuple]:
    fields = [f.attname for f in Volunteer._meta.concrete_fields]
    return list(
        Volunteer.objects.filter(pk__in=[v.pk for v in volunteers])
        .order_by("pk")
        .values_list(*fields)
    )


def everything() -> dict[str, list]:
    """Every row of what retention may touch, to show that nothing changed."""
    return {
        "volunteers": list(Volunteer.objects.order_by("pk").values()),
        "teams": list(Volunteer.teams.through.objects.order_by("pk").values()),
        "assignments": list(Assignment.objects.order_by("pk").values()),
        "links": list(PersonalLink.objects.order_by("pk").values()),
        "messages": list(Message.objects.order_by("pk").values()),
        "audit": list(AuditEntry.objects.order_by("pk").values_list("pk", flat=True)),
    }


def retention_entries() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action__startswith="staffing.retention").order_by("pk"))


# --- closing -------------------------------------------------------------------------------


def test_closing_stamps_the_election_reopening_clears_it_archiving_keeps_it(coordinator):
    e = f.election()
    assert e.closed_at is None
    closed = election_services.set_election_status(e, "closed", by=coordinator)
    assert closed.closed_at is not None
    assert timezone.now() - closed.closed_at < timedelta(minutes=1)
    entry = AuditEntry.objects.filter(action="elections.set_status").latest("pk")
    assert entry.changes["status"] == ["active", "closed"]
    assert entry.changes["closed_at"][0] is None
    reopened = election_services.set_election_status(e, "active", by=coordinator)
    assert reopened.closed_at is None
    closed = election_services.set_election_status(e, "closed", by=coordinator)
    archived = election_services.set_election_status(e, "archived", by=coordinator)
    assert archived.closed_at == closed.closed_at


def test_the_migration_counts_elections_closed_before_it_as_closed_now():
    """When they really closed is not known: nothing goes on the day of the upgrade."""
    migration = importlib.import_module("elections.migrations.0004_election_closed_at")
    closed, archived, active = (f.election(status=s) for s in ("closed", "archived", "active"))
    migration.closed_now(django_apps, None)
    stamped = dict(Election.objects.values_list("pk", "closed_at"))
    assert stamped[active.pk] is None
    for e in (closed, archived):
        assert timezone.now() - stamped[e.pk] < timedelta(minutes=1)
    assert apply_retention().elections == []


def test_a_closed_election_with_no_closing_time_counts_as_open(world):
    """Written around the services (the migration stamps elections closed before it)."""
    Election.objects.filter(pk=world.old.pk).update(closed_at=None)
    report = apply_retention(now=LATER)
    assert report.elections == []
    assert counts_of(world.old)["reasons"] == 1
    assert Volunteer.objects.filter(pk=world.seated.pk, last_name="Kierkegaard").exists()


# --- the run -------------------------------------------------------------------------------


@pytest.mark.parametrize("batch", [2, retention.BATCH])
def test_run_clears_what_the_election_no_longer_needs_with_counts_before_and_after(
    world, monkeypatch, batch
):
    monkeypatch.setattr(retention, "BATCH", batch)
    before = counts_of(world.old)
    # 1 decline reason; 9 messages (4 invitations, 3 acceptances, 1 declined, a
    # reissued link); 10 links (4 with the invitations, 4 with the answers, the
    # reissued one, one issued to someone never on a seat).
    assert before == {"reasons": 1, "messages": 9, "links": 10}
    stats = statistics()
    untouched = counts_of(world.recent)
    kept = volunteer_rows(world.kept())
    volunteer_messages = messaging.messages_for_volunteer(world.never).count()

    report = apply_retention(now=LATER)

    [result] = report.elections
    assert result.election_id == world.old.pk
    assert (result.counts.reasons, result.counts.messages, result.counts.links) == (1, 9, 10)
    assert result.counts.cancelled == 0
    assert counts_of(world.old) == {"reasons": 0, "messages": 0, "links": 0}
    assert report.volunteers.anonymised == 2  # seated, decliner
    assert report.volunteers.deleted == 1  # never
    # never's link and message in the active election went with them.
    assert (report.volunteers.links, report.volunteers.messages) == (1, volunteer_messages)
    assert report.totals() == {
        "decline_reasons": 1,
        "messages": 9 + volunteer_messages,
        "cancelled": 0,
        "links": 11,
        "volunteers_anonymised": 2,
        "volunteers_deleted": 1,
    }
    assert statistics() == stats
    assert counts_of(world.recent) == untouched
    assert volunteer_rows(world.kept()) == kept


def test_messages_keep_what_statistics_need_and_nothing_else(world):
    message = _election_messages(world.old).get(kind="declined")
    apply_retention(now=LATER)
    emptied = Message.objects.get(pk=message.pk)
    assert (emptied.to, emptied.body, emptied.body_html, emptied.subject) == (
        REMOVED,
        REMOVED,
        "",
        "",
    )
    assert (emptied.last_error, emptied.provider_id) == ("", "")
    kept = ("channel", "kind", "language", "status", "attempts", "created_at", "sent_at")
    assert [getattr(emptied, name) for name in kept] == [getattr(message, name) for name in kept]
    assert (emptied.subject_type, emptied.subject_id) == (message.subject_type, message.subject_id)


def test_anonymised_volunteers_keep_their_seats_and_can_never_be_contacted(world):
    seats = list(Assignment.objects.filter(volunteer=world.seated).values_list("pk", "status"))
    apply_retention(now=LATER)
    seated = Volunteer.objects.get(pk=world.seated.pk)
    assert seated.full_name == "Anonymised"
    assert (seated.email, seated.phone, seated.preferred_channel) == (ANONYMISED_EMAIL, "", "email")
    assert seated.birth_date == date(1900, 1, 1)
    assert (seated.address, seated.postal_code, seated.city, seated.diet, seated.notes) == (
        ("", "", "", "", "")
    )
    assert seated.do_not_contact
    assert not seated.teams.exists() and not seated.skills.exists()
    assert list(Assignment.objects.filter(volunteer=seated).values_list("pk", "status")) == seats
    assert not PersonalLink.objects.filter(volunteer=seated).exists()
    assert not messaging.may_message(seated, world.active)
    later_shift = f.shift(world.active, start=6, end=7)
    refused = services.invite(later_shift, [seated], by=None).refused
    assert [r.code for _, r in refused] == ["do_not_contact"]
    assert not Volunteer.objects.filter(pk=world.never.pk).exists()
    # Nobody searching for people to invite finds what is left of them.
    assert candidates.search(later_shift, "Anonymised") == []


def test_an_election_closed_less_than_n_days_ago_is_untouched(world):
    before = counts_of(world.recent)
    messages = list(_election_messages(world.recent).values())
    assert before["reasons"] == 1
    report = apply_retention(now=LATER)
    assert world.recent.pk not in [e.election_id for e in report.elections]
    assert counts_of(world.recent) == before
    assert list(_election_messages(world.recent).values()) == messages
    # Its day comes.
    report = apply_retention(now=LATER + timedelta(days=60))
    assert [e.election_id for e in report.elections] == [world.recent.pk]
    assert counts_of(world.recent) == {"reasons": 0, "messages": 0, "links": 0}


@pytest.mark.parametrize("who", ["open_seat", "draft_seat", "recent_seat"])
def test_a_volunteer_with_a_seat_in_an_open_election_is_untouched(world, who):
    volunteer = getattr(world, who)
    row = volunteer_rows([volunteer])
    apply_retention(now=LATER)
    assert volunteer_rows([volunteer]) == row


@pytest.mark.parametrize(
    "activity",
    ["updated", "created", "invited", "answered", "checked in", "link used"],
)
def test_a_volunteer_active_recently_is_untouched(world, activity):
    lately = LATER - timedelta(days=300)
    v = world.seated
    mine = Assignment.objects.filter(volunteer=v)
    if activity == "updated":
        Volunteer.objects.filter(pk=v.pk).update(updated_at=lately)
    elif activity == "created":
        Volunteer.objects.filter(pk=v.pk).update(created_at=lately)
    elif activity == "invited":
        mine.update(invited_at=lately)
    elif activity == "answered":
        mine.update(responded_at=lately)
    elif activity == "checked in":
        mine.update(status="checked_in", checked_in_at=lately)
    else:
        # A link in an election being cleared does not count (it is about to
        # go); one in an open election does.
        PersonalLink.objects.filter(volunteer=v).update(last_used_at=lately)
        assert volunteers_due_ids() >= {v.pk}
        issue_link(v, world.active)
        PersonalLink.objects.filter(volunteer=v, election=world.active).update(last_used_at=lately)
    row = volunteer_rows([v])
    report = apply_retention(now=LATER)
    assert volunteer_rows([v]) == row
    assert report.volunteers.anonymised == 1  # the decliner still goes


def volunteers_due_ids() -> set[int]:
    return set(retention.volunteers_due(LATER).values_list("pk", flat=True))


def test_a_volunteer_inactive_for_less_than_m_months_is_kept(world, settings):
    settings.RETENTION_INACTIVE_MONTHS = 48
    report = apply_retention(now=LATER)
    assert (report.volunteers.anonymised, report.volunteers.deleted) == (0, 0)
    assert report.elections[0].counts.reasons == 1  # the election's own data still goes


# --- dry run, audit, idempotence -----------------------------------------------------------


def test_dry_run_counts_what_the_run_does_and_changes_nothing(world):
    before = everything()
    dry = apply_retention(dry_run=True, now=LATER)
    assert everything() == before  # no row changed, no audit entry
    assert dry.dry_run and dry.changed
    run = apply_retention(now=LATER)
    assert {**dry.as_dict(), "dry_run": False} == run.as_dict()


def test_the_run_is_audited_with_counts_and_no_personal_data(world):
    apply_retention(now=LATER)
    election_entry, volunteer_entry = retention_entries()
    assert election_entry.action == "staffing.retention_election"
    assert (election_entry.actor, election_entry.actor_kind) == (None, "system")
    assert (election_entry.object_type, election_entry.object_id) == (
        "elections.election",
        world.old.pk,
    )
    assert election_entry.election_id == world.old.pk
    assert election_entry.detail["reasons"] == 1
    assert election_entry.detail["messages"] == 9
    assert election_entry.detail["links"] == 10
    assert election_entry.detail["days_after_close"] == 90
    assert volunteer_entry.action == "staffing.retention_volunteers"
    assert (volunteer_entry.detail["anonymised"], volunteer_entry.detail["deleted"]) == (2, 1)
    assert volunteer_entry.detail["inactive_months"] == 24
    written = json.dumps(
        [[e.object_repr, e.changes, e.detail] for e in retention_entries()], ensure_ascii=False
    )
    for person in (world.seated, world.decliner, world.never):
        for value in (person.first_name, person.last_name, person.email, person.phone):
            if value:
                assert value not in written
    assert REASON not in written and "Nytorv" not in written


def test_a_second_run_changes_nothing_more(world):
    apply_retention(now=LATER)
    before = everything()
    again = apply_retention(now=LATER)
    assert not again.changed
    assert set(again.totals().values()) == {0}
    assert everything() == before  # and no audit entry


def test_queued_messages_are_cancelled_and_one_being_sent_waits(world):
    invitation = _election_messages(world.old).filter(kind="invitation")
    queued, sending = invitation.order_by("pk")[:2]
    Message.objects.filter(pk=queued.pk).update(status="queued", sent_at=None)
    Message.objects.filter(pk=sending.pk).update(status="sending")
    report = apply_retention(now=LATER)
    assert (report.elections[0].counts.messages, report.elections[0].counts.cancelled) == (8, 1)
    queued.refresh_from_db()
    sending.refresh_from_db()
    assert (queued.status, queued.to) == ("cancelled", REMOVED)
    assert sending.to != REMOVED  # in a worker's hands: left for the next run
    Message.objects.filter(pk=sending.pk).update(status="sent")
    assert apply_retention(now=LATER).elections[0].counts.messages == 1


def test_an_election_reopened_is_no_longer_due(world, coordinator):
    election_services.set_election_status(world.old, "active", by=coordinator)
    report = apply_retention(now=LATER)
    assert report.elections == []
    assert counts_of(world.old)["reasons"] == 1


# --- the beat task and the command ---------------------------------------------------------


def test_the_beat_task_applies_retention_and_returns_the_counts(world, settings):
    assert settings.CELERY_BEAT_SCHEDULE["apply-retention"]["task"] == (
        "staffing.tasks.apply_retention"
    )
    Election.objects.filter(pk=world.old.pk).update(closed_at=timezone.now() - timedelta(days=91))
    result = tasks.apply_retention.delay().get()
    assert [e["id"] for e in result["elections"]] == [world.old.pk]
    assert result["totals"]["decline_reasons"] == 1
    assert result["totals"]["volunteers_anonymised"] == 0  # all active within 24 months
    assert counts_of(world.old) == {"reasons": 0, "messages": 0, "links": 0}
    assert json.loads(json.dumps(result)) == result
    assert tasks.apply_retention.delay().get()["totals"]["decline_reasons"] == 0


def test_the_command_prints_what_would_go_and_what_went(world, settings):
    Election.objects.filter(pk=world.old.pk).update(closed_at=timezone.now() - timedelta(days=91))
    settings.RETENTION_INACTIVE_MONTHS = 0  # everyone untouched since now is inactive
    before = everything()
    out = StringIO()
    call_command("apply_retention", "--dry-run", stdout=out)
    dry = out.getvalue()
    assert everything() == before
    assert dry.startswith("Dry run: nothing has been changed.")
    assert f"{world.old}, closed" in dry
    assert "decline reasons blanked: 1" in dry
    assert "messages emptied (recipient, subject, text): 9" in dry
    assert "personal links deleted: 10" in dry
    assert "anonymised (they had seats): 2" in dry
    assert str(world.recent) not in dry

    out = StringIO()
    call_command("apply_retention", stdout=out)
    assert out.getvalue().startswith("Retention applied.")
    assert out.getvalue().split("\n", 1)[1] == dry.split("\n", 1)[1]

    out = StringIO()
    call_command("apply_retention", stdout=out)
    assert "Nothing to remove." in out.getvalue()
