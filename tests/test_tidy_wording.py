"""One wording for "cannot be deleted, it is in use" (issue 7's tidy-up): the
generic refusal of ``accounts.writes`` (a protected relation) and the described
one of ``elections.where_used`` say it the same way, and the where-used one still
lists every use."""

from __future__ import annotations

import pytest

from accounts import writes
from elections import where_used
from elections.models import Role
from pollcrew.refusals import Refused
from tests import factories as f

pytestmark = pytest.mark.django_db

PHRASE = "“Valgstyrer” is in use and cannot be deleted. It is used by: "


def test_a_protected_delete_and_the_where_used_check_say_it_the_same_way():
    role = f.role("Valgstyrer")
    shift = f.shift(f.election(name="Folketingsvalg 2027"), role_=role)

    described = where_used.role_refusal(role)
    assert described is not None
    assert described.message.startswith(PHRASE + "1 shift in Folketingsvalg 2027 (")

    with pytest.raises(Refused) as refused:  # past the check: the database protects it
        writes.delete(role, "elections.delete_role", ["name"], by=None)
    assert refused.value.code == "in_use"
    assert refused.value.message == f"{PHRASE}{shift}."
    assert Role.objects.filter(pk=role.pk).exists()


def test_the_message_names_five_elections_and_the_list_has_them_all():
    role = f.role("Valgstyrer")
    for i in range(7):
        f.shift(f.election(name=f"Valg {i}", days_ahead=10 + i), role_=role)

    refusal = where_used.role_refusal(role)

    assert refusal is not None
    assert refusal.message.startswith(PHRASE)
    assert refusal.message.endswith("; and 2 more elections.")
    assert refusal.message.count(" shift in Valg ") == 5
    assert len(refusal.names) == 7
