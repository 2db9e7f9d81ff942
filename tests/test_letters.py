"""Appointment and invitation letters (documents.letters): what is printed (read
back with poppler's pdftotext), the page layout (pdfinfo), the PDF/UA structure
(pikepdf), the QR code decoded back into a link that opens the volunteer's page,
scope, who gets a letter, and a query count that does not grow with the batch."""

from __future__ import annotations

import base64
import re
import subprocess
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pikepdf
import pytest
import zxingcpp
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext
from PIL import Image

from accounts.models import Organisation
from documents.letters import appointment_letters_html, invitation_letters_html
from documents.rendering import render_pdf
from elections.models import Election, Role, Shift
from polling_stations.models import PollingStation
from staffing.links import resolve_link
from staffing.messaging import respond_by
from staffing.models import Assignment, PersonalLink, hash_token
from tests import factories
from volunteers.models import Volunteer

pytestmark = pytest.mark.django_db

Status = Assignment.Status
DASH = "\N{EN DASH}"

# A one-pixel transparent PNG: the smallest logo there is.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


# --- helpers ------------------------------------------------------------------


def write_pdf(html: str, tmp_path: Path, name: str = "letters.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(render_pdf(html))
    return path


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        check=True,
    ).stdout.decode()


def page_texts(path: Path) -> list[str]:
    """The text of each page (pdftotext ends every page with a form feed)."""
    return pdf_text(path).split("\f")[:-1]


def pdf_info(path: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True)
    return {
        key.strip(): value.strip()
        for key, value in (line.split(":", 1) for line in out.stdout.splitlines() if ":" in line)
    }


def flat(text: str) -> str:
    """Whitespace collapsed: a sentence reads the same whichever way it wrapped."""
    return " ".join(text.split())


def decoded_links(path: Path, tmp_path: Path) -> list[str]:
    """Every QR code of every page, decoded from a 200 dpi image of the page."""
    prefix = tmp_path / "page"
    subprocess.run(["pdftoppm", "-r", "200", "-png", str(path), str(prefix)], check=True)
    texts = []
    for png in sorted(tmp_path.glob("page-*.png")):
        with Image.open(png) as image:
            texts += [code.text for code in zxingcpp.read_barcodes(image)]
    return texts


def seat(shift: Shift, volunteer: Volunteer, status: str = Status.ACCEPTED, **kw) -> Assignment:
    now = timezone.now()
    return Assignment.objects.create(
        shift=shift,
        volunteer=volunteer,
        status=status,
        responded_at=now if status not in (Status.INVITED,) else None,
        checked_in_at=now if status == Status.CHECKED_IN else None,
        **kw,
    )


@pytest.fixture
def organisation(db) -> Organisation:
    return Organisation.objects.create(
        name="Aarhus Kommune",
        address="Valgsekretariatet\nRådhuspladsen 2\n8000 Aarhus C",
        contact_line="Tlf. 89 40 20 00",
        signature_name="Søren Østergaard",
        signature_title="Valgsekretær",
        letter_footer="Borgerservice · CVR 55133018",
    )


@pytest.fixture
def setup(organisation):
    """An election with a polling station, a paid role with instructions in
    both languages, and a day shift."""
    election = factories.election(name="Folketingsvalg 2026", lock_days=3, response_days=7)
    station = factories.station(
        factories.area("Midtbyen"),
        name="Frederiksbjerg Skole",
        address="Hans Broges Gade 2",
        postal_code="8000",
        city="Aarhus C",
    )
    role = factories.role(
        "Tilforordnet",
        pay=Decimal("1250.00"),
        description="Du hjælper vælgerne ved stemmebordet.",
        description_en="You help the voters at the ballot table.",
        what_to_bring="Sygesikringskort og kuglepen.",
        what_to_bring_en="Health card and a pen.",
    )
    shift = factories.shift(election, station_=station, role_=role, start=7, end=20, capacity=40)
    return election, station, role, shift


def dane(**kw) -> Volunteer:
    defaults = {
        "first_name": "Åse",
        "last_name": "Ærø-Østergård",
        "language": "da",
        "address": "Ørnevej 12, 2. tv.",
        "postal_code": "8200",
        "city": "Aarhus N",
    }
    defaults.update(kw)
    return factories.volunteer(**defaults)


