"""Running auto-assign: ``start_proposal`` queues a run (one at a time per
election, held by a database constraint) and dispatches the Celery job on
commit; ``run`` is the job: it loads the election (``problem``), makes the simple
greedy proposal to compare with, solves the MIP (``solver``), explains what is
left open (``explain``) and saves the proposal. ``compute`` is the same work
without saving, for ``manage.py auto_assign --dry-run`` and the benchmark."""

from __future__ import annotations

import logging
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import User
from autoassign import explain, problem, solver
from autoassign.models import LeftOut, OpenSeat, Proposal, ProposalRow
from autoassign.settings_services import current_weights
from elections.models import Election, Role
from pollcrew.bulk import analyze, bulk_insert
from pollcrew.refusals import Refused
from polling_stations.models import Area, PollingStation
from staffing import rules
from staffing.models import Assignment

log = logging.getLogger(__name__)

Status = Proposal.Status
# A queued or running proposal with no result this long after its time limit has
# lost its job (a worker died): starting again marks it failed and starts anew.
STALLED_GRACE = timedelta(minutes=10)
DEFAULT_TIME_LIMIT = 60
MAX_TIME_LIMIT = 3600

Progress = Callable[[int, str], None]


def latest_proposal(election: Election) -> Proposal | None:
    return (
        Proposal.objects.select_related("election", "area", "station", "role", "requested_by")
        .filter(election=election)
        .first()
    )


def _stalled(proposal: Proposal, now: timezone.datetime) -> bool:
    since = proposal.started_at or proposal.created_at
    return since + timedelta(seconds=proposal.time_limit) + STALLED_GRACE < now


def start_proposal(
    election: Election,
    *,
    by: User | None,
    area: Area | None = None,
    station: PollingStation | None = None,
    role: Role | None = None,
    day: date | None = None,
    time_limit: int | None = None,
    dispatch: bool = True,
) -> Proposal:
    """Queue a proposal for the open seats of ``election`` (or of one area,
    station, role or day) and dispatch the job on commit. Refused while another
    run of the election is under way, and for closed or archived elections.
    ``dispatch=False``: the caller runs the job itself (``manage.py auto_assign``)."""
    if election.status in (Election.Status.CLOSED, Election.Status.ARCHIVED):
        raise Refused(
            "election_closed",
            _("“%(election)s” is closed: no seats can be proposed.") % {"election": election.name},
        )
    limit = min(max(int(time_limit or DEFAULT_TIME_LIMIT), 1), MAX_TIME_LIMIT)
    with transaction.atomic():
        Election.objects.select_for_update().filter(pk=election.pk).first()
        now = timezone.now()
        for running in Proposal.objects.in_progress().filter(election=election):
            if not _stalled(running, now):
                raise Refused(
                    "running",
                    _("An auto-assign run for this election is under way. Wait for it to finish."),
                )
            _fail(running.pk, _("The run stopped without a result (its worker was lost)."))
        try:
            with transaction.atomic():
                proposal = Proposal.objects.create(
                    election=election,
                    area=area,
                    station=station,
                    role=role,
                    day=day,
                    time_limit=limit,
                    requested_by=by,
                )
        except IntegrityError:
            raise Refused(
                "running",
                _("An auto-assign run for this election is under way. Wait for it to finish."),
            ) from None
        audit.record(
            "autoassign.start",
            proposal,
            by=by,
            election_id=election.pk,
            detail={
                "area": area.pk if area else None,
                "station": station.pk if station else None,
                "role": role.pk if role else None,
                "day": day.isoformat() if day else None,
                "time_limit": limit,
            },
        )
        if dispatch:
            _dispatch(proposal)
    return proposal


def _dispatch(proposal: Proposal) -> None:
    from autoassign.tasks import run_proposal  # the task module imports this one

    transaction.on_commit(lambda: run_proposal.delay(proposal.pk))


def _fail(proposal_id: int, message: str) -> None:
    Proposal.objects.filter(pk=proposal_id, status__in=Proposal.IN_PROGRESS).update(
        status=Status.FAILED, error=message, finished_at=timezone.now()
    )


def _claim(proposal_id: int) -> Proposal | None:
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update().filter(pk=proposal_id).first()
        if proposal is None or proposal.status != Status.QUEUED:
            return None
        proposal.status, proposal.started_at = Status.RUNNING, timezone.now()
        proposal.stage = _("Reading the election")
        proposal.save(update_fields=["status", "started_at", "stage"])
        return proposal


def _progress_saver(proposal_id: int) -> Progress:
    def report(percent: int, stage: str) -> None:
        Proposal.objects.filter(pk=proposal_id, status=Status.RUNNING).update(
            progress=max(0, min(100, percent)), stage=stage[:100]
        )

    return report


