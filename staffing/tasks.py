from celery import shared_task
from django.db import OperationalError

from staffing import reinvite, retention, services


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


@shared_task(bind=True, acks_late=True)
def reinvite_previous(self, run_id: int) -> str:
    """Invite the previous election's volunteers for a ``ReinviteRun``
    (staffing.reinvite.process): a chunk per transaction, going on where an earlier
    job stopped; a redelivered or second job for the same run is harmless.
    Returns the run's status ("" if it had finished already)."""
    run = reinvite.process(run_id)
    return run.status if run is not None else ""


@shared_task(acks_late=True)
def send_reminders() -> dict[str, int]:
    """Invitation and shift reminders that are due (staffing.reminders); keyed, so
    a second run, or a second beat process, sends nothing twice."""
    from staffing import reminders

    return reminders.send_reminders().counts


@shared_task(bind=True, acks_late=True)
def queue_group_message(self, group_id: int) -> str:
    """Queue a group message's messages a chunk at a time
    (staffing.services.group_messages.process); a redelivered or second job for
    the same group queues nothing twice. Returns the group's status."""
    from staffing.services import group_messages

    group = group_messages.process(group_id)
    return group.status if group is not None else ""


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def offer_free_seats(shift_id: int) -> int:
    """Offer a shift's free seats to its standby list (staffing.services.standby);
    a redelivered task offers nothing twice (open offers cover their seats).
    Returns how many offers were made."""
    from staffing.services import standby

    return len(standby.offer_free_seats(shift_id))


@shared_task(acks_late=True)
def expire_offers() -> int:
    """Standby offers past their deadline expire and their seats move on."""
    from staffing.services import standby

    return standby.expire_offers()
