"""Print jobs (documents.jobs): a batch request becomes chunks that are rendered
and merged into one PDF or ZIP, reports what it could not print, reuses a running
job for the same request, records printed letters; the print pages and the
command line run the same job. The workers here run eagerly; tests/test_print_worker.py
runs them on a real Celery worker."""

from __future__ import annotations

import dataclasses
import io
import subprocess
import zipfile
from pathlib import Path

import pikepdf
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry, RoleGrant, StaffRole
from documents import jobs, kinds
from documents.kinds import KINDS, Filters
from documents.models import DocumentKind, PrintJob
from staffing.models import Assignment
from tests import factories

pytestmark = pytest.mark.django_db
Status = Assignment.Status


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def small_chunks(monkeypatch):
    """Two items per chunk, so that a few letters make several chunks."""
    for name, kind in list(KINDS.items()):
        monkeypatch.setitem(KINDS, name, dataclasses.replace(kind, chunk_size=2))


def accepted(shift, volunteer) -> Assignment:
    return Assignment.objects.create(
        shift=shift, volunteer=volunteer, status=Status.ACCEPTED, responded_at=timezone.now()
    )


@pytest.fixture
def election_with_people(db):
    """Two areas, three stations, five accepted people and one invited."""
    election = factories.election()
    north, south = factories.area("Nord"), factories.area("Syd")
    stations = [
        factories.station(north, "Ærø Skole"),
        factories.station(north, "Øster Hallen"),
        factories.station(south, "Åby Kirke"),
    ]
    role = factories.role("Valgtilforordnet")
    shifts = [factories.shift(election, station_=s, role_=role, capacity=4) for s in stations]
    names = ["Søren", "Åse", "Ærling", "Øjvind", "Bodil"]
    people = [
        accepted(shifts[i % 3], factories.volunteer(first_name=name, last_name="Ødegård"))
        for i, name in enumerate(names)
    ]
    invited = Assignment.objects.create(
        shift=shifts[0], volunteer=factories.volunteer(first_name="Ivan", unreachable=True)
    )
    return election, stations, shifts, people, invited


NO_FILTERS = Filters()


def run(committed, election, kind, *, by=None, filters=NO_FILTERS, as_zip=False) -> PrintJob:
    job, _new = committed(
        jobs.request_job,
        jobs.Request(election=election, kind=kind, filters=filters, as_zip=as_zip),
        by=by,
        language="en",
        command_line=by is None,
    )
    job.refresh_from_db()
    return job


def pdf_of(job: PrintJob) -> bytes:
    with job.file.open("rb") as f:
        return f.read()


