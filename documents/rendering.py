"""HTML to PDF with WeasyPrint, through a URL fetcher that serves only local
static files: a template can never make the server fetch from the network."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetchingError


class BlockedURL(URLFetchingError):
    pass


def _static_path(url: str) -> Path | None:
    prefix = "/" + settings.STATIC_URL.lstrip("/")
    for lead in ("static:", prefix):
        if url.startswith(lead):
            relative = url[len(lead) :].lstrip("/")
            found = finders.find(relative)
            return Path(found) if found else None
    return None


def local_only_fetcher(url: str, timeout: int = 10, ssl_context=None) -> dict:
    path = _static_path(url)
    if path is None or not path.is_file():
        raise BlockedURL(f"Only local static files may be used in documents: {url!r}")
    return {"string": path.read_bytes(), "filename": path.name}


@cache
def _fonts() -> FontConfiguration:
    return FontConfiguration()


def render_pdf(html: str) -> bytes:
    document = HTML(string=html, base_url="static:/", url_fetcher=local_only_fetcher)
    return document.write_pdf(font_config=_fonts())
