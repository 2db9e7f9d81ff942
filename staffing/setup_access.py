"""Who may use the setup pages: areas, polling stations and roles, the reference
data every election uses. The one place this is decided.

Changing them changes every election that uses them, so the pages are for those
whose grant covers the whole municipality: admins, and coordinators whose grant
lists no elections. Everyone else, a coordinator of some elections only
included, gets a 404 on every setup page (lists too): they do not learn what
exists. Station managers, team leaders and viewers see the stations they have on
the board and station pages.
"""

from __future__ import annotations

from django.http import Http404

from accounts.models import User
from accounts.scopes import Scope, scope_of
from elections.models import Role
from polling_stations.models import Area, PollingStation


def manages_reference_data(scope: Scope) -> bool:
    """Admin, or a coordinator grant that covers every election."""
    return scope.manages_reference_data


def require_manager(user: User) -> Scope:
    """The user's scope if they may use the setup pages; else 404."""
    scope = scope_of(user)
    if not manages_reference_data(scope):
        raise Http404
    return scope


def get_area(user: User, area_id: int) -> Area:
    require_manager(user)
    area = Area.objects.filter(pk=area_id).first()
    if area is None:
        raise Http404
    return area


def get_station(user: User, station_id: int) -> PollingStation:
    require_manager(user)
    station = PollingStation.objects.select_related("area").filter(pk=station_id).first()
    if station is None:
        raise Http404
    return station


def get_role(user: User, role_id: int) -> Role:
    require_manager(user)
    role = Role.objects.filter(pk=role_id).first()
    if role is None:
        raise Http404
    return role
