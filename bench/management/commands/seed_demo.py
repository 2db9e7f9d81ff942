"""`make demo`'s seed: a fictional Danish municipality with an active election.

Safe to run again: the data is made once; each run resets the demo users'
passwords and prints one fresh volunteer link.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Q, Sum
from django.test.utils import override_settings
from django.utils import timezone

from accounts import services as account_services
from accounts.models import User
from bench import danish, datagen
from elections.models import Election, Shift
from notifications.models import Message
from polling_stations.models import PollingStation
from staffing import services
from staffing import signup as open_signup
from staffing.fill import fills_by
from staffing.links import issue_link, link_url
from staffing.models import Assignment, SignupLink
from staffing.rules import RuleViolation
from staffing.services.signup import create_signup_link
from volunteers.models import Volunteer

DEMO_PASSWORD = "pollcrew-demo"  # noqa: S105 - printed on purpose: it is the demo login
COORDINATOR_EMAIL = "koordinator@pollcrew.demo"
ADMIN_EMAIL = "admin@pollcrew.demo"
# One user for each scoped role, to see what each may see.
STATION_MANAGER_EMAIL = "valgsted@pollcrew.demo"
TEAM_LEADER_EMAIL = "parti@pollcrew.demo"
VIEWER_EMAIL = "kig@pollcrew.demo"
DAYS_AHEAD = 21
# The bulk data leaves room for these: invitations made through the real services.
DEMO_FILL = 0.85
SERVICE_INVITES = 36
INVITES_PER_SHIFT = 4
DECLINE_REASONS = ["Jeg er på ferie i uge 45.", "Skal passe mine børnebørn.", ""]

Status = Assignment.Status
# One INFO line per delivered message; a warning about the (unused) broker URL.
_CHATTY_LOGGERS = ("celery.app.trace", "kombu.connection")


@contextmanager
def deliver_to_memory() -> Iterator[None]:
    """Run the seed's service calls with delivery into memory.

    The seed uses the real services, so its invitations and confirmations are
    real outbox rows that go through the real delivery task. Two reasons not to
    let them reach the configured backends: with the development defaults
    (eager Celery, console email and SMS) some sixty messages would bury the
    login details at the end of the output; and the demo volunteers are
    fictional, but their phone numbers are valid Danish numbers, so nothing from
    a seed may ever reach a real SMS provider or mail server. So, for the
    duration, Celery runs eagerly in this process (even if a broker is set) and
    email and SMS go to the in-memory backends. The messages end up "sent",
    as they would in a real run, and can be read in the admin. Celery's
    per-task log lines are quietened for the same reason.
    """
    from pollcrew.celery import app

    saved = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    loggers = [logging.getLogger(name) for name in _CHATTY_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
            SMS_BACKEND="notifications.sms.LocmemBackend",
        ):
            yield
    finally:
        app.conf.task_always_eager, app.conf.task_eager_propagates = saved
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def demo_election() -> Election | None:
    """The election seeded over the demo municipality's stations, if any."""
    return (
        Election.objects.filter(shifts__station__area__name=danish.TOWN_AREAS[0][0])
        .distinct()
        .order_by("-election_date", "-pk")
        .first()
    )


