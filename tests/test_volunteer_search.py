"""The volunteer search underneath the list: Danish folding in Python and in the
database agree (on the engine the suite runs on: SQLite here, PostgreSQL in CI),
the computed columns follow every write, the Danish order, likely duplicates,
and on PostgreSQL the trigram index that serves the search."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection

from tests import factories as f
from volunteers import search
from volunteers.models import Volunteer

pytestmark = pytest.mark.django_db

AWKWARD = [
    ("Søren", "Kjærgaard"),
    ("ÅSE", "AAGAARD"),
    ("René", "Müller-Lüdenscheidt"),
    ("Zoë", "Łukasiewicz"),
    ("Jörg", "Straße"),
    ("Ærø", "Østergård"),
    ("Ida", "Ibsen"),
    ("Œdipe", "Ðorđević"),
]


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Søren", "soren"),
        ("SOEREN", "soren"),
        ("Kjærgaard", "kjargard"),
        ("kjaergaard", "kjargard"),
        ("Ågård", "agard"),
        ("Aagaard", "agard"),
        ("René", "rene"),
        ("Müller", "muller"),
        ("Jörg", "jorg"),
        ("Straße", "strase"),
    ],
)
def test_fold(text, folded):
    assert search.fold(text) == folded


def test_database_computes_what_python_computes():
    for i, (first, last) in enumerate(AWKWARD):
        f.volunteer(first_name=first, last_name=last, email=f"{first.lower()}{i}@eksempel.dk")
    for v in Volunteer.objects.all():
        assert v.search_text == search.search_text(v.first_name, v.last_name, v.email, v.phone)
        assert v.sort_name == search.sort_key(v.last_name, v.first_name)


def test_the_columns_follow_updates_and_bulk_writes():
    v = f.volunteer(first_name="Karen", last_name="Jensen")
    Volunteer.objects.filter(pk=v.pk).update(first_name="Søren")
    v.refresh_from_db()
    assert "soren" in v.search_text
    Volunteer.objects.bulk_create(
        [
            Volunteer(
                first_name="Åse",
                last_name="Ø",
                birth_date=date(1990, 1, 1),
                email="a@b.dk",
                preferred_channel="email",
            )
        ]
    )
    assert search.matching(Volunteer.objects.all(), "aase").get().first_name == "Åse"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", []),
        ("   ", []),
        ("Søren Kjærgaard", ["soren", "kjargard"]),
        ("søren søren", ["soren"]),
        ("20 12 34 56", ["20123456"]),
        ("+45 20 12 34 56", ["4520123456"]),
        ("0045 20123456", ["4520123456"]),
        ("a b c d e f g", ["a", "b", "c", "d", "e"]),
    ],
)
def test_terms(query, expected):
    assert search.terms(query) == expected


def test_a_fragment_matches_the_plain_half():
    f.volunteer(first_name="Hans", last_name="Joensen")
    # "ensen" is not in the Danish-folded "jonsen", but in the plain "joensen".
    assert search.matching(Volunteer.objects.all(), "ensen").count() == 1
    assert search.matching(Volunteer.objects.all(), "jonsen").count() == 1


def test_danish_order():
    for first, last in [("A", "Aagaard"), ("B", "Zahle"), ("C", "Ørsted"), ("D", "Æbelø")]:
        f.volunteer(first_name=first, last_name=last)
    f.volunteer(first_name="E", last_name="Andersen")
    ordered = search.in_danish_order(Volunteer.objects.all())
    assert [v.last_name for v in ordered] == ["Andersen", "Zahle", "Æbelø", "Ørsted", "Aagaard"]


def test_likely_duplicates_each_kind():
    soren = f.volunteer(
        first_name="Søren",
        last_name="Kjærgaard",
        phone="+4520123456",
        email="Soren@Example.dk",
        born=date(1970, 1, 2),
    )
    people = Volunteer.objects.all()

    def reasons(**kw):
        values = {
            "first_name": "X",
            "last_name": "Y",
            "birth_date": date(2000, 1, 1),
            "email": "",
            "phone": "",
        }
        values.update(kw)
        return [(d.volunteer, d.reasons) for d in search.likely_duplicates(people, **values)]

    assert reasons(phone="+4520123456") == [(soren, ("phone",))]
    assert reasons(email=" soren@example.DK ") == [(soren, ("email",))]
    assert reasons(first_name="Soeren", last_name="KJAERGAARD", birth_date=date(1970, 1, 2)) == [
        (soren, ("name_birth_date",))
    ]
    assert reasons(first_name="Søren", last_name="Kjærgaard") == []  # another birth date
    assert reasons(birth_date=date(1970, 1, 2)) == []  # another name
    assert (
        search.likely_duplicates(
            people,
            first_name="Søren",
            last_name="Kjærgaard",
            birth_date=date(1970, 1, 2),
            email="soren@example.dk",
            phone="+4520123456",
            exclude_pk=soren.pk,
        )
        == []
    )


def test_the_migration_made_the_search_columns_and_indexes():
    """The suite's database is made by the migrations (0005 included) on the
    engine it runs on; the columns and indexes are there and named."""
    with connection.cursor() as cursor:
        # Django's SQLite introspection cannot parse this table (its ESCAPE '\'
        # check and generated columns): ask the databases themselves.
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'volunteers_volunteer'"
            )
        else:
            cursor.execute("SELECT name FROM pragma_table_xinfo('volunteers_volunteer')")
        columns = {row[0] for row in cursor.fetchall()}
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'volunteers_volunteer'"
            )
        else:  # Django's SQLite introspection cannot read an expression index
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' "
                "AND tbl_name = 'volunteers_volunteer'"
            )
        indexes = {row[0] for row in cursor.fetchall()}
    assert {"search_text", "sort_name"} <= columns
    assert "volunteer_sort_idx" in indexes
    if connection.vendor == "postgresql":
        assert "volunteer_search_trgm_idx" in indexes


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_trgm is PostgreSQL's")
def test_postgresql_serves_the_search_from_the_trigram_index():
    """With enough rows that a scan costs, the planner uses the trigram index for
    the list's search (and the sort index for the list in order)."""
    from django.db import connection as conn

    people = [
        Volunteer(
            first_name=f"Person{i}",
            preferred_channel="email",
            last_name=("Jensen", "Hansen", "Østergaard", "Nielsen")[i % 4],
            email=f"p{i}@example.dk",
            birth_date=date(1980, 1, 1),
        )
        for i in range(5000)
    ]
    people.append(
        Volunteer(
            first_name="Søren",
            last_name="Kjærgaard",
            email="sk@example.dk",
            preferred_channel="email",
            birth_date=date(1970, 1, 2),
        )
    )
    Volunteer.objects.bulk_create(people, batch_size=1000)
    with conn.cursor() as cursor:
        cursor.execute("SELECT extname FROM pg_extension WHERE extname = 'pg_trgm'")
        assert cursor.fetchone() == ("pg_trgm",)
        # New rows wait in the GIN index's pending list until a vacuum (the
        # planner counts that cost); in a test's transaction, flush it by hand.
        cursor.execute("SELECT gin_clean_pending_list('volunteer_search_trgm_idx')")
        cursor.execute("ANALYZE volunteers_volunteer")
    # A rare name: found through the trigram index, then sorted.
    found = search.in_danish_order(search.matching(Volunteer.objects.all(), "kjaergaard"))
    plan = found[:50].explain()
    assert "volunteer_search_trgm_idx" in plan, plan
    assert [v.last_name for v in found] == ["Kjærgaard"]
    assert (
        "volunteer_search_trgm_idx"
        in search.matching(Volunteer.objects.all(), "soeren kjaer").explain()
    )
    # A common one (a quarter of everyone): the planner may walk the sort index
    # instead, which stops after a page; either way it is an index.
    common = search.in_danish_order(search.matching(Volunteer.objects.all(), "oestergaard"))
    assert "Index" in common[:50].explain()
    assert common.count() == 1250
    # The list in order, a page at a time: the sort index, no sort.
    plan = search.in_danish_order(Volunteer.objects.all())[:50].explain()
    assert "volunteer_sort_idx" in plan and "Sort" not in plan, plan


