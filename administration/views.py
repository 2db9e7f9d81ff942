"""The municipality admin's pages: staff users with their roles and scopes, the
audit log, and the organisation's details (name, logo, letterhead). Admins only
(anyone else gets the uniform 404), but for the organisation's logo, which every
page header shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from allauth.account.forms import ResetPasswordForm
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db.models import Prefetch, QuerySet
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)

from accounts import audit, services
from accounts import organisation as organisation_settings
from accounts.audit_export import audit_csv_lines
from accounts.models import AuditEntry, RoleGrant, ScopeKind, StaffRole, User
from accounts.scopes import Capability, scope_of
from administration.forms import AuditFilterForm, GrantForm, OrganisationForm, StaffUserForm
from elections.models import Election
from pollcrew.collation import danish_sorted
from pollcrew.refusals import Refused
from polling_stations.models import PollingStation
from volunteers.models import Team

AUDIT_PER_PAGE = 100


def require_admin(user: User) -> None:
    if not scope_of(user).can(Capability.ADMINISTER):
        raise Http404


def get_staff_user_for_admin(user: User, user_id: int) -> User:
    require_admin(user)
    found = User.objects.filter(pk=user_id).first()
    if found is None:
        raise Http404
    return found


def _with_grants(users: QuerySet[User]) -> QuerySet[User]:
    return users.prefetch_related(
        Prefetch("grants", queryset=RoleGrant.objects.prefetch_related("scopes"))
    )


@login_required
@require_GET
def staff_list(request: HttpRequest) -> HttpResponse:
    require_admin(request.user)
    users = _with_grants(User.objects.order_by("-is_active", "email"))
    return render(
        request, "administration/staff_list.html", {"users": users, "form": StaffUserForm()}
    )


@login_required
@require_POST
def staff_create(request: HttpRequest) -> HttpResponse:
    """A new staff user with no role; they get an email to choose a password."""
    require_admin(request.user)
    form = StaffUserForm(request.POST)
    if form.is_valid():
        try:
            user = services.create_staff_user(
                form.cleaned_data["email"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                by=request.user,
            )
        except Refused as refusal:
            form.add_error("email", refusal.message)
        else:
            reset = ResetPasswordForm(data={"email": user.email})
            if reset.is_valid():
                reset.save(request)
            messages.success(
                request,
                _("%(email)s can now choose a password (an email is on its way). Give them a role.")
                % {"email": user.email},
            )
            return redirect("administration:staff_user", user_id=user.pk)
    users = _with_grants(User.objects.order_by("-is_active", "email"))
    return render(
        request, "administration/staff_list.html", {"users": users, "form": form}, status=400
    )


def _scope_names(grants: list[RoleGrant]) -> dict[tuple[str, int], str]:
    """Names for every election, station and team the grants mention (3 queries)."""
    wanted: dict[str, set[int]] = {kind: set() for kind in ScopeKind.values}
    for grant in grants:
        for scope in grant.scopes.all():
            wanted[scope.kind].add(scope.object_id)
    names: dict[tuple[str, int], str] = {}
    for kind, model in (
        (ScopeKind.ELECTION, Election),
        (ScopeKind.STATION, PollingStation),
        (ScopeKind.TEAM, Team),
    ):
        for obj in model.objects.filter(pk__in=wanted[kind]):
            names[(kind, obj.pk)] = str(obj)
    return names


def _grant_rows(user: User) -> list[dict]:
    grants = list(user.grants.prefetch_related("scopes"))
    names = _scope_names(grants)
    rows = []
    for grant in grants:
        covers: dict[str, list[str]] = {kind: [] for kind in ScopeKind.values}
        for scope in grant.scopes.all():
            label = names.get((scope.kind, scope.object_id), _("(deleted)"))
            covers[scope.kind].append(label)
        rows.append(
            {
                "role": grant.role,
                "label": grant.get_role_display(),
                "elections": danish_sorted(covers[ScopeKind.ELECTION], key=str),
                "stations": danish_sorted(covers[ScopeKind.STATION], key=str),
                "teams": danish_sorted(covers[ScopeKind.TEAM], key=str),
            }
        )
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def staff_user(request: HttpRequest, user_id: int) -> HttpResponse:
    """A staff user's roles; POST grants a role (again: replaces its scope)."""
    staff = get_staff_user_for_admin(request.user, user_id)
    form = GrantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.grant_role(
                staff,
                data["role"],
                elections=[e.pk for e in data["elections"]],
                stations=[s.pk for s in data["stations"]],
                teams=[t.pk for t in data["teams"]],
                by=request.user,
            )
        except Refused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(
                request,
                _("%(email)s is now %(role)s.")
                % {"email": staff.email, "role": StaffRole(data["role"]).label.lower()},
            )
            return redirect("administration:staff_user", user_id=staff.pk)
    return render(
        request,
        "administration/staff_user.html",
        {
            "staff": staff,
            "grants": _grant_rows(staff),
            "form": form,
            "roles": StaffRole,
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def staff_revoke(request: HttpRequest, user_id: int, role: str) -> HttpResponse:
    staff = get_staff_user_for_admin(request.user, user_id)
    if role not in StaffRole.values:
        raise Http404
    try:
        if services.revoke_role(staff, role, by=request.user):
            messages.success(
                request,
                _("%(email)s is no longer %(role)s.")
                % {"email": staff.email, "role": StaffRole(role).label.lower()},
            )
    except Refused as refusal:
        messages.error(request, refusal.message)
    return redirect("administration:staff_user", user_id=staff.pk)


@login_required
@require_POST
def staff_set_active(request: HttpRequest, user_id: int) -> HttpResponse:
    staff = get_staff_user_for_admin(request.user, user_id)
    active = request.POST.get("active") == "1"
    try:
        services.set_active(staff, active, by=request.user)
    except Refused as refusal:
        messages.error(request, refusal.message)
    else:
        if active:
            text = _("%(email)s can sign in again.")
        else:
            text = _("%(email)s can no longer sign in.")
        messages.success(request, text % {"email": staff.email})
    return redirect("administration:staff_user", user_id=staff.pk)


@login_required
@require_POST
def staff_sign_out_everywhere(request: HttpRequest, user_id: int) -> HttpResponse:
    staff = get_staff_user_for_admin(request.user, user_id)
    services.sign_out_everywhere(staff, by=request.user)
    messages.success(
        request, _("%(email)s is signed out on every browser.") % {"email": staff.email}
    )
    if staff.pk == request.user.pk:
        return redirect("account_login")
    return redirect("administration:staff_user", user_id=staff.pk)


def _filtered_entries(form: AuditFilterForm) -> QuerySet[AuditEntry]:
    entries = AuditEntry.objects.all()
    if not form.is_valid():
        return entries.none() if form.is_bound and form.errors else entries
    data = form.cleaned_data
    tz = timezone.get_current_timezone()
    if data.get("actor"):
        entries = entries.filter(actor=data["actor"])
    if data.get("actor_kind"):
        entries = entries.filter(actor_kind=data["actor_kind"])
    if data.get("action"):
        entries = entries.filter(action__startswith=data["action"].strip())
    if data.get("object_type"):
        entries = entries.filter(object_type=data["object_type"].strip())
    if data.get("election"):
        entries = entries.filter(election_id=data["election"].pk)
    if data.get("since"):
        entries = entries.filter(at__gte=datetime.combine(data["since"], time.min, tzinfo=tz))
    if data.get("until"):
        end = datetime.combine(data["until"] + timedelta(days=1), time.min, tzinfo=tz)
        entries = entries.filter(at__lt=end)
    return entries


@login_required
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    require_admin(request.user)
    form = AuditFilterForm(request.GET or None)
    entries = _filtered_entries(form).select_related("actor").order_by("-at", "-pk")
    page = LogPage.of(entries, request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "administration/audit_log.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


@dataclass
class LogPage:
    """A page of the log without counting the whole log (millions of rows):
    one more row than shown tells whether there is an older page."""

    object_list: list[AuditEntry]
    number: int
    has_next: bool

    @classmethod
    def of(cls, entries: QuerySet[AuditEntry], number: str | None) -> LogPage:
        try:
            page = max(int(number or 1), 1)
        except ValueError:
            page = 1
        start = (page - 1) * AUDIT_PER_PAGE
        rows = list(entries[start : start + AUDIT_PER_PAGE + 1])
        return cls(rows[:AUDIT_PER_PAGE], page, len(rows) > AUDIT_PER_PAGE)

    def __iter__(self):
        return iter(self.object_list)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


@login_required
@require_GET
def audit_export(request: HttpRequest) -> HttpResponse:
    """The filtered entries as CSV. The export itself is audited."""
    require_admin(request.user)
    form = AuditFilterForm(request.GET or None)
    entries = _filtered_entries(form)
    # Recorded first, and left out of what it exports (it does not list itself).
    export = audit.record_read(
        request, "read.audit_export", detail={"filters": request.GET.urlencode()}
    )
    response = StreamingHttpResponse(
        audit_csv_lines(entries.exclude(pk__gte=export.pk)),
        content_type="text/csv; charset=utf-8",
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- The organisation (name, logo, letterhead) -------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def organisation(request: HttpRequest) -> HttpResponse:
    """The organisation's name, logo, address, contact line, signature and
    letter footer: the page header and every printed document use them."""
    require_admin(request.user)
    org = organisation_settings.current()
    form = OrganisationForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        initial=OrganisationForm.initial_from(org),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_organisation(**form.service_fields(), by=request.user)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, field_errors in error.error_dict.items():
                    form.add_error(field if field in form.fields else None, field_errors)
            else:
                form.add_error("logo", error)
        else:
            messages.success(request, _("The organisation's details are saved."))
            return redirect("administration:organisation")
    return render(
        request,
        "administration/organisation.html",
        {"form": form, "organisation": org},
        status=400 if form.errors else 200,
    )


# An SVG shown on its own (opened in a tab) must not run anything, even if a
# check were missed: no scripts, no loads, only its own inline styles.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'"


@require_safe
def organisation_logo(request: HttpRequest) -> HttpResponse:
    """The organisation's logo (public: the volunteers' pages show it too).
    Media files are not served otherwise."""
    org = organisation_settings.current()
    if not org.logo:
        raise Http404
    try:
        file = default_storage.open(org.logo.name, "rb")
    except (FileNotFoundError, OSError) as missing:
        raise Http404 from missing
    response = FileResponse(file, content_type="image/svg+xml" if org.logo_is_svg else "image/png")
    if org.logo_is_svg:
        response["Content-Security-Policy"] = SVG_POLICY
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    # Pages link it with ?v=<version>: a new logo has a new address.
    response["Cache-Control"] = "public, max-age=3600"
    return response
