"""manage.py load_postal_codes: both layouts (ours and the address register's),
upserts, idempotent, bad rows reported by line number while the good ones load,
and a file it cannot read is a clear error, not a traceback."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import AuditEntry
from polling_stations.models import PostalCode

pytestmark = pytest.mark.django_db

OURS = """nr,navn,latitude,longitude
8000,Aarhus C,56.1572,10.2107
2100,København Ø,55.7058,12.5760
"""

# The address register's layout: many columns, visueltcenter_x is the longitude.
DAWA = (
    "href,nr,navn,stormodtager,bbox_xmin,bbox_ymin,bbox_xmax,bbox_ymax,"
    "visueltcenter_x,visueltcenter_y,ændret\n"
    "https://api.dataforsyningen.dk/postnumre/8000,8000,Aarhus C,false,10.1,56.1,10.3,56.2,"
    "10.2107,56.1572,2018-04-30T00:00:00Z\n"
    'https://api.dataforsyningen.dk/postnumre/9000,9000,"Aalborg",false,9.8,56.9,10.1,57.1,'
    "9.9187,57.0480,2018-04-30T00:00:00Z\n"
)


def run(path) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("load_postal_codes", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write(tmp_path, text: str, name: str = "postnumre.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def stored() -> dict[str, tuple[str, float, float]]:
    return {p.code: (p.name, p.latitude, p.longitude) for p in PostalCode.objects.all()}


def test_our_layout_loads_and_a_second_run_changes_nothing(tmp_path):
    path = write(tmp_path, OURS)
    out, err = run(path)
    assert "2 new, 0 changed, 0 unchanged" in out and err == ""
    assert stored() == {
        "8000": ("Aarhus C", 56.1572, 10.2107),
        "2100": ("København Ø", 55.7058, 12.5760),
    }
    assert (
        AuditEntry.objects.get(action="polling_stations.load_postal_codes").detail["created"] == 2
    )

    out, _err = run(path)
    assert "0 new, 0 changed, 2 unchanged" in out
    assert AuditEntry.objects.filter(action="polling_stations.load_postal_codes").count() == 1


def test_the_address_registers_layout_takes_x_as_longitude(tmp_path):
    out, _err = run(write(tmp_path, DAWA))
    assert "2 new" in out
    assert stored()["9000"] == ("Aalborg", 57.0480, 9.9187)
    assert stored()["8000"] == ("Aarhus C", 56.1572, 10.2107)


def test_changes_are_updated_and_codes_not_in_the_file_are_kept(tmp_path):
    run(write(tmp_path, OURS))
    changed = "nr,navn,latitude,longitude\n8000,Aarhus C,56.1500,10.2000\n"
    out, _err = run(write(tmp_path, changed, "again.csv"))
    assert "0 new, 1 changed, 0 unchanged" in out
    assert stored()["8000"] == ("Aarhus C", 56.15, 10.2)
    assert "2100" in stored()


def test_bad_rows_are_reported_by_line_and_the_rest_loads(tmp_path):
    text = (
        "nr;navn;latitude;longitude\n"  # semicolons, decimal commas
        "8000;Aarhus C;56,1572;10,2107\n"
        ";Uden nummer;56.0;10.0\n"
        "8200;Aarhus N;nord;10.2\n"
        "\n"
        "8210;Aarhus V;6220000;574000\n"
        "8000;Aarhus C igen;56.2;10.3\n"
        "8220;Brabrand;56.1531;10.1035\n"
    )
    out, err = run(write(tmp_path, text))
    assert "2 new, 0 changed, 0 unchanged" in out
    assert "4 rows left out:" in err
    assert "line 3: no postal code" in err
    assert "line 4: 8200: latitude and longitude must be numbers" in err
    assert "line 6: 8210:" in err and "another coordinate system" in err
    assert "line 7: 8000 is in the file already (line 2)" in err
    assert set(stored()) == {"8000", "8220"}
    assert stored()["8000"] == ("Aarhus C", 56.1572, 10.2107)


def test_windows_1252_and_a_bom_are_read(tmp_path):
    run(
        write(
            tmp_path, "nr,navn,latitude,longitude\n2100,København Ø,55.7,12.57\n", encoding="cp1252"
        )
    )
    assert stored()["2100"][0] == "København Ø"
    run(write(tmp_path, "\ufeffnr,navn,latitude,longitude\n6000,Kolding,55.49,9.47\n", "bom.csv"))
    assert stored()["6000"] == ("Kolding", 55.49, 9.47)


def test_a_file_it_cannot_use_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="no column for latitude, longitude"):
        run(write(tmp_path, "nr,navn,x,y\n8000,Aarhus C,1,2\n"))
    with pytest.raises(CommandError, match="Cannot read"):
        run(tmp_path / "missing.csv")
    with pytest.raises(CommandError, match="empty"):
        run(write(tmp_path, "", "empty.csv"))
    assert not PostalCode.objects.exists()
