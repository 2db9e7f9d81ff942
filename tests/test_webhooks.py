"""Webhooks: signed events delivered through the outbox to a receiver on loopback
(tests/fakes/webhook_receiver.py, which checks each signature the way
docs/webhooks.md tells receivers to)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry, User
from elections.models import Election
from notifications import tasks, webhooks
from notifications.bounces import Bounce
from notifications.channels import DeliveryError
from notifications.inbound import InboundSms
from notifications.models import Message, WebhookDelivery, WebhookEndpoint
from notifications.services import receive_inbound_sms, record_bounce, record_delivery_status
from pollcrew.refusals import Refused
from staffing import services
from staffing.links import issue_link
from staffing.models import Assignment
from staffing.services import signup as signup_services
from staffing.services.closing import change_election_status
from tests import factories as f
from tests import test_portal as portal
from tests.fakes.webhook_receiver import WebhookReceiver, webhook_receiver

pytestmark = pytest.mark.django_db

Event = webhooks.Event
Status = WebhookDelivery.Status
ALL = [
    Event.ASSIGNMENT_ANSWERED,
    Event.SEAT_FREED,
    Event.MESSAGE_FAILED,
    Event.ELECTION_STATUS_CHANGED,
]


@pytest.fixture
def receiver(settings) -> Iterator[WebhookReceiver]:
    settings.WEBHOOK_ALLOW_PRIVATE = True  # the receiver is on 127.0.0.1
    with webhook_receiver() as found:
        yield found


def subscribe(receiver: WebhookReceiver, events=ALL, **kw) -> WebhookEndpoint:
    endpoint = webhooks.create_endpoint(receiver.url, events=events, **kw)
    receiver.secret = webhooks.secret_of(endpoint)
    return endpoint


@pytest.fixture
def invited():
    shift = f.shift(f.election(), capacity=2)
    [assignment] = services.invite(shift, [f.volunteer(phone="+4520123456")], by=None).invited
    return assignment


@pytest.fixture
def admin() -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("admin@kommune.dk", "et-langt-kodeord"))
    return client


def test_a_yes_on_the_personal_page_reaches_the_receiver_signed(receiver, invited, committed):
    subscribe(receiver)
    token = issue_link(invited.volunteer, invited.shift.election)
    committed(Client().post, portal.action(token, invited, "accept"), portal.form(token, invited))
    [request] = receiver.requests
    assert request.verified  # the receiver's own check of signature and timestamp
    event = request.json
    assert request.headers["Pollcrew-Event"] == "assignment.answered"
    assert request.headers["Pollcrew-Delivery"] == event["id"]
    shift = invited.shift
    assert event["type"] == "assignment.answered"
    assert event["data"] == {
        "assignment_id": invited.pk,
        "shift_id": shift.pk,
        "station_id": shift.station_id,
        "role_id": shift.role_id,
        "election_id": shift.election_id,
        "status": "accepted",
        "on_behalf": False,
    }
    # Nothing that names or reaches the person.
    volunteer = invited.volunteer
    for private in (volunteer.phone, volunteer.email, volunteer.first_name):
        assert private not in request.body.decode()
    assert WebhookDelivery.objects.get().status == Status.DELIVERED


def test_a_wrong_secret_does_not_verify(receiver, invited, committed):
    subscribe(receiver, events=[Event.ASSIGNMENT_ANSWERED])
    receiver.secret = "whsec_" + "0" * 64
    committed(services.accept, invited)
    [request] = receiver.requests
    assert not request.verified  # the receiver answered 401: retried later
    assert WebhookDelivery.objects.get().status == Status.QUEUED


def test_a_decline_frees_the_seat_and_endpoints_get_what_they_subscribed(
    receiver, invited, committed
):
    seats = subscribe(receiver, events=[Event.SEAT_FREED])
    answers = subscribe(receiver, events=[Event.ASSIGNMENT_ANSWERED])
    subscribe(receiver, events=ALL, active=False)
    receiver.secret = ""  # several secrets: compared below per endpoint
    committed(services.decline, invited, by=f.user("koordinator@kommune.dk", coordinator=True))
    sent = {(d.endpoint_id, d.event_type) for d in WebhookDelivery.objects.all()}
    assert sent == {(seats.pk, "seat.freed"), (answers.pk, "assignment.answered")}
    by_type = {r.headers["Pollcrew-Event"]: r for r in receiver.requests}
    assert set(by_type) == {"seat.freed", "assignment.answered"}
    assert by_type["seat.freed"].json["data"]["reason"] == "declined"
    assert by_type["assignment.answered"].json["data"]["on_behalf"] is True
    for endpoint, request in (
        (seats, by_type["seat.freed"]),
        (answers, by_type["assignment.answered"]),
    ):
        assert webhooks.verify(
            webhooks.secret_of(endpoint),
            request.headers["Pollcrew-Timestamp"],
            request.body,
            request.headers["Pollcrew-Signature"],
        )


def test_seats_freed_by_a_move_and_a_removal(receiver, invited, committed):
    subscribe(receiver, events=[Event.SEAT_FREED])
    old = invited.shift
    other = f.shift(old.election, capacity=2, start=20, end=23)
    committed(services.move, invited, other, by=None)
    committed(services.remove, invited, by=None)
    freed = [(r.json["data"]["shift_id"], r.json["data"]["reason"]) for r in receiver.verified]
    assert freed == [(old.pk, "moved"), (other.pk, "removed")]


def test_an_unanswered_invitation_expires(receiver, invited, committed):
    subscribe(receiver, events=[Event.SEAT_FREED])
    later = timezone.now() + timedelta(days=invited.shift.election.response_days + 1)
    committed(services.expire_invitations, later)
    [event] = [r.json for r in receiver.verified]
    assert (event["data"]["assignment_id"], event["data"]["reason"]) == (invited.pk, "expired")


def test_a_message_that_fails_for_good(receiver, invited, monkeypatch, committed):
    subscribe(receiver, events=[Event.MESSAGE_FAILED])
    failing = Message.objects.get()
    Message.objects.filter(pk=failing.pk).update(status="queued", attempts=0)

    def refuse(message):
        raise DeliveryError("550 no such user", transient=False)

    monkeypatch.setattr(tasks, "deliver", refuse)
    assert committed(tasks.deliver_message, failing.pk) == "failed"
    # The email, then the SMS sent instead (staffing.fallback), refused as well.
    failed = list(
        Message.objects.filter(status="failed").order_by("pk").values_list("pk", flat=True)
    )
    assert failed[0] == failing.pk
    events = [r.json["data"] for r in receiver.verified]
    assert [e["message_id"] for e in events] == failed
    assert {e["subject_type"] for e in events} == {"staffing.assignment"}


def test_closing_an_election_and_a_failed_message(receiver, invited, committed):
    subscribe(receiver)
    message = Message.objects.get()  # the invitation
    Message.objects.filter(pk=message.pk).update(
        status="sent", provider_id="SM1", sent_at=timezone.now()
    )
    committed(record_delivery_status, "SM1", "undelivered", "30003")
    committed(change_election_status, invited.shift.election, "closed", by=None)
    events = [r.json for r in receiver.verified]
    assert [e["type"] for e in events] == [
        "message.failed",
        "seat.freed",
        "election.status_changed",
    ]
    assert events[0]["data"]["message_id"] == message.pk
    assert message.to not in receiver.requests[0].body.decode()
    # Closing withdraws the open invitation: its seat is freed.
    assert events[1]["data"]["reason"] == "election_closed"
    assert events[2]["data"] == {
        "election_id": invited.shift.election_id,
        "status": "closed",
        "previous_status": "active",
    }


def test_retried_on_500_with_backoff_then_delivered(receiver, committed):
    endpoint = subscribe(receiver)
    receiver.fail_next(500, times=2)
    committed(lambda: webhooks.send_test(endpoint))
    delivery = WebhookDelivery.objects.get()
    for attempt, wait in ((1, 1), (2, 2)):
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
            Status.QUEUED,
            attempt,
            500,
        )
        ahead = delivery.next_attempt_at - timezone.now()
        assert timedelta(minutes=wait, seconds=-5) < ahead <= timedelta(minutes=wait)
        tasks.sweep_outbox()  # not due yet: nothing sent
        assert len(receiver.requests) == attempt
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            next_attempt_at=timezone.now() - timedelta(seconds=1)
        )
        tasks.sweep_outbox()  # due: sent again
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        Status.DELIVERED,
        3,
        204,
    )
    assert len({r.headers["Pollcrew-Delivery"] for r in receiver.requests}) == 1
    assert len({r.body for r in receiver.requests}) == 1  # the same bytes each time
    assert all(r.verified for r in receiver.requests)


def test_failed_after_the_last_attempt_and_sent_again_from_the_log(
    receiver, settings, admin, committed
):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    endpoint = subscribe(receiver)
    receiver.fail_next(503, times=2)
    committed(lambda: webhooks.send_test(endpoint))
    WebhookDelivery.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    tasks.sweep_outbox()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (
        Status.FAILED,
        2,
        None,
    )
    tasks.sweep_outbox()
    assert len(receiver.requests) == 2  # a failed one stays failed
    page = admin.get(reverse("administration:webhook", args=[endpoint.pk])).content.decode()
    assert "503" in page and "Send again" in page
    url = reverse("administration:webhook_redeliver", args=[endpoint.pk, delivery.pk])
    committed(lambda: admin.post(url))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Status.DELIVERED, 1)
    assert receiver.requests[-1].headers["Pollcrew-Delivery"] == str(delivery.event_id)
    assert AuditEntry.objects.filter(action="webhooks.redeliver").count() == 1


def test_a_task_run_twice_posts_once(receiver):
    endpoint = subscribe(receiver)
    delivery = webhooks.send_test(endpoint)  # no commit: no task ran
    assert tasks.deliver_webhook(delivery.pk) == "delivered"
    assert tasks.deliver_webhook(delivery.pk) == "skipped"
    tasks.sweep_outbox()
    assert len(receiver.requests) == 1


def test_nothing_is_sent_when_the_change_rolls_back(receiver, invited, committed):
    subscribe(receiver)

    def accept_then_fail() -> None:
        with transaction.atomic():
            services.accept(invited)
            raise RuntimeError("something after the answer failed")

    with pytest.raises(RuntimeError):
        committed(accept_then_fail)
    assert not WebhookDelivery.objects.exists()
    tasks.sweep_outbox()
    assert receiver.requests == []


def test_the_sweep_sends_what_a_lost_task_or_a_dead_worker_left(receiver):
    endpoint = subscribe(receiver)
    lost = webhooks.send_test(endpoint)  # never dispatched (the commit never came)
    WebhookDelivery.objects.filter(pk=lost.pk).update(dispatched_at=None)
    interrupted = webhooks.send_test(endpoint)
    WebhookDelivery.objects.filter(pk=interrupted.pk).update(
        status=Status.SENDING, attempts=1, claimed_at=timezone.now() - timedelta(minutes=5)
    )
    tasks.sweep_outbox()
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {Status.DELIVERED}
    assert WebhookDelivery.objects.get(pk=interrupted.pk).attempts == 2
    assert len(receiver.requests) == 2


def test_a_burst_is_published_in_part_and_swept_for_the_rest(receiver, monkeypatch, committed):
    subscribe(receiver, events=[Event.SEAT_FREED])
    monkeypatch.setattr(webhooks, "DISPATCH_AT_ONCE", 2)
    committed(webhooks.emit_many, Event.SEAT_FREED, [{"shift_id": n} for n in range(5)])
    assert len(receiver.requests) == 2
    tasks.sweep_outbox()
    assert sorted(r.json["data"]["shift_id"] for r in receiver.verified) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(
    "address",
    [
        "https://10.0.0.5/hook",
        "https://192.168.1.20/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://127.0.0.1:8000/hook",
        "https://[::1]/hook",
        "https://[::ffff:10.0.0.1]/hook",
        "https://0.0.0.0/hook",
        "https://localhost/hook",  # a name: what it resolves to is checked
        # IPv6 forms that carry an IPv4 address a translator or tunnel reaches:
        "https://[::127.0.0.1]/hook",  # IPv4-compatible
        "https://[::ffff:0:a00:1]/hook",  # IPv4-translated (SIIT)
        "https://[64:ff9b::a9fe:a9fe]/hook",  # NAT64: 169.254.169.254
        "https://[64:ff9b:1::a00:1]/hook",  # local-use NAT64
        "https://[2002:a00:1::1]/hook",  # 6to4: 10.0.0.1
    ],
)
def test_private_addresses_are_refused(address):
    with pytest.raises(Refused) as refused:
        webhooks.check_url(address)
    assert refused.value.code == "private_address"


def test_only_https_and_no_credentials():
    for address, code in (
        ("http://93.184.215.14/hook", "not_https"),
        ("https://user:pw@93.184.215.14/hook", "url_credentials"),
        ("ftp://93.184.215.14/hook", "bad_url"),
    ):
        with pytest.raises(Refused) as refused:
            webhooks.check_url(address)
        assert refused.value.code == code
    assert webhooks.check_url(" https://93.184.215.14/hook ") == "https://93.184.215.14/hook"
    # 127.0.0.1 written in decimal, octal, hex or short: never let through.
    for loopback in ("https://2130706433/", "https://0177.0.0.1/", "https://0x7f.1/"):
        with pytest.raises(Refused):
            webhooks.check_url(loopback)
    for public in ("https://[2606:4700::1111]/", "https://[64:ff9b::5db8:d70e]/"):
        assert webhooks.check_url(public) == public


def test_the_form_says_why_a_private_address_is_refused(admin):
    response = admin.post(
        reverse("administration:webhook_create"),
        {"url": "https://10.0.0.5/hook", "events": ["seat.freed"], "active": "on"},
    )
    assert response.status_code == 400
    assert "10.0.0.5 is a private, local or reserved address" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_the_admin_adds_a_webhook_sees_its_secret_and_sends_a_test_event(
    receiver, admin, committed
):
    response = admin.post(
        reverse("administration:webhook_create"),
        {"url": receiver.url, "description": "Lønsystem", "events": ALL, "active": "on"},
    )
    endpoint = WebhookEndpoint.objects.get()
    assert response["Location"] == reverse("administration:webhook_secret", args=[endpoint.pk])
    secret = webhooks.secret_of(endpoint)
    assert len(secret) == len("whsec_") + 64  # 256 bits
    assert secret in admin.get(response["Location"]).content.decode()
    receiver.secret = secret
    test_url = reverse("administration:webhook_test", args=[endpoint.pk])
    committed(lambda: admin.post(test_url, follow=True))
    [request] = receiver.verified
    assert request.json["type"] == "ping"
    page = admin.get(reverse("administration:webhook", args=[endpoint.pk])).content.decode()
    assert "ping" in page and "Delivered" in page
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"webhooks.create", "webhooks.show_secret", "webhooks.send_test"} <= actions
    assert secret not in str(list(AuditEntry.objects.values_list("changes", "detail")))


def test_a_new_secret_signs_from_then_on(receiver, admin, committed):
    endpoint = subscribe(receiver)
    old = webhooks.secret_of(endpoint)
    admin.post(reverse("administration:webhook_secret", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    assert webhooks.secret_of(endpoint) != old
    committed(lambda: webhooks.send_test(endpoint))
    assert not receiver.requests[-1].verified  # the receiver still has the old one


def test_deactivating_cancels_what_is_queued(receiver, admin):
    endpoint = subscribe(receiver)
    queued = webhooks.send_test(endpoint)  # not dispatched yet
    response = admin.post(
        reverse("administration:webhook", args=[endpoint.pk]),
        {"url": endpoint.url, "events": [Event.SEAT_FREED]},  # "active" unticked
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.active, endpoint.events) == (False, [Event.SEAT_FREED])
    assert WebhookDelivery.objects.get(pk=queued.pk).status == Status.CANCELLED
    assert webhooks.emit(Event.SEAT_FREED, {"shift_id": 1}) == []


def test_the_delivery_log_costs_the_same_queries_for_2_or_20_rows(
    receiver, admin, django_assert_num_queries
):
    endpoint = subscribe(receiver)
    url = reverse("administration:webhook", args=[endpoint.pk])
    for rows in (2, 20):
        while endpoint.deliveries.count() < rows:
            webhooks.send_test(endpoint)
        # session, user (an admin: no grants to read), the endpoint, its latest deliveries
        with django_assert_num_queries(4):
            response = admin.get(url)
        assert response.content.decode().count("<td>ping<br>") == rows


def test_a_delivery_in_flight_when_the_endpoint_is_deactivated_is_not_retried(receiver):
    endpoint = subscribe(receiver)
    [pk] = webhooks.emit(Event.SEAT_FREED, {"shift_id": 1})
    claimed = webhooks._claim(pk)  # a worker is sending it (the receiver is slow)…
    webhooks.update_endpoint(endpoint, active=False)  # …when the admin turns it off
    webhooks.record(claimed, webhooks.Outcome(False, None, "Timed out"))
    WebhookDelivery.objects.filter(pk=pk).update(next_attempt_at=timezone.now())
    tasks.sweep_outbox()
    assert receiver.requests == []
    cancelled = WebhookDelivery.objects.get(pk=pk)
    assert cancelled.status == Status.CANCELLED
    with pytest.raises(Refused) as refused:  # "Send again" says why not
        webhooks.redeliver(cancelled)
    assert refused.value.code == "inactive"


def test_the_office_approving_a_held_sign_up_is_an_answer(receiver, invited, committed):
    subscribe(receiver, events=[Event.ASSIGNMENT_ANSWERED])
    Assignment.objects.filter(pk=invited.pk).update(awaiting_approval=True)
    office = f.user("koordinator@kommune.dk", coordinator=True)
    committed(signup_services.approve_signup, invited, by=office)
    [event] = [r.json["data"] for r in receiver.verified]
    assert (event["assignment_id"], event["status"], event["on_behalf"]) == (
        invited.pk,
        "accepted",
        True,
    )


def test_two_closings_at_once_send_one_status_change(receiver, invited, committed):
    subscribe(receiver, events=[Event.ELECTION_STATUS_CHANGED])
    election = invited.shift.election
    # The second request read the election before the first one's commit.
    stale = Election.objects.get(pk=election.pk)
    committed(change_election_status, election, "closed", by=None)
    committed(change_election_status, stale, "closed", by=None)
    committed(change_election_status, stale, "active", by=None)  # and reopened
    changes = [
        (r.json["data"]["previous_status"], r.json["data"]["status"]) for r in receiver.verified
    ]
    assert changes == [("active", "closed"), ("closed", "active")]


def test_an_endpoint_deleted_as_an_answer_is_given_does_not_undo_the_answer(
    receiver, invited, committed
):
    endpoint = subscribe(receiver)
    webhooks._subscribers()  # another process has the list of endpoints cached…
    # …as the admin's delete commits (after the cache was cleared).
    WebhookEndpoint.objects.filter(pk=endpoint.pk).delete()
    committed(services.accept, invited)
    connection.check_constraints()  # what the answer's commit checks
    invited.refresh_from_db()
    assert invited.status == "accepted"
    tasks.sweep_outbox()
    assert receiver.requests == []
    assert not WebhookDelivery.objects.exists()  # the event went with its endpoint


def test_a_bounce_and_a_message_interrupted_once_too_often_fail(receiver, invited, committed):
    subscribe(receiver, events=[Event.MESSAGE_FAILED])
    bounced = Message.objects.get()
    Message.objects.filter(pk=bounced.pk).update(
        channel="email", status="sent", sent_at=timezone.now()
    )
    committed(record_bounce, Bounce(bounced.idempotency_key, True, "5.1.1", "no such user"))
    other = f.shift(invited.shift.election, start=20, end=23)
    [seat] = services.invite(other, [invited.volunteer], by=None).invited
    interrupted = Message.objects.get(subject_id=seat.pk)
    Message.objects.filter(pk=interrupted.pk).update(
        status="sending",
        attempts=tasks.MAX_ATTEMPTS,
        claimed_at=timezone.now() - timedelta(hours=1),
    )
    committed(tasks.requeue_interrupted)
    failed = [r.json["data"]["message_id"] for r in receiver.verified]
    assert failed == [bounced.pk, interrupted.pk]


def test_a_no_by_sms_answers_and_frees_the_seat_once(receiver, invited, committed):
    subscribe(receiver, events=[Event.ASSIGNMENT_ANSWERED, Event.SEAT_FREED])
    sms = InboundSms(provider_id="SM" + "a" * 32, sender=invited.volunteer.phone, body="NEJ")
    committed(receive_inbound_sms, sms)
    committed(receive_inbound_sms, sms)  # Twilio sends it again: already answered
    events = [(r.json["type"], r.json["data"]["status"]) for r in receiver.verified]
    assert events == [("assignment.answered", "declined"), ("seat.freed", "declined")]
    assert receiver.verified[0].json["data"]["on_behalf"] is False


def test_merging_two_records_on_one_shift_frees_the_dropped_seat(receiver, invited, committed):
    subscribe(receiver, events=[Event.SEAT_FREED])
    twin = f.volunteer(email="twin@example.dk")
    [theirs] = services.invite(invited.shift, [twin], by=None).invited
    committed(services.merge_volunteers, invited.volunteer, twin, by=None)
    freed = [(r.json["data"]["assignment_id"], r.json["data"]["reason"]) for r in receiver.verified]
    assert len(freed) == 1
    assert freed[0][1] == "merged"
    assert freed[0][0] in {invited.pk, theirs.pk}


def test_claiming_a_standby_offer_one_was_invited_to_meanwhile_is_an_answer(
    receiver, committed, coordinator
):
    from staffing.services import standby
    from tests.test_standby import full_shift, offer_of, queue

    shift, [seat] = full_shift()
    [person] = queue(shift, 1)
    committed(services.decline, seat)
    offer = offer_of(person)
    services.invite(shift, [person], by=coordinator)  # the office, by phone meanwhile
    subscribe(receiver, events=[Event.ASSIGNMENT_ANSWERED])
    claimed = committed(standby.claim_offer, offer)
    [event] = receiver.verified
    assert event.json["data"]["assignment_id"] == claimed.pk
    assert event.json["data"]["status"] == "accepted"


def test_old_finished_deliveries_leave_the_log_and_queued_ones_stay(receiver, settings):
    settings.WEBHOOK_DELIVERIES_KEEP_DAYS = 30
    endpoint = subscribe(receiver)
    now = timezone.now()
    made = {}
    for name, status, age in [
        ("old_delivered", "delivered", 31),
        ("old_failed", "failed", 40),
        ("old_queued", "queued", 60),
        ("recent_delivered", "delivered", 29),
    ]:
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint,
            event_type=Event.ASSIGNMENT_ANSWERED,
            event_id=uuid.uuid4(),
            payload={},
            status=status,
            delivered_at=now if status == "delivered" else None,
        )
        WebhookDelivery.objects.filter(pk=delivery.pk).update(created_at=now - timedelta(days=age))
        made[name] = delivery.pk

    assert tasks.purge_webhook_deliveries() == 2
    left = set(WebhookDelivery.objects.values_list("pk", flat=True))
    assert left == {made["old_queued"], made["recent_delivered"]}
    assert tasks.purge_webhook_deliveries() == 0
