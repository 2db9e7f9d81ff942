"""The task that sends one wave of an accepted proposal (autoassign.waves.run_wave).

Celery's autodiscovery imports ``autoassign.tasks``, which imports this module."""

from __future__ import annotations

from celery import shared_task


@shared_task(bind=True, acks_late=True)
def send_wave_task(self, proposal_id: int, wave: int, by_id: int | None = None) -> int:
    """Invite the rows of wave ``wave`` still proposed, a shift per transaction; a
    redelivered or second job for the same wave invites nobody twice. Returns how
    many it invited."""
    from autoassign import waves

    return waves.run_wave(proposal_id, wave, by_id)
