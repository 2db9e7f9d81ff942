"""notifications 0009 redacts the standby-offer and calendar tokens that sent
messages stored before the redaction knew those links."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("notifications", "0008_webhooks")]
AFTER = [("notifications", "0009_redact_offer_and_calendar_links")]


@pytest.mark.django_db(transaction=True)
def test_stored_offer_and_calendar_links_are_redacted():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    Message = executor.loader.project_state(BEFORE).apps.get_model("notifications", "Message")
    common = {"channel": "sms", "to": "+4520123456", "kind": "standby_offer", "language": "da"}
    sent = Message.objects.create(
        **common,
        status="sent",
        sent_at=timezone.now(),
        idempotency_key="m1",
        body="Tag pladsen: https://valg.example.dk/v/offer/Abc-123_xyz/",
        body_html='<a href="https://valg.example.dk/v/calendar/Q9w-e_R7.ics">kalender</a>',
    )
    queued = Message.objects.create(
        **common,
        status="queued",
        idempotency_key="m2",
        body="Tag pladsen: https://valg.example.dk/v/offer/Live-token/",
    )
    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    Message = executor.loader.project_state(AFTER).apps.get_model("notifications", "Message")
    done = Message.objects.get(pk=sent.pk)
    assert "Abc-123_xyz" not in done.body and "[redacted]" in done.body
    assert "Q9w-e_R7" not in done.body_html
    # Not yet sent: the link must still work when it goes out.
    assert "Live-token" in Message.objects.get(pk=queued.pk).body
