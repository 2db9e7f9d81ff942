"""The staffing rules, as checks that raise RuleViolation with a clear message.

Services call these while holding row locks on the shift and the volunteer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.scopes import Capability, scope_of
from elections.models import Election, Shift
from pollcrew.refusals import Refused
from staffing.models import SEAT_HOLDING_STATUSES, Assignment
from volunteers.models import Volunteer


class RuleViolation(Refused):
    """A staffing rule refused the action. ``message`` is for the user."""


class Overlap(RuleViolation):
    """The volunteer already holds a seat at that time. Keeps what it is about, so
    that a page can say it again in the words the user may read (``seen_by``)."""

    def __init__(self, shift: Shift, volunteer: Volunteer, clashing: Shift, *, named: bool) -> None:
        if named:
            message = _("%(name)s already has a shift at that time: %(shift)s.") % {
                "name": volunteer.full_name,
                "shift": shift_label(clashing),
            }
        else:
            message = _("%(name)s already has another seat at that time (%(when)s).") % {
                "name": volunteer.full_name,
                "when": shift_when(shift),
            }
        super().__init__("overlap", message)
        self.shift, self.volunteer, self.clashing, self.named = shift, volunteer, clashing, named


MayName = Callable[[Shift], bool]


def everything(_shift: Shift) -> bool:
    return True


def may_name_for(by: User | None) -> MayName:
    """Which clashing shifts a refusal may name to ``by``: those whose people they
    may see (a team leader not another team's seat, a coordinator of one election
    not a seat in another). Outside that, the refusal still refuses, but says only
    that the person has another seat at that time. Without a staff user (the
    volunteer on their own link, the system) every shift is named: it is theirs."""
    if by is None:
        return everything
    scope = scope_of(by)
    return lambda clashing: scope.allows_shift(Capability.VIEW_PEOPLE, clashing)


def seen_by(refusal: RuleViolation, may_name: MayName) -> RuleViolation:
    """``refusal`` as the user may read it: an overlap with a shift they may not
    see no longer names that shift. Other refusals unchanged."""
    if isinstance(refusal, Overlap) and refusal.named and not may_name(refusal.clashing):
        return Overlap(refusal.shift, refusal.volunteer, refusal.clashing, named=False)
    return refusal


def not_active_reason(election: Election) -> str:
    """Why nobody can be invited to (or answer for) ``election``: its state, in words."""
    Status = Election.Status
    if election.status == Status.DRAFT:
        text = _(
            "“%(election)s” is not active yet: it is a draft. Invitations can be sent "
            "and answered once it is activated."
        )
    elif election.status == Status.CLOSED:
        text = _(
            "“%(election)s” is not active: it is closed, so no invitations or answers can be made."
        )
    elif election.status == Status.ARCHIVED:
        text = _(
            "“%(election)s” is not active: it is archived, so no invitations or answers "
            "can be made."
        )
    else:
        text = _("“%(election)s” is not active, so no invitations or answers can be made.")
    return text % {"election": election.name}


def check_election_active(election: Election) -> None:
    if not election.is_active:
        raise RuleViolation("election_not_active", not_active_reason(election))


def shift_when(shift: Shift) -> str:
    """A shift's day and times exactly as the staff pages show them (the same
    template, in the current language and time zone), never an ISO string."""
    return " ".join(render_to_string("_shift_time.html", {"shift": shift}).split())


def shift_label(shift: Shift) -> str:
    """ "Role · station · day and times", for refusals and results."""
    return f"{shift.role.name} · {shift.station.name} · {shift_when(shift)}"


def check_not_started(shift: Shift) -> None:
    if shift.starts_at <= timezone.now():
        raise RuleViolation("shift_started", _("This shift has already started."))


def self_service_open(shift: Shift, now: datetime) -> bool:
    """Volunteers cannot change their answer online within lock_days of the shift.
    Days are calendar days on the local clock (a DST change does not shift the lock
    by an hour): arithmetic on a local aware datetime keeps the wall time."""
    local_start = timezone.localtime(shift.starts_at)
    return now < local_start - timedelta(days=shift.election.lock_days)


def check_self_service_open(shift: Shift) -> None:
    if not self_service_open(shift, timezone.now()):
        raise RuleViolation(
            "locked",
            _(
                "Answers can no longer be changed online this close to the shift. "
                "Please contact the election office."
            ),
        )


def check_age(shift: Shift, volunteer: Volunteer) -> None:
    day = timezone.localtime(shift.starts_at).date()
    if volunteer.age_on(day) < shift.role.min_age:
        raise RuleViolation(
            "too_young",
            _("%(name)s is under %(age)d on the day of the shift, the minimum age for %(role)s.")
            % {"name": volunteer.full_name, "age": shift.role.min_age, "role": shift.role.name},
        )


def check_team(shift: Shift, volunteer: Volunteer, member_ids: set[int]) -> None:
    if shift.team_id is not None and volunteer.pk not in member_ids:
        raise RuleViolation(
            "team_reserved",
            _("The seats on this shift are reserved for %(team)s, and %(name)s is not a member.")
            % {"team": shift.team.name, "name": volunteer.full_name},
        )


def check_no_overlap(
    shift: Shift, volunteer: Volunteer, clashing: Shift | None, *, named: bool = True
) -> None:
    """``named``: whether the refusal may say which shift ``clashing`` is (the
    caller decides, with ``may_name_for(by)``); else only that there is one."""
    if clashing is not None:
        raise Overlap(shift, volunteer, clashing, named=named)


def check_capacity(shift: Shift, held: int) -> None:
    if held >= shift.capacity:
        raise RuleViolation("full", _("All seats on this shift are taken."))


def check_invitable(
    shift: Shift,
    volunteer: Volunteer,
    on_shift: bool,
    declined_before: bool,
    clashes: dict[int, Shift],
    members: set[int],
    *,
    may_name: MayName = everything,
) -> None:
    """Everything but capacity: may this volunteer be invited to this shift?
    ``may_name``: which clashing shifts the refusal may name (``may_name_for``)."""
    if volunteer.do_not_contact:
        raise refusal("do_not_contact", volunteer)
    if on_shift:
        raise refusal("already_on_shift", volunteer)
    if declined_before:
        raise refusal("declined_before", volunteer)
    check_age(shift, volunteer)
    check_team(shift, volunteer, members)
    clashing = clashes.get(volunteer.pk)
    check_no_overlap(shift, volunteer, clashing, named=clashing is not None and may_name(clashing))


def shift_history(shift: Shift, volunteer_ids: list[int]) -> tuple[set[int], set[int]]:
    """Of these volunteers: who holds a seat on ``shift`` now, and who declined it before."""
    history = list(
        Assignment.objects.filter(shift=shift, volunteer_id__any_of=volunteer_ids).values_list(
            "volunteer_id", "status"
        )
    )
    on_shift = {vid for vid, status in history if status in SEAT_HOLDING_STATUSES}
    declined = {vid for vid, status in history if status == Assignment.Status.DECLINED}
    return on_shift, declined


def clashing_shifts(
    shift: Shift, volunteer_ids: list[int], exclude_assignment: int | None = None
) -> dict[int, Shift]:
    """Per volunteer, one seat-holding shift that overlaps ``shift`` in time."""
    overlapping = (
        Assignment.objects.holding_seat()
        .filter(
            volunteer_id__any_of=volunteer_ids,
            shift__starts_at__lt=shift.ends_at,
            shift__ends_at__gt=shift.starts_at,
        )
        .exclude(shift_id=shift.pk)
        .select_related("shift__role", "shift__station")
    )
    if exclude_assignment is not None:
        overlapping = overlapping.exclude(pk=exclude_assignment)
    return {a.volunteer_id: a.shift for a in overlapping}


def team_member_ids(shift: Shift, volunteer_ids: list[int]) -> set[int]:
    if shift.team_id is None:
        return set()
    return set(
        Volunteer.objects.filter(pk__any_of=volunteer_ids, teams=shift.team_id).values_list(
            "pk", flat=True
        )
    )


def refusal(code: str, volunteer: Volunteer) -> RuleViolation:
    """Refusals decided by the services themselves (not a check above)."""
    name = volunteer.full_name
    texts = {
        "do_not_contact": _("%(name)s is marked “do not contact”.") % {"name": name},
        "already_on_shift": _("%(name)s is already invited to or booked on this shift.")
        % {"name": name},
        "declined_before": _("%(name)s has declined this shift before and is not invited again.")
        % {"name": name},
        "not_acceptable": _(
            "This seat can no longer be accepted. Please contact the election office."
        ),
        "awaiting_approval": _(
            "The election office confirms this seat; you will hear from them when it has."
        ),
        "not_declinable": _(
            "This seat can no longer be cancelled online. Please contact the election office."
        ),
        "not_removable": _("%(name)s does not hold a seat on this shift.") % {"name": name},
        "same_person": _("%(name)s cannot replace themselves.") % {"name": name},
        "not_movable": _("Only an open invitation or an accepted seat can be moved."),
        "other_election": _("A seat can only be moved to a shift of the same election."),
        "changed_meanwhile": _(
            "Someone changed this seat at the same moment. Please look again and retry."
        ),
    }
    return RuleViolation(code, texts[code])
