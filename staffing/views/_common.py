"""What the staffing pages share."""

from __future__ import annotations

from accounts.scopes import Capability
from staffing.models import Assignment

STATIONS_PER_PAGE = 50
MEMBERS_PER_PAGE = 100
C = Capability

# Who holds a seat first, then who is waiting, then the rest.
_STATUS_ORDER = [
    Assignment.Status.CHECKED_IN,
    Assignment.Status.ACCEPTED,
    Assignment.Status.INVITED,
    Assignment.Status.DECLINED,
    Assignment.Status.WITHDRAWN,
    Assignment.Status.EXPIRED,
    Assignment.Status.NO_SHOW,
]
