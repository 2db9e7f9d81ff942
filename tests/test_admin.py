"""Every admin page a municipality admin uses renders, with search and filters."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from accounts.models import User
from tests import factories as f
from volunteers import services

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
        volunteer.messages.first(),
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
    for name in ("volunteers_assignment", "notifications_message", "volunteers_personallink"):
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
