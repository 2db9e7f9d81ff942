"""Appointment and invitation letters: one A4 letter per person, many letters in
one HTML document (the batch engine, documents.jobs, renders it with render_pdf).

Each letter is in the volunteer's language and carries a freshly issued personal
link as a QR code (and, on invitations, as text). Links are issued for the whole
document in one INSERT (staffing.links.issue_links); the tokens exist only in the
rendered letters, the database keeps their hashes.

A letter costs WeasyPrint about 30 ms (3,000 in under a minute on two workers,
bench/print_letters.py): its QR code is a small PNG, not an SVG path (see
documents.qr), and the page's margin boxes exist only when the organisation has
a letter footer.

Queries do not grow with the number of letters: the organisation (cached), the
assignments with their shifts, roles, stations, elections and volunteers in one
query, and the links in one INSERT.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts import organisation as organisations
from documents.qr import qr_png_data_uri
from documents.rendered import Rendered
from elections.models import Election, Shift
from staffing.links import issue_links, link_url
from staffing.messaging import respond_by
from staffing.models import FILLED_STATUSES, Assignment
from volunteers.models import Volunteer


@dataclass(frozen=True)
class LetterShift:
    """One shift as a letter prints it, in the volunteer's language."""

    assignment: Assignment
    shift: Shift
    starts_at: datetime  # local time
    ends_at: datetime  # local time
    description: str
    what_to_bring: str
    pay: Decimal | None  # None: the role is unpaid, no pay line
    changes_until: datetime  # local time: after this, only the office can change the answer
    answer_by: datetime | None  # local time; invitations only

    @property
    def ends_next_day(self) -> bool:
        return self.ends_at.date() > self.starts_at.date()


@dataclass(frozen=True)
class Letter:
    volunteer: Volunteer
    election: Election
    language: str
    shifts: list[LetterShift]
    link: str
    qr: str  # a data:image/png URI (documents.qr.qr_png_data_uri)
    qr_label: str  # its alternative text, in the reader's language

    @property
    def shift(self) -> LetterShift:
        """The shift of an appointment letter (it has exactly one)."""
        return self.shifts[0]

    @property
    def link_parts(self) -> tuple[str, str]:
        """The link split where it may break on paper: the site and path, then
        the token (never broken inside, so that a line end is not read as a hyphen)."""
        head, _sep, token = self.link.rstrip("/").rpartition("/")
        return head + "/", token + "/"

    @property
    def roles(self) -> list[LetterShift]:
        """One shift per role, in order: where an invitation letter describes each role once."""
        seen: dict[int, LetterShift] = {}
        for item in self.shifts:
            seen.setdefault(item.shift.role_id, item)
        return list(seen.values())

    @property
    def answer_by(self) -> datetime | None:
        """The earliest answer-by time of the letter's invitations."""
        times = [s.answer_by for s in self.shifts if s.answer_by is not None]
        return min(times) if times else None

    @property
    def answer_by_differs(self) -> bool:
        """Whether the invitations have different answer-by days (each is then shown)."""
        return len({s.answer_by.date() for s in self.shifts if s.answer_by is not None}) > 1

    @property
    def has_address(self) -> bool:
        v = self.volunteer
        return bool(v.address or v.postal_code or v.city)


def _language(volunteer: Volunteer) -> str:
    codes = {code for code, _name in settings.LANGUAGES}
    return volunteer.language if volunteer.language in codes else settings.LANGUAGE_CODE


def _letter_shift(assignment: Assignment, language: str, *, invitation: bool) -> LetterShift:
    shift = assignment.shift
    role = shift.role
    starts_at = timezone.localtime(shift.starts_at)
    return LetterShift(
        assignment=assignment,
        shift=shift,
        starts_at=starts_at,
        ends_at=timezone.localtime(shift.ends_at),
        description=role.description_in(language),
        what_to_bring=role.what_to_bring_in(language),
        pay=role.pay if role.pay else None,
        # As staffing.rules.self_service_open: calendar days on the local clock.
        changes_until=starts_at - timedelta(days=shift.election.lock_days),
        answer_by=timezone.localtime(respond_by(assignment)) if invitation else None,
    )


def _scoped(queryset: QuerySet[Assignment], shifts: QuerySet[Shift] | None):
    return queryset if shifts is None else queryset.filter(shift__in=shifts)


def _with_everything(queryset: QuerySet[Assignment]) -> QuerySet[Assignment]:
    return queryset.select_related(
        "volunteer", "shift__role", "shift__station", "shift__election"
    ).order_by()


