"""Merging two records of the same person into one.

``merge_volunteers(survivor, merged, by=...)`` moves everything of ``merged`` to
``survivor`` in one transaction and deletes ``merged``:

- assignments (every election, every status) and personal links: a link mailed
  to the merged record keeps working and now opens the survivor's seats;
- messages about the merged record (reissued links; messages about an
  assignment follow their assignment);
- teams and skills (the union); contact fields the survivor lacks (email, phone,
  address, diet) are taken from the merged record; notes are joined; "do not
  contact" wins if either record says so;
- history: the audit log is append-only, so entries about the merged record stay
  as they are, and the merge entry on the survivor names every id merged into it
  (``detail.merged_ids``, earlier merges included): the volunteer page reads the
  history of all of them.

Conflicts: both records on the same shift. Only one may hold the seat (a
database constraint): the stronger one stays (checked in > accepted > invited),
the other is set to removed, without a notice (it is the same person, who keeps
the seat), and both are reported. Live seats on different shifts that overlap in
time are reported, not changed: the coordinator decides.

Lock order as everywhere (staffing.services._common): the shifts concerned,
then both volunteers (by id), then their assignments.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import AuditEntry, User
from notifications.models import Message, subject_of
from pollcrew.refusals import Refused
from staffing.models import (
    SEAT_HOLDING_STATUSES,
    Assignment,
    PersonalLink,
    Preference,
    ReinviteRow,
    StandbyEntry,
)
from staffing.services import webhook_events
from staffing.services._common import assignment_entry, lock_shifts
from volunteers.models import Volunteer

MERGE_ACTION = "staffing.merge_volunteers"
_STRENGTH = {
    Assignment.Status.CHECKED_IN: 3,
    Assignment.Status.ACCEPTED: 2,
    Assignment.Status.INVITED: 1,
}
FILLED_FROM_MERGED = ("email", "phone", "address", "postal_code", "city", "diet")


@dataclass(frozen=True)
class Conflict:
    """Both records on one shift (``kept`` holds the seat, ``dropped`` was set to
    removed) or, with ``dropped`` None, seats that overlap in time."""

    kind: str  # "same_shift" | "overlap"
    kept: Assignment
    dropped: Assignment | None
    other: Assignment | None = None  # the overlapping seat
    dropped_status: str = ""  # what the dropped one was before


@dataclass
class MergeResult:
    survivor: Volunteer
    merged_id: int
    merged_name: str
    assignments: int = 0
    links: int = 0
    messages: int = 0
    conflicts: list[Conflict] = field(default_factory=list)


def merged_ids(volunteer_id: int) -> list[int]:
    """The ids of every record merged into this one, earlier merges included
    (one query: each merge entry lists the whole chain)."""
    ids: set[int] = set()
    entries = AuditEntry.objects.filter(
        action=MERGE_ACTION, object_type="volunteers.volunteer", object_id=volunteer_id
    ).values_list("detail", flat=True)
    for detail in entries:
        ids.update(int(pk) for pk in (detail or {}).get("merged_ids", []))
    ids.discard(volunteer_id)
    return sorted(ids)


def _overlapping(a: Assignment, b: Assignment) -> bool:
    return a.shift.starts_at < b.shift.ends_at and b.shift.starts_at < a.shift.ends_at


def merge_volunteers(survivor: Volunteer, merged: Volunteer, *, by: User | None) -> MergeResult:
    if survivor.pk == merged.pk:
        raise Refused("same_record", _("A record cannot be merged with itself."))
    pair = [survivor.pk, merged.pk]
    live_shift_ids = Assignment.objects.filter(
        volunteer_id__in=pair, status__in=SEAT_HOLDING_STATUSES
    ).values_list("shift_id", flat=True)
    with transaction.atomic():
        lock_shifts(live_shift_ids)
        locked = {
            v.pk: v
            for v in Volunteer.objects.select_for_update().filter(pk__in=pair).order_by("pk")
        }
        if len(locked) != 2:
            raise Refused(
                "changed_meanwhile", _("One of the records was changed meanwhile: try again.")
            )
        keep, gone = locked[survivor.pk], locked[merged.pk]
        result = MergeResult(survivor=keep, merged_id=gone.pk, merged_name=gone.full_name)
        assignments = list(
            Assignment.objects.select_for_update(of=("self",))
            .filter(volunteer_id__in=pair)
            .select_related("shift__election", "shift__station", "shift__role")
            .order_by("pk")
        )
        entries = _resolve_conflicts(assignments, keep, gone, result, by=by)
        webhook_events.seats_freed(
            [c.dropped for c in result.conflicts if c.dropped is not None], reason="merged"
        )
        moving = [a for a in assignments if a.volunteer_id == gone.pk]
        before = {a.pk: audit.snapshot(a, ("volunteer",)) for a in moving}
        result.assignments = Assignment.objects.filter(volunteer=gone).update(volunteer=keep)
        for a in moving:
            a.volunteer_id = keep.pk
            entries.append(
                assignment_entry(
                    "staffing.merge_move",
                    a,
                    by=by,
                    before=before[a.pk],
                    detail={"merged": gone.pk},
                )
            )
        result.links = PersonalLink.objects.filter(volunteer=gone).update(volunteer=keep)
        _take_over_reinvite_rows(keep, gone)
        _take_over_standby(keep, gone)
        _take_over_preferences(keep, gone)
        gone_type, _unused = subject_of(gone)
        result.messages = Message.objects.filter(subject_type=gone_type, subject_id=gone.pk).update(
            subject_id=keep.pk
        )
        changes = _take_over_details(keep, gone)
        chain = sorted({gone.pk, *merged_ids(gone.pk)})
        gone_repr, gone_pk = str(gone), gone.pk
        gone.delete()
        audit.record_many(entries)
        audit.record(
            MERGE_ACTION,
            keep,
            by=by,
            changes=changes,
            detail={
                "merged": gone_pk,
                "merged_name": gone_repr,
                "merged_ids": chain,
                "assignments": result.assignments,
                "links": result.links,
                "messages": result.messages,
                # [kind, the seat kept, the seat removed, the other overlapping seat]
                "conflicts": [
                    [
                        c.kind,
                        c.kept.pk,
                        c.dropped.pk if c.dropped else None,
                        c.other.pk if c.other else None,
                    ]
                    for c in result.conflicts
                ],
            },
        )
        # The merged record itself, by its own id (its history ends here).
        audit.record(
            "volunteers.merged_into",
            by=by,
            object_type="volunteers.volunteer",
            object_id=gone_pk,
            object_repr=gone_repr,
            detail={"survivor": keep.pk},
        )
    return result


def _take_over_preferences(keep: Volunteer, gone: Volunteer) -> None:
    """The merged record's wishes for an election move over where the survivor
    has none for it (the survivor's own wishes win)."""
    theirs = Preference.objects.filter(volunteer=keep).values_list("election_id", flat=True)
    Preference.objects.filter(volunteer=gone).exclude(election_id__in=theirs).update(volunteer=keep)


def _resolve_conflicts(
    assignments: list[Assignment],
    keep: Volunteer,
    gone: Volunteer,
    result: MergeResult,
    *,
    by: User | None,
) -> list[AuditEntry]:
    """Same shift, both holding a seat: the weaker one is set to removed. Live
    seats that overlap in time are reported only."""
    entries: list[AuditEntry] = []
    live = [a for a in assignments if a.status in SEAT_HOLDING_STATUSES]
    mine = [a for a in live if a.volunteer_id == keep.pk]
    theirs = [a for a in live if a.volunteer_id == gone.pk]
    dropped: set[int] = set()
    for a in theirs:
        for b in mine:
            if a.shift_id != b.shift_id or b.pk in dropped:
                continue
            # The stronger answer holds the seat; on a tie, the survivor's.
            winner, loser = (a, b) if _STRENGTH[a.status] > _STRENGTH[b.status] else (b, a)
            before = audit.snapshot(loser, ("status",))
            was = loser.status
            Assignment.objects.filter(pk=loser.pk).update(status=Assignment.Status.REMOVED)
            loser.status = Assignment.Status.REMOVED
            dropped.add(loser.pk)
            entries.append(
                assignment_entry(
                    "staffing.merge_drop",
                    loser,
                    by=by,
                    before=before,
                    detail={"kept": winner.pk, "merged": gone.pk},
                )
            )
            result.conflicts.append(
                Conflict("same_shift", kept=winner, dropped=loser, dropped_status=was)
            )
    remaining_mine = [b for b in mine if b.pk not in dropped]
    for a in theirs:
        if a.pk in dropped:
            continue
        for b in remaining_mine:
            if a.shift_id != b.shift_id and _overlapping(a, b):
                result.conflicts.append(Conflict("overlap", kept=b, dropped=None, other=a))
    return entries


def _take_over_details(keep: Volunteer, gone: Volunteer) -> dict[str, list[object]]:
    """Teams and skills joined; what the survivor lacks taken from the merged
    record; notes joined; "do not contact" if either says so. Returns the
    survivor's changes (old → new) for the merge's audit entry."""
    tracked = (*FILLED_FROM_MERGED, "notes", "do_not_contact", "teams", "skills")
    before = audit.snapshot(keep, tracked)
    fields: list[str] = []
    for name in FILLED_FROM_MERGED:
        if not getattr(keep, name) and getattr(gone, name):
            setattr(keep, name, getattr(gone, name))
            fields.append(name)
    if gone.notes and gone.notes not in keep.notes:
        keep.notes = "\n\n".join(filter(None, [keep.notes, gone.notes]))
        fields.append("notes")
    if gone.do_not_contact and not keep.do_not_contact:
        keep.do_not_contact = True
        fields.append("do_not_contact")
    if fields:
        keep.save(update_fields=[*fields, "updated_at"])
    keep.teams.add(*gone.teams.all())
    keep.skills.add(*gone.skills.all())
    return audit.changes_between(before, audit.snapshot(keep, tracked))


def _take_over_standby(keep: Volunteer, gone: Volunteer) -> None:
    """The merged record's places on standby lists (with their open offers) move
    to the one kept; where both wait for the same, the kept place takes the
    earlier of the two places in the list."""
    waiting = StandbyEntry.Status.WAITING
    kept = {
        (e.shift_id, e.station_id, e.day): e
        for e in StandbyEntry.objects.filter(volunteer=keep, status=waiting)
    }
    for entry in StandbyEntry.objects.filter(volunteer=gone, status=waiting):
        twin = kept.get((entry.shift_id, entry.station_id, entry.day))
        if twin is None:
            entry.volunteer = keep
            entry.save(update_fields=["volunteer", "updated_at"])
        elif entry.created_at < twin.created_at:
            twin.created_at = entry.created_at
            twin.save(update_fields=["created_at", "updated_at"])


def _take_over_reinvite_rows(keep: Volunteer, gone: Volunteer) -> None:
    """What re-invitation runs did with the merged record's seats stays on record
    for the kept one; where both had a row for the same previous seat of a run,
    the kept one's row stays."""
    same_seat = ReinviteRow.objects.filter(
        volunteer=keep, run=OuterRef("run"), previous_shift=OuterRef("previous_shift")
    )
    ReinviteRow.objects.filter(volunteer=gone).filter(Exists(same_seat)).delete()
    ReinviteRow.objects.filter(volunteer=gone).update(volunteer=keep)
