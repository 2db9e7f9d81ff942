"""Checking an uploaded organisation logo: a PNG or an SVG, small, and safe to
show in a page and to print.

The kind is read from the bytes, never from the file name or the browser's
content type. A PNG must start with the PNG signature and pass Pillow's
``verify`` with sane dimensions. An SVG must be well-formed XML whose root is an
``<svg>`` element in the SVG namespace, with no document type (no entities: no
"billion laughs", no external entities), no processing instructions, no script
(``<script>``, ``on…`` attributes, ``javascript:``), no ``<foreignObject>`` (HTML
inside the image) and no reference to anything outside the file: every href is
a ``#fragment`` or an inline PNG (``data:image/png``), and styles load nothing.
Failures are ``ValidationError``s with translated messages, for a form field.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from typing import IO, Literal
from xml.parsers import expat

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

LogoKind = Literal["png", "svg"]

MAX_LOGO_BYTES = 1024 * 1024
# A letterhead logo; more than this is a photograph, or an attack on memory.
MAX_LOGO_PIXELS = 4000
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SVG_NAMESPACE = "http://www.w3.org/2000/svg"

# Elements that run code, embed other documents or HTML.
_FORBIDDEN_ELEMENTS = {"script", "foreignobject", "iframe", "embed", "object", "handler"}
# Attributes that name another resource.
_LINK_ATTRIBUTES = {"href", "src"}
_SAFE_DATA = re.compile(r"^data:image/png[;,]", re.IGNORECASE)
_CSS_URL = re.compile(r"url\s*\(\s*(['\"]?)(.*?)\1\s*\)", re.IGNORECASE | re.DOTALL)
_CSS_IMPORT = re.compile(r"@import", re.IGNORECASE)
# Ways CSS loads a file without a plain url(…) the check above could read: an
# escaped "url" (\75rl), or image-set("file.png") with a bare string.
_CSS_HIDDEN_LOAD = re.compile(r"\\|image-set\s*\(|image\s*\(", re.IGNORECASE)


EXTERNAL = _(
    "The SVG image refers to a file outside it (only #links and inline PNG images are allowed)."
)
SCRIPT_ATTRIBUTE = _(
    "The SVG image contains a script (the %(attribute)s attribute), which is not allowed."
)
SCRIPT_ELEMENT = _(
    "The SVG image contains a script or embedded content (<%(element)s>), which is not allowed."
)


def _local(name: str) -> str:
    """An element or attribute name without its namespace, lower-cased."""
    return name.rsplit("}", 1)[-1].rsplit(":", 1)[-1].lower()


def _safe_reference(value: str) -> bool:
    value = value.strip()
    return value.startswith("#") or bool(_SAFE_DATA.match(value))


def _check_css(css: str) -> None:
    if _CSS_IMPORT.search(css):
        raise ValidationError(
            _("The SVG image loads a style sheet from elsewhere."), code="svg_external"
        )
    if _CSS_HIDDEN_LOAD.search(css):
        raise ValidationError(EXTERNAL, code="svg_external")
    for match in _CSS_URL.finditer(css):
        if not _safe_reference(match.group(2)):
            raise ValidationError(EXTERNAL, code="svg_external")


def _refuse_declarations(data: bytes) -> None:
    """Parse once with expat alone, refusing a document type, entities and
    processing instructions before anything could expand or fetch them."""

    def doctype(*_args: object) -> None:
        raise ValidationError(
            _("The SVG image has a document type (DOCTYPE or ENTITY), which is not allowed."),
            code="svg_doctype",
        )

    def instruction(*_args: object) -> None:
        raise ValidationError(
            _("The SVG image has a processing instruction, which is not allowed."),
            code="svg_instruction",
        )

    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    parser.UnparsedEntityDeclHandler = doctype
    parser.ExternalEntityRefHandler = doctype
    parser.ProcessingInstructionHandler = instruction
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise ValidationError(
            _("The file is not a readable SVG image."), code="svg_invalid"
        ) from exc


def check_svg(data: bytes) -> None:
    _refuse_declarations(data)
    try:
        # Safe: _refuse_declarations has refused any DOCTYPE or entity.
        root = ET.fromstring(data)  # noqa: S314
    except ET.ParseError as exc:
        raise ValidationError(
            _("The file is not a readable SVG image."), code="svg_invalid"
        ) from exc
    if root.tag != f"{{{SVG_NAMESPACE}}}svg":
        raise ValidationError(
            _("The file is not an SVG image (its root must be an <svg> element)."),
            code="svg_not_svg",
        )
    for element in root.iter():
        tag = _local(element.tag) if isinstance(element.tag, str) else ""
        if tag in _FORBIDDEN_ELEMENTS:
            raise ValidationError(
                SCRIPT_ELEMENT,
                code="svg_script",
                params={"element": tag},
            )
        if tag == "style" and element.text:
            _check_css(element.text)
        for name, value in element.attrib.items():
            attribute = _local(name)
            if attribute.startswith("on"):
                raise ValidationError(
                    SCRIPT_ATTRIBUTE,
                    code="svg_script",
                    params={"attribute": attribute},
                )
            if attribute in _LINK_ATTRIBUTES and not _safe_reference(value):
                raise ValidationError(
                    EXTERNAL,
                    code="svg_external",
                )
            if attribute == "attributename" and (
                _local(value) in _LINK_ATTRIBUTES or _local(value).startswith("on")
            ):
                # <set attributeName="href" to="javascript:…">
                raise ValidationError(
                    SCRIPT_ATTRIBUTE,
                    code="svg_script",
                    params={"attribute": value},
                )
            if attribute == "style" or "url" in value.lower():
                # A style, or a paint like fill="url(https://…)".
                _check_css(value)
            if "javascript:" in re.sub(r"\s", "", value).lower():
                raise ValidationError(
                    SCRIPT_ATTRIBUTE,
                    code="svg_script",
                    params={"attribute": attribute},
                )


def check_png(data: bytes) -> None:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            image_format = image.format
            width, height = image.size
            image.verify()
    except Exception as exc:  # Pillow raises many kinds for a broken file
        raise ValidationError(
            _("The file is not a readable PNG image."), code="png_invalid"
        ) from exc
    if image_format != "PNG":
        raise ValidationError(_("The file is not a readable PNG image."), code="png_invalid")
    if not (1 <= width <= MAX_LOGO_PIXELS and 1 <= height <= MAX_LOGO_PIXELS):
        raise ValidationError(
            _("The image is %(width)s by %(height)s pixels; at most %(max)s by %(max)s."),
            code="png_size",
            params={"width": width, "height": height, "max": MAX_LOGO_PIXELS},
        )


def _looks_like_xml(data: bytes) -> bool:
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<")


def check_logo(file: IO[bytes]) -> tuple[LogoKind, bytes]:
    """The logo's kind and bytes, or a ValidationError saying what is wrong."""
    size = getattr(file, "size", None)
    if size is not None and size > MAX_LOGO_BYTES:
        raise ValidationError(_("The logo is too large: at most 1 MB."), code="too_large")
    if hasattr(file, "seek"):
        file.seek(0)
    data = file.read(MAX_LOGO_BYTES + 1)
    if len(data) > MAX_LOGO_BYTES:
        raise ValidationError(_("The logo is too large: at most 1 MB."), code="too_large")
    if not data:
        raise ValidationError(_("The logo file is empty."), code="empty")
    if data.startswith(PNG_SIGNATURE):
        check_png(data)
        return "png", data
    if _looks_like_xml(data):
        check_svg(data)
        return "svg", data
    raise ValidationError(_("The logo must be a PNG or an SVG image."), code="wrong_type")
