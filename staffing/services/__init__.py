"""Staffing services: every write to seats, assignments and personal links.

Plain functions named after what they do, zulip-style, each with a keyword-only
``by`` (the staff user acting, or None for the volunteer's own link or the
system), one transaction, the rules checked once under row locks, messages
through the outbox (dispatched on commit) and an audit entry in the same
transaction. Pages, the admin, importers and the API all call these.
"""

from staffing.services.answers import GIVEN_UP, accept, decline
from staffing.services.checkin import check_in, undo_check_in
from staffing.services.closing import cancel_election_messages, change_election_status
from staffing.services.grid import save_cell, save_grid
from staffing.services.invitations import InviteResult, assign, expire_invitations, invite
from staffing.services.merge import merge_volunteers
from staffing.services.personal_links import purge_expired_links, reissue_link, revoke_link
from staffing.services.replace import replace
from staffing.services.seats import move, remove
from staffing.services.shifts import (
    PeopleAffected,
    ShiftChange,
    create_shift,
    delete_shift,
    reschedule_shift,
    resize_shift,
    update_shift,
)

__all__ = [
    "GIVEN_UP",
    "InviteResult",
    "PeopleAffected",
    "ShiftChange",
    "accept",
    "assign",
    "cancel_election_messages",
    "change_election_status",
    "check_in",
    "create_shift",
    "decline",
    "delete_shift",
    "expire_invitations",
    "invite",
    "merge_volunteers",
    "move",
    "purge_expired_links",
    "reissue_link",
    "remove",
    "replace",
    "reschedule_shift",
    "resize_shift",
    "revoke_link",
    "save_cell",
    "save_grid",
    "undo_check_in",
    "update_shift",
]
