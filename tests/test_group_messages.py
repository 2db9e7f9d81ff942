"""Group messages through their pages and the job: who a filter reaches (each
person once, never "do not contact", the unreachable counted as "no address"),
the placeholders checked, the preview for a real recipient with the SMS cost,
sending (the request only starts the job; the job is set-based and idempotent),
progress and result, scope, CSRF, the audit log and the message log.

Messages are queued through the outbox and delivered by the real task (eager
Celery) to the in-memory SMS and email backends."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry, User
from elections.models import Election
from notifications import sms
from notifications.models import Message
from staffing import group_messages as groups
from staffing.models import Assignment, GroupMessage, GroupRecipient, PersonalLink
from staffing.services import group_messages as services
from tests import factories as f
from tests.fakes.scenarios import resolve

pytestmark = pytest.mark.django_db

Status = Assignment.Status


def login(user: User, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def compose_url(election: Election) -> str:
    return reverse("staffing:group_messages", args=[election.pk])


def page_url(group: GroupMessage) -> str:
    return reverse("staffing:group_message", args=[group.election_id, group.pk])


def send_url(group: GroupMessage) -> str:
    return reverse("staffing:group_message_send", args=[group.election_id, group.pk])


def seat(shift, volunteer, status: str = Status.ACCEPTED) -> Assignment:
    now = timezone.now()
    return Assignment.objects.create(
        shift=shift,
        volunteer=volunteer,
        status=status,
        responded_at=now if status != Status.INVITED else None,
        checked_in_at=now if status == Status.CHECKED_IN else None,
    )


def form_data(**overrides) -> dict:
    data = {
        "area": "",
        "station": "",
        "role": "",
        "team": "",
        "day": "",
        "statuses": list(groups.STATUSES),
        "subject": "Husk mødet, {first_name}",
        "body": "Hej {first_name}. Du er {role} på {station} {when}. Se {link}",
    }
    data.update(overrides)
    return data


@pytest.fixture
def world():
    """Two areas, three stations, two roles, a team's shift and two days.
    Every person's seats are listed in ``seats`` (volunteer → their shifts and states)."""
    e = f.election(name="Folketingsvalg 2027")
    nord, syd = f.area("Nord"), f.area("Syd")
    skole = f.station(nord, name="Nordskolen")
    hal = f.station(nord, name="Nordhallen")
    kirke = f.station(syd, name="Sydkirken")
    chair, clerk = f.role("Valgstyrer"), f.role("Tilforordnet")
    team = f.team("Venstre")
    day1 = f.shift(e, station_=skole, role_=chair, capacity=10)
    day1_clerk = f.shift(e, station_=hal, role_=clerk, capacity=10, start=14, end=22)
    team_shift = f.shift(e, station_=kirke, role_=clerk, capacity=10, team=team)
    # The day before election day (postal votes): a shift of its own.
    before = f.shift(e, station_=kirke, role_=chair, capacity=10)
    before.starts_at -= timedelta(days=1)
    before.ends_at -= timedelta(days=1)
    before.save()
    people = {
        "anna": f.volunteer("sms", first_name="Anna", last_name="Andersen"),
        "bo": f.volunteer("email", first_name="Bo", last_name="Brandt"),
        "cilla": f.volunteer("sms", first_name="Cilla", last_name="Carlsen"),
        "dan": f.volunteer("email", first_name="Dan", last_name="Dahl"),
        "eva": f.volunteer("sms", first_name="Eva", last_name="Eriksen"),
        "finn": f.volunteer("email", first_name="Finn", last_name="Fog"),
        "gry": f.volunteer("sms", first_name="Gry", last_name="Gade", unreachable=True),
        "hans": f.volunteer("email", first_name="Hans", last_name="Holm", do_not_contact=True),
        "ida": f.volunteer("email", first_name="Ida", last_name="Iversen"),
    }
    p = people
    seats = [
        seat(day1, p["anna"]),
        seat(day1_clerk, p["anna"], Status.INVITED),  # Anna: two seats, one message
        seat(day1, p["bo"], Status.INVITED),
        seat(day1_clerk, p["cilla"], Status.CHECKED_IN),
        seat(team_shift, p["dan"]),
        seat(before, p["eva"]),
        seat(team_shift, p["finn"], Status.DECLINED),  # declined: never
        seat(day1, p["gry"]),  # reached by post only: "no address"
        seat(day1_clerk, p["hans"]),  # do not contact: left out
        seat(before, p["ida"], Status.INVITED),
    ]
    return {
        "election": e,
        "areas": (nord, syd),
        "stations": (skole, hal, kirke),
        "roles": (chair, clerk),
        "team": team,
        "shifts": (day1, day1_clerk, team_shift, before),
        "people": people,
        "seats": seats,
        "days": (before.starts_at, day1.starts_at),
    }


