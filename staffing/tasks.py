from celery import shared_task

from staffing import retention, services


@shared_task(acks_late=True)
def expire_invitations() -> int:
    return services.expire_invitations()


@shared_task(acks_late=True)
def purge_expired_links() -> int:
    return services.purge_expired_links()


@shared_task(acks_late=True)
def apply_retention() -> dict:
    """What closed elections no longer need, and long-inactive volunteers, go
    (staffing.retention); returns the counts. Safe to run again at any time."""
    return retention.apply_retention().as_dict()
