"""What an upload cannot do to the server: a file with too many rows, a sheet that
declares a million columns or rows it does not have, an XLSX that unpacks to far
more than it weighs (a zip bomb) — each refused (or bounded) before it is held in
memory."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from django.urls import reverse
from openpyxl import Workbook

from exchange.imports import jobs, readers
from exchange.models import ImportJob
from pollcrew.refusals import Refused

pytestmark = pytest.mark.django_db
HEADER = "Fornavn;Efternavn;Mobil;Fødselsdato"


def person(i: int) -> str:
    return f"P{i};Jensen;20 40 00 {i:02d};1980-01-01"


def workbook(rows: list[list[object]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rewritten_sheet(content: bytes, change) -> bytes:
    """The workbook with its first sheet's XML passed through ``change``."""
    source, out = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = change(data.decode()).encode()
            target.writestr(info.filename, data)
    return out.getvalue()


def test_a_file_with_more_rows_than_allowed_is_refused(coordinator, settings):
    settings.IMPORT_MAX_ROWS = 5
    lines = [HEADER, *(person(i) for i in range(5)), *[";;;"] * 3000]  # empty rows: fine
    job = jobs.upload(by=coordinator, kind="volunteers", filename="a.csv",
                      content="\n".join(lines).encode())  # fmt: skip
    assert job.total_rows == 5
    lines = [HEADER, *(person(i) for i in range(30))]
    with pytest.raises(Refused, match="more than 5 rows"):
        jobs.upload(by=coordinator, kind="volunteers", filename="b.csv",
                    content="\n".join(lines).encode())  # fmt: skip
    content = workbook([HEADER.split(";"), *(person(i).split(";") for i in range(30))])
    with pytest.raises(Refused, match="more than 5 rows"):
        jobs.upload(by=coordinator, kind="volunteers", filename="b.xlsx", content=content)
    assert ImportJob.objects.count() == 1


def test_a_sheet_declaring_a_huge_size_is_read_only_as_far_as_it_has_cells():
    content = workbook([HEADER.split(";"), person(1).split(";")])

    def huge(xml: str) -> str:
        # The widest sheet Excel allows, and a last cell a billion rows down.
        xml = re.sub(r'<dimension ref="[^"]*"/>', '<dimension ref="A1:XFD1048576"/>', xml)
        return xml.replace(
            "</sheetData>",
            '<row r="999999999"><c r="A999999999" t="inlineStr"><is><t>x</t></is></c></row>'
            "</sheetData>",
        )

    with pytest.raises(Refused, match="more than"):
        readers.read_table("x.xlsx", rewritten_sheet(content, huge), lambda h: 0)
    wide = rewritten_sheet(
        content,
        lambda xml: re.sub(r'<dimension ref="[^"]*"/>', '<dimension ref="A1:XFD2"/>', xml),
    )
    rows, _merges = readers._xlsx_rows(wide)
    assert max(len(r) for r in rows) <= readers.MAX_COLUMNS
    assert readers.read_table("x.xlsx", wide, lambda h: 0).headers == HEADER.split(";")


def test_a_workbook_that_unpacks_to_too_much_is_refused_before_it_is_read(
    coordinator, settings, monkeypatch
):
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/sharedStrings.xml", b"\0" * (3 * 1024 * 1024))  # 3 MB from 3 KB
    settings.IMPORT_MAX_UNPACKED_BYTES = 1024 * 1024

    def never(*args, **kwargs):
        raise AssertionError("openpyxl was given the bomb")

    monkeypatch.setattr("openpyxl.load_workbook", never)
    with pytest.raises(Refused, match="too large once unpacked"):
        jobs.upload(by=coordinator, kind="volunteers", filename="b.xlsx",
                    content=bomb.getvalue())  # fmt: skip
    assert len(bomb.getvalue()) < 20000 and not ImportJob.objects.exists()


def test_a_file_over_the_size_limit_is_refused_on_the_page(client, coordinator, settings):
    settings.IMPORT_MAX_BYTES = 40
    client.force_login(coordinator)
    upload = io.BytesIO("\n".join([HEADER, person(1), person(2)]).encode())
    upload.name = "big.csv"
    response = client.post(reverse("exchange:import_start"), {"kind": "volunteers", "file": upload})
    assert response.status_code == 400 and "The file is too large." in response.content.decode()
    assert not ImportJob.objects.exists()