def overnight_shift(
    election: Election, station: PollingStation, role: Role, capacity: int = 40
) -> Shift:
    return Shift.objects.create(
        election=election,
        station=station,
        role=role,
        starts_at=factories.at(election.election_date, 20),
        ends_at=factories.at(election.election_date + timedelta(days=1), 1),
        capacity=capacity,
    )


# --- appointment letters: content ---------------------------------------------


def test_appointment_letter_prints_the_person_the_seat_and_the_letterhead(setup, tmp_path):
    election, _station, _role, shift = setup
    assignment = seat(shift, dane())

    rendered = appointment_letters_html([assignment.pk])
    text = pdf_text(write_pdf(rendered.html, tmp_path))
    words = flat(text)

    assert rendered.keys == [str(assignment.pk)]
    assert rendered.assignments == [assignment.pk]
    # The window: the sender line, then the recipient's name and postal address.
    assert "Aarhus Kommune · Valgsekretariatet · Rådhuspladsen 2 ·" in words
    assert "Åse Ærø-Østergård" in text
    assert "Ørnevej 12, 2. tv." in text
    assert "8200 Aarhus N" in text
    # The seat, in Danish for a Danish reader.
    assert "Tilforordnet" in text
    assert "Frederiksbjerg Skole" in text
    assert "Hans Broges Gade 2, 8000 Aarhus C" in text
    day = election.election_date
    assert f"den {day.day}." in words  # "fredag den 1. januar 2027"
    assert f"07:00{DASH}20:00" in text
    assert "1.250,00 kr." in text  # Danish currency formatting
    assert "Du hjælper vælgerne ved stemmebordet." in words
    assert "Sygesikringskort og kuglepen." in words
    assert "You help the voters" not in words
    # The signature and the footer.
    assert "Søren Østergaard" in text
    assert "Valgsekretær" in text
    assert "Borgerservice · CVR 55133018" in words
    assert "Tlf. 89 40 20 00" in text


def test_english_volunteer_gets_english_text_and_the_english_instructions(setup, tmp_path):
    election, _station, _role, shift = setup
    volunteer = factories.volunteer(first_name="John", last_name="Smith", language="en")
    assignment = seat(shift, volunteer)

    rendered = appointment_letters_html([assignment.pk])
    words = flat(pdf_text(write_pdf(rendered.html, tmp_path)))

    assert "Dear John," in words
    assert "Appointment as Tilforordnet at the Folketingsvalg 2026" in words
    assert "You help the voters at the ballot table." in words
    assert "Health card and a pen." in words
    assert "Du hjælper" not in words
    # The withdrawal rule: online until lock_days before the shift, then the office.
    lock = timezone.localtime(shift.starts_at) - timedelta(days=election.lock_days)
    assert f"withdraw until {lock.day} {lock:%B} {lock.year} at 07:00" in words
    assert "After that, please call the election office: Tlf. 89 40 20 00." in words
    assert '<section class="letter" lang="en">' in rendered.html


def test_english_reader_gets_the_danish_instructions_when_there_are_no_english_ones(
    setup, tmp_path
):
    _election, _station, role, shift = setup
    Role.objects.filter(pk=role.pk).update(description_en="", what_to_bring_en=" ")
    assignment = seat(shift, factories.volunteer(language="en"))

    words = flat(pdf_text(write_pdf(appointment_letters_html([assignment.pk]).html, tmp_path)))

    assert "Du hjælper vælgerne ved stemmebordet." in words
    assert "Sygesikringskort og kuglepen." in words


def test_an_overnight_shift_says_when_it_ends(setup, tmp_path):
    election, station, role, _shift = setup
    night = overnight_shift(election, station, role)
    assignment = seat(night, factories.volunteer(language="en"))

    text = pdf_text(write_pdf(appointment_letters_html([assignment.pk]).html, tmp_path))

    next_day = (election.election_date + timedelta(days=1)).strftime("%A")
    assert f"20:00{DASH}01:00 (ends {next_day})" in text


