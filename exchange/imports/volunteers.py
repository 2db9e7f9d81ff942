"""Importing volunteers: check every row in Python with the volunteer rules, find
the people already known a chunk at a time (one query per chunk), then write in
bulk: new people with one INSERT per thousand (``bulk_create``; the database
computes their search and sort columns), changed ones with ``bulk_update``, and
one audit entry each through ``accounts.audit.record_many`` (one COPY on
PostgreSQL). 100,000 rows in well under a minute (``bench.import_volunteers``).

The rules are the volunteer services' (``volunteers.services._clean_volunteer``):
directional controls out, the phone number to E.164 through ``pollcrew.phones``,
each model field's own validation and the model's named constraints, with the
same messages — checked here row by row without a query each (``full_clean``
would ask the database for every constraint of every row).

A row is matched on the key the user picked: the mobile number, the email, or an
external id (kept in ``ExternalVolunteerId``; a new external id whose number or
email is known links that person). A matched row updates only the columns it
fills: an empty cell leaves what is stored. Importing the same file again
therefore changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import User
from exchange.imports import values
from exchange.imports.fields import Mapping
from exchange.imports.readers import Table
from exchange.imports.report import CREATED, REFUSED, ROW, UNCHANGED, UPDATED, Report
from exchange.models import ExternalVolunteerId, MatchKey
from pollcrew.bulk import bulk_insert
from pollcrew.text import strip_controls
from volunteers.models import Volunteer
from volunteers.search import trigram_index_rebuilt_after
from volunteers.services import VOLUNTEER_FIELDS

CHUNK = 2000
COPY_FROM = 1000  # new people from which PostgreSQL gets one COPY
# From this many new people on PostgreSQL, the trigram index is built once after
# the load instead of row by row (volunteers.search.trigram_index_rebuilt_after).
REBUILD_INDEX_FROM = 10000
TEXT_FIELDS = ("address", "postal_code", "city", "diet", "notes")
_MODEL_FIELDS = {name: Volunteer._meta.get_field(name) for name in VOLUNTEER_FIELDS}
_LIMITS = {
    name: field.max_length or 10**9
    for name, field in _MODEL_FIELDS.items()
    if field.get_internal_type() in ("CharField", "TextField") and not field.choices
}
_CONSTRAINTS = {c.name: c for c in Volunteer._meta.constraints}
_LANGUAGES = {
    "da": "da",
    "dansk": "da",
    "danish": "da",
    "en": "en",
    "engelsk": "en",
    "english": "en",
}
_CHANNELS = {"sms": "sms", "email": "email", "e-mail": "email", "mail": "email"}
Progress = Callable[[int], None]


def _message(name: str) -> str:
    return str(_CONSTRAINTS[name].violation_error_message)


@dataclass
class Parsed:
    """One row's values (only the fields the file fills) and what is wrong."""

    line: int
    values: dict[str, Any]
    external_id: str
    problems: list[tuple[str, str]]


@dataclass
class Plan:
    report: Report
    create: list[tuple[Volunteer, str]] = field(default_factory=list)  # (new, external id)
    update: list[tuple[Volunteer, dict[str, list[Any]]]] = field(default_factory=list)
    link: list[tuple[str, int]] = field(default_factory=list)  # (external id, volunteer id)


def _choice(table: dict[str, str], raw: str, name: str, problems: list) -> str | None:
    found = table.get(raw.casefold())
    if found is None:
        choices = _MODEL_FIELDS[name].choices or []
        problems.append(
            (
                name,
                _("“%(value)s” is not one of: %(choices)s.")
                % {"value": raw, "choices": ", ".join(str(c[0]) for c in choices)},
            )
        )
    return found


_TEXTS = ("first_name", "last_name", "email", *TEXT_FIELDS)
_PARSED = (
    ("phone", values.parse_phone),
    ("birth_date", values.parse_date),
    ("do_not_contact", values.parse_bool),
)
_CHOSEN = (("language", _LANGUAGES), ("preferred_channel", _CHANNELS))


