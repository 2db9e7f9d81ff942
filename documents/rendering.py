"""HTML to PDF with WeasyPrint, through a URL fetcher that serves only local
static files and media files (the organisation's logo): a template can never make
the server fetch from the network or read a file outside those two roots.

Documents are parsed with a base URL on a reserved, never-resolvable origin
(``.invalid``, RFC 2606), so ``{% static %}`` paths and relative references
inside stylesheets (``url(../fonts/x.woff2)``) resolve like they do in a
browser. The fetcher maps URLs under that origin's ``STATIC_URL`` to files the
static-files finders know; everything else (http, https, file, ftp, any other
data: URL…) is refused without being opened. The one exception is a small inline
PNG (``data:image/png;base64,…``, at most 64 KB, checked to be a PNG): the QR codes
of a batch of letters (documents.qr.qr_png_data_uri). It reads nothing and
reaches nothing: the bytes are in the document already.

WeasyPrint 70 API: ``url_fetcher`` is a :class:`weasyprint.urls.URLFetcher`
instance whose ``fetch(url, headers=None)`` returns a ``URLFetcherResponse``.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
import threading
from collections.abc import Sequence
from pathlib import Path
from urllib import request
from urllib.parse import unquote, urlsplit

import pydyf
from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import SuspiciousFileOperation
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse, URLFetchingError

# The origin documents are "served" from. Nothing listens there and nothing is
# ever requested from it: the fetcher below answers from the local disk.
DOCUMENT_ORIGIN = "http://documents.pollcrew.invalid"
DOCUMENT_BASE_URL = DOCUMENT_ORIGIN + "/"


class BlockedURL(URLFetchingError):
    """A document asked for something that is not a local static file."""


def _prefixes(url: str) -> list[str]:
    """URL prefixes that mean "a file under ``url``", as the templates write them."""
    if urlsplit(url).scheme:
        # A CDN-style absolute STATIC_URL/MEDIA_URL: map it to the local copy, never fetch it.
        return [url]
    return [DOCUMENT_ORIGIN + "/" + url.lstrip("/")]


def _static_prefixes() -> list[str]:
    return _prefixes(settings.STATIC_URL)


def _find_media_file(relative: str) -> Path | None:
    """The local media file (an uploaded logo) for a path, or None. Never
    leaves MEDIA_ROOT: traversal and links out of it are refused."""
    if not relative or relative.endswith("/") or "\x00" in relative:
        return None
    root = Path(settings.MEDIA_ROOT).resolve()
    candidate = (root / relative).resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate


def _find_static_file(relative: str) -> Path | None:
    """The local file for a static path, or None. Never leaves the static roots."""
    if not relative or relative.endswith("/"):
        return None
    try:
        found = finders.find(relative)
        if not found and settings.STATIC_ROOT:
            # Hashed names ({% static %} with a manifest storage) exist only
            # in STATIC_ROOT after collectstatic.
            candidate = Path(staticfiles_storage.path(relative))
            root = Path(settings.STATIC_ROOT).resolve()
            if candidate.resolve().is_relative_to(root):
                found = str(candidate)
    except (SuspiciousFileOperation, ValueError, NotImplementedError):
        return None  # "../" traversal, NUL bytes, or a storage without local paths
    if not found:
        return None
    path = Path(found[0] if isinstance(found, list) else found)
    return path if path.is_file() else None


def static_path_for_url(url: str) -> Path | None:
    """The local static file ``url`` stands for, or None if it is anything else."""
    if "?" in url or "#" in url:
        url = url.split("#", 1)[0].split("?", 1)[0]
    for prefix in _static_prefixes():
        if url.startswith(prefix):
            return _find_static_file(unquote(url[len(prefix) :]))
    for prefix in _prefixes(settings.MEDIA_URL):
        if url.startswith(prefix):
            return _find_media_file(unquote(url[len(prefix) :]))
    return None


PNG_DATA_PREFIX = "data:image/png;base64,"
PNG_DATA_MAX_BYTES = 64 * 1024
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def inline_png(url: str) -> bytes | None:
    """The bytes of a small inline PNG (``data:image/png;base64,…``), or None for
    any other URL, a bad encoding, something that is not a PNG, or more than 64 KB."""
    if not url.startswith(PNG_DATA_PREFIX):
        return None
    encoded = url[len(PNG_DATA_PREFIX) :]
    if len(encoded) > PNG_DATA_MAX_BYTES * 4 // 3 + 4:
        return None
    try:
        body = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None
    return body if body.startswith(_PNG_SIGNATURE) else None


class LocalStaticFetcher(URLFetcher):
    """Serves static files from the local disk; refuses every other URL.

    ``fetch`` is the only way WeasyPrint asks for a resource, and it never calls
    the network-capable ``urllib`` machinery of the base class.
    """

    def __init__(self) -> None:
        # No handlers: even a stray call to the base class's open() could not
        # reach the network or the file system.
        super().__init__(allowed_protocols=(), allow_redirects=False, fail_on_errors=False)
        request.OpenerDirector.__init__(self)

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        png = inline_png(url)
        if png is not None:
            return URLFetcherResponse(url, body=png, headers={"Content-Type": "image/png"})
        path = static_path_for_url(url)
        if path is None:
            raise BlockedURL(f"Only local static and media files may be used in documents: {url!r}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(
            url, body=path.read_bytes(), headers={"Content-Type": content_type}
        )


def _page_references(pdf: pydyf.PDF) -> tuple[bytes, ...]:
    """pydyf's ``PDF.page_references``, kept between reads while no page is added.

    pydyf builds the tuple of every page's reference anew on each read, and
    WeasyPrint's PDF/UA tagging reads it once per tagged box: quadratic in the
    pages (a 3,000-letter document spent most of its time there). Pages are only
    ever appended (``add_page``), so the page count tells whether it is current.
    """
    kids = pdf.pages["Kids"]
    cached = pdf.__dict__.get("_page_references")
    if cached is None or cached[0] != len(kids):
        cached = (len(kids), tuple(f"{number} 0 R".encode("ascii") for number in kids[::3]))
        pdf.__dict__["_page_references"] = cached
    return cached[1]


if isinstance(getattr(pydyf.PDF, "page_references", None), property):
    pydyf.PDF.page_references = property(_page_references)  # type: ignore[method-assign]


_local = threading.local()


def _font_config() -> FontConfiguration:
    """One font configuration per thread: each @font-face file is fetched and
    decompressed once, then reused by every later document."""
    config = getattr(_local, "font_config", None)
    if config is None:
        config = _local.font_config = FontConfiguration()
    return config


# Every document is a tagged PDF (PDF/UA-1): a structure tree, the document's
# language and title, so that screen readers read letters in the right order.
PDF_VARIANT = "pdf/ua-1"


def render_pdf(html: str) -> bytes:
    """One PDF from one HTML document (``<html lang>`` and ``<title>`` required
    for PDF/UA). A batch of letters is one HTML document with page breaks:
    WeasyPrint lays out a hundred letters in one go far faster than one by one."""
    fetcher = LocalStaticFetcher()
    document = HTML(string=html, base_url=DOCUMENT_BASE_URL, url_fetcher=fetcher)
    return document.write_pdf(font_config=_font_config(), pdf_variant=PDF_VARIANT)


def _stylesheet(relative: str) -> CSS:
    """The static stylesheet ``relative`` ("pdf/roster.css"), parsed once per
    thread and kept (parsed again if the file changes)."""
    path = _find_static_file(relative)
    if path is None:
        raise BlockedURL(f"No such static stylesheet: {relative!r}")
    sheets = getattr(_local, "stylesheets", None)
    if sheets is None:
        sheets = _local.stylesheets = {}
    key = (relative, path.stat().st_mtime_ns)
    sheet = sheets.get(key)
    if sheet is None:
        sheet = sheets[key] = CSS(
            url=_static_prefixes()[0] + relative,
            url_fetcher=LocalStaticFetcher(),
            font_config=_font_config(),
        )
    return sheet


def render_pdf_styled(html: str, stylesheets: Sequence[str]) -> bytes:
    """Like render_pdf, for a document that does not link its stylesheets: they
    are given as static paths and parsed once per thread, not once per document
    (WeasyPrint parses a linked stylesheet for every document: about 15 ms of the
    station roster's 0.3 s). They apply as user stylesheets: above the user-agent
    styles, below any <style> in the document."""
    sheets = [_stylesheet(relative) for relative in stylesheets]
    fetcher = LocalStaticFetcher()
    document = HTML(string=html, base_url=DOCUMENT_BASE_URL, url_fetcher=fetcher)
    return document.write_pdf(
        font_config=_font_config(), pdf_variant=PDF_VARIANT, stylesheets=sheets
    )
