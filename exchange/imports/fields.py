"""What each kind of import reads: its fields, the header names (Danish and
English) each is recognised by, and guessing a file's mapping from its header.

A header is compared folded: case, spaces and punctuation off ("E-mail",
"e mail" and "EMAIL" are one; "Post nr." is "postnr"). A file's mapping is
``{field name: column index}``; a column serves one field at most."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Field:
    name: str
    label: Any  # lazy text
    aliases: tuple[str, ...]
    required: bool = False
    help: Any = ""


def fold_header(text: str) -> str:
    return re.sub(r"[^0-9a-zæøåäöü]", "", str(text).casefold())


VOLUNTEER_FIELDS = (
    Field(
        "external_id",
        _("External id"),
        ("eksterntid", "id", "nr", "nummer", "løbenr", "medlemsnr", "externalid", "extid", "ref"),
        help=_("The person's id in the system the file comes from."),
    ),
    Field("first_name", _("First name"), ("fornavn", "fornavne", "firstname", "givenname")),
    Field("last_name", _("Last name"), ("efternavn", "lastname", "surname", "familyname")),
    Field(
        "full_name",
        _("Full name"),
        ("navn", "fuldtnavn", "name", "fullname"),
        help=_("First names and last name in one column: the last word is the last name."),
    ),
    Field("email", _("Email"), ("email", "mail", "emailadresse", "mailadresse", "emailaddress")),
    Field(
        "phone",
        _("Mobile phone"),
        (
            "mobil",
            "mobilnr",
            "mobilnummer",
            "mobiltelefon",
            "telefon",
            "telefonnr",
            "telefonnummer",
            "tlf",
            "tlfnr",
            "phone",
            "mobile",
            "mobilephone",
            "phonenumber",
            "cell",
            "cellphone",
        ),
    ),
    Field(
        "birth_date",
        _("Date of birth"),
        (
            "fødselsdato",
            "fødselsdag",
            "født",
            "fdato",
            "birthdate",
            "dateofbirth",
            "birthday",
            "dob",
        ),
    ),
    Field("address", _("Address"), ("adresse", "vej", "gadeadresse", "address", "street")),
    Field(
        "postal_code",
        _("Postal code"),
        ("postnr", "postnummer", "postalcode", "postcode", "zip", "zipcode"),
    ),
    Field("city", _("City"), ("by", "bynavn", "postdistrikt", "city", "town")),
    Field("language", _("Language"), ("sprog", "language"), help=_("da or en")),
    Field(
        "preferred_channel",
        _("Preferred channel"),
        ("kanal", "foretrukkenkanal", "channel", "preferredchannel"),
        help=_("sms or email"),
    ),
    Field("diet", _("Diet"), ("kost", "diæt", "kosthensyn", "diet")),
    Field(
        "do_not_contact",
        _("Do not contact"),
        ("måikkekontaktes", "ikkekontakt", "donotcontact"),
        help=_("yes or no"),
    ),
    Field(
        "notes", _("Notes"), ("noter", "note", "bemærkninger", "bemærkning", "notes", "comments")
    ),
)

STATION_FIELDS = (
    Field(
        "area",
        _("Area"),
        ("område", "afstemningsområde", "opstillingskreds", "area", "district"),
        True,
    ),
    Field(
        "name",
        _("Polling station"),
        ("valgsted", "afstemningssted", "navn", "station", "pollingstation", "name"),
        True,
    ),
    Field("address", _("Address"), ("adresse", "vej", "address", "street"), True),
    Field(
        "postal_code",
        _("Postal code"),
        ("postnr", "postnummer", "postalcode", "postcode", "zip"),
        True,
    ),
    Field("city", _("City"), ("by", "bynavn", "postdistrikt", "city", "town"), True),
    Field(
        "capacity_note", _("Capacity note"), ("kapacitet", "lokaler", "capacity", "capacitynote")
    ),
    Field(
        "manager_contact",
        _("Station manager contact"),
        ("valgstyrer", "kontakt", "kontaktperson", "manager", "managercontact", "contact"),
    ),
    Field(
        "accessibility", _("Accessibility"), ("tilgængelighed", "adgangsforhold", "accessibility")
    ),
    Field("notes", _("Notes"), ("noter", "bemærkninger", "notes")),
)

ROLE_FIELDS = (
    Field("name", _("Role"), ("funktion", "rolle", "opgave", "navn", "role", "name", "task"), True),
    Field(
        "short_name",
        _("Short name"),
        ("forkortelse", "kortnavn", "kort", "shortname", "abbreviation"),
    ),
    Field(
        "default_start",
        _("Default start"),
        ("start", "starttid", "fra", "møder", "defaultstart", "from"),
        True,
    ),
    Field(
        "default_end", _("Default end"), ("slut", "sluttid", "til", "defaultend", "end", "to"), True
    ),
    Field("pay", _("Pay"), ("diæter", "honorar", "løn", "betaling", "pay", "fee", "rate")),
    Field(
        "min_age", _("Minimum age"), ("minimumsalder", "minalder", "alder", "minage", "minimumage")
    ),
    Field("invite_only", _("Invite only"), ("kunpåinvitation", "kuninvitation", "inviteonly")),
    Field("description", _("Description (Danish)"), ("beskrivelse", "description")),
    Field(
        "description_en",
        _("Description (English)"),
        ("beskrivelseengelsk", "descriptionen", "englishdescription"),
    ),
)

TEAM_FIELDS = (
    Field("name", _("Team"), ("hold", "parti", "team", "holdnavn", "teamname", "party"), True),
    Field(
        "short_name",
        _("Short name"),
        ("forkortelse", "kortnavn", "bogstav", "listebogstav", "shortname"),
    ),
    Field(
        "kind", _("Kind"), ("type", "art", "kind"), help=_("party, department or volunteer group")
    ),
    Field(
        "member_phone",
        _("Member's mobile phone"),
        ("mobil", "telefon", "tlf", "phone", "mobile", "medlemmobil"),
    ),
    Field("member_email", _("Member's email"), ("email", "mail", "medlememail")),
    Field(
        "member_external_id",
        _("Member's external id"),
        ("eksterntid", "id", "medlemsnr", "externalid"),
    ),
)

GRID_FIELDS = (
    Field("area", _("Area"), ("område", "afstemningsområde", "area")),
    Field(
        "station",
        _("Polling station"),
        ("valgsted", "afstemningssted", "station", "pollingstation"),
        True,
    ),
    Field("role", _("Role"), ("funktion", "rolle", "opgave", "role", "task"), True),
    Field("day", _("Day"), ("dag", "dato", "day", "date"), help=_("empty: election day")),
    Field(
        "seats", _("Seats"), ("pladser", "antal", "antalpladser", "seats", "count", "number"), True
    ),
)

FIELDS: dict[str, tuple[Field, ...]] = {
    "volunteers": VOLUNTEER_FIELDS,
    "stations": STATION_FIELDS,
    "roles": ROLE_FIELDS,
    "teams": TEAM_FIELDS,
    "grid": GRID_FIELDS,
}

Mapping = dict[str, int]


def _alias_index(kind: str) -> dict[str, str]:
    index: dict[str, str] = {}
    for spec in FIELDS[kind]:
        for alias in spec.aliases:
            index.setdefault(fold_header(alias), spec.name)
    return index


def score(kind: str):
    """How many cells of a row name a field of ``kind`` (for finding the header)."""
    index = _alias_index(kind)

    def points(cells: list[str]) -> int:
        return len({index[f] for f in map(fold_header, cells) if f in index})

    return points


def guess(kind: str, headers: list[str]) -> Mapping:
    """The mapping the header names suggest: each field the first column named
    like it; each column one field."""
    index = _alias_index(kind)
    mapping: Mapping = {}
    for column, header in enumerate(headers):
        name = index.get(fold_header(header))
        if name and name not in mapping:
            mapping[name] = column
    if "full_name" in mapping and "first_name" in mapping and "last_name" in mapping:
        del mapping["full_name"]
    return mapping


def headers_key(headers: list[str]) -> str:
    """The same for the same header names in the same order, whatever their case
    and spacing (a preset's key): a preset maps fields to column positions, so a
    file with the columns in another order must not get it."""
    folded = [fold_header(h) for h in headers]
    return hashlib.sha256("\x1f".join(folded).encode()).hexdigest()[:40]


def clean_mapping(kind: str, headers: list[str], mapping: dict[str, Any]) -> Mapping:
    """A stored or posted mapping, keeping only known fields and columns the file has."""
    names = {f.name for f in FIELDS[kind]}
    cleaned: Mapping = {}
    for name, column in (mapping or {}).items():
        if name in names and isinstance(column, int) and 0 <= column < len(headers):
            cleaned[name] = column
    return cleaned


def missing(kind: str, mapping: Mapping) -> list[Field]:
    """Required fields without a column (volunteers: a name, a way to reach them)."""
    return [f for f in FIELDS[kind] if f.required and f.name not in mapping]
