"""Provider webhooks. Signed by the provider; no session, no CSRF token."""

from __future__ import annotations

import hmac
import logging

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator

from notifications.bounces import parse_bounce
from notifications.inbound import InboundSms
from notifications.services import receive_inbound_sms, record_bounce, record_delivery_status

log = logging.getLogger(__name__)

# Twilio expects TwiML from a messaging webhook; an empty response sends nothing
# back (replies go through the outbox, like every other message).
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _signed_by_twilio(request: HttpRequest, url_name: str) -> bool:
    """Whether X-Twilio-Signature matches: it covers the public URL Twilio called
    (with its query string), which behind a proxy is SITE_URL, not what Django
    sees, and the form fields. Nothing is valid without a configured token."""
    url = settings.SITE_URL + reverse(url_name)
    if request.META.get("QUERY_STRING"):
        url += "?" + request.META["QUERY_STRING"]
    signature = request.headers.get("X-Twilio-Signature", "")
    validator = RequestValidator(settings.TWILIO_AUTH_TOKEN)
    return bool(settings.TWILIO_AUTH_TOKEN) and validator.validate(
        url, request.POST.dict(), signature
    )


# A DSN is a few kilobytes; a returned message with attachments can be more. Past
# this the report is read no further (the headers are at the start).
MAX_BOUNCE_BYTES = 256 * 1024


@csrf_exempt  # Authenticated by the shared token instead; a browser never posts here.
@require_POST
def email_bounce(request: HttpRequest) -> HttpResponse:
    """A bounce report (a whole DSN email, as the body) from the mail server's
    bounce address: ``Authorization: Bearer <EMAIL_BOUNCE_TOKEN>``. Without a
    configured token the address does not exist."""
    token = settings.EMAIL_BOUNCE_TOKEN
    if not token:
        raise Http404
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), token.encode()):
        return HttpResponseForbidden("Invalid token")
    bounce = parse_bounce(request.body[:MAX_BOUNCE_BYTES])
    if bounce is None:
        return HttpResponse("not a bounce about one of our emails", status=202)
    record_bounce(bounce)
    return HttpResponse(status=204)


def _message_id(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 19 else None


@csrf_exempt  # Authenticated by Twilio's signature instead; a browser never posts here.
@require_POST
def twilio_status(request: HttpRequest) -> HttpResponse:
    if not _signed_by_twilio(request, "notifications:twilio_status"):
        return HttpResponseForbidden("Invalid signature")
    record_delivery_status(
        provider_id=request.POST.get("MessageSid", ""),
        provider_status=request.POST.get("MessageStatus", ""),
        error_code=request.POST.get("ErrorCode", ""),
        message_id=_message_id(request.GET.get("m", "")),
    )
    return HttpResponse(status=204)


@csrf_exempt  # Authenticated by Twilio's signature instead; a browser never posts here.
@require_POST
def twilio_inbound(request: HttpRequest) -> HttpResponse:
    """An SMS to our number. Answered by INBOUND_SMS_HANDLER, once per MessageSid
    (Twilio retries a webhook that timed out: the retry changes nothing)."""
    if not _signed_by_twilio(request, "notifications:twilio_inbound"):
        return HttpResponseForbidden("Invalid signature")
    sms = InboundSms(
        provider_id=request.POST.get("MessageSid", "")[:100],
        sender=request.POST.get("From", ""),
        body=request.POST.get("Body", ""),
    )
    if sms.provider_id:
        receive_inbound_sms(sms)
    return HttpResponse(EMPTY_TWIML, content_type="text/xml; charset=utf-8")
