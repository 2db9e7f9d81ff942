"""Fill counts kept by the database: the triggers behind ``SeatFill`` and
``ElectionTally`` (staffing.models), and the recount that rebuilds them.

Why triggers: an assignment changes through the services, but also through bulk
inserts (an invitation round is one INSERT), COPY, the Django admin and the data
generator. A trigger counts every one of them in the same transaction, so the
counts cannot drift from the rows they count, and reading them costs a few rows
per station instead of every assignment of the election.

PostgreSQL runs one trigger per statement over its transition tables: a bulk
insert of 2,000 invitations updates each shift's row once, and every statement
locks the ``SeatFill`` rows it changes in shift order before the tally rows, so
two writers cannot wait for each other in a circle. SQLite (development and the
demo) has no statement triggers and no concurrent writers: one trigger per row.

The SQL here is installed by migrations (``install``); a change to it needs a
new migration that calls ``install`` again (every statement replaces what was
there). ``recount`` (``manage.py recount_fills``) rebuilds the counts from the
rows; a test checks that the triggers and the recount agree.
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

FILLED = "('accepted', 'checked_in')"
# The states a volunteer's seats in an election are counted in (VolunteerSeats).
COUNTED = "('invited', 'accepted', 'checked_in', 'declined')"
GIVEN_UP = "('declined', 'withdrawn')"
MESSAGE_SUBJECT = "staffing.assignment"


def _hour(column: str, vendor: str) -> str:
    """The UTC hour a timestamp falls in, as hours since 1970 (whole-hour time
    zones such as Denmark's keep their days whole)."""
    if vendor == "postgresql":
        return f"floor(extract(epoch FROM {column}) / 3600)::bigint"
    return f"(CAST(strftime('%s', {column}) AS INTEGER) / 3600)"


def _kind(row: str) -> str:
    """The tally an assignment row counts in besides ``sent`` (or NULL)."""
    return (
        f"CASE WHEN {row}.status = 'invited' THEN 'invited'"
        f" WHEN {row}.responded_at IS NULL THEN NULL"
        f" WHEN {row}.status IN {FILLED} THEN 'accepted'"
        f" WHEN {row}.status IN {GIVEN_UP} THEN {row}.status END"
    )


def _kind_hour(row: str, vendor: str) -> str:
    return (
        f"CASE WHEN {row}.status = 'invited' THEN {_hour(row + '.invited_at', vendor)}"
        f" ELSE {_hour(row + '.responded_at', vendor)} END"
    )


# PostgreSQL ---------------------------------------------------------------------

_PG_UPSERT = (
    " ON CONFLICT (election_id, kind, hour) DO UPDATE SET n = staffing_electiontally.n + EXCLUDED.n"
)


def _pg_assignment_body(delta: str) -> str:
    """The body of a statement trigger on staffing_assignment; ``delta`` is a
    subquery of (shift_id, volunteer_id, status, invited_at, responded_at, sign).
    Locks are taken in one order: the shifts' SeatFill rows, the volunteers'
    VolunteerSeats rows, then the election's tallies, each in key order."""
    pg = "postgresql"
    return f"""
BEGIN
  WITH c AS (
    SELECT shift_id,
           coalesce(sum(sign) FILTER (WHERE status = 'invited'), 0) AS i,
           coalesce(sum(sign) FILTER (WHERE status IN {FILLED}), 0) AS a
    FROM {delta} d GROUP BY shift_id
  ), locked AS (
    SELECT f.shift_id FROM staffing_seatfill f JOIN c ON c.shift_id = f.shift_id
    WHERE c.i <> 0 OR c.a <> 0 ORDER BY f.shift_id FOR NO KEY UPDATE OF f
  )
  UPDATE staffing_seatfill f SET invited = f.invited + c.i, accepted = f.accepted + c.a
  FROM c WHERE f.shift_id = c.shift_id AND f.shift_id IN (SELECT shift_id FROM locked);

  INSERT INTO staffing_volunteerseats (election_id, volunteer_id, invited, accepted, declined)
  SELECT s.election_id, d.volunteer_id,
         coalesce(sum(d.sign) FILTER (WHERE d.status = 'invited'), 0),
         coalesce(sum(d.sign) FILTER (WHERE d.status IN {FILLED}), 0),
         coalesce(sum(d.sign) FILTER (WHERE d.status = 'declined'), 0)
  FROM {delta} d JOIN elections_shift s ON s.id = d.shift_id
  WHERE d.status IN {COUNTED}
  GROUP BY 1, 2
  HAVING sum(d.sign) FILTER (WHERE d.status = 'invited') <> 0
      OR sum(d.sign) FILTER (WHERE d.status IN {FILLED}) <> 0
      OR sum(d.sign) FILTER (WHERE d.status = 'declined') <> 0
  ORDER BY 1, 2
  ON CONFLICT (election_id, volunteer_id) DO UPDATE
     SET invited = staffing_volunteerseats.invited + EXCLUDED.invited,
         accepted = staffing_volunteerseats.accepted + EXCLUDED.accepted,
         declined = staffing_volunteerseats.declined + EXCLUDED.declined;

  INSERT INTO staffing_electiontally (election_id, kind, hour, n)
  SELECT s.election_id, k.kind, k.hour, sum(d.sign)
  FROM {delta} d JOIN elections_shift s ON s.id = d.shift_id
  CROSS JOIN LATERAL (VALUES ('sent', {_hour("d.invited_at", pg)}),
                             ({_kind("d")}, {_kind_hour("d", pg)})) AS k(kind, hour)
  WHERE k.kind IS NOT NULL
  GROUP BY 1, 2, 3 HAVING sum(d.sign) <> 0 ORDER BY 1, 2, 3
  {_PG_UPSERT};
  RETURN NULL;
END;"""


def _pg_message_body(delta: str) -> str:
    """The body of a statement trigger on notifications_message; ``delta`` is a
    subquery of (subject_id, created_at, sign) over failed messages about seats."""
    return f"""
BEGIN
  INSERT INTO staffing_electiontally (election_id, kind, hour, n)
  SELECT s.election_id, 'failed', {_hour("d.created_at", "postgresql")}, sum(d.sign)
  FROM {delta} d
  JOIN staffing_assignment a ON a.id = d.subject_id
  JOIN elections_shift s ON s.id = a.shift_id
  GROUP BY 1, 2, 3 HAVING sum(d.sign) <> 0 ORDER BY 1, 2, 3
  {_PG_UPSERT};
  RETURN NULL;
END;"""


def _rows(table: str, columns: str, sign: int, where: str = "") -> str:
    return f"SELECT {columns}, {sign} AS sign FROM {table}{where}"


_A_COLUMNS = "shift_id, volunteer_id, status, invited_at, responded_at"
_M_COLUMNS = "subject_id, created_at"
_M_FAILED = f" WHERE status = 'failed' AND subject_type = '{MESSAGE_SUBJECT}'"

_PG_FUNCTIONS = {
    # name: (body, table, event, transition tables)
    "staffing_fill_assignment_insert": (
        _pg_assignment_body(f"({_rows('new_rows', _A_COLUMNS, 1)})"),
        "staffing_assignment",
        "INSERT",
        "NEW TABLE AS new_rows",
    ),
    "staffing_fill_assignment_update": (
        _pg_assignment_body(
            f"({_rows('new_rows', _A_COLUMNS, 1)} UNION ALL {_rows('old_rows', _A_COLUMNS, -1)})"
        ),
        "staffing_assignment",
        "UPDATE",
        "NEW TABLE AS new_rows OLD TABLE AS old_rows",
    ),
    "staffing_fill_assignment_delete": (
        _pg_assignment_body(f"({_rows('old_rows', _A_COLUMNS, -1)})"),
        "staffing_assignment",
        "DELETE",
        "OLD TABLE AS old_rows",
    ),
    "staffing_fill_message_insert": (
        _pg_message_body(f"({_rows('new_rows', _M_COLUMNS, 1, _M_FAILED)})"),
        "notifications_message",
        "INSERT",
        "NEW TABLE AS new_rows",
    ),
    "staffing_fill_message_update": (
        _pg_message_body(
            f"({_rows('new_rows', _M_COLUMNS, 1, _M_FAILED)}"
            f" UNION ALL {_rows('old_rows', _M_COLUMNS, -1, _M_FAILED)})"
        ),
        "notifications_message",
        "UPDATE",
        "NEW TABLE AS new_rows OLD TABLE AS old_rows",
    ),
    "staffing_fill_message_delete": (
        _pg_message_body(f"({_rows('old_rows', _M_COLUMNS, -1, _M_FAILED)})"),
        "notifications_message",
        "DELETE",
        "OLD TABLE AS old_rows",
    ),
    "staffing_fill_shift_insert": (
        """
BEGIN
  INSERT INTO staffing_seatfill
         (shift_id, election_id, station_id, role_id, seats, invited, accepted)
  SELECT id, election_id, station_id, role_id, capacity, 0, 0 FROM new_rows ORDER BY id;
  RETURN NULL;
END;""",
        "elections_shift",
        "INSERT",
        "NEW TABLE AS new_rows",
    ),
    "staffing_fill_shift_update": (
        """
BEGIN
  UPDATE staffing_seatfill f SET election_id = n.election_id, station_id = n.station_id,
         role_id = n.role_id, seats = n.capacity
  FROM new_rows n
  WHERE f.shift_id = n.id
    AND (f.election_id, f.station_id, f.role_id, f.seats)
        IS DISTINCT FROM (n.election_id, n.station_id, n.role_id, n.capacity);
  RETURN NULL;
END;""",
        "elections_shift",
        "UPDATE",
        "NEW TABLE AS new_rows",
    ),
    "staffing_fill_shift_delete": (
        """
BEGIN
  DELETE FROM staffing_seatfill WHERE shift_id IN (SELECT id FROM old_rows);
  RETURN NULL;
END;""",
        "elections_shift",
        "DELETE",
        "OLD TABLE AS old_rows",
    ),
}


def _pg_install() -> list[str]:
    statements = []
    for name, (body, table, event, referencing) in _PG_FUNCTIONS.items():
        statements += [
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $${body}$$",
            f"DROP TRIGGER IF EXISTS {name} ON {table}",
            f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {referencing}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
        ]
    return statements


def _pg_uninstall() -> list[str]:
    statements = []
    for name, (_body, table, _event, _referencing) in _PG_FUNCTIONS.items():
        statements += [
            f"DROP TRIGGER IF EXISTS {name} ON {table}",
            f"DROP FUNCTION IF EXISTS {name}()",
        ]
    return statements


# SQLite -------------------------------------------------------------------------

_SQLITE_UPSERT = " ON CONFLICT (election_id, kind, hour) DO UPDATE SET n = n + excluded.n"


def _sqlite_count(election: str, kind: str, hour: str, sign: int, where: str) -> str:
    """Add to a tally (creating it), or take from it: a row counted off was
    counted on before, and taking never creates one (a flush deleting the
    tables one by one must not make rows that point at deleted elections)."""
    if sign > 0:
        return f"""
  INSERT INTO staffing_electiontally (election_id, kind, hour, n)
  SELECT {election}, {kind}, {hour}, 1 {where}{_SQLITE_UPSERT};"""
    return f"""
  UPDATE staffing_electiontally SET n = n - 1
   WHERE (election_id, kind, hour) IN (SELECT {election}, {kind}, {hour} {where});"""


def _sqlite_volunteer_seats(row: str, sign: int) -> str:
    """A volunteer's seats in the election by state: added to (creating the row)
    or taken from (never creating one)."""
    states = f"({row}.status = 'invited'), ({row}.status IN {FILLED}), ({row}.status = 'declined')"
    if sign > 0:
        return f"""
  INSERT INTO staffing_volunteerseats (election_id, volunteer_id, invited, accepted, declined)
  SELECT election_id, {row}.volunteer_id, {states}
    FROM elections_shift WHERE id = {row}.shift_id AND {row}.status IN {COUNTED}
  ON CONFLICT (election_id, volunteer_id) DO UPDATE
     SET invited = invited + excluded.invited, accepted = accepted + excluded.accepted,
         declined = declined + excluded.declined;"""
    return f"""
  UPDATE staffing_volunteerseats
     SET invited = invited - ({row}.status = 'invited'),
         accepted = accepted - ({row}.status IN {FILLED}),
         declined = declined - ({row}.status = 'declined')
   WHERE volunteer_id = {row}.volunteer_id
     AND election_id = (SELECT election_id FROM elections_shift WHERE id = {row}.shift_id);"""


def _sqlite_assignment_steps(row: str, sign: int) -> str:
    lite = "sqlite"
    shift = f"FROM elections_shift WHERE id = {row}.shift_id"
    return (
        f"""
  UPDATE staffing_seatfill
     SET invited = invited + {sign} * ({row}.status = 'invited'),
         accepted = accepted + {sign} * ({row}.status IN {FILLED})
   WHERE shift_id = {row}.shift_id;"""
        + _sqlite_volunteer_seats(row, sign)
        + _sqlite_count("election_id", "'sent'", _hour(row + ".invited_at", lite), sign, shift)
        + _sqlite_count(
            "election_id",
            _kind(row),
            _kind_hour(row, lite),
            sign,
            f"{shift} AND ({_kind(row)}) IS NOT NULL",
        )
    )


def _sqlite_message_steps(row: str, sign: int) -> str:
    return _sqlite_count(
        "s.election_id",
        "'failed'",
        _hour(row + ".created_at", "sqlite"),
        sign,
        "FROM staffing_assignment a JOIN elections_shift s ON s.id = a.shift_id"
        f" WHERE a.id = {row}.subject_id"
        f" AND {row}.status = 'failed' AND {row}.subject_type = '{MESSAGE_SUBJECT}'",
    )


_SQLITE_TRIGGERS = {
    "staffing_fill_assignment_insert": (
        "AFTER INSERT ON staffing_assignment",
        _sqlite_assignment_steps("NEW", 1),
    ),
    "staffing_fill_assignment_update": (
        "AFTER UPDATE OF shift_id, volunteer_id, status, invited_at, responded_at"
        " ON staffing_assignment",
        _sqlite_assignment_steps("OLD", -1) + _sqlite_assignment_steps("NEW", 1),
    ),
    "staffing_fill_assignment_delete": (
        "AFTER DELETE ON staffing_assignment",
        _sqlite_assignment_steps("OLD", -1),
    ),
    "staffing_fill_message_insert": (
        "AFTER INSERT ON notifications_message",
        _sqlite_message_steps("NEW", 1),
    ),
    "staffing_fill_message_update": (
        "AFTER UPDATE OF status, subject_type, subject_id, created_at ON notifications_message",
        _sqlite_message_steps("OLD", -1) + _sqlite_message_steps("NEW", 1),
    ),
    "staffing_fill_message_delete": (
        "AFTER DELETE ON notifications_message",
        _sqlite_message_steps("OLD", -1),
    ),
    "staffing_fill_shift_insert": (
        "AFTER INSERT ON elections_shift",
        """
  INSERT INTO staffing_seatfill
         (shift_id, election_id, station_id, role_id, seats, invited, accepted)
  VALUES (NEW.id, NEW.election_id, NEW.station_id, NEW.role_id, NEW.capacity, 0, 0);""",
    ),
    "staffing_fill_shift_update": (
        "AFTER UPDATE OF election_id, station_id, role_id, capacity ON elections_shift",
        """
  UPDATE staffing_seatfill SET election_id = NEW.election_id, station_id = NEW.station_id,
         role_id = NEW.role_id, seats = NEW.capacity
   WHERE shift_id = NEW.id;""",
    ),
    "staffing_fill_shift_delete": (
        "AFTER DELETE ON elections_shift",
        """
  DELETE FROM staffing_seatfill WHERE shift_id = OLD.id;""",
    ),
}


def _sqlite_install() -> list[str]:
    statements = []
    for name, (when, steps) in _SQLITE_TRIGGERS.items():
        statements += [
            f"DROP TRIGGER IF EXISTS {name}",
            f"CREATE TRIGGER {name} {when} FOR EACH ROW BEGIN{steps}\nEND",
        ]
    return statements


def _sqlite_uninstall() -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {name}" for name in _SQLITE_TRIGGERS]


# Installing and recounting --------------------------------------------------------


def install(connection: BaseDatabaseWrapper) -> None:
    """Create (or replace) the triggers on ``connection``'s database."""
    _run(connection, _pg_install() if connection.vendor == "postgresql" else _sqlite_install())


def uninstall(connection: BaseDatabaseWrapper) -> None:
    _run(connection, _pg_uninstall() if connection.vendor == "postgresql" else _sqlite_uninstall())


def recount(connection: BaseDatabaseWrapper) -> None:
    """Rebuild every ``SeatFill`` and ``ElectionTally`` row from the shifts,
    assignments and messages (in the caller's transaction)."""
    _run(connection, recount_statements(connection.vendor))


def recount_statements(vendor: str) -> list[str]:
    a = "a"
    return [
        "DELETE FROM staffing_electiontally",
        "DELETE FROM staffing_volunteerseats",
        "DELETE FROM staffing_seatfill",
        f"""INSERT INTO staffing_seatfill
              (shift_id, election_id, station_id, role_id, seats, invited, accepted)
            SELECT s.id, s.election_id, s.station_id, s.role_id, s.capacity,
                   coalesce(sum(CASE WHEN a.status = 'invited' THEN 1 ELSE 0 END), 0),
                   coalesce(sum(CASE WHEN a.status IN {FILLED} THEN 1 ELSE 0 END), 0)
            FROM elections_shift s LEFT JOIN staffing_assignment a ON a.shift_id = s.id
            GROUP BY s.id, s.election_id, s.station_id, s.role_id, s.capacity""",
        f"""INSERT INTO staffing_volunteerseats
              (election_id, volunteer_id, invited, accepted, declined)
            SELECT s.election_id, a.volunteer_id,
                   sum(CASE WHEN a.status = 'invited' THEN 1 ELSE 0 END),
                   sum(CASE WHEN a.status IN {FILLED} THEN 1 ELSE 0 END),
                   sum(CASE WHEN a.status = 'declined' THEN 1 ELSE 0 END)
            FROM staffing_assignment a JOIN elections_shift s ON s.id = a.shift_id
            WHERE a.status IN {COUNTED}
            GROUP BY s.election_id, a.volunteer_id""",
        f"""INSERT INTO staffing_electiontally (election_id, kind, hour, n)
            SELECT election_id, kind, hour, count(*) FROM (
              SELECT s.election_id, 'sent' AS kind, {_hour("a.invited_at", vendor)} AS hour
              FROM staffing_assignment a JOIN elections_shift s ON s.id = a.shift_id
              UNION ALL
              SELECT s.election_id, {_kind(a)}, {_kind_hour(a, vendor)}
              FROM staffing_assignment a JOIN elections_shift s ON s.id = a.shift_id
              WHERE ({_kind(a)}) IS NOT NULL
              UNION ALL
              SELECT s.election_id, 'failed', {_hour("m.created_at", vendor)}
              FROM notifications_message m
              JOIN staffing_assignment a ON a.id = m.subject_id
              JOIN elections_shift s ON s.id = a.shift_id
              WHERE m.status = 'failed' AND m.subject_type = '{MESSAGE_SUBJECT}'
            ) counted GROUP BY election_id, kind, hour""",
    ]


def _run(connection: BaseDatabaseWrapper, statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