def test_user_text_is_printed_as_text_never_as_markup(setup, tmp_path):
    _election, station, role, shift = setup
    payload = '<b>Bold</b><img src="http://evil.example/x.png">'
    Role.objects.filter(pk=role.pk).update(name="Role " + payload, description=payload)
    PollingStation.objects.filter(pk=station.pk).update(name="Hall " + payload)
    volunteer = factories.volunteer(first_name=payload, last_name="Smith", language="en")
    assignment = seat(shift, volunteer)

    rendered = appointment_letters_html([assignment.pk])
    text = flat(pdf_text(write_pdf(rendered.html, tmp_path)))  # no fetch of evil.example

    assert "<b>Bold</b>" not in rendered.html
    assert "&lt;b&gt;Bold&lt;/b&gt;" in rendered.html
    assert "<b>Bold</b><img" in text  # the name in the window, as typed
    assert "Role <b>Bold</b>" in text
    assert "Hall <b>Bold</b>" in text


def test_each_letter_is_one_a4_page_in_its_readers_language(setup, tmp_path):
    _election, _station, _role, shift = setup
    people = [dane(), factories.volunteer(first_name="John", language="en"), dane(first_name="Ib")]
    ids = [seat(shift, person).pk for person in people]

    rendered = appointment_letters_html(ids)
    path = write_pdf(rendered.html, tmp_path)
    info = pdf_info(path)
    pages = page_texts(path)

    assert info["Pages"] == "3"
    assert "(A4)" in info["Page size"]
    assert [("Åse" in p, "John" in p, "Ib " in p) for p in pages] == [
        (True, False, False),
        (False, True, False),
        (False, False, True),
    ]
    assert "Dear John," in flat(pages[1])
    assert "1.250,00 kr." in pages[0] and "1,250.00 kr." in pages[1]
    assert rendered.html.count('<section class="letter" lang="da">') == 2


