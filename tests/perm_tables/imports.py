"""Role-by-URL table of the import pages (/exchange/import/).

Uploading is for those who manage seats (admins and coordinators); everyone else
gets the 404. An import is only ever its uploader's: the table's job belongs to
the coordinator, so even an admin gets the 404 for it. The dry run runs in the
request for a file this small, so the report and the commit find it checked."""

from __future__ import annotations

import io

from accounts.models import User
from exchange.imports import jobs
from tests.permission_cases import LOGIN, MANAGE, POST_ONLY, Case, everyone, url

CSV = "Fornavn;Efternavn;Mobil;Fødselsdato\nSøren;Kjær;20 12 34 56;17-05-1980\n".encode()
OWNER_ONLY = {**everyone(404), "anonymous": LOGIN, "coordinator": 200}
OWNER_POSTED = {**OWNER_ONLY, "coordinator": 302}


def _job(w, *, checked: bool = True) -> int:
    owner = User.objects.get(email="koordinator@kommune.dk")
    job = jobs.upload(by=owner, kind="volunteers", filename="f.csv", content=CSV)
    if checked:
        job = jobs.start_check(jobs.set_mapping(job, job.mapping, "phone", by=owner), by=owner)
    return job.pk


def _file(w) -> dict:
    upload = io.BytesIO(CSV)
    upload.name = "frivillige.csv"
    return {"kind": "volunteers", "file": upload}


def _mapping(w) -> dict:
    return {"col_first_name": 0, "col_last_name": 1, "col_phone": 2, "col_birth_date": 3,
            "match_key": "phone"}  # fmt: skip


TABLE: dict[str, list[Case]] = {
    "exchange:import_start": [
        Case(url("exchange:import_start"), MANAGE, "the upload form and the user's imports"),
        Case(
            url("exchange:import_start"),
            {**MANAGE, "admin": 302, "coordinator": 302},
            "an upload; then the mapping page",
            post=_file,
        ),
    ],
    "exchange:import_mapping": [
        Case(url("exchange:import_mapping", lambda w: _job(w, checked=False)), OWNER_ONLY),
        Case(
            url("exchange:import_mapping", lambda w: _job(w, checked=False)),
            OWNER_POSTED,
            "the mapping confirmed: the dry run, then its report",
            post=_mapping,
        ),
    ],
    "exchange:import_report": [Case(url("exchange:import_report", _job), OWNER_ONLY)],
    "exchange:import_commit": [
        Case(url("exchange:import_commit", _job), POST_ONLY, "importing is a POST"),
        Case(
            url("exchange:import_commit", _job),
            OWNER_POSTED,
            "the import; then its report",
            post=lambda w: {},
        ),
    ],
    "exchange:import_refused": [Case(url("exchange:import_refused", _job), OWNER_ONLY)],
}
