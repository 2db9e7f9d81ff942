"""An invitation round writes its audit entries as plain rows
(``staffing.services._common.new_assignment_rows``): the same entries, column
for column, as ``assignment_entry`` makes one at a time."""

from __future__ import annotations

import pytest

from accounts import audit
from staffing.models import Assignment
from staffing.services._common import assignment_entry, new_assignment_rows
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("staff", [True, False])
def test_rows_are_the_entries_of_assignment_entry(staff):
    by = f.user("koordinator@kommune.dk", coordinator=True) if staff else None
    shift = f.shift(capacity=5)
    seats = [
        Assignment.objects.create(
            shift=shift, volunteer=f.volunteer(first_name=name), status="invited"
        )
        for name in ("Anna", "Bo <script>", "Æbelø " + "x" * 90)
    ]
    label = f"{shift} (Invited)"
    rows = new_assignment_rows("staffing.invite", seats, by=by, label=label)
    entries = [
        audit.as_row(
            assignment_entry("staffing.invite", a, by=by, object_repr=f"{a.volunteer} → {label}")
        )
        for a in seats
    ]
    assert [row[1:] for row in rows] == [entry[1:] for entry in entries]  # all but the time
    assert all(row[0] for row in rows)
    assert audit.record_many(rows=rows) == 3