def parse_row(cells: list[Any], line: int, mapping: Mapping) -> Parsed:
    """The row's values as the volunteer services take them (only filled cells;
    only the mapped columns are looked at)."""
    got: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for name in _TEXTS:
        column = mapping.get(name)
        if column is not None and cells[column] != "":
            raw = strip_controls(values.text(cells[column]))
            if raw:
                got[name] = raw
    column = mapping.get("full_name")
    if column is not None and not ("first_name" in got and "last_name" in got):
        full = strip_controls(values.text(cells[column]))
        if full:
            first, _sep, last = full.rpartition(" ")
            got.setdefault("first_name", first or last)
            got.setdefault("last_name", last if first else "")
    for name, parse in _PARSED:
        column = mapping.get(name)
        if column is None or cells[column] == "":
            continue
        try:
            value = parse(cells[column])
        except ValidationError as error:
            problems.append((name, values.first_message(error)))
            continue
        if value not in (None, ""):
            got[name] = value
    for name, table in _CHOSEN:
        column = mapping.get(name)
        raw = values.text(cells[column]) if column is not None else ""
        if raw:
            found = _choice(table, raw, name, problems)
            if found:
                got[name] = found
    for name, value in got.items():
        # The field's validators (the messages of the forms); a plain text field
        # has only its length to check, so only a text too long is run through them.
        limit = _LIMITS.get(name)
        if limit is not None and (name == "email" or len(value) > limit):
            try:
                _MODEL_FIELDS[name].run_validators(value)
            except ValidationError as error:
                problems.append((name, values.first_message(error)))
    column = mapping.get("external_id")
    external = values.text(cells[column])[:100] if column is not None else ""
    return Parsed(line, got, external, problems)


def _whole(volunteer: Volunteer, problems: list[tuple[str, str]], today: date) -> None:
    """The rules on the person as it would be stored: required fields and the
    named constraints (the services' full_clean, without a query)."""
    for name in ("first_name", "last_name"):
        if not getattr(volunteer, name):
            problems.append((name, str(_MODEL_FIELDS[name].error_messages["blank"])))
    if volunteer.birth_date is None:
        problems.append(("birth_date", str(_MODEL_FIELDS["birth_date"].error_messages["null"])))
    elif volunteer.birth_date > today:
        problems.append(("birth_date", _("A date of birth cannot be in the future.")))
    if not volunteer.email and not volunteer.phone:
        problems.append((ROW, _message("volunteer_has_email_or_phone")))
    elif not volunteer.address_on(volunteer.preferred_channel):
        problems.append(("preferred_channel", _message("volunteer_channel_has_address")))


_READ = ("pk", *VOLUNTEER_FIELDS)


