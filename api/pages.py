"""The staff pages of API tokens (/api/tokens/): your own tokens, a new one
(its secret shown once, on the page the POST returns, never stored), and
revoking one. An admin sees everyone's tokens and may revoke any. A user with
no role gets the uniform 404 (a token of theirs would not work anyway)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.scopes import Scope, scope_of
from api import services
from api.forms import TokenForm
from api.models import ApiToken
from pollcrew.refusals import Refused

LISTED = 200


def _require_staff(request: HttpRequest) -> Scope:
    scope = scope_of(request.user)
    if not scope.is_staff_member:
        raise Http404
    return scope


def _tokens(request: HttpRequest, scope: Scope):
    tokens = ApiToken.objects.select_related("user")
    return tokens if scope.is_admin else tokens.filter(user=request.user)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    scope = _require_staff(request)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            made = services.create_token(
                request.user,
                name=form.cleaned_data["name"],
                days=form.cleaned_data["days"],
                by=request.user,
            )
        except Refused as refused:
            form.add_error(None, refused.message)
        else:
            response = render(
                request, "api/token_created.html", {"token": made.token, "secret": made.secret}
            )
            response["Cache-Control"] = "no-store"
            return response
    return render(
        request,
        "api/tokens.html",
        {
            "form": form,
            "tokens": list(_tokens(request, scope)[:LISTED]),
            "everyone": scope.is_admin,
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@login_required
@require_POST
def revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    scope = _require_staff(request)
    token = _tokens(request, scope).filter(pk=token_id).first()
    if token is None:
        raise Http404
    services.revoke_token(token, by=request.user)
    messages.success(
        request, _("The token “%(name)s” is revoked: it no longer works.") % {"name": token.name}
    )
    return redirect("api:tokens")
