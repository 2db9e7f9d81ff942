"""The election roster (summary and station rosters with bookmarks), sign-in
sheets and name badges, read back from the PDF: pdftotext for the words,
pdfinfo for size and pages, pikepdf for the bookmarks and the tagged structure,
zxing-cpp for the QR codes."""

from __future__ import annotations

import re
import subprocess
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pikepdf
import pytest
import zxingcpp
from django.urls import resolve
from django.utils import timezone
from PIL import Image

from documents.badges import badges_html
from documents.rendering import render_pdf
from documents.rosters import (
    contact_line,
    render_station_roster,
    render_station_roster_html,
    roster_summary_html,
    station_rosters_html,
)
from documents.signin import signin_sheets_html
from elections.models import Shift
from pollcrew.phones import display_phone
from staffing.checkin import assignment_for_checkin_token, checkin_url
from staffing.models import Assignment
from tests import factories
from volunteers.models import Volunteer

pytestmark = pytest.mark.django_db

Status = Assignment.Status


# --- helpers ------------------------------------------------------------------------


def write(pdf: bytes, tmp_path: Path, name: str = "doc.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(pdf)
    return path


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = write(pdf, tmp_path, "text.pdf")
    out = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    )
    return out.stdout.decode()


def pdf_info(pdf: bytes, tmp_path: Path) -> dict[str, str]:
    path = write(pdf, tmp_path, "info.pdf")
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True)
    return {
        k.strip(): v.strip() for k, v in (line.split(":", 1) for line in out.stdout.splitlines())
    }


def pages(pdf: bytes, tmp_path: Path) -> int:
    return int(pdf_info(pdf, tmp_path)["Pages"])


def assert_a4(pdf: bytes, tmp_path: Path) -> None:
    assert pdf_info(pdf, tmp_path)["Page size"].startswith("595.276 x 841.89 pts (A4)")


def outline(pdf: bytes) -> list[tuple[int, str]]:
    """The bookmarks as (depth, title), depth 1 at the top."""
    found: list[tuple[int, str]] = []
    with pikepdf.open(__import__("io").BytesIO(pdf)) as doc, doc.open_outline() as tree:

        def walk(items, depth):
            for item in items:
                found.append((depth, item.title))
                walk(item.children, depth + 1)

        walk(tree.root, 1)
    return found


def qr_texts(pdf: bytes, tmp_path: Path, page: int = 1) -> list[str]:
    path = write(pdf, tmp_path, "qr.pdf")
    prefix = tmp_path / "qr"
    subprocess.run(
        ["pdftoppm", "-r", "200", "-png", "-f", str(page), "-l", str(page), str(path), str(prefix)],
        check=True,
    )
    texts = []
    for png in sorted(tmp_path.glob("qr-*.png")):
        with Image.open(png) as image:
            texts += [code.text for code in zxingcpp.read_barcodes(image)]
    return texts


def seat(shift: Shift, volunteer: Volunteer, status: str = Status.ACCEPTED) -> Assignment:
    now = timezone.now()
    return Assignment.objects.create(
        shift=shift,
        volunteer=volunteer,
        status=status,
        responded_at=now if status != Status.INVITED else None,
        checked_in_at=now if status == Status.CHECKED_IN else None,
    )


def key(station, day: date) -> str:
    return f"{station.pk}:{day.isoformat()}"


def render(rendered) -> bytes:
    return render_pdf(rendered.html)


@pytest.fixture
def election():
    return factories.election(name="Folketingsvalg 2026")


