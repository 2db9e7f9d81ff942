"""An election's message log through its pages: what is listed (the election's
seats only, newest first), the filters, pages and the delivery statistics, scope
(station managers see their stations' messages; outside: 404), constant query
counts, a message's history, and sending a failed message again: a new row with
a working link, the same one when asked twice, refusals, CSRF and the audit log.

Messages are queued by the staffing services and delivered by the real task to
the in-memory SMS and email backends; a failure is the provider's status
callback ("undelivered"), as in production."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEntry, User
from elections.models import Election
from notifications.models import Message
from notifications.services import record_delivery_status
from staffing import services
from staffing.message_log import delivery_stats
from staffing.messaging import messages_for_volunteer
from staffing.models import Assignment
from staffing.services.resend import resend_message
from tests import factories as f
from tests.fakes.scenarios import link_in

pytestmark = pytest.mark.django_db


def login(user: User, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def log_url(election: Election) -> str:
    return reverse("staffing:election_messages", args=[election.pk])


def detail_url(message: Message) -> str:
    election_id = Assignment.objects.get(pk=message.subject_id).shift.election_id
    return reverse("staffing:election_message", args=[election_id, message.pk])


def resend_url(message: Message) -> str:
    election_id = Assignment.objects.get(pk=message.subject_id).shift.election_id
    return reverse("staffing:election_message_resend", args=[election_id, message.pk])


def listed(response) -> list[int]:
    return [row.message.pk for row in response.context["rows"]]


def invitation_of(volunteer) -> Message:
    return messages_for_volunteer(volunteer).get(kind="invitation")


@pytest.fixture
def world(committed):
    """One election, two stations; Anna (SMS) and Bo (email) invited at Nordskolen,
    Cilla (SMS) at Sydhallen, all delivered; Anna's SMS then failed at the
    provider. Another election with Dan, whose messages are never in this log."""
    e = f.election(name="Folketingsvalg 2027")
    nord = f.station(f.area("Nord"), name="Nordskolen")
    syd = f.station(f.area("Syd"), name="Sydhallen")
    nord_shift = f.shift(e, station_=nord, capacity=5)
    syd_shift = f.shift(e, station_=syd, capacity=5, start=14, end=22)
    anna = f.volunteer("sms", first_name="Anna", last_name="Andersen", phone="+4520123456")
    bo = f.volunteer("email", first_name="Bo", last_name="Brandt")
    cilla = f.volunteer("sms", first_name="Cilla", last_name="Carlsen")
    committed(services.invite, nord_shift, [anna, bo], by=None)
    committed(services.invite, syd_shift, [cilla], by=None)
    failed = invitation_of(anna)
    failed.refresh_from_db()
    assert failed.status == Message.Status.SENT
    assert record_delivery_status(failed.provider_id, "undelivered", "30003")
    other = f.election(name="Kommunalvalg 2029")
    dan = f.volunteer("sms", first_name="Dan", last_name="Dahl")
    committed(services.invite, f.shift(other), [dan], by=None)
    return {
        "election": e,
        "other": other,
        "nord": nord,
        "syd": syd,
        "nord_shift": nord_shift,
        "anna": anna,
        "bo": bo,
        "cilla": cilla,
        "dan": dan,
        "failed": Message.objects.get(pk=failed.pk),
    }


# --- the log -----------------------------------------------------------------------------


def test_log_lists_the_elections_messages_newest_first(world, coordinator):
    response = login(coordinator).get(log_url(world["election"]))
    assert response.status_code == 200
    expected = [invitation_of(world[n]).pk for n in ("cilla", "bo", "anna")]
    assert listed(response) == sorted(expected, reverse=True)
    assert invitation_of(world["dan"]).pk not in listed(response)
    page = response.content.decode()
    assert "Invitation" in page
    assert "+45 20 12 34 56" in page  # the recipient, as the volunteer's page shows it
    assert reverse("staffing:volunteer", args=[world["anna"].pk]) in page
    assert "Provider reported undelivered (code 30003)" in page
    assert AuditEntry.objects.filter(
        action="read.message_log", election_id=world["election"].pk, actor=coordinator
    ).exists()


def test_the_board_links_to_the_log(world, coordinator):
    board = login(coordinator).get(reverse("staffing:board", args=[world["election"].pk]))
    assert log_url(world["election"]) in board.content.decode()


@pytest.mark.parametrize(
    ("params", "who"),
    [
        ({"channel": "sms"}, ["anna", "cilla"]),
        ({"channel": "email"}, ["bo"]),
        ({"status": "failed"}, ["anna"]),
        ({"status": "sent"}, ["bo", "cilla"]),
        ({"kind": "invitation", "status": "sent", "channel": "sms"}, ["cilla"]),
        ({"kind": "accepted"}, []),
        ({"q": "andersen"}, ["anna"]),
        ({"q": "ANNA andersen"}, ["anna"]),
        ({"q": "20 12 34 56"}, ["anna"]),
        ({"q": "nobody"}, []),
    ],
)
def test_filters(world, coordinator, params, who):
    response = login(coordinator).get(log_url(world["election"]), params)
    assert set(listed(response)) == {invitation_of(world[n]).pk for n in who}
    assert response.context["filtered"]


def test_filter_by_volunteer_id_and_day(world, coordinator, committed):
    e, anna = world["election"], world["anna"]
    committed(services.accept, Assignment.objects.get(volunteer=anna))
    client = login(coordinator)
    response = client.get(log_url(e), {"volunteer": anna.pk})
    assert set(listed(response)) == {m.pk for m in messages_for_volunteer(anna)}
    assert len(listed(response)) == 2  # the invitation and the confirmation
    day = e.election_date
    assert len(listed(client.get(log_url(e), {"day": day.isoformat()}))) == 4
    assert listed(client.get(log_url(e), {"day": (day + timedelta(days=1)).isoformat()})) == []
    # A day that is no date is an error on the form, and every message is shown.
    response = client.get(log_url(e), {"day": "not-a-day"})
    assert response.context["form"].errors["day"]
    assert len(listed(response)) == 4


def test_pages_of_fifty(coordinator):
    e = f.election()
    shift = f.shift(e, capacity=60)
    services.invite(shift, [f.volunteer() for _ in range(60)], by=None)
    client = login(coordinator)
    first = client.get(log_url(e))
    assert len(first.context["rows"]) == 50
    assert "Page 1 of 2" in first.content.decode()
    second = client.get(log_url(e), {"page": 2, "channel": "email"})
    assert len(second.context["rows"]) == 10
    assert "channel=email&amp;page=1" in second.content.decode()
    assert set(listed(first)).isdisjoint(listed(second))
    newest = Message.objects.filter(subject_id__in=shift.assignments.values("pk"))
    assert listed(first)[0] == newest.order_by("-created_at", "-pk").first().pk


def test_query_count_is_constant(coordinator, django_assert_num_queries):
    e = f.election()
    shift = f.shift(e, capacity=100)

    def add(count: int) -> None:
        people = [f.volunteer("sms" if i % 2 else "email") for i in range(count)]
        services.invite(shift, people, by=None)

    add(5)
    client = login(coordinator)
    # session, user, grants (scope), the election, the statistics (one aggregate,
    # and the people reached by post only), COUNT, the page, its assignments with
    # volunteer, station and role, the read's audit entry.
    expected = 10
    with django_assert_num_queries(expected):
        response = client.get(log_url(e))
    assert len(response.context["rows"]) == 5
    add(45)
    with django_assert_num_queries(expected):
        response = client.get(log_url(e))
    assert len(response.context["rows"]) == 50
    with django_assert_num_queries(expected):
        client.get(log_url(e), {"q": "karen", "channel": "sms", "status": "queued", "page": 1})


def test_delivery_statistics_by_channel_and_status(world, coordinator, django_assert_num_queries):
    response = login(coordinator).get(log_url(world["election"]))
    stats = response.context["stats"]
    by_channel = {row.channel: row.counts for row in stats.channels}
    assert by_channel == {"email": {"sent": 1}, "sms": {"failed": 1, "sent": 1}}
    assert stats.total.counts == {"sent": 2, "failed": 1}
    assert stats.total.total == 3
    with django_assert_num_queries(1):
        delivery_stats(Message.objects.all())


# --- scope -------------------------------------------------------------------------------


def test_station_manager_sees_only_their_stations_messages(world):
    manager = login(f.user(role="station_manager", stations=[world["nord"]]))
    response = manager.get(log_url(world["election"]))
    assert set(listed(response)) == {invitation_of(world[n]).pk for n in ("anna", "bo")}
    assert {row.channel: row.total for row in response.context["stats"].channels} == {
        "email": 1,
        "sms": 1,
    }
    assert manager.get(detail_url(invitation_of(world["bo"]))).status_code == 200
    assert manager.get(detail_url(invitation_of(world["cilla"]))).status_code == 404
    # May read the failed message, not send it again (no button; the POST is a 404).
    page = manager.get(detail_url(world["failed"]))
    assert page.status_code == 200
    assert resend_url(world["failed"]) not in page.content.decode()
    assert manager.post(resend_url(world["failed"])).status_code == 404


def test_outside_the_scope_is_404(world):
    e, other = world["election"], world["other"]
    limited = login(f.user(role="coordinator", elections=[other]))
    assert limited.get(log_url(e)).status_code == 404
    assert limited.get(detail_url(world["failed"])).status_code == 404
    assert limited.post(resend_url(world["failed"])).status_code == 404
    assert login(f.user(role="viewer")).get(log_url(e)).status_code == 404
    # A message of another election, under this election's URL: 404.
    dans = invitation_of(world["dan"])
    wrong = reverse("staffing:election_message", args=[e.pk, dans.pk])
    assert login(f.user(role="coordinator")).get(wrong).status_code == 404


# --- a message's history -----------------------------------------------------------------


def test_history_of_a_message(world, coordinator):
    failed = world["failed"]
    response = login(coordinator).get(detail_url(failed))
    page = response.content.decode()
    assert response.status_code == 200
    for shown in ("Failed", "Provider reported undelivered (code 30003)", failed.provider_id):
        assert shown in page
    assert "[redacted]" in page  # the body as stored once it was sent
    assert resend_url(failed) in page  # the button
    assert AuditEntry.objects.filter(action="read.message", actor=coordinator).exists()


def test_a_queued_message_never_shows_its_live_link(coordinator):
    e = f.election()
    [seat] = services.invite(f.shift(e), [f.volunteer()], by=None).invited
    queued = invitation_of(seat.volunteer)
    _url, token = link_in(queued.body)  # still in the stored body, until it is sent
    page = login(coordinator).get(detail_url(queued)).content.decode()
    assert token not in page
    assert "[redacted]" in page


# --- sending again -----------------------------------------------------------------------


def test_resend_makes_one_new_message_with_a_working_link(
    world, coordinator, sms_outbox, django_capture_on_commit_callbacks
):
    failed, anna = world["failed"], world["anna"]
    client = login(coordinator)
    sms_outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(resend_url(failed))
    resent = Message.objects.get(idempotency_key=f"resend:{failed.pk}")
    assert response.status_code == 302
    assert response["Location"] == detail_url(resent)
    assert resent.pk != failed.pk
    assert (resent.kind, resent.subject_type, resent.subject_id) == (
        "invitation",
        "staffing.assignment",
        failed.subject_id,
    )
    assert resent.status == Message.Status.SENT
    failed.refresh_from_db()
    assert failed.status == Message.Status.FAILED  # the original row is kept as it was
    # Delivered once, with a fresh link that opens the volunteer's page.
    [sms] = sms_outbox
    assert sms.to == anna.phone
    link, _token = link_in(sms.body)
    assert Client().get(link).status_code == 200
    # Each page links to the other.
    assert detail_url(resent) in client.get(detail_url(failed)).content.decode()
    assert detail_url(failed) in client.get(detail_url(resent)).content.decode()
    # Asked again (a second click, a second coordinator): the same message, nothing sent.
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(resend_url(failed))
    assert again["Location"] == detail_url(resent)
    assert Message.objects.filter(idempotency_key__startswith="resend:").count() == 1
    assert len(sms_outbox) == 1
    assert resend_message(failed, by=coordinator).pk == resent.pk


def test_resend_is_audited(world, coordinator):
    failed = world["failed"]
    resent = resend_message(failed, by=coordinator)
    entry = AuditEntry.objects.get(action="staffing.resend_message")
    assert entry.actor == coordinator
    assert (entry.object_type, entry.object_id) == ("staffing.assignment", failed.subject_id)
    assert entry.election_id == world["election"].pk
    assert entry.detail["message"] == failed.pk
    assert entry.detail["resent_as"] == resent.pk
    resend_message(failed, by=coordinator)
    assert AuditEntry.objects.filter(action="staffing.resend_message").count() == 1


def refused(client: Client, message: Message) -> str:
    before = Message.objects.count()
    response = client.post(resend_url(message), follow=True)
    assert response.redirect_chain[-1][0] == detail_url(message)
    assert Message.objects.count() == before
    return " ".join(str(m) for m in response.context["messages"])


def test_resend_refused_when_not_failed(world, coordinator):
    sent = invitation_of(world["bo"])
    text = refused(login(coordinator), sent)
    assert "Only a message that failed can be sent again" in text
    assert resend_url(sent) not in login(coordinator).get(detail_url(sent)).content.decode()


def test_resend_refused_when_the_invitation_is_no_longer_open(world, coordinator):
    seat = Assignment.objects.get(volunteer=world["anna"])
    services.decline(seat)
    assert "no longer true" in refused(login(coordinator), world["failed"])


def test_resend_refused_for_do_not_contact(world, coordinator):
    anna = world["anna"]
    anna.do_not_contact = True
    anna.save(update_fields=["do_not_contact"])
    assert "do not contact" in refused(login(coordinator), world["failed"])


def test_resend_refused_when_the_election_is_closed(world, coordinator):
    Election.objects.filter(pk=world["election"].pk).update(status=Election.Status.CLOSED)
    assert "closed" in refused(login(coordinator), world["failed"])


def test_resend_refused_for_a_notice_of_a_move(world, coordinator, committed):
    anna, nord_shift = world["anna"], world["nord_shift"]
    seat = Assignment.objects.get(volunteer=anna)
    committed(services.accept, seat)
    other_shift = f.shift(world["election"], station_=world["nord"], start=21, end=23)
    committed(services.move, seat, other_shift, by=coordinator)
    moved = messages_for_volunteer(anna).get(kind="moved")
    Message.objects.filter(pk=moved.pk).update(status=Message.Status.FAILED)
    assert nord_shift.pk != other_shift.pk
    assert "cannot be sent again" in refused(login(coordinator), moved)


def test_resend_needs_a_csrf_token(world, coordinator):
    client = login(coordinator, enforce_csrf_checks=True)
    url = resend_url(world["failed"])
    assert client.post(url).status_code == 403
    assert not Message.objects.filter(idempotency_key__startswith="resend:").exists()
    page = client.get(detail_url(world["failed"])).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    assert client.post(url, {"csrfmiddlewaretoken": token}).status_code == 302
    assert Message.objects.filter(idempotency_key=f"resend:{world['failed'].pk}").exists()


def test_a_failed_resend_can_be_sent_again_as_a_new_message(world, coordinator):
    first = resend_message(world["failed"], by=coordinator)
    Message.objects.filter(pk=first.pk).update(status=Message.Status.FAILED)
    first.refresh_from_db()
    second = resend_message(first, by=coordinator)
    assert len({world["failed"].pk, first.pk, second.pk}) == 3
    assert second.idempotency_key == f"resend:{first.pk}"


@pytest.mark.django_db(transaction=True)
def test_resends_at_the_same_moment_make_one_new_message():
    """Five coordinators press "Send again" at once: one new message, one audit
    entry, and every one of them lands on its page."""
    e = f.election()
    [seat] = services.invite(f.shift(e), [f.volunteer("sms")], by=None).invited
    failed = invitation_of(seat.volunteer)
    Message.objects.filter(pk=failed.pk).update(
        status=Message.Status.FAILED, last_error="Provider reported undelivered (code 30003)"
    )
    users = [f.user(role="coordinator") for _ in range(5)]
    start = threading.Barrier(len(users))
    landed: list[str] = []

    def press(user: User) -> None:
        try:
            client = login(user)
            start.wait()
            landed.append(client.post(resend_url(failed))["Location"])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=press, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    resent = Message.objects.get(idempotency_key=f"resend:{failed.pk}")
    assert landed == [detail_url(resent)] * len(users)
    assert Message.objects.count() == 2
    assert AuditEntry.objects.filter(action="staffing.resend_message").count() == 1
