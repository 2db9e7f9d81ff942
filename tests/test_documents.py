"""Station roster PDF: what is printed (read back with poppler's pdftotext), the
local-only URL fetcher, the view's access rules and the query budget."""

from __future__ import annotations

import logging
import re
import socket
import subprocess
from datetime import UTC, date, timedelta
from pathlib import Path
from urllib import request as urllib_request

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import timezone

from documents.rendering import (
    DOCUMENT_BASE_URL,
    BlockedURL,
    LocalStaticFetcher,
    render_pdf,
)
from documents.rosters import render_station_roster, render_station_roster_html, roster_context
from elections.models import Shift
from polling_stations.models import PollingStation
from staffing import services
from staffing.models import Assignment
from tests import factories
from volunteers.models import Volunteer

pytestmark = pytest.mark.django_db

Status = Assignment.Status
DASH = "\N{EN DASH}"  # between start and end times, as printed


# --- helpers ------------------------------------------------------------------


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "roster.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        check=True,
    )
    return result.stdout.decode()


def pdf_pages(pdf: bytes, tmp_path: Path) -> int:
    path = tmp_path / "pages.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True)
    return int(re.search(r"^Pages:\s+(\d+)$", info.stdout, re.MULTILINE).group(1))


def pdf_fonts(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdffonts", str(path)], capture_output=True, check=True, text=True
    ).stdout


def seat(shift: Shift, volunteer: Volunteer, status: str = Status.ACCEPTED) -> Assignment:
    """An assignment row in a given state (the constraints want the timestamps)."""
    now = timezone.now()
    return Assignment.objects.create(
        shift=shift,
        volunteer=volunteer,
        status=status,
        responded_at=now if status != Status.INVITED else None,
        checked_in_at=now if status == Status.CHECKED_IN else None,
    )


def many_volunteers(count: int, prefix: str = "Person") -> list[Volunteer]:
    return Volunteer.objects.bulk_create(
        Volunteer(
            first_name=f"{prefix}{i:03d}",
            last_name="Madsen",
            phone=f"+45 2{i:07d}".replace(" ", ""),
            birth_date=date(1980, 1, 1),
            preferred_channel="sms",
        )
        for i in range(1, count + 1)
    )


def row_numbers(text: str) -> dict[int, str]:
    """Roster rows by their number: {1: "Karen Jensen · +45 …", 3: "" (vacant)}."""
    rows = {}
    for line in text.splitlines():
        match = re.match(r"^\s*(\d+)(?:\s{2,}(\S.*?))?\s*$", line)
        if match:
            rows[int(match.group(1))] = " ".join((match.group(2) or "").split())
    return rows


def page_footer(number: int, pages: int) -> str:
    return rf"\bPage {number} of {pages}\s*$"


@pytest.fixture
def station_day():
    """An election with one station, a chair and a poll-clerk role."""
    election = factories.election(name="Folketingsvalg 2026")
    station = factories.station(
        factories.area("Midtbyen"),
        name="Frederiksbjerg Skole",
        address="Hans Broges Gade 2",
        postal_code="8000",
        city="Aarhus C",
        manager_contact="Jens Holm",
    )
    return election, station


# --- what the roster says -----------------------------------------------------


def test_roster_prints_accepted_people_and_vacant_rows(station_day, tmp_path):
    election, station = station_day
    role = factories.role("Poll clerk")
    shift = factories.shift(election, station_=station, role_=role, capacity=5, start=8, end=20)
    by_phone = factories.volunteer(channel="sms", first_name="Karen", last_name="Jensen")
    by_email = factories.volunteer(first_name="Bo", last_name="Andersen", email="bo@example.dk")
    waiting = factories.volunteer(first_name="Ida", last_name="Invited")
    saying_no = factories.volunteer(first_name="Dan", last_name="Declined")
    invited = services.invite(shift, [by_phone, by_email, waiting, saying_no], by=None).invited
    assert len(invited) == 4
    by_volunteer = {a.volunteer_id: a for a in invited}
    services.accept(by_volunteer[by_phone.pk])
    services.accept(by_volunteer[by_email.pk])
    services.decline(by_volunteer[saying_no.pk])

    text = pdf_text(render_station_roster(election, station, election.election_date), tmp_path)

    assert "Poll clerk" in text
    assert f"08:00{DASH}20:00" in text
    assert "Karen Jensen" in text
    p = by_phone.phone  # +4520100042 is printed for reading: +45 20 10 00 42
    assert f"+45 {p[3:5]} {p[5:7]} {p[7:9]} {p[9:11]}" in text
    assert "bo@example.dk" in text  # no phone: the email address instead
    assert "Invited" not in text  # invited, not (yet) accepted
    assert "Declined" not in text
    rows = row_numbers(text)
    # Sorted by last name; then three empty, numbered rows for the vacant seats.
    assert rows[1].startswith("Bo Andersen")
    assert rows[2].startswith("Karen Jensen")
    assert {n: rows[n] for n in (3, 4, 5)} == {3: "", 4: "", 5: ""}
    assert sorted(rows) == [1, 2, 3, 4, 5]
    assert "5 seats · 2 filled · 3 vacant" in text