@pytest.fixture
def coordinator_client(world):
    return login(f.user("koord@kommune.dk", coordinator=True))


def expected(world, filters: groups.Filters) -> tuple[set[str], int, int, int]:
    """Who the filter should reach, worked out by hand from the fixture's seats."""
    names = {v.pk: name for name, v in world["people"].items()}
    reached = set()
    for a in world["seats"]:
        shift = a.shift
        if a.status not in filters.statuses or a.volunteer.do_not_contact:
            continue
        if filters.area and shift.station.area_id != filters.area:
            continue
        if filters.station and shift.station_id != filters.station:
            continue
        if filters.role and shift.role_id != filters.role:
            continue
        if filters.team and shift.team_id != filters.team:
            continue
        if filters.day and timezone.localtime(shift.starts_at).date() != filters.day:
            continue
        reached.add(names[a.volunteer_id])
    people = [world["people"][n] for n in reached]
    sms_ = sum(1 for v in people if v.preferred_channel == "sms" and not v.unreachable)
    email = sum(1 for v in people if v.preferred_channel == "email" and not v.unreachable)
    return reached, sms_, email, len(people) - sms_ - email


def test_counts_match_the_filter_in_every_combination(world):
    nord, syd = world["areas"]
    _skole, hal, kirke = world["stations"]
    chair, clerk = world["roles"]
    before, day1 = (timezone.localtime(d).date() for d in world["days"])
    options = {
        "area": [None, nord.pk, syd.pk],
        "station": [None, hal.pk, kirke.pk],
        "role": [None, chair.pk, clerk.pk],
        "team": [None, world["team"].pk],
        "day": [None, before, day1],
        "statuses": [
            groups.STATUSES,
            (Status.INVITED,),
            (Status.ACCEPTED, Status.CHECKED_IN),
        ],
    }
    checked = 0
    for combo in itertools.product(*options.values()):
        filters = groups.Filters(**dict(zip(options, combo, strict=True)))
        people, sms_, email, no_address = expected(world, filters)
        counts = groups.count(groups.seats(world["election"], filters))
        assert (counts.people, counts.sms, counts.email, counts.no_address) == (
            len(people),
            sms_,
            email,
            no_address,
        ), filters
        checked += bool(people)
    assert checked > 50  # most combinations reach someone


def test_everyone_once_without_do_not_contact_and_the_unreachable_as_no_address(world):
    counts = groups.count(groups.seats(world["election"], groups.Filters()))
    # Anna (twice), Bo, Cilla, Dan, Eva, Gry (no address), Ida; not Finn (declined), not Hans.
    assert (counts.people, counts.sms, counts.email, counts.no_address) == (7, 3, 3, 1)


def test_the_page_shows_the_counts_and_a_real_recipient(world, coordinator_client):
    response = coordinator_client.post(compose_url(world["election"]), form_data())
    group = GroupMessage.objects.get()
    assert response.status_code == 302 and response["Location"] == page_url(group)
    assert group.status == GroupMessage.Status.DRAFT
    assert group.created_by.email == "koord@kommune.dk"

    page = coordinator_client.get(page_url(group))
    preview = page.context["preview"]
    assert (preview.counts.people, preview.counts.sms, preview.counts.email) == (7, 3, 3)
    # The first by name (Andersen), on her earliest seat (Valgstyrer at Nordskolen, 8:00).
    assert preview.assignment.volunteer == world["people"]["anna"]
    assert preview.assignment.shift == world["shifts"][0]
    assert preview.email.subject == "Husk mødet, Anna"
    assert "Hej Anna. Du er Valgstyrer på Nordskolen" in preview.email.body
    assert "08:00\u201320:00" in preview.email.body  # with an en dash
    assert preview.sms.startswith("Testrup Kommune: Hej Anna. Du er Valgstyrer")
    assert "08:00-20:00" in preview.sms  # the en dash made GSM-7
    html = page.content.decode()
    assert "Send 6 messages" in html
    assert "Husk mødet, Anna" in html


