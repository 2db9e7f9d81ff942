"""Finding people by name, phone number or email, the way Danes type them.

"soren", "soeren", "søren" and "SØREN" all find Søren; "aagaard" finds Ågård and
"ågård" finds Aagaard; "kjaer" finds Kjær; accents and case do not matter
("rene" finds René, "muller" finds Müller); "20 12 34 56" finds +4520123456.

How: every volunteer row carries two columns the database computes itself
(``GeneratedField``, so every writer keeps them right: the services, the admin,
bulk loads, retention's anonymisation):

- ``search_text``: the name and email *plain-folded* (lower case, accents off,
  Æ/Ø/Å kept), the phone number, then the name and email *Danish-folded* (æ, ae,
  ä → a; ø, oe, ö → o; å, aa → a). A search term is Danish-folded in Python and
  must be a substring of it: a term with a Danish letter or digraph meets the
  Danish-folded half, a plain fragment ("ensen" of Joensen) the plain half.
- ``sort_name``: "last first", plain-folded, with aa read as å and Æ Ø Å put
  after Z, compared byte by byte: Danish alphabetical order in SQL, so that a
  page of 50 out of 100,000 is an index scan, not a sort in Python.

The same steps are applied in SQL (``Folded``) and in Python (``fold``), and a
test compares the two on awkward names for both databases. On PostgreSQL a
trigram (pg_trgm) GIN index serves ``search_text LIKE '%term%'``; SQLite scans.

Changing a step changes what new databases compute, not existing columns: a
change needs a migration that re-creates the two columns (and the index).

This module is below elections and staffing (layer 3): the candidate search can
use it (``matching``) as the volunteer list does.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import reduce
from operator import and_
from typing import Any

from django.db import connection as default_connection
from django.db.backends.signals import connection_created
from django.db.models import F, Func, Q, QuerySet, TextField
from django.db.models.expressions import Expression
from django.dispatch import receiver

MAX_TERMS = 5
MAX_QUERY_LENGTH = 200

# --- the folding steps (shared by SQL and Python) -----------------------------------------

# Letters kept as themselves by the plain fold (lower-cased): Danish sorts them apart.
_DANISH = {"Æ": "æ", "æ": "æ", "Ø": "ø", "ø": "ø", "Å": "å", "å": "å"}
# Letters without a decomposition to an ASCII letter, or read as a Danish letter.
_SPECIAL = {
    "Ä": "æ", "ä": "æ", "Ö": "ø", "ö": "ø", "Œ": "ø", "œ": "ø",
    "ß": "s", "Ð": "d", "ð": "d", "Đ": "d", "đ": "d", "Þ": "t", "þ": "t",
    "Ħ": "h", "ħ": "h", "\u0131": "i", "ĸ": "k", "Ł": "l", "ł": "l", "ŉ": "n",
    "Ŋ": "n", "ŋ": "n", "Ŧ": "t", "ŧ": "t",
}  # fmt: skip


def _one_to_one() -> dict[str, str]:
    """Every letter from U+00C0 to U+017F (Latin-1 and Latin Extended-A: European
    names) to one lower-case letter, and A-Z to a-z. One character to one, so
    that PostgreSQL does it in one translate()."""
    table = {chr(c): chr(c).lower() for c in range(ord("A"), ord("Z") + 1)}
    for code in range(0xC0, 0x180):
        char = chr(code)
        if not unicodedata.category(char).startswith("L"):
            continue  # the multiplication and division signs
        if char in _DANISH or char in _SPECIAL:
            table[char] = {**_DANISH, **_SPECIAL}[char]
            continue
        base = unicodedata.normalize("NFKD", char)[0].lower()
        if "a" <= base <= "z":
            table[char] = base
    return table


ONE_TO_ONE: dict[str, str] = _one_to_one()
_TRANSLATION = str.maketrans(ONE_TO_ONE)

# After the plain fold: the Danish letters and their spellings become one letter.
DANISH_STEPS: tuple[tuple[str, str], ...] = (
    ("æ", "a"),
    ("ø", "o"),
    ("å", "a"),
    ("aa", "a"),
    ("ae", "a"),
    ("oe", "o"),
)
# After the plain fold, for sorting: aa is å, and Æ Ø Å come after z ({, |, }).
SORT_STEPS: tuple[tuple[str, str], ...] = (
    ("aa", "å"),
    ("æ", "{"),
    ("ø", "|"),
    ("å", "}"),
)


def plain_fold(text: str) -> str:
    """Lower case, accents off, Æ Ø Å kept: "Søren Müller-René" → "søren muller-rene"."""
    return text.translate(_TRANSLATION)


def _steps(text: str, steps: tuple[tuple[str, str], ...]) -> str:
    for old, new in steps:
        text = text.replace(old, new)
    return text


def fold(text: str) -> str:
    """The Danish fold: "Søren" → "soren", "Kjærgaard" → "kjargard", "SOEREN" → "soren"."""
    return _steps(plain_fold(text), DANISH_STEPS)


def sort_key(last_name: str, first_name: str) -> str:
    """What ``sort_name`` holds: byte order is Danish alphabetical order."""
    return _steps(plain_fold(f"{last_name} {first_name}"), SORT_STEPS)


def search_text(first_name: str, last_name: str, email: str, phone: str) -> str:
    """What ``search_text`` holds for these values (the column is computed by the
    database; this is its twin for tests and for Python-side checks)."""
    plain = [plain_fold(first_name), plain_fold(last_name), plain_fold(email)]
    danish = [_steps(p, DANISH_STEPS) for p in plain]
    return " ".join([*plain, phone, *danish])


# --- the same in SQL ---------------------------------------------------------------------


class Folded(Func):
    """``Folded(expression, steps="danish"|"sort"|"")``: the plain fold of a text
    expression, then the named steps, in SQL that both databases accept in a
    generated column (immutable on PostgreSQL: translate() and replace())."""

    output_field = TextField()
    _STEPS: dict[str, tuple[tuple[str, str], ...]] = {
        "": (),
        "danish": DANISH_STEPS,
        "sort": SORT_STEPS,
    }

    def __init__(self, expression: Any, steps: str = "", **extra: Any) -> None:
        if steps not in self._STEPS:
            raise ValueError(f"unknown folding steps {steps!r}")
        self.steps = steps
        super().__init__(expression, **extra)

    def as_sql(self, compiler, connection, **extra_context):  # type: ignore[override]
        sql, params = compiler.compile(self.source_expressions[0])
        params = list(params)
        if connection.vendor == "postgresql":
            sources = "".join(ONE_TO_ONE)
            sql = f"TRANSLATE({sql}, %s, %s)"
            params.extend([sources, "".join(ONE_TO_ONE[c] for c in sources)])
            for old, new in self._STEPS[self.steps]:
                sql = f"REPLACE({sql}, %s, %s)"
                params.extend([old, new])
            return sql, tuple(params)
        # SQLite cannot parse 150 nested REPLACE()s: the same steps in Python,
        # registered on every connection as a deterministic function (below).
        return f"PC_FOLD({sql}, %s)", (*params, self.steps)


def _sqlite_fold(value: str | None, steps: str) -> str | None:
    if value is None:
        return None
    return _steps(plain_fold(value), Folded._STEPS[steps])


@receiver(connection_created)
def _register_sqlite_fold(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("PC_FOLD", 2, _sqlite_fold, deterministic=True)


class Concatenated(Func):
    """Text expressions joined with spaces (``||``: immutable on PostgreSQL, and
    the columns joined are never NULL)."""

    output_field = TextField()
    arg_joiner = " || ' ' || "
    template = "(%(expressions)s)"


def search_text_expression() -> Expression:
    plain = [Folded(F(name)) for name in ("first_name", "last_name", "email")]
    danish = [Folded(F(name), steps="danish") for name in ("first_name", "last_name", "email")]
    return Concatenated(*plain, F("phone"), *danish)


def sort_name_expression() -> Expression:
    return Folded(Concatenated(F("last_name"), F("first_name")), steps="sort")


class ByteOrder(Func):
    """Order by bytes: ``sort_name`` is built for that. PostgreSQL's default
    collation may ignore the {, |, } that put Æ Ø Å after Z, so COLLATE "C";
    SQLite compares bytes already."""

    output_field = TextField()
    template = "%(expressions)s"

    def as_postgresql(self, compiler, connection, **extra_context):  # type: ignore[no-untyped-def]
        sql, params = compiler.compile(self.source_expressions[0])
        return f'({sql} COLLATE "C")', params


def in_danish_order(queryset: QuerySet[Any]) -> QuerySet[Any]:
    """Volunteers by last name, then first name, in Danish order (served by the
    ``volunteer_sort_idx`` index)."""
    return queryset.order_by(ByteOrder(F("sort_name")), "pk")


# --- queries -----------------------------------------------------------------------------

_PHONE_LIKE = re.compile(r"[\d\s+()./-]+")


def terms(query: str) -> list[str]:
    """The folded terms a query stands for. A query that is a phone number in any
    spelling ("20 12 34 56", "+45 2012 3456", "0045…") is one term of its digits."""
    text = (query or "")[:MAX_QUERY_LENGTH].strip()
    if not text:
        return []
    if _PHONE_LIKE.fullmatch(text) and sum(c.isdigit() for c in text) >= 3:
        digits = re.sub(r"\D", "", text)
        if text.startswith("00"):
            digits = digits[2:]
        return [digits] if digits else []
    found: list[str] = []
    for word in text.split():
        folded = fold(word)
        if folded and folded not in found:
            found.append(folded)
    return found[:MAX_TERMS]


def matching(queryset: QuerySet[Any], query: str) -> QuerySet[Any]:
    """The volunteers of ``queryset`` whose name, email or phone number contain
    every term of ``query`` (all of them for an empty query)."""
    found = terms(query)
    if not found:
        return queryset
    return queryset.filter(reduce(and_, (Q(search_text__contains=t) for t in found)))


# --- likely duplicates -------------------------------------------------------------------


@dataclass(frozen=True)
class Duplicate:
    volunteer: Any  # a Volunteer
    reasons: tuple[str, ...]  # "phone", "email", "name_birth_date"


def same_name(a_first: str, a_last: str, b_first: str, b_last: str) -> bool:
    return fold(f"{a_first} {a_last}").split() == fold(f"{b_first} {b_last}").split()


def likely_duplicates(
    queryset: QuerySet[Any],
    *,
    first_name: str,
    last_name: str,
    birth_date: date | None,
    email: str,
    phone: str,
    exclude_pk: int | None = None,
    limit: int = 10,
) -> list[Duplicate]:
    """Records in ``queryset`` that are likely the same person: the same mobile
    number, the same email (any case), or the same name (Danish-folded) and birth
    date. One query."""
    condition = Q()
    if phone:
        condition |= Q(phone=phone)
    if email:
        condition |= Q(email__iexact=email.strip())
    if birth_date:
        condition |= Q(birth_date=birth_date)
    if not condition:
        return []
    candidates = queryset.filter(condition)
    if exclude_pk is not None:
        candidates = candidates.exclude(pk=exclude_pk)
    found = []
    for other in in_danish_order(candidates)[:200]:
        reasons = []
        if phone and other.phone == phone:
            reasons.append("phone")
        if email and other.email.strip().lower() == email.strip().lower():
            reasons.append("email")
        if (
            birth_date
            and other.birth_date == birth_date
            and same_name(first_name, last_name, other.first_name, other.last_name)
        ):
            reasons.append("name_birth_date")
        if reasons:
            found.append(Duplicate(other, tuple(reasons)))
    return found[:limit]


# --- bulk loads ---------------------------------------------------------------------------

TRIGRAM_INDEX = "volunteer_search_trgm_idx"  # made by migration 0005


@contextmanager
def trigram_index_rebuilt_after(connection: Any = default_connection) -> Iterator[None]:
    """For bulk loads on PostgreSQL (the data generator, an import of a whole
    register): drop the trigram index, load, then build it once. Keeping it up to
    date row by row makes inserting about 2.5 times slower. Use it inside the
    load's transaction; on SQLite (no such index) it does nothing."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")
    yield
    with connection.cursor() as cursor:
        # Foreign keys are checked at commit (deferred): PostgreSQL builds no index on
        # a table with checks still pending, so run them now, then defer again.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS {TRIGRAM_INDEX} ON volunteers_volunteer "
            "USING gin (search_text gin_trgm_ops)"
        )
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