def test_roster_header_names_municipality_election_station_and_time(station_day, tmp_path):
    election, station = station_day
    party = factories.team("Venstre")
    factories.shift(election, station_=station, role_=factories.role("Chair"), team=party)

    text = pdf_text(render_station_roster(election, station, election.election_date), tmp_path)

    assert "Testrup Kommune" in text
    assert "STATION ROSTER" in text  # styled in capitals
    assert "Folketingsvalg 2026" in text
    assert "Frederiksbjerg Skole" in text
    assert "Hans Broges Gade 2, 8000 Aarhus C" in text
    assert "Midtbyen" in text
    assert "Jens Holm" in text
    assert "Reserved for Venstre" in text
    assert election.election_date.strftime("%Y") in text
    now = timezone.localtime()
    assert re.search(r"Printed .+ at \d\d:\d\d", text)
    assert now.strftime("%Y") in text
    for column in ("#", "Name, phone or email", "Signature"):
        assert column in text


def test_checked_in_people_are_on_the_roster_withdrawn_and_expired_are_not(station_day, tmp_path):
    election, station = station_day
    shift = factories.shift(election, station_=station, capacity=6)
    here = factories.volunteer(first_name="Checked", last_name="In")
    gone = factories.volunteer(first_name="Withdrew", last_name="Early")
    late = factories.volunteer(first_name="Never", last_name="Answered")
    seat(shift, here, Status.CHECKED_IN)
    seat(shift, gone, Status.WITHDRAWN)
    seat(shift, late, Status.EXPIRED)

    text = pdf_text(render_station_roster(election, station, election.election_date), tmp_path)

    assert "Checked In" in text
    assert "Withdrew" not in text
    assert "Never" not in text
    assert "6 seats · 1 filled · 5 vacant" in text


def test_names_are_listed_in_danish_order(station_day, tmp_path):
    election, station = station_day
    shift = factories.shift(election, station_=station, capacity=5)
    for last in ("Østergaard", "Aabye", "Zeuthen", "Æbelø", "Andersen"):
        seat(shift, factories.volunteer(first_name="Ole", last_name=last))

    text = pdf_text(render_station_roster(election, station, election.election_date), tmp_path)

    rows = row_numbers(text)
    order = [rows[n].split()[1] for n in range(1, 6)]
    # Æ, Ø and Å (written Aa) come after Z.
    assert order == ["Andersen", "Zeuthen", "Æbelø", "Østergaard", "Aabye"]


def test_names_with_html_are_printed_literally(station_day, tmp_path):
    election, station = station_day
    shift = factories.shift(election, station_=station)
    seat(shift, factories.volunteer(first_name="<b>&", last_name="<script>x</script>"))

    html = render_station_roster_html(election, station, election.election_date)
    assert "&lt;b&gt;&amp; &lt;script&gt;x&lt;/script&gt;" in html
    assert "<script>" not in html
    text = pdf_text(render_station_roster(election, station, election.election_date), tmp_path)
    assert "<b>& <script>x</script>" in text


def test_overnight_shift_is_on_the_day_it_starts(station_day, tmp_path):
    election, station = station_day
    day = election.election_date
    counting = Shift.objects.create(
        election=election,
        station=station,
        role=factories.role("Counter"),
        starts_at=factories.at(day, 20),
        ends_at=factories.at(day + timedelta(days=1), 1),
        capacity=2,
    )
    seat(counting, factories.volunteer(first_name="Night", last_name="Owl"))

    text = pdf_text(render_station_roster(election, station, day), tmp_path)
    assert "Counter" in text
    assert "Night Owl" in text
    assert f"20:00{DASH}01:00" in text
    assert f"(ends {(day + timedelta(days=1)):%A})" in text
    assert sorted(row_numbers(text)) == [1, 2]

    next_day = pdf_text(render_station_roster(election, station, day + timedelta(days=1)), tmp_path)
    assert "Night Owl" not in next_day
    assert "There are no shifts at Frederiksbjerg Skole" in next_day


