"""The organisation's details (name, logo, address, contact line, signature,
letter footer): edited by an admin on administration:organisation, read through
accounts.organisation.current (cached), shown in every page header and used in
every message. Until an admin saves them, the environment gives the defaults."""

from __future__ import annotations

import io
import random
import threading

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from accounts import notices
from accounts import organisation as organisation_settings
from accounts.models import AuditEntry, Organisation, User
from accounts.services import update_organisation
from staffing import services as staffing_services
from staffing.links import issue_link
from tests import factories as f

pytestmark = pytest.mark.django_db

PAGE = reverse("administration:organisation")
LOGO = reverse("administration:organisation_logo")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Uploaded logos go to a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def admin() -> User:
    return User.objects.create_superuser("admin@kommune.dk", "et-langt-kodeord")


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def png(width: int = 120, height: int = 40, *, noise: bool = False) -> bytes:
    image = Image.new("RGB", (width, height), (0, 90, 160))
    if noise:  # random pixels do not compress: a large file
        rng = random.Random(8)
        image = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


CLEAN_SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
    b' width="120" height="40" viewBox="0 0 120 40">'
    b'<defs><linearGradient id="g"><stop offset="0" stop-color="#005a9c"/></linearGradient></defs>'
    b"<style>.t { fill: url(#g); }</style>"
    b'<rect class="t" width="120" height="40"/><use xlink:href="#g"/>'
    b"</svg>"
)


def svg(inner: bytes, attrs: bytes = b"") -> bytes:
    return (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        + attrs
        + b">"
        + inner
        + b"</svg>"
    )