def test_a_bulk_load_rebuilds_the_trigram_index():
    with search.trigram_index_rebuilt_after():
        Volunteer.objects.bulk_create(
            [
                Volunteer(
                    first_name="Åse",
                    last_name=f"Aagaard{i}",
                    birth_date=date(1990, 1, 1),
                    email=f"a{i}@b.dk",
                    preferred_channel="email",
                )
                for i in range(20)
            ]
        )
    assert search.matching(Volunteer.objects.all(), "aase agard1").count() == 11
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [search.TRIGRAM_INDEX])
            assert cursor.fetchone() == (1,)


# --- the list's pages: the ids first, then the rows (staffing.volunteer_list.page_rows) -----


@pytest.fixture
def register():
    """People with Danish names in an election: some accepted, invited, declined
    (one declined and then holding another seat), some in a team, the rest with
    nothing."""
    from staffing import services

    e = f.election()
    team = f.team("Venstre")
    names = [
        ("Søren", "Kjærgaard"),
        ("Åse", "Aagaard"),
        ("Anne", "Andersen"),
        ("Jens", "Jensen"),
        ("Karen", "Jensen"),
        ("Ib", "Jensen"),
        ("Ærø", "Østergård"),
        ("René", "Müller"),
        ("Ole", "Zahle"),
        ("Eva", "Æbelø"),
        ("Jensine", "Hansen"),
        ("Bo", "Jensen-Aagaard"),
    ]
    people = [
        f.volunteer(first_name=first, last_name=last, email=f"{i}@example.dk")
        for i, (first, last) in enumerate(names)
    ]
    for v in people[::3]:
        v.teams.add(team)
    shifts = [f.shift(e, capacity=10, start=8 + i, end=9 + i) for i in range(2)]
    invited = {a.volunteer_id: a for a in services.invite(shifts[0], people[:8], by=None).invited}
    for v in people[:4]:  # Søren, Åse, Anne, Jens
        services.accept(invited[v.pk])
    for v in people[4:6]:  # Karen and Ib Jensen
        services.decline(invited[v.pk], reason="")
    services.invite(shifts[1], [people[4]], by=None)  # declined one seat, invited to another
    return {"election": e, "team": team, "people": people}


