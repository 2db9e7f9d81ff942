"""Benchmark the REST API's volunteer list: 1,000 volunteers listed through
/api/v1/volunteers/ with a personal API token.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pollcrew_bench_api \\
        .venv/bin/python -m bench.api_list
    .venv/bin/python -m bench.api_list --volunteers 1000 --rounds 20   # SQLite

It migrates, makes the volunteers (bench.people: Danish names, unique phones and
emails) unless exactly that many are there already, makes a coordinator and a
token, and then, through Django's test client (the whole stack: middleware,
token authentication, scope, filters, pagination, serializers, ETag, the audit
entry of the read), times:

- the whole list in pages of 100 (10 requests), per round;
- the whole list as one page of 1,000 (``page_size=1000``, the largest allowed).

For each it prints the queries per page, the median and 95th percentile of the
time per page, and requests (pages) per second. The rate limit is lifted for
the run (it is per token)."""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from typing import Any

from bench.coordinator_page import COORDINATOR, configure_django, percentile

URL = "/api/v1/volunteers/"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.api_list",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--volunteers", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=10, help="timed rounds of each listing")
    return parser.parse_args(argv)


def make_volunteers(n: int) -> None:
    from django.utils import timezone

    from bench.people import People
    from volunteers.models import Volunteer

    if Volunteer.objects.count() == n:
        print(f"Reusing {n} volunteers")
        return
    Volunteer.objects.all().delete()
    people = People(random.Random(20261203))
    today = timezone.localdate()
    rows = []
    for i in range(n):
        first, last = people.name()
        born = people.birth_date(today)
        rows.append(
            Volunteer(
                first_name=first,
                last_name=last,
                birth_date=born,
                email=people.email(first, last, born),
                phone=people.phone(),
                address=people.street_address(),
                postal_code="8000",
                city="Aarhus",
                language="da",
                preferred_channel="sms" if i % 3 else "email",
            )
        )
    Volunteer.objects.bulk_create(rows, batch_size=500)
    print(f"Made {n} volunteers")


def token_client() -> Any:
    from django.test import Client

    from accounts import services as account_services
    from accounts.models import User
    from api import services as api_services

    user = User.objects.filter(email=COORDINATOR).first() or User.objects.create_user(
        email=COORDINATOR, password=None
    )
    account_services.grant_role(user, "coordinator", by=None)
    made = api_services.create_token(user, name="bench", days=30, by=user)
    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {made.secret}")
    client.api_token = made.token
    return client


def get(client: Any, url: str) -> Any:
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}: {response.content[:200]!r}")
    return response


def queries_of(client: Any, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        get(client, url)
    return len(captured.captured_queries)


def list_all(client: Any, page_size: int) -> tuple[list[float], int]:
    """Follow the pages to the end: (ms per page, volunteers seen)."""
    times, seen, page = [], 0, 1
    while True:
        started = time.perf_counter()
        data = get(client, f"{URL}?page_size={page_size}&page={page}").json()
        times.append((time.perf_counter() - started) * 1000)
        seen += len(data["results"])
        if not data["next"]:
            return times, seen
        page += 1


def run(args: argparse.Namespace) -> int:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    make_volunteers(args.volunteers)
    settings.API_RATE = "1000000/minute"
    client = token_client()
    print(f"Database: {connection.vendor}; {args.volunteers} volunteers; {args.rounds} rounds")
    print(
        f"{'listing':<28}{'queries/page':>13}{'median ms':>11}{'p95 ms':>9}{'pages/s':>9}"
        f"{'whole list ms':>15}"
    )
    for page_size in (100, 1000):
        list_all(client, page_size)  # warm up
        queries = queries_of(client, f"{URL}?page_size={page_size}&page=1")
        per_page: list[float] = []
        whole: list[float] = []
        for _ in range(args.rounds):
            times, seen = list_all(client, page_size)
            if seen != args.volunteers:
                raise SystemExit(f"listed {seen} of {args.volunteers}")
            per_page += times
            whole.append(sum(times))
        median = statistics.median(per_page)
        print(
            f"{'pages of ' + str(page_size):<28}{queries:>13}{median:>11.1f}"
            f"{percentile(per_page, 95):>9.1f}{1000 / median:>9.1f}"
            f"{statistics.median(whole):>15.1f}"
        )
    from api.services import revoke_token

    revoke_token(client.api_token, by=None)  # the run's token is not left working
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure_django("api", fresh=False)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
