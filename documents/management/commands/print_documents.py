"""``manage.py print_documents --election ID --kind letters|rosters|signin|badges|invitations
[--station ID]… [--out FILE]``: the same print job as the coordinator's button, from
the command line (operations, cron, tests).

With a Celery broker configured the chunks go to the workers and the command
waits, showing progress; without one (or with ``--inline``) it renders them
itself. The file is written to ``--out`` (``-`` for standard output), and is also
kept for download like any job's. The exit status is 1 if nothing could be
printed, 2 if some items were left out (they are listed on standard error).
"""

from __future__ import annotations

import shutil
import sys
import time
from datetime import date
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from documents import jobs
from documents.kinds import Filters
from documents.models import DocumentKind, PrintJob
from elections.models import Election
from pollcrew.celery import app as celery_app


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--day wants a date as YYYY-MM-DD, not {value!r}.") from None


class Command(BaseCommand):
    help = "Print a batch of documents for an election (letters, rosters, sign-in sheets…)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--election", type=int, required=True, help="Election id.")
        parser.add_argument("--kind", required=True, choices=[k.value for k in DocumentKind])
        parser.add_argument(
            "--station", type=int, action="append", default=[], help="Only this station (repeat)."
        )
        parser.add_argument("--area", type=int, help="Only stations of this area.")
        parser.add_argument("--role", type=int, help="Only shifts of this role.")
        parser.add_argument("--team", type=int, help="Only shifts reserved for this team.")
        parser.add_argument("--day", type=_day, help="Only shifts starting on this day.")
        parser.add_argument(
            "--unprinted", action="store_true", help="Only letters not printed before."
        )
        parser.add_argument("--zip", action="store_true", help="A ZIP of single PDFs.")
        parser.add_argument("--out", help="Write the file here ('-' for standard output).")
        parser.add_argument(
            "--language", default=settings.LANGUAGE_CODE, help="Language of the report."
        )
        parser.add_argument(
            "--inline", action="store_true", help="Render in this process, not on the workers."
        )
        parser.add_argument(
            "--timeout", type=float, default=3600, help="Seconds to wait for the workers."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        election = Election.objects.filter(pk=options["election"]).first()
        if election is None:
            raise CommandError(f"There is no election with id {options['election']}.")
        request = jobs.Request(
            election=election,
            kind=options["kind"],
            filters=Filters(
                area=options["area"],
                stations=tuple(options["station"]),
                role=options["role"],
                team=options["team"],
                day=options["day"],
                only_unprinted=options["unprinted"],
            ),
            as_zip=options["zip"],
        )
        inline = options["inline"] or celery_app.conf.task_always_eager
        eager = celery_app.conf.task_always_eager
        celery_app.conf.task_always_eager = inline
        try:
            job, new = jobs.request_job(
                request, by=None, language=options["language"], command_line=True
            )
            if not new:
                self.stderr.write(f"The same documents are being printed already (job {job.pk}).")
            if inline:
                # Whatever the commit hooks have not done yet (inside a transaction).
                job = jobs.run_inline(job.pk)
        finally:
            celery_app.conf.task_always_eager = eager
        job = self._wait(job, options["timeout"])
        self._report(job, options["out"])

    def _wait(self, job: PrintJob, timeout: float) -> PrintJob:
        deadline = time.monotonic() + timeout
        shown = -1
        while True:
            job.refresh_from_db()
            if not job.active:
                return job
            if job.items_done != shown and job.items_total:
                shown = job.items_done
                self.stderr.write(f"{job.items_done}/{job.items_total} ({job.percent} %)")
            if time.monotonic() > deadline:
                raise CommandError(f"Job {job.pk} is still {job.status} after {timeout:.0f} s.")
            time.sleep(0.25)

    def _report(self, job: PrintJob, out: str | None) -> None:
        for failure in job.failures:
            self.stderr.write(f"Not printed: {failure['label']}: {failure['error']}")
        if job.status != PrintJob.Status.DONE:
            raise CommandError(job.error or f"Job {job.pk} ended as {job.status}.")
        if out:
            with job.file.open("rb") as source:
                if out == "-":
                    shutil.copyfileobj(source, sys.stdout.buffer)
                else:
                    with open(out, "wb") as target:
                        shutil.copyfileobj(source, target)
        self.stderr.write(
            f"Job {job.pk}: {job.items_total - len(job.failures)} of {job.items_total} printed, "
            f"{job.pages} pages, {job.file_size} bytes"
            + (f", written to {out}" if out and out != "-" else f", stored as {job.file.name}")
        )
        if job.failures:
            raise CommandError(f"{len(job.failures)} item(s) were not printed.", returncode=2)
