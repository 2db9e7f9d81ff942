"""The import pages' list and the clean-up of uploaded files."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from exchange.imports import jobs
from exchange.models import ImportJob
from tests import factories as f

pytestmark = pytest.mark.django_db
CSV = "Fornavn;Efternavn;Mobil;Fødselsdato\nBo;Berg;20 12 34 56;17-05-1980\n".encode()


def _uploads(user, count: int, election=None) -> None:
    for _i in range(count):
        jobs.upload(
            by=user,
            kind="grid" if election else "volunteers",
            filename="f.csv",
            content=CSV,
            election=election,
        )


def test_recent_imports_in_a_fixed_number_of_queries(
    client, coordinator, django_assert_num_queries
):
    client.force_login(coordinator)
    election = f.election()
    url = reverse("exchange:import_start")
    _uploads(coordinator, 1)
    _uploads(coordinator, 1, election)
    client.get(url)  # warm: the session, the organisation
    # session, user, grants, elections for the form, the recent imports (with
    # their elections), the menu's counts: the same for 2 imports and for 20.
    with django_assert_num_queries(count := len(_count(client, url))):
        client.get(url)
    _uploads(coordinator, 9)
    _uploads(coordinator, 9, election)
    with django_assert_num_queries(count):
        page = client.get(url)
    assert page.content.decode().count("f.csv") == 20


def _count(client, url: str) -> list:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return queries.captured_queries


def test_files_not_imported_are_emptied_after_a_while(coordinator, settings):
    settings.IMPORT_FILES_KEEP_DAYS = 7
    job = jobs.upload(by=coordinator, kind="volunteers", filename="f.csv", content=CSV)
    fresh = jobs.upload(by=coordinator, kind="volunteers", filename="g.csv", content=CSV)
    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(days=8))
    assert jobs.purge_files() == 1
    job.refresh_from_db()
    fresh.refresh_from_db()
    assert bytes(job.content) == b"" and bytes(fresh.content) == CSV
    assert jobs.purge_files() == 0  # nothing twice


def test_the_report_page_polls_while_the_job_runs(client, coordinator, settings):
    settings.IMPORT_IN_REQUEST_MAX_ROWS = 0  # a job; its task waits for a commit that never comes
    client.force_login(coordinator)
    job = jobs.upload(by=coordinator, kind="volunteers", filename="f.csv", content=CSV)
    job = jobs.start_check(
        jobs.set_mapping(job, job.mapping, "phone", by=coordinator), by=coordinator
    )
    assert job.status == ImportJob.Status.CHECKING
    page = client.get(reverse("exchange:import_report", args=[job.pk])).content.decode()
    assert "0 of 1 rows." in page and 'hx-trigger="every 2s"' in page
    jobs.run(job.pk)  # the worker's turn
    page = client.get(reverse("exchange:import_report", args=[job.pk])).content.decode()
    assert "hx-trigger" not in page and "Import: write 1 row" in page
