"""The staffing services as the office uses them: every change audited in its own
transaction, the people affected told (or asked about first), refusals named."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditEntry
from elections.models import Election
from notifications.models import Message
from pollcrew.refusals import Refused
from staffing import services
from staffing.links import issue_link, resolve_link
from staffing.messaging import messages_for_volunteer
from staffing.models import Assignment, PersonalLink, hash_token
from staffing.rules import RuleViolation
from tests import factories as f
from tests.fakes.scenarios import link_in

pytestmark = pytest.mark.django_db
Status = Assignment.Status


def invite_one(shift, volunteer, by=None) -> Assignment:
    result = services.invite(shift, [volunteer], by=by)
    assert not result.refused, result.refused
    return result.invited[0]


def accepted(shift, volunteer) -> Assignment:
    return services.accept(invite_one(shift, volunteer))


def entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("pk"))


def entry(action: str) -> AuditEntry:
    [only] = entries(action)
    return only


def kinds_about(assignment: Assignment) -> list[str]:
    return list(Message.objects.about(assignment).order_by("pk").values_list("kind", flat=True))


def status_of(assignment: Assignment) -> str:
    assignment.refresh_from_db()
    return assignment.status


# --- the audit log ------------------------------------------------------------------------


class TestAudit:
    def test_invite_writes_one_entry_per_invitation_by_the_staff_user(self, coordinator):
        shift = f.shift()
        result = services.invite(shift, [f.volunteer(), f.volunteer()], by=coordinator)
        written = entries("staffing.invite")
        assert sorted(e.object_id for e in written) == sorted(a.pk for a in result.invited)
        for one in written:
            assert (one.actor, one.actor_kind) == (coordinator, "staff")
            assert one.actor_label == coordinator.email
            assert one.election_id == shift.election_id
            assert one.changes["status"] == [None, "invited"]

    def test_answers_by_link_are_the_volunteers_and_on_behalf_the_staffs(self, coordinator):
        shift = f.shift()
        a = invite_one(shift, f.volunteer())
        services.accept(a)
        services.decline(a, by=coordinator, reason="Syg")
        by_link, on_behalf = entry("staffing.accept"), entry("staffing.decline")
        assert (by_link.actor, by_link.actor_kind) == (None, "volunteer")
        assert by_link.changes["status"] == ["invited", "accepted"]
        assert (on_behalf.actor, on_behalf.actor_kind) == (coordinator, "staff")
        assert on_behalf.changes["status"] == ["accepted", "withdrawn"]
        # Whether a reason was given, never its text (retention removes the text).
        assert on_behalf.changes["reason"] == ["", "(given)"]
        assert "Syg" not in str(on_behalf.changes)
        assert by_link.election_id == on_behalf.election_id == shift.election_id

    def test_assign_move_and_remove(self, coordinator):
        e = f.election()
        first, second = f.shift(e), f.shift(e)
        a = services.assign(first, f.volunteer(), by=coordinator)
        services.move(a, second, by=coordinator)
        services.remove(a, by=coordinator, reason="  Flyttet til udlandet ")
        assign, move, remove = (
            entry("staffing.assign"),
            entry("staffing.move"),
            entry("staffing.remove"),
        )
        assert assign.changes["status"] == [None, "accepted"]
        assert move.changes == {"shift": [first.pk, second.pk]}
        assert remove.changes == {"status": ["accepted", "removed"]}
        assert remove.detail == {"reason": "Flyttet til udlandet", "told": True}
        for written in (assign, move, remove):
            assert (written.actor, written.actor_kind) == (coordinator, "staff")
            assert (written.object_id, written.election_id) == (a.pk, e.pk)

    def test_expiry_is_the_systems_doing(self):
        a = invite_one(f.shift(), f.volunteer())
        Assignment.objects.filter(pk=a.pk).update(invited_at=timezone.now() - timedelta(days=30))
        assert services.expire_invitations() == 1
        expired = entry("staffing.expire")
        assert (expired.actor, expired.actor_kind) == (None, "system")
        assert expired.changes == {"status": ["invited", "expired"]}
        assert (expired.object_id, expired.election_id) == (a.pk, a.shift.election_id)

    def test_shift_create_update_delete(self, coordinator):
        e = f.election()
        shift = services.create_shift(
            e,
            station=f.station(),
            role=f.role(),
            starts_at=f.at(e.election_date, 8),
            ends_at=f.at(e.election_date, 14),
            capacity=3,
            by=coordinator,
        )
        services.resize_shift(shift, 5, by=coordinator)
        services.delete_shift(shift, by=coordinator)
        created = entry("staffing.create_shift")
        assert created.changes["capacity"] == [None, 3]
        assert created.changes["election"] == [None, e.pk]
        assert entry("staffing.update_shift").changes == {"capacity": [3, 5]}
        assert entry("staffing.delete_shift").changes["capacity"] == [5, None]
        for written in (created, entry("staffing.update_shift"), entry("staffing.delete_shift")):
            assert (written.actor_kind, written.election_id) == ("staff", e.pk)
            assert written.object_id == shift.pk

    def test_refused_invite_writes_nothing(self, coordinator):
        shift = f.shift(f.election(status=Election.Status.DRAFT))
        before = AuditEntry.objects.count()
        with pytest.raises(RuleViolation) as exc:
            services.invite(shift, [f.volunteer()], by=coordinator)
        assert exc.value.code == "election_not_active"
        assert AuditEntry.objects.count() == before
        assert not Assignment.objects.exists() and not PersonalLink.objects.exists()


# --- notices to the volunteer ---------------------------------------------------------------


class TestNotices:
    def test_removal_is_told_in_english_by_email(self, committed, mailoutbox):
        shift = f.shift(role_=f.role("Valgstyrer"))
        a = accepted(shift, f.volunteer())
        committed(services.remove, a, by=f.user())
        assert kinds_about(a)[-1] == "removed"
        assert Message.objects.about(a).get(kind="removed").status == "sent"
        assert mailoutbox[-1].to == [a.volunteer.email]
        assert mailoutbox[-1].subject.startswith("You are no longer on the shift as Valgstyrer")

    def test_move_notice_names_the_old_and_the_new_station(self, committed, mailoutbox):
        e = f.election()
        old = f.shift(e, station_=f.station(name="Rådhuset"))
        new = f.shift(e, station_=f.station(name="Vestre Skole"))
        a = invite_one(old, f.volunteer())
        committed(services.move, a, new, by=f.user())
        [notice] = mailoutbox
        assert notice.subject.endswith("has been moved")
        assert "Before: " in notice.body and "Rådhuset" in notice.body
        assert "Now: " in notice.body and "Vestre Skole" in notice.body

    def test_sms_volunteers_are_told_by_sms(self, committed, mailoutbox, sms_outbox):
        a = accepted(f.shift(), f.volunteer(channel="sms"))
        committed(services.remove, a, by=f.user())
        [sms] = sms_outbox
        assert sms.to == a.volunteer.phone
        assert "taken you off your shift" in sms.body
        assert mailoutbox == []

    def test_danish_volunteers_are_told_in_danish(self, committed, mailoutbox):
        a = accepted(f.shift(), f.volunteer(first_name="Søren", language="da"))
        committed(services.remove, a, by=f.user())
        [notice] = mailoutbox
        assert Message.objects.about(a).get(kind="removed").language == "da"
        assert "Kære Søren" in notice.body
        assert not notice.subject.startswith("You are no longer on the shift")
        assert "The election office has taken you off" not in notice.body

    @pytest.mark.parametrize("why", ["election closed", "do not contact"])
    def test_nobody_is_told_when_they_must_not_be(self, why, committed, mailoutbox):
        a = accepted(f.shift(), f.volunteer())
        if why == "election closed":
            Election.objects.filter(pk=a.shift.election_id).update(status="closed")
        else:
            type(a.volunteer).objects.filter(pk=a.volunteer_id).update(do_not_contact=True)
        committed(services.remove, a, by=f.user())
        assert status_of(a) == Status.REMOVED
        assert "removed" not in kinds_about(a)
        assert mailoutbox == []
        assert entry("staffing.remove")

    def test_a_changed_shift_is_told_to_everyone_on_it(self, committed, mailoutbox, sms_outbox):
        e = f.election()
        shift = f.shift(e, start=8, end=14, station_=f.station(name="Rådhuset"))
        by_email = accepted(shift, f.volunteer(first_name="Anna", last_name="Berg"))
        by_sms = invite_one(shift, f.volunteer(channel="sms", first_name="Bo", last_name="Dahl"))
        mailoutbox.clear()
        day = e.election_date
        change = committed(
            services.update_shift,
            shift,
            by=f.user(),
            confirm=True,
            station=f.station(name="Vestre Skole"),
            starts_at=f.at(day, 9),
            ends_at=f.at(day, 15),
        )
        assert {a.pk for a in change.notified} == {by_email.pk, by_sms.pk}
        assert kinds_about(by_email)[-1] == kinds_about(by_sms)[-1] == "shift_changed"
        [email] = mailoutbox
        assert "Rådhuset" in email.body and "08:00" in email.body  # before
        assert "Vestre Skole" in email.body and "09:00" in email.body  # now
        assert sms_outbox[-1].to == by_sms.volunteer.phone
        assert "Vestre Skole" in sms_outbox[-1].body
        assert len(entries("staffing.shift_changed")) == 2
        assert entry("staffing.update_shift").detail["notified"] == ["Anna Berg", "Bo Dahl"]
        assert (status_of(by_email), status_of(by_sms)) == (Status.ACCEPTED, Status.INVITED)

    def test_fewer_seats_take_the_latest_invitations_first(self, committed, mailoutbox):
        shift = f.shift(capacity=4)
        early_yes = accepted(shift, f.volunteer())
        late_yes = accepted(shift, f.volunteer())
        older = invite_one(shift, f.volunteer())
        newer = invite_one(shift, f.volunteer())
        Assignment.objects.filter(pk=older.pk).update(invited_at=timezone.now() - timedelta(1))
        mailoutbox.clear()
        change = committed(services.resize_shift, shift, 1, by=f.user(), confirm=True)
        assert [a.pk for a in change.removed] == [newer.pk, older.pk, late_yes.pk]
        assert status_of(early_yes) == Status.ACCEPTED
        for gone in (newer, older, late_yes):
            assert status_of(gone) == Status.REMOVED
            assert kinds_about(gone)[-1] == "removed"
        assert len(mailoutbox) == 3
        assert entry("staffing.update_shift").changes == {"capacity": [4, 1]}

    def test_deleting_a_shift_takes_everyone_off_and_tells_them(self, committed, mailoutbox):
        shift = f.shift()
        yes = accepted(shift, f.volunteer(first_name="Anna", last_name="Berg"))
        invite_one(shift, f.volunteer(first_name="Bo", last_name="Dahl"))
        services.decline(invite_one(shift, f.volunteer()))
        mailoutbox.clear()
        committed(services.delete_shift, shift, by=f.user(), confirm=True)
        assert not type(shift).objects.filter(pk=shift.pk).exists()
        assert not Assignment.objects.exists()
        assert len(mailoutbox) == 2
        assert all(m.subject.startswith("You are no longer on the shift") for m in mailoutbox)
        # The answers are gone with the shift; their messages now follow the person.
        assert not Message.objects.about(yes).exists()
        history = messages_for_volunteer(yes.volunteer).order_by("pk")
        assert list(history.values_list("kind", flat=True)) == ["invitation", "accepted", "removed"]
        deleted = entry("staffing.delete_shift")
        assert deleted.detail == {
            "removed": ["Anna Berg", "Bo Dahl"],
            "not_notified": [],
            "assignments_deleted": 3,
        }
        assert len(entries("staffing.remove")) == 2


# --- refusals that name the people ----------------------------------------------------------


def _change_station(shift):
    return services.update_shift(shift, by=None, station=f.station())


def _resize(shift):
    return services.resize_shift(shift, 1, by=None)


def _reschedule(shift):
    day = shift.election.election_date
    return services.reschedule_shift(shift, f.at(day, 9), f.at(day, 21), by=None)


def _delete(shift):
    return services.delete_shift(shift, by=None)


class TestPeopleAffected:
    @pytest.mark.parametrize(
        ("change", "affected"),
        [
            (_change_station, ["Anna Berg", "Bo Dahl"]),
            (_resize, ["Bo Dahl"]),  # the invitation goes first
            (_reschedule, ["Anna Berg", "Bo Dahl"]),
            (_delete, ["Anna Berg", "Bo Dahl"]),
        ],
    )
    def test_without_confirm_the_people_are_named_and_nothing_happens(
        self, change, affected, committed, mailoutbox
    ):
        shift = f.shift(capacity=3)
        yes = accepted(shift, f.volunteer(first_name="Anna", last_name="Berg"))
        invited = invite_one(shift, f.volunteer(first_name="Bo", last_name="Dahl"))
        services.decline(invite_one(shift, f.volunteer(first_name="Carl", last_name="Ek")))
        before = (
            Message.objects.count(),
            AuditEntry.objects.count(),
            type(shift).objects.filter(pk=shift.pk).values().get(),
        )
        with pytest.raises(services.PeopleAffected) as exc:
            committed(change, shift)
        assert exc.value.code == "people_affected"
        assert exc.value.names == affected
        for name in affected:
            assert name in exc.value.message
        assert "Carl Ek" not in exc.value.message
        after = (
            Message.objects.count(),
            AuditEntry.objects.count(),
            type(shift).objects.filter(pk=shift.pk).values().get(),
        )
        assert after == before
        assert (status_of(yes), status_of(invited)) == (Status.ACCEPTED, Status.INVITED)
        assert mailoutbox == []

    def test_a_reschedule_into_someones_other_shift_is_refused_even_confirmed(self):
        e = f.election()
        shift = f.shift(e, start=8, end=12)
        per = f.volunteer(first_name="Per", last_name="Lund")
        accepted(shift, per)
        accepted(f.shift(e, start=13, end=18), per)
        day = e.election_date
        with pytest.raises(RuleViolation) as exc:
            services.reschedule_shift(shift, f.at(day, 8), f.at(day, 14), by=None, confirm=True)
        assert exc.value.code == "breaks_rules"
        assert "Per Lund already has a shift at that time" in exc.value.message
        shift.refresh_from_db()
        assert timezone.localtime(shift.ends_at).hour == 12
        assert not entries("staffing.update_shift")
        assert not Message.objects.filter(kind="shift_changed").exists()

    def test_a_team_the_holder_is_not_in_is_refused(self):
        shift = f.shift()
        accepted(shift, f.volunteer(first_name="Ida", last_name="Holm"))
        with pytest.raises(RuleViolation) as exc:
            services.update_shift(shift, by=None, confirm=True, team=f.team("Venstre"))
        assert exc.value.code == "breaks_rules"
        assert "reserved for Venstre, and Ida Holm is not a member" in exc.value.message
        shift.refresh_from_db()
        assert shift.team is None

    def test_the_same_times_in_local_time_are_no_change(self):
        """Times come back from the database in UTC and from forms in local time:
        the same instant is not a change, and nobody is to be asked or told."""
        shift = f.shift(start=8, end=20)
        accepted(shift, f.volunteer())
        day = shift.election.election_date
        change = services.reschedule_shift(shift, f.at(day, 8), f.at(day, 20), by=None)
        assert change.notified == []
        assert not entries("staffing.update_shift")


# --- seating someone directly -------------------------------------------------------------


class TestAssign:
    def test_seats_as_accepted_with_a_confirmation(self, coordinator, committed, mailoutbox):
        shift = f.shift()
        a = committed(services.assign, shift, f.volunteer(), by=coordinator)
        assert (status_of(a), a.invited_by) == (Status.ACCEPTED, coordinator)
        assert a.responded_at is not None
        assert kinds_about(a) == ["accepted"]
        [email] = mailoutbox
        assert email.subject.startswith("Confirmed:")

    def test_an_open_invitation_is_accepted_instead_of_a_second_row(self):
        shift = f.shift()
        v = f.volunteer()
        invited = invite_one(shift, v)
        assert services.assign(shift, v, by=f.user()).pk == invited.pk
        assert list(Assignment.objects.values_list("pk", "status")) == [(invited.pk, "accepted")]
        assert entry("staffing.assign").changes["status"] == ["invited", "accepted"]

    def test_assigning_twice_is_harmless(self):
        shift, v, by = f.shift(), f.volunteer(), f.user()
        first = services.assign(shift, v, by=by)
        assert services.assign(shift, v, by=by).pk == first.pk
        assert Assignment.objects.count() == 1
        assert kinds_about(first) == ["accepted"]
        assert len(entries("staffing.assign")) == 1

    @pytest.mark.parametrize("rule", ["full", "too_young", "overlap", "team_reserved"])
    def test_the_rules_apply(self, rule):
        e = f.election()
        shift = f.shift(e, capacity=1, start=8, end=14, role_=f.role(min_age=18))
        v = f.volunteer()
        if rule == "full":
            services.assign(shift, f.volunteer(), by=None)
        elif rule == "too_young":
            v = f.volunteer(born=e.election_date - timedelta(days=17 * 366))
        elif rule == "overlap":
            services.assign(f.shift(e, start=12, end=18), v, by=None)
        else:
            shift.team = f.team()
            shift.save()
        held = Assignment.objects.count()
        with pytest.raises(RuleViolation) as exc:
            services.assign(shift, v, by=None)
        assert exc.value.code == rule
        assert Assignment.objects.count() == held


# --- moving and removing ------------------------------------------------------------------


class TestMove:
    @pytest.mark.parametrize("answer", [Status.INVITED, Status.ACCEPTED])
    def test_keeps_the_answer(self, answer):
        e = f.election()
        a = invite_one(f.shift(e), f.volunteer())
        if answer == Status.ACCEPTED:
            services.accept(a)
        target = f.shift(e)
        moved = services.move(a, target, by=f.user())
        assert (moved.shift_id, status_of(a)) == (target.pk, answer)
        assert kinds_about(a)[-1] == "moved"

    @pytest.mark.parametrize("rule", ["full", "other_election", "overlap"])
    def test_refuses_a_target_that_breaks_a_rule(self, rule):
        e = f.election()
        v = f.volunteer()
        a = invite_one(f.shift(e, start=8, end=12), v)
        target = f.shift(e, start=14, end=20, capacity=1)
        if rule == "full":
            invite_one(target, f.volunteer())
        elif rule == "other_election":
            target = f.shift(f.election(), start=14, end=20)
        else:
            invite_one(f.shift(e, start=16, end=22), v)
        with pytest.raises(RuleViolation) as exc:
            services.move(a, target, by=None)
        assert exc.value.code == rule
        a.refresh_from_db()
        assert a.shift_id != target.pk
        assert not entries("staffing.move")

    def test_cancels_the_invitation_not_yet_sent(self, mailoutbox):
        # No `committed`: on-commit dispatch never runs, so the invitation stays queued.
        e = f.election()
        a = invite_one(f.shift(e), f.volunteer())
        invitation = Message.objects.about(a).get(kind="invitation")
        assert invitation.status == "queued"
        services.move(a, f.shift(e), by=None)
        invitation.refresh_from_db()
        assert invitation.status == "cancelled"
        assert Message.objects.about(a).get(kind="moved").status == "queued"
        assert mailoutbox == []


class TestRemove:
    def test_only_seat_holders(self):
        a = invite_one(f.shift(), f.volunteer(first_name="Ole", last_name="Munk"))
        services.decline(a)
        with pytest.raises(RuleViolation) as exc:
            services.remove(a, by=None)
        assert exc.value.code == "not_removable"
        assert "Ole Munk" in exc.value.message
        assert status_of(a) == Status.DECLINED

    def test_removing_twice_is_harmless(self, committed, mailoutbox):
        a = accepted(f.shift(), f.volunteer())
        mailoutbox.clear()
        committed(services.remove, a, by=None)
        committed(services.remove, a, by=None)
        assert status_of(a) == Status.REMOVED
        assert len(entries("staffing.remove")) == 1
        assert kinds_about(a).count("removed") == 1
        assert len(mailoutbox) == 1

    def test_cancels_the_invitation_not_yet_sent(self):
        a = invite_one(f.shift(), f.volunteer())
        services.remove(a, by=None)
        assert Message.objects.about(a).get(kind="invitation").status == "cancelled"
        assert Message.objects.about(a).get(kind="removed").status == "queued"

    def test_a_stale_object_is_removed_from_the_shift_it_is_on_now(self, committed, mailoutbox):
        e = f.election()
        first = f.shift(e, role_=f.role("Tilforordnet"))
        now_on = f.shift(e, role_=f.role("Valgstyrer"))
        stale = accepted(first, f.volunteer())
        services.move(Assignment.objects.get(pk=stale.pk), now_on, by=None)  # someone else
        mailoutbox.clear()
        committed(services.remove, stale, by=None)
        current = Assignment.objects.get(pk=stale.pk)
        assert (current.shift_id, current.status) == (now_on.pk, Status.REMOVED)
        assert not now_on.assignments.holding_seat().exists()
        [notice] = mailoutbox
        assert notice.subject.startswith("You are no longer on the shift as Valgstyrer")
        assert "Tilforordnet" not in notice.body


# --- personal links -----------------------------------------------------------------------


class TestLinks:
    def test_reissue_revokes_the_old_links_and_sends_one_that_works(
        self, coordinator, committed, mailoutbox
    ):
        e = f.election()
        v = f.volunteer()
        old = [issue_link(v, e), issue_link(v, e)]
        elsewhere = issue_link(v, f.election())
        message = committed(services.reissue_link, v, e, by=coordinator)
        assert message.kind == "new_link"
        assert all(resolve_link(token) is None for token in old)
        assert resolve_link(elsewhere) is not None
        [email] = mailoutbox
        _url, token = link_in(email.body)
        link = resolve_link(token)
        assert (link.volunteer, link.election) == (v, e)
        reissued = entry("staffing.reissue_link")
        assert (reissued.actor, reissued.election_id) == (coordinator, e.pk)
        assert reissued.detail == {"revoked": 2, "sent": True}
        logged = json.dumps([reissued.changes, reissued.detail, reissued.object_repr])
        assert token not in logged and hash_token(token) not in logged

    def test_revoke_stops_the_link_and_twice_is_harmless(self, coordinator):
        e = f.election()
        token = issue_link(f.volunteer(), e)
        link = PersonalLink.objects.get(token_hash=hash_token(token))
        services.revoke_link(link, by=coordinator)
        services.revoke_link(link, by=coordinator)
        assert resolve_link(token) is None
        revoked = entry("staffing.revoke_link")
        assert (revoked.actor_kind, revoked.election_id) == ("staff", e.pk)
        assert revoked.changes["revoked_at"][0] is None


# --- after review: who could not be told, team-only changes, reissue with no way to send ----


class TestReviewFindings:
    def test_people_who_cannot_be_told_are_named_not_claimed_as_told(self, committed, mailoutbox):
        shift = f.shift()
        reachable = accepted(shift, f.volunteer(first_name="Anna", last_name="Berg"))
        quiet = accepted(shift, f.volunteer(first_name="Bo", last_name="Stille"))
        type(quiet.volunteer).objects.filter(pk=quiet.volunteer_id).update(do_not_contact=True)
        later = shift.starts_at + timedelta(hours=1)
        with pytest.raises(services.PeopleAffected) as refused:
            services.reschedule_shift(shift, later, shift.ends_at, by=None)
        assert "No message can reach Bo Stille: please call them." in refused.value.message
        mailoutbox.clear()
        change = committed(
            services.reschedule_shift, shift, later, shift.ends_at, by=None, confirm=True
        )
        assert [a.pk for a in change.notified] == [reachable.pk]
        assert [a.pk for a in change.not_notified] == [quiet.pk]
        assert [m.to for m in mailoutbox] == [[reachable.volunteer.email]]
        updated = entry("staffing.update_shift")
        assert updated.detail["notified"] == ["Anna Berg"]
        assert updated.detail["not_notified"] == ["Bo Stille"]

    def test_a_team_reservation_change_alone_tells_nobody(self, committed, mailoutbox):
        team = f.team()
        shift = f.shift(team=team)
        member = f.volunteer()
        member.teams.add(team)
        accepted(shift, member)
        mailoutbox.clear()
        # Lifting the reservation changes nothing for the person on it: no
        # confirmation needed, no message.
        change = committed(services.update_shift, shift, by=None, team=None)
        shift.refresh_from_db()
        assert shift.team_id is None
        assert change.notified == [] and mailoutbox == []

    def test_reissue_is_refused_when_nothing_can_be_sent(self):
        e = f.election()
        v = f.volunteer(do_not_contact=True)
        token = issue_link(v, e)
        with pytest.raises(Refused) as refused:
            services.reissue_link(v, e, by=None)
        assert refused.value.code == "cannot_send"
        assert resolve_link(token) is not None  # the old link still works
        assert not AuditEntry.objects.filter(action="staffing.reissue_link").exists()