def test_sms_cost_gsm7_and_ucs2_with_an_emoji_in_a_name(world, coordinator_client):
    anna = world["people"]["anna"]
    coordinator_client.post(compose_url(world["election"]), form_data(body="Hej {first_name}!"))
    group = GroupMessage.objects.get()
    cost = coordinator_client.get(page_url(group)).context["preview"].cost
    assert (cost.encoding, cost.characters, cost.segments) == ("GSM-7", 26, 1)
    assert cost.total_segments == 3  # Anna, Cilla, Eva: one segment each

    anna.first_name = "Anna 🌻"
    anna.save()
    cost = coordinator_client.get(page_url(group)).context["preview"].cost
    assert cost.encoding == "UCS-2" and cost.unicode
    assert cost.segments == 1
    # 60 characters of text: Anna's SMS is two segments in UCS-2 (over 70 with the name).
    long_body = "Hej {first_name}! " + "x" * 50
    groups_page = coordinator_client.post(
        reverse("staffing:group_message_edit", args=[group.election_id, group.pk]),
        form_data(body=long_body),
    )
    assert groups_page.status_code == 302
    cost = coordinator_client.get(page_url(group)).context["preview"].cost
    assert cost.segments == 2  # Anna's: "Testrup Kommune: Hej Anna 🌻! xxx…" is 78 UCS-2 units
    assert cost.total_segments == 2 + 1 + 1  # Cilla's and Eva's stay GSM-7, one segment


@pytest.mark.parametrize(
    ("field", "text", "error"),
    [
        ("body", "Hej {fornavn}", "Unknown placeholder: {fornavn}"),
        ("body", "Hej {first_name", "A curly bracket has no partner"),
        ("body", "Hej first_name}", "A curly bracket has no partner"),
        ("body", "Hej {{first_name}}", "Template code ({{ … }}, {% … %}) cannot be used"),
        ("subject", "Til {navn} og {x}", "Unknown placeholder: {navn}, {x}"),
    ],
)
def test_placeholders_are_checked(world, coordinator_client, field, text, error):
    response = coordinator_client.post(compose_url(world["election"]), form_data(**{field: text}))
    assert response.status_code == 200
    assert any(error in e for e in response.context["form"].errors[field])
    assert not GroupMessage.objects.exists()


def test_a_status_must_be_chosen(world, coordinator_client):
    response = coordinator_client.post(compose_url(world["election"]), form_data(statuses=[]))
    assert "statuses" in response.context["form"].errors


