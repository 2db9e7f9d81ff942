"""Phone numbers: any way people write a mobile number is stored in E.164, anything
else is a field error in the user's language; and no form ever shows a
constraint's name instead of a message."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import phonenumbers
import polib
import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.db.models import BaseConstraint
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise

from accounts.models import AuditEntry, User
from pollcrew.phones import display_phone, normalize_mobile
from tests import factories as f
from volunteers import services
from volunteers.forms import MobilePhoneField, VolunteerForm
from volunteers.models import Team, Volunteer

PROJECT_APPS = (
    "accounts",
    "polling_stations",
    "volunteers",
    "elections",
    "staffing",
    "notifications",
)
PO_FILE = Path(django_settings.BASE_DIR) / "locale" / "da" / "LC_MESSAGES" / "django.po"
PHONE_MESSAGES = {
    "invalid_phone": "“%(value)s” is not a valid phone number.",
    "not_a_number": "“%(value)s” is not a phone number.",
    "not_mobile": "“%(value)s” is not a mobile number; SMS cannot reach it.",
}
UK_LANDLINE = "+44 20 7946 0000"


def danish_catalogue() -> dict[str, str]:
    """msgid → msgstr of the translated, non-fuzzy entries in locale/da."""
    return {
        e.msgid: e.msgstr
        for e in polib.pofile(str(PO_FILE))
        if not e.obsolete and e.msgstr and "fuzzy" not in e.flags
    }


def error_code(raw: str, **kwargs) -> str:
    with pytest.raises(ValidationError) as error:
        normalize_mobile(raw, **kwargs)
    return error.value.code


# --- normalize_mobile -----------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "20 12 34 56",
        "20123456",
        "+45 20 12 34 56",
        "+4520123456",
        "0045 20123456",
        "0045 20 12 34 56",
        "  +45 20-12-34-56  ",
        "(+45) 20 12 34 56",
    ],
)
def test_danish_mobile_numbers_become_e164(raw):
    assert normalize_mobile(raw) == "+4520123456"


@pytest.mark.parametrize("raw", ["+46 70 123 45 67", "0046 70 123 45 67", "+46701234567"])
def test_foreign_mobile_numbers_keep_their_country(raw):
    assert normalize_mobile(raw) == "+46701234567"


def test_a_region_can_be_given():
    assert normalize_mobile("070-123 45 67", region="SE") == "+46701234567"
    assert error_code("070-123 45 67") == "invalid_phone"  # not a Danish number


@pytest.mark.parametrize("raw", ["", "   ", None])
def test_no_number_is_no_number(raw):
    assert normalize_mobile(raw) == ""


@pytest.mark.parametrize(
    "raw",
    [
        "12 34 56 78",  # Danish numbers do not start with 1
        "+45 12 34 56 78",
        "2012345",  # too short
        "201234567",  # too long
        "+45 20 12 34 56 78 90",
        "hello",
        "+",
        "0045",
    ],
)
def test_invalid_numbers_are_refused(raw):
    assert error_code(raw) == "invalid_phone"


def test_a_landline_is_not_a_mobile():
    # The number has to be one phonenumbers knows as a landline only.
    number = phonenumbers.parse(UK_LANDLINE, None)
    assert phonenumbers.is_valid_number(number)
    assert phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.FIXED_LINE
    assert error_code(UK_LANDLINE) == "not_mobile"


def test_the_error_message_names_what_was_written():
    with pytest.raises(ValidationError) as error:
        normalize_mobile("12 34 56 78")
    assert error.value.messages == ["“12 34 56 78” is not a valid phone number."]
    with pytest.raises(ValidationError) as error:
        normalize_mobile(UK_LANDLINE)
    assert error.value.messages == [f"“{UK_LANDLINE}” is not a mobile number; SMS cannot reach it."]


@pytest.mark.parametrize(
    ("raw", "key"),
    [("12 34 56 78", "invalid_phone"), ("hello", "not_a_number"), (UK_LANDLINE, "not_mobile")],
)
def test_error_messages_are_translated_when_shown(raw, key):
    """The message is looked up in the language active when it is shown, not
    when the module was imported."""
    with pytest.raises(ValidationError) as error:
        normalize_mobile(raw)
    msgid = PHONE_MESSAGES[key]
    with translation.override("da"):
        danish = error.value.messages
        expected = translation.gettext(msgid) % {"value": raw}
    with translation.override("en"):
        english = error.value.messages
    assert english == [msgid % {"value": raw}]
    assert danish == [expected]


@pytest.mark.parametrize("key", list(PHONE_MESSAGES))
def test_the_danish_catalogue_has_the_phone_messages(key):
    msgid = PHONE_MESSAGES[key]
    assert msgid in danish_catalogue(), f"locale/da has no translation of {msgid!r}"
    raw = {"invalid_phone": "12 34 56 78", "not_a_number": "hello", "not_mobile": UK_LANDLINE}[key]
    with pytest.raises(ValidationError) as error:
        normalize_mobile(raw)
    with translation.override("da"):
        (danish,) = error.value.messages
    assert danish != msgid % {"value": raw}
    assert raw in danish


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("+4520123456", "+45 20 12 34 56"),
        ("+46701234567", "+46 70 123 45 67"),
        ("not a number", "not a number"),
        ("", ""),
    ],
)
def test_display_phone(stored, shown):
    assert display_phone(stored) == shown


# --- VolunteerForm --------------------------------------------------------------


def volunteer_data(**changes) -> dict[str, str]:
    data = {
        "first_name": "Karen",
        "last_name": "Jensen",
        "birth_date": "1980-05-17",
        "email": "karen@example.dk",
        "phone": "20 12 34 56",
        "preferred_channel": "sms",
        "language": "da",
        "address": "",
        "postal_code": "",
        "city": "",
        "diet": "",
        "notes": "",
    }
    data.update(changes)
    return data


def all_error_text(form) -> str:
    return " ".join(str(m) for messages in form.errors.values() for m in messages)


def assert_no_constraint_names(text: str) -> None:
    assert "Constraint “" not in text
    assert 'Constraint "' not in text
    assert "is violated" not in text
    for model in apps.get_app_config("volunteers").get_models():
        for constraint in model._meta.constraints:
            assert constraint.name not in text


@pytest.mark.django_db
def test_the_form_normalises_the_phone():
    form = VolunteerForm(data=volunteer_data(phone="20 12 34 56"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["phone"] == "+4520123456"
    assert form.save().phone == "+4520123456"


@pytest.mark.django_db
def test_the_form_shows_an_invalid_phone_on_the_phone_field():
    form = VolunteerForm(data=volunteer_data(phone="12 34 56 78"))
    assert not form.is_valid()
    assert form.errors["phone"] == ["“12 34 56 78” is not a valid phone number."]
    assert list(form.errors) == ["phone"]
    assert_no_constraint_names(all_error_text(form))


@pytest.mark.django_db
def test_the_form_shows_a_landline_on_the_phone_field():
    form = VolunteerForm(data=volunteer_data(phone=UK_LANDLINE))
    assert not form.is_valid()
    assert "SMS cannot reach it" in form.errors["phone"][0]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "constraint"),
    [
        ({"preferred_channel": "sms", "phone": ""}, "volunteer_channel_has_address"),
        ({"preferred_channel": "email", "email": ""}, "volunteer_channel_has_address"),
        ({"preferred_channel": "email", "email": "", "phone": ""}, "volunteer_has_email_or_phone"),
    ],
)
def test_the_form_shows_a_constraints_message_not_its_name(changes, constraint):
    form = VolunteerForm(data=volunteer_data(**changes))
    assert not form.is_valid()
    message = str(constraint_named(Volunteer, constraint).violation_error_message)
    assert message in form.errors["__all__"]
    assert_no_constraint_names(all_error_text(form))


@pytest.mark.django_db
def test_the_default_region_comes_from_the_settings(settings):
    assert django_settings.SMS_DEFAULT_REGION == "DK"
    form = VolunteerForm(data=volunteer_data(phone="070-123 45 67"))
    assert not form.is_valid()
    assert "phone" in form.errors

    settings.SMS_DEFAULT_REGION = "SE"
    form = VolunteerForm(data=volunteer_data(phone="070-123 45 67"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["phone"] == "+46701234567"
    assert normalize_mobile("20 12 34 56", region="DK") == "+4520123456"
    with pytest.raises(ValidationError):
        normalize_mobile("20 12 34 56")  # not a Swedish mobile


def test_the_phone_field_is_optional_or_required_as_asked():
    assert MobilePhoneField(required=False).clean("") == ""
    with pytest.raises(ValidationError) as error:
        MobilePhoneField(required=True).clean("")
    assert error.value.code == "required"
    assert MobilePhoneField().clean("+45 20 12 34 56") == "+4520123456"


# --- the Django admin's volunteer pages -----------------------------------------


@pytest.fixture
def admin_user(db):
    return User.objects.create_superuser("admin@kommune.dk", "et-langt-kodeord")


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def admin_form(assignments: int = 0, **changes) -> dict[str, object]:
    data: dict[str, object] = volunteer_data(**changes)
    data["_save"] = "Save"
    # staffing shows a volunteer's seats below (read-only), on the add page too.
    data.update(
        {
            "assignments-TOTAL_FORMS": str(assignments),
            "assignments-INITIAL_FORMS": str(assignments),
            "assignments-MIN_NUM_FORMS": "0",
            "assignments-MAX_NUM_FORMS": "1000",
        }
    )
    return data


def post_add(admin_client, **changes):
    return admin_client.post(reverse("admin:volunteers_volunteer_add"), admin_form(**changes))


def form_errors(response) -> dict[str, list[str]]:
    assert response.status_code == 200, response.status_code
    errors = response.context["adminform"].form.errors
    assert errors or response.context["errors"], "200 without errors"
    return errors


@pytest.mark.django_db
def test_admin_add_with_an_invalid_phone_is_a_field_error(admin_client):
    response = post_add(admin_client, phone="12 34 56 78")
    errors = form_errors(response)
    assert errors["phone"] == ["“12 34 56 78” is not a valid phone number."]
    assert "is not a valid phone number" in response.content.decode()
    assert not Volunteer.objects.exists()
    assert not AuditEntry.objects.filter(action="volunteers.create_volunteer").exists()


@pytest.mark.django_db
def test_admin_add_stores_the_phone_in_e164_and_is_audited(admin_client, admin_user):
    team = f.team("Rødt hold")
    response = post_add(admin_client, phone="+45 20 12 34 56", teams=[team.pk])
    assert response.status_code == 302, form_errors(response)
    volunteer = Volunteer.objects.get()
    assert volunteer.phone == "+4520123456"
    assert list(volunteer.teams.all()) == [team]
    # One entry: the service's dry run before the save left none behind.
    (created,) = AuditEntry.objects.filter(action="volunteers.create_volunteer")
    assert created.actor == admin_user
    assert created.object_id == volunteer.pk
    assert {"phone", "teams"} <= set(created.detail["fields"])


@pytest.mark.django_db
def test_admin_add_with_sms_and_no_phone_shows_the_constraints_message(admin_client):
    response = post_add(admin_client, phone="", preferred_channel="sms")
    errors = form_errors(response)
    message = str(
        constraint_named(Volunteer, "volunteer_channel_has_address").violation_error_message
    )
    assert message in errors["__all__"]
    assert_no_constraint_names(response.content.decode())
    assert not Volunteer.objects.exists()


@pytest.mark.django_db
def test_admin_change_normalises_the_phone_and_records_old_and_new(admin_client, admin_user):
    volunteer = f.volunteer(channel="sms", first_name="Karen", last_name="Jensen")
    old = volunteer.phone
    url = reverse("admin:volunteers_volunteer_change", args=[volunteer.pk])
    data = admin_form(
        email="",
        phone="0046 70 123 45 67",
        birth_date=volunteer.birth_date.isoformat(),
        language=volunteer.language,
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, form_errors(response)
    volunteer.refresh_from_db()
    assert volunteer.phone == "+46701234567"
    (updated,) = AuditEntry.objects.filter(action="volunteers.update_volunteer")
    assert updated.actor == admin_user
    assert updated.changes["phone"] == [old, "+46701234567"]

    response = admin_client.post(url, {**data, "phone": "+45 12 34 56 78"})
    assert form_errors(response)["phone"] == ["“+45 12 34 56 78” is not a valid phone number."]
    volunteer.refresh_from_db()
    assert volunteer.phone == "+46701234567"


# --- constraints and their messages ---------------------------------------------


def constraint_named(model, name: str) -> BaseConstraint:
    (constraint,) = [c for c in model._meta.constraints if c.name == name]
    return constraint


def named_constraints() -> list[tuple[str, BaseConstraint]]:
    found = []
    for label in PROJECT_APPS:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            for constraint in model._meta.constraints:
                found.append((f"{model._meta.label}.{constraint.name}", constraint))
    return found


def test_the_project_has_named_constraints():
    names = {name.rsplit(".", 1)[1] for name, _c in named_constraints()}
    assert {
        "volunteer_has_email_or_phone",
        "volunteer_channel_has_address",
        "volunteer_phone_e164",
        "rolegrant_unique_user_role",
        "shift_ends_after_start",
        "message_has_recipient",
    } <= names


@pytest.mark.parametrize(
    ("name", "constraint"), [pytest.param(n, c, id=n) for n, c in named_constraints()]
)
def test_every_constraint_has_a_message_of_its_own(name, constraint):
    message = constraint.violation_error_message
    assert message is not None, name
    assert message != BaseConstraint.default_violation_error_message, name
    # Translated when shown (lazy), and never the constraint's name.
    assert isinstance(message, Promise), name
    text = str(constraint.get_violation_error_message())
    assert constraint.name not in text
    assert "%(name)s" not in str(message)
    assert "Constraint" not in text


@pytest.mark.django_db
def test_a_unique_constraint_shows_its_message_too():
    # A UniqueConstraint on fields uses its own message only when one is given.
    f.team("Rødt hold")
    with pytest.raises(ValidationError) as error:
        Team(name="Rødt hold").full_clean()
    assert error.value.messages == ["A team with this name exists already."]


# --- the volunteer services -----------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("phone", ["+45 12 34 56 78", "12 34 56 78", "hello", UK_LANDLINE])
def test_create_volunteer_refuses_a_bad_phone_and_stores_nothing(phone):
    with pytest.raises(ValidationError) as error:
        services.create_volunteer(
            by=None,
            first_name="Karen",
            last_name="Jensen",
            birth_date=date(1980, 5, 17),
            phone=phone,
            preferred_channel="sms",
        )
    assert error.value.code in {"invalid_phone", "not_mobile"}
    assert not Volunteer.objects.exists()
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_create_and_update_volunteer_normalise_the_phone():
    v = services.create_volunteer(
        by=None,
        first_name="Karen",
        last_name="Jensen",
        birth_date=date(1980, 5, 17),
        phone="0045 20 12 34 56",
        preferred_channel="sms",
    )
    assert Volunteer.objects.get(pk=v.pk).phone == "+4520123456"
    services.update_volunteer(v, by=None, phone="+46 70 123 45 67")
    assert Volunteer.objects.get(pk=v.pk).phone == "+46701234567"
    with pytest.raises(ValidationError):
        services.update_volunteer(v, by=None, phone="12 34 56 78")
    assert Volunteer.objects.get(pk=v.pk).phone == "+46701234567"
