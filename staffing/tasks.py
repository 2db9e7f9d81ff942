from celery import shared_task

from staffing import services


@shared_task(acks_late=True)
def expire_invitations() -> int:
    return services.expire_invitations()


@shared_task(acks_late=True)
def purge_expired_links() -> int:
    return services.purge_expired_links()


@shared_task(acks_late=True)
def apply_retention() -> dict:
    """Placeholder until retention lands: does nothing."""
    return {}
