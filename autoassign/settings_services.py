"""Writing auto-assign's settings of an election: the weights of the wishes and the
limits (``save_weights``), and the seat rules (``add_seat_rule``,
``delete_seat_rule``). Each write is one transaction with its audit entry; a
value out of bounds is a ValidationError on its field, nothing written.

The election row is locked first, so that two first saves of the weights (the
row does not exist yet) or two equal rules added at once do not both pass."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import User
from autoassign.models import SeatRule, Weights
from elections.models import Election, Role
from pollcrew.refusals import Refused
from polling_stations.models import PollingStation
from staffing.services.preferences import election_stations
from volunteers.models import Skill

# The points of each wish (per seat).
WEIGHT_FIELDS = (
    "preferred_station",
    "preferred_area",
    "near_home",
    "last_placement",
    "wanted_role",
    "experience",
)
# (least, most) of every setting.
LIMITS: dict[str, tuple[int, int]] = {
    **dict.fromkeys(WEIGHT_FIELDS, (0, 1000)),
    "max_km": (1, 500),
    "nearest_stations": (1, 50),
    "default_max_shifts": (1, 20),
    "wave_size": (1, 100_000),
    "next_wave_at": (0, 100),
}
SETTINGS_FIELDS = tuple(LIMITS)
# The N of "at least N" and the K of "at most K" (a station has a few dozen seats).
RULE_COUNT = (1, 50)
RULE_FIELDS = ("kind", "count", "skill", "role", "station")
Kind = SeatRule.Kind


def out_of_bounds(least: int, most: int) -> str:
    return _("Give a whole number from %(least)s to %(most)s.") % {"least": least, "most": most}


def _lock_election(election: Election) -> Election:
    current = Election.objects.select_for_update().get(pk=election.pk)
    if current.status == Election.Status.ARCHIVED:
        raise Refused(
            "archived",
            _("“%(name)s” is archived and can no longer be changed.") % {"name": current.name},
        )
    return current


def _check_number(value: Any, least: int, most: int) -> str | None:
    """The error for a value that is not a whole number in [least, most], or None."""
    if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= most:
        return out_of_bounds(least, most)
    return None


# --- weights ------------------------------------------------------------------------------


def current_weights(election: Election) -> Weights:
    """The election's weights, or the defaults (unsaved) if nobody changed them."""
    found = Weights.objects.filter(election=election).first()
    return found if found is not None else Weights(election=election)


def save_weights(election: Election, *, by: User | None, **values: Any) -> Weights:
    """Set some or all of the election's weights and limits (SETTINGS_FIELDS):
    the election's Weights row is made at the first change. The audit entry holds
    what changed (from the defaults, on the first save). Nothing changed: no
    write, no entry (the current weights, unsaved defaults if none were saved)."""
    unknown = set(values) - set(SETTINGS_FIELDS)
    if unknown:
        raise TypeError(f"save_weights cannot change {sorted(unknown)}")
    errors = {
        name: message
        for name, value in values.items()
        if (message := _check_number(value, *LIMITS[name])) is not None
    }
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        current = _lock_election(election)
        weights = Weights.objects.filter(election=current).first() or Weights(election=current)
        before = audit.snapshot(weights, SETTINGS_FIELDS)
        for name, value in values.items():
            setattr(weights, name, value)
        diff = audit.changes_between(before, audit.snapshot(weights, SETTINGS_FIELDS))
        if not diff:
            return weights
        weights.full_clean(exclude=["election"])
        weights.save()
        audit.record(
            "autoassign.save_weights",
            weights,
            by=by,
            election_id=current.pk,
            changes=diff,
        )
    return weights


# --- seat rules ---------------------------------------------------------------------------


def seat_rules(election: Election) -> QuerySet[SeatRule]:
    """The election's seat rules with what they name, in the page's order."""
    return (
        SeatRule.objects.filter(election=election)
        .select_related("skill", "role", "station")
        .order_by("kind", "pk")
    )


def rule_errors(
    election: Election,
    *,
    kind: str,
    count: Any,
    skill: Skill | None,
    station: PollingStation | None,
) -> dict[str, str]:
    """What is wrong with a seat rule, per field (empty: nothing)."""
    errors: dict[str, str] = {}
    if kind not in Kind.values:
        errors["kind"] = _("Choose what kind of rule this is.")
    message = _check_number(count, *RULE_COUNT)
    if message is not None:
        errors["count"] = message
    if kind == Kind.AT_LEAST_SKILL and skill is None:
        errors["skill"] = _(
            "Choose the skill, training or language that at least this many people need."
        )
    if kind == Kind.AT_MOST_PER_PARTY and skill is not None:
        errors["skill"] = _("“At most K from one party” takes no skill: leave it empty.")
    if station is not None and not election_stations(election).filter(pk=station.pk).exists():
        errors["station"] = _("This polling station does not take part in the election.")
    return errors


def add_seat_rule(
    election: Election,
    *,
    by: User | None,
    kind: str,
    count: int,
    skill: Skill | None = None,
    role: Role | None = None,
    station: PollingStation | None = None,
) -> SeatRule:
    """A new rule for the election's stations (or one ``station``), for one
    ``role`` or all. "At least N with a skill" needs the skill; "at most K from
    one party" takes none. ValidationError per field; an equal rule (same kind,
    skill, role and station) is refused, whatever its number."""
    errors = rule_errors(election, kind=kind, count=count, skill=skill, station=station)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        current = _lock_election(election)
        same = SeatRule.objects.filter(
            election=current, kind=kind, skill=skill, role=role, station=station
        )
        if same.exists():
            raise ValidationError(
                _(
                    "The election has this rule already. To change its number, "
                    "delete it and add it again."
                )
            )
        rule = SeatRule(
            election=current, kind=kind, count=count, skill=skill, role=role, station=station
        )
        rule.full_clean()
        rule.save()
        audit.record(
            "autoassign.add_seat_rule",
            rule,
            by=by,
            election_id=current.pk,
            changes=audit.created(rule, RULE_FIELDS),
        )
    return rule


def delete_seat_rule(rule: SeatRule, *, by: User | None) -> None:
    """Delete the rule (already gone: nothing to do, no entry)."""
    with transaction.atomic():
        _lock_election(rule.election)
        current = SeatRule.objects.filter(pk=rule.pk).first()
        if current is None:
            return
        gone = {name: [value, None] for name, value in audit.snapshot(current, RULE_FIELDS).items()}
        audit.record(
            "autoassign.delete_seat_rule",
            current,
            by=by,
            election_id=current.election_id,
            changes=gone,
        )
        current.delete()
