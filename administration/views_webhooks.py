"""The admin's webhook pages: the endpoints, each one's settings, secret and
delivery log, a test event, and sending a failed delivery again. Admins only
(anyone else gets the uniform 404); every write through
``administration.webhooks_services``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from administration import webhooks_services as services
from administration.forms_webhooks import WebhookForm
from administration.views import require_admin
from notifications.models import WebhookDelivery, WebhookEndpoint
from notifications.webhooks import secret_of
from pollcrew.refusals import Refused

LOG_ROWS = 100


def _endpoint(request: HttpRequest, endpoint_id: int) -> WebhookEndpoint:
    require_admin(request.user)
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id).first()
    if endpoint is None:
        raise Http404
    return endpoint


def _list(request: HttpRequest, form: WebhookForm, status: int = 200) -> HttpResponse:
    endpoints = WebhookEndpoint.objects.order_by("url", "pk")
    return render(
        request,
        "administration/webhooks.html",
        {"endpoints": endpoints, "form": form},
        status=status,
    )


@login_required
@require_safe
def webhooks(request: HttpRequest) -> HttpResponse:
    require_admin(request.user)
    return _list(request, WebhookForm())


@login_required
@require_POST
def webhook_create(request: HttpRequest) -> HttpResponse:
    require_admin(request.user)
    form = WebhookForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            endpoint = services.create_endpoint(
                data["url"],
                events=data["events"],
                description=data["description"],
                active=data["active"],
                by=request.user,
            )
        except Refused as refusal:
            form.add_error("events" if refusal.code == "no_events" else "url", refusal.message)
        else:
            messages.success(
                request,
                _("The webhook is added. Give its secret to the receiver, then send a test event."),
            )
            return redirect("administration:webhook_secret", endpoint_id=endpoint.pk)
    return _list(request, form, status=400)


def _detail(
    request: HttpRequest, endpoint: WebhookEndpoint, form: WebhookForm, status: int = 200
) -> HttpResponse:
    deliveries = list(endpoint.deliveries.order_by("-created_at", "-pk")[:LOG_ROWS])
    return render(
        request,
        "administration/webhook.html",
        {
            "endpoint": endpoint,
            "form": form,
            "deliveries": deliveries,
            "log_rows": LOG_ROWS,
            "failed": WebhookDelivery.Status.FAILED,
            "cancelled": WebhookDelivery.Status.CANCELLED,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def webhook(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    """Settings (GET shows, POST saves) and the latest deliveries."""
    endpoint = _endpoint(request, endpoint_id)
    if request.method != "POST":
        initial = {
            "url": endpoint.url,
            "description": endpoint.description,
            "events": endpoint.events,
            "active": endpoint.active,
        }
        return _detail(request, endpoint, WebhookForm(initial=initial))
    form = WebhookForm(request.POST)
    if form.is_valid():
        try:
            services.update_endpoint(endpoint, by=request.user, **form.cleaned_data)
        except Refused as refusal:
            form.add_error("events" if refusal.code == "no_events" else "url", refusal.message)
        else:
            messages.success(request, _("The webhook is saved."))
            return redirect("administration:webhook", endpoint_id=endpoint.pk)
    return _detail(request, endpoint, form, status=400)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def webhook_secret(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    """The signing secret (showing it is audited); POST makes a new one."""
    endpoint = _endpoint(request, endpoint_id)
    if request.method == "POST":
        services.rotate_secret(endpoint, by=request.user)
        messages.success(
            request, _("The webhook has a new secret. The old one no longer signs anything.")
        )
        return redirect("administration:webhook_secret", endpoint_id=endpoint.pk)
    services.record_secret_shown(endpoint, by=request.user)
    response = render(
        request,
        "administration/webhook_secret.html",
        {"endpoint": endpoint, "secret": secret_of(endpoint)},
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def webhook_delete(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint(request, endpoint_id)
    services.delete_endpoint(endpoint, by=request.user)
    messages.success(request, _("The webhook and its delivery log are deleted."))
    return redirect("administration:webhooks")


@login_required
@require_POST
def webhook_test(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint(request, endpoint_id)
    delivery = services.send_test(endpoint, by=request.user)
    delivery.refresh_from_db()
    if delivery.status == WebhookDelivery.Status.DELIVERED:
        messages.success(request, _("The test event was delivered."))
    elif delivery.attempts:
        messages.error(
            request,
            _("The test event was not delivered: %(error)s. It will be tried again.")
            % {"error": delivery.last_error or delivery.last_status_code},
        )
    else:
        messages.info(request, _("The test event is on its way. The log below shows how it went."))
    return redirect("administration:webhook", endpoint_id=endpoint.pk)


@login_required
@require_POST
def webhook_redeliver(request: HttpRequest, endpoint_id: int, delivery_id: int) -> HttpResponse:
    endpoint = _endpoint(request, endpoint_id)
    delivery = endpoint.deliveries.filter(pk=delivery_id).first()
    if delivery is None:
        raise Http404
    try:
        services.redeliver(delivery, by=request.user)
    except Refused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("The event is being sent again."))
    return redirect("administration:webhook", endpoint_id=endpoint.pk)
