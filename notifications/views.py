"""Provider webhooks. Signed by the provider; no session, no CSRF token."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator

from notifications.services import record_delivery_status


def _message_id(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 19 else None


@csrf_exempt  # Authenticated by Twilio's signature instead; a browser never posts here.
@require_POST
def twilio_status(request: HttpRequest) -> HttpResponse:
    # The signature covers the public URL Twilio called (with its query string),
    # which behind a proxy is SITE_URL, not what Django sees.
    url = settings.SITE_URL + reverse("notifications:twilio_status")
    if request.META.get("QUERY_STRING"):
        url += "?" + request.META["QUERY_STRING"]
    signature = request.headers.get("X-Twilio-Signature", "")
    validator = RequestValidator(settings.TWILIO_AUTH_TOKEN)
    if not settings.TWILIO_AUTH_TOKEN or not validator.validate(
        url, request.POST.dict(), signature
    ):
        return HttpResponseForbidden("Invalid signature")
    record_delivery_status(
        provider_id=request.POST.get("MessageSid", ""),
        provider_status=request.POST.get("MessageStatus", ""),
        error_code=request.POST.get("ErrorCode", ""),
        message_id=_message_id(request.GET.get("m", "")),
    )
    return HttpResponse(status=204)
