from __future__ import annotations

from celery import shared_task

from accounts import retention


@shared_task(acks_late=True)
def purge_audit_log() -> int:
    return retention.purge_audit_log()


@shared_task(acks_late=True)
def purge_sign_in_leftovers() -> dict[str, int]:
    return retention.purge_sign_in_leftovers()