def word_boxes_mm(path: Path, word: str) -> list[tuple[float, float, float, float]]:
    """Where ``word`` is printed on the first page: (left, top, right, bottom) in mm."""
    out = subprocess.run(
        ["pdftotext", "-bbox", "-f", "1", "-l", "1", str(path), "-"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    pt = 25.4 / 72
    return [
        tuple(float(v) * pt for v in m.groups())
        for m in re.finditer(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">'
            + re.escape(word)
            + "</word>",
            out,
        )
    ]


def test_the_address_shows_through_the_window_of_a_c5_or_dl_envelope(setup, tmp_path):
    """DIN 5008 form B: the address field is 85 by 45 mm, 20 mm from the left and
    45 mm from the top edge; the recipient is in its lower 27.3 mm, the return
    address above it."""
    _election, _station, _role, shift = setup
    assignment = seat(shift, dane())

    path = write_pdf(appointment_letters_html([assignment.pk]).html, tmp_path)

    for word in ("Åse", "Ørnevej", "8200"):
        # The first time the word is printed ("Åse" is in the greeting too).
        left, top, right, bottom = min(word_boxes_mm(path, word), key=lambda box: box[1])
        assert left >= 20 and right <= 105, word
        assert top >= 62.7 - 1 and bottom <= 90, word
    # The return address, above the recipient (the information block is right of 105 mm).
    (sender,) = [b for b in word_boxes_mm(path, "Valgsekretariatet") if b[2] <= 105]
    assert sender[1] >= 45 and sender[3] <= 62.7


def test_letters_are_tagged_pdf_ua_with_language_and_title(setup, tmp_path):
    _election, _station, _role, shift = setup
    ids = [seat(shift, dane()).pk, seat(shift, dane(first_name="Bo")).pk]

    rendered = appointment_letters_html(ids)
    path = write_pdf(rendered.html, tmp_path)

    with pikepdf.open(path) as pdf:
        root = pdf.Root
        assert "/StructTreeRoot" in root
        assert bool(root.MarkInfo.Marked) is True
        assert str(root.Lang) == "da"
        with translation.override("da"):
            title = gettext("Appointment letters")
        assert str(pdf.docinfo["/Title"]) == f"{title}: Folketingsvalg 2026"
        with pdf.open_metadata() as meta:
            assert "pdfuaid:part" in str(meta)
    assert pdf_info(path)["Tagged"] == "yes"


def test_the_logo_is_printed_from_media_storage(setup, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    organisation = Organisation.objects.get()
    organisation.logo.save("logo.png", ContentFile(PNG))
    _election, _station, _role, shift = setup
    assignment = seat(shift, dane())

    rendered = appointment_letters_html([assignment.pk])
    path = write_pdf(rendered.html, tmp_path)

    assert 'alt="Aarhus Kommune"' in rendered.html
    images = subprocess.run(
        ["pdfimages", "-list", str(path)], capture_output=True, check=True, text=True
    ).stdout.splitlines()[2:]
    assert len(images) >= 1


# --- the personal link in the QR code -----------------------------------------


def test_qr_code_opens_the_volunteers_page_and_the_token_is_not_stored(setup, tmp_path):
    election, _station, _role, shift = setup
    volunteer = dane()
    assignment = seat(shift, volunteer)

    rendered = appointment_letters_html([assignment.pk])
    links = decoded_links(write_pdf(rendered.html, tmp_path), tmp_path)

    assert len(links) == 1
    url = urlsplit(links[0])
    assert f"{url.scheme}://{url.netloc}" == "http://testserver"
    token = url.path.rstrip("/").rsplit("/", 1)[1]
    # Issued now, for this volunteer and election; only the hash is kept.
    link = PersonalLink.objects.get()
    assert (link.volunteer, link.election) == (volunteer, election)
    assert link.token_hash == hash_token(token) != token
    stored = PersonalLink.objects.values().get()
    assert not [name for name, value in stored.items() if token in str(value)]
    assert resolve_link(token) == link
    with translation.override("da"):
        alt = gettext("QR code: your personal link")
    assert f'alt="{alt}"' in rendered.html  # alternative text, in the reader's language

    response = Client().get(url.path)
    assert response.status_code == 200
    assert "Åse" in response.content.decode()


def test_one_fresh_link_per_volunteer_and_document(setup, tmp_path):
    election, station, role, shift = setup
    volunteer = factories.volunteer(language="en")
    first = seat(shift, volunteer)
    second = seat(overnight_shift(election, station, role), volunteer)
    other = seat(shift, factories.volunteer(language="en"))

    rendered = appointment_letters_html([first.pk, second.pk, other.pk])
    links = decoded_links(write_pdf(rendered.html, tmp_path), tmp_path)

    assert PersonalLink.objects.count() == 2
    assert links[0] == links[1] != links[2]
    # Printing again issues new links; the old ones keep working.
    appointment_letters_html([first.pk])
    assert PersonalLink.objects.filter(volunteer=volunteer).count() == 2


# --- who gets a letter --------------------------------------------------------


def test_only_accepted_and_checked_in_seats_get_appointment_letters(setup, tmp_path):
    _election, _station, _role, shift = setup
    accepted = seat(shift, dane(first_name="Anna"))
    checked_in = seat(shift, dane(first_name="Bent"), Status.CHECKED_IN)
    withdrawn = seat(shift, dane(first_name="Carl"), Status.WITHDRAWN)
    declined = seat(shift, dane(first_name="Dorte"), Status.DECLINED)
    invited = seat(shift, dane(first_name="Erik"), Status.INVITED)

    rendered = appointment_letters_html(
        [withdrawn.pk, checked_in.pk, declined.pk, accepted.pk, invited.pk]
    )
    text = pdf_text(write_pdf(rendered.html, tmp_path))

    assert rendered.keys == [str(checked_in.pk), str(accepted.pk)]  # in the order asked
    assert rendered.assignments == [checked_in.pk, accepted.pk]
    assert "Bent" in text and "Anna" in text
    assert not {"Carl", "Dorte", "Erik"} & set(text.split())
    assert PersonalLink.objects.count() == 2


def test_an_assignment_outside_the_readers_scope_is_left_out(setup, tmp_path):
    election, _station, role, shift = setup
    elsewhere = factories.shift(election, role_=role)
    inside = seat(shift, dane(first_name="Inge"))
    outside = seat(elsewhere, dane(first_name="Ulla"))

    rendered = appointment_letters_html(
        [inside.pk, outside.pk], shifts=Shift.objects.filter(pk=shift.pk)
    )

    assert rendered.keys == [str(inside.pk)]
    assert "Ulla" not in rendered.html
    assert PersonalLink.objects.get().volunteer_id == inside.volunteer_id


def test_before_the_organisation_is_saved_letters_use_the_settings(tmp_path, settings):
    settings.ELECTION_OFFICE_CONTACT = "Valgkontoret, tlf. 70 70 70 70"
    shift = factories.shift(factories.election(name="Kommunalvalg"))
    assignment = seat(shift, factories.volunteer(first_name="Ida", language="en"))

    words = flat(pdf_text(write_pdf(appointment_letters_html([assignment.pk]).html, tmp_path)))

    assert "Testrup Kommune" in words  # MUNICIPALITY_NAME
    assert "After that, please call the election office: Valgkontoret, tlf. 70 70 70 70." in words
    assert "Kind regards Testrup Kommune" in words


def test_nothing_to_print_gives_an_empty_document_and_no_links(setup):
    _election, _station, _role, shift = setup
    withdrawn = seat(shift, dane(), Status.WITHDRAWN)

    rendered = appointment_letters_html([withdrawn.pk, 999_999])

    assert rendered.keys == [] and rendered.assignments == []
    assert "<section" not in rendered.html
    assert PersonalLink.objects.count() == 0


# --- invitation letters -------------------------------------------------------


def test_invitation_letter_lists_every_invited_shift_with_the_answer_date_and_link(setup, tmp_path):
    election, station, role, shift = setup
    volunteer = factories.volunteer(first_name="John", last_name="Ørsted", language="en")
    night = overnight_shift(election, station, factories.role("Optæller", pay=Decimal("600")))
    day_seat = seat(shift, volunteer, Status.INVITED)
    night_seat = seat(night, volunteer, Status.INVITED)
    seat(factories.shift(election, role_=role), volunteer, Status.DECLINED)  # not invited

    rendered = invitation_letters_html(election, [volunteer.pk])
    path = write_pdf(rendered.html, tmp_path)
    text = pdf_text(path)
    words = flat(text)

    assert rendered.keys == [str(volunteer.pk)]
    assert rendered.assignments == [day_seat.pk, night_seat.pk]
    assert pdf_info(path)["Pages"] == "1"
    assert "Invitation to work at the Folketingsvalg 2026" in words
    assert "Seats are kept for you on these 2 shifts" in words
    assert "Tilforordnet" in text and "Optæller" in text
    assert f"07:00{DASH}20:00" in text and f"20:00{DASH}01:00 (ends" in text
    assert "1,250.00 kr." in text and "600.00 kr." in text
    assert "You help the voters at the ballot table." in words
    # The answer-by date, as the invitation SMS and email compute it.
    by = timezone.localtime(respond_by(day_seat))
    assert f"Please accept or decline by {by.day} {by:%B} {by.year}" in words
    # The link is printed as text too, and it is the one in the QR code.
    (link,) = decoded_links(path, tmp_path)
    assert link in words.replace("/ ", "/")
    assert PersonalLink.objects.get().token_hash == hash_token(link.rstrip("/").rsplit("/")[-1])
    assert Client().get(urlsplit(link).path).status_code == 200


def test_invitation_letters_one_per_volunteer_in_order_within_scope(setup, tmp_path):
    election, _station, role, shift = setup
    elsewhere = factories.shift(election, role_=role)
    anna, bo, carl = dane(first_name="Anna"), dane(first_name="Bo"), dane(first_name="Carl")
    seat(shift, anna, Status.INVITED)
    seat(elsewhere, anna, Status.INVITED)  # outside the scope
    seat(shift, bo, Status.ACCEPTED)  # nothing to answer
    seat(shift, carl, Status.INVITED)
    other_election = factories.shift(factories.election(), capacity=2)
    seat(other_election, bo, Status.INVITED)  # another election

    rendered = invitation_letters_html(
        election, [carl.pk, bo.pk, anna.pk], shifts=Shift.objects.filter(pk=shift.pk)
    )
    pages = page_texts(write_pdf(rendered.html, tmp_path))

    assert rendered.keys == [str(carl.pk), str(anna.pk)]
    assert len(pages) == 2
    assert "Carl" in pages[0] and "Anna" in pages[1]
    with translation.override("da"):  # Anna reads Danish: one seat, so the singular
        one_seat = translation.ngettext(
            "The election office invites you to work at the %(election)s. "
            "A seat is kept for you on this shift:",
            "The election office invites you to work at the %(election)s. "
            "Seats are kept for you on these %(shifts)s shifts:",
            1,
        ) % {"election": election.name, "shifts": 1}
    assert flat(one_seat) in flat(pages[1])
    assert PersonalLink.objects.count() == 2


def test_an_invitation_whose_answer_time_has_passed_is_not_printed(setup):
    election, _station, _role, shift = setup
    volunteer = dane()
    seat(shift, volunteer, Status.INVITED, invited_at=timezone.now() - timedelta(days=8))

    rendered = invitation_letters_html(election, [volunteer.pk])

    assert rendered.keys == []
    assert PersonalLink.objects.count() == 0


# --- queries ------------------------------------------------------------------


def _people(count: int) -> list[Volunteer]:
    return Volunteer.objects.bulk_create(
        Volunteer(
            first_name=f"Person{i:03d}",
            last_name="Madsen",
            email=f"p{i}@example.dk",
            preferred_channel="email",
            birth_date=date(1980, 1, 1),
            language="da" if i % 2 else "en",
        )
        for i in range(count)
    )


@pytest.mark.parametrize("count", [1, 30])
def test_appointment_letters_take_the_same_queries_for_one_or_thirty(
    setup, count, django_assert_num_queries
):
    _election, _station, _role, shift = setup
    ids = [seat(shift, person).pk for person in _people(count)]
    cache.clear()  # the organisation is read from the database once

    # The organisation, the assignments with everything printed, one INSERT of links.
    with django_assert_num_queries(3):
        rendered = appointment_letters_html(ids, shifts=Shift.objects.all())

    assert len(rendered.keys) == count


@pytest.mark.parametrize("count", [1, 30])
def test_invitation_letters_take_the_same_queries_for_one_or_thirty(
    setup, count, django_assert_num_queries
):
    election, station, role, shift = setup
    night = overnight_shift(election, station, role)
    people = _people(count)
    for person in people:
        seat(shift, person, Status.INVITED)
        seat(night, person, Status.INVITED)
    cache.clear()

    with django_assert_num_queries(3):
        rendered = invitation_letters_html(election, [p.pk for p in people])

    assert len(rendered.keys) == count
    assert len(rendered.assignments) == 2 * count


# --- the QR code as an inline PNG (documents.qr, documents.rendering) -------------


def test_the_qr_code_is_a_small_crisp_png_one_pixel_a_module(setup, tmp_path):
    _election, _station, _role, shift = setup
    rendered = appointment_letters_html([seat(shift, dane()).pk])
    path = write_pdf(rendered.html, tmp_path)

    assert "<svg" not in rendered.html
    assert 'src="data:image/png;base64,' in rendered.html
    rows = subprocess.run(
        ["pdfimages", "-list", str(path)], capture_output=True, check=True, text=True
    ).stdout.splitlines()[2:]
    # page num type width height color comp bpc enc interp …: one image, the code,
    # a few dozen pixels square (version 5 with the quiet zone: 45), not interpolated.
    [row] = rows
    columns = row.split()
    assert columns[3] == columns[4] and 21 <= int(columns[3]) <= 77
    assert columns[9] == "no"
    assert len(decoded_links(path, tmp_path)) == 1


def test_only_a_small_inline_png_gets_through_the_fetcher():
    from documents.qr import qr_png_data_uri
    from documents.rendering import BlockedURL, LocalStaticFetcher, inline_png

    good = qr_png_data_uri("https://example.org/")
    assert inline_png(good).startswith(b"\x89PNG")
    assert LocalStaticFetcher().fetch(good).read().startswith(b"\x89PNG")

    not_png = "data:image/png;base64," + base64.b64encode(b"<svg></svg>").decode()
    huge = "data:image/png;base64," + base64.b64encode(PNG + b"\0" * 70_000).decode()
    refused = [
        "data:image/svg+xml;base64," + good.split(",", 1)[1],
        "data:text/html;base64,PGgxPmhpPC9oMT4=",
        "data:image/png," + PNG.decode("latin-1"),  # not base64
        "data:image/png;base64,@@@@",
        not_png,
        huge,
        "file:///etc/passwd",
    ]
    for url in refused:
        assert inline_png(url) is None
        with pytest.raises(BlockedURL):
            LocalStaticFetcher().fetch(url)


def test_a_letter_without_a_footer_has_none(setup, tmp_path, organisation):
    _election, _station, _role, shift = setup
    Organisation.objects.filter(pk=organisation.pk).update(letter_footer="")
    cache.clear()
    rendered = appointment_letters_html([seat(shift, dane()).pk])

    text = pdf_text(write_pdf(rendered.html, tmp_path))

    assert "@bottom-left" not in rendered.html
    assert "CVR" not in text
    assert "Åse" in text
