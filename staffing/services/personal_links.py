"""Revoking and reissuing personal links (a lost phone, a forwarded SMS)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import ActorKind, User
from elections.models import Election
from notifications.models import Message
from pollcrew.refusals import Refused
from staffing import messaging
from staffing.links import issue_link, purge_expired
from staffing.models import PersonalLink
from volunteers.models import Volunteer


def revoke_link(link: PersonalLink, *, by: User | None) -> PersonalLink:
    """The link stops working at once (its page answers the uniform 404)."""
    with transaction.atomic():
        link = PersonalLink.objects.select_for_update().select_related("volunteer").get(pk=link.pk)
        if link.revoked_at is not None:
            return link
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
        audit.record(
            "staffing.revoke_link",
            link,
            by=by,
            election_id=link.election_id,
            changes={"revoked_at": [None, link.revoked_at]},
            detail={"volunteer": link.volunteer_id},
        )
    return link


def reissue_link(volunteer: Volunteer, election: Election, *, by: User | None) -> Message | None:
    """Revoke every usable link the volunteer has for the election and send them
    a new one. The new token goes only into the message: staff never see it, so
    nobody at the office can answer as the volunteer. Refused ("cannot_send")
    when no message may go to them (inactive election, "do not contact")."""
    with transaction.atomic():
        volunteer = Volunteer.objects.select_for_update(no_key=True).get(pk=volunteer.pk)
        if not messaging.may_message(volunteer, election):
            # Revoking without sending would leave them with no way in at all.
            raise Refused(
                "cannot_send",
                _(
                    "No message can be sent to %(name)s for %(election)s (the election is "
                    "not active, or they are marked “do not contact”), so their link is kept."
                )
                % {"name": volunteer.full_name, "election": election.name},
            )
        now = timezone.now()
        revoked = PersonalLink.objects.usable().filter(volunteer=volunteer, election=election)
        count = revoked.update(revoked_at=now)
        message = messaging.queue_new_link(volunteer, election, issue_link(volunteer, election))
        audit.record(
            "staffing.reissue_link",
            volunteer,
            by=by,
            election_id=election.pk,
            detail={"revoked": count, "sent": message is not None},
        )
    return message


def purge_expired_links() -> int:
    """Delete links expired long ago (the system's housekeeping, audited as a count)."""
    with transaction.atomic():
        deleted = purge_expired()
        if deleted:
            audit.record(
                "staffing.purge_links", by=None, actor=ActorKind.SYSTEM, detail={"deleted": deleted}
            )
    return deleted
