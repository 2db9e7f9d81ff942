"""Ids typed into URLs and forms by whoever sends the request."""

from __future__ import annotations

# Ids are database keys: positive and within a signed 64-bit integer everywhere
# (and far below the limit of str → int conversion).
MAX_ID = 2**63 - 1


def parse_id(value: object) -> int | None:
    """``value`` as an id if it is a plain positive whole number in ASCII digits
    ("7"), else None — never an error: "²", "٣", "-1", "1e3", 5,000 digits and
    numbers too large for the database are all None."""
    text = str(value).strip()
    if not text or len(text) > 19 or not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None
