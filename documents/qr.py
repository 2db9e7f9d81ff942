"""QR codes for printed documents (segno), as inline SVG that WeasyPrint draws
as vectors: sharp at any printer resolution, no image files, no network.

The SVG carries ``role="img"`` and an ``aria-label`` so a tagged PDF can give it
alternative text; the caller passes what a screen reader should say.
"""

from __future__ import annotations

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
