"""Messages sent before the outbox had generic subjects pointed at the volunteer
(a foreign key, now gone). Their idempotency keys name the assignment they were
about ("assignment:<id>:…"): that becomes their subject."""

from django.db import migrations

BATCH = 2000


def link_messages(apps, schema_editor):
    Message = apps.get_model("notifications", "Message")
    pending = Message.objects.filter(
        subject_type="", idempotency_key__startswith="assignment:"
    ).values_list("pk", "idempotency_key")
    batch = []
    for pk, key in pending.iterator(chunk_size=BATCH):
        part = key.split(":")[1]
        if part.isdigit():
            batch.append(Message(pk=pk, subject_type="staffing.assignment", subject_id=int(part)))
        if len(batch) >= BATCH:
            Message.objects.bulk_update(batch, ["subject_type", "subject_id"])
            batch = []
    if batch:
        Message.objects.bulk_update(batch, ["subject_type", "subject_id"])


class Migration(migrations.Migration):
    dependencies = [
        ("staffing", "0002_create_or_adopt_tables"),
        ("notifications", "0003_message_subject_reference"),
    ]

    operations = [migrations.RunPython(link_messages, migrations.RunPython.noop)]
