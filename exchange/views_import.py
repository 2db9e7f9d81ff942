"""The import pages: upload a file, map its columns, read the dry run's report,
import. Thin: ``exchange.imports.jobs`` does the work (as a Celery job for large
files, which the report page polls).

Who may: coordinators (the manage capability) for volunteers; areas, stations,
roles and teams (shared by every election) only those who manage reference data
(``scope.manages_reference_data``); a seat grid within an election the user
manages. Everyone else gets a 404, and a job is only ever its uploader's.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import audit
from accounts.scopes import Capability, Scope
from exchange.forms_import import MappingForm, UploadForm
from exchange.imports import fields, jobs, kinds
from exchange.imports.report import OUTCOME_LABELS, REFUSED, ROW, refused_csv_rows
from exchange.models import ImportJob, ImportKind
from pollcrew.refusals import Refused
from pollcrew.spreadsheets import csv_lines
from staffing import access

REFRESH_SECONDS = 2
RECENT = 20


def allowed_kinds(scope: Scope) -> list[str]:
    kinds_ = [ImportKind.VOLUNTEERS, ImportKind.GRID]
    if scope.manages_reference_data:
        kinds_ += [ImportKind.STATIONS, ImportKind.ROLES, ImportKind.TEAMS]
    return [k for k in ImportKind.values if k in kinds_]


def _job(request: HttpRequest, job_id: int) -> ImportJob:
    """The user's own import, of a kind they (still) may import; else 404."""
    scope = access.require(request.user, Capability.MANAGE)
    job = (
        ImportJob.objects.defer("content")
        .select_related("election")
        .filter(pk=job_id, created_by=request.user)
        .first()
    )
    if job is None or job.kind not in allowed_kinds(scope):
        raise Http404
    if job.election_id is not None:
        access.get_election_for_user(request.user, job.election_id, Capability.MANAGE)
    return job


@login_required
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    scope = access.require(request.user, Capability.MANAGE)
    elections = access.visible_elections(request.user, Capability.MANAGE).order_by("-election_date")
    form = UploadForm(
        request.POST or None, request.FILES or None, kinds=allowed_kinds(scope), elections=elections
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data["file"]
        if upload.size > jobs.max_bytes():
            form.add_error("file", _("The file is too large."))
        else:
            try:
                job = jobs.upload(
                    by=request.user,
                    kind=data["kind"],
                    filename=upload.name,
                    content=upload.read(),
                    election=data["election"] if data["kind"] == ImportKind.GRID else None,
                )
            except Refused as refusal:
                form.add_error("file", refusal.message)
            else:
                return redirect("exchange:import_mapping", job.pk)
    recent = (
        ImportJob.objects.defer("content", "report", "headers", "mapping")
        .select_related("election")
        .filter(created_by=request.user)
        .order_by("-created_at")[:RECENT]
    )
    return render(
        request,
        "exchange/import_start.html",
        {"form": form, "recent": recent, "status": ImportJob.Status},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def mapping(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    initial = {f"col_{name}": str(column) for name, column in job.mapping.items()}
    initial["match_key"] = job.match_key
    form = MappingForm(request.POST or None, initial=initial, kind=job.kind, headers=job.headers)
    if request.method == "POST" and form.is_valid():
        missing = kinds.missing_fields(job.kind, form.mapping(), form.match_key())
        if missing:
            form.add_error(
                None,
                _("Choose a column for: %(fields)s.")
                % {"fields": ", ".join(str(f) for f in missing)},
            )
        else:
            try:
                job = jobs.set_mapping(job, form.mapping(), form.match_key(), by=request.user)
                jobs.start_check(job, by=request.user)
            except Refused as refusal:
                messages.error(request, refusal.message)
            return redirect("exchange:import_report", job.pk)
    return render(
        request,
        "exchange/import_mapping.html",
        {"job": job, "form": form},
        status=400 if request.method == "POST" else 200,
    )


def _labels(kind: str) -> dict[str, str]:
    labels = {f.name: str(f.label) for f in fields.FIELDS[kind]}
    labels[ROW] = ""
    labels["member"] = _("Member")
    return labels


@login_required
@require_http_methods(["GET"])
def report(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    labels = _labels(job.kind)
    show = request.GET.get("show", "")
    if show not in OUTCOME_LABELS:
        show = ""
    rows = [
        {**row, "outcome_label": OUTCOME_LABELS.get(row["outcome"], ""),
         "problems": [(labels.get(f, f), m) for f, m in row.get("problems", [])],
         "changed": [labels.get(f, f) for f in row.get("changed", [])]}
        for row in job.report.get("rows", [])
        if not show or row["outcome"] == show
    ][:1000]  # fmt: skip
    counts = job.report.get("counts", {})
    return render(
        request,
        "exchange/import_report.html",
        {
            "job": job,
            "rows": rows,
            "counts": [(k, OUTCOME_LABELS[k], counts.get(k, 0)) for k in OUTCOME_LABELS],
            "refused": counts.get(REFUSED, 0),
            "to_write": counts.get("created", 0) + counts.get("updated", 0),
            "done": jobs.progress(job),
            "refresh": REFRESH_SECONDS if job.running else None,
            "here_url": request.get_full_path(),
            "show": show,
            "show_label": OUTCOME_LABELS.get(show, ""),
        },
    )


@login_required
@require_POST
def commit(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    try:
        job = jobs.start_commit(job, by=request.user)
    except Refused as refusal:
        messages.error(request, refusal.message)
    else:
        if job.status == ImportJob.Status.DONE:
            messages.success(request, _("Imported."))
    return redirect("exchange:import_report", job.pk)


@login_required
@require_http_methods(["GET"])
def refused_csv(request: HttpRequest, job_id: int) -> HttpResponse:
    """The refused rows as they were in the file, with a column saying why."""
    job = _job(request, job_id)
    labels = _labels(job.kind)
    audit.record_read(request, "exchange.download_refused_rows", job)
    header = [_("Line"), *job.headers, _("Reason")]
    rows = list(refused_csv_rows(job.report, job.headers, labels))
    response = StreamingHttpResponse(
        csv_lines(header, rows), content_type="text/csv; charset=utf-8"
    )
    name = job.filename.rsplit(".", 1)[0][:80] or "import"
    response["Content-Disposition"] = f'attachment; filename="{_safe(name)}-refused.csv"'
    return response


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)


def report_url(job: ImportJob) -> str:
    return reverse("exchange:import_report", args=[job.pk])
