"""The full data export's task (exchange.exit_jobs). It takes the job's token
and is safe to run twice: a redelivered task finds the job done and returns."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def run_full_export(token: str) -> str:
    from exchange import exit_jobs

    state = exit_jobs.run(token)
    return state["status"] if state is not None else ""


@shared_task(acks_late=True)
def purge_full_exports() -> int:
    """Full export files older than EXIT_FILES_KEEP_HOURS are deleted (each
    export run does it too; on the beat schedule it happens even when nobody
    exports again). Safe to run at any time."""
    from exchange import exit_jobs

    return exit_jobs.purge()
