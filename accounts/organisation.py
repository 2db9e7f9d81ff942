"""The organisation running the site (name, logo, letterhead), read on every page.

``current()`` gives the saved row, or, until an admin saves one, an unsaved
instance filled from the settings (MUNICIPALITY_NAME, ELECTION_OFFICE_CONTACT).
It reads Django's default cache (shared by every process: a file cache on one
machine, Redis in production), so a page costs no query once any process has
read the row. Saving or deleting the row clears the cached copy (``invalidate``,
called by Organisation.save/delete after the commit).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import router
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject, lazy

from accounts.models import ORGANISATION_CACHE_TIMEOUT, Organisation, organisation_cache_key

DEFAULT_CODE = "default"
# A cached "nothing saved yet": the defaults are read from the settings each time.
_MISSING = {"missing": True}


def cache_key(code: str = DEFAULT_CODE) -> str:
    return organisation_cache_key(code)


def defaults(code: str = DEFAULT_CODE) -> Organisation:
    """The organisation as the environment describes it (nothing saved yet)."""
    return Organisation(
        code=code,
        name=settings.MUNICIPALITY_NAME,
        contact_line=settings.ELECTION_OFFICE_CONTACT,
    )


def _fields() -> list[str]:
    return [field.attname for field in Organisation._meta.concrete_fields]


def _freeze(org: Organisation) -> dict[str, Any]:
    values = {name: getattr(org, name) for name in _fields()}
    # A FieldFile is not what the cache should hold: its name is.
    values["logo"] = org.logo.name or ""
    return values


def _thaw(values: dict[str, Any]) -> Organisation:
    names = _fields()
    return Organisation.from_db(
        router.db_for_read(Organisation), names, [values.get(name) for name in names]
    )


def load(code: str = DEFAULT_CODE) -> Organisation | None:
    """The saved row, from the database (no cache), or None."""
    return Organisation.objects.filter(code=code).first()


def current(code: str = DEFAULT_CODE) -> Organisation:
    """The organisation's name, logo and letterhead: the saved row, or the defaults.

    Treat the result as read-only (it may be shared cached data); write through
    accounts.services.update_organisation."""
    key = cache_key(code)
    cached = cache.get(key)
    if cached is None:
        org = load(code)
        cached = _freeze(org) if org is not None else _MISSING
        cache.set(key, cached, ORGANISATION_CACHE_TIMEOUT)
    if cached.get("missing"):
        return defaults(code)
    return _thaw(cached)


def invalidate(code: str = DEFAULT_CODE) -> None:
    cache.delete(cache_key(code))


def assume_none_saved(code: str = DEFAULT_CODE) -> None:
    """Cache "no organisation saved" without asking the database: for a database
    known to be empty (each test's), so that the first page of a test costs what
    every later page costs. Saving a row clears it, as always."""
    cache.set(cache_key(code), _MISSING, ORGANISATION_CACHE_TIMEOUT)


def site_context(request: HttpRequest) -> dict[str, object]:
    """Template context processor: ``ORGANISATION`` (the current organisation),
    ``MUNICIPALITY_NAME`` (its name, for older templates) and
    ``ELECTION_OFFICE_CONTACT`` (its contact line), read on first use."""
    org = SimpleLazyObject(current)
    return {
        "ORGANISATION": org,
        "MUNICIPALITY_NAME": lazy(lambda: org.name, str)(),
        "ELECTION_OFFICE_CONTACT": lazy(lambda: org.contact_line, str)(),
    }
