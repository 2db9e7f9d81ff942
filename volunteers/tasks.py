from celery import shared_task

from volunteers.links import purge_expired
from volunteers.services import expire_invitations as expire


@shared_task(acks_late=True)
def expire_invitations() -> int:
    return expire()


@shared_task(acks_late=True)
def purge_expired_links() -> int:
    return purge_expired()
