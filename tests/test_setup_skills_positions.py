"""What the auto-assigner needs from the setup data, edited where the rest is: a
role's required skills (setup page and admin, audited), a skill's kind (skill,
training, language) in the admin and the services, and a polling station's
position (both coordinates or neither, in range, with the error on the field)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEntry, User
from elections.models import Role
from polling_stations.models import Area, PollingStation
from tests import factories as f
from volunteers import services as volunteer_services
from volunteers.models import Skill

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(coordinator) -> Client:
    client = Client()
    client.force_login(coordinator)
    return client


@pytest.fixture
def admin_client_(db) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("admin@kommune.dk", "et-langt-kodeord"))
    return client


def station_data(area: Area, **overrides) -> dict:
    data = {
        "area": area.pk,
        "name": "Vestre Skole",
        "address": "Skolevej 1",
        "postal_code": "8000",
        "city": "Aarhus C",
        "accessibility": "",
        "capacity_note": "",
        "manager_contact": "",
        "notes": "",
        "latitude": "",
        "longitude": "",
    }
    data.update(overrides)
    return data


def role_data(**overrides) -> dict:
    data = {
        "name": "Valgstyrer",
        "short_name": "VS",
        "default_start": "07:30",
        "default_end": "22:00",
        "pay": "1200.00",
        "min_age": "18",
        "reminders_enabled": "on",
    }
    data.update(overrides)
    return data


# --- roles: required skills ----------------------------------------------------------------


def test_a_role_requires_skills_chosen_on_its_page(office):
    course = volunteer_services.create_skill(by=None, name="Valgstyrerkursus", kind="training")
    arabic = volunteer_services.create_skill(by=None, name="Arabisk", kind="language")
    volunteer_services.create_skill(by=None, name="Førstehjælp")
    page = office.get(reverse("staffing:setup_role_create")).content.decode()
    assert "Valgstyrerkursus (training)" in page and "Arabisk (language)" in page
    assert 'name="required_skills"' in page

    response = office.post(
        reverse("staffing:setup_role_create"), role_data(required_skills=[course.pk])
    )
    assert response.status_code == 302
    role = Role.objects.get(name="Valgstyrer")
    assert list(role.required_skills.all()) == [course]
    (entry,) = AuditEntry.objects.filter(action="elections.set_role_skills")
    assert entry.changes == {"required_skills": [[], [course.pk]]}

    edit = reverse("staffing:setup_role_edit", args=[role.pk])
    office.post(edit, role_data(required_skills=[course.pk, arabic.pk]))
    assert set(role.required_skills.all()) == {course, arabic}
    office.post(edit, role_data())  # none ticked: none required
    assert not role.required_skills.exists()
    changes = [
        e.changes["required_skills"]
        for e in AuditEntry.objects.filter(action="elections.set_role_skills").order_by("pk")
    ]
    assert changes[1:] == [
        [[course.pk], sorted([course.pk, arabic.pk])],
        [sorted([course.pk, arabic.pk]), []],
    ]
    # The times unchanged: no update entry of the role for the skills alone.
    assert not AuditEntry.objects.filter(action="elections.update_role").exists()


def test_an_unknown_skill_is_a_field_error(office):
    response = office.post(reverse("staffing:setup_role_create"), role_data(required_skills=[9999]))
    assert response.status_code == 200
    assert "required_skills" in response.context["form"].errors
    assert not Role.objects.exists()


def test_the_admin_sets_a_roles_skills_through_the_service(admin_client_):
    course = Skill.objects.create(name="Valgstyrerkursus", kind="training")
    role = f.role("Valgstyrer")
    url = reverse("admin:elections_role_change", args=[role.pk])
    form = admin_client_.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "required_skills"}
    data.update(default_start="08:00", default_end="20:00", required_skills=[course.pk])
    response = admin_client_.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert list(role.required_skills.all()) == [course]
    assert AuditEntry.objects.filter(action="elections.set_role_skills").exists()


# --- skills: their kind --------------------------------------------------------------------


def test_a_skill_has_a_kind_in_the_services_and_the_admin(admin_client_):
    danish = volunteer_services.create_skill(by=None, name="Dansk tegnsprog", kind="language")
    assert danish.kind == Skill.Kind.LANGUAGE
    assert AuditEntry.objects.get(action="volunteers.create_skill").changes["kind"] == [
        None,
        "language",
    ]
    response = admin_client_.post(
        reverse("admin:volunteers_skill_add"), {"name": "Valgstyrerkursus", "kind": "training"}
    )
    assert response.status_code == 302
    assert Skill.objects.get(name="Valgstyrerkursus").kind == Skill.Kind.TRAINING
    url = reverse("admin:volunteers_skill_change", args=[danish.pk])
    admin_client_.post(url, {"name": "Dansk tegnsprog", "kind": "skill"})
    danish.refresh_from_db()
    assert danish.kind == Skill.Kind.SKILL
    assert AuditEntry.objects.get(action="volunteers.update_skill").changes == {
        "kind": ["language", "skill"]
    }
    listing = admin_client_.get(
        reverse("admin:volunteers_skill_changelist"), {"kind__exact": "skill"}
    )
    assert [s.name for s in listing.context["cl"].result_list] == ["Dansk tegnsprog"]


def test_a_bad_kind_is_refused():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        volunteer_services.create_skill(by=None, name="Svømning", kind="hobby")
    assert not Skill.objects.exists()


# --- stations: their position --------------------------------------------------------------


def test_a_station_gets_a_position(office):
    area = f.area("Midt")
    response = office.post(
        reverse("staffing:setup_station_create"),
        station_data(area, latitude="56.1572", longitude="10.2107"),
    )
    assert response.status_code == 302
    station = PollingStation.objects.get(name="Vestre Skole")
    assert (station.latitude, station.longitude) == (56.1572, 10.2107)
    created = AuditEntry.objects.get(action="polling_stations.create_station")
    assert created.changes["latitude"] == [None, 56.1572]

    office.post(
        reverse("staffing:setup_station_edit", args=[station.pk]),
        station_data(area, latitude="", longitude=""),
    )
    station.refresh_from_db()
    assert (station.latitude, station.longitude) == (None, None)
    updated = AuditEntry.objects.get(action="polling_stations.update_station")
    assert updated.changes["longitude"] == [10.2107, None]


def test_the_station_form_shows_the_position_fields(office):
    page = office.get(reverse("staffing:setup_station_create")).content.decode()
    assert 'name="latitude"' in page and 'name="longitude"' in page


@pytest.mark.parametrize(
    ("given", "field", "message"),
    [
        ({"latitude": "56.1"}, "longitude", "Give the longitude too, or leave both empty."),
        ({"longitude": "10.2"}, "latitude", "Give the latitude too, or leave both empty."),
        ({"latitude": "91", "longitude": "10"}, "latitude", "less than or equal to 90"),
        ({"latitude": "56", "longitude": "-181"}, "longitude", "greater than or equal to -180"),
        ({"latitude": "nord", "longitude": "10"}, "latitude", "Enter a number."),
    ],
    ids=["no-longitude", "no-latitude", "latitude-range", "longitude-range", "not-a-number"],
)
def test_a_half_or_wrong_position_is_a_field_error(office, given, field, message):
    response = office.post(
        reverse("staffing:setup_station_create"), station_data(f.area("Midt"), **given)
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field])
    assert "__all__" not in errors
    assert message in response.content.decode()
    assert not PollingStation.objects.exists()
