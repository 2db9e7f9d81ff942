from __future__ import annotations

from celery import shared_task

from accounts.retention import purge_audit_log as purge


@shared_task(acks_late=True)
def purge_audit_log() -> int:
    return purge()
