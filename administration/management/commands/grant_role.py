"""manage.py grant_role EMAIL ROLE [--election ID]… [--station ID]… [--team ID]…

ROLE is admin, coordinator, station_manager, team_leader or viewer. A coordinator
or viewer granted without --election covers every election. Granting a role the
user has already replaces its scope."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from accounts import services
from accounts.models import StaffRole, User
from elections.models import Election
from pollcrew.refusals import Refused
from polling_stations.models import PollingStation
from volunteers.models import Team


def existing(model, ids: list[int], option: str) -> list[int]:
    found = set(model.objects.filter(pk__in=ids).values_list("pk", flat=True))
    missing = sorted(set(ids) - found)
    if missing:
        raise CommandError(f"No such {option.lstrip('-')}: {', '.join(map(str, missing))}")
    return sorted(found)


def staff_user(email: str) -> User:
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None:
        raise CommandError(f"No staff user with the email {email!r}.")
    return user


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser) -> None:
        parser.add_argument("email")
        parser.add_argument("role", choices=StaffRole.values)
        parser.add_argument("--election", type=int, action="append", default=[])
        parser.add_argument("--station", type=int, action="append", default=[])
        parser.add_argument("--team", type=int, action="append", default=[])

    def handle(self, *args, email, role, election, station, team, **options) -> None:
        user = staff_user(email)
        try:
            services.grant_role(
                user,
                role,
                elections=existing(Election, election, "--election"),
                stations=existing(PollingStation, station, "--station"),
                teams=existing(Team, team, "--team"),
                by=None,
            )
        except Refused as refusal:
            raise CommandError(refusal.message) from None
        scope = ", ".join(
            f"{name} {ids}"
            for name, ids in (("elections", election), ("stations", station), ("teams", team))
            if ids
        )
        self.stdout.write(f"{user.email} is {role}" + (f" ({scope})" if scope else "") + ".")
