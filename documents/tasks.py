"""Print jobs on the workers (documents.jobs). Tasks take ids; each is safe to
run twice: a redelivered task finds its work done and returns."""

from __future__ import annotations

from celery import shared_task

from documents import jobs


@shared_task(bind=True, acks_late=True)
def start_print_job(self, job_id: int) -> None:
    jobs.start(job_id)


@shared_task(bind=True, acks_late=True)
def render_print_chunk(self, chunk_id: int) -> None:
    jobs.render_chunk(chunk_id)


@shared_task(bind=True, acks_late=True)
def merge_print_job(self, job_id: int) -> None:
    jobs.merge(job_id)


@shared_task(acks_late=True)
def purge_print_files() -> int:
    return jobs.purge()
