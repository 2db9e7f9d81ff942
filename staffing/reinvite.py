"""Inviting the previous election's volunteers again, after a copy.

A copied election (``Election.copied_from``) has the seat grid of its source
and nobody on it. Everyone who accepted a seat in the source is invited to the
matching shift of the copy: the same station and role, preferably the same team
reservation and the same time relative to election day. Each invitation goes
through ``staffing.services.invite``, so every staffing rule applies (age on the
new date, team membership, overlaps, free seats, "do not contact"); whoever is
not invited is reported with the reason.

At national scale this is thousands of invitations (about a minute), so it runs
as a Celery job (``staffing.tasks.reinvite_previous``) on a ``ReinviteRun``:
``start`` makes the run (one queued or running per election, held by a database
constraint) and dispatches the job on commit; ``process`` works through the seats
a chunk of shifts at a time, each chunk one transaction with its invitations, its
``ReinviteRow`` per seat and the run's counts. A job that stops goes on where the
last chunk ended: a seat with a row in the run is never handled again, so nobody
is invited twice and nobody is reported twice.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import audit
from accounts.models import User
from elections.models import Election, Shift
from pollcrew.refusals import Refused
from staffing import rules, services
from staffing.models import Assignment, ReinviteRow, ReinviteRun
from staffing.rules import RuleViolation

log = logging.getLogger(__name__)

RunStatus = ReinviteRun.Status
Outcome = ReinviteRow.Outcome
UNFINISHED = (RunStatus.QUEUED, RunStatus.RUNNING)

# Seats handled per transaction: progress shows every chunk, and the row locks of
# a chunk (its shifts and people) are held about a second at national scale.
CHUNK_PEOPLE = 100
# A queued or running run with no progress for this long has lost its job (a
# worker died; the broker would redeliver only after its visibility timeout):
# asking again dispatches it again. A second job on the same run is harmless.
STALLED_AFTER = timedelta(minutes=2)

NO_SEAT = "no_seat"
# The reasons' headings on the result page, in the reader's language (the rows keep
# the reason as the rules worded it for the requester).
REASONS = {
    NO_SEAT: gettext_lazy("No such seat in this election"),
    "do_not_contact": gettext_lazy("Marked “do not contact”"),
    "team_reserved": gettext_lazy("No longer in the team the seat is reserved for"),
    "too_young": gettext_lazy("Under the role's minimum age on the new date"),
    "overlap": gettext_lazy("Another seat at the same time"),
    "full": gettext_lazy("No free seat left"),
    "already_on_shift": gettext_lazy("Already invited or booked"),
    "declined_before": gettext_lazy("Declined this shift before"),
    "shift_started": gettext_lazy("The shift has started"),
}


def reason_label(code: str) -> str:
    return str(REASONS.get(code, code))


def previous_seats(election: Election) -> QuerySet[Assignment]:
    """The accepted (or checked-in) seats of the election ``election`` was copied from."""
    return Assignment.objects.filled().filter(shift__election_id=election.copied_from_id)


def _relative(moment: datetime, election_day: date, tz: tzinfo) -> tuple[int, time]:
    """Days from election day, and the local time: how a copy re-dates a shift."""
    local = moment.astimezone(tz)
    return (local.date() - election_day).days, local.time()


def _minutes(relative: tuple[int, time]) -> int:
    days, clock = relative
    return days * 24 * 60 + clock.hour * 60 + clock.minute


def match_shifts(election: Election, source: Election, old: list[Shift]) -> dict[int, Shift]:
    """For each shift of the source (by id): the shift of ``election`` at the same
    station with the same role, preferring the same team reservation, then the
    same start and end relative to election day (a copy's own shift), then the
    nearest start. Source shifts with no such shift are left out."""
    tz = timezone.get_current_timezone()
    candidates: dict[tuple[int, int], list[Shift]] = defaultdict(list)
    for shift in Shift.objects.filter(election=election).select_related("station", "role"):
        candidates[(shift.station_id, shift.role_id)].append(shift)
    matched = {}
    for shift in old:
        options = candidates.get((shift.station_id, shift.role_id))
        if not options:
            continue
        start = _minutes(_relative(shift.starts_at, source.election_date, tz))
        end = _minutes(_relative(shift.ends_at, source.election_date, tz))

        def score(new: Shift, start: int = start, end: int = end, team: int | None = shift.team_id):
            new_start = _minutes(_relative(new.starts_at, election.election_date, tz))
            new_end = _minutes(_relative(new.ends_at, election.election_date, tz))
            return (new.team_id != team, abs(new_start - start), abs(new_end - end), new.pk)

        matched[shift.pk] = min(options, key=score)
    return matched


@dataclass
class Plan:
    """Who goes where: the seats with no matching shift, and per shift of the copy
    the people to invite to it (volunteer id → their seat in the source)."""

    unmatched: list[Assignment] = field(default_factory=list)
    wanted: dict[int, dict[int, Assignment]] = field(default_factory=dict)
    shifts: dict[int, Shift] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.unmatched) + sum(len(people) for people in self.wanted.values())


def plan(election: Election) -> Plan:
    source = election.copied_from
    seats = list(
        previous_seats(election)
        .select_related("volunteer", "shift__station", "shift__role", "shift__team")
        .order_by("shift_id", "pk")
    )
    old_shifts = list({a.shift_id: a.shift for a in seats}.values())
    matched = match_shifts(election, source, old_shifts)
    result = Plan(shifts={shift.pk: shift for shift in matched.values()})
    wanted: dict[int, dict[int, Assignment]] = defaultdict(dict)
    for seat in seats:
        new = matched.get(seat.shift_id)
        if new is None:
            result.unmatched.append(seat)
        else:
            # Two seats of one person that match the same shift: one invitation.
            wanted[new.pk].setdefault(seat.volunteer_id, seat)
    result.wanted = {shift_id: wanted[shift_id] for shift_id in sorted(wanted)}
    return result


def _check_source(election: Election) -> None:
    if election.copied_from_id is None:
        raise Refused("no_source", _("This election was not copied from another one."))


def _dispatch(run: ReinviteRun) -> None:
    from staffing.tasks import reinvite_previous  # the task module imports this one

    transaction.on_commit(lambda: reinvite_previous.delay(run.pk))


def active_run(election: Election) -> ReinviteRun | None:
    return (
        ReinviteRun.objects.filter(election=election, status__in=UNFINISHED)
        .order_by("-created_at", "-pk")
        .first()
    )


def latest_run(election: Election) -> ReinviteRun | None:
    return ReinviteRun.objects.filter(election=election).order_by("-created_at", "-pk").first()


def stalled(run: ReinviteRun, now: datetime | None = None) -> bool:
    if run.finished:
        return False
    return run.updated_at < (now or timezone.now()) - STALLED_AFTER


@dataclass
class Started:
    run: ReinviteRun
    created: bool  # False: the run already under way (or stopped, now going on)


def start(election: Election, *, by: User | None, language: str) -> Started:
    """Start inviting the previous volunteers into ``election`` (which must be
    active), as a job; reasons are worded in ``language``.

    While a run is queued or running, that run is returned instead (dispatched
    again if it has stalled). A run that stopped (the election was closed, an
    error) goes on where it stopped; after a finished run, a new one starts."""
    _check_source(election)
    with transaction.atomic():
        election = Election.objects.select_related("copied_from").get(pk=election.pk)
        rules.check_election_active(election)
        running = active_run(election)
        if running is not None:
            if stalled(running):
                running.save(update_fields=["updated_at"])
                _dispatch(running)
            return Started(running, created=False)
        latest = latest_run(election)
        try:
            with transaction.atomic():  # the constraint decides a race between two requests
                if latest is not None and latest.status == RunStatus.FAILED:
                    run, created = latest, False
                    run.status, run.error, run.finished_at = RunStatus.QUEUED, "", None
                    run.requested_by, run.language = by, language
                    run.save()
                else:
                    run = ReinviteRun.objects.create(
                        election=election, requested_by=by, language=language
                    )
                    created = True
        except IntegrityError:  # another request started one a moment ago: that one
            running = active_run(election)
            if running is None:  # ...and it has finished already
                raise Refused(
                    "changed_meanwhile",
                    _("Someone else started this at the same moment. Please look again."),
                ) from None
            return Started(running, created=False)
        audit.record(
            "staffing.reinvite_start",
            election,
            by=by,
            election_id=election.pk,
            detail={"source": election.copied_from_id, "run": run.pk, "resumed": not created},
        )
        _dispatch(run)
    return Started(run, created=created)


class _Stop(Exception):
    """The election is no longer active: the chunk is undone and the run stops."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _claim(run_id: int) -> ReinviteRun | None:
    with transaction.atomic():
        run = ReinviteRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.finished:
            return None
        if run.status == RunStatus.QUEUED:
            run.status = RunStatus.RUNNING
            run.started_at = run.started_at or timezone.now()
            run.save(update_fields=["status", "started_at", "updated_at"])
        return run


def _fail(run_id: int, message: str) -> None:
    now = timezone.now()
    ReinviteRun.objects.filter(pk=run_id, status__in=UNFINISHED).update(
        status=RunStatus.FAILED, error=message, finished_at=now, updated_at=now
    )


def process(run_id: int, *, chunk_people: int | None = None) -> ReinviteRun | None:
    """The job: invite the run's people a chunk at a time (``CHUNK_PEOPLE``) until
    none is left. Returns the run as it ended (None: it had finished already)."""
    chunk_people = chunk_people or CHUNK_PEOPLE
    run = _claim(run_id)
    if run is None:
        return None
    with translation.override(run.language):
        try:
            election = Election.objects.select_related("copied_from").get(pk=run.election_id)
            _check_source(election)
            work = plan(election)
            if run.total != work.total:
                ReinviteRun.objects.filter(pk=run_id).update(total=work.total)
            while _chunk(run_id, work, by=run.requested_by, chunk_people=chunk_people):
                pass
        except (_Stop, Refused) as stop:
            _fail(run_id, stop.message)
        except Exception:
            log.exception("reinvite run %s stopped by an error", run_id)
            _fail(run_id, _("Stopped by an error. Going on continues where it stopped."))
    return ReinviteRun.objects.get(pk=run_id)


def _chunk(run_id: int, work: Plan, *, by: User | None, chunk_people: int) -> bool:
    """One transaction: the next shifts with people not yet handled (at least one
    shift, about ``chunk_people`` people), their rows and the run's counts; the
    run finishes when nothing is left. Returns whether to go on."""
    with transaction.atomic():
        run = ReinviteRun.objects.select_for_update().get(pk=run_id)
        if run.finished:
            return False  # another job finished it, or it was stopped
        election = Election.objects.get(pk=run.election_id)
        if election.status != Election.Status.ACTIVE:
            raise _Stop(rules.not_active_reason(election))
        handled = set(run.rows.values_list("volunteer_id", "previous_shift_id"))
        rows = [
            ReinviteRow(
                run=run,
                volunteer_id=seat.volunteer_id,
                previous_shift_id=seat.shift_id,
                outcome=Outcome.NOT_INVITED,
                reason_code=NO_SEAT,
                reason=_("There is no %(role)s seat at %(station)s in this election.")
                % {"role": seat.shift.role.name, "station": seat.shift.station.name},
            )
            for seat in work.unmatched
            if (seat.volunteer_id, seat.shift_id) not in handled
        ]
        people = 0
        for shift_id, wanted in work.wanted.items():
            if people >= chunk_people:
                break
            todo = [s for s in wanted.values() if (s.volunteer_id, s.shift_id) not in handled]
            if todo:
                rows += _invite(work.shifts[shift_id], todo, run=run, by=by)
                people += len(todo)
        ReinviteRow.objects.bulk_create(rows)
        run.invited += sum(1 for row in rows if row.outcome == Outcome.INVITED)
        run.not_invited += sum(1 for row in rows if row.outcome == Outcome.NOT_INVITED)
        if people:
            run.save(update_fields=["invited", "not_invited", "updated_at"])
            return True
        run.status, run.finished_at = RunStatus.DONE, timezone.now()
        run.save(update_fields=["invited", "not_invited", "status", "finished_at", "updated_at"])
        audit.record(
            "staffing.reinvite_previous",
            election,
            by=by,
            election_id=election.pk,
            detail={
                "source": election.copied_from_id,
                "run": run.pk,
                "invited": run.invited,
                "not_invited": run.not_invited,
            },
        )
        return False


def _invite(
    shift: Shift, seats: list[Assignment], *, run: ReinviteRun, by: User | None
) -> list[ReinviteRow]:
    """Invite these people (their seats in the source) to ``shift``: a row each."""
    by_volunteer = {seat.volunteer_id: seat for seat in seats}

    def row(seat: Assignment, refusal: RuleViolation | None = None) -> ReinviteRow:
        return ReinviteRow(
            run=run,
            volunteer_id=seat.volunteer_id,
            previous_shift_id=seat.shift_id,
            shift=shift,
            outcome=Outcome.INVITED if refusal is None else Outcome.NOT_INVITED,
            reason_code="" if refusal is None else refusal.code,
            reason="" if refusal is None else refusal.message,
        )

    try:
        result = services.invite(shift, [seat.volunteer for seat in seats], by=by)
    except RuleViolation as refusal:  # the whole shift: it has started, or the election closed
        if refusal.code == "election_not_active":
            raise _Stop(refusal.message) from refusal
        return [row(seat, refusal) for seat in seats]
    return [row(by_volunteer[a.volunteer_id]) for a in result.invited] + [
        row(by_volunteer[volunteer.pk], why) for volunteer, why in result.refused
    ]
