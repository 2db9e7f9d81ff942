"""Importing areas and stations, roles, teams with members and an election's seat
grid: each through its app's services (audited), refused rows with their reasons,
and the same file again changing nothing."""

from __future__ import annotations

import io
from datetime import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from accounts.models import AuditEntry
from elections.models import Role, Shift
from exchange.imports import jobs
from exchange.models import ImportJob
from polling_stations.models import Area, PollingStation
from staffing import services as staffing
from tests import factories as f
from tests.test_fill_counters import assert_kept_equals_recount
from volunteers.models import Team

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).parent / "fixtures" / "import"


def run(user, kind: str, content: bytes, *, election=None, commit: bool = True) -> ImportJob:
    job = jobs.upload(by=user, kind=kind, filename="f.csv", content=content, election=election)
    job = jobs.start_check(jobs.set_mapping(job, job.mapping, "phone", by=user), by=user)
    assert job.status == ImportJob.Status.CHECKED, job.error
    return jobs.start_commit(job, by=user) if commit else job


def problems(job: ImportJob) -> dict[int, dict[str, str]]:
    return {r["line"]: dict(r.get("problems", [])) for r in job.report["rows"]}


def test_areas_and_stations(coordinator):
    f.area("Nord")
    content = (FIXTURES / "stations.csv").read_bytes()
    job = run(coordinator, "stations", content)
    assert job.counts == {"created": 2, "updated": 0, "unchanged": 0, "refused": 1}
    assert problems(job)[4] == {"city": "This field cannot be blank."}
    assert set(PollingStation.objects.values_list("area__name", "name")) == {
        ("Nord", "Nordskolen"), ("Nord", "Nordhallen"),
    }  # fmt: skip
    assert not Area.objects.filter(name="Syd").exists()  # its only row was refused
    assert AuditEntry.objects.filter(action="polling_stations.create_station").count() == 2
    again = run(coordinator, "stations", content)
    assert again.counts == {"created": 0, "updated": 0, "unchanged": 2, "refused": 1}
    changed = content.replace(b"Skolevej 1", b"Skolevej 10")
    assert run(coordinator, "stations", changed).counts["updated"] == 1
    assert PollingStation.objects.get(name="Nordskolen").address == "Skolevej 10"


def test_roles_with_danish_amounts_and_times(coordinator):
    content = (FIXTURES / "roles.csv").read_bytes()
    job = run(coordinator, "roles", content)
    assert job.counts == {"created": 2, "updated": 0, "unchanged": 0, "refused": 1}
    assert problems(job)[4] == {
        "default_end": "The end must differ from the start (earlier means the next day)."
    }
    chair = Role.objects.get(name="Valgstyrer")
    assert (chair.short_name, chair.pay, chair.default_start) == ("VS", Decimal("1250.50"), time(7))
    clerk = Role.objects.get(short_name="TF")
    assert (clerk.default_start, clerk.default_end) == (time(7, 30), time(20))
    assert AuditEntry.objects.filter(action="elections.create_role").count() == 2
    assert run(coordinator, "roles", content).counts["unchanged"] == 2


def test_teams_with_members(coordinator):
    member = f.volunteer(channel="sms", phone="+4520123456")
    f.volunteer(email="ib@example.dk")
    twins = [f.volunteer(channel="sms", phone="+4520777777") for _ in range(2)]
    content = (
        b"Parti;Forkortelse;Type;Mobil;Email\n"
        b"Venstre;V;parti;20 12 34 56;\n"
        b"Venstre;V;parti;;ib@example.dk\n"
        b"Venstre;V;parti;29 99 99 99;\n"
        b"Ungdomsholdet;;gruppe;;\n"
        b"Venstre;V;parti;20 77 77 77;\n"
    )
    job = run(coordinator, "teams", content)
    assert job.counts == {"created": 2, "updated": 1, "unchanged": 0, "refused": 2}
    assert problems(job)[4] == {
        "member": "No volunteer has this mobile number, email or external id."
    }
    shared = problems(job)[6]["member_phone"]  # a number two people share: neither is guessed
    assert shared.startswith("Several volunteers have it") and twins[1].full_name in shared
    team = Team.objects.get(name="Venstre")
    assert (team.short_name, team.kind) == ("V", "party")
    assert set(team.members.values_list("pk", flat=True)) >= {member.pk}
    assert team.members.count() == 2
    assert Team.objects.get(name="Ungdomsholdet").kind == "volunteer_group"
    assert AuditEntry.objects.filter(action="volunteers.update_volunteer").count() == 2
    again = run(coordinator, "teams", content)
    assert again.counts == {"created": 0, "updated": 0, "unchanged": 3, "refused": 2}


