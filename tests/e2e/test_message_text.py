"""A coordinator writes the election's own invitation SMS in a real browser:
from the election's header to the overview of message texts, the editor that
starts from the default, a live preview for a real person that follows the
typing (characters, GSM-7 or UCS-2, segments) and refuses an unknown
placeholder, saving, the invitation a volunteer then gets, and the way back to
the default. The pages pass axe's checks."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from notifications.models import Message
from staffing import services as staffing_services
from staffing.models import Assignment, MessageText
from tests import factories as f
from tests.e2e.axe import Audit
from tests.e2e.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def election():
    e = f.election(name="Folketingsvalg 2027")
    shift = f.shift(
        e, station_=f.station(f.area("Nord"), name="Nordskolen"), role_=f.role("Valgstyrer")
    )
    Assignment.objects.create(
        shift=shift,
        volunteer=f.volunteer("sms", first_name="Anna", last_name="Andersen", language="da"),
        status=Assignment.Status.ACCEPTED,
        responded_at=timezone.now(),
    )
    f.user("koordinator@kommune.dk", coordinator=True, password=PASSWORD)
    return e, shift


def test_write_the_invitation_sms_with_a_live_preview(desktop, election, screenshot, sign_in):
    e, shift = election
    audit = Audit(screenshot, "message-texts")
    page = desktop
    sign_in(page, path=f"/elections/{e.pk}/")
    page.get_by_role("link", name="Message texts", exact=True).click()
    expect(page.get_by_role("heading", name="Message texts", level=1)).to_be_visible()
    audit.check(page, "overview")
    screenshot(page, "message-texts-overview")

    invitation = page.get_by_role("row").filter(has_text="When someone is invited to a seat.")
    invitation.get_by_role("link", name="SMS, Danish").click()
    expect(page.get_by_role("heading", name="Invitation: SMS, Danish")).to_be_visible()
    text = page.get_by_label("Text")
    expect(text).to_have_value(
        "{municipality}: Hej {first_name}, du inviteres som {role} på {station} den "
        "{day_short} kl. {start}-{end}. Svar senest {respond_by_short}: {link}"
    )
    preview = page.get_by_test_id("sms-preview")
    expect(preview).to_contain_text("Hej Anna, du inviteres som Valgstyrer på Nordskolen")
    audit.check(page, "editor")

    # The preview follows the typing: GSM-7, one segment.
    text.fill("Kære {first_name}: vil du være {role} på {station}? Svar her: {link}")
    expect(preview).to_contain_text(
        "Kære Anna: vil du være Valgstyrer på Nordskolen? Svar her: http"
    )
    cost = page.get_by_test_id("sms-cost")
    expect(cost).to_contain_text("GSM-7")
    expect(cost).to_contain_text("1 segment")

    # An emoji makes it UCS-2: 70 characters a segment.
    text.fill("Kære {first_name} 🗳️ vil du være {role} på {station}? Svar her: {link}")
    expect(cost).to_contain_text("UCS-2")
    expect(cost).to_contain_text("2 segments")
    screenshot(page, "message-texts-editor-ucs2")

    # A wrong placeholder is said at once, and saving it is refused.
    text.fill("Kære {fornavn}, svar her: {link}")
    expect(page.get_by_role("alert")).to_contain_text("Unknown placeholder: {fornavn}")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#id_body_error")).to_contain_text("Unknown placeholder: {fornavn}")
    assert not MessageText.objects.exists()

    text.fill("Kære {first_name}: vil du være {role} på {station}? Svar her: {link}")
    expect(cost).to_contain_text("1 segment")
    screenshot(page, "message-texts-editor")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The text is saved.")).to_be_visible()
    expect(invitation.get_by_text("own text")).to_be_visible()

    # The next invitation uses it.
    bo = f.volunteer("sms", first_name="Bo", language="da")
    staffing_services.invite(shift, [bo], by=None)
    message = Message.objects.get(kind="invitation", to=bo.phone)
    assert message.body.startswith("Kære Bo: vil du være Valgstyrer på Nordskolen? Svar her: http")

    # And back to the default.
    invitation.get_by_role("link", name="SMS, Danish").click()
    page.get_by_role("button", name="Go back to the default").click()
    expect(page.get_by_text("The default text is used again.")).to_be_visible()
    expect(invitation.get_by_text("own text")).to_have_count(0)
    assert not MessageText.objects.exists()
