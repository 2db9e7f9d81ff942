"""QR codes for printed documents (segno), as inline SVG that WeasyPrint draws
as vectors: sharp at any printer resolution, no image files, no network.

The SVG carries ``role="img"`` and an ``aria-label`` so a tagged PDF can give it
alternative text; the caller passes what a screen reader should say.

For batches (3,000 appointment letters) ``qr_png_data_uri`` is much cheaper: a
PNG of one pixel per module, which the document shows without interpolation
(``image-rendering: pixelated``), so it prints as sharp as the SVG. WeasyPrint
parses an inline SVG path of a QR code in about 20 ms; it embeds the 300-byte PNG
as it is. Its mask is fixed: segno tries all eight for the best-scoring pattern,
which took 15 ms a code; any mask decodes, the score only prefers the prettier.
"""

from __future__ import annotations

import base64
import io

import segno
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def qr_svg(data: str, *, label: str, size_mm: float = 28) -> SafeString:
    """An inline SVG QR code for ``data`` (error correction M, quiet zone 4),
    drawn ``size_mm`` wide. ``label`` is the alternative text."""
    code = segno.make(data, error="m", micro=False)
    svg = code.svg_inline(
        scale=1,
        border=4,
        omitsize=True,  # viewBox only: the stylesheet sets the size
        svgclass="qr",
        lineclass=None,
    )
    # segno's markup is its own (no user text in it); the label is escaped.
    size = f"width:{size_mm}mm;height:{size_mm}mm"
    opening = f'<svg role="img" aria-label="{escape(label)}" style="{size}"'
    return mark_safe(svg.replace("<svg", opening, 1))  # noqa: S308


# Any of the eight masks (ISO/IEC 18004 7.8) gives a valid code; one is chosen so
# that segno need not score all eight.
FIXED_MASK = 2


def qr_png_data_uri(data: str) -> str:
    """A ``data:image/png;base64,…`` URI of a QR code for ``data`` (error
    correction M, quiet zone 4): one pixel per module, black on white. Show it
    with ``image-rendering: pixelated`` at the printed size."""
    code = segno.make(data, error="m", micro=False, mask=FIXED_MASK)
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=1, border=4)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
