"""The staff user's own account page: their browsers, sign out everywhere, and
links to change the password and the second factor."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts import services, sso
from accounts.forms import LanguageForm
from accounts.language import set_cookie as set_language_cookie
from accounts.models import StaffRole
from accounts.scopes import scope_of


@login_required
@require_GET
def page(request: HttpRequest) -> HttpResponse:
    roles = [StaffRole(role).label for role in scope_of(request.user).roles()]
    return render(
        request,
        "accounts/me.html",
        {
            "browsers": request.user.devices.all()[:20],
            "roles": roles,
            "sso": sso.configured_provider_name(),
        },
    )


@login_required
@require_POST
def sign_out_everywhere(request: HttpRequest) -> HttpResponse:
    services.sign_out_everywhere(request.user, by=request.user)
    logout(request)
    messages.success(request, _("You are signed out on every browser, this one included."))
    return redirect("account_login")


@require_POST
def language(request: HttpRequest) -> HttpResponse:
    """The language switch: for a signed-in user it is stored on them (and sticks
    on every browser); signed out, only this browser's cookie. Back to where the
    switch was used, if that is this site."""
    form = LanguageForm(request.POST)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = "/"
    if not form.is_valid():
        return redirect(back)
    chosen = form.cleaned_data["language"]
    if request.user.is_authenticated:
        services.set_language(request.user, chosen, by=request.user)
    response = redirect(back)
    set_language_cookie(response, chosen)
    return response
