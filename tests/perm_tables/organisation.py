"""Role-by-URL table of the organisation's details (administration:organisation)
and its logo.

The page is the admin's alone: everyone else gets the uniform 404, on GET and on
POST (nothing saved). The logo is public (every page header shows it, the
volunteers' pages too); the table's world has none, so it is a 404 for everyone
here, and tests/test_organisation.py serves a saved one to a signed-out client."""

from __future__ import annotations

from tests.permission_cases import ADMIN_ONLY, ADMIN_POST, Case, everyone, url

TABLE: dict[str, list[Case]] = {
    "administration:organisation": [
        Case(url("administration:organisation"), ADMIN_ONLY),
        Case(
            url("administration:organisation"),
            ADMIN_POST,
            "saved, back to the page",
            post=lambda w: {"name": "Testrup Kommune", "address": "Rådhuset\n8000 Aarhus C"},
        ),
    ],
    "administration:organisation_logo": [
        Case(url("administration:organisation_logo"), everyone(404), "no logo saved")
    ],
}
