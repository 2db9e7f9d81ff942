"""Bidirectional text: directional controls are removed on input, and user text is
shown isolated (<bdi>) so that stored text from before cannot reorder what is
around it, on the pages and in the roster PDF."""

from __future__ import annotations

import subprocess
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.formats import date_format

from accounts.models import User
from polling_stations import services as station_services
from polling_stations.models import PollingStation
from staffing import services
from tests import factories as f
from volunteers import services as volunteer_services

pytestmark = pytest.mark.django_db

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: what follows is shown reversed
CONTROLS = [
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
]


def test_services_remove_directional_controls_on_input():
    area = station_services.create_area(by=None, name=f"Nord{RLO}")
    station = station_services.create_station(
        by=None,
        area=area,
        name="Skole" + "".join(CONTROLS),
        address="Skolevej 1",
        postal_code="8000",
        city="Aarhus",
    )
    assert (area.name, station.name) == ("Nord", "Skole")
    volunteer = volunteer_services.create_volunteer(
        by=None,
        first_name=f"Karen{RLO}",
        last_name=f"{RLO}Jensen",
        birth_date=date(1980, 1, 1),
        email="karen@example.dk",
        preferred_channel="email",
    )
    assert volunteer.full_name == "Karen Jensen"
    shift = f.shift()
    [assignment] = services.invite(shift, [volunteer], by=None).invited
    declined = services.decline(assignment, reason=f"Syg{RLO} i dag")
    assert declined.reason == "Syg i dag"


def test_arabic_and_hebrew_names_are_kept():
    volunteer = volunteer_services.create_volunteer(
        by=None,
        first_name="ليلى",
        last_name="כהן",
        birth_date=date(1985, 3, 3),
        email="l@example.dk",
        preferred_channel="email",
    )
    assert (volunteer.first_name, volunteer.last_name) == ("ليلى", "כהן")


def test_pages_isolate_user_text(coordinator):
    # Stored before input was cleaned (written past the services).
    e = f.election()
    station = f.station(name=f"Skole{RLO}")
    shift = f.shift(e, station_=station)
    volunteer = f.volunteer(first_name=f"Bo{RLO}")
    services.invite(shift, [volunteer], by=None)
    client = Client()
    client.force_login(coordinator)
    page = client.get(reverse("staffing:station", args=[e.pk, station.pk])).content.decode()
    assert f"<h1><bdi>Skole{RLO}</bdi></h1>" in page
    assert f"<bdi>Bo{RLO} Jensen</bdi>" in page
    board = client.get(reverse("staffing:board", args=[e.pk])).content.decode()
    assert f"<bdi>Skole{RLO}</bdi>" in board
    # Never inside the <title> (which shows text, not tags).
    assert "<title><bdi>" not in page


def test_the_roster_footer_is_not_reversed_by_a_station_name(coordinator, tmp_path):
    e = f.election(name="Folketingsvalg 2027")
    station = f.station(name=f"Skole{RLO}")
    PollingStation.objects.filter(pk=station.pk).update(name=f"Skole{RLO}")
    f.shift(e, station_=station)
    client = Client()
    client.force_login(coordinator)
    day = e.election_date
    response = client.get(reverse("documents:roster", args=[e.pk, station.pk, day.isoformat()]))
    pdf = tmp_path / "roster.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    # The running footer reads in order after the name: "Skole · <date>". An
    # override in the name would turn what follows it around ("7202 ,1 .naJ ·").
    footer = next(line for line in text.splitlines() if "Folketingsvalg 2027 · Skole" in line)
    assert f"Skole · {date_format(day, 'DATE_FORMAT')}" in footer
    assert footer.rstrip().endswith("Page 1 of 1")


def test_staff_names_edited_in_the_django_admin_lose_their_controls():
    admin = Client()
    admin.force_login(User.objects.create_superuser("chef@kommune.dk", "et-langt-kodeord"))
    user = f.user("bente@kommune.dk")
    url = reverse("admin:accounts_user_change", args=[user.pk])
    page = admin.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {
        **{name: value for name, value in form.initial.items() if value is not None},
        "email": user.email,
        "first_name": f"Bente{RLO}",
        "last_name": "\u2066Hansen\u2069",
        "grants-TOTAL_FORMS": "0",
        "grants-INITIAL_FORMS": "0",
    }
    data.pop("password", None)
    response = admin.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("Bente", "Hansen")
