"""The coordinator's staffing pages: the election list, the board, a station's
shifts and who holds them, inviting volunteers, and a team's members. One module
per page or group of pages (and one URL module per group: staffing/urls*.py).

Thin: access helpers (scope → 404), read models and services do the work. Every
list is filtered by the user's scope in the queryset; which columns a page shows
(names, contact data, invite buttons) follows the capability per shift."""

from staffing.views.board import election_board
from staffing.views.election_list import election_list
from staffing.views.invite import shift_invite
from staffing.views.station import station_detail
from staffing.views.team import team_detail

__all__ = ["election_board", "election_list", "shift_invite", "station_detail", "team_detail"]
