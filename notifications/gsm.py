"""SMS text encoding (GSM 03.38): what fits the 7-bit alphabet, and what a body costs.

One character outside the GSM-7 alphabet (a typographic dash pasted from a word
processor, a name like "Zoë") switches the whole SMS to UCS-2, cutting a segment
from 160 to 70 characters and doubling or tripling the price of a message round.
``to_gsm7`` replaces such characters with their closest GSM-7 spelling when there
is one; Danish letters (æ ø å Æ Ø Å) are GSM-7 already and are kept.
"""

from __future__ import annotations

import math
import unicodedata

# The basic character set, in table order (0x00-0x7F); 0x1B is the escape to the extension.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each of these costs two septets.
GSM7_EXTENDED = frozenset("\f^{}\\[~]|€")

SINGLE_GSM7, MULTI_GSM7 = 160, 153
SINGLE_UCS2, MULTI_UCS2 = 70, 67

_LOOKALIKES = str.maketrans(
    {
        "\u2010": "-",  # hyphen
        "\u2011": "-",  # non-breaking hyphen
        "\u2012": "-",  # figure dash
        "\u2013": "-",  # en dash
        "\u2014": "-",  # em dash
        "\u2212": "-",  # minus sign
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2026": "...",
        "\u00a0": " ",  # no-break space
        "\u202f": " ",  # narrow no-break space (French/Danish number formats)
        "\u2009": " ",  # thin space
        "\t": " ",
        "\u2022": "-",  # bullet
        "\u00b7": "-",
        # Letters with a stroke or a ligature, which have no decomposition.
        "\u0141": "L",  # Ł
        "\u0142": "l",  # ł
        "\u0110": "D",  # Đ
        "\u0111": "d",  # đ
        "\u0131": "i",  # dotless i
        "\u0152": "OE",  # Œ
        "\u0153": "oe",  # œ
        "\u00de": "Th",  # Þ
        "\u00fe": "th",  # þ
        "\u00f0": "d",  # ð
    }
)


_GSM7 = GSM7_BASIC | GSM7_EXTENDED


def is_gsm7(text: str) -> bool:
    return _GSM7.issuperset(text)


def _closest_gsm7(ch: str) -> str:
    if ch in GSM7_BASIC or ch in GSM7_EXTENDED:
        return ch
    # Drop accents the alphabet lacks ("ë" → "e", "ç" → "c"); keep letters it can't spell.
    stripped = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    return stripped if stripped and is_gsm7(stripped) else ch


def to_gsm7(text: str) -> str:
    """``text`` with look-alike characters replaced by GSM-7 ones where possible."""
    text = text.translate(_LOOKALIKES)
    if is_gsm7(text):
        return text
    return "".join(_closest_gsm7(ch) for ch in text)


def gsm7_units(text: str) -> int:
    """Septets ``text`` takes in GSM-7 (extension characters count twice)."""
    return len(text) + sum(map(text.count, GSM7_EXTENDED.intersection(text)))


def segments(text: str) -> int:
    """How many SMS segments ``text`` is sent as (and billed for)."""
    if is_gsm7(text):
        units = gsm7_units(text)
        return 1 if units <= SINGLE_GSM7 else math.ceil(units / MULTI_GSM7)
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= SINGLE_UCS2 else math.ceil(units / MULTI_UCS2)


def overflow(text: str, max_segments: int) -> int:
    """How many characters ``text`` is over ``max_segments`` segments; 0 if it fits."""
    if is_gsm7(text):
        units = gsm7_units(text)
        limit = SINGLE_GSM7 if max_segments == 1 else MULTI_GSM7 * max_segments
    else:
        units = len(text.encode("utf-16-le")) // 2
        limit = SINGLE_UCS2 if max_segments == 1 else MULTI_UCS2 * max_segments
    return max(0, units - limit)
