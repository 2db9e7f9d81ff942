"""Made-up Danish people: names, birth dates, addresses, emails and mobile numbers.

One ``People`` per data set: it remembers the phone numbers and emails it has
handed out, so they are unique. All randomness comes from the given
random.Random, so the output is deterministic.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta
from itertools import accumulate

from bench import danish

# Age bands of poll workers (many are retired), with weights; plus a few 16 and
# 17 year olds, who may only take roles with a lower minimum age.
AGE_BANDS = [(18, 29), (30, 44), (45, 59), (60, 69), (70, 80)]
AGE_WEIGHTS = [12, 18, 28, 25, 17]
UNDER_18_SHARE = 0.03


class People:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.phones: set[str] = set()
        self.emails: set[str] = set()

    def name(self) -> tuple[str, str]:
        """(first name, last name), sometimes with a middle or a double surname."""
        rng = self.rng
        female = rng.random() < 0.55
        first = _weighted(rng, danish.FEMALE_FIRST_NAMES if female else danish.MALE_FIRST_NAMES)
        if rng.random() < 0.08:
            middle = danish.MIDDLE_NAMES_FEMALE if female else danish.MIDDLE_NAMES_MALE
            first = f"{first} {rng.choice(middle)}"
        last = _weighted(rng, danish.LAST_NAMES)
        if rng.random() < 0.05:
            last = f"{_weighted(rng, danish.LAST_NAMES)} {last}"
        return first, last

    def birth_date(self, day: date) -> date:
        """Someone aged 16 to 80 on ``day``."""
        rng = self.rng
        if rng.random() < UNDER_18_SHARE:
            age = rng.choice((16, 17))
        else:
            age = rng.randint(*rng.choices(AGE_BANDS, weights=AGE_WEIGHTS)[0])
        # Born within the year before the day they turned ``age``.
        year = day.year - age
        anchor = date(year, 2, 28) if (day.month, day.day) == (2, 29) else day.replace(year=year)
        return anchor - timedelta(days=rng.randrange(0, 364))

    def street_address(self, *, with_floor: bool = True) -> str:
        rng = self.rng
        address = f"{rng.choice(danish.STREETS)} {rng.randint(1, 140)}"
        if with_floor and rng.random() < 0.3:
            address += f", {rng.choice(danish.FLOORS)}"
        return address

    def phone(self) -> str:
        """A unique, valid Danish mobile number in E.164."""
        return danish.mobile_number(self.rng, self.phones)

    def email(self, first: str, last: str, birth: date) -> str:
        """A unique address on a reserved example domain, in the usual Danish styles."""
        rng = self.rng
        domain = rng.choice(danish.EMAIL_DOMAINS)
        style = rng.random()
        given, family = first.split()[0], last.split()[-1]
        if style < 0.5:
            local = danish.email_local(given, family)
        elif style < 0.8:
            local = danish.email_local(given) + f"{birth.year % 100:02d}"
        else:
            local = danish.email_local(given[:2] + family[:2])
        email = f"{local}@{domain}"
        n = 2
        while email in self.emails:
            email = f"{local}{n}@{domain}"
            n += 1
        self.emails.add(email)
        return email


def pretty_phone(e164: str) -> str:
    """'+4520123456' -> '+45 20 12 34 56'."""
    n = e164[3:]
    return f"+45 {n[0:2]} {n[2:4]} {n[4:6]} {n[6:8]}"


_CUMULATIVE: dict[int, tuple[list[str], list[int]]] = {}


def _weighted(rng: random.Random, table: Sequence[tuple[str, int]]) -> str:
    """A name from a (name, weight) table; the cumulative weights are computed once."""
    names, cum = _CUMULATIVE.get(id(table)) or _CUMULATIVE.setdefault(
        id(table), ([name for name, _ in table], list(accumulate(w for _, w in table)))
    )
    return rng.choices(names, cum_weights=cum)[0]
