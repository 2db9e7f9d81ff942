"""An admin sets the organisation's name, address and logo in the product; the
page header shows the logo and the name at once, on the staff pages and on a
volunteer's page. The page passes axe's WCAG 2.1 AA checks, and a refused logo
is named on its field."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.models import Organisation, User
from staffing import services
from staffing.links import issue_link
from tests import factories as f
from tests.e2e.axe import DESKTOP, PHONE, Audit
from tests.e2e.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96" viewBox="0 0 96 96">'
    '<rect width="96" height="96" rx="14" fill="#004b87"/>'
    '<path d="M20 70 L48 22 L76 70 Z" fill="#ffffff"/>'
    '<circle cx="48" cy="56" r="8" fill="#c8102e"/></svg>'
)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_admin_sets_the_name_and_logo_and_every_header_shows_them(
    open_page, screenshot, sign_in, tmp_path
):
    User.objects.create_superuser("admin@kommune.dk", PASSWORD)
    shift = f.shift()
    volunteer = f.volunteer(first_name="Karen")
    services.invite(shift, [volunteer], by=None)
    token = issue_link(volunteer, shift.election)
    logo = tmp_path / "logo.svg"
    logo.write_text(LOGO)
    bad = tmp_path / "bad.svg"
    bad.write_text('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>')
    audit = Audit(screenshot, "organisation")

    page = open_page(DESKTOP, "en-GB")
    sign_in(page, "admin@kommune.dk")
    page.get_by_role("link", name="Organisation", exact=True).click()
    expect(page.locator("#id_name")).to_have_value("Testrup Kommune")
    audit.check(page, "empty")

    page.locator("#id_name").fill("Nordby Kommune")
    page.locator("#id_address").fill("Valgsekretariatet\nRådhuspladsen 1\n9999 Nordby")
    page.locator("#id_contact_line").fill("Tlf. 99 99 99 99 · valg@nordby.dk")
    page.locator("#id_signature_name").fill("Åse Ørnsø")
    page.locator("#id_signature_title").fill("Valgsekretær")
    page.locator("#id_letter_footer").fill("Nordby Kommune · CVR 12345678")
    page.locator("#id_logo").set_input_files(str(bad))
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#id_logo_error")).to_contain_text("onload")
    expect(page.locator("#id_name")).to_have_value("Nordby Kommune")  # nothing lost
    audit.check(page, "refused")
    assert not Organisation.objects.exists()

    page.locator("#id_logo").set_input_files(str(logo))
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator(".pc-brand")).to_contain_text("Nordby Kommune")
    header_logo = page.locator(".pc-brand__logo")
    expect(header_logo).to_be_visible()
    assert header_logo.evaluate("img => img.naturalWidth") == 96  # it loaded
    audit.check(page, "saved")

    phone = open_page(PHONE, "da-DK")
    phone.goto(f"/v/{token}/")
    expect(phone.locator(".pc-brand")).to_contain_text("Nordby Kommune")
    assert phone.locator(".pc-brand__logo").evaluate("img => img.naturalWidth") == 96
    audit.check(phone, "volunteer-page")
    audit.done()