def test_days_are_cut_at_local_midnight(station_day, tmp_path):
    """00:30 in Copenhagen is 23:30 UTC the evening before: it is the next day's shift."""
    election, station = station_day
    day = election.election_date
    early = factories.at(day + timedelta(days=1), 0, 30)
    assert early.astimezone(UTC).date() == day
    shift = Shift.objects.create(
        election=election,
        station=station,
        role=factories.role("Early bird"),
        starts_at=early,
        ends_at=early + timedelta(hours=2),
        capacity=1,
    )
    seat(shift, factories.volunteer(first_name="Early", last_name="Riser"))

    on_day = pdf_text(render_station_roster(election, station, day), tmp_path)
    next_day = pdf_text(render_station_roster(election, station, day + timedelta(days=1)), tmp_path)

    assert "Early Riser" not in on_day
    assert "Early Riser" in next_day
    assert f"00:30{DASH}02:30" in next_day  # local time, not UTC (23:30)


def test_station_without_shifts_that_day_says_so_on_one_page(station_day, tmp_path):
    election, station = station_day
    factories.shift(election, station_=station)
    other_day = election.election_date - timedelta(days=3)

    pdf = render_station_roster(election, station, other_day)

    text = pdf_text(pdf, tmp_path)
    assert "There are no shifts at Frederiksbjerg Skole" in text
    assert "Signature" not in text
    assert pdf_pages(pdf, tmp_path) == 1
    assert re.search(page_footer(1, 1), text.rstrip())


def test_long_roster_repeats_its_header_and_numbers_every_page(station_day, tmp_path):
    election, station = station_day
    shift = factories.shift(
        election, station_=station, role_=factories.role("Poll clerk"), capacity=125
    )
    people = many_volunteers(120)
    Assignment.objects.bulk_create(
        Assignment(shift=shift, volunteer=v, status=Status.ACCEPTED, responded_at=timezone.now())
        for v in people
    )

    pdf = render_station_roster(election, station, election.election_date)

    pages = pdf_pages(pdf, tmp_path)
    assert pages >= 4
    texts = pdf_text(pdf, tmp_path).split("\f")[:pages]
    for number, page in enumerate(texts, start=1):
        assert re.search(page_footer(number, pages), page.rstrip()), page[-200:]
        # The shift title and the column heads repeat at the top of every page.
        assert "Poll clerk" in page
        assert "Signature" in page
        assert "Testrup Kommune" in page
    rows = row_numbers("\n".join(texts))
    assert sorted(rows) == list(range(1, 126))
    # No row is split across pages: every filled row has its name and phone together.
    for n in range(1, 121):
        assert re.fullmatch(r"Person\d{3} Madsen · \+45 2\d( \d\d){3}", rows[n]), rows[n]
    assert [rows[n] for n in range(121, 126)] == [""] * 5


def test_roster_uses_the_vendored_font(station_day, tmp_path):
    """The stylesheet and the IBM Plex font came through the local fetcher."""
    election, station = station_day
    factories.shift(election, station_=station)
    fonts = pdf_fonts(render_station_roster(election, station, election.election_date), tmp_path)
    assert "Plex" in fonts


# --- the URL fetcher ----------------------------------------------------------


@pytest.fixture
def no_network(monkeypatch):
    """Fail the test if anything tries to open a connection or a urllib request."""
    attempts: list[object] = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(urllib_request.OpenerDirector, "open", refuse)
    return attempts


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com",
        "https://example.com/static/pdf/roster.css",
        "file:///etc/passwd",
        "data:text/css,body{}",
        "ftp://example.com/x",
        DOCUMENT_BASE_URL + "etc/passwd",
        DOCUMENT_BASE_URL + "static/../../../../etc/passwd",
        DOCUMENT_BASE_URL + "static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        DOCUMENT_BASE_URL + "static//etc/passwd",
        DOCUMENT_BASE_URL + "static/",
        DOCUMENT_BASE_URL + "static/documents/missing.css",
        DOCUMENT_BASE_URL + "static/pdf/roster.css%00.png",
        DOCUMENT_BASE_URL.replace("http:", "https:") + "static/pdf/roster.css",
        "/static/pdf/roster.css",  # not joined to the document origin
    ],
)
def test_fetcher_refuses_everything_but_local_static_files(url, no_network):
    with pytest.raises(BlockedURL):
        LocalStaticFetcher().fetch(url)
    assert no_network == []


