"""Auto-assign's settings page of an election: how many points each wish is
worth, the limits of the search, and the seat rules (list, add, delete).

Every page needs the election managed by the user (admins and coordinators,
``autoassign.access``); for anyone else the uniform 404. The forms are POSTs
with the page's CSRF token; a refused change shows the page again with the
reason at the field."""

from __future__ import annotations

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from autoassign import settings_services as services
from autoassign.access import get_autoassign_election
from autoassign.forms_settings import SeatRuleForm, WeightsForm
from autoassign.models import SeatRule
from elections.models import Election
from pollcrew.refusals import Refused

Kind = SeatRule.Kind


def get_seat_rule_for_user(user: User, election_id: int, rule_id: int) -> SeatRule:
    election = get_autoassign_election(user, election_id)
    rule = (
        SeatRule.objects.select_related("election", "skill", "role", "station")
        .filter(election=election, pk=rule_id)
        .first()
    )
    if rule is None:
        raise Http404
    return rule


def describe(rule: SeatRule) -> str:
    """The rule in one sentence, as the list shows it."""
    where = (
        _("at %(station)s") % {"station": rule.station.name}
        if rule.station
        else _("at every station")
    )
    among = (
        _("among the %(role)s seats") % {"role": rule.role.name}
        if rule.role
        else _("among all seats")
    )
    if rule.kind == Kind.AT_LEAST_SKILL:
        text = _("At least %(count)s with “%(skill)s” %(among)s %(where)s") % {
            "count": rule.count,
            "skill": rule.skill.name if rule.skill else "",
            "among": among,
            "where": where,
        }
    else:
        text = _("At most %(count)s from any one party %(among)s %(where)s") % {
            "count": rule.count,
            "among": among,
            "where": where,
        }
    return text + "."


def _apply_errors(form: Form, error: ValidationError | Refused) -> None:
    """A service's refusal on the form: per field where it names one."""
    if isinstance(error, Refused):
        form.add_error(None, error.message)
    elif hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _page(
    request: HttpRequest,
    election: Election,
    *,
    weights_form: WeightsForm | None = None,
    rule_form: SeatRuleForm | None = None,
) -> HttpResponse:
    if weights_form is None:
        weights_form = WeightsForm(instance=services.current_weights(election))
    if rule_form is None:
        rule_form = SeatRuleForm(election=election)
    rules = [(rule, describe(rule)) for rule in services.seat_rules(election)]
    return render(
        request,
        "autoassign/settings.html",
        {
            "election": election,
            "form": weights_form,
            "rule_form": rule_form,
            "rules": rules,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest, election_id: int) -> HttpResponse:
    """The settings; a POST saves the weights and limits."""
    election = get_autoassign_election(request.user, election_id)
    if request.method != "POST":
        return _page(request, election)
    form = WeightsForm(request.POST, instance=services.current_weights(election))
    if form.is_valid():
        try:
            services.save_weights(election, by=request.user, **form.changes())
        except (ValidationError, Refused) as error:
            _apply_errors(form, error)
        else:
            flash.success(request, _("The auto-assign settings are saved."))
            return redirect("autoassign:settings", election_id=election.pk)
    return _page(request, election, weights_form=form)


@login_required
@require_POST
def rule_add(request: HttpRequest, election_id: int) -> HttpResponse:
    election = get_autoassign_election(request.user, election_id)
    form = SeatRuleForm(request.POST, election=election)
    if form.is_valid():
        try:
            services.add_seat_rule(election, by=request.user, **form.values())
        except (ValidationError, Refused) as error:
            _apply_errors(form, error)
        else:
            flash.success(request, _("The seat rule is added."))
            return redirect("autoassign:settings", election_id=election.pk)
    return _page(request, election, rule_form=form)


@login_required
@require_POST
def rule_delete(request: HttpRequest, election_id: int, rule_id: int) -> HttpResponse:
    rule = get_seat_rule_for_user(request.user, election_id, rule_id)
    try:
        services.delete_seat_rule(rule, by=request.user)
    except Refused as refusal:
        flash.error(request, refusal.message)
    else:
        flash.success(request, _("The seat rule is deleted."))
    return redirect("autoassign:settings", election_id=election_id)
