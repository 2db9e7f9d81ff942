"""Check-in on the day: a station manager confirms that a volunteer has turned up.

An accepted seat becomes checked in (with the time); undoing it makes it
accepted again. Both count as filled (staffing.counters), so the fill counts do
not move. Check-in is open from ``OPENS_BEFORE`` before the shift starts until
it ends, on the local clock; outside that window it is refused, so that a sheet
scanned by mistake a week early changes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import User
from elections.models import Shift
from pollcrew.refusals import Refused
from staffing import rules
from staffing.models import Assignment
from staffing.services._common import lock_seat

Status = Assignment.Status

OPENS_BEFORE = timedelta(hours=2)


class AlreadyCheckedIn(Refused):
    """Checking in twice: nothing changes, and the message says since when."""


def local_time(moment: datetime) -> str:
    return formats.time_format(timezone.localtime(moment), "H:i")


def checkin_window(shift: Shift) -> tuple[datetime, datetime]:
    return shift.starts_at - OPENS_BEFORE, shift.ends_at


def checkin_open(shift: Shift, now: datetime) -> bool:
    opens, closes = checkin_window(shift)
    return opens <= now <= closes


def check_window(shift: Shift, now: datetime) -> None:
    opens, closes = checkin_window(shift)
    if now < opens:
        local_opens = timezone.localtime(opens)
        if local_opens.date() == timezone.localtime(now).date():
            message = _("Check-in for this shift opens at %(time)s.") % {"time": local_time(opens)}
        else:
            message = _("Check-in for this shift opens on %(day)s at %(time)s.") % {
                "day": formats.date_format(local_opens, "j/n"),
                "time": local_time(opens),
            }
        raise Refused("checkin_not_open", message)
    if now > closes:
        raise Refused(
            "checkin_closed",
            _("This shift ended at %(time)s on %(day)s: check-in is closed.")
            % {
                "time": local_time(closes),
                "day": formats.date_format(timezone.localtime(closes), "j/n"),
            },
        )


def _not_checkable(assignment: Assignment) -> Refused:
    return Refused(
        "not_checkable",
        _(
            "%(name)s cannot be checked in: their seat is %(status)s. Only someone who "
            "has accepted the seat can be checked in."
        )
        % {
            "name": assignment.volunteer.full_name,
            "status": assignment.get_status_display().lower(),
        },
    )


def _record(action: str, assignment: Assignment, by: User | None, before: Assignment) -> None:
    audit.record(
        action,
        assignment,
        by=by,
        election_id=assignment.shift.election_id,
        changes=audit.changes_between(
            {"status": before.status, "checked_in_at": before.checked_in_at},
            {"status": assignment.status, "checked_in_at": assignment.checked_in_at},
        ),
    )


def check_in(assignment: Assignment, *, by: User | None) -> Assignment:
    """Mark an accepted seat as checked in now. Checking in twice changes nothing
    and is refused with ``AlreadyCheckedIn`` ("already checked in at 07:12")."""
    with transaction.atomic():
        shift, _volunteer, current = lock_seat(assignment)
        if current.status == Status.CHECKED_IN:
            raise AlreadyCheckedIn(
                "already_checked_in",
                _("%(name)s is already checked in (at %(time)s).")
                % {"name": current.volunteer.full_name, "time": local_time(current.checked_in_at)},
            )
        if current.status != Status.ACCEPTED:
            raise _not_checkable(current)
        rules.check_election_active(shift.election)
        now = timezone.now()
        check_window(shift, now)
        before = Assignment(status=current.status, checked_in_at=current.checked_in_at)
        current.status = Status.CHECKED_IN
        current.checked_in_at = now
        current.save(update_fields=["status", "checked_in_at", "updated_at"])
        _record("staffing.check_in", current, by, before)
    return current


def undo_check_in(assignment: Assignment, *, by: User | None) -> Assignment:
    """A check-in made by mistake: the seat is accepted again. Possible while
    check-in is open; an accepted seat is left as it is."""
    with transaction.atomic():
        shift, _volunteer, current = lock_seat(assignment)
        if current.status == Status.ACCEPTED:
            return current
        if current.status != Status.CHECKED_IN:
            raise Refused(
                "not_checked_in",
                _("%(name)s is not checked in: their seat is %(status)s.")
                % {
                    "name": current.volunteer.full_name,
                    "status": current.get_status_display().lower(),
                },
            )
        rules.check_election_active(shift.election)
        check_window(shift, timezone.now())
        before = Assignment(status=current.status, checked_in_at=current.checked_in_at)
        current.status = Status.ACCEPTED
        current.checked_in_at = None
        current.save(update_fields=["status", "checked_in_at", "updated_at"])
        _record("staffing.undo_check_in", current, by, before)
    return current