def _letters(
    groups: list[tuple[Volunteer, Election, list[Assignment]]], *, invitation: bool
) -> list[Letter]:
    """Letters for (volunteer, election, assignments), with one fresh link per
    volunteer and election for the whole document, issued in one INSERT."""
    pairs: dict[tuple[int, int], tuple[Volunteer, Election]] = {}
    for volunteer, election, _rows in groups:
        pairs.setdefault((volunteer.pk, election.pk), (volunteer, election))
    tokens = dict(zip(pairs, issue_links(list(pairs.values())), strict=True)) if pairs else {}

    letters = []
    for volunteer, election, rows in groups:
        language = _language(volunteer)
        link = link_url(tokens[volunteer.pk, election.pk])
        with translation.override(language):
            label = gettext("QR code: your personal link")
        letters.append(
            Letter(
                volunteer=volunteer,
                election=election,
                language=language,
                shifts=[_letter_shift(a, language, invitation=invitation) for a in rows],
                link=link,
                qr=qr_png_data_uri(link),
                qr_label=label,
            )
        )
    return letters


def _main_language(letters: list[Letter]) -> str:
    """The document's language: that of most letters, the site's on a tie."""
    counts = Counter(letter.language for letter in letters)
    default = settings.LANGUAGE_CODE
    if not counts:
        return default
    best = max(counts.values())
    return default if counts.get(default) == best else counts.most_common(1)[0][0]


def _render(template: str, letters: list[Letter], title: str, language: str) -> str:
    with translation.override(language):
        return render_to_string(
            template,
            {
                "letters": letters,
                "organisation": organisations.current(),
                "today": timezone.localdate(),
                "document_title": title,
                "document_language": language,
            },
        )


def _unique(ids: list[int]) -> list[int]:
    return list(dict.fromkeys(int(i) for i in ids))


def appointment_letters_html(
    assignment_ids: list[int], *, shifts: QuerySet[Shift] | None = None
) -> Rendered:
    """One letter per assignment that is accepted or checked in (in the given
    order), of ``shifts`` (the reader's scope) if given; the others are left out."""
    ids = _unique(assignment_ids)
    found = _scoped(
        _with_everything(Assignment.objects.filter(pk__in=ids, status__in=FILLED_STATUSES)),
        shifts,
    )
    by_id = {a.pk: a for a in found}
    rows = [by_id[i] for i in ids if i in by_id]
    letters = _letters(
        [(a.volunteer, a.shift.election, [a]) for a in rows],
        invitation=False,
    )
    language = _main_language(letters)
    with translation.override(language):
        title = _document_title(
            gettext("Appointment letter"), gettext("Appointment letters"), letters
        )
    html = _render("pdf/letters.html", letters, title, language)
    return Rendered(html=html, keys=[str(a.pk) for a in rows], assignments=[a.pk for a in rows])


def invitation_letters_html(
    election: Election, volunteer_ids: list[int], *, shifts: QuerySet[Shift] | None = None
) -> Rendered:
    """One letter per volunteer (in the given order) listing every seat they are
    invited to in ``election`` (of ``shifts`` if given) whose answer time has not
    passed. A volunteer with no such invitation is left out."""
    ids = _unique(volunteer_ids)
    now = timezone.now()
    found = _scoped(
        _with_everything(
            Assignment.objects.filter(
                volunteer_id__in=ids,
                shift__election=election,
                status=Assignment.Status.INVITED,
            )
        ),
        shifts,
    )
    per_volunteer: dict[int, list[Assignment]] = {}
    for assignment in found:
        if respond_by(assignment) > now:
            per_volunteer.setdefault(assignment.volunteer_id, []).append(assignment)
    groups = []
    for volunteer_id in ids:
        rows = per_volunteer.get(volunteer_id)
        if rows:
            rows.sort(key=lambda a: (a.shift.starts_at, a.shift.role.sort_order, a.pk))
            groups.append((rows[0].volunteer, election, rows))
    letters = _letters(groups, invitation=True)
    language = _main_language(letters)
    with translation.override(language):
        title = _document_title(
            gettext("Invitation letter"), gettext("Invitation letters"), letters
        )
    html = _render("pdf/invitations.html", letters, title, language)
    return Rendered(
        html=html,
        keys=[str(letter.volunteer.pk) for letter in letters],
        assignments=[s.assignment.pk for letter in letters for s in letter.shifts],
    )


def _document_title(one: str, many: str, letters: list[Letter]) -> str:
    """ "Appointment letter: Karen Jensen" for one letter, "Appointment letters:
    Folketingsvalg 2026" for a batch (the PDF's title, read by screen readers)."""
    if len(letters) == 1:
        return f"{one}: {letters[0].volunteer.full_name}"
    elections = {letter.election.name for letter in letters}
    if len(elections) == 1:
        return f"{many}: {elections.pop()}"
    return many
