"""`manage.py seed_demo`, the data behind `make demo`."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry, User
from autoassign.models import SeatRule
from bench.management.commands.seed_demo import ADMIN_EMAIL, COORDINATOR_EMAIL, DEMO_PASSWORD
from elections.models import Election, Role
from notifications.models import Message
from polling_stations.models import Area, PollingStation, PostalCode
from staffing.links import resolve_link
from staffing.models import Assignment, PersonalLink, Preference
from volunteers.models import Skill, Volunteer

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def printed_token(output: str) -> str:
    match = re.search(re.escape(settings.SITE_URL) + r"/v/([A-Za-z0-9_-]+)/", output)
    assert match, output
    return match.group(1)


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for app in (
            "polling_stations",
            "elections",
            "volunteers",
            "staffing",
            "notifications",
            "accounts",
            "autoassign",
        )
        for model in apps.get_app_config(app).get_models()
    }


def test_seed_creates_the_demo_municipality():
    output = seed()
    election = Election.objects.get()
    assert election.status == Election.Status.ACTIVE
    assert election.election_date == timezone.localdate() + timedelta(days=21)
    assert election.name == f"Folketingsvalg {election.election_date.year}"
    assert Area.objects.count() == 3
    assert PollingStation.objects.count() == 12
    assert Volunteer.objects.count() == 400
    assert election.shifts.aggregate(n=Sum("capacity"))["n"] == 250
    statuses = set(Assignment.objects.values_list("status", flat=True))
    assert {"invited", "accepted", "declined"} <= statuses
    # Some invitations and answers went through the real services: messages and links.
    kinds = set(Message.objects.values_list("kind", flat=True))
    assert {"invitation", "accepted", "declined"} <= kinds
    assert Message.objects.filter(kind="invitation").count() >= 24
    assert PersonalLink.objects.count() > Message.objects.filter(kind="invitation").count() / 2
    assert "Sønderå Kommune" in output
    assert f"{settings.SITE_URL}/" in output
    assert COORDINATOR_EMAIL in output
    assert ADMIN_EMAIL in output
    assert DEMO_PASSWORD in output


def test_coordinator_and_admin_can_log_in(client):
    seed()
    election = Election.objects.get()
    assert client.login(email=COORDINATOR_EMAIL, password=DEMO_PASSWORD)
    assert client.get(reverse("staffing:board", args=[election.pk])).status_code == 200
    station = PollingStation.objects.first()
    response = client.get(reverse("staffing:station", args=[election.pk, station.pk]))
    assert response.status_code == 200
    client.logout()
    assert client.login(email=ADMIN_EMAIL, password=DEMO_PASSWORD)
    assert User.objects.get(email=ADMIN_EMAIL).is_superuser
    assert client.get(reverse("admin:index")).status_code == 200


def test_printed_link_opens_an_open_invitation(client):
    token = printed_token(seed())
    link = resolve_link(token)
    assert link is not None
    assert link.election == Election.objects.get()
    assert Assignment.objects.filter(
        volunteer=link.volunteer, shift__election=link.election, status="invited"
    ).exists()
    response = client.get(reverse("portal:home", args=[token]))
    assert response.status_code == 200
    assert b"/accept/" in response.content
    assert b"/decline/" in response.content


def test_running_twice_adds_nothing_but_a_fresh_link(client):
    first = seed()
    before = row_counts()
    coordinator = User.objects.get(email=COORDINATOR_EMAIL)
    coordinator.set_password("someone-changed-it")
    coordinator.save()

    second = seed()

    after = row_counts()
    assert after.pop("staffing.PersonalLink") == before.pop("staffing.PersonalLink") + 1
    assert after == before
    assert "already in place" in second
    assert printed_token(second) != printed_token(first)
    assert resolve_link(printed_token(second)) is not None
    assert client.login(email=COORDINATOR_EMAIL, password=DEMO_PASSWORD)


def test_printed_sign_up_link_lists_open_seats(client):
    output = seed()
    match = re.search(re.escape(settings.SITE_URL) + r"(/s/[0-9a-f]+/)", output)
    assert match, output
    page = client.get(match.group(1), {"lang": "en"})
    assert page.status_code == 200
    assert "free seat" in page.content.decode()
    second = seed()
    assert match.group(1) in second  # the same link again, not a new one each run


def test_the_demo_gives_auto_assign_data_and_work():
    output = seed()
    election = Election.objects.get()
    languages = Skill.objects.filter(kind=Skill.Kind.LANGUAGE)
    assert {"Engelsk", "Arabisk"} <= set(languages.values_list("name", flat=True))
    assert all(language.volunteers.count() >= 10 for language in languages)
    training = Skill.objects.get(kind=Skill.Kind.TRAINING)
    chair = Role.objects.get(name="Valgstyrer")
    assert list(chair.required_skills.all()) == [training]
    # Everyone holding a chair's seat has the training; more party members have it.
    chairs = Volunteer.objects.filter(
        assignments__shift__role=chair, assignments__status__in=["invited", "accepted"]
    ).distinct()
    assert chairs.exists() and not chairs.exclude(skills=training).exists()
    assert Volunteer.objects.filter(skills=training, teams__kind="party").count() > chairs.count()
    # Every station has a position near its postal code's centre (demo values).
    for station in PollingStation.objects.all():
        centre = PostalCode.objects.get(code=station.postal_code)
        assert abs(station.latitude - centre.latitude) < 0.02
        assert abs(station.longitude - centre.longitude) < 0.03
    assert not Volunteer.objects.exclude(postal_code__in=PostalCode.objects.values("code")).exists()
    # Wishes for a share of the volunteers, of every kind.
    wishes = Preference.objects.filter(election=election)
    assert 80 <= wishes.count() <= 240
    assert wishes.filter(near_home=True).exists()
    assert wishes.filter(preferred_stations__isnull=False).exists()
    assert wishes.filter(preferred_areas__isnull=False).exists()
    assert wishes.filter(wanted_roles__isnull=False).exists()
    assert wishes.filter(refused_roles__isnull=False).exists()
    assert wishes.filter(available=False).exists()
    assert wishes.exclude(available_days=[]).exists()
    # One seat rule of each kind, added through the service (audited).
    assert sorted(SeatRule.objects.values_list("kind", flat=True)) == ["max_party", "min_skill"]
    assert AuditEntry.objects.filter(action="autoassign.add_seat_rule").count() == 2
    # Open seats are left for auto-assign.
    live = Assignment.objects.filter(status__in=["invited", "accepted"]).count()
    assert election.shifts.aggregate(n=Sum("capacity"))["n"] - live >= 30
    assert "Auto-assign:" in output and "open seats" in output
