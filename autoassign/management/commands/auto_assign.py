"""``manage.py auto_assign --election ID [--area ID] [--station ID] [--role ID]
[--day YYYY-MM-DD] [--dry-run] [--time-limit S] [--json]``: the auto-assign job
from the command line, with its figures. Without --dry-run the proposal is saved
for review (as the page's button does); with it nothing is saved."""

from __future__ import annotations

import json
import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser

from autoassign import job
from autoassign.models import Proposal
from elections.models import Election, Role
from pollcrew.refusals import Refused
from polling_stations.models import Area, PollingStation


class Command(BaseCommand):
    help = (
        "Propose volunteers for the open seats of an election (auto-assign) and print the figures."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--election", type=int, required=True, help="The election's id.")
        parser.add_argument("--area", type=int, help="Only the open seats of this area (id).")
        parser.add_argument("--station", type=int, help="Only this polling station (id).")
        parser.add_argument("--role", type=int, help="Only this role (id).")
        parser.add_argument("--day", type=date.fromisoformat, help="Only this day (YYYY-MM-DD).")
        parser.add_argument(
            "--time-limit",
            type=int,
            default=job.DEFAULT_TIME_LIMIT,
            help=f"Seconds the solver may take (default {job.DEFAULT_TIME_LIMIT}).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Compute and print; save nothing."
        )
        parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")

    def handle(self, *args, **opts) -> None:
        election = Election.objects.filter(pk=opts["election"]).first()
        if election is None:
            raise CommandError(f"No election with id {opts['election']}.")
        area = self._get(Area, opts["area"], "area")
        station = self._get(PollingStation, opts["station"], "polling station")
        role = self._get(Role, opts["role"], "role")
        limit = opts["time_limit"]
        if not 1 <= limit <= job.MAX_TIME_LIMIT:
            raise CommandError(f"--time-limit must be 1 to {job.MAX_TIME_LIMIT} seconds.")
        started = time.perf_counter()
        if opts["dry_run"]:
            from autoassign.problem import Scope

            scope = Scope(
                area_id=area and area.pk,
                station_id=station and station.pk,
                role_id=role and role.pk,
                day=opts["day"],
            )
            outcome = job.compute(election, scope, time_limit=limit)
            figures = outcome.figures
            reasons = _count(o.code for o in outcome.open_seats)
            left = _count(o.code for o in outcome.left_out)
        else:
            try:
                proposal = job.start_proposal(
                    election,
                    by=None,
                    area=area,
                    station=station,
                    role=role,
                    day=opts["day"],
                    time_limit=limit,
                    dispatch=False,
                )
            except Refused as refused:
                raise CommandError(refused.message) from None
            proposal = job.run(proposal.pk) or Proposal.objects.get(pk=proposal.pk)
            if proposal.status != Proposal.Status.READY:
                raise CommandError(f"The run failed: {proposal.error}")
            figures = {**proposal.stats, "proposal": proposal.pk}
            reasons = _count(proposal.open_seats_left.values_list("code", flat=True))
            left = _count(proposal.left_out.values_list("code", flat=True))
        figures["wall_seconds"] = round(time.perf_counter() - started, 2)
        figures["open_seat_reasons"] = reasons
        figures["left_out_reasons"] = left
        if opts["json"]:
            self.stdout.write(json.dumps(figures, default=str))
            return
        self._print(figures)

    def _get(self, model, pk: int | None, label: str):
        if pk is None:
            return None
        found = model.objects.filter(pk=pk).first()
        if found is None:
            raise CommandError(f"No {label} with id {pk}.")
        return found

    def _print(self, f: dict) -> None:
        w = self.stdout.write
        if "proposal" in f:
            w(f"Proposal {f['proposal']} saved for review.")
        w(f"Open seats:        {f['open_seats']:,}")
        w(f"Willing people:    {f['people']:,}   possible (person, shift) pairs: {f['pairs']:,}")
        w(
            f"Seats filled:      {f['filled']:,} of at most {f['seat_bound']:,} possible"
            f"   (greedy: {f['greedy_filled']:,})"
        )
        w(
            f"Wish score:        {f['score']:,.1f}, bound {f['score_bound']:,.1f}, "
            f"gap {100 * f['gap']:.3f} %   (greedy: {f['greedy_score']:,.1f})"
        )
        w(f"Wishes met:        {f['wishes']}")
        w(f"Greedy wishes met: {f['greedy_wishes']}")
        if f.get("shortfall") or f.get("greedy_shortfall"):
            w(f"Missing for 'at least N' rules: {f['shortfall']} (greedy: {f['greedy_shortfall']})")
        w(f"Components: {f['components']:,} in {f['models']:,} models; optimal: {f['optimal']}")
        w(f"Seconds:           {f['seconds']}   wall {f['wall_seconds']}")
        w(f"Peak memory:       {f['peak_memory_mb']} MB")
        w(f"Seats left open, why:     {f['open_seat_reasons']}")
        w(f"People not placed, why:   {f['left_out_reasons']}")


def _count(codes) -> dict[str, int]:
    out: dict[str, int] = {}
    for code in codes:
        out[code] = out.get(code, 0) + 1
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))
