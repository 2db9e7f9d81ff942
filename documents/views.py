from __future__ import annotations

import re
from datetime import date

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts import audit
from accounts.scopes import Capability
from documents import jobs
from documents.access import get_print_job_for_user
from documents.forms import PrintForm
from documents.jobs import NEED
from documents.kinds import KINDS, Filters, station_day_key
from documents.models import DocumentKind, PrintJob
from documents.rendered import Rendered
from documents.rendering import render_pdf
from documents.rosters import render_station_roster, station_days
from pollcrew.ids import parse_id
from staffing import access

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_day(day: str) -> date:
    """YYYY-MM-DD only (date.fromisoformat alone also takes 20261105, 2026-W45-4…)."""
    if not _ISO_DAY.fullmatch(day):
        raise Http404
    try:
        return date.fromisoformat(day)
    except ValueError:
        raise Http404 from None


@login_required
@require_GET
def roster(request: HttpRequest, election_id: int, station_id: int, day: str) -> HttpResponse:
    """A station's roster for a day: names and phone numbers, so only for those
    who may see contact data there (and only the shifts their scope covers)."""
    need = Capability.VIEW_CONTACT
    election = access.get_election_for_user(request.user, election_id, need)
    station = access.get_station_for_user(request.user, election, station_id, need)
    shifts = access.election_shifts(request.user, election, need)
    on = parse_day(day)
    if on not in station_days(election, station, shifts):
        raise Http404
    pdf = render_station_roster(election, station, on, shifts)
    audit.record_read(request, "read.roster", station, election_id=election.pk, detail={"day": on})
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"roster-{station.pk}-{on.isoformat()}.pdf"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    # Names and phone numbers: never stored by a shared cache or the browser.
    response["Cache-Control"] = "private, no-store"
    return response


# --- batches: the print page, a job's progress, the download -----------------------

# While a job runs, htmx reloads its progress this often (and a link does).
REFRESH_SECONDS = 2
RECENT_JOBS = 10


def _preset(request: HttpRequest) -> dict:
    """What a link to the page chose already (the station page's ?station=…&kind=…)."""
    preset: dict = {}
    if station := parse_id(request.GET.get("station", "")):
        preset["station"] = station
    if request.GET.get("kind") in DocumentKind.values:
        preset["kind"] = request.GET["kind"]
    return preset


@login_required
@require_http_methods(["GET", "POST"])
def print_page(request: HttpRequest, election_id: int) -> HttpResponse:
    """Choose documents and a part of the election; the job runs on the workers."""
    election = access.get_election_for_user(request.user, election_id, NEED)
    shifts = access.election_shifts(request.user, election, NEED)
    initial = {"kind": DocumentKind.LETTERS, **_preset(request)}
    form = PrintForm(request.POST or None, shifts=shifts, initial=initial)
    if request.method == "POST" and form.is_valid():
        job, new = jobs.request_job(
            jobs.Request(
                election=election,
                kind=form.cleaned_data["kind"],
                filters=form.filters(),
                as_zip=form.cleaned_data["as_zip"],
            ),
            by=request.user,
            language=translation.get_language() or settings.LANGUAGE_CODE,
        )
        if not new:
            messages.info(
                request, _("These documents are being printed already: this is how far it is.")
            )
        return redirect("documents:job", job.pk)
    recent = PrintJob.objects.filter(election=election, requested_by=request.user).order_by(
        "-created_at"
    )[:RECENT_JOBS]
    return render(
        request,
        "documents/print.html",
        {"election": election, "form": form, "recent": recent},
    )


@login_required
@require_GET
def job_page(request: HttpRequest, job_id: int) -> HttpResponse:
    job = get_print_job_for_user(request.user, job_id)
    labels = dict(DocumentKind.choices)
    return render(
        request,
        "documents/job.html",
        {
            "job": job,
            "election": job.election,
            "kind_label": labels.get(job.kind, job.kind),
            "refresh": REFRESH_SECONDS if job.active else None,
        },
    )


