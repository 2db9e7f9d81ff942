"""A coordinator imports last election's helpers from a Windows-1252 CSV with a
title row: chooses what the file holds, checks the guessed columns, reads the
dry run (two people made, two refused with the reason per field), imports, and
finds the people in the volunteer list; then makes an API token, which is shown
once and works against /api/v1/. axe finds no WCAG 2.1 AA violations on the
pages, in Danish."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from tests import factories as f
from tests.e2e.axe import Audit
from volunteers.models import Volunteer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "import" / "volunteers_cp1252.csv"


def test_import_a_spreadsheet_then_make_an_api_token(desktop, live_server, screenshot, sign_in):
    coordinator = f.user(
        "koordinator@kommune.dk", coordinator=True, password="pw-for-tests-1", language="da"
    )
    page = desktop
    sign_in(page, email=coordinator.email, password="pw-for-tests-1")
    audit = Audit(screenshot, "import")

    page.get_by_role("link", name="Importér", exact=True).click()
    expect(page.get_by_role("heading", name="Importér fra et regneark")).to_be_visible()
    audit.check(page, "upload")
    page.get_by_label("Frivillige", exact=True).check()
    page.get_by_label("Fil", exact=True).set_input_files(FIXTURE)
    page.get_by_role("button", name="Upload og vælg kolonnerne").click()

    # The columns, guessed from the Danish headers under the title rows.
    expect(page.get_by_role("heading", name="Vælg kolonnerne")).to_be_visible()
    expect(page.get_by_label("Fornavn", exact=True).locator("option:checked")).to_have_text(
        "Fornavn"
    )
    audit.check(page, "columns")
    page.get_by_role("button", name="Prøvekørsel: vis, hvad importen vil gøre").click()

    # The dry run: nothing written yet, the refusals said per field.
    expect(page.get_by_role("heading", name="Prøvekørsel færdig")).to_be_visible()
    expect(page.get_by_text("»31-02-1980« er ikke en dato")).to_be_visible()
    assert not Volunteer.objects.exists()
    audit.check(page, "dry-run")
    screenshot(page, "import-dry-run")
    page.get_by_role("button", name="Importér: skriv 2 rækker").click()

    expect(page.get_by_text("Importeret", exact=False).first).to_be_visible()
    audit.check(page, "imported")
    assert sorted(Volunteer.objects.values_list("first_name", flat=True)) == ["Søren", "Åse"]
    page.get_by_role("link", name="Frivillige", exact=True).click()
    expect(page.get_by_role("link", name="Østergaard, Søren")).to_be_visible()

    # An API token, shown once, acting as the coordinator.
    tokens = Audit(screenshot, "api-tokens")
    page.goto("/api/tokens/")
    tokens.check(page, "list")
    page.get_by_label("Navn", exact=True).fill("Lønudtræk")
    page.get_by_role("button", name="Lav nøglen").click()
    expect(page.get_by_role("heading", name="Din nye API-nøgle")).to_be_visible()
    secret = page.locator("#secret").input_value()
    tokens.check(page, "made")
    answer = requests.get(
        f"{live_server.url}/api/v1/volunteers/",
        headers={"Authorization": f"Bearer {secret}"},
        timeout=10,
    )
    assert answer.status_code == 200
    listed = answer.json()
    assert listed["count"] == 2
    page.goto("/api/tokens/")
    assert secret not in page.content()  # never shown again
    audit.done()
    tokens.done()
