"""The volunteer's "My wishes" page for the link's election (``/v/<token>/wishes/``):
which days, where, as what and how many shifts, saved through the coordinator's
service (``staffing.services.preferences.set_preference``) with ``by=None``.

A token page as the others (portal.views): the page rate limit, one uniform 404
for a token that does not resolve or another method, no-referrer and no-store
headers, and the page's form token instead of Django's CSRF check (which
no-referrer breaks): a POST without it is refused (403)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from portal.forms_preferences import WishesForm
from portal.views import answer_token, token_page
from staffing.forms_setup import put_on_form
from staffing.models import PersonalLink
from staffing.services.preferences import set_preference, wishes_of


@csrf_exempt  # the page's form token below instead: no-referrer breaks Django's check
@token_page("GET", "HEAD", "POST")
def wishes(request: HttpRequest, link: PersonalLink, token: str) -> HttpResponse:
    election, volunteer = link.election, link.volunteer
    page_token = answer_token(link, 0)
    open_ = election.is_active
    form = None
    if open_:
        form = WishesForm(
            request.POST if request.method == "POST" else None,
            election=election,
            initial=wishes_of(volunteer, election).initial(),
        )
    if request.method == "POST":
        if not constant_time_compare(request.POST.get("answer_token", ""), page_token):
            return render(request, "portal/form_expired.html", status=403)
        if form is None:
            messages.error(request, _("This election is not open for answers right now."))
            return redirect("portal:home", token=token)
        if form.is_valid():
            try:
                set_preference(volunteer, election, by=None, **form.wishes())
            except ValidationError as error:
                put_on_form(form, error)
            else:
                said = _("Thank you. Your wishes are saved; the election office can see them.")
                messages.success(request, said)
                return redirect("portal:home", token=token)
    return render(
        request,
        "portal/wishes.html",
        {
            "volunteer": volunteer,
            "election": election,
            "token": token,
            "page_token": page_token,
            "form": form,
        },
    )
