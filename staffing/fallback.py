"""Receivers of notifications' signals (connected in StaffingConfig.ready)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from notifications.signals import message_failed
from staffing.services.fallback import fall_back


@receiver(message_failed, dispatch_uid="staffing.fallback")
def on_message_failed(sender: Any, *, message_id: int, **_kwargs: Any) -> None:
    fall_back(message_id)