@dataclass
class Outcome:
    """A computed proposal, not saved: what ``run`` saves and the command prints."""

    scope: problem.Scope
    loaded: problem.Loaded
    result: solver.Result
    greedy: solver.Result
    open_seats: list[explain.OpenSeatWhy]
    left_out: list[explain.LeftOutWhy]
    unmet: list[dict] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    peak_memory_mb: float = 0.0

    @property
    def figures(self) -> dict:
        r, g, lo = self.result, self.greedy, self.loaded
        return {
            "open_seats": int(lo.problem.open.sum()),
            "people": lo.problem.n_people,
            "pairs": len(lo.problem.edge_p),
            "filled": r.filled,
            "seat_bound": r.seat_bound,
            "score": round(r.score, 2),
            "score_bound": round(r.score_bound, 2),
            "gap": r.gap,
            "components": r.components,
            "models": r.models,
            "optimal": r.optimal,
            "greedy_filled": g.filled,
            "greedy_score": round(g.score, 2),
            "greedy_wishes": lo.wishes_met(g.chosen),
            "wishes": lo.wishes_met(r.chosen),
            "shortfall": r.shortfall,
            "greedy_shortfall": g.shortfall,
            "unmet_rules": self.unmet,
            "seconds": {k: round(v, 2) for k, v in self.seconds.items()},
            "peak_memory_mb": round(self.peak_memory_mb, 1),
        }


def _peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def compute(
    election: Election,
    scope: problem.Scope,
    *,
    time_limit: float,
    progress: Progress | None = None,
    keep: list[tuple[int, int]] = (),
) -> Outcome:
    """Load, solve (and the greedy baseline), explain; nothing saved. ``keep``:
    (shift id, volunteer id) seats already proposed and locked, which stay."""
    report = progress or (lambda _p, _s: None)
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    loaded = problem.load(election, scope, current_weights(election), keep=keep)
    seconds["load"] = time.perf_counter() - started
    report(20, _("Comparing with the simple method"))
    mark = time.perf_counter()
    greedy = solver.greedy(loaded.problem)
    seconds["greedy"] = time.perf_counter() - mark
    report(30, _("Solving"))
    mark = time.perf_counter()

    def solving(done: float) -> None:
        report(30 + int(60 * done), _("Solving"))

    result = solver.solve(loaded.problem, time_limit=time_limit, progress=solving)
    seconds["solve"] = time.perf_counter() - mark
    report(90, _("Explaining what is left open"))
    mark = time.perf_counter()
    open_seats, left_out = explain.explain(loaded, result)
    seconds["explain"] = time.perf_counter() - mark
    seconds["total"] = time.perf_counter() - started
    unmet = explain.unmet_rules(loaded, result)
    return Outcome(
        scope=scope,
        loaded=loaded,
        result=result,
        greedy=greedy,
        open_seats=open_seats,
        left_out=left_out,
        unmet=unmet,
        seconds=seconds,
        peak_memory_mb=_peak_memory_mb(),
    )


def scope_of(proposal: Proposal) -> problem.Scope:
    return problem.Scope(
        area_id=proposal.area_id,
        station_id=proposal.station_id,
        role_id=proposal.role_id,
        day=proposal.day,
    )


def locked_rows(election: Election, before: Proposal) -> list[ProposalRow]:
    """The locked, not yet invited rows of the election's latest reviewed proposal
    before ``before``: a re-run keeps them as they are."""
    previous = (
        Proposal.objects.filter(
            election=election, status=Status.READY, created_at__lte=before.created_at
        )
        .exclude(pk=before.pk)
        .first()
    )
    if previous is None:
        return []
    return list(
        previous.rows.filter(
            locked=True, dropped=False, state=ProposalRow.State.PROPOSED
        ).select_related(
            "proposal", "shift__election", "shift__role", "shift__station", "volunteer"
        )
    )


