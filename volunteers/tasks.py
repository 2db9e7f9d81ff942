from celery import shared_task

from volunteers.services import expire_invitations as expire


@shared_task(acks_late=True)
def expire_invitations() -> int:
    return expire()