@pytest.fixture
def two_areas(election):
    """Two areas; the first with two stations (one of them with a second day:
    postal votes three days before), the second with one station."""
    day = election.election_date
    north, south = factories.area("Nordbyen"), factories.area("Sønderå")
    aby = factories.station(north, name="Åby Skole")
    borg = factories.station(north, name="Borgerhuset")
    dal = factories.station(south, name="Dalgård Hallen")
    clerk = factories.role("Clerk", sort_order=30)
    postal = factories.role("Brevstemmemodtager", sort_order=50)
    shifts = {
        "aby": factories.shift(election, station_=aby, role_=clerk, capacity=4),
        "borg": factories.shift(election, station_=borg, role_=clerk, capacity=2),
        "dal": factories.shift(election, station_=dal, role_=clerk, capacity=3),
    }
    shifts["aby_postal"] = Shift.objects.create(
        election=election,
        station=aby,
        role=postal,
        starts_at=factories.at(day - timedelta(days=3), 10),
        ends_at=factories.at(day - timedelta(days=3), 16),
        capacity=1,
    )
    seat(shifts["aby"], factories.volunteer(first_name="Søren", last_name="Ærø"))
    seat(shifts["aby"], factories.volunteer(first_name="Åse", last_name="Østergaard"))
    seat(shifts["aby"], factories.volunteer(first_name="Ida", last_name="Venter"), Status.INVITED)
    seat(shifts["borg"], factories.volunteer(first_name="Bo", last_name="Borg"), Status.CHECKED_IN)
    seat(shifts["dal"], factories.volunteer(first_name="Dorte", last_name="Dahl"))
    seat(shifts["aby_postal"], factories.volunteer(first_name="Poul", last_name="Post"))
    stations = {"aby": aby, "borg": borg, "dal": dal}
    keys = [
        key(aby, day - timedelta(days=3)),
        key(aby, day),
        key(borg, day),
        key(dal, day),
    ]
    return stations, shifts, keys


# --- the election roster --------------------------------------------------------------


def test_election_roster_has_one_roster_per_station_day_with_bookmarks(
    election, two_areas, tmp_path
):
    _stations, _shifts, keys = two_areas

    rendered = station_rosters_html(election, keys)
    pdf = render(rendered)

    assert rendered.keys == keys
    assert pages(pdf, tmp_path) == 4  # each station day from a new page
    assert_a4(pdf, tmp_path)
    day = election.election_date
    early = day - timedelta(days=3)
    assert outline(pdf) == [
        (1, "Nordbyen"),
        (2, "Åby Skole"),
        (3, f"{early:%A}, {early.day} {early:%B} {early.year}"),
        (3, f"{day:%A}, {day.day} {day:%B} {day.year}"),
        (2, "Borgerhuset"),
        (1, "Sønderå"),
        (2, "Dalgård Hallen"),
    ]
    text = pdf_text(pdf, tmp_path)
    per_page = text.split("\f")
    assert "Poul Post" in per_page[0] and "Brevstemmemodtager" in per_page[0]
    assert "Søren Ærø" in per_page[1] and "Åse Østergaard" in per_page[1]
    assert "Venter" not in text  # invited, not accepted
    assert "Bo Borg" in per_page[2]  # checked in
    assert "Dorte Dahl" in per_page[3]
    assert "4 seats · 2 filled · 2 vacant" in per_page[1]


def test_election_roster_leaves_out_station_days_without_shifts(election, two_areas, tmp_path):
    stations, shifts, keys = two_areas
    Assignment.objects.filter(shift=shifts["borg"]).delete()
    shifts["borg"].delete()
    gone = key(stations["borg"], election.election_date)

    rendered = station_rosters_html(election, [*keys, key(stations["dal"], date(2000, 1, 1))])

    assert gone not in rendered.keys
    assert rendered.keys == [k for k in keys if k != gone]
    assert "Borgerhuset" not in rendered.html


def test_election_roster_respects_the_scope(election, two_areas, tmp_path):
    stations, _shifts, keys = two_areas
    scope = Shift.objects.filter(station__area__name="Sønderå")

    rendered = station_rosters_html(election, keys, shifts=scope)

    assert rendered.keys == [key(stations["dal"], election.election_date)]
    text = pdf_text(render(rendered), tmp_path)
    assert "Dorte Dahl" in text
    assert "Ærø" not in text and "Borg" not in text


