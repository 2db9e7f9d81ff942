"""Benchmark printing appointment letters: 3,000 letters through the batch engine
(documents.jobs) on a real Celery worker with two processes, against the floor of
WeasyPrint rendering the same letters as one document in one process.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pollcrew_letters \\
        .venv/bin/python -m bench.print_letters --scale city
    ... --reuse                 # keep the generated data of an earlier run
    ... --letters 300 --skip-floor --profile

The data is bench.datagen's (generated once; --reuse keeps it). The benchmark
takes the generated election's stations in order until they hold ``--letters``
seats and fills every one of their seats with an accepted person (invitations
become acceptances, vacant seats get people from the register without a seat
in the election). At city scale (3,000 seats) that is the whole election. The
letters printed are those of these stations, as the print page or the command
line asks for them (``Filters(stations=…)``).

What is measured:

- **floor**: the letters' HTML (``appointment_letters_html``) and WeasyPrint alone
  on it (``render_pdf``), in this process, as 100-letter documents one after the
  other (what the workers render, without the engine); with ``--one-document``
  also as ONE document, as the issue words the floor ("at most 1.6 times the time
  WeasyPrint alone needs for the same pages rendered as one document"). That one
  is quadratic in the pages (PDF/UA tagging reads pydyf's ``page_references``,
  rebuilt on every read): 3,000 pages take WeasyPrint over 15 minutes, a floor
  that would flatter any engine. The wall clock and CPU time of each.
- **job**: ``documents.jobs.request_job(…, by=None, command_line=True)`` with a
  worker started for the run (``celery -A pollcrew worker --concurrency 2 --pool
  prefork``) on Redis (``--redis``, a database of its own), from the request to
  the merged PDF: the same chunks, merge and storage as in production. Its
  media files go to a temporary MEDIA_ROOT, removed afterwards.
- **ratio**: job / floor (WeasyPrint alone), for each floor measured.
- **memory**: the resident set of each worker process (VmRSS) after each chunk
  and its peak (VmHWM), read from /proc: it should stay flat over the job.

``--profile`` prints the 30 costliest functions (cProfile, cumulative time) of
one 100-letter chunk through WeasyPrint. Results are also written as JSON to
bench/results/ (not committed).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.coordinator_page import BASE_DIR, RESULTS_DIR, SCALES, configure_django, prepare

CHUNK = 100  # the letters kind's chunk size (documents.kinds)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.print_letters",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--scale", choices=SCALES, default="city")
    parser.add_argument("--letters", type=int, default=3000, help="seats to fill and print")
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes")
    parser.add_argument(
        "--redis", default="redis://127.0.0.1:6379/13", help="the broker (a database of its own)"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="keep the data of an earlier run if it is there"
    )
    parser.add_argument("--skip-floor", action="store_true", help="only the job")
    parser.add_argument(
        "--one-document",
        action="store_true",
        help="also time the letters as ONE document (slow: quadratic in the pages)",
    )
    parser.add_argument("--skip-job", action="store_true", help="only the floor")
    parser.add_argument(
        "--profile", action="store_true", help="print a cProfile of one 100-letter chunk"
    )
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for the job")
    return parser.parse_args(argv)


# --- the data -------------------------------------------------------------------


def fill_stations(election: Any, letters: int) -> list[int]:
    """The first stations (by id) holding at least ``letters`` seats, with every
    seat filled by an accepted person. Returns the station ids."""
    from django.db import transaction
    from django.db.models import Count, Q, Sum
    from django.utils import timezone

    from elections.models import Shift
    from staffing.models import FILLED_STATUSES, SEAT_HOLDING_STATUSES, Assignment
    from volunteers.models import Volunteer

    stations: list[int] = []
    seats = 0
    per_station = (
        Shift.objects.filter(election=election)
        .values("station_id")
        .annotate(seats=Sum("capacity"))
        .order_by("station_id")
    )
    for row in per_station:
        if seats >= letters:
            break
        stations.append(row["station_id"])
        seats += row["seats"]
    if seats < letters:
        raise SystemExit(f"The election has only {seats} seats; {letters} asked for.")

    now = timezone.now()
    shifts = Shift.objects.filter(election=election, station_id__in=stations)
    with transaction.atomic():
        Assignment.objects.filter(shift__in=shifts, status=Assignment.Status.INVITED).update(
            status=Assignment.Status.ACCEPTED, responded_at=now
        )
        open_seats = shifts.annotate(
            held=Count("assignments", filter=Q(assignments__status__in=SEAT_HOLDING_STATUSES))
        ).values_list("pk", "capacity", "held")
        wanted = [pk for pk, capacity, held in open_seats for _ in range(capacity - held)]
        free = list(
            Volunteer.objects.exclude(assignments__shift__election=election)
            .order_by("pk")
            .values_list("pk", flat=True)[: len(wanted)]
        )
        if len(free) < len(wanted):
            raise SystemExit(f"Only {len(free)} people without a seat; {len(wanted)} needed.")
        Assignment.objects.bulk_create(
            Assignment(
                shift_id=shift_id,
                volunteer_id=volunteer_id,
                status=Assignment.Status.ACCEPTED,
                invited_at=now,
                responded_at=now,
            )
            for shift_id, volunteer_id in zip(wanted, free, strict=True)
        )
        Assignment.objects.filter(shift__in=shifts, status__in=FILLED_STATUSES).update(
            appointment_printed_at=None
        )
    return stations


# --- the floor ------------------------------------------------------------------


def clock(fn: Any) -> tuple[Any, float, float]:
    """``fn()``, its wall-clock seconds and this process's CPU seconds."""
    started, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - started, time.process_time() - cpu


