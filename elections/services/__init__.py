"""Writes to elections and roles, audited. Shifts (the seats) are changed
through staffing.services, because changing a seat someone holds is a staffing
matter: this app does not know who holds them. One module per subject:

- ``lifecycle``: create, edit, the status (draft → active → closed → archived), delete;
- ``roles``: the task types.
"""

from elections.services.lifecycle import (
    ELECTION_FIELDS,
    TRANSITIONS,
    create_election,
    delete_election,
    set_election_status,
    update_election,
)
from elections.services.roles import ROLE_FIELDS, create_role, delete_role, update_role

__all__ = [
    "ELECTION_FIELDS",
    "ROLE_FIELDS",
    "TRANSITIONS",
    "create_election",
    "create_role",
    "delete_election",
    "delete_role",
    "set_election_status",
    "update_election",
    "update_role",
]
