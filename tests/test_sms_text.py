"""SMS text within its budget without mangling: names spelled in GSM-7, emoji
dropped from names, and only the least important names shortened, at a word
boundary (notifications.rendering.render_sms)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from notifications.gsm import is_gsm7, segments
from notifications.rendering import render_sms, shorten_at_word, sms_name

LINK = "https://valg.lyngby-taarbaek.dk/v/" + "T" * 43 + "/"


def context(**names: str) -> dict:
    now = timezone.now()
    return {
        "municipality": "Lyngby-Taarbæk Kommune",
        "first_name": "Karen",
        "role": "Tilforordnet",
        "station": "Rådhuset",
        "station_address": "Rådhuspladsen 1, 2800 Kongens Lyngby",
        "election": "Folketingsvalg 2030",
        "starts_at": now,
        "ends_at": now,
        "respond_by": now,
        "link": LINK,
        **names,
    }


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Skolen 🏫 ved Søen", "Skolen ved Søen"),
        ("Hallen ⭐️⭐️", "Hallen"),
        ("Zoë Ødegård", "Zoe Ødegård"),
        ("Rådhuset \u2013 Sal \u201cB\u201d", 'Rådhuset - Sal "B"'),
        ("Café Łódź", "Café Lodz"),
        ("محمد", "محمد"),  # a name in another script is a name: kept
    ],
)
def test_names_are_spelled_in_gsm7_and_emoji_dropped(name, shown):
    assert sms_name(name) == shown


def test_an_emoji_in_a_station_name_keeps_the_sms_gsm7_and_whole():
    body = render_sms("invitation", context(station="Skolen 🏫 ved Søen", role="Valgstyrer 🗳"))

    assert is_gsm7(body)
    assert segments(body) == 2  # as with a plain name: nothing shortened, no UCS-2
    assert "..." not in body
    assert "Skolen ved Søen" in body and "Valgstyrer at" in body
    assert body.endswith(LINK)


def test_only_the_least_important_name_is_shortened_and_at_a_word_boundary():
    long_election = ("Kommunal- og regionsrådsvalg 2029 " + "med folkeafstemning om " * 12).strip()
    long_municipality = "Lyngby-Taarbæk Kommune, Valgsekretariatet"
    body = render_sms(
        "new_link",
        context(election=long_election, municipality=long_municipality, first_name="Karen"),
    )

    assert segments(body) <= 2
    assert body.startswith(long_municipality + ":")  # more important: untouched
    assert "Karen" in body
    assert "Kommunal- og regionsrådsvalg 2029 med folkeafstemning om" in body
    shortened = body.split("Kommunal- og", 1)[1].split("...", 1)[0]
    assert shortened.endswith(("om", "folkeafstemning", "med"))  # a whole word before "..."


def test_shortened_names_end_with_a_whole_word():
    long_role = "Tilforordnet vælger med særligt ansvar for brevstemmer og fremmøde " * 3
    long_station = "Kongens Lyngby Idrætsby, den store hal ved indgang nord " * 3
    body = render_sms("accepted", context(role=long_role.strip(), station=long_station.strip()))

    assert segments(body) <= 2
    assert body.endswith(LINK)
    address = context()["station_address"]
    words = set((long_role + long_station + address + " Lyngby-Taarbæk Kommune").split())
    assert "Lyngby-Taarbæk Kommune:" in body  # no word boundary short enough: left whole
    # Every word before an ellipsis is a whole word of the original names.
    for cut in body.split("...")[:-1]:
        last_word = cut.rsplit(" ", 1)[-1].strip(",.-(/:;")
        assert last_word in words, (last_word, body)


@pytest.mark.parametrize(
    ("value", "length", "expected"),
    [
        ("Skolen ved Søen gymnastiksal", 20, "Skolen ved Søen..."),
        ("Skolen ved Søen gymnastiksal", 19, "Skolen ved Søen..."),
        ("Skolen ved Søen, gymnastiksal", 21, "Skolen ved Søen..."),
        ("Gymnastiksalsbygningen", 12, ""),  # one long word: not at a word boundary
    ],
)
def test_shorten_at_word(value, length, expected):
    shortened = shorten_at_word(value, length)
    assert shortened == expected
    assert len(shortened) <= length


def test_a_single_long_word_is_cut_only_as_the_last_resort():
    assert shorten_at_word("Gymnastiksalsbygningen", 12, mid_word=True) == "Gymnastik..."
    word = "Idrætsforeningsgymnastiksalsbygningsindgangspartiet" * 4
    body = render_sms("accepted", context(station=word, role=word, station_address=word))
    assert segments(body) <= 2
    assert body.endswith(LINK)
