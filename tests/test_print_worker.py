"""A print job through a real Celery worker (the broker is Redis in CI, see
tests/test_worker.py): its progress advances chunk by chunk, the merged PDF has
a page per letter, a letter that fails is reported while the rest is printed,
and asking again while it runs gets the running job."""

from __future__ import annotations

import dataclasses
import io
import time

import pikepdf
import pytest
from django.utils import timezone

from documents import jobs
from documents.kinds import KINDS, Filters
from documents.models import PrintJob
from staffing.models import Assignment
from tests import factories
from tests.test_print_jobs import FAILING_SIGNATURE
from tests.test_worker import worker  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

LETTERS = 12


@pytest.fixture
def election_with_letters(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    # Two letters per chunk: six chunks, so that progress has steps to show.
    kind = KINDS["letters"]
    monkeypatch.setitem(KINDS, "letters", dataclasses.replace(kind, chunk_size=2))
    election = factories.election()
    shift = factories.shift(election, capacity=LETTERS)
    names = ["Søren", "Åse", "Ærling", "Øjvind", *[f"Person{i}" for i in range(LETTERS - 4)]]
    for name in names:
        Assignment.objects.create(
            shift=shift,
            volunteer=factories.volunteer(first_name=name, last_name="Ødegård"),
            status=Assignment.Status.ACCEPTED,
            responded_at=timezone.now(),
        )
    return election


def _request(election) -> tuple[PrintJob, bool]:
    return jobs.request_job(
        jobs.Request(election=election, kind="letters", filters=Filters()),
        by=None,
        language="en",
        command_line=True,
    )


def _follow(job: PrintJob, timeout: float = 60) -> tuple[PrintJob, list[int]]:
    """Poll the job as the progress page does; return it finished and the
    progress seen on the way."""
    seen: list[int] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if not seen or seen[-1] != job.items_done:
            seen.append(job.items_done)
        if not job.active:
            return job, seen
        time.sleep(0.02)
    raise AssertionError(f"job {job.pk} still {job.status} after {timeout} s: {seen}")


def test_a_job_runs_on_the_worker_with_progress_and_one_merged_pdf(
    worker,  # noqa: F811
    election_with_letters,
):
    job, new = _request(election_with_letters)
    again, new_again = _request(election_with_letters)
    assert new and not new_again
    assert again.pk == job.pk  # the running job, not a second one
    job, seen = _follow(job)
    assert job.status == PrintJob.Status.DONE, job.error
    assert job.chunks_total == 6
    # Progress moved in steps, never backwards, to the end.
    assert seen == sorted(seen)
    assert len(set(seen)) >= 3
    assert seen[-1] == LETTERS
    with job.file.open("rb") as f:
        pdf = pikepdf.open(io.BytesIO(f.read()))
    assert len(pdf.pages) == job.pages == LETTERS
    assert Assignment.objects.filter(appointment_printed_at__isnull=False).count() == LETTERS


def test_a_failing_letter_on_the_worker_is_reported_and_the_rest_printed(
    worker,  # noqa: F811
    election_with_letters,
    settings,
    tmp_path,
):
    overrides = tmp_path / "overrides"
    (overrides / "pdf").mkdir(parents=True)
    (overrides / "pdf" / "_letter_signature.html").write_text(FAILING_SIGNATURE)
    engine = dict(settings.TEMPLATES[0])
    engine["DIRS"] = [overrides, *engine["DIRS"]]
    settings.TEMPLATES = [engine]

    job, _new = _request(election_with_letters)
    job, _seen = _follow(job)
    assert job.status == PrintJob.Status.DONE
    assert [f["label"].split(" (")[0] for f in job.failures] == ["Øjvind Ødegård"]
    assert job.pages == LETTERS - 1