def test_fetcher_serves_a_static_file(no_network):
    response = LocalStaticFetcher().fetch(DOCUMENT_BASE_URL + "static/pdf/roster.css")
    try:
        assert response.content_type == "text/css"
        expected = Path(finders.find("pdf/roster.css")).read_bytes()
        assert response.read() == expected
    finally:
        response.close()
    assert no_network == []


def test_fetcher_maps_an_absolute_static_url_to_the_local_file(settings, no_network):
    """With a CDN-style STATIC_URL the file still comes from disk, never the CDN."""
    settings.STATIC_URL = "https://cdn.example.com/static/"
    response = LocalStaticFetcher().fetch("https://cdn.example.com/static/pdf/roster.css")
    try:
        assert response.read().startswith(b"/* Station roster")
    finally:
        response.close()
    with pytest.raises(BlockedURL):
        LocalStaticFetcher().fetch("https://cdn.example.com/elsewhere/x.css")
    assert no_network == []


def test_rendering_never_touches_the_network(no_network, caplog):
    html = (
        '<link rel="stylesheet" href="http://example.com/evil.css">'
        '<link rel="stylesheet" href="file:///etc/passwd">'
        '<img src="http://example.com/pixel.png"><p>Hello</p>'
    )
    with caplog.at_level(logging.ERROR, logger="weasyprint"):
        pdf = render_pdf(html)
    assert pdf.startswith(b"%PDF")
    assert no_network == []
    refused = " ".join(r.getMessage() for r in caplog.records)
    assert "example.com/evil.css" in refused
    assert "/etc/passwd" in refused
    assert "example.com/pixel.png" in refused


# --- the view -----------------------------------------------------------------


def roster_url(election, station, day) -> str:
    return reverse("documents:roster", args=[election.pk, station.pk, str(day)])


def test_coordinator_gets_the_pdf(client, coordinator, station_day):
    election, station = station_day
    factories.shift(election, station_=station)
    client.force_login(coordinator)

    response = client.get(roster_url(election, station, election.election_date))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Disposition"].startswith("inline;")


def test_outsider_gets_404(client, outsider, station_day):
    election, station = station_day
    factories.shift(election, station_=station)
    client.force_login(outsider)

    response = client.get(roster_url(election, station, election.election_date))

    assert response.status_code == 404


def test_anonymous_is_sent_to_login(client, station_day):
    election, station = station_day
    factories.shift(election, station_=station)
    url = roster_url(election, station, election.election_date)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("day", ["2026-13-01", "2026-02-30", "20261105", "tomorrow", "2026-1-5"])
def test_bad_date_is_404(client, coordinator, station_day, day):
    election, station = station_day
    factories.shift(election, station_=station)
    client.force_login(coordinator)

    response = client.get(roster_url(election, station, day))

    assert response.status_code == 404


def test_station_without_shifts_in_the_election_is_404(client, coordinator, station_day):
    election, station = station_day
    other_election = factories.election()
    factories.shift(other_election, station_=station)
    client.force_login(coordinator)

    response = client.get(roster_url(election, station, election.election_date))

    assert response.status_code == 404


def test_unknown_election_is_404(client, coordinator, station_day):
    election, station = station_day
    factories.shift(election, station_=station)
    client.force_login(coordinator)
    url = reverse(
        "documents:roster", args=[election.pk + 1000, station.pk, str(election.election_date)]
    )

    assert client.get(url).status_code == 404


# --- query budget -------------------------------------------------------------


@pytest.mark.parametrize("people", [1, 40])
def test_roster_query_count_does_not_grow(station_day, django_assert_num_queries, people):
    election, station = station_day
    teams = [factories.team(), None]
    for i, team in enumerate(teams):
        shift = factories.shift(election, station_=station, capacity=people + 2, team=team)
        for v in many_volunteers(people, prefix=f"T{i}x"):
            seat(shift, v)
    station = PollingStation.objects.select_related("area").get(pk=station.pk)

    # 1. the station's shifts that day, with role and team
    # 2. the accepted / checked-in assignments with their volunteers
    with django_assert_num_queries(2):
        context = roster_context(election, station, election.election_date)
    assert [s.filled for s in context["sections"]] == [people, people]
    # Rendering the template touches nothing lazy.
    with django_assert_num_queries(2):
        render_station_roster_html(election, station, election.election_date)