@login_required
@require_GET
def job_download(request: HttpRequest, job_id: int) -> HttpResponse:
    job = get_print_job_for_user(request.user, job_id)
    if job.status != PrintJob.Status.DONE or not job.file:
        raise Http404
    audit.record_read(
        request,
        "read.print",
        job,
        election_id=job.election_id,
        detail={"kind": job.kind, "pages": job.pages},
    )
    content_type = "application/zip" if job.as_zip else "application/pdf"
    response = FileResponse(
        job.file.open("rb"),
        content_type=content_type,
        as_attachment=True,
        filename=jobs.download_name(job),
    )
    response["Cache-Control"] = "private, no-store"
    return response


# --- single documents, rendered on request ----------------------------------------


def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    # Names and addresses: never stored by a shared cache or the browser.
    response["Cache-Control"] = "private, no-store"
    return response


def _single(request: HttpRequest, election_id: int, kind: str, key: str) -> Rendered:
    """One item of ``kind`` in the user's scope, rendered; 404 if it has nothing."""
    election = access.get_election_for_user(request.user, election_id, NEED)
    shifts = access.election_shifts(request.user, election, NEED)
    rendered = KINDS[kind].render(election, [key], shifts)
    if not rendered.keys:
        raise Http404
    return rendered


@login_required
@require_GET
def letter(request: HttpRequest, election_id: int, assignment_id: int) -> HttpResponse:
    """The appointment letter for one accepted seat (a fresh personal link in its QR)."""
    election = access.get_election_for_user(request.user, election_id, NEED)
    assignment = access.get_assignment_for_user(request.user, election, assignment_id, NEED)
    rendered = _single(request, election.pk, DocumentKind.LETTERS, str(assignment.pk))
    pdf = render_pdf(rendered.html)
    jobs.record_printed(DocumentKind.LETTERS, rendered.assignments)
    audit.record_read(request, "read.letter", assignment, election_id=election.pk)
    return _pdf_response(pdf, f"letter-{assignment.pk}.pdf")


@login_required
@require_GET
def invitation(request: HttpRequest, election_id: int, volunteer_id: int) -> HttpResponse:
    """The invitation letter for one volunteer's invited seats in the election."""
    election = access.get_election_for_user(request.user, election_id, NEED)
    volunteer = access.get_volunteer_for_user(request.user, volunteer_id, NEED)
    rendered = _single(request, election.pk, DocumentKind.INVITATIONS, str(volunteer.pk))
    pdf = render_pdf(rendered.html)
    jobs.record_printed(DocumentKind.INVITATIONS, rendered.assignments)
    audit.record_read(request, "read.invitation", volunteer, election_id=election.pk)
    return _pdf_response(pdf, f"invitation-{volunteer.pk}.pdf")


@login_required
@require_GET
def signin(request: HttpRequest, election_id: int, station_id: int, day: str) -> HttpResponse:
    """A station's sign-in sheet for a day."""
    election = access.get_election_for_user(request.user, election_id, NEED)
    station = access.get_station_for_user(request.user, election, station_id, NEED)
    on = parse_day(day)
    key = station_day_key(station.pk, on)
    rendered = _single(request, election.pk, DocumentKind.SIGNIN, key)
    pdf = render_pdf(rendered.html)
    audit.record_read(request, "read.signin", station, election_id=election.pk, detail={"day": on})
    return _pdf_response(pdf, f"signin-{station.pk}-{on.isoformat()}.pdf")


@login_required
@require_GET
def badges(request: HttpRequest, election_id: int, station_id: int) -> HttpResponse:
    """Name badges for everyone holding an accepted seat at a station."""
    election = access.get_election_for_user(request.user, election_id, NEED)
    station = access.get_station_for_user(request.user, election, station_id, NEED)
    shifts = access.election_shifts(request.user, election, NEED).filter(station=station)
    keys = KINDS[DocumentKind.BADGES].select(election, shifts, Filters())
    if not keys:
        raise Http404
    rendered = KINDS[DocumentKind.BADGES].render(election, keys, shifts)
    pdf = render_pdf(rendered.html)
    audit.record_read(request, "read.badges", station, election_id=election.pk)
    return _pdf_response(pdf, f"badges-{station.pk}.pdf")
