"""An office's own message texts: the registry, the default made editable, the
checks (unknown placeholders, template code, the link an invitation needs, the
SMS budget), saving and reverting (audited), which text a message is made from
(the role's, the election's, the default), what a text can and cannot reach,
escaping, and the pages (overview, editor with its live preview, revert).

Messages go through the outbox and the real task (eager Celery) to the
in-memory SMS and email backends."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AuditEntry, User
from notifications import gsm
from notifications.models import Message
from notifications.rendering import MAX_SMS_SEGMENTS, render_message
from pollcrew.refusals import Refused
from staffing import message_texts as texts
from staffing import messaging
from staffing import services as staffing_services
from staffing.message_kinds import KINDS, PLACEHOLDERS, examples
from staffing.models import Assignment, MessageText
from staffing.services import message_texts as services
from tests import factories as f

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"
CASES = [
    (kind, channel, language)
    for kind in KINDS.values()
    for channel in kind.channels
    for language in ("da", "en")
]
INVITE_SMS = (
    "{municipality}: Kom og hjælp, {first_name}! {role} på {station} {day_short}. Svar: {link}"
)


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world():
    e = f.election(name="Folketingsvalg 2027")
    station = f.station(f.area("Nord"), name="Nordskolen", address="Skolevej 1")
    chair, clerk = f.role("Valgstyrer"), f.role("Tilforordnet")
    return {
        "election": e,
        "chair_shift": f.shift(e, station_=station, role_=chair, capacity=5),
        "clerk_shift": f.shift(e, station_=station, role_=clerk, capacity=5, start=14, end=22),
        "chair": chair,
        "clerk": clerk,
    }


@pytest.fixture
def coordinator(world):
    return f.user("koord@kommune.dk", coordinator=True)


def target(world, kind="invitation", channel="sms", language="da", role=None) -> texts.Target:
    return texts.Target(world["election"], KINDS[kind], channel, language, role)


def invite(shift, channel="sms", language="da", **kw) -> Assignment:
    person = f.volunteer(channel, language=language, **kw)
    [seat] = staffing_services.invite(shift, [person], by=None).invited
    return seat


def sent(kind: str = "invitation") -> list[Message]:
    return list(Message.objects.filter(kind=kind).order_by("pk"))


# --- the registry --------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "channel", "language"), CASES, ids=str)
def test_every_kind_has_its_default_files(kind, channel, language):
    if channel == "sms":
        assert (TEMPLATES / "sms" / f"{kind.name}.txt").exists()
    else:
        for part in ("subject.txt", "txt", "html"):
            assert (TEMPLATES / "emails" / f"{kind.name}.{part}").exists()
    assert all(name in PLACEHOLDERS for name in kind.placeholders + kind.required)


@pytest.mark.parametrize("language", ["da", "en"])
def test_every_placeholder_has_a_description_and_an_example(language):
    values = examples(language)
    for placeholder in PLACEHOLDERS.values():
        assert str(placeholder.description)
        assert values.get(placeholder.name), placeholder.name


def test_examples_are_in_the_language():
    assert examples("da")["when"].startswith("tirsdag den 16. marts 2027")
    assert examples("en")["when"].startswith("Tuesday 16 March 2027")
    assert examples("da")["respond_by_short"] == "2/3"


# --- the default made editable --------------------------------------------------------------


@pytest.mark.parametrize(("kind", "channel", "language"), CASES, ids=str)
def test_the_default_made_editable_says_what_the_default_says(world, kind, channel, language):
    """Saved unchanged as the office's own text, the default gives every person
    the very message the files give them."""
    seat = invite(world["chair_shift"], channel, language, first_name="Søren")
    context = {
        **messaging.assignment_context(seat, "t" * 43),
        **messaging.shift_context(world["clerk_shift"], prefix="old_"),
        # A standby offer's own values (messaging.queue_seat_offer).
        "claim_link": messaging.claim_url("c" * 43),
        **messaging.claim_by(seat.shift.starts_at - timedelta(hours=30), language),
    }
    editable = texts.default_text(kind, channel, language)
    assert "{" in editable.body and "§" not in editable.body + editable.subject

    default = render_message(kind.name, channel, language, context)
    own = render_message(kind.name, channel, language, context, editable)

    assert own.subject == default.subject
    assert own.body == default.body
    t = target(world, kind.name, channel, language)
    assert not texts.text_errors(t, editable.subject, editable.body)


# --- checks --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "channel", "subject", "body", "field", "error"),
    [
        (
            "invitation",
            "sms",
            "",
            "Hej {fornavn}: {link}",
            "body",
            "Unknown placeholder: {fornavn}",
        ),
        ("invitation", "sms", "", "Hej {first_name: {link}", "body", "has no partner"),
        ("invitation", "sms", "", "Hej {{ first_name }} {link}", "body", "Template code"),
        ("invitation", "sms", "", "{% debug %} {link}", "body", "Template code"),
        ("invitation", "sms", "", "Hej {first_name}, svar snart", "body", "must include {link}"),
        ("invitation", "sms", "", "   ", "body", "Write the text"),
        ("new_link", "email", "", "Her: {link}", "subject", "needs a subject"),
        ("new_link", "email", "Link til {valg}", "Her: {link}", "subject", "Unknown placeholder"),
        # {old_role} is only for a move or a change.
        ("accepted", "sms", "", "Tak {first_name} ({old_role})", "body", "{old_role}"),
        ("invitation", "sms", "", "{link} " + "x" * 300, "body", "segments"),
    ],
)
def test_a_bad_text_is_refused_with_the_reason(
    world, coordinator, kind, channel, subject, body, field, error
):
    errors = texts.text_errors(target(world, kind, channel), subject, body)
    assert any(error in problem for problem in errors[field]), errors

    url = reverse("staffing:message_text", args=[world["election"].pk, kind, channel, "da"])
    response = login(coordinator).post(url, {"subject": subject, "body": body})
    assert response.status_code == 200
    assert any(error in problem for problem in response.context["form"].errors[field])
    assert not MessageText.objects.exists()
    with pytest.raises(Refused):
        services.save_message_text(
            target(world, kind, channel), subject=subject, body=body, by=coordinator
        )


def test_the_sms_budget_counts_with_the_example_values(world):
    # 2 segments are 306 GSM-7 characters: the text plus the examples' lengths.
    room = MAX_SMS_SEGMENTS * 153 - len(examples("da")["link"]) - 1
    assert not texts.text_errors(target(world), "", "x" * room + " {link}")
    assert texts.text_errors(target(world), "", "x" * (room + 1) + " {link}")


# --- saving and reverting ------------------------------------------------------------------


def test_saving_and_reverting_are_audited_with_the_text_before_and_after(world, coordinator):
    t = target(world)
    services.save_message_text(t, subject="", body=INVITE_SMS, by=coordinator)
    services.save_message_text(t, subject="", body=INVITE_SMS, by=coordinator)  # unchanged
    changed = INVITE_SMS.replace("Kom og hjælp", "Vi mangler dig")
    services.save_message_text(t, subject="", body=changed, by=coordinator)
    assert services.revert_message_text(t, by=coordinator)
    assert not services.revert_message_text(t, by=coordinator)  # nothing left to revert

    assert not MessageText.objects.exists()
    entries = list(
        AuditEntry.objects.filter(action__startswith="staffing.message_text").order_by("pk")
    )
    assert [e.action for e in entries] == [
        "staffing.message_text_change",
        "staffing.message_text_change",
        "staffing.message_text_revert",
    ]
    first, second, revert = entries
    assert first.changes == {"body": [None, INVITE_SMS]}  # an SMS: no subject, before or after
    assert second.changes == {"body": [INVITE_SMS, changed]}
    assert revert.changes == {"body": [changed, None]}
    assert {e.actor_id for e in entries} == {coordinator.pk}
    assert {e.election_id for e in entries} == {world["election"].pk}
    assert first.detail == {"kind": "invitation", "channel": "sms", "language": "da", "role": None}


def test_the_default_saved_as_it_is_stores_nothing(world, coordinator):
    t = target(world, "accepted", "email", "en")
    default = texts.default_text(t.kind, "email", "en")
    services.save_message_text(t, subject="Thanks", body=default.body, by=coordinator)
    assert MessageText.objects.count() == 1
    services.save_message_text(t, subject=default.subject, body=default.body, by=coordinator)
    assert not MessageText.objects.exists()


# --- which text a message is made from ------------------------------------------------------


def test_the_roles_text_wins_over_the_elections_which_wins_over_the_default(world, coordinator):
    services.save_message_text(
        target(world), subject="", body="Valget: {first_name}, svar {link}", by=coordinator
    )
    services.save_message_text(
        target(world, role=world["chair"]),
        subject="",
        body="Valgstyrer {first_name}: svar {link}",
        by=coordinator,
    )
    chair = invite(world["chair_shift"], first_name="Anna")
    clerk = invite(world["clerk_shift"], first_name="Bo")
    english = invite(world["clerk_shift"], language="en", first_name="Cy")
    by_email = invite(world["clerk_shift"], channel="email", first_name="Di")

    body = {m.subject_id: m.body for m in sent()}
    assert body[chair.pk].startswith("Valgstyrer Anna: svar http")
    assert body[clerk.pk].startswith("Valget: Bo, svar http")
    assert "you are invited as Tilforordnet" in body[english.pk]  # no English text: the default
    assert "Valgsekretariatet inviterer dig" in body[by_email.pk]  # nor an email: the default
    link = Message.objects.get(subject_id=chair.pk).body.split("svar ")[1]
    assert "/v/" in link and Client().get(link.replace(settings.SITE_URL, "")).status_code == 200


def test_a_round_looks_the_texts_up_once(world, coordinator, django_assert_max_num_queries):
    services.save_message_text(target(world), subject="", body=INVITE_SMS, by=coordinator)
    few = [f.volunteer("sms", language="da") for _ in range(2)]
    many = [f.volunteer("sms", language="da") for _ in range(12)]
    shift_a = f.shift(world["election"], capacity=20)
    shift_b = f.shift(world["election"], capacity=20)
    with CaptureQueriesContext(connection) as small:
        staffing_services.invite(shift_a, few, by=None)
    with CaptureQueriesContext(connection) as large:
        staffing_services.invite(shift_b, many, by=None)
    looked_up = [q for q in large.captured_queries if "staffing_messagetext" in q["sql"]]
    assert len(looked_up) == 1
    assert len(large.captured_queries) == len(small.captured_queries)
    assert all(m.body.startswith("Testrup Kommune: Kom og hjælp") for m in sent())


def test_every_kind_uses_the_offices_text(world, coordinator, committed):
    """Confirmation, move, removal and a new link are made from the office's
    text too, with the values each one has (old and new for a move)."""
    for kind, body in (
        ("accepted", "Tak {first_name}, vi ses {day_short} kl. {start}."),
        ("moved", "Flyttet fra {old_role} ({old_start}) til {role} ({start}). {link}"),
        ("removed", "Du er taget af {role} på {station}."),
        ("new_link", "Nyt link: {link}"),
    ):
        services.save_message_text(target(world, kind), subject="", body=body, by=coordinator)
    seat = invite(world["chair_shift"], first_name="Anna")
    committed(lambda: staffing_services.accept(seat))
    seat.refresh_from_db()
    committed(lambda: staffing_services.move(seat, world["clerk_shift"], by=coordinator))
    seat.refresh_from_db()
    committed(lambda: staffing_services.remove(seat, by=coordinator))

    day = world["election"].election_date
    assert sent("accepted")[0].body == f"Tak Anna, vi ses {day.day}/{day.month} kl. 08:00."
    assert sent("moved")[0].body.startswith(
        "Flyttet fra Valgstyrer (08:00) til Tilforordnet (14:00). http"
    )
    assert sent("removed")[0].body == "Du er taget af Tilforordnet på Nordskolen."


def test_a_text_cannot_reach_into_templates_models_or_settings(world, coordinator):
    """A text stored past the checks (straight into the table) is still only
    filled in: template code in it is printed as it is, never run."""
    MessageText.objects.create(
        election=world["election"],
        kind="invitation",
        channel="sms",
        language="da",
        body="{% debug %}{{ settings.SECRET_KEY }} {first_name} {nope} {link}",
    )
    seat = invite(world["chair_shift"], first_name="Anna")
    [message] = sent()
    assert message.body.startswith("{% debug %}{{ settings.SECRET_KEY }} Anna {nope} http")
    assert settings.SECRET_KEY not in message.body
    assert message.subject_id == seat.pk


def test_names_and_the_offices_words_are_escaped_in_the_html_email(world, coordinator):
    world["chair_shift"].station.name = "<b>Skolen</b> & Co"
    world["chair_shift"].station.save()
    services.save_message_text(
        target(world, channel="email"),
        subject="Til {station}",
        body="Hej {first_name} <script>alert(1)</script>\n\nSe https://kommune.dk og svar: {link}",
        by=coordinator,
    )
    invite(world["chair_shift"], channel="email", first_name="Ann<a>")
    [message] = sent()
    assert message.subject == "Til <b>Skolen</b> & Co"  # plain text: as it is
    assert "Hej Ann<a> <script>alert(1)</script>" in message.body
    html = message.body_html
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Ann&lt;a&gt;" in html
    assert '<a href="https://kommune.dk"' in html
    link = message.body.rsplit("svar: ", 1)[1].strip()
    assert f'<a href="{link}">{link}</a>' in html
    assert html.count("<p>") == 2 and "Testrup Kommune" in html


def test_a_long_name_is_shortened_at_a_word_in_the_offices_sms(world, coordinator):
    services.save_message_text(
        target(world),
        subject="",
        body="{municipality}: {first_name}, du er {role} på {station} {day_short} {start}-{end}. "
        "Svar senest {respond_by_short} her: {link}",
        by=coordinator,
    )
    station = world["chair_shift"].station
    station.name = "🏫 Den Store Gamle Skole ved Søen og Skoven " + "og Marken " * 15
    station.save()
    invite(world["chair_shift"], first_name="Søren")
    [message] = sent()
    assert gsm.is_gsm7(message.body) and gsm.segments(message.body) <= MAX_SMS_SEGMENTS
    assert "på Den Store Gamle Skole ved Søen og Skoven og Marken" in message.body
    # Cut after a whole word, and only the station's name: the link is whole.
    kept = message.body.split(" på ", 1)[1].split("...")[0].split()
    assert set(kept) <= {"Den", "Store", "Gamle", "Skole", "ved", "Søen", "og", "Skoven", "Marken"}
    assert "/v/" in message.body.rsplit(" her: ", 1)[1]


# --- the pages -----------------------------------------------------------------------------


def text_url(world, kind="invitation", channel="sms", language="da", name="message_text"):
    return reverse(f"staffing:{name}", args=[world["election"].pk, kind, channel, language])


def test_the_overview_shows_own_texts_and_roles(world, coordinator, django_assert_num_queries):
    client = login(coordinator)
    client.get(reverse("staffing:message_texts", args=[world["election"].pk]))  # warm up
    with django_assert_num_queries(5) as few:
        page = client.get(reverse("staffing:message_texts", args=[world["election"].pk]))
    assert page.status_code == 200
    services.save_message_text(target(world), subject="", body=INVITE_SMS, by=coordinator)
    for role in ("chair", "clerk"):
        services.save_message_text(
            target(world, role=world[role]), subject="", body=INVITE_SMS + " ", by=coordinator
        )
        services.save_message_text(
            target(world, "accepted", role=world[role]), subject="", body="Tak", by=coordinator
        )
    with django_assert_num_queries(len(few.captured_queries)):
        page = client.get(reverse("staffing:message_texts", args=[world["election"].pk]))
    html = page.content.decode()
    assert html.count("pc-mt-own") == 1
    assert "Valgstyrer" in html and "Tilforordnet" in html
    assert f"?role={world['chair'].pk}" in html


def test_the_editor_starts_from_the_default_with_a_preview_for_a_real_person(world, coordinator):
    invite(world["clerk_shift"], first_name="Ali", last_name="Aziz", language="en")
    invite(world["clerk_shift"], first_name="Bo", last_name="Berg")
    invite(world["chair_shift"], first_name="Anna", last_name="Andersen")
    page = login(coordinator).get(text_url(world))
    assert page.status_code == 200
    form = page.context["form"]
    assert form.initial["body"] == texts.default_text(KINDS["invitation"], "sms", "da").body
    assert "subject" not in form.fields
    preview = page.context["preview"]
    assert preview.recipient.volunteer.first_name == "Anna"  # the first by name
    assert "Hej Anna, du inviteres som Valgstyrer på Nordskolen" in preview.rendered.body
    assert preview.cost.encoding == "GSM-7" and preview.cost.segments == 2
    html = page.content.decode()
    assert "{respond_by_short}" in html and "Answer-by date, short" in html


def test_the_live_preview_counts_characters_encoding_and_segments(world, coordinator):
    anna = invite(world["chair_shift"], first_name="Anna", last_name="Andersen")
    bo = invite(world["clerk_shift"], first_name="Bo", last_name="Berg")
    client = login(coordinator)
    url = text_url(world, name="message_text_preview")

    gsm7 = client.post(url, {"body": "Hej {first_name}: {link}", "recipient": bo.pk})
    cost = gsm7.context["preview"].cost
    body = gsm7.context["preview"].rendered.body
    assert body.startswith("Hej Bo: http") and cost.characters == len(body)
    assert (cost.encoding, cost.segments) == ("GSM-7", 1)
    assert "1 segment" in gsm7.content.decode()

    ucs2 = client.post(url, {"body": "Hej {first_name} 🌻 " + "x" * 40 + " {link}"})
    cost = ucs2.context["preview"].cost
    assert ucs2.context["preview"].recipient == anna
    assert (cost.encoding, cost.segments) == ("UCS-2", 2)
    assert "UCS-2" in ucs2.content.decode()

    wrong = client.post(url, {"body": "Hej {fornavn}"})
    assert "Unknown placeholder: {fornavn}" in wrong.content.decode()
    assert "must include {link}" in wrong.content.decode()
    assert not MessageText.objects.exists()


def test_the_email_preview_shows_subject_and_text(world, coordinator):
    invite(world["chair_shift"], channel="email", first_name="Anna", language="en")
    response = login(coordinator).post(
        text_url(world, "invitation", "email", "en", name="message_text_preview"),
        {"subject": "Help us, {first_name}", "body": "Dear {first_name}, {when}. {link}"},
    )
    preview = response.context["preview"]
    assert preview.rendered.subject == "Help us, Anna"
    assert preview.rendered.body.startswith("Dear Anna, ")
    assert "08:00\N{EN DASH}20:00. http" in preview.rendered.body
    assert preview.cost is None


def test_save_and_revert_through_the_pages(world, coordinator):
    client = login(coordinator)
    saved = client.post(text_url(world), {"body": INVITE_SMS})
    assert saved.status_code == 302
    assert saved["Location"] == reverse("staffing:message_texts", args=[world["election"].pk])
    assert MessageText.objects.get().body == INVITE_SMS
    page = client.get(text_url(world))
    assert page.context["form"].initial["body"] == INVITE_SMS
    assert "Go back to the default" in page.content.decode()

    role_url = text_url(world) + f"?role={world['chair'].pk}"
    assert client.post(role_url, {"body": "Valgstyrer: {link}"}).status_code == 302
    assert MessageText.objects.get(role=world["chair"]).body == "Valgstyrer: {link}"

    reverted = client.post(text_url(world, name="message_text_revert"))
    assert reverted.status_code == 302
    assert list(MessageText.objects.values_list("role", flat=True)) == [world["chair"].pk]


@pytest.mark.parametrize(
    "path",
    [
        ("nosuchkind", "sms", "da"),
        ("shift_morning", "email", "da"),  # SMS only
        ("invitation", "fax", "da"),
        ("invitation", "sms", "de"),
    ],
)
def test_unknown_kinds_channels_and_languages_are_404(world, coordinator, path):
    url = reverse("staffing:message_text", args=[world["election"].pk, *path])
    assert login(coordinator).get(url).status_code == 404


def test_a_role_without_seats_in_the_election_is_404(world, coordinator):
    stranger = f.role("Fremmed")
    client = login(coordinator)
    assert client.get(text_url(world) + f"?role={stranger.pk}").status_code == 404
    assert client.get(text_url(world) + "?role=x").status_code == 404
    assert (
        client.post(text_url(world) + f"?role={stranger.pk}", {"body": "{link}"}).status_code == 404
    )
    assert not MessageText.objects.exists()


def test_an_election_of_another_coordinator_is_404(world):
    outsider = f.user("anden@kommune.dk", coordinator=True, elections=[f.election()])
    client = login(outsider)
    assert client.get(text_url(world)).status_code == 404
    assert client.post(text_url(world), {"body": INVITE_SMS}).status_code == 404
    assert not MessageText.objects.exists()


def test_the_pages_need_csrf(world, coordinator):
    client = Client(enforce_csrf_checks=True)
    client.force_login(coordinator)
    assert client.post(text_url(world), {"body": INVITE_SMS}).status_code == 403
    assert client.post(text_url(world, name="message_text_revert")).status_code == 403
    assert not MessageText.objects.exists()


def test_danish_pages(world, coordinator):
    client = login(coordinator)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "da"
    page = client.get(reverse("staffing:message_texts", args=[world["election"].pk]))
    html = page.content.decode()
    assert "Beskedtekster" in html and "Invitation" in html
    page = client.get(text_url(world))
    assert "Pladsholdere" in page.content.decode()
