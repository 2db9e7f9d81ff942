"""The access helper for print jobs: a job is its requester's (it was made with
their scope), and only while they may still print in its election."""

from __future__ import annotations

from django.http import Http404

from accounts.models import User
from documents.jobs import NEED
from documents.models import PrintJob
from staffing import access


def get_print_job_for_user(user: User, job_id: int) -> PrintJob:
    job = (
        PrintJob.objects.select_related("election")
        .filter(pk=job_id, requested_by=user, command_line=False)
        .first()
    )
    if job is None or not access.visible_elections(user, NEED).filter(pk=job.election_id).exists():
        raise Http404
    return job
