"""Writes through the services, with the token's user as ``by``: audited, and a
refusal is a 400 with the rule's code and translated message (per person for a
bulk invite), never a 500."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import AuditEntry
from api import tokens
from notifications.models import Message
from polling_stations.models import Area
from staffing.models import Assignment, GroupMessage
from tests import factories as f
from tests.test_api_helpers import client_for, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return make_world()


@pytest.fixture
def api(coordinator):
    return client_for(coordinator)


def test_bulk_invite_gives_a_result_per_person(w, api, coordinator):
    shift = f.shift(w.election, station_=w.station, capacity=2, start=6, end=7)
    a, b, c = (f.volunteer(last_name=n) for n in ("Andersen", "Berg", "Carlsen"))
    dnc = f.volunteer(last_name="Aabo", do_not_contact=True)
    body = {"shift": shift.pk, "volunteers": [a.pk, b.pk, c.pk, dnc.pk, 999999]}
    response = api.post("/api/v1/assignments/invite/", body, format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["invited"], data["refused"]) == (2, 3)
    by_person = {r["volunteer"]: r for r in data["results"]}
    assert [r["volunteer"] for r in data["results"]] == body["volunteers"]  # in the order sent
    assert by_person[a.pk]["ok"] and by_person[b.pk]["ok"]
    assert by_person[c.pk]["code"] == "full"
    assert by_person[c.pk]["message"] == "All seats on this shift are taken."
    assert by_person[dnc.pk]["code"] == "do_not_contact"
    assert by_person[999999]["code"] == "not_found"
    seat = Assignment.objects.get(pk=by_person[a.pk]["assignment"])
    assert seat.invited_by == coordinator
    assert AuditEntry.objects.filter(action="staffing.invite", actor=coordinator).count() == 2


def test_refusals_are_400_with_the_code(w, api):
    full = f.shift(w.election, station_=w.station, capacity=1, start=5, end=6)
    f_first, f_second = f.volunteer(), f.volunteer()
    ok = api.post(
        "/api/v1/assignments/assign/", {"shift": full.pk, "volunteer": f_first.pk}, format="json"
    )
    assert ok.status_code == 201 and ok.json()["status"] == "accepted"
    refused = api.post(
        "/api/v1/assignments/assign/", {"shift": full.pk, "volunteer": f_second.pk}, format="json"
    )
    assert refused.status_code == 400
    assert refused.json() == {
        "code": "full",
        "message": "All seats on this shift are taken.",
        "names": [],
    }

    removed = api.post(f"/api/v1/assignments/{w.held.pk}/remove/", {"reason": "flyttet"})
    assert removed.status_code == 200 and removed.json()["status"] == "removed"
    again = api.post(f"/api/v1/assignments/{w.held.pk}/accept/")
    assert again.status_code == 400 and again.json()["code"] == "not_acceptable"
    moved = api.post(f"/api/v1/assignments/{w.held.pk}/move/", {"shift": w.other_shift.pk})
    assert moved.status_code == 400 and moved.json()["code"] == "not_movable"

    w.election.status = "closed"
    w.election.save()
    closed = api.post(f"/api/v1/assignments/{w.seat.pk}/decline/", {})
    assert closed.status_code == 400 and closed.json()["code"] == "election_not_active"


def test_answer_move_and_remove_on_behalf_are_audited(w, api, coordinator):
    assert api.post(f"/api/v1/assignments/{w.seat.pk}/accept/").json()["status"] == "accepted"
    other = f.shift(w.election, station_=w.other_station, capacity=2, start=20, end=23)
    other.team = w.team
    other.save()
    moved = api.post(f"/api/v1/assignments/{w.seat.pk}/move/", {"shift": other.pk})
    assert moved.status_code == 200 and moved.json()["shift"] == other.pk
    declined = api.post(f"/api/v1/assignments/{w.seat.pk}/decline/", {"reason": "syg"})
    assert declined.json()["status"] == "withdrawn"
    actions = set(AuditEntry.objects.filter(actor=coordinator).values_list("action", flat=True))
    assert {"staffing.accept", "staffing.move", "staffing.decline"} <= actions


def test_bad_input_is_400_with_field_errors(w, api):
    response = api.post("/api/v1/assignments/invite/", {"shift": "x"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and set(body["fields"]) == {"shift", "volunteers"}
    volunteer = api.post("/api/v1/volunteers/", {"first_name": "Ib"}, format="json")
    assert volunteer.status_code == 400 and "last_name" in volunteer.json()["fields"]
    no_contact = api.post(
        "/api/v1/volunteers/",
        {"first_name": "Ib", "last_name": "Ny", "birth_date": "1970-01-02"},
        format="json",
    )
    assert no_contact.status_code == 400 and no_contact.json()["code"] == "invalid"


def test_reference_data_and_volunteers_through_the_services(w, api, coordinator):
    area = api.post("/api/v1/areas/", {"name": "Øst"}, format="json")
    assert area.status_code == 201
    station = api.post(
        "/api/v1/stations/",
        {
            "area": area.json()["id"],
            "name": "Østskolen",
            "address": "Skolevej 1",
            "postal_code": "8000",
            "city": "Aarhus",
        },
        format="json",
    )
    assert station.status_code == 201, station.content
    renamed = api.patch(f"/api/v1/areas/{area.json()['id']}/", {"name": "Øst-Syd"}, format="json")
    assert renamed.json()["name"] == Area.objects.get(pk=area.json()["id"]).name == "Øst-Syd"
    role = api.post(
        "/api/v1/roles/",
        {
            "name": "Valgstyrer",
            "short_name": "VS",
            "default_start": "07:00",
            "default_end": "21:00",
        },
        format="json",
    )
    assert role.status_code == 201, role.content
    election = api.post(
        "/api/v1/elections/",
        {
            "name": "Folkeafstemning",
            "kind": "referendum",
            "election_date": str(w.election.election_date),
        },
        format="json",
    )
    assert election.status_code == 201 and election.json()["status"] == "draft"
    changed = api.patch(
        f"/api/v1/elections/{election.json()['id']}/", {"name": "Afstemning"}, format="json"
    )
    assert changed.json()["name"] == "Afstemning"
    person = api.post(
        "/api/v1/volunteers/",
        {"first_name": "Ib", "last_name": "Ny", "birth_date": "1970-01-02", "phone": "20 12 34 56"},
        format="json",
    )
    assert person.status_code == 201 and person.json()["phone"] == "+4520123456"
    edited = api.patch(
        f"/api/v1/volunteers/{person.json()['id']}/", {"city": "Aarhus C"}, format="json"
    )
    assert edited.json()["city"] == "Aarhus C"
    actions = set(AuditEntry.objects.filter(actor=coordinator).values_list("action", flat=True))
    assert {
        "polling_stations.create_area",
        "polling_stations.update_area",
        "polling_stations.create_station",
        "elections.create_role",
        "elections.create_election",
        "elections.update_election",
        "volunteers.create_volunteer",
        "volunteers.update_volunteer",
    } <= actions


def test_a_group_message_is_sent_or_refused_whole(w, api, coordinator, committed):
    body = {"election": w.election.pk, "subject": "Husk", "body": "Hej {first_name}"}
    sent = committed(api.post, "/api/v1/group-messages/", body, format="json")
    assert sent.status_code == 201, sent.content
    assert sent.json()["recipients"] == 2
    assert Message.objects.filter(idempotency_key__startswith="group:").count() == 2
    nobody = api.post(
        "/api/v1/group-messages/",
        {**body, "station": w.other_station.pk, "statuses": ["checked_in"]},
        format="json",
    )
    assert nobody.status_code == 400 and nobody.json()["code"] == "nobody"
    assert GroupMessage.objects.count() == 1  # the refused one left no draft behind
    bad = api.post("/api/v1/group-messages/", {**body, "body": "Hej {nope}"}, format="json")
    assert bad.status_code == 400 and "body" in bad.json()["fields"]


def test_odd_requests_get_an_error_body_never_a_500(w, api):
    odd = [
        api.post("/api/v1/assignments/invite/", "{not json", content_type="application/json"),
        api.post("/api/v1/assignments/invite/", {"shift": w.open_shift.pk, "volunteers": "x"}),
        api.patch(f"/api/v1/volunteers/{w.member.pk}/", {"teams": [999999]}),
        api.patch(f"/api/v1/volunteers/{w.member.pk}/", {"birth_date": "17-05-1980x"}),
        api.post(f"/api/v1/assignments/{w.seat.pk}/move/", {"shift": 10**30}),
        api.post("/api/v1/assignments/invite/", {"shift": w.open_shift.pk, "volunteers": [2**70]}),
        api.put(f"/api/v1/areas/{w.station.area_id}/", {"name": "x"}),
        api.get("/api/v1/volunteers/", {"page": "zzz"}),
        # ids beyond the database's integers, and "²" (a digit to str.isdigit, not to int)
        api.get("/api/v1/volunteers/", {"skill": "9" * 23}),
        api.get("/api/v1/assignments/", {"volunteer": "9" * 23}),
        api.get("/api/v1/messages/", {"election": "²"}),
        api.get("/api/v1/volunteers/", {"election": "²"}),
        # nesting too deep for Python's JSON parser
        api.post("/api/v1/assignments/invite/", "[" * 50000, content_type="application/json"),
        # a field the endpoint does not write: refused, never silently ignored
        api.patch(f"/api/v1/volunteers/{w.member.pk}/", {"frist_name": "Ib"}),
        api.patch(f"/api/v1/elections/{w.election.pk}/", {"status": "closed"}),
    ]
    codes = [400, 400, 400, 400, 400, 400, 405, 404, 400, 400, 400, 400, 400, 400, 400]
    assert [r.status_code for r in odd] == codes
    for response in odd:
        assert set(response.json()) >= {"code", "message"}, response.content
    assert odd[-1].json()["fields"] == {
        "status": ["Unknown field, or one that cannot be written here."]
    }
    w.election.refresh_from_db()
    assert w.election.status == "active"


def test_an_error_before_authentication_is_no_500(w, api, settings):
    """A bad Accept header is refused before the token is read: the response must
    not then read (and refuse) the token on its way out."""
    unknown = APIClient()
    unknown.credentials(HTTP_AUTHORIZATION="Bearer " + tokens.new_secret())
    refused = unknown.get("/api/v1/elections/", HTTP_ACCEPT="text/bogus")
    assert refused.status_code == 406 and refused.json()["code"] == "not_acceptable"
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    big = api.post("/api/v1/assignments/invite/", {"shift": 1, "volunteers": [1] * 60})
    assert big.status_code == 413 and big.json()["code"] == "too_large"


def test_a_refusal_speaks_the_requests_language(w, api, coordinator):
    full = f.shift(w.election, station_=w.station, capacity=1, start=5, end=6)
    api.post("/api/v1/assignments/assign/", {"shift": full.pk, "volunteer": f.volunteer().pk})
    body = {"shift": full.pk, "volunteer": f.volunteer().pk}
    refused = api.post("/api/v1/assignments/assign/", body, HTTP_ACCEPT_LANGUAGE="da")
    assert refused.json()["code"] == "full"
    danish = refused.json()["message"]
    assert danish != "All seats on this shift are taken."
    # No Accept-Language (curl, most libraries): the language the user chose.
    coordinator.language = "da"
    coordinator.save(update_fields=["language"])
    assert api.post("/api/v1/assignments/assign/", body).json()["message"] == danish
    english = api.post("/api/v1/assignments/assign/", body, HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["message"] == "All seats on this shift are taken."


def test_an_election_is_activated_and_a_wrong_step_refused(w, api, coordinator):
    draft = f.election(status="draft")
    url = f"/api/v1/elections/{draft.pk}/status/"
    assert api.post(url, {"status": "active"}).json()["status"] == "active"
    back = api.post(url, {"status": "draft"})
    assert back.status_code == 400 and back.json()["code"]
    assert AuditEntry.objects.filter(actor=coordinator, object_id=draft.pk).exists()
