"""Phone numbers stored before they were normalised ("+45 12 34 56 78" was
accepted and sent to the SMS provider as typed) become E.164 (+4512345678).

A number phonenumbers understands is formatted as E.164; one it does not is
only stripped of spaces and punctuation, so that what is sent is at least the
digits (the provider then refuses an invalid one, visibly, instead of a
mangled one going out). Every change is in the audit log (the system's doing).
"""

import re

import phonenumbers
from django.conf import settings
from django.db import migrations
from django.utils import timezone

_PUNCTUATION = re.compile(r"[\s\-./()]")


def normalise(raw: str) -> str:
    text = raw.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, settings.SMS_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        number = None
    if number is not None and phonenumbers.is_valid_number(number):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return _PUNCTUATION.sub("", text)


def normalise_phones(apps, schema_editor):
    Volunteer = apps.get_model("volunteers", "Volunteer")
    AuditEntry = apps.get_model("accounts", "AuditEntry")
    now = timezone.now()
    changed, entries = [], []
    for volunteer in Volunteer.objects.exclude(phone="").only("pk", "phone", "first_name"):
        fixed = normalise(volunteer.phone)
        if fixed != volunteer.phone:
            entries.append(
                AuditEntry(
                    at=now,
                    actor_kind="system",
                    action="volunteers.normalise_phone",
                    object_type="volunteers.volunteer",
                    object_id=volunteer.pk,
                    changes={"phone": [volunteer.phone, fixed]},
                )
            )
            volunteer.phone = fixed
            changed.append(volunteer)
    Volunteer.objects.bulk_update(changed, ["phone"], batch_size=1000)
    AuditEntry.objects.bulk_create(entries, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("volunteers", "0002_constraint_messages"),
        # The audit log the changes are recorded in (accounts is below volunteers).
        ("accounts", "0004_audit_action_prefix_index"),
    ]

    operations = [migrations.RunPython(normalise_phones, migrations.RunPython.noop)]
