"""Benchmark a worker killed with SIGKILL mid-round, with the production timings.

    createdb -h 127.0.0.1 -U postgres pollcrew_kill
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pollcrew_kill \\
        .venv/bin/python -m bench.worker_kill [--messages 1000] [--kill-after 250]

A real worker (``celery -A pollcrew worker --pool prefork --concurrency 2``) on
Redis (``--redis``, a database of its own) sends a round of SMS through the real
``twilio`` client to the fake Twilio (tests/fakes/twilio_server.py), which answers
each request ``--reply-delay`` seconds after accepting the message, so that sends
are in flight at the kill. After ``--kill-after`` SMS were accepted, the worker's
whole process group gets SIGKILL; a new worker is started at once (as systemd or
another host would); the sweeper runs every ``--sweep-every`` seconds (beat's
schedule: 30 s) from the start of the run, with OUTBOX_INTERRUPTED_AFTER as
configured (45 s by default).

Measured: the SMS in flight at the kill (in 'sending', and accepted by the fake:
what a blind second attempt would send twice), duplicates at the fake, the
seconds from the kill until the interrupted messages are back in the queue and
until they are sent, until the whole round is sent, the look-ups at Twilio, and
the tasks the dead worker had taken but not started (dispatched again by the
sweeper). The test with the same set-up and shortened timings is
tests/test_worker_kill.py. Results are written to bench/results/ (not committed).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS_DIR = BASE_DIR / "bench" / "results"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--kill-after", type=int, default=250, help="SMS accepted before the kill")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--reply-delay", type=float, default=0.02)
    parser.add_argument("--sweep-every", type=float, default=30.0)
    parser.add_argument("--timeout", type=float, default=240.0)
    return parser.parse_args()


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def start_worker(args: argparse.Namespace, env: dict[str, str]) -> subprocess.Popen:
    from pollcrew.celery import app

    command = [
        str(Path(sys.executable).parent / "celery"),
        "-A",
        "pollcrew",
        "worker",
        "--pool",
        "prefork",
        "--concurrency",
        str(args.concurrency),
        "-Q",
        "celery",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel",
        "WARNING",
    ]
    worker = subprocess.Popen(  # noqa: S603 (our own celery, fixed arguments)
        command,
        cwd=BASE_DIR,
        env={**os.environ, **env},
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise SystemExit(f"The worker exited ({worker.returncode}).")
        if len(children(worker.pid)) >= args.concurrency and app.control.ping(timeout=0.5):
            return worker
        time.sleep(0.1)
    raise SystemExit("The worker did not start.")


def stop_worker(worker: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, sig)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def use_fake_twilio(redis: str) -> tuple[Any, dict[str, str]]:
    """Start the fake Twilio, point this process's settings and Celery app at it
    and at ``redis``, and return it with the environment for a worker process.
    No sending rate: what is measured is not the pacing."""
    from django.conf import settings

    from pollcrew.celery import app
    from tests.fakes.twilio_server import FakeTwilio

    fake = FakeTwilio().start()
    twilio = {
        "SMS_BACKEND": "notifications.sms.TwilioBackend",
        "TWILIO_ACCOUNT_SID": fake.account_sid,
        "TWILIO_AUTH_TOKEN": fake.auth_token,
        "TWILIO_FROM": fake.from_,
        "TWILIO_MESSAGING_SERVICE_SID": "",
        "TWILIO_BASE_URL": fake.base_url,
        "SMS_RATE_PER_SECOND": "0",
    }
    for name, value in twilio.items():
        setattr(settings, name, 0.0 if name == "SMS_RATE_PER_SECOND" else value)
    app.conf.update(
        broker_url=redis, broker_read_url=redis, broker_write_url=redis, task_always_eager=False
    )
    env = {**twilio, "CELERY_BROKER_URL": redis, "DJANGO_SETTINGS_MODULE": "pollcrew.settings"}
    return fake, env


def run(args: argparse.Namespace) -> dict[str, Any]:
    from django.conf import settings
    from django.core.management import call_command

    from notifications.models import Message
    from notifications.services import Draft, dispatch_messages, queue_messages
    from notifications.tasks import sweep_outbox
    from pollcrew.celery import app

    call_command("migrate", verbosity=0, interactive=False)
    fake, env = use_fake_twilio(args.redis)
    fake.reply_delay = args.reply_delay

    run_id = uuid.uuid4().hex[:8]
    Status = Message.Status
    drafts = [
        Draft(
            "sms",
            f"+4522{i:06d}",
            "sms_reply",
            "da",
            {"case": "none", "municipality": "Bench", "link": f"https://x.invalid/v/{run_id}{i}/"},
            f"bench-kill:{run_id}:{i}",
        )
        for i in range(args.messages)
    ]
    ours = Message.objects.filter(idempotency_key__startswith=f"bench-kill:{run_id}:")

    stop = threading.Event()
    swept: list[tuple[float, int]] = []

    def beat() -> None:  # the sweeper on beat's schedule
        from django.db import connection

        while not stop.wait(args.sweep_every):
            swept.append((time.monotonic(), sweep_outbox()))
        connection.close()

    first = start_worker(args, env)
    app.control.purge()
    ticker = threading.Thread(target=beat, daemon=True)
    try:
        ids = [m.pk for m in queue_messages(drafts)]
        dispatch_messages(ids)
        ticker.start()
        fake.wait_for(args.kill_after, timeout=60)
        os.killpg(first.pid, signal.SIGKILL)
        killed = time.monotonic()
        first.wait()
        accepted_at_kill = len(fake.received)
        interrupted = set(ours.filter(status=Status.SENDING).values_list("pk", flat=True))
        in_flight_accepted = sum(
            1 for m in ours.filter(pk__in=interrupted) if any(s.to == m.to for s in fake.received)
        )
        fake.reply_delay = 0
        second = start_worker(args, env)
        worker_up = time.monotonic() - killed
        back = sent_back = done = None
        deadline = killed + args.timeout
        while time.monotonic() < deadline and done is None:
            now = time.monotonic()
            mine = ours.filter(pk__in=interrupted)
            if back is None and not mine.filter(status=Status.SENDING).exists():
                back = now - killed
            if sent_back is None and not mine.exclude(status=Status.SENT).exists():
                sent_back = now - killed
            if not ours.exclude(status=Status.SENT).exists():
                done = now - killed
            time.sleep(0.2)
        stop_worker(second)
    finally:
        stop.set()
        stop_worker(first, signal.SIGKILL)
    per_number = Counter(s.to for s in fake.received)
    unsent = ours.exclude(status=Status.SENT)
    sweeps_after_kill = [(round(t - killed, 1), n) for t, n in swept if t >= killed]
    result = {
        "messages": args.messages,
        "concurrency": args.concurrency,
        "interrupted_after_s": settings.OUTBOX_INTERRUPTED_AFTER.total_seconds(),
        "sweep_every_s": args.sweep_every,
        "accepted_at_kill": accepted_at_kill,
        "sending_at_kill": len(interrupted),
        "in_flight_accepted_by_twilio": in_flight_accepted,
        "new_worker_up_s": round(worker_up, 1),
        "interrupted_back_in_queue_s": back and round(back, 1),
        "interrupted_sent_s": sent_back and round(sent_back, 1),
        "all_sent_s": done and round(done, 1),
        "delivered_numbers": len(per_number),
        "duplicates": sum(n - 1 for n in per_number.values()),
        "lookups": len(fake.lookups),
        "sweeps_after_kill": sweeps_after_kill,
        "not_sent": dict(Counter(unsent.values_list("status", flat=True))),
    }
    ours.delete()
    fake.stop()
    return result


def run_with_worker(args: argparse.Namespace, run: Callable[..., dict], name: str) -> None:
    """A worker benchmark's main: PostgreSQL (the worker shares the database),
    the broker from ``--redis``, Django set up; ``run``'s figures printed and
    written to bench/results/<name>.json."""
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database (the worker shares it).")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pollcrew.settings")
    os.environ["CELERY_BROKER_URL"] = args.redis
    import django

    django.setup()
    result = run(args)
    width = max(map(len, result)) + 1
    for key, value in result.items():
        print(f"{key:{width}} {value}")
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / f"{name}.json").write_text(json.dumps(result, indent=2))


def main() -> None:
    run_with_worker(parse_args(), run, "worker_kill")


if __name__ == "__main__":
    main()