def _pages(user, data, per_page):
    """Every page of the list through the paginator (``page_rows``: with so few
    matches, the ids of all the matches sorted), through ``page_rows`` without the
    number of matches (the ids in the Danish order of the sort index), and sliced
    straight from the filtered queryset (the plain way)."""
    from staffing.volunteer_list import SORT_MATCHES_UP_TO, CappedPaginator, filtered, page_rows

    paginator = CappedPaginator(filtered(user, data), per_page, cap=None)
    assert paginator.count <= SORT_MATCHES_UP_TO
    through_ids = [[v.pk for v in paginator.page(n).object_list] for n in paginator.page_range]
    people = filtered(user, data)
    bounds = [
        ((n - 1) * per_page, min(n * per_page, paginator.count)) for n in paginator.page_range
    ]
    walked = [[v.pk for v in page_rows(people, bottom, top)] for bottom, top in bounds]
    sliced = [[v.pk for v in people[bottom:top]] for bottom, top in bounds]
    assert walked == sliced
    return through_ids, sliced


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"q": "jensen"},
        {"q": "aagaard"},
        {"q": "example.dk", "status": "accepted"},
        {"q": "jens", "status": "declined"},
        {"status": "invited"},
        {"status": "no_seat"},
        {"team": True, "status": "accepted"},
        {"q": "nobody-like-this"},
    ],
)
def test_pages_through_the_ids_are_the_pages_of_the_filtered_list(register, coordinator, data):
    """The page query picks the page's ids in a subquery, then reads those rows:
    the same people in the same Danish order, page by page, as slicing the
    filtered list itself, with the search, the status and the other filters."""
    data = {**data, "election": register["election"]}
    if data.get("team"):
        data["team"] = register["team"]
    through_ids, sliced = _pages(coordinator, data, per_page=3)
    assert through_ids == sliced
    assert sum(len(page) for page in through_ids) == len(set().union(*map(set, through_ids)))


