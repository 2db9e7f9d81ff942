"""The Danish catalogue: complete, compiled, up to date with the code, and used.

English is the source language (the msgids); Danish is locale/da. After changing a
user-facing string, run

    .venv/bin/python manage.py makemessages -l da --no-location \\
        --ignore=.venv --ignore=staticfiles --ignore=var
    .venv/bin/python manage.py compilemessages --ignore=.venv

translate the new entries (no fuzzy ones) and commit both django.po and django.mo.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateformat import format as date_format

from notifications.rendering import render_message
from pollcrew.redaction import redact
from staffing.links import issue_link
from tests import factories
from tests.fakes.scenarios import invite_one, message_for

BASE_DIR = Path(settings.BASE_DIR)
LC_MESSAGES = BASE_DIR / "locale" / "da" / "LC_MESSAGES"
PO_FILE = LC_MESSAGES / "django.po"
MO_FILE = LC_MESSAGES / "django.mo"

# Python %-placeholders: %(name)s, %d, %s… ("%%" is a literal percent sign).
_PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdifFeEgGxXoc%]")
DANISH_WEEKDAYS = ["mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag"]
SMS_KINDS = [
    "invitation",
    "accepted",
    "declined",
    "withdrawn",
    "removed",
    "moved",
    "shift_changed",
    "new_link",
    "invitation_reminder",
    "shift_reminder",
    "shift_morning",
    "one_time_code",
    "contact_changed",
    "expired",
    "invitation_withdrawn",
    "seat_offer",
    "offer_taken",
    "signup_held",
    "signup_refused",
]


def _placeholders(text: str) -> list[str]:
    return sorted(p for p in _PLACEHOLDER.findall(text) if p != "%%")


def _live(catalogue) -> list:
    return [e for e in catalogue if not e.obsolete and e.msgid]


def _key(entry) -> tuple[str, str, str]:
    return (entry.msgctxt or "", entry.msgid, entry.msgid_plural or "")


def _label(key: tuple[str, str, str]) -> str:
    context, msgid, _plural = key
    return f"[{context}] {msgid!r}" if context else repr(msgid)


@pytest.fixture(scope="module")
def po() -> polib.POFile:
    assert PO_FILE.exists(), f"{PO_FILE} is missing: run makemessages -l da"
    return polib.pofile(str(PO_FILE))


# --- the catalogue itself ----------------------------------------------------------------


def test_header_is_danish_utf8_with_danish_plurals(po):
    assert po.metadata["Language"] == "da"
    assert "charset=UTF-8" in po.metadata["Content-Type"]
    assert po.metadata["Plural-Forms"].replace(" ", "") == "nplurals=2;plural=(n!=1);"
    assert not po.metadata_is_fuzzy


def test_every_entry_is_translated_and_none_is_fuzzy(po):
    fuzzy = [_label(_key(e)) for e in _live(po) if "fuzzy" in e.flags]
    untranslated = [
        _label(_key(e)) for e in _live(po) if not e.translated() and "fuzzy" not in e.flags
    ]
    assert not untranslated, "untranslated: " + "; ".join(untranslated)
    assert not fuzzy, "fuzzy: " + "; ".join(fuzzy)


def test_translations_keep_the_placeholders(po):
    wrong = []
    for entry in _live(po):
        if entry.msgid_plural:
            pairs = [
                (entry.msgid, entry.msgstr_plural[0]),
                (entry.msgid_plural, entry.msgstr_plural[1]),
            ]
        else:
            pairs = [(entry.msgid, entry.msgstr)]
        for source, translated in pairs:
            if _placeholders(source) != _placeholders(translated):
                wrong.append(f"{source!r} → {translated!r}")
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


def test_committed_mo_matches_the_po(po, tmp_path):
    """django.mo is committed so that a machine without gettext can run Pollcrew;
    it must be the compiled django.po, not an older one."""
    assert MO_FILE.exists(), f"{MO_FILE} is missing: run compilemessages"
    fresh = tmp_path / "django.mo"
    po.save_as_mofile(str(fresh))

    def contents(mo: polib.MOFile) -> set:
        return {
            (
                e.msgctxt or "",
                e.msgid,
                e.msgid_plural or "",
                e.msgstr,
                tuple(sorted(e.msgstr_plural.items())),
            )
            for e in mo
            if e.msgid
        }

    committed, expected = contents(polib.mofile(str(MO_FILE))), contents(polib.mofile(str(fresh)))
    stale = sorted(expected - committed)
    extra = sorted(committed - expected)
    assert not stale and not extra, (
        "django.mo is out of date; run compilemessages.\n"
        f"missing or changed in .mo: {stale[:10]}\nonly in .mo: {extra[:10]}"
    )


def _copy_project(destination: Path) -> None:
    """The project as makemessages sees it, without the catalogue to be checked."""
    skipped = {".git", ".venv", "staticfiles", "var", "media", "node_modules"}

    def ignore(directory: str, names: list[str]) -> set[str]:
        return {
            name
            for name in names
            if name in skipped
            or name.endswith(("_cache", ".sqlite3", ".sqlite3-wal", ".sqlite3-shm", ".pyc"))
            or name == "__pycache__"
            or (Path(directory) == LC_MESSAGES and name.startswith("django."))
        }

    shutil.copytree(BASE_DIR, destination, ignore=ignore)


def test_catalogue_is_up_to_date_with_the_code(po, tmp_path):
    """Every marked string in the templates and apps is in the catalogue, and
    nothing the code no longer uses lingers in it."""
    copy = tmp_path / "project"
    _copy_project(copy)
    (copy / "locale" / "da" / "LC_MESSAGES").mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "da", "--no-location", "-v0"],
        cwd=copy,
        check=True,
        capture_output=True,
        timeout=120,
    )
    fresh = polib.pofile(str(copy / "locale" / "da" / "LC_MESSAGES" / "django.po"))
    wanted = {_key(e) for e in _live(fresh)}
    have = {_key(e) for e in _live(po)}
    new = sorted(_label(k) for k in wanted - have)
    gone = sorted(_label(k) for k in have - wanted)
    assert not new and not gone, (
        "locale/da is out of date with the code; run makemessages and translate.\n"
        f"new (not in the catalogue): {new}\nno longer used: {gone}"
    )


# --- the catalogue in use ----------------------------------------------------------------


def _december_election():
    return factories.election(election_date=date(timezone.localdate().year + 1, 12, 10))


def _danish_day(day: date) -> str:
    return f"{DANISH_WEEKDAYS[day.weekday()]} den 10. december {day.year}"


@pytest.mark.django_db
def test_volunteer_page_is_danish_for_a_danish_volunteer(client):
    election = _december_election()
    volunteer = factories.volunteer(first_name="Mette", language="da")
    invite_one(volunteer, election_=election, role_=factories.role("Tilforordnet"))
    token = issue_link(volunteer, election)

    # The volunteer's language wins over the browser's.
    page = client.get(
        reverse("portal:home", args=[token]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert '<html lang="da">' in page
    for danish in (
        "Hej Mette",
        f"Dine vagter ved <bdi>{election.name}</bdi>",
        "Venter på dit svar",
        "Hvornår",
        _danish_day(election.election_date).capitalize(),
        "Acceptér",
        "Afslå",
        "Del ikke linket med andre",
    ):
        assert danish in page, danish
    for english in ("Waiting for your answer", "Your shifts at", "Hi Mette", "December", ">When<"):
        assert english not in page, english


@pytest.mark.django_db
def test_staff_login_follows_the_browser_language(client):
    page = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="da").content.decode()
    assert '<html lang="da">' in page
    for danish in ("Log ind for medarbejdere", "Adgangskode", "Gå til indhold"):
        assert danish in page, danish
    for english in ("Staff login", "Forgot your password?", "Skip to content"):
        assert english not in page, english

    english_page = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Staff login" in english_page


@pytest.mark.django_db
def test_invitation_email_and_sms_are_danish(committed, mailoutbox, sms_outbox):
    election = _december_election()
    by_email = factories.volunteer(channel="email", first_name="Søren", language="da")
    by_sms = factories.volunteer(channel="sms", first_name="Åse", language="da")
    committed(invite_one, by_email, election_=election)
    committed(invite_one, by_sms, election_=election)

    [email] = mailoutbox
    [(html, _mimetype)] = email.alternatives
    assert email.subject == f"Du er inviteret til at hjælpe ved {election.name}"
    for part in (email.body, html):
        for danish in ("Kære Søren", "Hvornår", _danish_day(election.election_date)):
            assert danish in part, danish
        assert "Acceptér eller afslå senest den " in part
        for english in ("Dear ", "Please accept", "When", "December", "forward"):
            assert english not in part, english
    assert '<html lang="da">' in html

    [sms] = sms_outbox
    assert redact(sms.body) == message_for(by_sms, "invitation").body
    assert "Hej Åse, du inviteres som " in sms.body
    assert " den 10/12 kl. " in sms.body
    assert "Svar senest " in sms.body
    assert "Please answer" not in sms.body


def test_danish_sms_are_no_longer_than_english():
    """SMS cost by the segment: the Danish text must not outgrow the English one."""
    day = datetime(2030, 12, 10, 8, tzinfo=timezone.get_current_timezone())
    context = {
        "municipality": "Lyngby-Taarbæk Kommune",
        "first_name": "Karen",
        "role": "Tilforordnet",
        "station": "Rådhuset",
        "station_address": "Rådhuspladsen 1, 2800 Kongens Lyngby",
        "election": "Folketingsvalg 2030",
        "starts_at": day,
        "ends_at": day.replace(hour=20),
        "respond_by": day.replace(day=1),
        "link": "https://valg.example.dk/v/" + "T" * 43 + "/",
        "claim_link": "https://valg.example.dk/v/offer/" + "T" * 43 + "/",
        "claim_by": "9/12 kl. 20:00",
        "claim_by_short": "9/12 20:00",
        "code": "123456",
        "minutes": 10,
        "new_address": "+45 ** ** 22 22",
        "is_phone": True,
    }
    for kind in SMS_KINDS:
        danish = render_message(kind, "sms", "da", context).body
        english = render_message(kind, "sms", "en", context).body
        assert len(danish) <= len(english), (kind, danish, english)


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            ("weekday-date format of a shift, Django date syntax", "l j F Y"),
            "onsdag den 30. december 2026",
        ),
        (("day-month date format, Django date syntax", "j F"), "30. december"),
    ],
)
def test_date_formats_are_danish(entry, expected):
    """Date formats are msgids too (Django date syntax); literal letters need a backslash."""
    context, msgid = entry  # not literal arguments: makemessages must not collect them here
    with translation.override("da"):
        assert date_format(date(2026, 12, 30), translation.pgettext(context, msgid)) == expected