class Checker:
    """Checks a table's rows a chunk at a time; ``for_commit`` also locks the
    people it will update (so nothing changes between reading and writing)."""

    def __init__(self, table: Table, mapping: Mapping, key: str, *, for_commit: bool) -> None:
        self.table = table
        self.mapping = mapping
        self.key = key
        self.for_commit = for_commit
        self.plan = Plan(Report())
        self.seen: dict[str, dict[str, int]] = {"phone": {}, "email": {}, "external_id": {}}
        self.today = timezone.localdate()
        self.taken: set[int] = set()  # people a row of the file updates already
        self.adopt: tuple[str, int] | None = None  # the row's external id, for a known person

    def run(self, progress: Progress | None = None) -> Plan:
        rows = self.table.rows
        for start in range(0, len(rows), CHUNK):
            parsed = [
                parse_row(rows[i], self.table.lines[i], self.mapping)
                for i in range(start, min(start + CHUNK, len(rows)))
            ]
            self._chunk(parsed, start)
            if progress is not None:
                progress(min(start + CHUNK, len(rows)))
        return self.plan

    def _known(self, parsed: list[Parsed]) -> tuple[dict, dict, dict]:
        """The people the chunk's rows may be: by number, by email (lower case),
        by external id. Two queries at most."""
        phones = {p.values["phone"] for p in parsed if "phone" in p.values}
        emails = {p.values["email"] for p in parsed if "email" in p.values}
        emails |= {e.lower() for e in emails}
        by_external: dict[str, int] = {}
        if self.key == MatchKey.EXTERNAL_ID:
            ids = {p.external_id for p in parsed if p.external_id}
            by_external = dict(
                ExternalVolunteerId.objects.filter(external_id__in=ids).values_list(
                    "external_id", "volunteer_id"
                )
            )
        query = Q(phone__in=phones) | Q(email__in=emails) | Q(pk__in=set(by_external.values()))
        people = Volunteer.objects.filter(query).only(*_READ).order_by("pk")
        if self.for_commit:
            people = people.select_for_update(no_key=True)
        by_phone: dict[str, list[Volunteer]] = {}
        by_email: dict[str, list[Volunteer]] = {}
        by_pk: dict[int, Volunteer] = {}
        for person in people:
            by_pk[person.pk] = person
            if person.phone:
                by_phone.setdefault(person.phone, []).append(person)
            if person.email:
                by_email.setdefault(person.email.lower(), []).append(person)
        return by_phone, by_email, {e: [by_pk[v]] for e, v in by_external.items() if v in by_pk}

    def _chunk(self, parsed: list[Parsed], start: int) -> None:
        by_phone, by_email, by_external = self._known(parsed)
        for offset, row in enumerate(parsed):
            cells = self.table.rows[start + offset]
            problems = list(row.problems)
            person = None
            self.adopt = None
            if not problems:
                person = self._match(row, problems, by_phone, by_email, by_external)
            if not problems:
                if person is None:
                    self._new(row, problems, cells)
                else:
                    self._existing(row, person, problems, cells)
                if not problems:
                    if self.adopt is not None:
                        self.plan.link.append(self.adopt)
                    continue
            self.plan.report.add(
                row.line, REFUSED, _label(row.values), problems=problems, cells=cells
            )

    def _match(self, row, problems, by_phone, by_email, by_external) -> Volunteer | None:
        """The known person the row is, or None (a new one); problems for a row
        whose key is missing or repeated, or whose other address is someone else's."""
        key = self.key
        value = row.external_id if key == MatchKey.EXTERNAL_ID else row.values.get(key, "")
        if key == MatchKey.EMAIL:
            value = value.lower()
        if not value:
            problems.append((key, _("Empty, and the import matches people on it.")))
            return None
        phone, email = row.values.get("phone", ""), row.values.get("email", "").lower()
        for name, mine in ((key, value), ("phone", phone), ("email", email)):
            earlier = self.seen[name].get(mine) if mine else None
            if earlier is not None:
                problems.append(
                    (name, _("The same as on line %(line)d of the file.") % {"line": earlier})
                )
                return None
        for name, mine in ((key, value), ("phone", phone), ("email", email)):
            if mine:
                self.seen[name][mine] = row.line
        on = key
        if key == MatchKey.PHONE:
            found = by_phone.get(value, [])
        elif key == MatchKey.EMAIL:
            found = by_email.get(value, [])
        else:
            found = by_external.get(value, [])
            if not found:  # known by number or email: link the id to them
                on, found = ("phone", by_phone[phone]) if phone in by_phone else ("email", [])
                if not found and email in by_email:
                    on, found = "email", by_email[email]
                if len(found) == 1:
                    self.adopt = (value, found[0].pk)
        if len(found) > 1:
            # A number a family shares, say: which of them the row is cannot be told.
            problems.append((
                on,
                _("Several volunteers have it: %(names)s. Match on another column.")
                % {"names": ", ".join(f"{o.full_name} (#{o.pk})" for o in found[:5])},
            ))  # fmt: skip
            return None
        person = found[0] if found else None
        for name, holders in (
            ("phone", by_phone.get(phone, []) if phone else []),
            ("email", by_email.get(email, []) if email else []),
        ):
            # Someone else's address, unless the person shares it with them already.
            if holders and (person is None or all(h.pk != person.pk for h in holders)):
                other = holders[0]
                problems.append(
                    (
                        name,
                        _("Duplicate of an existing volunteer: %(name)s (#%(id)d) has it.")
                        % {"name": other.full_name, "id": other.pk},
                    )
                )
                return None
        if person is not None and person.pk in self.taken:
            problems.append((ROW, _("Another line of the file is this person already.")))
            return None
        return person

    def _new(self, row: Parsed, problems: list, cells: list) -> None:
        fields = dict(row.values)
        fields.setdefault(
            "preferred_channel",
            Volunteer.Channel.SMS if fields.get("phone") else Volunteer.Channel.EMAIL,
        )
        volunteer = Volunteer(**fields)
        _whole(volunteer, problems, self.today)
        if problems:
            return
        self.plan.create.append((volunteer, row.external_id))
        self.plan.report.add(row.line, CREATED, _label(row.values))

    def _existing(self, row: Parsed, person: Volunteer, problems: list, cells: list) -> None:
        changes = {
            name: [getattr(person, name), value]
            for name, value in row.values.items()
            if getattr(person, name) != value
        }
        self.taken.add(person.pk)
        if not changes:
            self.plan.report.add(row.line, UNCHANGED, person.full_name)
            return
        for name, (_old, new) in changes.items():
            setattr(person, name, new)
        _whole(person, problems, self.today)
        if problems:
            for name, (old, _new) in changes.items():
                setattr(person, name, old)
            return
        self.plan.update.append((person, changes))
        self.plan.report.add(row.line, UPDATED, person.full_name, changed=sorted(changes))


