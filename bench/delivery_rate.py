"""Benchmark delivery: N SMS through a real Celery worker with 2 prefork processes,
the real ``twilio`` client and the fake Twilio on loopback
(tests/fakes/twilio_server.py), against Celery's floor on the same broker: N
trivial tasks (``celery.accumulate``) through the same worker (issue 9: at least
250 messages a second, and the ratio to the floor).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pollcrew_bench \\
        .venv/bin/python -m bench.delivery_rate --messages 10000

The messages are queued through the outbox as a round is (``queue_messages``,
then ``dispatch_messages``: chunks of 250 that the worker fans out), with no
sending rate (``SMS_RATE_PER_SECOND=0``: the pacing is not what is measured).
Measured from the dispatch until every message is 'sent' (the database polled
every 0.2 s), and for the floor from the first publish until the worker's stats
count N tasks done. Messages are deleted afterwards. Results are also written as
JSON to bench/results/ (not committed).
"""

from __future__ import annotations

import argparse
import os
import time
import uuid
from pathlib import Path
from typing import Any

from bench.worker_kill import (
    children,
    run_with_worker,
    start_worker,
    stop_worker,
    use_fake_twilio,
)

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time of these processes so far (Linux /proc)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / TICK


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument(
        "--no-floor", action="store_true", help="skip the floor (when profiling the delivery)"
    )
    return parser.parse_args()


def floor(app: Any, n: int, timeout: float) -> float:
    """Seconds for the worker to run n trivial tasks published from here."""
    accumulate = app.tasks["celery.accumulate"]
    started = time.monotonic()
    for i in range(n):
        accumulate.delay(i)
    deadline = started + timeout
    while time.monotonic() < deadline:
        stats = app.control.inspect(timeout=1.0).stats() or {}
        done = sum(s.get("total", {}).get("celery.accumulate", 0) for s in stats.values())
        if done >= n:
            return time.monotonic() - started
        time.sleep(0.2)
    raise SystemExit("The floor's tasks did not finish in time.")


def run(args: argparse.Namespace) -> dict[str, Any]:
    from django.core.management import call_command

    from notifications.models import Message
    from notifications.services import Draft, dispatch_messages, queue_messages
    from pollcrew.celery import app

    call_command("migrate", verbosity=0, interactive=False)
    fake, env = use_fake_twilio(args.redis)
    run_id = uuid.uuid4().hex[:8]
    drafts = [
        Draft(
            "sms",
            f"+4522{i:06d}",
            "sms_reply",
            "da",
            {"case": "none", "municipality": "Bench", "link": f"https://x.invalid/v/{run_id}{i}/"},
            f"bench-rate:{run_id}:{i}",
        )
        for i in range(args.messages)
    ]
    ours = Message.objects.filter(idempotency_key__startswith=f"bench-rate:{run_id}:")
    worker = start_worker(args, env)
    app.control.purge()
    try:
        floor_s = 0.0 if args.no_floor else floor(app, args.messages, args.timeout)
        ids = [m.pk for m in queue_messages(drafts)]
        workers = [worker.pid, *children(worker.pid)]
        cpu_before = cpu_seconds(workers), time.process_time()
        started = time.monotonic()
        dispatch_messages(ids)
        deadline = started + args.timeout
        sent = 0
        while time.monotonic() < deadline:
            sent = ours.filter(status=Message.Status.SENT).count()
            if sent == args.messages:
                break
            time.sleep(0.2)
        delivery_s = time.monotonic() - started
        worker_cpu = cpu_seconds(workers) - cpu_before[0]
        here_cpu = time.process_time() - cpu_before[1]
    finally:
        stop_worker(worker)
        app.control.purge()
    result = {
        "messages": args.messages,
        "concurrency": args.concurrency,
        "sent": sent,
        "accepted_by_fake_twilio": len(fake.received),
        "delivery_s": round(delivery_s, 1),
        "messages_per_s": round(sent / delivery_s),
        # CPU per message: the worker's processes; this process (the fake Twilio,
        # and polling the database).
        "worker_cpu_ms_per_message": round(1000 * worker_cpu / max(sent, 1), 2),
        "bench_cpu_ms_per_message": round(1000 * here_cpu / max(sent, 1), 2),
        "floor_s": round(floor_s, 1),
        "floor_tasks_per_s": round(args.messages / floor_s) if floor_s else None,
        "ratio_to_floor": round(delivery_s / floor_s, 2) if floor_s else None,
    }
    ours.delete()
    fake.stop()
    return result


def main() -> None:
    run_with_worker(parse_args(), run, "delivery_rate")


if __name__ == "__main__":
    main()
