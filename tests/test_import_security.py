"""What an import shows and lets through: names from the file escaped on the
report page, refused rows' cells neutralised in the CSV, a seat grid only within
an election the coordinator manages, every POST behind CSRF; and the PostgreSQL
COPY path leaving imported people findable by the volunteer search."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from exchange.imports import jobs, volunteers
from exchange.models import ImportJob
from tests import factories as f
from volunteers.models import Volunteer
from volunteers.search import matching

pytestmark = pytest.mark.django_db


def checked(user, content: bytes, kind: str = "volunteers", election=None) -> ImportJob:
    job = jobs.upload(by=user, kind=kind, filename="f.csv", content=content, election=election)
    return jobs.start_check(jobs.set_mapping(job, job.mapping, "phone", by=user), by=user)


def test_names_from_the_file_are_escaped_and_refused_cells_neutralised(client, coordinator):
    content = (
        "Fornavn;Efternavn;Mobil;Fødselsdato\n"
        '<script>alert(1)</script>;=HYPERLINK("http://x");1234;17-05-1980\n'
        "<b>Bo</b>;Berg;20 12 34 56;17-05-1980\n"
    ).encode()
    job = checked(coordinator, content)
    client.force_login(coordinator)
    page = client.get(reverse("exchange:import_report", args=[job.pk])).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert "&lt;b&gt;Bo&lt;/b&gt;" in page and "<b>Bo</b>" not in page
    url = reverse("exchange:import_report", args=[job.pk])
    refused_only = client.get(url, {"show": "refused"}).content.decode()
    assert "alert(1)" in refused_only and "Bo&lt;/b&gt;" not in refused_only
    unknown = client.get(url, {"show": "<i>x"}).content.decode()  # not a filter: every row
    assert "alert(1)" in unknown and "Bo&lt;/b&gt;" in unknown and "<i>x" not in unknown
    response = client.get(reverse("exchange:import_refused", args=[job.pk]))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[1][1:3] == ["<script>alert(1)</script>", '\'=HYPERLINK("http://x")']


def test_a_seat_grid_only_for_an_election_the_coordinator_manages(client):
    mine, other = f.election(), f.election()
    limited = f.user(role="coordinator", elections=[mine])
    client.force_login(limited)
    grid = b"Valgsted;Funktion;Pladser\nSkolen;Tilforordnet;2\n"
    for election, status in ((other, 400), (mine, 302)):
        upload = io.BytesIO(grid)
        upload.name = "grid.csv"
        response = client.post(
            reverse("exchange:import_start"),
            {"kind": "grid", "file": upload, "election": election.pk},
        )
        assert response.status_code == status
    assert list(ImportJob.objects.values_list("election_id", flat=True)) == [mine.pk]
    # A job for an election taken away from them since: a 404 on every page of it.
    job = jobs.upload(by=limited, kind="grid", filename="g.csv", content=grid, election=other)
    for name in ("import_mapping", "import_report", "import_refused"):
        assert client.get(reverse(f"exchange:{name}", args=[job.pk])).status_code == 404
    assert client.post(reverse("exchange:import_commit", args=[job.pk])).status_code == 404


def test_every_post_needs_the_csrf_token(coordinator):
    job = checked(
        coordinator,
        "Fornavn;Efternavn;Mobil;Fødselsdato\nBo;Berg;20 12 34 56;1980-01-01\n".encode(),
    )
    client = Client(enforce_csrf_checks=True)
    client.force_login(coordinator)
    upload = io.BytesIO(b"a;b\n1;2\n")
    upload.name = "x.csv"
    posts = {
        "import_start": ([], {"kind": "volunteers", "file": upload}),
        "import_mapping": ([job.pk], {"match_key": "phone"}),
        "import_commit": ([job.pk], {}),
    }
    for name, (args, data) in posts.items():
        assert client.post(reverse(f"exchange:{name}", args=args), data).status_code == 403
    assert not Volunteer.objects.exists()
    assert ImportJob.objects.get().status == ImportJob.Status.CHECKED


@pytest.mark.parametrize("rebuild", [False, True], ids=["copy", "copy_and_index_rebuild"])
def test_new_people_are_found_by_the_volunteer_search(coordinator, monkeypatch, rebuild):
    """On PostgreSQL from COPY_FROM new people on (one COPY, the trigram index built
    after it from REBUILD_INDEX_FROM), on SQLite in bulk: either way the database
    computes the search and sort columns."""
    monkeypatch.setattr(volunteers, "COPY_FROM", 2)
    monkeypatch.setattr(volunteers, "REBUILD_INDEX_FROM", 2 if rebuild else 10**6)
    copied: list[int] = []
    real_copy = volunteers._copy

    def spy(new):
        copied.append(len(new))
        return real_copy(new)

    monkeypatch.setattr(volunteers, "_copy", spy)
    content = (
        "Fornavn;Efternavn;Mobil;Email;Fødselsdato\n"
        "Søren;Østergaard;20 12 34 56;;17-05-1980\n"
        "Åse;Ærø;20 12 34 57;aase@example.dk;17.05.1981\n"
        "Bo;Berg;20 12 34 58;;1982-05-17\n"
    ).encode()
    job = jobs.start_commit(checked(coordinator, content), by=coordinator)
    assert job.status == ImportJob.Status.DONE, job.error
    assert copied == ([3] if connection.vendor == "postgresql" else [])
    people = Volunteer.objects.all()
    assert [v.last_name for v in matching(people, "østergaard")] == ["Østergaard"]
    assert [v.first_name for v in matching(people, "20 12 34 58")] == ["Bo"]
    assert [v.first_name for v in matching(people, "ærø")] == ["Åse"]
    assert all(v.sort_name for v in people)
    # Created afterwards through the service: ids do not collide with the copied ones.
    from volunteers.services import create_volunteer

    later = create_volunteer(by=None, first_name="Ny", last_name="Person",
                             phone="+4520999999", birth_date=job.created_at.date())  # fmt: skip
    assert later.pk > max(v.pk for v in people if v.pk != later.pk)
