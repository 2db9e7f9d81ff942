"""The role-by-URL table, generated from the URLconf.

Every URL pattern of the project must have an entry in TABLE stating what each
persona gets (200, 302 to the login page, 404 outside their scope, 405 for the
wrong method). A new view without an entry fails ``test_every_url_has_a_decision``,
so nobody adds a page without deciding who may see it. Third-party URLs (the
Django admin, allauth's sign-in pages, the language switch) have a policy per
namespace, tested on their pages too.
"""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import User
from staffing import services
from staffing.links import issue_link
from tests import factories as f
from tests import perm_tables
from tests.permission_cases import (
    ADMIN_ONLY,
    ADMIN_POST,
    CONTACT,
    LOGIN,
    MANAGE,
    PERSONAS,
    POST_ONLY,
    Case,
    E,
    S,
    World,
    everyone,
    staff_only,
    url,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    e = f.election(name="Folketingsvalg 2027")
    station = f.station(f.area("Nord"), name="Nordskolen")
    other = f.station(f.area("Syd"), name="Sydhallen")
    team = f.team("Venstre")
    open_shift = f.shift(e, station_=station, capacity=3)
    team_shift = f.shift(e, station_=station, capacity=2, team=team, start=20, end=23)
    f.shift(e, station_=other, capacity=2)
    member = f.volunteer(first_name="Karen", last_name="Medlem")
    member.teams.add(team)
    [assignment] = services.invite(team_shift, [member], by=None).invited
    services.accept(services.invite(open_shift, [f.volunteer()], by=None).invited[0])
    return World(
        election=e,
        station=station,
        other_station=other,
        open_shift=open_shift,
        team_shift=team_shift,
        team=team,
        token=issue_link(member, e),
        assignment=assignment,
        staff=f.user("someone@kommune.dk", role="viewer"),
        member=_member(team),
        outsider_volunteer=f.volunteer(first_name="Uden", last_name="Hold"),
    )


def _member(team):
    volunteer = f.volunteer(first_name="Ny", last_name="Medlem")
    volunteer.teams.add(team)
    return volunteer


@pytest.fixture
def clients(world) -> dict[str, Client]:
    users = {
        "outsider": f.user("outsider@kommune.dk"),
        "admin": User.objects.create_superuser("admin@kommune.dk", "et-langt-kodeord"),
        "coordinator": f.user("koordinator@kommune.dk", role="coordinator"),
        "station_manager": f.user(
            "valgstyrer@kommune.dk", role="station_manager", stations=[world.station]
        ),
        "team_leader": f.user("partisekretaer@kommune.dk", role="team_leader", teams=[world.team]),
        "viewer": f.user("kigger@kommune.dk", role="viewer"),
    }
    result = {"anonymous": Client()}
    for name, user in users.items():
        result[name] = Client()
        result[name].force_login(user)
    return result


# URL name → the cases that decide it. Each case: the URL, and what each persona gets.


def _page_form_cases(name: str) -> list[Case]:
    """A form of the volunteer's page (a POST): any other method is the uniform 404,
    and a POST without the page's form token is refused."""
    page = url(name, lambda w: w.token)
    return [
        Case(page, everyone(404), "a POST with the page's form token"),
        Case(
            page,
            everyone(403),
            "without the page's form token: refused",
            post=lambda w: {"language": "en", "channel": "sms", "address": "+4520999999"},
        ),
    ]


TABLE: dict[str, list[Case]] = {
    "": [Case(lambda w: "/", dict.fromkeys(PERSONAS, 302), "redirects to the election list")],
    "staffing:elections": [Case(url("staffing:elections"), staff_only())],
    "staffing:board": [Case(url("staffing:board", E), staff_only())],
    "staffing:station": [
        Case(url("staffing:station", E, S), staff_only()),
        Case(
            url("staffing:station", E, lambda w: w.other_station.pk),
            staff_only(station_manager=404, team_leader=404),
            "not their station / no seats for their team there",
        ),
    ],
    "staffing:invite": [
        Case(url("staffing:invite", E, lambda w: w.open_shift.pk), MANAGE),
        Case(
            url("staffing:invite", E, lambda w: w.team_shift.pk),
            staff_only(station_manager=404, viewer=404),
            "team leaders invite to their team's seats",
        ),
        Case(
            url("staffing:invite", E, lambda w: w.open_shift.pk),
            {**MANAGE, "admin": 302, "coordinator": 302},
            "inviting is a POST; the result page follows",
            post=lambda w: {"volunteers": [w.outsider_volunteer.pk]},
        ),
        Case(
            url("staffing:invite", E, lambda w: w.team_shift.pk),
            {**MANAGE, "admin": 302, "coordinator": 302, "team_leader": 302},
            post=lambda w: {"volunteers": [w.member.pk]},
        ),
    ],
    "staffing:team": [
        Case(url("staffing:team", lambda w: w.team.pk), staff_only(station_manager=404, viewer=404))
    ],
    "documents:roster": [
        Case(
            url("documents:roster", E, S, lambda w: w.election.election_date.isoformat()),
            CONTACT,
        ),
        Case(
            url(
                "documents:roster",
                E,
                lambda w: w.other_station.pk,
                lambda w: w.election.election_date.isoformat(),
            ),
            staff_only(viewer=404, station_manager=404, team_leader=404),
        ),
    ],
    "portal:home": [
        Case(url("portal:home", lambda w: w.token), everyone(200), "the token is the key"),
        Case(url("portal:home", lambda w: "x" * 43), everyone(404)),
    ],
    "portal:accept": [
        Case(
            url("portal:accept", lambda w: w.token, lambda w: w.assignment.pk),
            everyone(404),
            "answers are POSTs with a form token; anything else is the uniform 404",
        )
    ],
    "portal:decline": [
        Case(url("portal:decline", lambda w: w.token, lambda w: w.assignment.pk), everyone(404))
    ],
    **{
        f"portal:{name}": _page_form_cases(f"portal:{name}")
        for name in (
            "language",
            "stop_contact",
            "needs",
            "change_contact",
            "verify_contact",
            "renew_calendar",
        )
    },
    "portal:shift_calendar": [
        Case(
            url("portal:shift_calendar", lambda w: w.token, lambda w: w.assignment.pk),
            everyone(404),
            "only a booked seat of the link's volunteer (this one is invited)",
        )
    ],
    "portal:calendar_feed": [
        Case(url("portal:calendar_feed", lambda w: "x" * 64), everyone(404), "the token is the key")
    ],
    "notifications:twilio_status": [
        Case(url("notifications:twilio_status"), everyone(405), "signed POSTs from Twilio only"),
        Case(
            url("notifications:twilio_status"),
            everyone(403),
            "unsigned: refused, whoever sends it",
            post=lambda w: {"MessageSid": "SM123", "MessageStatus": "delivered"},
        ),
    ],
    "notifications:twilio_inbound": [
        Case(url("notifications:twilio_inbound"), everyone(405), "signed POSTs from Twilio only"),
        Case(
            url("notifications:twilio_inbound"),
            everyone(403),
            "unsigned: refused, whoever sends it",
            post=lambda w: {"MessageSid": "SM123", "From": "+4520123456", "Body": "JA"},
        ),
    ],
    "notifications:email_bounce": [
        Case(url("notifications:email_bounce"), everyone(405), "POSTs from the mail server only"),
        Case(
            url("notifications:email_bounce"),
            everyone(404),
            "no bounce token configured: the address does not exist",
            post=lambda w: {"report": "x"},
        ),
    ],
    "me:page": [
        Case(url("me:page"), {**everyone(200), "anonymous": LOGIN}, "everyone's own account")
    ],
    "me:sign_out_everywhere": [
        Case(url("me:sign_out_everywhere"), POST_ONLY),
        Case(
            url("me:sign_out_everywhere"),
            {**everyone(302), "anonymous": LOGIN},
            "only ever one's own sessions",
            post=lambda w: {},
        ),
    ],
    "me:language": [
        Case(url("me:language"), everyone(405), "the language switch is a POST"),
        Case(
            url("me:language"),
            everyone(302),
            "anyone may choose a language: their own, or this browser's",
            post=lambda w: {"language": "en", "next": "/"},
        ),
    ],
    "administration:staff_sign_out_everywhere": [
        Case(url("administration:staff_sign_out_everywhere", lambda w: w.staff.pk), POST_ONLY),
        Case(
            url("administration:staff_sign_out_everywhere", lambda w: w.staff.pk),
            ADMIN_POST,
            post=lambda w: {},
        ),
    ],
    "administration:staff": [Case(url("administration:staff"), ADMIN_ONLY)],
    "administration:staff_create": [
        Case(url("administration:staff_create"), POST_ONLY),
        Case(
            url("administration:staff_create"),
            ADMIN_POST,
            post=lambda w: {"email": "ny@kommune.dk", "first_name": "", "last_name": ""},
        ),
    ],
    "administration:staff_user": [
        Case(url("administration:staff_user", lambda w: w.staff.pk), ADMIN_ONLY),
        Case(
            url("administration:staff_user", lambda w: w.staff.pk),
            ADMIN_POST,
            "granting a role",
            post=lambda w: {"role": "viewer"},
        ),
    ],
    "administration:staff_revoke": [
        Case(
            url("administration:staff_revoke", lambda w: w.staff.pk, lambda w: "viewer"),
            POST_ONLY,
        ),
        Case(
            url("administration:staff_revoke", lambda w: w.staff.pk, lambda w: "viewer"),
            ADMIN_POST,
            post=lambda w: {},
        ),
    ],
    "administration:staff_set_active": [
        Case(url("administration:staff_set_active", lambda w: w.staff.pk), POST_ONLY),
        Case(
            url("administration:staff_set_active", lambda w: w.staff.pk),
            ADMIN_POST,
            post=lambda w: {"active": "1"},
        ),
    ],
    "administration:audit": [Case(url("administration:audit"), ADMIN_ONLY)],
    "administration:audit_export": [Case(url("administration:audit_export"), ADMIN_ONLY)],
}

# Each group of pages decides its own URLs in tests/perm_tables/<group>.py.
for _module in pkgutil.iter_modules(perm_tables.__path__):
    _part = importlib.import_module(f"{perm_tables.__name__}.{_module.name}").TABLE
    assert not set(_part) & set(TABLE), f"decided twice: {set(_part) & set(TABLE)}"
    TABLE.update(_part)

# Third-party URLs: a policy per namespace or name, checked on the pages below.
DELEGATED = {
    "admin": "Django admin: admins (superusers) only; everyone else to the admin login",
    "account_": "allauth's sign-in pages: public by nature, sign-up closed",
    "mfa_": "allauth's second-factor pages: the signed-in user's own authenticators",
    "socialaccount_": "allauth's single sign-on pages (the provider decides)",
    "openid_connect_": "allauth's OpenID Connect login and callback",
    "set_language": "Django's language switch: a public POST",
}


def _patterns(patterns, namespace: str = "") -> list[tuple[str, str]]:
    found = []
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = ":".join(filter(None, [namespace, p.namespace or ""]))
            found += _patterns(p.url_patterns, ns)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace and p.name else (p.name or "")
            found.append((name, namespace))
    return found


def _delegated(name: str, namespace: str) -> bool:
    return any(key == namespace or name.startswith(key) for key in DELEGATED)


def test_every_url_has_a_decision():
    missing = sorted(
        name
        for name, namespace in _patterns(get_resolver().url_patterns)
        if not _delegated(name, namespace) and name not in TABLE
    )
    assert not missing, f"URLs with no permission decision in TABLE: {missing}"


def test_the_table_has_no_stale_entries():
    names = {name for name, _ns in _patterns(get_resolver().url_patterns)}
    assert set(TABLE) <= names, set(TABLE) - names


def test_post_only_urls_say_who_may_post():
    """A URL that only takes POSTs (405 on GET) must have a POST case: a new form
    handler cannot slip in without a decision about who may post to it."""
    missing = [
        name
        for name, cases in TABLE.items()
        if any(c.post is None and c.expected["admin"] == 405 for c in cases)
        and not any(c.post is not None for c in cases)
        and not name.startswith("portal:")  # POSTs are checked by form token (test_portal)
    ]
    assert not missing, missing


# Redirects that are not to the sign-in page when signed out: the home page, and
# the language switch (back to where it was used).
PUBLIC = {"", "me:language"}


@pytest.mark.parametrize("name", sorted(TABLE))
def test_role_by_url(name, world, clients):
    for case in TABLE[name]:
        target = case.url(world)
        for persona in PERSONAS:
            client = clients[persona]
            if case.post is not None:
                response = client.post(target, case.post(world))
            else:
                response = client.get(target)
            assert response.status_code == case.expected[persona], (target, persona, case.why)
            if response.status_code == LOGIN and persona == "anonymous" and name not in PUBLIC:
                assert response["Location"].startswith(reverse("account_login")), target


def test_django_admin_is_for_admins_only(world, clients):
    pages = [reverse("admin:index")] + [
        reverse(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist")
        for m in admin.site._registry
    ]
    for page in pages:
        assert clients["admin"].get(page).status_code == 200, page
        for persona in PERSONAS:
            if persona == "admin":
                continue
            response = clients[persona].get(page)
            assert response.status_code == 302, (page, persona)
            assert response["Location"].startswith(reverse("admin:login")), (page, persona)


def test_sign_in_pages_are_public_and_sign_up_closed(clients):
    anonymous = clients["anonymous"]
    assert anonymous.get(reverse("account_login")).status_code == 200
    assert anonymous.get(reverse("account_reset_password")).status_code == 200
    anonymous.post(
        reverse("account_signup"),
        {"email": "ny@kommune.dk", "password1": "Sup3r-hemmelig!", "password2": "Sup3r-hemmelig!"},
    )
    assert not User.objects.filter(email="ny@kommune.dk").exists()
    assert anonymous.get(reverse("set_language")).status_code in (302, 405)
