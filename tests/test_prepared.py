"""pollcrew.prepared: a queryset compiled once and run with other values gives
the objects the queryset itself gives — related objects included, in one query
— on PostgreSQL; elsewhere the queryset runs as it is."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from pollcrew.prepared import Prepared
from staffing.links import issue_link, resolve_link
from staffing.models import Assignment, PersonalLink
from tests import factories as f

pytestmark = pytest.mark.django_db
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL (DATABASE_URL): elsewhere Prepared runs the queryset itself",
)


def seats(volunteer_id: int, election_id: int):
    return (
        Assignment.objects.filter(volunteer_id=volunteer_id, shift__election_id=election_id)
        .select_related("shift__role", "shift__station")
        .order_by("shift__starts_at", "pk")
    )


@pytest.fixture
def two_people():
    election = f.election()
    early, late = f.shift(election, start=7, end=12), f.shift(election, start=13, end=20)
    karen, bodil = f.volunteer(), f.volunteer(first_name="Bodil")
    for shift in (late, early):
        Assignment.objects.create(shift=shift, volunteer=karen, status="invited")
    Assignment.objects.create(shift=early, volunteer=bodil, status="invited")
    return election, karen, bodil, early, late


def test_the_same_objects_as_the_queryset_for_each_set_of_values(
    two_people, django_assert_num_queries
):
    election, karen, bodil, early, late = two_people
    prepared = Prepared(seats, ("int", "int"))
    for person in (karen, bodil, karen):
        expected = list(seats(person.pk, election.pk))
        with django_assert_num_queries(1):  # the shift, role and station come along
            found = prepared.run(person.pk, election.pk)
            assert [(a.pk, a.shift.role.name, a.shift.station.name) for a in found] == [
                (a.pk, a.shift.role.name, a.shift.station.name) for a in expected
            ]
    assert [a.shift_id for a in prepared.run(karen.pk, election.pk)] == [early.pk, late.pk]
    assert prepared.run(karen.pk, election.pk + 1000) == []


@on_postgresql
def test_a_value_that_does_not_reach_the_sql_as_a_parameter_is_refused(two_people):
    prepared = Prepared(
        lambda name: Assignment.objects.filter(volunteer__first_name__icontains=name), ("text",)
    )
    with pytest.raises(ValueError, match="found 0 times"):
        prepared.run("Karen")


def test_the_personal_link_is_found_only_while_usable(two_people):
    election, karen, *_ = two_people
    token = issue_link(karen, election)
    link = resolve_link(token)
    assert link is not None and link.volunteer == karen and link.election == election
    assert resolve_link(token + "x") is None
    PersonalLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(1))
    assert resolve_link(token) is None
    PersonalLink.objects.filter(pk=link.pk).update(
        expires_at=timezone.now() + timedelta(1), revoked_at=timezone.now()
    )
    assert resolve_link(token) is None