def pdf_pages(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def floor(ids: list[int], *, one_document: bool) -> dict[str, Any]:
    """WeasyPrint alone on the letters, in this process: as 100-letter documents one
    after the other (the workers' chunks, without the engine), and with
    ``one_document`` as ONE document. The latter is not linear: WeasyPrint's PDF/UA
    tagging reads pydyf's ``page_references``, which builds the tuple of every
    page's reference on each read, once per tagged box (pages x boxes)."""
    from documents.letters import appointment_letters_html
    from documents.rendering import render_pdf

    warm = appointment_letters_html(ids[:5])  # fonts and stylesheet loaded, as a warm worker
    render_pdf(warm.html)
    result: dict[str, Any] = {"letters": len(ids)}
    html_s = html_cpu = pdf_s = pdf_cpu = 0.0
    pages = size = 0
    for start in range(0, len(ids), CHUNK):
        rendered, wall, cpu = clock(lambda s=start: appointment_letters_html(ids[s : s + CHUNK]))
        html_s, html_cpu = html_s + wall, html_cpu + cpu
        pdf, wall, cpu = clock(lambda r=rendered: render_pdf(r.html))
        pdf_s, pdf_cpu = pdf_s + wall, pdf_cpu + cpu
        pages, size = pages + pdf_pages(pdf), size + len(pdf)
    result["chunks"] = {
        "html_s": round(html_s, 2),
        "html_cpu_s": round(html_cpu, 2),
        "weasyprint_s": round(pdf_s, 2),
        "weasyprint_cpu_s": round(pdf_cpu, 2),
        "pages": pages,
        "mb": round(size / 2**20, 1),
        "peak_rss_mb": round(vm_kb(os.getpid(), "VmHWM") / 1024),
    }
    print(f"floor, {CHUNK}-letter documents: {result['chunks']}", flush=True)
    if one_document:
        rendered, html_s, html_cpu = clock(lambda: appointment_letters_html(ids))
        pdf, pdf_s, pdf_cpu = clock(lambda: render_pdf(rendered.html))
        result["one_document"] = {
            "html_s": round(html_s, 2),
            "html_cpu_s": round(html_cpu, 2),
            "weasyprint_s": round(pdf_s, 2),
            "weasyprint_cpu_s": round(pdf_cpu, 2),
            "pages": pdf_pages(pdf),
            "mb": round(len(pdf) / 2**20, 1),
            "peak_rss_mb": round(vm_kb(os.getpid(), "VmHWM") / 1024),
        }
        print(f"floor, one document: {result['one_document']}", flush=True)
    return result


def profile_chunk(ids: list[int]) -> None:
    from documents.letters import appointment_letters_html
    from documents.rendering import render_pdf

    html = appointment_letters_html(ids[:CHUNK]).html
    render_pdf(html)
    profile = cProfile.Profile()
    profile.runcall(render_pdf, html)
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(30)
    print(out.getvalue())


# --- the job on a real worker -----------------------------------------------------


def vm_kb(pid: int, field: str) -> int:
    """A /proc/<pid>/status figure in kB (VmRSS, VmHWM); 0 if the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def start_worker(args: argparse.Namespace, media_root: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "CELERY_BROKER_URL": args.redis,
        "MEDIA_ROOT": media_root,
        "DJANGO_SETTINGS_MODULE": "pollcrew.settings",
    }
    command = [
        str(Path(sys.executable).parent / "celery"),
        "-A",
        "pollcrew",
        "worker",
        "--concurrency",
        str(args.concurrency),
        "--pool",
        "prefork",
        "-Q",
        "celery",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel",
        "WARNING",
    ]
    return subprocess.Popen(command, cwd=BASE_DIR, env=env, start_new_session=True)  # noqa: S603


def wait_for_worker(worker: subprocess.Popen, concurrency: int, timeout: float = 60) -> None:
    from pollcrew.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise SystemExit(f"The worker exited ({worker.returncode}).")
        if len(children(worker.pid)) >= concurrency and app.control.ping(timeout=0.5):
            return
        time.sleep(0.2)
    raise SystemExit("The worker did not start.")


def stop_worker(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)  # its own session: the worker and its children
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def run_job(args: argparse.Namespace, election: Any, stations: list[int]) -> dict[str, Any]:
    from documents.jobs import Request, request_job
    from documents.kinds import Filters
    from documents.models import PrintJob
    from pollcrew.celery import app

    media_root = tempfile.mkdtemp(prefix="pollcrew-print-bench-")
    worker = start_worker(args, media_root)
    try:
        wait_for_worker(worker, args.concurrency)
        app.control.purge()
        filters = Filters(stations=tuple(stations))
        request = Request(election=election, kind="letters", filters=filters)
        started = time.perf_counter()
        job, new = request_job(request, by=None, language="da", command_line=True)
        if not new:
            raise SystemExit(f"Print job {job.pk} for these letters is still running.")
        pids = children(worker.pid)
        samples: list[dict[str, Any]] = []
        seen = -1
        deadline = time.monotonic() + args.timeout
        while True:
            job.refresh_from_db()
            if job.chunks_done != seen:
                seen = job.chunks_done
                samples.append(
                    {
                        "chunks_done": seen,
                        "s": round(time.perf_counter() - started, 1),
                        "rss_mb": [round(vm_kb(p, "VmRSS") / 1024) for p in pids],
                    }
                )
            if job.status not in PrintJob.ACTIVE:
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"Print job {job.pk} not done after {args.timeout} s.")
            time.sleep(0.1)
        elapsed = time.perf_counter() - started
        peaks = [round(vm_kb(p, "VmHWM") / 1024) for p in pids]
        running_s = (
            (job.finished_at - job.started_at).total_seconds()
            if job.finished_at and job.started_at
            else None
        )
        return {
            "job": job.pk,
            "status": job.status,
            "error": job.error,
            "failures": len(job.failures or []),
            "letters": job.items_total,
            "chunks": job.chunks_total,
            "end_to_end_s": round(elapsed, 2),
            "started_to_finished_s": round(running_s, 2) if running_s is not None else None,
            "pages": job.pages,
            "mb": round((job.file_size or 0) / 2**20, 1),
            "worker_pids": pids,
            "peak_rss_mb": peaks,
            "rss_after_chunks": samples,
        }
    finally:
        stop_worker(worker)
        shutil.rmtree(media_root, ignore_errors=True)


def run(args: argparse.Namespace) -> dict[str, Any]:
    # This process publishes to the worker's broker: tasks are not run inline.
    os.environ["CELERY_BROKER_URL"] = args.redis
    configure_django(args.scale, fresh=not args.reuse)
    from django.db import connection

    from documents.kinds import KINDS, Filters
    from elections.models import Shift

    election, info = prepare(args.scale, reuse=args.reuse)
    stations = fill_stations(election, args.letters)
    keys = KINDS["letters"].select(
        election, Shift.objects.filter(election=election), Filters(stations=tuple(stations))
    )
    ids = [int(k) for k in keys]
    print(f"{len(ids)} letters from {len(stations)} stations")
    result: dict[str, Any] = {
        "scale": args.scale,
        "database": connection.vendor,
        "concurrency": args.concurrency,
        **info,
        "letters": len(ids),
    }
    if args.profile:
        profile_chunk(ids)
    if not args.skip_floor:
        result["floor"] = floor(ids, one_document=args.one_document)
    if not args.skip_job:
        connection.close()  # no connection held across the worker's fork of this environment
        result["job"] = run_job(args, election, stations)
    if "floor" in result and "job" in result:
        job_s = result["job"]["end_to_end_s"]
        result["ratio"] = {
            name: round(job_s / measured["weasyprint_s"], 2)
            for name, measured in result["floor"].items()
            if isinstance(measured, dict)
        }
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / f"print_letters-{connection.vendor}-{args.scale}.json").write_text(
        json.dumps(result, indent=2, default=str)
    )
    return result


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    r = run(args)
    print()
    print(f"{r['letters']} letters ({r['scale']}, {r['database']}, {r['concurrency']} workers)")
    print("| measured | wall s | CPU s | pages | MB | peak RSS MB |")
    print("|---|---:|---:|---:|---:|---:|")
    names = {"chunks": f"{CHUNK}-letter documents in turn", "one_document": "one document"}
    for name, f in r.get("floor", {}).items():
        if not isinstance(f, dict):
            continue
        print(f"| letters HTML, {names[name]} | {f['html_s']} | {f['html_cpu_s']} | | | |")
        print(
            f"| WeasyPrint alone, {names[name]} | {f['weasyprint_s']} | {f['weasyprint_cpu_s']} "
            f"| {f['pages']} | {f['mb']} | {f['peak_rss_mb']} |"
        )
    if "job" in r:
        j = r["job"]
        print(
            f"| print job, end to end ({j['chunks']} chunks) | {j['end_to_end_s']} | | "
            f"{j['pages']} | {j['mb']} | {' / '.join(map(str, j['peak_rss_mb']))} |"
        )
        if j["status"] != "done" or j["failures"]:
            print(f"job {j['job']}: {j['status']} {j['error']} ({j['failures']} not printed)")
        print()
        print("RSS per worker process after each chunk (MB):")
        for sample in j["rss_after_chunks"]:
            rss = " / ".join(map(str, sample["rss_mb"]))
            print(f"  {sample['chunks_done']:>3} chunks at {sample['s']:>6} s: {rss}")
    for name, ratio in r.get("ratio", {}).items():
        print(f"end to end / WeasyPrint alone, {names[name]}: {ratio} (target ≤ 1.6)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