def _label(got: dict[str, Any]) -> str:
    return f"{got.get('first_name', '')} {got.get('last_name', '')}".strip()


def check(table: Table, mapping: Mapping, key: str, progress: Progress | None = None) -> Plan:
    """The dry run: what each row would do (nothing is written)."""
    return Checker(table, mapping, key, for_commit=False).run(progress)


def commit(
    table: Table,
    mapping: Mapping,
    key: str,
    *,
    by: User | None,
    job_id: int | None = None,
    progress: Progress | None = None,
) -> Report:
    """Check again and write every row that passes, in one transaction; refused
    rows are not written at all."""
    with transaction.atomic():
        plan = Checker(table, mapping, key, for_commit=True).run(progress)
        _write(plan, by=by, job_id=job_id)
    return plan.report


def _copy(new: list[Volunteer]) -> None:
    """New people with one COPY on PostgreSQL (``pollcrew.bulk.bulk_insert``: ids
    from the sequence first; the database computes the search and sort columns and
    checks every constraint)."""
    bulk_insert(new, copy_at_least=0)


def _write(plan: Plan, *, by: User | None, job_id: int | None) -> None:
    now = timezone.now()
    actor, actor_kind, actor_label = audit.actor_of(by)
    actor_id = actor.pk if actor is not None else None
    via = {"via": "import", "import": job_id}
    rows: list[tuple] = []
    new = [v for v, _ext in plan.create]
    if new:
        if connection.vendor != "postgresql" or len(new) < COPY_FROM:
            Volunteer.objects.bulk_create(new, batch_size=1000)
        elif len(new) < REBUILD_INDEX_FROM:
            _copy(new)
        else:
            with trigram_index_rebuilt_after(connection):
                _copy(new)
        for volunteer in new:
            given = sorted(
                n for n in VOLUNTEER_FIELDS if getattr(volunteer, n) not in (None, "", False)
            )
            rows.append(
                (now, actor_id, actor_kind, actor_label, "volunteers.create_volunteer",
                 "volunteers.volunteer", volunteer.pk, volunteer.full_name[:300], None, {},
                 {"fields": given, **via}, None)
            )  # fmt: skip
        plan.link += [(ext, v.pk) for v, ext in plan.create if ext]
    if plan.update:
        changed_fields = sorted({n for _p, changes in plan.update for n in changes})
        people = []
        for person, changes in plan.update:
            person.updated_at = now
            people.append(person)
            rows.append(
                (now, actor_id, actor_kind, actor_label, "volunteers.update_volunteer",
                 "volunteers.volunteer", person.pk, person.full_name[:300], None,
                 {k: [audit.json_value(v) for v in pair] for k, pair in changes.items()},
                 via, None)
            )  # fmt: skip
        Volunteer.objects.bulk_update(people, [*changed_fields, "updated_at"], batch_size=1000)
    if plan.link:
        ExternalVolunteerId.objects.bulk_create(
            [ExternalVolunteerId(external_id=e, volunteer_id=v) for e, v in plan.link],
            batch_size=1000,
        )
        for external_id, volunteer_id in plan.link:
            rows.append(
                (now, actor_id, actor_kind, actor_label, "exchange.link_external_id",
                 "volunteers.volunteer", volunteer_id, "", None,
                 {"external_id": [None, external_id]}, via, None)
            )  # fmt: skip
    audit.record_many(rows=rows)
