"""User text that cannot reorder what is around it.

Unicode's directional embedding, override and isolate controls (U+202A to U+202E,
U+2066 to U+2069) make text display right to left, or reverse it, up to the end of
the line: a station name ending in U+202E turns the roster's footer around it
backwards, and a volunteer's decline reason could scramble the staff page around
it. They are removed on input (``strip_controls``), and names are shown isolated
(``<bdi>``: the ``bdi`` template filter), so that stored text from before
cannot do it either. Right-to-left letters themselves (Arabic, Hebrew names)
are kept: isolation lets them display correctly without spilling over.
"""

from __future__ import annotations

import re

_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\x00]")


def strip_controls(text: str) -> str:
    """Directional controls and NUL bytes removed."""
    return _CONTROLS.sub("", text)
