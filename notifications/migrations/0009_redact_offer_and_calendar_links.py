"""Sent standby offers (/v/offer/<token>/) and calendar feeds (/v/calendar/<token>.ics)
kept their live token in the stored message: the redaction took "offer" and
"calendar" for the token. Redact what is already stored, as sending now does."""

from django.db import migrations
from django.db.models import Q

DONE = ("sent", "delivered", "failed", "cancelled")


def redact_stored(apps, schema_editor):
    from pollcrew.redaction import redacted_fields

    Message = apps.get_model("notifications", "Message")
    links = Q(body__contains="/v/offer/") | Q(body__contains="/v/calendar/")
    links |= Q(body_html__contains="/v/offer/") | Q(body_html__contains="/v/calendar/")
    rows = Message.objects.filter(links, status__in=DONE).only("pk", "body", "body_html")
    for message in rows.iterator(chunk_size=1000):
        fields = redacted_fields(message.body, message.body_html)
        Message.objects.filter(pk=message.pk).update(**fields)


class Migration(migrations.Migration):
    dependencies = [("notifications", "0008_webhooks")]

    operations = [migrations.RunPython(redact_stored, migrations.RunPython.noop, elidable=True)]
