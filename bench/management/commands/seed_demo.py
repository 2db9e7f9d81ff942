"""`make demo`'s seed: a fictional Danish municipality with an active election.

Safe to run again: the data is made once; each run resets the demo users'
passwords and prints one fresh volunteer link.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Q, Sum
from django.test.utils import override_settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import User
from autoassign import settings_services as autoassign_settings
from autoassign.models import SeatRule
from bench import danish, datagen
from elections.models import Election, Role, Shift
from notifications.models import Message
from polling_stations.models import PollingStation, PostalCode
from staffing import services
from staffing import signup as open_signup
from staffing.fill import fills_by
from staffing.links import issue_link, link_url
from staffing.models import Assignment, Preference, SignupLink
from staffing.rules import RuleViolation
from staffing.services.signup import create_signup_link
from volunteers.models import Skill, Volunteer

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

# Auto-assign's data (see _autoassign_data). Demo values, not real places: the
# centres of the demo's four postal codes, made up in southern Jutland; each
# station lies up to about a kilometre from its town's centre.
POSTAL_CENTRES = {
    "6535": ("Sønderå", 55.1012, 9.0031),
    "6536": ("Ålunde", 55.1528, 8.8874),
    "6537": ("Kærbæk", 55.0466, 9.1149),
    "6538": ("Østerby", 55.0195, 9.1986),
}
STATION_JITTER = 0.009  # degrees (about a kilometre)
LANGUAGES = ("Engelsk", "Arabisk", "Polsk", "Tyrkisk")  # danish.SKILLS made as skills
CHAIR_TRAINING = "Valgstyrerkursus"
CHAIR_ROLE = "Valgstyrer"
CLERK_ROLE = "Tilforordnet"
# Shares of the volunteers (not do-not-contact) with wishes for the election, and
# of those, who wish what.
WISH_SHARE = 0.4
TRAINED_PARTY_SHARE = 0.6  # party members with the chair training
EXTRA_LANGUAGE_SHARE = 0.08
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
        self._autoassign_data(result.election, coordinator)
        return result.election

    # --- what auto-assign reads ------------------------------------------------------

    def _autoassign_data(self, election: Election, coordinator: User) -> None:
        """Languages and the chair training (required of chairs), positions of
        the postal codes and stations, wishes of a share of the volunteers, and
        one seat rule of each kind. The open seats are left for auto-assign."""
        rng = random.Random(datagen.DEFAULT_SEED)
        Skill.objects.filter(name__in=LANGUAGES).update(kind=Skill.Kind.LANGUAGE)
        languages = list(Skill.objects.filter(kind=Skill.Kind.LANGUAGE).order_by("name"))
        training, _ = Skill.objects.get_or_create(
            name=CHAIR_TRAINING, defaults={"kind": Skill.Kind.TRAINING}
        )
        chair = Role.objects.filter(name=CHAIR_ROLE).first()
        clerk = Role.objects.filter(name=CLERK_ROLE).first()
        if chair is not None:
            chair.required_skills.add(training)
        self._positions(election, rng)
        people = list(
            Volunteer.objects.filter(do_not_contact=False)
            .order_by("pk")
            .values_list("pk", "postal_code")
        )
        # The chair training: everyone holding a chair's seat, the experienced
        # chairs, and most party members (party seats are chairs' seats).
        trained = set(
            Assignment.objects.filter(
                shift__election=election,
                shift__role=chair,
                status__in=[Status.INVITED, Status.ACCEPTED],
            ).values_list("volunteer_id", flat=True)
        )
        trained |= set(
            Volunteer.objects.filter(skills__name="Erfaren valgstyrer").values_list("pk", flat=True)
        )
        party_members = sorted(
            set(Volunteer.objects.filter(teams__kind="party").values_list("pk", flat=True))
        )
        trained |= {pk for pk in party_members if rng.random() < TRAINED_PARTY_SHARE}
        has = set(Volunteer.skills.through.objects.values_list("volunteer_id", "skill_id"))
        links = [(pk, training.pk) for pk in sorted(trained)]
        for pk, _code in people:
            if languages and rng.random() < EXTRA_LANGUAGE_SHARE:
                links.append((pk, rng.choice(languages).pk))
        Skills = Volunteer.skills.through
        Skills.objects.bulk_create(
            [
                Skills(volunteer_id=v, skill_id=k)
                for v, k in dict.fromkeys(links)
                if (v, k) not in has
            ]
        )
        wishes = self._wishes(election, people, rng, roles=Role.objects.order_by("sort_order"))
        for kind, values in (
            (SeatRule.Kind.AT_LEAST_SKILL, {"count": 1, "role": clerk}),
            (SeatRule.Kind.AT_MOST_PER_PARTY, {"count": 2, "role": chair}),
        ):
            if kind == SeatRule.Kind.AT_LEAST_SKILL:
                values["skill"] = next((s for s in languages if s.name == "Engelsk"), None)
                if values["skill"] is None:  # pragma: no cover - datagen makes it
                    continue
            autoassign_settings.add_seat_rule(election, by=coordinator, kind=kind, **values)
        self.stdout.write(
            f"For auto-assign: {len(languages)} languages, {len(trained)} with the chair "
            f"training, {wishes} volunteers with wishes, {SeatRule.objects.count()} seat rules."
        )

    def _positions(self, election: Election, rng: random.Random) -> None:
        """Postal code centres and station positions (demo values, see POSTAL_CENTRES)."""
        for code, (name, lat, lon) in POSTAL_CENTRES.items():
            PostalCode.objects.get_or_create(
                code=code, defaults={"name": name, "latitude": lat, "longitude": lon}
            )
        stations = list(
            PollingStation.objects.filter(shifts__election=election).distinct().order_by("pk")
        )
        for station in stations:
            centre = POSTAL_CENTRES.get(station.postal_code)
            if centre is None:  # pragma: no cover - the demo's stations are in these codes
                continue
            station.latitude = round(centre[1] + rng.uniform(-1, 1) * STATION_JITTER, 6)
            station.longitude = round(centre[2] + rng.uniform(-1, 1) * STATION_JITTER * 1.7, 6)
        PollingStation.objects.bulk_update(stations, ["latitude", "longitude"])

    def _wishes(
        self,
        election: Election,
        people: list[tuple[int, str]],
        rng: random.Random,
        *,
        roles: Iterable[Role],
    ) -> int:
        """Preferences for a share of the volunteers: a station or area near home,
        "near home", the election day only, a role wanted or refused."""
        by_name = {role.name: role for role in roles}
        days = [day.isoformat() for day in Shift.objects.filter(election=election).local_days()]
        stations: dict[str, list[PollingStation]] = {}
        for station in PollingStation.objects.filter(shifts__election=election).distinct():
            stations.setdefault(station.postal_code, []).append(station)
        for group in stations.values():
            group.sort(key=lambda s: s.pk)
        made: list[tuple[Preference, dict[str, list[int]]]] = []
        for pk, code in people:
            if rng.random() >= WISH_SHARE:
                continue
            near = stations.get(code, [])
            chosen: dict[str, list[int]] = {}
            if near and rng.random() < 0.45:
                chosen["preferred_stations"] = [rng.choice(near).pk]
            elif near and rng.random() < 0.35:
                chosen["preferred_areas"] = [near[0].area_id]
            if rng.random() < 0.25:
                wanted = by_name.get(rng.choice((CLERK_ROLE, "Fintæller", "Valgsekretær")))
                if wanted is not None:
                    chosen["wanted_roles"] = [wanted.pk]
            if rng.random() < 0.1:
                refused = by_name.get(rng.choice(("Fintæller", "Brevstemmemodtager")))
                if refused is not None and refused.pk not in chosen.get("wanted_roles", []):
                    chosen["refused_roles"] = [refused.pk]
            preference = Preference(
                election=election,
                volunteer_id=pk,
                available=rng.random() >= 0.03,
                available_days=[election.election_date.isoformat()]
                if len(days) > 1 and rng.random() < 0.3
                else [],
                max_shifts=2 if rng.random() < 0.1 else None,
                near_home=rng.random() < 0.4,
                updated_by=None,
            )
            made.append((preference, chosen))
        Preference.objects.bulk_create([p for p, _ in made])
        for name in ("preferred_stations", "preferred_areas", "wanted_roles", "refused_roles"):
            through = getattr(Preference, name).through
            target = getattr(Preference, name).field.m2m_reverse_field_name()
            through.objects.bulk_create(
                [
                    through(**{"preference_id": p.pk, f"{target}_id": other})
                    for p, chosen in made
                    for other in chosen.get(name, [])
                ]
            )
        return len(made)

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
        live = Assignment.objects.filter(
            shift__election=election,
            status__in=[Status.INVITED, Status.ACCEPTED, Status.CHECKED_IN],
        ).count()
        wishes = Preference.objects.filter(election=election).count()
        out.write(
            f"  Auto-assign: {(seats or 0) - live} open seats; {wishes} volunteers with wishes; "
            f"{SeatRule.objects.filter(election=election).count()} seat rules."
        )
        out.write("")
        out.write(f"  Open            {base}/")
        out.write(f"  Coordinator     {coordinator.email}  password: {DEMO_PASSWORD}")
        out.write(f"  Admin (/admin/) {admin.email}  password: {DEMO_PASSWORD}")
        for line in scoped:
            out.write(f"  Other roles     {line}, same password")
        try:
            settings_url = reverse("autoassign:settings", args=[election.pk])
        except NoReverseMatch:  # the auto-assign pages are not wired in
            pass
        else:
            out.write(f"  Auto-assign     settings and seat rules: {base}{settings_url}")
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