class Command(BaseCommand):
    help = (
        "Seed the demo: a fictional municipality with 12 polling stations, 400 volunteers "
        "and an active election, a coordinator and an admin login, and a volunteer link."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--flush",
            action="store_true",
            help="Delete all Pollcrew data (elections, stations, volunteers, messages; "
            "not staff users) and seed again.",
        )

    def handle(self, *args, flush: bool = False, **options) -> None:
        if settings.PRODUCTION:
            raise CommandError("seed_demo makes fictional data; it does not run in production.")
        if flush:
            datagen.flush_domain()
            self.stdout.write("Deleted all Pollcrew data (staff users kept).")
        coordinator, admin = self._staff_users()
        election = demo_election()
        if election is None:
            if found := datagen.existing_areas(datagen.SCALES["town"]):
                raise CommandError(
                    f"Part of the demo data exists ({', '.join(found)}) but no demo election. "
                    "Run `manage.py seed_demo --flush` to start over."
                )
            election = self._seed(coordinator)
        else:
            self.stdout.write(f"Demo data already in place: {election}. Not changed.")
        scoped = self._scoped_users(election)
        self._report(election, coordinator, admin, scoped)

    # --- users -----------------------------------------------------------------------

    def _staff_users(self) -> tuple[User, User]:
        coordinator = self._user(COORDINATOR_EMAIL, "Hanne", "Østergaard", superuser=False)
        account_services.grant_role(coordinator, "coordinator", by=None)
        admin = self._user(ADMIN_EMAIL, "Søren", "Aagaard", superuser=True)
        return coordinator, admin

    def _scoped_users(self, election: Election) -> list[str]:
        """A station manager of the first station, a team leader of the first party
        with reserved seats, and a viewer; described for the report."""
        lines = []
        station = PollingStation.objects.filter(shifts__election=election).order_by("name").first()
        if station is not None:
            user = self._user(STATION_MANAGER_EMAIL, "Bente", "Valgsted", superuser=False)
            account_services.grant_role(user, "station_manager", stations=[station.pk], by=None)
            lines.append(f"{user.email} (station manager, {station.name})")
        reserved = (
            Shift.objects.filter(election=election, team__isnull=False)
            .select_related("team")
            .order_by("team__name")
            .first()
        )
        if reserved is not None:
            user = self._user(TEAM_LEADER_EMAIL, "Peter", "Partisekretær", superuser=False)
            account_services.grant_role(user, "team_leader", teams=[reserved.team_id], by=None)
            lines.append(f"{user.email} (team leader, {reserved.team.name})")
        user = self._user(VIEWER_EMAIL, "Vibeke", "Kig", superuser=False)
        account_services.grant_role(user, "viewer", by=None)
        lines.append(f"{user.email} (viewer: counts only)")
        return lines

    @staticmethod
    def _user(email: str, first: str, last: str, *, superuser: bool) -> User:
        user = User.objects.filter(email=email).first() or User(email=email)
        user.first_name, user.last_name = first, last
        user.is_active = True
        user.is_staff = superuser
        user.is_superuser = superuser
        user.set_password(DEMO_PASSWORD)  # reset on every run: the demo password works
        user.save()
        return user

    # --- data ------------------------------------------------------------------------

    def _seed(self, coordinator: User) -> Election:
        day = timezone.localdate() + timedelta(days=DAYS_AHEAD)
        result = datagen.generate(
            "town",
            election_name=f"Folketingsvalg {day.year}",
            election_date=day,
            fill=DEMO_FILL,
            invited_by=coordinator,
        )
        self.stdout.write(f"Created {result.election} in {result.seconds:.1f}s.")
        with deliver_to_memory():
            invited, accepted, declined = self._answer_some(result.election, coordinator)
        self.stdout.write(
            f"Through the services: {invited} invitations, {accepted} accepted, "
            f"{declined} declined ({Message.objects.count()} messages in the outbox)."
        )
        return result.election

    def _answer_some(self, election: Election, coordinator: User) -> tuple[int, int, int]:
        """Invite a few dozen volunteers with the real services; some answer."""
        adult_on = election.election_date.replace(year=election.election_date.year - 18)
        fresh = list(
            Volunteer.objects.filter(do_not_contact=False, birth_date__lte=adult_on)
            .exclude(assignments__shift__election=election)
            .order_by("pk")[:SERVICE_INVITES]
        )
        shifts = Shift.objects.filter(
            election=election,
            team__isnull=True,
            role__invite_only=False,
            starts_at__date=election.election_date,
        ).order_by("station__name", "starts_at", "pk")
        fills = fills_by(shifts)
        invitations: list[Assignment] = []
        for shift in shifts:
            if not fresh:
                break
            free = fills[shift.pk].vacant
            if not free:
                continue
            batch = fresh[: min(INVITES_PER_SHIFT, free)]
            fresh = fresh[len(batch) :]
            invitations += services.invite(shift, batch, by=coordinator).invited
        accepted = declined = 0
        for i, assignment in enumerate(invitations):
            try:
                if i % 4 in (0, 1):  # the volunteer accepts on their link
                    services.accept(assignment)
                    accepted += 1
                elif i % 4 == 2:
                    reason = DECLINE_REASONS[i % len(DECLINE_REASONS)]
                    services.decline(assignment, reason=reason)
                    declined += 1
            except RuleViolation as refusal:  # pragma: no cover - fresh volunteers, no clashes
                self.stderr.write(f"Skipped {assignment}: {refusal.message}")
        return len(invitations), accepted, declined

    # --- the summary -----------------------------------------------------------------

    def _open_invitation(self, election: Election) -> Assignment | None:
        """An unanswered invitation the volunteer can still answer online,
        preferably one that was sent through the services."""
        candidates = (
            Assignment.objects.filter(
                shift__election=election,
                status=Status.INVITED,
                volunteer__do_not_contact=False,
                shift__starts_at__gt=timezone.now() + timedelta(days=election.lock_days + 1),
            )
            .select_related("volunteer", "shift__role", "shift__station")
            .order_by("shift__starts_at", "pk")
        )
        invited = Message.objects.filter(kind="invitation", subject_type="staffing.assignment")
        sent = candidates.filter(pk__in=invited.values("subject_id"))
        return sent.first() or candidates.first()

    def _report(
        self, election: Election, coordinator: User, admin: User, scoped: list[str]
    ) -> None:
        seats = election.shifts.aggregate(
            n=Sum("capacity"),
        )["n"]
        answers = Assignment.objects.filter(shift__election=election).aggregate(
            accepted=Count("pk", filter=Q(status__in=[Status.ACCEPTED, Status.CHECKED_IN])),
            invited=Count("pk", filter=Q(status=Status.INVITED)),
        )
        stations = PollingStation.objects.filter(shifts__election=election).distinct().count()
        base = settings.SITE_URL
        out = self.stdout
        out.write("")
        out.write(self.style.SUCCESS(f"Pollcrew demo: {election.name}, {danish.DEMO_MUNICIPALITY}"))
        out.write(
            f"  {stations} polling stations, {seats} seats: {answers['accepted']} accepted, "
            f"{answers['invited']} awaiting an answer; {Volunteer.objects.count()} volunteers."
        )
        if settings.MUNICIPALITY_NAME != danish.DEMO_MUNICIPALITY:
            out.write(
                f'  The site calls itself "{settings.MUNICIPALITY_NAME}" (MUNICIPALITY_NAME); '
                f'set MUNICIPALITY_NAME="{danish.DEMO_MUNICIPALITY}" in the environment or '
                ".env to match the demo data."
            )
        out.write("")
        out.write(f"  Open            {base}/")
        out.write(f"  Coordinator     {coordinator.email}  password: {DEMO_PASSWORD}")
        out.write(f"  Admin (/admin/) {admin.email}  password: {DEMO_PASSWORD}")
        for line in scoped:
            out.write(f"  Other roles     {line}, same password")
        assignment = self._open_invitation(election)
        if assignment is None:
            out.write("  No open invitation left to show a volunteer link for.")
            return
        token = issue_link(assignment.volunteer, election)
        shift = assignment.shift
        out.write(
            f"  Volunteer link  for {assignment.volunteer.full_name}, invited as "
            f"{shift.role.name} at {shift.station.name} (Accept / Decline):"
        )
        out.write(f"                  {link_url(token)}")
        signup_link = SignupLink.objects.filter(election=election).usable().first()
        if signup_link is None:
            signup_link = create_signup_link(election, by=coordinator, label="Kommunens hjemmeside")
        out.write("  Sign-up link    for anyone (open seats, sign up with a code):")
        out.write(f"                  {open_signup.link_url(signup_link)}")
        out.write("")
