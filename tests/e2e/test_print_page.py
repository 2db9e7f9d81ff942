"""A coordinator prints from the election: the Print button, the choice of
documents and stations, the job's page when it is ready, and the download of a
PDF with a sign-in sheet for the station chosen. The pages pass axe's checks."""

from __future__ import annotations

import pikepdf
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from staffing.models import Assignment
from tests import factories as f
from tests.e2e.axe import Audit
from tests.e2e.conftest import COORDINATOR, PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def election(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    e = f.election(name="Folketingsvalg 2027")
    north = f.station(f.area("Nord"), name="Ærø Skole")
    south = f.station(f.area("Syd"), name="Åby Kirke")
    role = f.role("Tilforordnet")
    for station, name in [(north, "Søren"), (south, "Bodil")]:
        shift = f.shift(e, station_=station, role_=role)
        Assignment.objects.create(
            shift=shift,
            volunteer=f.volunteer(first_name=name, last_name="Ødegård"),
            status=Assignment.Status.ACCEPTED,
            responded_at=timezone.now(),
        )
    f.user(COORDINATOR, password=PASSWORD, coordinator=True)
    return e, north


def test_coordinator_prints_sign_in_sheets_for_one_station(
    desktop, election, screenshot, sign_in, tmp_path
):
    e, _north = election
    audit = Audit(screenshot, "print")
    sign_in(desktop, path=f"/elections/{e.pk}/")
    desktop.get_by_role("link", name="Print", exact=True).click()
    expect(desktop.get_by_role("heading", name="Print", exact=True)).to_be_visible()
    audit.check(desktop, "print-page")

    desktop.get_by_label("Sign-in sheets").check()
    desktop.get_by_label("Polling station").select_option(label="Ærø Skole")
    desktop.get_by_role("button", name="Print", exact=True).click()

    expect(desktop.get_by_role("heading", name="Ready")).to_be_visible()
    expect(desktop.get_by_role("status")).to_contain_text("1 of 1 document done")
    audit.check(desktop, "print-job")
    with desktop.expect_download() as download:
        desktop.get_by_role("link", name="Download the PDF").click()
    path = tmp_path / "signin.pdf"
    download.value.save_as(path)
    pdf = pikepdf.open(path)
    assert len(pdf.pages) == 1
    text = "".join(str(page.get("/Contents", "")) for page in pdf.pages)
    assert text  # a real page with content
    assert download.value.suggested_filename.startswith("signin-")