def test_pages_through_the_ids_keep_the_scope(register):
    """A team leader: only their team's members, and the status counts only the
    team's seats (none here), on every page."""
    leader = f.user(role="team_leader", teams=[register["team"]])
    data = {"election": register["election"]}
    through_ids, sliced = _pages(leader, data, per_page=2)
    members = {v.pk for v in register["people"][::3]}
    assert through_ids == sliced
    assert {pk for page in through_ids for pk in page} == members
    through_ids, sliced = _pages(leader, {**data, "status": "accepted"}, per_page=2)
    assert through_ids == sliced == [[]]


def test_the_page_query_is_one_query_and_an_empty_page_none(register, coordinator):
    from django.test.utils import CaptureQueriesContext

    from staffing.volunteer_list import CappedPaginator, filtered

    data = {"q": "jensen", "election": register["election"], "status": "accepted"}
    paginator = CappedPaginator(filtered(coordinator, data), 50)
    paginator.count  # noqa: B018 (counted first, as the view does)
    with CaptureQueriesContext(connection) as queries:
        rows = list(paginator.page(1).object_list)
    assert [v.full_name for v in rows] == ["Jens Jensen"]
    assert len(queries) == 1
    empty = CappedPaginator(filtered(coordinator, {"q": "nobody-like-this"}), 50)
    assert empty.count == 0
    with CaptureQueriesContext(connection) as queries:
        assert list(empty.page(1).object_list) == []
    assert len(queries) == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="covering indexes are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_postgresql_finds_a_page_of_a_common_name_inside_the_sort_index():
    """A common last name late in the order: the page's ids come from an
    index-only walk of volunteer_sort_search_idx, the term tested inside the
    index (the table is read for the page's rows only)."""
    from django.db import connection as conn

    from staffing.volunteer_list import page_rows

    people = [
        Volunteer(
            first_name=f"Person{i}",
            last_name=("Andersen", "Hansen", "Jensen", "Nielsen", "Bech")[i % 5],
            email=f"p{i}@example.dk",
            preferred_channel="email",
            birth_date=date(1980, 1, 1),
        )
        for i in range(6000)
    ]
    Volunteer.objects.bulk_create(people, batch_size=1000)
    with conn.cursor() as cursor:
        # Outside a transaction (transaction=True): the visibility map is set, as
        # autovacuum does, so that the planner may read the index alone.
        cursor.execute("VACUUM ANALYZE volunteers_volunteer")
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'volunteer_sort_search_idx'"
        )
        assert "INCLUDE (search_text)" in cursor.fetchone()[0]
    found = search.in_danish_order(search.matching(Volunteer.objects.all(), "jensen"))
    page = page_rows(found, 0, 50)
    plan = page.explain()
    assert "Index Only Scan using volunteer_sort_search_idx" in plan, plan
    assert [v.pk for v in page] == [v.pk for v in found[:50]]
    assert {v.last_name for v in page} == {"Jensen"}
    # Few matches: found through the trigram index and sorted, not walked to.
    Volunteer.objects.filter(pk__in=[v.pk for v in found[:40]]).update(last_name="Kjærgaard")
    with conn.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE volunteers_volunteer")
    rare = search.in_danish_order(search.matching(Volunteer.objects.all(), "kjaergaard"))
    page = page_rows(rare, 0, 40, matches=40)
    plan = page.explain()
    assert "volunteer_search_trgm_idx" in plan and "volunteer_sort_search_idx" not in plan, plan
    assert [v.pk for v in page] == [v.pk for v in rare]
