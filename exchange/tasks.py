from celery import shared_task


@shared_task(bind=True, acks_late=True)
def run_import(self, job_id: int) -> str:
    """The dry run or the commit an import job waits for
    (``exchange.imports.jobs.run``); a redelivered task finds it finished and
    does nothing. Returns the job's status."""
    from exchange.imports import jobs

    job = jobs.run(job_id)
    return job.status if job is not None else ""


@shared_task(acks_late=True)
def purge_import_files() -> int:
    """Uploaded files not imported within IMPORT_FILES_KEEP_DAYS are emptied
    (daily, from the beat schedule). Safe to run again at any time."""
    from exchange.imports import jobs

    return jobs.purge_files()
