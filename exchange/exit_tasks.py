"""The full data export's task (exchange.exit_jobs). It takes the job's token
and is safe to run twice: a redelivered task finds the job done and returns."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def run_full_export(token: str) -> str:
    from exchange import exit_jobs

    state = exit_jobs.run(token)
    return state["status"] if state is not None else ""