def send_and_run(client, group, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(send_url(group))


def draft(world, by=None, **overrides) -> GroupMessage:
    data = form_data(**overrides)
    return services.save_draft(
        world["election"],
        filters=groups.Filters(),
        subject=data["subject"],
        body=data["body"],
        by=by,
    )


def test_sending_queues_one_message_each_and_shows_the_result(
    world, coordinator_client, django_capture_on_commit_callbacks, mailoutbox
):
    group = draft(world, body="Hej {first_name} <b>vigtigt</b>: {link}")
    response = send_and_run(coordinator_client, group, django_capture_on_commit_callbacks)
    assert response.status_code == 302

    group.refresh_from_db()
    assert group.status == GroupMessage.Status.DONE
    assert (group.recipients, group.sms, group.email, group.no_address, group.queued) == (
        7,
        3,
        3,
        1,
        6,
    )
    messages = Message.objects.filter(kind=groups.KIND)
    assert messages.count() == 6
    p = world["people"]
    assert {m.to for m in messages} == {
        p[n].contact_address for n in ("anna", "bo", "cilla", "dan", "eva", "ida")
    }
    # Anna's message is about her earliest seat; each is keyed to group and person.
    anna_message = messages.get(to=p["anna"].phone)
    assert anna_message.subject_type == "staffing.assignment"
    assert anna_message.subject_id == world["seats"][0].pk
    assert anna_message.idempotency_key == f"group:{group.pk}:{p['anna'].pk}"
    # Delivered (eagerly) with a working personal link each; the HTML email escapes the text.
    assert len(sms.outbox) == 3 and len(mailoutbox) == 3
    bo_mail = next(m for m in mailoutbox if m.to == [p["bo"].email])
    assert bo_mail.subject == "Husk mødet, Bo"
    html = bo_mail.alternatives[0][0]
    assert "&lt;b&gt;vigtigt&lt;/b&gt;" in html and "<b>vigtigt" not in html
    assert resolve(bo_mail.body).volunteer == p["bo"]
    assert PersonalLink.objects.count() == 6
    assert GroupRecipient.objects.filter(group=group).count() == 7
    assert GroupRecipient.objects.get(group=group, volunteer=p["gry"]).message is None

    page = coordinator_client.get(page_url(group))
    result = page.context["result"]
    assert (result.sent, result.failed, result.waiting) == (6, 0, 0)
    html = page.content.decode()
    assert "Done" in html and "6 of 6 messages queued." in html
    assert page.context["refresh"] is None  # finished: no more polling


def test_the_message_log_lists_them_as_group_messages(
    world, coordinator_client, django_capture_on_commit_callbacks
):
    group = draft(world)
    send_and_run(coordinator_client, group, django_capture_on_commit_callbacks)
    log = coordinator_client.get(
        reverse("staffing:election_messages", args=[world["election"].pk]),
        {"kind": groups.KIND},
    )
    rows = log.context["rows"]
    assert len(rows) == 6
    assert {row.kind_label for row in rows} == {"Group message"}
    assert all(row.assignment is not None for row in rows)


def test_the_request_only_starts_the_job_and_the_job_is_set_based(world, coordinator_client):
    """The send request and each chunk of the job take the same queries for 20
    people as for 200 (delivery is on commit, not run here)."""
    election = world["election"]
    shift = f.shift(election, capacity=500)

    def measured(n: int) -> tuple[int, int]:
        Assignment.objects.filter(shift=shift).delete()
        for i in range(n):
            channel = "sms" if i % 2 else "email"
            seat(shift, f.volunteer(channel, first_name=f"P{i}"))
        group = services.save_draft(
            election,
            filters=groups.Filters(station=shift.station_id),
            subject="Hej {first_name}",
            body="Se {link} {when}",
            by=None,
        )
        with CaptureQueriesContext(connection) as request:
            coordinator_client.post(send_url(group))
        group.refresh_from_db()
        assert group.status == GroupMessage.Status.QUEUED  # the job has not run
        assert not Message.objects.filter(idempotency_key__startswith=f"group:{group.pk}:").exists()
        with CaptureQueriesContext(connection) as job:
            services.process(group.pk)
        group.refresh_from_db()
        assert group.status == GroupMessage.Status.DONE and group.queued == n
        # SQLite splits a bulk INSERT into batches of its bound-variable limit; the
        # other queries, and every query on PostgreSQL, do not grow with the people.
        job_queries = [q["sql"] for q in job.captured_queries]
        inserts = sum(1 for sql in job_queries if sql.startswith("INSERT"))
        return len(request.captured_queries), len(job_queries) - inserts, inserts

    few, many = measured(20), measured(200)
    assert few[:2] == many[:2]
    if connection.vendor == "postgresql":
        assert few[2] == many[2]
    else:
        assert many[2] <= few[2] + 12  # ~8 batches of messages, 3 of links and rows


def test_chunks_and_a_second_job_queue_nothing_twice(world, django_capture_on_commit_callbacks):
    group = draft(world)
    with django_capture_on_commit_callbacks(execute=False):
        services.send_group_message(group, by=None)
    # The job stops after its first chunk (a worker died), then is delivered again, twice.
    work = services.plan(group)
    services._claim(group.pk)
    assert services._chunk(group.pk, work[:2])
    assert Message.objects.filter(kind=groups.KIND).count() == 2
    GroupMessage.objects.filter(pk=group.pk).update(status=GroupMessage.Status.SENDING)
    services.process(group.pk, chunk_size=2)
    assert services.process(group.pk, chunk_size=2) is None  # done: nothing to do
    group.refresh_from_db()
    assert group.status == GroupMessage.Status.DONE
    assert Message.objects.filter(kind=groups.KIND).count() == 6
    assert group.queued == 6
    # Rows lost (say, restored from an older backup): the messages' keys still hold.
    GroupRecipient.objects.filter(group=group).delete()
    GroupMessage.objects.filter(pk=group.pk).update(status=GroupMessage.Status.SENDING)
    services.process(group.pk)
    assert Message.objects.filter(kind=groups.KIND).count() == 6
    assert GroupRecipient.objects.filter(group=group, message__isnull=False).count() == 6


def test_sending_twice_sends_once_and_is_audited(
    world, coordinator_client, django_capture_on_commit_callbacks
):
    group = draft(world)
    send_and_run(coordinator_client, group, django_capture_on_commit_callbacks)
    send_and_run(coordinator_client, group, django_capture_on_commit_callbacks)
    assert Message.objects.filter(kind=groups.KIND).count() == 6
    [entry] = AuditEntry.objects.filter(action="staffing.group_message_send")
    assert entry.actor.email == "koord@kommune.dk"
    assert entry.election_id == world["election"].pk
    assert entry.detail["people"] == 7 and entry.detail["sms"] == 3


def test_a_closed_election_sends_nothing(world, coordinator_client):
    group = draft(world)
    Election.objects.filter(pk=world["election"].pk).update(status=Election.Status.CLOSED)
    response = coordinator_client.post(send_url(group), follow=True)
    group.refresh_from_db()
    assert group.status == GroupMessage.Status.DRAFT
    assert "is not active" in response.content.decode()


def test_an_election_closed_while_the_job_runs_stops_it(world):
    group = draft(world)
    services.send_group_message(group, by=None)
    Election.objects.filter(pk=world["election"].pk).update(status=Election.Status.CLOSED)
    services.process(group.pk)
    group.refresh_from_db()
    assert group.status == GroupMessage.Status.FAILED
    assert "is not active" in group.error
    assert not Message.objects.filter(kind=groups.KIND).exists()


def test_a_sent_message_cannot_be_changed(world, coordinator_client):
    group = draft(world)
    services.send_group_message(group, by=None)
    edit = reverse("staffing:group_message_edit", args=[group.election_id, group.pk])
    response = coordinator_client.post(edit, form_data(subject="Ændret"))
    assert response.status_code == 302
    group.refresh_from_db()
    assert group.subject == "Husk mødet, {first_name}"


@pytest.mark.parametrize("recipients", [3, 30])
def test_the_progress_page_has_constant_queries(
    world, coordinator_client, django_assert_num_queries, recipients
):
    election = world["election"]
    shift = f.shift(election, capacity=50)
    for i in range(recipients):
        seat(shift, f.volunteer("sms" if i % 2 else "email"))
    group = services.save_draft(
        election,
        filters=groups.Filters(station=shift.station_id),
        subject="Hej",
        body="Hej {first_name}",
        by=None,
    )
    services.send_group_message(group, by=None)
    services.process(group.pk, chunk_size=10)
    # session, user, the scope's grants, the election, the group (with who sent it),
    # the station's name for the filter in words, the result (one aggregate)
    with django_assert_num_queries(7):
        response = coordinator_client.get(page_url(group))
    assert response.context["result"].waiting == recipients  # not dispatched here


def test_scope_outsiders_and_other_roles_get_404(world):
    e = world["election"]
    group = draft(world)
    other = f.election(name="Kommunalvalg")
    urls = [
        compose_url(e),
        page_url(group),
        reverse("staffing:group_message_edit", args=[e.pk, group.pk]),
        reverse("staffing:group_message", args=[other.pk, group.pk]),  # another election's
    ]
    users = [
        f.user("outsider@kommune.dk"),
        f.user("viewer@kommune.dk", role="viewer"),
        f.user("sm@kommune.dk", role="station_manager", stations=[world["stations"][0]]),
        f.user("tl@kommune.dk", role="team_leader", teams=[world["team"]]),
        f.user("other@kommune.dk", role="coordinator", elections=[other]),
    ]
    for user in users:
        client = login(user)
        for url in urls:
            assert client.get(url).status_code == 404, (user.email, url)
        assert client.post(send_url(group)).status_code == 404, user.email
    group.refresh_from_db()
    assert group.status == GroupMessage.Status.DRAFT


def test_posts_need_the_csrf_token(world):
    user = f.user("koord2@kommune.dk", coordinator=True)
    group = draft(world)
    client = login(user, enforce_csrf_checks=True)
    assert client.post(send_url(group)).status_code == 403
    assert client.post(compose_url(world["election"]), form_data()).status_code == 403
    group.refresh_from_db()
    assert group.status == GroupMessage.Status.DRAFT
    assert GroupMessage.objects.count() == 1


def test_a_stalled_job_goes_on_where_it_stopped(
    world, coordinator_client, django_capture_on_commit_callbacks
):
    """The job was lost after its first chunk (a worker died): after a while the
    page says so, and "Go on" (the send button again) finishes it, once each."""
    group = draft(world)
    with django_capture_on_commit_callbacks(execute=False):
        services.send_group_message(group, by=None)  # the job is never run
    services._claim(group.pk)
    services._chunk(group.pk, services.plan(group)[:2])
    assert not coordinator_client.get(page_url(group)).context["stalled"]
    GroupMessage.objects.filter(pk=group.pk).update(
        updated_at=timezone.now() - services.STALLED_AFTER - timedelta(seconds=1)
    )
    page = coordinator_client.get(page_url(group))
    assert page.context["stalled"]
    assert "Go on" in page.content.decode()
    send_and_run(coordinator_client, group, django_capture_on_commit_callbacks)
    group.refresh_from_db()
    assert group.status == GroupMessage.Status.DONE
    assert Message.objects.filter(kind=groups.KIND).count() == 6
    assert AuditEntry.objects.filter(action="staffing.group_message_resume").count() == 1