def text_of(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout


# --- the engine ------------------------------------------------------------------------


def test_letters_job_renders_every_accepted_seat_in_chunks_and_merges_them(
    committed, election_with_people, small_chunks, tmp_path
):
    election, _stations, _shifts, people, invited = election_with_people
    job = run(committed, election, DocumentKind.LETTERS)
    assert job.status == PrintJob.Status.DONE
    assert (job.items_total, job.items_done) == (5, 5)
    assert job.chunks_total == 3  # 2 + 2 + 1
    assert job.failures == []
    pdf = pdf_of(job)
    merged = pikepdf.open(io.BytesIO(pdf))
    assert job.pages == len(merged.pages) == 5
    # The merged file is still a tagged PDF (PDF/UA-1): one structure tree, language, title.
    assert "/StructTreeRoot" in merged.Root
    assert merged.Root.MarkInfo.Marked
    assert str(merged.Root.Lang)
    assert "pdfuaid" in str(merged.open_metadata())
    text = text_of(pdf, tmp_path)
    for name in ["Søren", "Åse", "Ærling", "Øjvind", "Bodil"]:
        assert name in text
    assert "Ivan" not in text  # invited, not accepted: no appointment letter
    # The parts are gone; only the merged file stays.
    assert [p.name for p in (tmp_path / "media" / "print" / "parts").iterdir()] == []
    # Every letter is recorded as printed; the invitation is not.
    printed = Assignment.objects.filter(appointment_printed_at__isnull=False)
    assert set(printed.values_list("pk", flat=True)) == {a.pk for a in people}
    invited.refresh_from_db()
    assert invited.appointment_printed_at is None
    assert job.expires_at > timezone.now()


def test_only_unprinted_leaves_out_letters_printed_before(committed, election_with_people):
    election, _stations, shifts, _people, _invited = election_with_people
    run(committed, election, DocumentKind.LETTERS)
    newcomer = accepted(shifts[2], factories.volunteer(first_name="Nyborg"))
    again = run(committed, election, DocumentKind.LETTERS, filters=Filters(only_unprinted=True))
    assert again.status == PrintJob.Status.DONE
    assert again.items_total == 1
    newcomer.refresh_from_db()
    assert newcomer.appointment_printed_at is not None
    third = run(committed, election, DocumentKind.LETTERS, filters=Filters(only_unprinted=True))
    assert third.status == PrintJob.Status.FAILED
    assert "Nothing to print" in third.error


def test_filters_restrict_the_letters(committed, election_with_people, tmp_path):
    election, stations, _shifts, _people, _invited = election_with_people
    job = run(
        committed, election, DocumentKind.LETTERS, filters=Filters(stations=(stations[2].pk,))
    )
    assert job.items_total == 1  # Ærling: people go round the three stations
    text = text_of(pdf_of(job), tmp_path)
    assert "Åby Kirke" in text
    assert "Ærø Skole" not in text
    area_job = run(
        committed, election, DocumentKind.LETTERS, filters=Filters(area=stations[0].area_id)
    )
    assert area_job.items_total == 4


def test_invitations_go_to_people_reached_by_post_only(committed, election_with_people, tmp_path):
    election, _stations, shifts, _people, invited = election_with_people
    Assignment.objects.create(shift=shifts[1], volunteer=factories.volunteer(first_name="Mobil"))
    job = run(committed, election, DocumentKind.INVITATIONS)
    assert job.status == PrintJob.Status.DONE
    assert job.items_total == 1
    text = text_of(pdf_of(job), tmp_path)
    assert "Ivan" in text
    assert "Mobil" not in text  # reached by email: no letter
    invited.refresh_from_db()
    assert invited.invitation_printed_at is not None


def test_a_zip_holds_one_pdf_per_letter(committed, election_with_people, small_chunks):
    election, *_ = election_with_people
    job = run(committed, election, DocumentKind.LETTERS, as_zip=True)
    assert job.status == PrintJob.Status.DONE
    with job.file.open("rb") as f, zipfile.ZipFile(io.BytesIO(f.read())) as archive:
        names = archive.namelist()
        assert len(names) == 5
        for name in names:
            pdf = pikepdf.open(io.BytesIO(archive.read(name)))
            assert len(pdf.pages) == 1
            assert "/StructTreeRoot" in pdf.Root  # each single letter is tagged
    assert all(name.endswith(".pdf") and name.startswith("letters-") for name in names)
    assert any("soeren-oedegaard" in name for name in names)  # named after the person


FAILING_SIGNATURE = (
    '{% if letter.volunteer.first_name == "Øjvind" %}{% include "pdf/no-such-part.html" %}'
    "{% endif %}<p>Med venlig hilsen</p>"
)


@pytest.fixture
def broken_override(settings, tmp_path):
    """A deployment's own letter part that fails for one person (TEMPLATE_OVERRIDES_DIR)."""
    folder = tmp_path / "overrides"
    (folder / "pdf").mkdir(parents=True)
    (folder / "pdf" / "_letter_signature.html").write_text(FAILING_SIGNATURE)
    engine = dict(settings.TEMPLATES[0])
    engine["DIRS"] = [folder, *engine["DIRS"]]
    settings.TEMPLATES = [engine]
    return folder


def test_a_failing_letter_is_reported_by_name_and_the_rest_is_printed(
    committed, election_with_people, small_chunks, broken_override, tmp_path
):
    election, _stations, _shifts, people, _invited = election_with_people
    job = run(committed, election, DocumentKind.LETTERS)
    assert job.status == PrintJob.Status.DONE
    assert len(job.failures) == 1
    failure = job.failures[0]
    assert "Øjvind Ødegård" in failure["label"]
    assert "TemplateDoesNotExist" in failure["error"]
    assert job.pages == 4
    text = text_of(pdf_of(job), tmp_path)
    assert "Øjvind" not in text
    assert "Søren" in text and "Bodil" in text
    # The failed letter is not recorded as printed: "only not yet printed" finds it.
    failed = next(a for a in people if a.volunteer.first_name == "Øjvind")
    failed.refresh_from_db()
    assert failed.appointment_printed_at is None


def test_a_second_request_while_one_runs_gets_that_one(
    django_capture_on_commit_callbacks, election_with_people, coordinator
):
    election, *_ = election_with_people
    request = jobs.Request(election=election, kind=DocumentKind.LETTERS, filters=Filters())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first, new = jobs.request_job(request, by=coordinator, language="en")
        second, again = jobs.request_job(request, by=coordinator, language="en")
    assert new and not again
    assert first.pk == second.pk
    assert len(callbacks) == 1  # one job queued, not two
    # Another person's request (another scope) is a job of its own.
    other = factories.user("anden@kommune.dk", coordinator=True)
    with django_capture_on_commit_callbacks(execute=False):
        theirs, new_theirs = jobs.request_job(request, by=other, language="en")
    assert new_theirs and theirs.pk != first.pk


def test_a_redelivered_chunk_does_nothing_twice(committed, election_with_people, small_chunks):
    election, *_ = election_with_people
    job = run(committed, election, DocumentKind.LETTERS)
    chunk = job.chunks.first()
    jobs.render_chunk(chunk.pk)
    jobs.merge(job.pk)
    job.refresh_from_db()
    assert (job.status, job.items_done, job.chunks_done) == (PrintJob.Status.DONE, 5, 3)


def test_files_expire_and_stuck_jobs_are_given_up(committed, election_with_people, settings):
    election, *_ = election_with_people
    job = run(committed, election, DocumentKind.LETTERS)
    path = Path(job.file.path)
    assert path.exists()
    later = timezone.now() + timezone.timedelta(hours=settings.PRINT_FILES_KEEP_HOURS + 1)
    stuck = PrintJob.objects.create(
        election=election, kind="badges", fingerprint="x", language="en", command_line=True
    )
    PrintJob.objects.filter(pk=stuck.pk).update(
        created_at=timezone.now() - timezone.timedelta(days=1)
    )
    assert jobs.purge(later) == 1
    job.refresh_from_db()
    stuck.refresh_from_db()
    assert job.status == PrintJob.Status.EXPIRED
    assert not path.exists()
    assert stuck.status == PrintJob.Status.FAILED
    assert "too long" in stuck.error


def test_outline_of_an_area_continued_across_chunks_stays_one_bookmark():
    """Merging keeps each part's bookmarks, and an area heading that ends one part
    and starts the next is one bookmark with the stations of both."""
    from documents.rendering import render_pdf

    def part(stations: list[str]) -> bytes:
        body = "".join(
            f'<h1 style="bookmark-level:1">Nord</h1><h2 style="break-before:page">{s}</h2>'
            if i == 0
            else f'<h2 style="break-before:page">{s}</h2>'
            for i, s in enumerate(stations)
        )
        return render_pdf(
            f'<html lang="da"><head><title>T</title></head><body>{body}</body></html>'
        )

    merged = jobs._merge_pdfs([part(["Ærø Skole", "Øster Hallen"]), part(["Åby Kirke"])])
    pdf = pikepdf.open(io.BytesIO(merged.content))
    with pdf.open_outline() as outline:
        tops = outline.root
        assert [item.title for item in tops] == ["Nord"]
        assert [child.title for child in tops[0].children] == [
            "Ærø Skole",
            "Øster Hallen",
            "Åby Kirke",
        ]


# --- scope ------------------------------------------------------------------------------


def test_a_station_managers_job_prints_only_their_station(
    committed, election_with_people, tmp_path
):
    election, stations, *_ = election_with_people
    manager = factories.user("leder@kommune.dk")
    factories.grant(manager, StaffRole.STATION_MANAGER, stations=[stations[0]])
    job = run(committed, election, DocumentKind.LETTERS, by=manager)
    assert job.status == PrintJob.Status.DONE
    assert job.items_total == 2
    text = text_of(pdf_of(job), tmp_path)
    assert "Ærø Skole" in text
    assert "Åby Kirke" not in text


def test_a_requester_who_lost_their_role_gets_nothing(committed, election_with_people):
    election, stations, *_ = election_with_people
    manager = factories.user("leder@kommune.dk")
    factories.grant(manager, StaffRole.STATION_MANAGER, stations=[stations[0]])
    RoleGrant.objects.filter(user=manager).delete()
    job = run(committed, election, DocumentKind.LETTERS, by=manager)
    assert job.status == PrintJob.Status.FAILED
    assert job.items_total == 0


# --- the pages --------------------------------------------------------------------------


def test_coordinator_prints_from_the_page_and_downloads_the_file(
    client, coordinator, committed, election_with_people
):
    election, *_ = election_with_people
    client.force_login(coordinator)
    page = client.get(reverse("documents:print", args=[election.pk]))
    assert page.status_code == 200
    assert "Appointment letters" in page.content.decode()
    response = committed(
        client.post,
        reverse("documents:print", args=[election.pk]),
        {"kind": "letters", "area": "", "station": "", "role": "", "team": "", "day": ""},
    )
    job = PrintJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("documents:job", args=[job.pk])
    shown = client.get(response["Location"]).content.decode()
    assert "Ready" in shown
    assert reverse("documents:job_download", args=[job.pk]) in shown
    download = client.get(reverse("documents:job_download", args=[job.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Cache-Control"] == "private, no-store"
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert AuditEntry.objects.filter(action="read.print", object_id=job.pk).exists()
    assert AuditEntry.objects.filter(action="print.requested", object_id=job.pk).exists()


def test_bad_form_input_is_a_field_error(client, coordinator, election_with_people):
    election, *_ = election_with_people
    client.force_login(coordinator)
    response = client.post(
        reverse("documents:print", args=[election.pk]), {"kind": "posters", "station": "99999"}
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "kind" in form.errors and "station" in form.errors
    assert not PrintJob.objects.exists()


def test_someone_elses_job_is_404(client, coordinator, committed, election_with_people):
    election, *_ = election_with_people
    job = run(committed, election, DocumentKind.LETTERS, by=coordinator)
    other = factories.user("anden@kommune.dk", coordinator=True)
    client.force_login(other)
    assert client.get(reverse("documents:job", args=[job.pk])).status_code == 404
    assert client.get(reverse("documents:job_download", args=[job.pk])).status_code == 404


def test_viewer_cannot_print(client, election_with_people):
    election, *_ = election_with_people
    viewer = factories.user("viewer@kommune.dk")
    factories.grant(viewer, StaffRole.VIEWER)
    client.force_login(viewer)
    assert client.get(reverse("documents:print", args=[election.pk])).status_code == 404
    assert (
        client.post(reverse("documents:print", args=[election.pk]), {"kind": "letters"}).status_code
        == 404
    )


def test_the_progress_page_polls_while_the_job_runs(
    client, coordinator, django_capture_on_commit_callbacks, election_with_people
):
    election, *_ = election_with_people
    with django_capture_on_commit_callbacks(execute=False):
        job, _ = jobs.request_job(
            jobs.Request(election=election, kind="letters", filters=Filters()),
            by=coordinator,
            language="en",
        )
    client.force_login(coordinator)
    page = client.get(reverse("documents:job", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in page
    assert "Waiting to start" in page


# --- the command line -------------------------------------------------------------------


def test_print_documents_command_writes_the_file(election_with_people, tmp_path, capsys):
    election, stations, *_ = election_with_people
    out = tmp_path / "letters.pdf"
    call_command(
        "print_documents",
        "--election", str(election.pk),
        "--kind", "letters",
        "--station", str(stations[0].pk),
        "--station", str(stations[1].pk),
        "--out", str(out),
    )  # fmt: skip
    pdf = pikepdf.open(out)
    assert len(pdf.pages) == 4
    assert "4 of 4 printed" in capsys.readouterr().err


def test_print_documents_command_refuses_an_unknown_election():
    with pytest.raises(CommandError, match="no election with id 424242"):
        call_command("print_documents", "--election", "424242", "--kind", "letters")


def test_print_documents_command_says_when_nothing_matches(election_with_people):
    election, *_ = election_with_people
    with pytest.raises(CommandError, match="Nothing to print"):
        call_command("print_documents", "--election", str(election.pk), "--kind", "invitations",
                     "--unprinted", "--day", "2000-01-01")  # fmt: skip


def test_kinds_select_in_print_order(election_with_people):
    election, stations, *_ = election_with_people
    from elections.models import Shift

    keys = kinds.select_signin(election, Shift.objects.filter(election=election), Filters())
    assert [int(k.split(":")[0]) for k in keys] == [s.pk for s in stations]
    roster = kinds.select_rosters(election, Shift.objects.filter(election=election), Filters())
    assert roster[0] == kinds.SUMMARY


def test_election_roster_job_has_summary_first_and_one_bookmark_per_area(
    committed, election_with_people, small_chunks, tmp_path
):
    """Three station days in chunks of two: the summary is a chunk of its own,
    the stations of area Nord span two chunks and stay under one bookmark."""
    election, *_ = election_with_people
    job = run(committed, election, DocumentKind.ROSTERS)
    assert job.status == PrintJob.Status.DONE, job.error
    assert job.items_total == 4  # the summary and three station days
    pdf = pikepdf.open(io.BytesIO(pdf_of(job)))
    with pdf.open_outline() as outline:
        titles = [item.title for item in outline.root]
        assert titles[0] == "Summary"
        assert titles[1:] == ["Nord", "Syd"]
        nord = outline.root[1]
        assert [c.title for c in nord.children] == ["Ærø Skole", "Øster Hallen"]
    pages = text_of(pdf_of(job), tmp_path).split("\f")
    assert "Seats filled per polling station" in pages[0]
    # Each station's roster counts its own pages, though two share a chunk.
    for station, page in zip(["Ærø Skole", "Øster Hallen", "Åby Kirke"], pages[1:4], strict=True):
        assert station in page
        assert "Page 1 of 1" in page


@pytest.mark.parametrize(("kind", "items"), [("signin", 3), ("badges", 5)])
def test_signin_and_badge_jobs(committed, election_with_people, kind, items, tmp_path):
    election, *_ = election_with_people
    job = run(committed, election, kind)
    assert job.status == PrintJob.Status.DONE, job.error
    assert job.items_total == items
    text = text_of(pdf_of(job), tmp_path)
    assert "Søren" in text and "Bodil" in text


def test_a_chunk_holds_letters_of_one_language(committed, election_with_people, tmp_path):
    """Danish and English letters in print order: a chunk ends where the language
    changes, so each part of the tagged PDF declares its letters' language."""
    election, *_ = election_with_people
    from volunteers.models import Volunteer

    Volunteer.objects.filter(first_name__in=["Åse", "Øjvind"]).update(language="da")
    job = run(committed, election, DocumentKind.LETTERS)
    assert job.status == PrintJob.Status.DONE
    languages = [
        {Assignment.objects.get(pk=int(k)).volunteer.language for k in chunk.keys}
        for chunk in job.chunks.order_by("index")
    ]
    assert all(len(found) == 1 for found in languages)
    # One chunk per language, not one per change of language in print order.
    assert sorted(map(tuple, languages)) == [("da",), ("en",)]
    merged = pikepdf.open(io.BytesIO(pdf_of(job)))
    declared = {str(merged.Root.Lang)}

    def collect(element) -> None:
        if isinstance(element, pikepdf.Array):
            for kid in element:
                collect(kid)
        elif isinstance(element, pikepdf.Dictionary):
            if "/Lang" in element:
                declared.add(str(element.Lang))
            if "/K" in element and "/S" in element:
                collect(element.K)

    collect(merged.Root.StructTreeRoot.K)
    assert declared == {"da", "en"}
