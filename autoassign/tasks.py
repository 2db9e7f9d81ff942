from celery import shared_task


@shared_task(bind=True, acks_late=True)
def run_proposal(self, proposal_id: int) -> str:
    """Make a queued proposal (autoassign.job.run): load, solve, explain, save.
    A redelivered or second job for a proposal that is no longer queued does
    nothing. Returns the proposal's status ("" if it was not queued)."""
    from autoassign import job

    proposal = job.run(proposal_id)
    return proposal.status if proposal is not None else ""


@shared_task(acks_late=True)
def send_due_waves() -> int:
    """Next waves of accepted proposals whose last wave has answered enough
    (autoassign.waves.send_due_waves); a second run at once sends nothing twice."""
    from autoassign import waves

    return waves.send_due_waves()


# The wave task lives beside the review services; autodiscovery reaches it here.
from autoassign.tasks_waves import send_wave_task  # noqa: E402, F401
