"""notifications.rendering.render_messages: an invitation round's messages rendered
once per shape and filled in, the same text as one by one."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from notifications import rendering
from notifications.rendering import render_message, render_messages

SMS_KINDS = sorted(p.stem for p in (Path(settings.BASE_DIR) / "templates" / "sms").glob("*.txt"))
EMAIL_KINDS = sorted(
    p.name.removesuffix(".subject.txt")
    for p in (Path(settings.BASE_DIR) / "templates" / "emails").glob("*.subject.txt")
    if not p.name.startswith("account_")
)


def context(first_name: str, token: str) -> dict:
    day = datetime(2030, 12, 10, 8, tzinfo=timezone.get_current_timezone())
    return {
        "municipality": "Lyngby-Taarbæk Kommune",
        "first_name": first_name,
        "role": "Tilforordnet",
        "station": "Rådhuset",
        "station_address": "Rådhuspladsen 1, 2800 Kongens Lyngby",
        "election": "Folketingsvalg 2030",
        "starts_at": day,
        "ends_at": day.replace(hour=20),
        "respond_by": day.replace(day=1),
        "old_role": "Valgstyrer",
        "old_station": "Skolen",
        "old_station_address": "Skolevej 1",
        "old_starts_at": day,
        "old_ends_at": day.replace(hour=19),
        "link": f"https://valg.example.dk/v/{token}/",
        "case": "unclear",
        "count": 2,
        "reason": "",
        "when": "10.12.2030 08:00",
        "subject": "Husk i morgen",
        "body": "Hej {first_name}",
    }


NAMES = ["Karen", "Zoë", "Åse <b>&", "Søren Kierkegaard-Østergaard", "Li 🌟", "X" * 60]


@pytest.mark.parametrize("language", ["da", "en"])
@pytest.mark.parametrize(
    ("kind", "channel"),
    [(k, "sms") for k in SMS_KINDS] + [(k, "email") for k in EMAIL_KINDS],
)
def test_the_same_text_as_one_by_one(kind, channel, language):
    items = [
        (kind, channel, language, context(name, f"T{i:03d}" + "x" * 40), None)
        for i, name in enumerate(NAMES)
    ]
    assert render_messages(items) == [render_message(*item) for item in items]


@pytest.mark.django_db
def test_one_render_per_shape(monkeypatch, django_assert_num_queries):
    calls = []
    real = rendering.render_message
    monkeypatch.setattr(rendering, "render_message", lambda *a: calls.append(a[0]) or real(*a))
    items = [
        ("invitation", channel, "da", context(f"Navn{i}", f"{i:043d}"), None)
        for i in range(200)
        for channel in ("sms", "email")
    ]
    with django_assert_num_queries(0):
        rendered = render_messages(items)

    assert len(rendered) == 400
    assert len(calls) == 4  # per shape: once with stand-ins, once in full to compare
    assert "Navn199" in rendered[-2].body and f"{199:043d}" in rendered[-1].body_html