def test_seat_grid(coordinator):
    election = f.election()
    held = f.shift(election, capacity=2)  # Station with a held seat
    staffing.invite(held, [f.volunteer()], by=None)
    station = f.station(held.station.area, name="Vestskolen")
    day = election.election_date.strftime("%d-%m-%Y")
    content = (
        "Valgsted;Funktion;Dato;Pladser\n"
        f"Vestskolen;{held.role.name};{day};4\n"
        f"Vestskolen;{held.role.name};;4\n"
        f"{held.station.name};{held.role.name};;0\n"
        f"Østskolen;{held.role.name};;2\n"
        f"Vestskolen;Kaffebrygger;;2\n"
    ).encode()
    job = run(coordinator, "grid", content, election=election)
    assert job.counts == {"created": 1, "updated": 0, "unchanged": 0, "refused": 4}
    found = problems(job)
    assert found[3] == {"station": "The same as on line 2 of the file."}
    assert found[4] == {"seats": "1 person holds a seat here: free it on the grid page first."}
    assert found[5] == {"station": "No polling station of this election has this name."}
    assert found[6] == {"role": "No role has this name."}
    new = Shift.objects.get(station=station)
    assert (new.capacity, new.role_id) == (4, held.role_id)
    assert AuditEntry.objects.filter(object_type="elections.shift").exists()
    again = run(coordinator, "grid", content, election=election)
    assert again.counts["unchanged"] == 1 and again.counts["created"] == 0
    assert_kept_equals_recount()  # the seat-fill triggers counted the new shift


def test_reference_data_only_for_coordinators_of_every_election(client):
    limited = f.user(role="coordinator", elections=[f.election()])
    client.force_login(limited)
    upload = io.BytesIO((FIXTURES / "stations.csv").read_bytes())
    upload.name = "s.csv"
    response = client.post(reverse("exchange:import_start"), {"kind": "stations", "file": upload})
    assert response.status_code == 400 and not ImportJob.objects.exists()
    page = client.get(reverse("exchange:import_start")).content.decode()
    assert 'value="volunteers"' in page and 'value="stations"' not in page
    job = jobs.upload(
        by=limited, kind="stations", filename="s.csv", content=upload.getvalue()
    )  # made before their grant was narrowed, say
    assert client.get(reverse("exchange:import_report", args=[job.pk])).status_code == 404


def test_a_row_the_database_would_refuse_is_a_refused_row_and_the_rest_imported(coordinator):
    """A value every field accepts but a named constraint does not (a minimum age
    of 150): its row is refused in the dry run with the constraint's message, and
    the import writes the others instead of stopping with an error."""
    content = (
        b"Funktion;Kort navn;Start;Slut;Min. alder\n"
        b"Tolk;TOLK;07:00;12:00;150\n"
        b"Vagt;VAGT;07:00;12:00;18\n"
    )
    job = run(coordinator, "roles", content)
    assert job.status == ImportJob.Status.DONE, job.error
    assert problems(job)[2] == {"min_age": "The minimum age must be 120 or less."}
    assert job.counts == {"created": 1, "updated": 0, "unchanged": 0, "refused": 1}
    assert list(Role.objects.values_list("name", flat=True)) == ["Vagt"]


def test_a_member_the_volunteer_service_refuses_is_a_refused_row_not_a_failed_import(
    coordinator,
):
    """Adding someone to a team saves them through ``update_volunteer``, which checks
    the whole person: one stored before an email rule (an address it now refuses)
    makes their row refused, with why; the team and its other members are imported."""
    legacy = f.volunteer(channel="sms", phone="+4520121212", email="ib(at)example.dk")
    fine = f.volunteer(channel="sms", phone="+4520131313")
    content = b"Parti;Mobil\nVenstre;20 12 12 12\nVenstre;20 13 13 13\nEnhedslisten;20 12 12 12\n"
    job = run(coordinator, "teams", content)
    assert job.status == ImportJob.Status.DONE, job.error
    assert problems(job)[2] == {"email": "Enter a valid email address."}
    assert job.counts["refused"] == 2
    # A refused line leaves nothing behind: not even the team only it names.
    assert not Team.objects.filter(name="Enhedslisten").exists()
    team = Team.objects.get(name="Venstre")
    assert list(team.members.all()) == [fine] and not legacy.teams.exists()


def test_danish_amounts_with_a_thousands_dot_are_read_as_thousands():
    from exchange.imports.values import parse_decimal

    assert parse_decimal("1.250") == Decimal("1250")  # Danish: one thousand two hundred…
    assert parse_decimal("12.500.000") == Decimal("12500000")
    assert parse_decimal("1 250 kr.") == Decimal("1250")
    assert parse_decimal("1.250,50") == Decimal("1250.50")
    assert parse_decimal("150.50") == Decimal("150.50")  # a decimal point, as typed in English
    assert parse_decimal(1250.5) == Decimal("1250.5")


def test_a_grid_cell_changed_while_importing_is_a_refused_row_and_the_others_saved(
    coordinator, monkeypatch
):
    from exchange.imports import grid

    election = f.election()
    busy = f.shift(election, capacity=2)
    quiet = f.station(busy.station.area, name="Stille Skole")
    real_save = grid.save_grid

    def someone_else_first(*args, **kwargs):
        # A coordinator on the grid page saves the cell just before the import does.
        Shift.objects.filter(pk=busy.pk).update(capacity=5)
        monkeypatch.setattr(grid, "save_grid", real_save)
        return real_save(*args, **kwargs)

    monkeypatch.setattr(grid, "save_grid", someone_else_first)
    content = (
        f"Valgsted;Funktion;Pladser\n{busy.station.name};{busy.role.name};4\n"
        f"{quiet.name};{busy.role.name};3\n"
    ).encode()
    job = run(coordinator, "grid", content, election=election)
    assert job.status == ImportJob.Status.DONE, job.error
    assert job.counts == {"created": 1, "updated": 0, "unchanged": 0, "refused": 1}
    assert list(problems(job)[2]) == ["seats"]
    assert Shift.objects.get(pk=busy.pk).capacity != 4  # the import did not overwrite it
    assert Shift.objects.get(station=quiet).capacity == 3