def upload(data: bytes, name: str = "logo.png", content_type: str = "image/png"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def form(**overrides) -> dict:
    data = {
        "name": "Nordby Kommune",
        "address": "Valgsekretariatet\nRådhuspladsen 1\n\n9999 Nordby",
        "contact_line": "Tlf. 99 99 99 99 · valg@nordby.dk",
        "signature_name": "Åse Ørnsø",
        "signature_title": "Valgsekretær",
        "letter_footer": "Nordby Kommune · CVR 12345678",
    }
    data.update(overrides)
    return data


# --- Defaults and the cache ---------------------------------------------------------


def test_until_saved_the_environment_gives_the_name_and_contact(settings, admin):
    settings.MUNICIPALITY_NAME = "Sønderå Kommune"
    settings.ELECTION_OFFICE_CONTACT = "Valgkontoret, 11 22 33 44"
    org = organisation_settings.current()
    assert org.pk is None and not Organisation.objects.exists()
    assert (org.name, org.contact_line) == ("Sønderå Kommune", "Valgkontoret, 11 22 33 44")
    assert not org.logo and org.address_lines == []
    page = login(admin).get(PAGE).content.decode()
    assert '<span class="pc-brand">Sønderå Kommune' in page
    assert 'value="Sønderå Kommune"' in page  # the form starts from the defaults
    assert "<title>Organisation · Sønderå Kommune</title>" in page


def test_a_cold_cache_costs_one_query_then_none_and_a_save_clears_it(admin):
    organisation_settings.invalidate()
    with CaptureQueriesContext(connection) as cold:
        assert organisation_settings.current().name == "Testrup Kommune"
    with CaptureQueriesContext(connection) as warm:
        organisation_settings.current()
    assert (len(cold), len(warm)) == (1, 0)
    update_organisation(name="Nordby Kommune", by=admin)
    assert organisation_settings.current().name == "Nordby Kommune"
    with CaptureQueriesContext(connection) as warm:
        org = organisation_settings.current()
    assert len(warm) == 0 and org.pk is not None and org.name == "Nordby Kommune"


def test_address_lines_leave_out_empty_lines():
    org = Organisation(name="X", address="  Rådhuset \r\n\n Torvet 1\n  \n8000 Aarhus C")
    assert org.address_lines == ["Rådhuset", "Torvet 1", "8000 Aarhus C"]


# --- The page -----------------------------------------------------------------------


def test_saving_changes_the_header_the_sms_and_the_email(admin, committed, sms_outbox, mailoutbox):
    client = login(admin)
    response = client.post(PAGE, form())
    assert response.status_code == 302 and response["Location"] == PAGE
    org = Organisation.objects.get()
    assert org.address_lines == ["Valgsekretariatet", "Rådhuspladsen 1", "9999 Nordby"]
    assert (org.signature_name, org.signature_title) == ("Åse Ørnsø", "Valgsekretær")
    assert org.letter_footer == "Nordby Kommune · CVR 12345678"

    page = client.get(reverse("staffing:elections")).content.decode()
    assert '<span class="pc-brand">Nordby Kommune' in page and "Testrup" not in page
    assert "The organisation&#x27;s details are saved." in page

    volunteer = f.volunteer(channel="sms")
    committed(staffing_services.invite, f.shift(), [volunteer], by=None)
    [sms] = sms_outbox
    assert sms.body.startswith("Nordby Kommune: ")

    committed(notices.queue_wrong_codes, admin)
    assert mailoutbox[-1].subject.endswith("(Nordby Kommune)")
    assert "Nordby Kommune" in mailoutbox[-1].body


def test_the_volunteers_page_shows_the_name_and_the_logo(admin, client):
    shift = f.shift()
    volunteer = f.volunteer()
    staffing_services.invite(shift, [volunteer], by=None)
    token = issue_link(volunteer, shift.election)
    update_organisation(name="Nordby Kommune", logo=upload(png()), by=admin)
    page = client.get(reverse("portal:home", args=[token])).content.decode()
    version = organisation_settings.current().logo_version
    assert f'<img class="pc-brand__logo" src="{LOGO}?v={version}" alt=""' in page
    assert '<span class="pc-brand">' in page and "Nordby Kommune" in page


def test_a_png_logo_is_saved_previewed_and_served(admin):
    client = login(admin)
    data = png()
    response = client.post(PAGE, form(logo=upload(data, "Logo med æøå.PNG")))
    assert response.status_code == 302
    org = Organisation.objects.get()
    assert org.logo.name.startswith("organisation/logo-") and org.logo.name.endswith(".png")
    page = client.get(PAGE).content.decode()
    assert f'src="{LOGO}?v={org.logo_version}"' in page  # the preview, and the header
    served = Client().get(LOGO)  # public: the volunteers' pages show it too
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert b"".join(served.streaming_content) == data


def test_an_svg_logo_is_served_with_a_policy_that_runs_nothing(admin):
    response = login(admin).post(PAGE, form(logo=upload(CLEAN_SVG, "logo.svg", "image/svg+xml")))
    assert response.status_code == 302
    assert Organisation.objects.get().logo.name.endswith(".svg")
    served = Client().get(LOGO)
    assert served["Content-Type"] == "image/svg+xml"
    assert served["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert b"".join(served.streaming_content) == CLEAN_SVG


def test_the_logo_address_is_404_without_a_logo(admin):
    assert Client().get(LOGO).status_code == 404
    update_organisation(name="Nordby Kommune", by=admin)
    assert Client().get(LOGO).status_code == 404


def test_a_new_logo_replaces_the_old_one_and_removing_it_keeps_the_rest(admin, committed, settings):
    client = login(admin)
    client.post(PAGE, form(logo=upload(png())))
    first = Organisation.objects.get().logo.name
    committed(client.post, PAGE, form(logo=upload(png(60, 60))))
    second = Organisation.objects.get().logo.name
    assert second != first
    assert not (settings.MEDIA_ROOT / first).exists()  # the old file is gone
    committed(client.post, PAGE, form(remove_logo="on"))
    org = Organisation.objects.get()
    assert not org.logo and org.name == "Nordby Kommune"
    assert not (settings.MEDIA_ROOT / second).exists()
    assert Client().get(LOGO).status_code == 404
    assert "pc-brand__logo" not in client.get(PAGE).content.decode()


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;">]>'
    b'<svg xmlns="http://www.w3.org/2000/svg"><text>&b;</text></svg>'
)
EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>'
)
REFUSED = {
    "fake png": (b"\x89PNG\r\n\x1a\n" + b"not really a png" * 20, "not a readable PNG image"),
    "text file": (b"Nordby Kommune", "must be a PNG or an SVG image"),
    "gif": (b"GIF89a" + b"\x00" * 40, "must be a PNG or an SVG image"),
    "huge pixels": (png(6000, 10), "at most 4000 by 4000"),
    "oversize": (png(700, 700, noise=True), "too large: at most 1 MB"),
    "script": (svg(b"<script>alert(1)</script>"), "<script>"),
    "onload": (svg(b"<rect/>", b'onload="alert(1)"'), "onload"),
    "onclick inside": (svg(b'<rect onclick="alert(1)"/>'), "onclick"),
    "foreignObject": (
        svg(b'<foreignObject><p xmlns="http://www.w3.org/1999/xhtml">x</p></foreignObject>'),
        "<foreignobject>",
    ),
    "external xlink:href": (
        svg(b'<image xlink:href="https://evil.example/x.png"/>'),
        "refers to a file outside it",
    ),
    "external href": (svg(b'<use href="other.svg#a"/>'), "refers to a file outside it"),
    "javascript link": (svg(b'<a href="javascript:alert(1)"><rect/></a>'), "outside it"),
    "data svg": (svg(b'<image href="data:image/svg+xml;base64,PHN2Zz4="/>'), "outside it"),
    "set href": (
        svg(b'<a><set attributeName="href" to="javascript:alert(1)"/></a>'),
        "a script",
    ),
    "css import": (svg(b'<style>@import "https://evil.example/a.css";</style>'), "style sheet"),
    "css url": (svg(b'<rect style="fill: url(https://evil.example/a)"/>'), "outside it"),
    "fill url": (svg(b'<rect fill="url(https://evil.example/p.svg#a)"/>'), "outside it"),
    "css escape": (svg(b"<style>rect { fill: \\75rl(https://evil.example/a) }</style>"), "outside"),
    "image-set": (
        svg(b"<rect style=\"background: image-set('https://evil.example/a.png' 1x)\"/>"),
        "outside it",
    ),
    "doctype": (BILLION_LAUGHS, "document type"),
    "external entity": (EXTERNAL_ENTITY, "document type"),
    "stylesheet instruction": (
        b'<?xml-stylesheet href="https://evil.example/a.css"?>' + svg(b"<rect/>"),
        "processing instruction",
    ),
    "not svg": (b'<html xmlns="http://www.w3.org/1999/xhtml"></html>', "root must be an"),
    "svg without namespace": (b"<svg><rect/></svg>", "root must be an"),
    "broken xml": (b'<svg xmlns="http://www.w3.org/2000/svg"><rect></svg>', "not a readable"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_bad_logo_is_refused_on_its_field_and_nothing_is_lost(admin, case, settings):
    data, says = REFUSED[case]
    client = login(admin)
    client.post(PAGE, form(name="Nordby Kommune", logo=upload(png())))
    before = Organisation.objects.get()
    stored = sorted((settings.MEDIA_ROOT / "organisation").iterdir())
    response = client.post(
        PAGE, form(name="Nordby Kommune (ny)", contact_line="Ny linje", logo=upload(data))
    )
    assert response.status_code == 400
    form_ = response.context["form"]
    assert list(form_.errors) == ["logo"]
    assert says in form_.errors["logo"][0]
    page = response.content.decode()
    assert 'id="id_logo_error"' in page
    # What was typed is still there; nothing was saved, the old logo stays.
    assert 'value="Nordby Kommune (ny)"' in page and 'value="Ny linje"' in page
    after = Organisation.objects.get()
    assert (after.name, after.logo.name) == (before.name, before.logo.name)
    assert sorted((settings.MEDIA_ROOT / "organisation").iterdir()) == stored
    assert AuditEntry.objects.filter(action="accounts.update_organisation").count() == 1


def test_the_service_checks_the_logo_too_and_writes_nothing(admin, settings):
    with pytest.raises(ValidationError):
        update_organisation(name="Nordby", logo=upload(svg(b"<script/>")), by=admin)
    with pytest.raises(ValidationError):
        update_organisation(name="", by=admin)
    assert not Organisation.objects.exists()
    assert not (settings.MEDIA_ROOT / "organisation").exists() or not any(
        (settings.MEDIA_ROOT / "organisation").iterdir()
    )
    assert not AuditEntry.objects.filter(action="accounts.update_organisation").exists()


def test_a_name_is_required(admin):
    response = login(admin).post(PAGE, form(name="  "))
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["name"]
    assert not Organisation.objects.exists()


def test_the_change_is_audited(admin):
    client = login(admin)
    client.post(PAGE, form(logo=upload(png())))
    client.post(PAGE, form(name="Nordby Kommune", signature_title="Valgchef"))
    client.post(PAGE, form(signature_title="Valgchef"))  # nothing changed: no entry
    first, second = AuditEntry.objects.filter(action="accounts.update_organisation").order_by("pk")
    assert first.actor == admin and first.object_type == "accounts.organisation"
    assert first.changes["name"] == ["Testrup Kommune", "Nordby Kommune"]
    assert first.changes["logo"][0] == "" and first.changes["logo"][1].endswith(".png")
    assert second.changes == {"signature_title": ["Valgsekretær", "Valgchef"]}


@pytest.mark.parametrize("who", ["coordinator", "outsider", "viewer"])
def test_anyone_but_an_admin_gets_404(who, coordinator, outsider):
    user = {
        "coordinator": coordinator,
        "outsider": outsider,
        "viewer": f.user("seer@kommune.dk", role="viewer"),
    }[who]
    client = login(user)
    assert client.get(PAGE).status_code == 404
    assert client.post(PAGE, form(logo=upload(png()))).status_code == 404
    assert not Organisation.objects.exists()
    assert Client().get(PAGE).status_code == 302  # signed out: the sign-in page


def test_a_post_without_the_csrf_token_is_refused(admin):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    assert client.post(PAGE, form()).status_code == 403
    assert not Organisation.objects.exists()


def test_the_admin_menu_links_the_page(admin, coordinator):
    assert f'href="{PAGE}"' in login(admin).get(reverse("staffing:elections")).content.decode()
    page = login(coordinator).get(reverse("staffing:elections")).content.decode()
    assert f'href="{PAGE}"' not in page


def test_user_text_is_escaped_in_the_header(admin):
    update_organisation(name="<b>Nordby</b> & Co", by=admin)
    page = login(admin).get(PAGE).content.decode()
    assert '<span class="pc-brand">&lt;b&gt;Nordby&lt;/b&gt; &amp; Co' in page


def test_the_context_processor_gives_the_organisation(admin, settings):
    settings.ELECTION_OFFICE_CONTACT = "Fra miljøet"
    request = RequestFactory().get("/")
    context = organisation_settings.site_context(request)
    assert str(context["MUNICIPALITY_NAME"]) == "Testrup Kommune"
    assert str(context["ELECTION_OFFICE_CONTACT"]) == "Fra miljøet"
    update_organisation(name="Nordby Kommune", contact_line="Tlf. 99 99 99 99", by=admin)
    context = organisation_settings.site_context(request)
    assert context["ORGANISATION"].name == "Nordby Kommune"
    assert str(context["MUNICIPALITY_NAME"]) == "Nordby Kommune"
    assert str(context["ELECTION_OFFICE_CONTACT"]) == "Tlf. 99 99 99 99"


@pytest.mark.django_db(transaction=True)
def test_two_admins_saving_the_first_time_at_once_make_one_row():
    """Runs on the configured database (PostgreSQL in CI): one INSERT wins, the
    other save finds the row on its second try and updates it."""
    admins = [User.objects.create_superuser(f"admin{i}@kommune.dk", "x" * 12) for i in (1, 2)]
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def save(admin: User, name: str) -> None:
        try:
            start.wait()
            update_organisation(name=name, by=admin)
        except BaseException as error:  # reported below, in the test's thread
            failures.append(error)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=save, args=(admin, f"Kommune {i}"))
        for i, admin in enumerate(admins)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    [org] = Organisation.objects.all()
    assert org.name in ("Kommune 0", "Kommune 1")
    assert organisation_settings.current().name == org.name
    assert AuditEntry.objects.filter(action="accounts.update_organisation").count() >= 1
