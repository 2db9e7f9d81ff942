"""manage.py revoke_role EMAIL ROLE: take the role (and its whole scope) away."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from accounts import services
from accounts.models import StaffRole
from administration.management.commands.grant_role import staff_user
from pollcrew.refusals import Refused


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser) -> None:
        parser.add_argument("email")
        parser.add_argument("role", choices=StaffRole.values)

    def handle(self, *args, email, role, **options) -> None:
        user = staff_user(email)
        try:
            done = services.revoke_role(user, role, by=None)
        except Refused as refusal:
            raise CommandError(refusal.message) from None
        if done:
            self.stdout.write(f"{user.email} is no longer {role}.")
        else:
            self.stdout.write(f"{user.email} did not have the role {role}; nothing changed.")