def still_fitting(rows: list[ProposalRow]) -> tuple[list[ProposalRow], list[dict]]:
    """Of locked rows to carry into a re-run, those that still fit: the shift has
    not started and has room (seats may have been filled by hand meanwhile), and
    the person passes every rule and wish a swap would be judged by. The others
    are not carried (their seats are proposed anew), with why."""
    from autoassign.review import swap_refusals  # review imports this module

    kept: list[ProposalRow] = []
    gone: list[dict] = []
    by_shift: dict[int, list[ProposalRow]] = {}
    for row in rows:
        by_shift.setdefault(row.shift_id, []).append(row)
    held = dict(
        Assignment.objects.holding_seat()
        .filter(shift_id__in=list(by_shift))
        .values("shift_id")
        .annotate(n=Count("pk"))
        .values_list("shift_id", "n")
    )
    now = timezone.now()
    for shift_id, here in by_shift.items():
        shift = here[0].shift
        refusals = swap_refusals(
            here[0].proposal,
            shift,
            [r.volunteer for r in here],
            by=None,
            recheck=[r.pk for r in here],
            count_proposal=False,
        )
        room = shift.capacity - held.get(shift_id, 0)
        for row in sorted(here, key=lambda r: r.pk):
            if shift.starts_at <= now:
                why = _("The shift has started.")
            elif row.volunteer_id in refusals:
                why = refusals[row.volunteer_id].message
            elif room <= 0:
                why = _("All seats on this shift are taken.")
            else:
                room -= 1
                kept.append(row)
                continue
            gone.append(
                {
                    "shift": shift_id,
                    "volunteer": row.volunteer_id,
                    "name": row.volunteer.full_name,
                    "shift_label": rules.shift_label(shift),
                    "why": why,
                }
            )
    return kept, gone


def run(proposal_id: int) -> Proposal | None:
    """The job. Returns the proposal as it ended (None: it was not queued)."""
    proposal = _claim(proposal_id)
    if proposal is None:
        return None
    try:
        election = Election.objects.get(pk=proposal.election_id)
        kept, not_kept = still_fitting(locked_rows(election, proposal))
        outcome = compute(
            election,
            scope_of(proposal),
            time_limit=proposal.time_limit,
            progress=_progress_saver(proposal_id),
            keep=[(row.shift_id, row.volunteer_id) for row in kept],
        )
        _save(proposal_id, outcome, kept, not_kept)
        # Tens of thousands of new rows: the review pages and the waves query them next.
        analyze(ProposalRow, OpenSeat, LeftOut)
    except Refused as refused:
        _fail(proposal_id, refused.message)
    except Exception:
        log.exception("auto-assign proposal %s stopped by an error", proposal_id)
        _fail(proposal_id, _("Stopped by an error. Please try again."))
    return Proposal.objects.get(pk=proposal_id)


def _save(
    proposal_id: int, outcome: Outcome, kept: list[ProposalRow], not_kept: list[dict]
) -> None:
    loaded, result = outcome.loaded, outcome.result
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update().get(pk=proposal_id)
        if proposal.status != Status.RUNNING:
            return
        rows = [
            ProposalRow(
                proposal=proposal,
                shift_id=row.shift_id,
                volunteer_id=row.volunteer_id,
                score=row.score,
                wishes=row.wishes,
                locked=True,
                by_hand=row.by_hand,
            )
            for row in kept
        ]
        rows += [
            ProposalRow(
                proposal=proposal,
                shift_id=seat.shift_id,
                volunteer_id=seat.volunteer_id,
                score=seat.score,
                wishes=seat.wishes,
            )
            for seat in loaded.seats(result)
        ]
        bulk_insert(rows, ids=False)
        bulk_insert(
            [
                OpenSeat(
                    proposal=proposal,
                    shift_id=o.shift_id,
                    seats=o.seats,
                    code=o.code,
                    params=o.params,
                )
                for o in outcome.open_seats
            ],
            ids=False,
        )
        bulk_insert(
            [
                LeftOut(
                    proposal=proposal, volunteer_id=o.volunteer_id, code=o.code, params=o.params
                )
                for o in outcome.left_out
            ],
            ids=False,
        )
        figures = outcome.figures
        proposal.status = Status.READY
        proposal.progress, proposal.stage = 100, ""
        proposal.finished_at = timezone.now()
        proposal.open_seats = figures["open_seats"] + len(kept)
        proposal.filled = result.filled + len(kept)
        proposal.seat_bound = result.seat_bound + len(kept)
        proposal.score = result.score
        proposal.score_bound = result.score_bound
        proposal.greedy_filled = outcome.greedy.filled + len(kept)
        proposal.greedy_score = outcome.greedy.score
        proposal.stats = {**figures, "kept": len(kept), "locked_not_kept": not_kept}
        proposal.save()
        # The earlier reviewed proposals are replaced by this one.
        Proposal.objects.filter(election_id=proposal.election_id, status=Status.READY).exclude(
            pk=proposal.pk
        ).update(status=Status.DISCARDED)
        audit.record(
            "autoassign.ready",
            proposal,
            by=proposal.requested_by,
            election_id=proposal.election_id,
            detail={k: figures[k] for k in ("open_seats", "filled", "seat_bound", "gap")},
        )
