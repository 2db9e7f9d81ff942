"""Importing volunteers from a spreadsheet: the file quirks of real exports, the
row-level dry run, the commit through the bulk service (audited), idempotent
re-import, and the job path with progress."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from django.urls import reverse

from accounts.models import AuditEntry
from exchange import tasks
from exchange.imports import jobs, volunteers
from exchange.models import ExternalVolunteerId, ImportJob, MappingPreset
from pollcrew.refusals import Refused
from tests import factories as f
from volunteers.models import Volunteer

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).parent / "fixtures" / "import"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def dry_run(user, name: str, content: bytes, key: str = "phone", kind: str = "volunteers"):
    job = jobs.upload(by=user, kind=kind, filename=name, content=content)
    job = jobs.set_mapping(job, job.mapping, key, by=user)
    return jobs.start_check(job, by=user)


def by_line(job: ImportJob) -> dict[int, dict]:
    return {row["line"]: row for row in job.report["rows"]}


def test_windows_1252_with_title_rows_danish_dates_and_spaced_phones(coordinator):
    job = dry_run(coordinator, "frivillige.csv", fixture("volunteers_cp1252.csv"))
    assert job.header_line == 4  # the title rows above it are skipped
    assert job.headers[:5] == ["Fornavn", "Efternavn", "Mobil", "E-mail", "Fødselsdato"]
    assert len(job.headers) == 7  # the empty trailing column is dropped
    assert job.total_rows == 4  # the empty trailing rows too
    assert set(job.mapping) == {
        "first_name", "last_name", "phone", "email", "birth_date", "postal_code", "city",
    }  # fmt: skip
    assert job.status == ImportJob.Status.CHECKED
    assert job.report["counts"] == {"created": 2, "updated": 0, "unchanged": 0, "refused": 2}
    rows = by_line(job)
    assert rows[5]["label"] == "Søren Østergaard" and rows[5]["outcome"] == "created"
    assert rows[6]["label"] == "Åse Kjær" and rows[6]["outcome"] == "created"
    bad_phone_and_date = dict(rows[7]["problems"])
    assert bad_phone_and_date["phone"] == "“1234” is not a valid phone number."
    assert (
        bad_phone_and_date["birth_date"] == "“31-02-1980” is not a date (write it as 17-05-1980)."
    )
    assert dict(rows[8]["problems"]) == {"email": "Enter a valid email address."}
    assert not Volunteer.objects.exists()  # a dry run writes nothing


def test_commit_writes_through_the_bulk_service_and_reimport_changes_nothing(coordinator):
    content = fixture("volunteers_cp1252.csv")
    job = jobs.start_commit(dry_run(coordinator, "a.csv", content), by=coordinator)
    assert job.status == ImportJob.Status.DONE and job.content == b""
    soren = Volunteer.objects.get(phone="+4520123456")
    assert (soren.first_name, soren.last_name, soren.birth_date) == (
        "Søren", "Østergaard", date(1980, 5, 17),
    )  # fmt: skip
    assert (soren.postal_code, soren.city, soren.preferred_channel) == ("8000", "Århus C", "sms")
    assert soren.sort_name  # the database computed its search and sort columns
    assert Volunteer.objects.count() == 2  # the refused rows: not a field of them written
    assert not Volunteer.objects.filter(phone="+4522334455").exists()  # Bent: a bad email only
    entries = AuditEntry.objects.filter(action="volunteers.create_volunteer")
    assert entries.count() == 2
    assert {e.actor_id for e in entries} == {coordinator.pk}
    assert entries.first().detail["via"] == "import"

    before = AuditEntry.objects.count()
    again = jobs.start_commit(dry_run(coordinator, "a.csv", content), by=coordinator)
    assert again.report["counts"] == {"created": 0, "updated": 0, "unchanged": 2, "refused": 2}
    assert Volunteer.objects.count() == 2
    # Only the run's own entries (upload, mapping, dry run, import): no person changed.
    new = AuditEntry.objects.filter(pk__gt=0).order_by("-pk")[: AuditEntry.objects.count() - before]
    assert {e.action for e in new} <= {
        "exchange.upload_import", "exchange.map_import", "exchange.check_import",
        "exchange.commit_import",
    }  # fmt: skip


def test_utf8_bom_comma_and_an_update_of_a_known_person(coordinator):
    known = f.volunteer(channel="sms", phone="+4520123456", first_name="Anne", last_name="Old")
    job = dry_run(coordinator, "bom.csv", fixture("volunteers_bom.csv"))
    assert job.headers[0] == "First name"  # no BOM glued to it
    rows = by_line(job)
    assert rows[2]["outcome"] == "updated"
    assert set(rows[2]["changed"]) >= {"last_name", "email", "city"}
    assert rows[3]["outcome"] == "created"  # 0045… and 17/05/1975 read
    assert dict(rows[4]["problems"]) == {"first_name": "This field cannot be blank."}
    jobs.start_commit(job, by=coordinator)
    known.refresh_from_db()
    assert (known.last_name, known.email, known.city) == ("Hansen", "anne@example.dk", "Aarhus")
    entry = AuditEntry.objects.get(action="volunteers.update_volunteer", object_id=known.pk)
    assert entry.changes["last_name"] == ["Old", "Hansen"]
    assert Volunteer.objects.get(phone="+4521222324").birth_date == date(1975, 5, 17)


def test_duplicates_within_the_file_and_of_an_existing_volunteer(coordinator):
    other = f.volunteer(email="taken@example.dk", first_name="Ida", last_name="Holm")
    content = (
        "Fornavn;Efternavn;Mobil;Email;Fødselsdato\n"
        "Bo;Berg;20 11 11 11;;1980-01-01\n"
        "Bo;Bergsen;20111111;;1980-01-01\n"
        "Eva;Ek;20 22 22 22;taken@example.dk;1980-01-01\n"
        "Ane;Ahl;;ane@example.dk;1980-01-01\n"
    ).encode()
    rows = by_line(dry_run(coordinator, "d.csv", content))
    assert rows[2]["outcome"] == "created"
    assert dict(rows[3]["problems"]) == {"phone": "The same as on line 2 of the file."}
    assert dict(rows[4]["problems"]) == {
        "email": f"Duplicate of an existing volunteer: Ida Holm (#{other.pk}) has it."
    }
    assert dict(rows[5]["problems"]) == {"phone": "Empty, and the import matches people on it."}


def test_external_id_key_tab_separated_full_names_and_linking(coordinator):
    known = f.volunteer(channel="sms", phone="+4520304051", first_name="Ole", last_name="Olsen")
    job = dry_run(coordinator, "t.csv", fixture("volunteers_tab.csv"), key="external_id")
    assert job.mapping["full_name"] == 0 and job.mapping["external_id"] == 3
    rows = by_line(job)
    assert rows[2]["outcome"] == "created" and rows[2]["label"] == "Karen Marie Madsen"
    assert rows[3]["outcome"] == "updated"  # found by number: the id is linked to them
    jobs.start_commit(job, by=coordinator)
    assert ExternalVolunteerId.objects.get(external_id="A-2").volunteer_id == known.pk
    karen = Volunteer.objects.get(
        pk=ExternalVolunteerId.objects.get(external_id="A-1").volunteer_id
    )
    assert karen.first_name == "Karen Marie"
    assert karen.last_name == "Madsen"
    again = dry_run(coordinator, "t.csv", fixture("volunteers_tab.csv"), key="external_id")
    assert again.report["counts"]["unchanged"] == 2


def test_xlsx_with_merged_header_cells(coordinator):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Frivillige 2027"])
    sheet.append(["Navn", None, "Kontakt", None, "Fødselsdato"])
    sheet.append(["Fornavn", "Efternavn", "Mobil", "E-mail", None])
    sheet.merge_cells("A1:E1")
    sheet.merge_cells("E2:E3")  # the date's header spans both header rows
    sheet.append(["Søren", "Kjær", "20 12 34 56", "s@example.dk", date(1980, 5, 17)])
    sheet.append(["Åse", "Ørum", 21222324, None, "17-05-1981"])
    sheet.append([None, None, None, None, None])
    out = io.BytesIO()
    book.save(out)
    job = dry_run(coordinator, "f.xlsx", out.getvalue())
    assert job.header_line == 3
    assert job.headers == ["Fornavn", "Efternavn", "Mobil", "E-mail", "Fødselsdato"]
    assert job.report["counts"]["created"] == 2
    jobs.start_commit(job, by=coordinator)
    assert Volunteer.objects.get(phone="+4521222324").birth_date == date(1981, 5, 17)


def test_large_file_runs_as_a_job_with_progress(coordinator, settings, committed, monkeypatch):
    settings.IMPORT_IN_REQUEST_MAX_ROWS = 5
    monkeypatch.setattr(volunteers, "CHUNK", 5)
    counted: list[int] = []
    real = jobs.cache

    class Spy:
        """The cache, noting the progress the job counts in it."""

        def set(self, key, value, *args, **kwargs):
            counted.append(value)
            return real.set(key, value, *args, **kwargs)

        def get(self, *args, **kwargs):
            return real.get(*args, **kwargs)

    monkeypatch.setattr(jobs, "cache", Spy())
    lines = ["Fornavn;Efternavn;Mobil;Fødselsdato"] + [
        f"P{i};Jensen;20 40 {i // 100:02d} {i % 100:02d};1980-01-01" for i in range(12)
    ]
    content = "\n".join(lines).encode()
    job = jobs.upload(by=coordinator, kind="volunteers", filename="big.csv", content=content)
    job = jobs.set_mapping(job, job.mapping, "phone", by=coordinator)
    job = committed(jobs.start_check, job, by=coordinator)  # the task runs on commit
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CHECKED
    assert (job.done_rows, job.total_rows) == (12, 12)
    assert jobs.progress(job) == 12
    assert counted == [0, 5, 10, 12]  # what the polling page saw go by, chunk by chunk
    committed(jobs.start_commit, job, by=coordinator)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert Volunteer.objects.count() == 12
    # A redelivered task finds the import done and writes nothing again.
    entries = AuditEntry.objects.count()
    assert tasks.run_import.delay(job.pk).get() == ImportJob.Status.DONE
    assert (Volunteer.objects.count(), AuditEntry.objects.count()) == (12, entries)


def test_pages_upload_map_dry_run_commit_and_refused_csv(client, coordinator):
    client.force_login(coordinator)
    upload = io.BytesIO(fixture("volunteers_cp1252.csv"))
    upload.name = "frivillige.csv"
    response = client.post(reverse("exchange:import_start"), {"kind": "volunteers", "file": upload})
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("exchange:import_mapping", args=[job.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Fødselsdato" in page
    assert "soren@example.dk" in page  # the first rows, to see which column is which
    form = {f"col_{name}": str(column) for name, column in job.mapping.items()}
    response = client.post(
        reverse("exchange:import_mapping", args=[job.pk]), {**form, "match_key": "phone"}
    )
    assert response.status_code == 302
    report = client.get(reverse("exchange:import_report", args=[job.pk])).content.decode()
    assert "Søren Østergaard" in report and "is not a valid phone number" in report
    refused = client.get(reverse("exchange:import_refused", args=[job.pk]))
    rows = list(csv.reader(io.StringIO(b"".join(refused.streaming_content).decode())))
    assert rows[0][0] == "Line" and rows[0][-1] == "Reason"
    assert rows[1][0] == "7" and rows[1][1] == "Jørgen"
    assert "Mobile phone: “1234” is not a valid phone number." in rows[1][-1]
    client.post(reverse("exchange:import_commit", args=[job.pk]))
    assert Volunteer.objects.count() == 2
    # The mapping is remembered for the next file with this header.
    assert MappingPreset.objects.get(user=coordinator).mapping == job.mapping
    other = f.user(role="coordinator")
    client.force_login(other)
    assert client.get(reverse("exchange:import_report", args=[job.pk])).status_code == 404


def test_a_file_that_is_not_a_workbook_is_refused(coordinator):
    with pytest.raises(Refused, match="not a workbook Excel can open"):
        jobs.upload(by=coordinator, kind="volunteers", filename="x.xlsx", content=b"PK\x03\x04junk")
    assert not ImportJob.objects.exists()


def test_a_number_or_email_two_known_people_share_is_refused_not_guessed(coordinator):
    """A family sharing one mobile number: the import cannot tell which of them a
    row is, so it says so instead of updating whichever was stored first."""
    mum = f.volunteer(channel="sms", phone="+4520556677", first_name="Mor", last_name="Dahl")
    son = f.volunteer(phone="+4520556677", email="son@example.dk", first_name="Søn",
                      last_name="Dahl")  # fmt: skip
    f.volunteer(email="faelles@example.dk", first_name="A", last_name="Ager")
    f.volunteer(email="FAELLES@example.dk", first_name="B", last_name="Ager")
    content = (
        "Fornavn;Efternavn;Mobil;Email;Fødselsdato\n"
        "Mor;Dahl-Berg;20 55 66 77;;1970-01-01\n"
        "Ny;Ager;20 99 88 77;faelles@example.dk;1990-01-01\n"
    ).encode()
    rows = by_line(dry_run(coordinator, "s.csv", content))
    message = dict(rows[2]["problems"])["phone"]
    assert "Mor Dahl" in message and "Søn Dahl" in message
    assert rows[2]["outcome"] == "refused"
    assert rows[3]["outcome"] == "refused" and "A Ager" in dict(rows[3]["problems"])["email"]
    # Matched on email, the son's row may keep the number he shares with his mother.
    content = (
        "Fornavn;Efternavn;Mobil;Email;Fødselsdato\n"
        "Søn;Dahl;20 55 66 77;son@example.dk;2001-02-03\n"
    ).encode()
    job = dry_run(coordinator, "e.csv", content, key="email")
    assert by_line(job)[2]["outcome"] == "updated", job.report
    jobs.start_commit(job, by=coordinator)
    son.refresh_from_db()
    mum.refresh_from_db()
    assert son.birth_date == date(2001, 2, 3) and mum.last_name == "Dahl"


def test_dry_run_and_commit_take_as_many_queries_for_30_rows_as_for_3(coordinator):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(count: int, offset: int) -> tuple[int, int]:
        for i in range(2):  # some known people to update, the rest new
            f.volunteer(channel="sms", phone=f"+452055{offset + i:04d}", last_name="Gammel")
        lines = ["Fornavn;Efternavn;Mobil;Email;Fødselsdato"] + [
            f"P{i};Ny;20 55 {(offset + i) // 100:02d} {(offset + i) % 100:02d};"
            f"p{offset + i}@example.dk;1980-01-01"
            for i in range(count)
        ]
        job = jobs.upload(by=coordinator, kind="volunteers", filename="q.csv",
                          content="\n".join(lines).encode())  # fmt: skip
        job = jobs.set_mapping(job, job.mapping, "phone", by=coordinator)
        with CaptureQueriesContext(connection) as checking:
            job = jobs.start_check(job, by=coordinator)
        with CaptureQueriesContext(connection) as committing:
            job = jobs.start_commit(job, by=coordinator)
        assert job.counts["created"] == count - 2 and job.counts["updated"] == 2, job.report
        return len(checking), len(committing)

    assert queries(3, 0) == queries(30, 100)


def test_a_preset_is_used_only_for_the_same_columns_in_the_same_order(coordinator):
    """The preset maps fields to column positions: a file with the same names in
    another order must not get first and last names swapped."""
    first = "Navn A;Navn B;Mobil;Fødselsdato\nBo;Berg;20 12 34 56;1980-01-01\n".encode()
    job = jobs.upload(by=coordinator, kind="volunteers", filename="a.csv", content=first)
    jobs.set_mapping(job, {"first_name": 0, "last_name": 1, "phone": 2, "birth_date": 3},
                     "phone", by=coordinator)  # fmt: skip
    same = jobs.upload(by=coordinator, kind="volunteers", filename="b.csv", content=first)
    assert same.mapping == {"first_name": 0, "last_name": 1, "phone": 2, "birth_date": 3}
    swapped = "Navn B;Navn A;Mobil;Fødselsdato\nBerg;Bo;20 12 34 56;1980-01-01\n".encode()
    other = jobs.upload(by=coordinator, kind="volunteers", filename="c.csv", content=swapped)
    assert other.mapping.get("first_name") != 0 and other.mapping.get("last_name") != 1


def test_excel_unicode_text_utf16_tab_separated(coordinator):
    text = "Fornavn\tEfternavn\tMobil\tFødselsdato\r\nSøren\tØster\t20 12 34 56\t17.05.1980\r\n"
    job = dry_run(coordinator, "u.txt", "\ufeff".encode("utf-16-le") + text.encode("utf-16-le"))
    assert job.headers[0] == "Fornavn"  # no byte-order mark glued to it
    assert by_line(job)[2]["outcome"] == "created" and by_line(job)[2]["label"] == "Søren Øster"
