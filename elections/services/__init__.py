"""Writes to elections and roles, audited. Shifts (the seats) are changed
through staffing.services, because changing a seat someone holds is a staffing
matter: this app does not know who holds them. One module per subject:

- ``lifecycle``: create, edit, the status (draft → active → closed → archived), delete;
- ``copying``: a draft copy of an election with its whole seat grid, re-dated
  (a new election has no people yet, so its seats are the elections app's own);
- ``roles``: the task types.
"""

from elections.services.copying import copy_election, redate
from elections.services.lifecycle import (
    AUDITED_FIELDS,
    ELECTION_FIELDS,
    TRANSITIONS,
    check_shifts_in_window,
    create_election,
    delete_election,
    set_election_status,
    update_election,
)
from elections.services.roles import ROLE_FIELDS, create_role, delete_role, update_role

__all__ = [
    "AUDITED_FIELDS",
    "ELECTION_FIELDS",
    "ROLE_FIELDS",
    "TRANSITIONS",
    "check_shifts_in_window",
    "copy_election",
    "create_election",
    "create_role",
    "delete_election",
    "delete_role",
    "redate",
    "set_election_status",
    "update_election",
    "update_role",
]