@pytest.mark.parametrize("stations_count", [1, 6])
def test_election_roster_queries_do_not_grow(election, django_assert_num_queries, stations_count):
    area = factories.area()
    keys = []
    for _ in range(stations_count):
        station = factories.station(area)
        shift = factories.shift(election, station_=station, capacity=3)
        seat(shift, factories.volunteer())
        keys.append(key(station, election.election_date))

    # 1. the shifts of all station days, 2. their filled assignments, 3. the stations
    with django_assert_num_queries(3):
        rendered = station_rosters_html(election, keys)
    assert len(rendered.keys) == stations_count


def test_single_roster_prints_page_x_of_y(election, two_areas, tmp_path):
    stations, _shifts, _keys = two_areas

    pdf = render_station_roster(election, stations["aby"], election.election_date)

    text = pdf_text(pdf, tmp_path)
    assert re.search(r"Page 1 of 1\s*$", text.rstrip())
    assert "Søren Ærø" in text


# --- the summary ------------------------------------------------------------------------


def summary_line(text: str, label: str) -> list[str]:
    """The numbers on the line that starts with ``label``."""
    for line in text.splitlines():
        if line.strip().startswith(label):
            return re.findall(r"\d+ ?%|\d+", line[line.index(label) + len(label) :])
    raise AssertionError(f"{label!r} not in {text}")


def test_summary_counts_fill_per_station_area_and_election(election, two_areas, tmp_path):
    stations, _shifts, _keys = two_areas
    ids = [stations["aby"].pk, stations["borg"].pk, stations["dal"].pk]

    rendered = roster_summary_html(election, ids)
    pdf = render(rendered)

    assert rendered.keys == ["summary"]
    assert outline(pdf) == [(1, "Summary")]
    assert_a4(pdf, tmp_path)
    text = pdf_text(pdf, tmp_path)
    # seats, accepted, awaiting answer, vacant, % filled
    # Åby: 4 + 1 postal seats; 2 + 1 accepted, 1 invited, 1 vacant.
    assert summary_line(text, "Åby Skole") == ["5", "3", "1", "1", "60 %"]
    assert summary_line(text, "Borgerhuset") == ["2", "1", "0", "1", "50 %"]
    assert summary_line(text, "Total Nordbyen") == ["7", "4", "1", "2", "57 %"]
    assert summary_line(text, "Dalgård Hallen") == ["3", "1", "0", "2", "33 %"]
    assert summary_line(text, "Total Sønderå") == ["3", "1", "0", "2", "33 %"]
    assert summary_line(text, "Election total") == ["10", "5", "1", "4", "50 %"]
    assert text.index("Nordbyen") < text.index("Åby Skole") < text.index("Sønderå")


def test_summary_counts_only_the_shifts_in_scope(election, two_areas, tmp_path):
    stations, shifts, _keys = two_areas
    scope = Shift.objects.exclude(pk=shifts["aby_postal"].pk)

    rendered = roster_summary_html(election, [stations["aby"].pk], shifts=scope)

    text = pdf_text(render(rendered), tmp_path)
    assert summary_line(text, "Åby Skole") == ["4", "2", "1", "1", "50 %"]


def test_summary_queries_do_not_grow(election, django_assert_num_queries):
    area = factories.area()
    ids = []
    for _ in range(5):
        station = factories.station(area)
        factories.shift(election, station_=station)
        ids.append(station.pk)
    # 1. fill per station (SeatFill), 2. the stations with their areas
    with django_assert_num_queries(2):
        roster_summary_html(election, ids)


# --- sign-in sheets ---------------------------------------------------------------------


