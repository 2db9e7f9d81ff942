"""Benchmark the volunteer import: a realistic file of N volunteers (Danish
names with Æ, Ø and Å, mobile numbers typed with spaces or +45, Danish dates, a
UTF-8 byte-order mark and ``;`` as Excel writes them, about 1 % bad rows), then
upload, dry run and commit it, then import the same file again (nothing changes).

    createdb -h 127.0.0.1 -U postgres pc_import
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pc_import \\
        .venv/bin/python -m bench.import_volunteers --rows 100000

Each step runs as the Celery job would (``exchange.imports.jobs.run``), in this
process. The volunteers table is emptied first (TRUNCATE … CASCADE on
PostgreSQL): use a database of its own. The target (issue 11): 100,000 rows in at
most 60 s on PostgreSQL."""

from __future__ import annotations

import argparse
import os
import random
import time
from datetime import date

from bench.coordinator_page import configure_django

BAD_SHARE = 0.01


def make_csv(rows: int, seed: int = 11) -> tuple[bytes, int]:
    """The file, and how many of its rows are bad on purpose."""
    from bench.people import People

    rng = random.Random(seed)
    people = People(rng)
    day = date(2027, 5, 17)
    lines = ["Fornavn;Efternavn;Mobil;E-mail;Fødselsdato;Adresse;Postnr;By"]
    bad = 0
    for _i in range(rows):
        first, last = people.name()
        birth = people.birth_date(day)
        if birth.year > 2009:
            birth = birth.replace(year=1990)
        phone = people.phone()[3:]  # +45 off, typed the way people do
        spaced = " ".join(phone[i : i + 2] for i in range(0, 8, 2))
        typed = rng.choice((spaced, f"+45 {spaced}", phone, f"0045{phone}"))
        email = people.email(first, last, birth) if rng.random() < 0.6 else ""
        born = birth.strftime(rng.choice(("%d-%m-%Y", "%d.%m.%Y", "%d/%m/%Y", "%Y-%m-%d")))
        if rng.random() < BAD_SHARE:
            bad += 1
            which = rng.randrange(3)
            if which == 0:
                typed = "1234"
            elif which == 1:
                born = "31-02-1980"
            else:
                first = ""
        lines.append(
            f"{first};{last};{typed};{email};{born};{people.street_address()};8000;Aarhus C"
        )
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8"), bad


def _empty_volunteers() -> None:
    from django.db import connection

    from volunteers.models import Volunteer

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE volunteers_volunteer CASCADE")
    else:
        Volunteer.objects.all().delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100000)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    configure_django("import", fresh=False)

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import User
    from exchange.imports import jobs
    from exchange.models import ImportJob
    from volunteers.models import Volunteer

    call_command("migrate", verbosity=0, interactive=False)
    settings.IMPORT_IN_REQUEST_MAX_ROWS = 10**9  # each step in this process, timed
    settings.IMPORT_MAX_ROWS = max(args.rows, getattr(settings, "IMPORT_MAX_ROWS", 0))
    settings.IMPORT_MAX_BYTES = 10**10  # --rows beyond what an upload may hold
    _empty_volunteers()
    user, _ = User.objects.get_or_create(email="bench-import@kommune.dk")
    started = time.perf_counter()
    content, bad = make_csv(args.rows, args.seed)
    made = time.perf_counter() - started
    print(f"database: {connection.vendor}; {args.rows} rows ({bad} bad on purpose), "
          f"{len(content) / 1e6:.1f} MB, made in {made:.1f} s")  # fmt: skip

    def step(label: str, fn, *a, **kw) -> ImportJob:
        # Wall-clock seconds, and this process's CPU seconds (on a busy machine the
        # first includes waiting for a core; the database's own work is only in it).
        began, cpu = time.perf_counter(), time.process_time()
        job = fn(*a, **kw)
        wall, used = time.perf_counter() - began, time.process_time() - cpu
        print(f"{label:<24} {wall:6.1f} s (Python CPU {used:5.1f} s)  {job.counts or ''}")
        return job

    total = time.perf_counter()
    job = step("upload (read, header)", jobs.upload, by=user, kind="volunteers",
               filename="frivillige.csv", content=content)  # fmt: skip
    job = jobs.set_mapping(job, job.mapping, "phone", by=user)
    job = step("dry run", jobs.start_check, job, by=user)
    job = step("commit", jobs.start_commit, job, by=user)
    print(f"{'first import, in all':<24} {time.perf_counter() - total:6.1f} s")
    if job.status != ImportJob.Status.DONE:
        raise SystemExit(f"the import stopped: {job.error}")
    print(f"volunteers stored: {Volunteer.objects.count()}; load average {os.getloadavg()[0]:.1f}")
    again = time.perf_counter()
    job = step("again: upload", jobs.upload, by=user, kind="volunteers",
               filename="frivillige.csv", content=content)  # fmt: skip
    job = jobs.set_mapping(job, job.mapping, "phone", by=user)
    job = step("again: dry run", jobs.start_check, job, by=user)
    job = step("again: commit", jobs.start_commit, job, by=user)
    print(f"{'same file again, in all':<24} {time.perf_counter() - again:6.1f} s")


if __name__ == "__main__":
    main()
