"""Every admin page a municipality admin uses renders, with search and filters."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry, User
from elections import where_used
from polling_stations.models import Area
from staffing import services
from staffing.messaging import messages_for_volunteer
from staffing.models import Assignment
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("admin@kommune.dk", "et-langt-kodeord"))
    return client


@pytest.fixture
def data():
    shift = f.shift(team=None)
    volunteer = f.volunteer(first_name="Åse", last_name="Ørsted")
    services.accept(services.invite(shift, [volunteer], by=None).invited[0])
    return shift, volunteer


def test_every_changelist_searches_and_filters(admin_client, data):
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        assert admin_client.get(url).status_code == 200, url
        if model_admin.search_fields:
            assert admin_client.get(url, {"q": "Ørsted"}).status_code == 200, url


def test_change_pages_render(admin_client, data):
    shift, volunteer = data
    for obj in (
        shift,
        shift.election,
        shift.station,
        shift.role,
        volunteer,
        volunteer.assignments.first(),
        messages_for_volunteer(volunteer).first(),
        volunteer.links.first(),
    ):
        meta = obj._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
        assert admin_client.get(url).status_code == 200, url


def test_add_pages_for_what_admins_create(admin_client):
    for name in (
        "polling_stations_area",
        "polling_stations_pollingstation",
        "elections_election",
        "elections_role",
        "elections_shift",
        "volunteers_volunteer",
        "volunteers_team",
        "accounts_user",
    ):
        assert admin_client.get(reverse(f"admin:{name}_add")).status_code == 200, name


def test_assignments_and_messages_cannot_be_added_by_hand(admin_client):
    # Assignments go through the services (rules); messages through the outbox.
    for name in ("staffing_assignment", "notifications_message", "staffing_personallink"):
        assert admin_client.get(reverse(f"admin:{name}_add")).status_code == 403, name


def test_admin_creates_a_staff_user_with_email_only(admin_client):
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "Ny.Koordinator@Kommune.dk",
            "password1": "et-meget-langt-kodeord",
            "password2": "et-meget-langt-kodeord",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(email="ny.koordinator@kommune.dk").check_password(
        "et-meget-langt-kodeord"
    )


def _shift_form(shift, **changes) -> dict[str, str]:
    local = timezone.localtime
    data = {
        "election": shift.election_id,
        "station": shift.station_id,
        "role": shift.role_id,
        "team": "",
        "starts_at_0": local(shift.starts_at).date().isoformat(),
        "starts_at_1": local(shift.starts_at).strftime("%H:%M:%S"),
        "ends_at_0": local(shift.ends_at).date().isoformat(),
        "ends_at_1": local(shift.ends_at).strftime("%H:%M:%S"),
        "capacity": shift.capacity,
    }
    data.update(changes)
    return data


def test_shift_seats_below_the_people_holding_them_need_a_confirmation(
    admin_client, mailoutbox, committed
):
    shift = f.shift(capacity=3)
    early = f.volunteer(first_name="Aase", last_name="Tidlig")
    late = f.volunteer(first_name="Bent", last_name="Sen")
    services.invite(shift, [early], by=None)
    services.invite(shift, [late], by=None)
    url = reverse("admin:elections_shift_change", args=[shift.pk])
    response = admin_client.post(url, _shift_form(shift, capacity=1))
    page = response.content.decode()
    assert response.status_code == 200
    # The latest invitation gives way first, and the office sees who it is.
    assert "1 person would lose their seat: Bent Sen." in page
    shift.refresh_from_db()
    assert shift.capacity == 3
    assert not Assignment.objects.filter(status="removed").exists()

    mailoutbox.clear()
    response = committed(admin_client.post, url, _shift_form(shift, capacity=1, confirm="on"))
    assert response.status_code == 302
    shift.refresh_from_db()
    assert shift.capacity == 1
    assert Assignment.objects.get(volunteer=late).status == "removed"
    assert Assignment.objects.get(volunteer=early).status == "invited"
    assert [m.to for m in mailoutbox] == [[late.email]]
    entry = AuditEntry.objects.get(action="staffing.update_shift")
    assert entry.actor.email == "admin@kommune.dk"
    assert entry.changes == {"capacity": [3, 1]}


def test_shift_times_cannot_make_someones_shifts_overlap(admin_client):
    e = f.election()
    morning = f.shift(e, start=8, end=12)
    evening = f.shift(e, start=18, end=22)
    v = f.volunteer(first_name="Karen", last_name="Dobbelt")
    services.invite(morning, [v], by=None)
    services.invite(evening, [v], by=None)
    url = reverse("admin:elections_shift_change", args=[evening.pk])
    form = _shift_form(evening, starts_at_1="11:00:00", confirm="on")
    response = admin_client.post(url, form)
    page = response.content.decode()
    assert response.status_code == 200
    assert "would break the rules for people on the shift" in page
    assert "Karen Dobbelt already has a shift at that time" in page
    evening.refresh_from_db()
    assert timezone.localtime(evening.starts_at).hour == 18


def test_volunteer_page_query_count_does_not_grow_with_assignments(
    admin_client, django_assert_max_num_queries
):
    e = f.election()
    v = f.volunteer()
    url = reverse("admin:volunteers_volunteer_change", args=[v.pk])

    def add(first_hour: int, count: int) -> None:
        for hour in range(first_hour, first_hour + count):
            services.invite(f.shift(e, start=hour, end=hour + 1), [v], by=None)

    add(0, 2)
    admin_client.get(url)
    with django_assert_max_num_queries(60) as few:
        admin_client.get(url)
    add(2, 10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert admin_client.get(url).status_code == 200


def test_saving_without_changes_writes_nothing(admin_client):
    from volunteers.models import Skill

    skill = Skill.objects.create(name="Førstehjælp")
    url = reverse("admin:volunteers_skill_change", args=[skill.pk])
    response = admin_client.post(url, {"name": "Førstehjælp", "kind": "skill"})
    assert response.status_code == 302
    assert not AuditEntry.objects.filter(action="volunteers.update_skill").exists()


def test_the_outbox_cannot_be_deleted_from_in_the_admin(admin_client, data):
    _shift, volunteer = data
    message = messages_for_volunteer(volunteer).first()
    url = reverse("admin:notifications_message_delete", args=[message.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    changelist = reverse("admin:notifications_message_changelist")
    admin_client.post(
        changelist, {"action": "delete_selected", "_selected_action": [message.pk], "post": "yes"}
    )
    assert type(message).objects.filter(pk=message.pk).exists()


def test_the_admin_is_for_admins_even_with_a_staff_flag(client):
    # A staff flag left from before roles (or set by hand) opens nothing.
    staff = f.user("gammel@kommune.dk", role="coordinator", is_staff=True)
    client.force_login(staff)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


# --- deleting what is in use: refused with where, as on the setup pages -------------------


def _delete_page(model: str, pk: int) -> str:
    return reverse(f"admin:{model}_delete", args=[pk])


def _changelist(model: str) -> str:
    return reverse(f"admin:{model}_changelist")


def test_an_area_that_takes_part_in_an_election_cannot_be_deleted(admin_client):
    e = f.election(name="Folketingsvalg 2027")
    area = f.area("Nord")
    e.areas.add(area)
    said = where_used.area_refusal(area).message
    assert "takes part in Folketingsvalg 2027" in said

    page = admin_client.get(_delete_page("polling_stations_area", area.pk))
    assert said in page.content.decode()
    assert 'name="post"' not in page.content.decode()  # no "Yes, I'm sure" button

    response = admin_client.post(_delete_page("polling_stations_area", area.pk), {"post": "yes"})
    assert response.status_code == 200
    assert Area.objects.filter(pk=area.pk).exists()
    assert list(e.areas.all()) == [area]

    response = admin_client.post(
        _changelist("polling_stations_area"),
        {"action": "delete_selected", "_selected_action": [area.pk], "post": "yes"},
        follow=True,
    )
    assert said in response.content.decode()
    assert list(e.areas.all()) == [area]
    assert not AuditEntry.objects.filter(action="polling_stations.delete_area").exists()


def test_an_area_in_no_election_is_deleted_from_the_admin(admin_client):
    area = f.area("Tom")
    response = admin_client.post(_delete_page("polling_stations_area", area.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Area.objects.filter(pk=area.pk).exists()
    assert AuditEntry.objects.filter(action="polling_stations.delete_area").count() == 1


@pytest.mark.parametrize("what", ["station", "role"])
def test_a_station_or_role_in_use_says_where_as_the_setup_pages_do(admin_client, what):
    shift = f.shift(
        f.election(name="Folketingsvalg 2027"),
        station_=f.station(name="Nordskolen"),
        role_=f.role("Valgstyrer"),
    )
    if what == "station":
        obj, model = shift.station, "polling_stations_pollingstation"
        said = where_used.station_refusal(obj).message
    else:
        obj, model = shift.role, "elections_role"
        said = where_used.role_refusal(obj).message
    assert "1 shift in Folketingsvalg 2027" in said
    page = admin_client.get(_delete_page(model, obj.pk)).content.decode()
    assert said in page and 'name="post"' not in page
    response = admin_client.post(_delete_page(model, obj.pk), {"post": "yes"})
    assert response.status_code == 200
    assert type(obj).objects.filter(pk=obj.pk).exists()