@pytest.fixture
def signin_day(election):
    station = factories.station(factories.area("Midtbyen"), name="Frederiksbjerg Skole")
    early = factories.shift(
        election, station_=station, role_=factories.role("Valgsekretær"), start=7, capacity=1
    )
    late = factories.shift(
        election, station_=station, role_=factories.role("Tilforordnet"), start=8, capacity=4
    )
    people = {
        "late_o": seat(late, factories.volunteer(first_name="Ole", last_name="Østergaard")),
        "late_a": seat(late, factories.volunteer(first_name="Åse", last_name="Aabye")),
        "late_z": seat(late, factories.volunteer(first_name="Zia", last_name="Zeuthen")),
        "early": seat(early, factories.volunteer(first_name="Erik", last_name="Æbelø")),
    }
    seat(late, factories.volunteer(first_name="Ida", last_name="Venter"), Status.INVITED)
    return station, people


def signin_rows(text: str) -> list[str]:
    return [
        " ".join(line.split()) for line in text.splitlines() if re.match(r"^\s*\d\d:\d\d\s", line)
    ]


def test_signin_sheet_lists_people_by_arrival_then_vacant_seats(election, signin_day, tmp_path):
    station, _people = signin_day

    rendered = signin_sheets_html(election, [key(station, election.election_date)])
    pdf = render(rendered)

    assert_a4(pdf, tmp_path)
    text = pdf_text(pdf, tmp_path)
    assert "SIGN-IN SHEET" in text
    for column in ("Arrival", "Name", "Role", "Here", "Signature", "Check-in"):
        assert column in text
    rows = signin_rows(text)
    # 07:00 first; then 08:00 in Danish order (Æ, Ø, Å after Z); then the vacant seat.
    assert [r.split(" Tilforordnet")[0].split(" Valgsekretær")[0] for r in rows] == [
        "07:00 Erik Æbelø",
        "08:00 Zia Zeuthen",
        "08:00 Ole Østergaard",
        "08:00 Åse Aabye",
        "08:00",
    ]
    assert rows[0].endswith("Valgsekretær") and rows[-1].endswith("Tilforordnet")
    assert "Venter" not in text
    assert "4 people expected · Vacant seats: 1" in text


def test_signin_qr_codes_open_the_check_in_page(election, signin_day, tmp_path):
    station, people = signin_day

    pdf = render(signin_sheets_html(election, [key(station, election.election_date)]))

    codes = qr_texts(pdf, tmp_path)
    assert sorted(codes) == sorted(checkin_url(a.pk) for a in people.values())
    for code in codes:
        match = resolve(urlsplit(code).path)
        assert match.url_name == "check_in"
        assert assignment_for_checkin_token(match.kwargs["token"]) in {
            a.pk for a in people.values()
        }


def test_signin_sheets_respect_scope_and_query_budget(
    election, signin_day, two_areas, django_assert_num_queries
):
    station, _people = signin_day
    _stations, _shifts, keys = two_areas
    everything = [key(station, election.election_date), *keys]

    # 1. shifts, 2. filled assignments, 3. stations with areas
    with django_assert_num_queries(3):
        rendered = signin_sheets_html(election, everything)
    assert rendered.keys == everything

    scope = Shift.objects.filter(station=station)
    scoped = signin_sheets_html(election, everything, shifts=scope)
    assert scoped.keys == [key(station, election.election_date)]
    assert "Ærø" not in scoped.html


# --- badges -----------------------------------------------------------------------------


