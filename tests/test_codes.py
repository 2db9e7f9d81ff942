"""One-time codes (notifications.codes): sent through the outbox on the asked
channel and language, stored only as a keyed hash, good for one use, a few
minutes and a few wrong guesses; a new code ends the one before; at most a few
an hour to one address. Delivered by the real task (eager Celery) to the
in-memory SMS and email backends."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from notifications import codes, sms
from notifications.models import Message, OneTimeCode
from pollcrew.refusals import Refused

pytestmark = pytest.mark.django_db
PHONE = "+4520123456"
ORG = {"municipality": "Testrup Kommune"}


def code_in(text: str) -> str:
    return re.search(r"\b(\d{6})\b", text).group(1)


def send(committed, channel="sms", to=PHONE, purpose="verify_contact", language="da"):
    return committed(
        codes.send_code, channel=channel, to=to, purpose=purpose, language=language, context=ORG
    )


def check(code: str, channel="sms", to=PHONE, purpose="verify_contact") -> bool:
    return codes.check_code(channel=channel, to=to, purpose=purpose, code=code)


def test_a_code_goes_out_by_sms_and_is_kept_only_hashed(committed):
    row = send(committed)
    [record] = sms.outbox
    assert record.to == PHONE
    assert record.body.startswith("Testrup Kommune: Din kode er ")
    assert "10 minutter" in record.body
    code = code_in(record.body)
    row.refresh_from_db()
    assert row.message.status == Message.Status.SENT
    stored = [str(value) for value in OneTimeCode.objects.values().get().values()]
    assert not any(code in value for value in stored)
    assert check(code)
    assert not check(code)  # used up
    message = Message.objects.get()
    assert code not in message.body and "••••••" in message.body


def test_the_email_says_the_code_in_the_language(committed, mailoutbox):
    send(committed, channel="email", to="Karen@Example.DK", language="en")
    [mail] = mailoutbox
    code = code_in(mail.subject)
    assert mail.to == ["karen@example.dk"]
    assert mail.subject == f"Your code: {code}"
    assert f"Your code is {code}" in mail.body and "valid for 10 minutes" in mail.body
    html = mail.alternatives[0][0]
    assert code in html and "Testrup Kommune" in html
    assert check(code, channel="email", to="karen@example.dk ")


def test_wrong_guesses_use_the_code_up(committed):
    send(committed)
    code = code_in(sms.outbox[0].body)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _attempt in range(codes.MAX_ATTEMPTS):
        assert not check(wrong)
    assert not check(code)  # too many wrong guesses: the right one is no good now
    assert OneTimeCode.objects.get().attempts == codes.MAX_ATTEMPTS


def test_a_code_expires(committed):
    send(committed)
    code = code_in(sms.outbox[0].body)
    OneTimeCode.objects.update(created_at=timezone.now() - timedelta(minutes=11))
    OneTimeCode.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    assert not check(code)


def test_a_new_code_ends_the_one_before_and_codes_keep_to_their_purpose(committed):
    send(committed)
    send(committed)
    first, second = (code_in(record.body) for record in sms.outbox)
    if first != second:
        assert not check(first)
    assert not check(second, purpose="sign_up")
    assert not check(second, to="+4520999999")
    assert check(" ".join([second[:3], second[3:]]))  # typed with a space


def test_at_most_a_few_codes_an_hour_to_one_address(committed):
    for _n in range(codes.MAX_PER_HOUR):
        send(committed, purpose="sign_up" if _n % 2 else "verify_contact")
    with pytest.raises(Refused) as refused:
        send(committed)
    assert refused.value.code == "too_many_codes"
    assert len(sms.outbox) == codes.MAX_PER_HOUR
    send(committed, to="+4520999999")  # another address is not held up
    OneTimeCode.objects.update(created_at=timezone.now() - timedelta(hours=2))
    OneTimeCode.objects.update(expires_at=timezone.now() - timedelta(hours=1))
    send(committed)  # an hour later