def test_badges_eight_to_an_a4_sheet(election, tmp_path):
    station = factories.station(factories.area(), name="Åby Skole")
    shift = factories.shift(election, station_=station, role_=factories.role("Tilforordnet"))
    shift.capacity = 20
    shift.save()
    accepted = [
        seat(shift, factories.volunteer(first_name=f"Søren{i}", last_name="Ærø")) for i in range(9)
    ]
    declined = seat(shift, factories.volunteer(first_name="Nej", last_name="Tak"), Status.DECLINED)

    rendered = badges_html([a.pk for a in accepted] + [declined.pk])
    pdf = render(rendered)

    assert rendered.keys == [str(a.pk) for a in accepted]
    assert pages(pdf, tmp_path) == 2
    assert_a4(pdf, tmp_path)
    per_page = pdf_text(pdf, tmp_path).split("\f")
    assert sum(per_page[0].count(f"Søren{i} Ærø") for i in range(9)) == 8
    assert "Søren8 Ærø" in per_page[1]
    assert per_page[0].count("Tilforordnet") == 8
    assert per_page[0].count("Åby Skole") == 8
    assert "Folketingsvalg 2026" in per_page[0]
    assert "Nej Tak" not in "".join(per_page)


def test_badges_respect_scope_and_one_query(election, django_assert_num_queries):
    mine = factories.shift(election, capacity=3)
    other = factories.shift(election, capacity=3)
    a = seat(mine, factories.volunteer())
    b = seat(other, factories.volunteer())

    with django_assert_num_queries(1):
        rendered = badges_html([a.pk, b.pk], shifts=Shift.objects.filter(pk=mine.pk))

    assert rendered.keys == [str(a.pk)]


# --- everything: escaping, language and title ------------------------------------------------


PAYLOAD = "<script>Ø&"


def test_html_in_names_prints_as_text_everywhere(election, tmp_path):
    station = factories.station(factories.area("<i>Area</i>"), name="<u>Station</u>")
    shift = factories.shift(election, station_=station, capacity=2)
    a = seat(shift, factories.volunteer(first_name=PAYLOAD, last_name="Ærø"))
    day_key = key(station, election.election_date)

    for rendered in (
        station_rosters_html(election, [day_key]),
        signin_sheets_html(election, [day_key]),
        badges_html([a.pk]),
        roster_summary_html(election, [station.pk]),
    ):
        assert "<script>" not in rendered.html
        assert "<u>Station</u>" not in rendered.html
        text = pdf_text(render(rendered), tmp_path)
        assert "<u>Station</u>" in text
        if rendered.keys != ["summary"]:
            assert f"{PAYLOAD} Ærø" in " ".join(text.split())


def test_documents_are_tagged_with_language_and_title(election, signin_day):
    station, people = signin_day
    day_key = key(station, election.election_date)
    for rendered in (
        station_rosters_html(election, [day_key]),
        signin_sheets_html(election, [day_key]),
        badges_html([a.pk for a in people.values()]),
        roster_summary_html(election, [station.pk]),
    ):
        pdf = render(rendered)
        with pikepdf.open(__import__("io").BytesIO(pdf)) as doc:
            assert str(doc.Root.Lang) == "en"
            assert doc.Root.MarkInfo.Marked
            assert "/StructTreeRoot" in doc.Root
            assert str(doc.docinfo.Title).strip()


@pytest.mark.parametrize("phone", ["+4520123456", "+4599887766", "+46701234567", "+447700900123"])
def test_roster_groups_phone_numbers_as_everywhere_else(phone):
    volunteer = Volunteer(phone=phone, email="x@example.dk")
    assert contact_line(volunteer) == display_phone(phone)


def test_roster_with_its_stylesheet_given_looks_like_the_linked_one(election, two_areas, tmp_path):
    """render_station_roster passes the parsed stylesheet (render_pdf_styled);
    the HTML alone links it: both print the same."""
    stations, _shifts, _keys = two_areas
    day = election.election_date

    given = render_station_roster(election, stations["aby"], day)
    linked = render_pdf(render_station_roster_html(election, stations["aby"], day))

    def without_clock(pdf: bytes) -> str:  # printed a minute apart, maybe
        return re.sub(r"Printed .* at \d\d:\d\d", "", pdf_text(pdf, tmp_path))

    assert without_clock(given) == without_clock(linked)
    assert "Søren Ærø" in without_clock(given)
    assert render_station_roster(election, stations["aby"], day).startswith(b"%PDF")
