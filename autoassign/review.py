"""What the coordinator does with a proposal under review: lock, drop or swap
rows, each judged by the same rules as an invitation and the person's wishes
(``swap_refusals``, which the waves use too: autoassign.waves).

Every write is a transaction that locks the proposal row first (then its rows):
the review services, the waves and the job's save are serialised per proposal.
A wave's invitations go through ``staffing.services.invite`` (which takes the
staffing locks: shift, then volunteers), one shift at a time; the task that sends
them is ``autoassign.tasks_waves.send_wave_task``, dispatched on commit."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from datetime import date

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts import audit
from accounts.models import User
from autoassign.models import LeftOut, Proposal, ProposalRow, SeatRule
from autoassign.settings_services import current_weights
from autoassign.wishes import pair_wishes
from elections.models import Shift
from pollcrew.refusals import Refused
from staffing import rules
from staffing.models import Assignment, Preference
from staffing.rules import RuleViolation
from volunteers.models import Team, Volunteer

Status = Proposal.Status
State = ProposalRow.State


def _refused(code: str, **params: object) -> Refused:
    texts = {
        "not_ready": _("This proposal can no longer be changed: it is not ready for review."),
        "not_proposed": _("This seat has been sent as an invitation already."),
        "dropped": _("This seat is dropped. Take it back into the proposal first."),
        "same_person": _("%(name)s is already proposed for this seat."),
        "not_accepted": _("Only an accepted proposal sends invitations."),
        "wave_running": _(
            "A wave of invitations is being sent. Wait until it is done before sending the next."
        ),
        "nothing_left": _("Every proposed seat has been sent: there is no next wave."),
        "not_discardable": _("This proposal is finished: there is nothing to discard."),
        "bad_size": _("A wave must have at least one invitation."),
        "other_accepted_running": _(
            "A wave of an earlier proposal is being sent. Wait until it is done before accepting."
        ),
        "proposed_overlap": _(
            "%(name)s is already proposed for a seat at that time in this proposal: %(shift)s."
        ),
        "not_available": _("%(name)s cannot help in this election (their preferences say so)."),
        "missing_skill": _("%(role)s needs %(skills)s, and %(name)s does not have it."),
        "party_limit": _(
            "%(name)s is in %(team)s, which has %(count)d %(role)s here already: the rule "
            "“at most %(count)d from one party” allows no more."
        ),
        "not_that_day": _("%(name)s is not available on %(day)s (their preferences say so)."),
        "refused_role": _("%(name)s does not want to be %(role)s (their preferences say so)."),
    }
    if code == "max_shifts":
        texts[code] = ngettext(
            "%(name)s wants at most %(count)d shift in this election and has it already, "
            "counting this proposal.",
            "%(name)s wants at most %(count)d shifts in this election and has that many "
            "already, counting this proposal.",
            int(params["count"]),
        )
    return Refused(code, texts[code] % params if params else texts[code])


def _lock_proposal(proposal_id: int) -> Proposal:
    return (
        Proposal.objects.select_for_update(of=("self",))
        .select_related("election")
        .get(pk=proposal_id)
    )


def _lock_row(row_id: int) -> ProposalRow:
    return (
        ProposalRow.objects.select_for_update(of=("self",))
        .select_related(
            "shift__station", "shift__role", "shift__team", "shift__election", "volunteer"
        )
        .get(pk=row_id)
    )


def _reviewable(row: ProposalRow) -> tuple[Proposal, ProposalRow]:
    """Lock the row's proposal and the row; refused unless it can still be changed."""
    proposal = _lock_proposal(row.proposal_id)
    current = _lock_row(row.pk)
    if proposal.status != Status.READY:
        raise _refused("not_ready")
    if current.state != State.PROPOSED:
        raise _refused("not_proposed")
    return proposal, current


def _record(action: str, row: ProposalRow, *, by: User | None, changes: dict, **detail) -> None:
    audit.record(
        action,
        row,
        by=by,
        election_id=row.shift.election_id,
        changes=changes,
        detail={"proposal": row.proposal_id, "shift": row.shift_id, **detail},
        object_repr=f"{row.volunteer.full_name} → {rules.shift_label(row.shift)}",
    )


# --- review: lock, drop, swap ----------------------------------------------------------------


def lock_row(row: ProposalRow, locked: bool, *, by: User | None) -> ProposalRow:
    """Lock a proposed seat (a re-run keeps it; the first wave sends it first), or unlock it."""
    with transaction.atomic():
        _proposal, current = _reviewable(row)
        if current.locked != locked:
            before = current.locked
            current.locked = locked
            current.save(update_fields=["locked"])
            _record("autoassign.lock", current, by=by, changes={"locked": [before, locked]})
    return current


def drop_row(row: ProposalRow, dropped: bool, *, by: User | None) -> ProposalRow:
    """Leave a proposed seat out of the invitations (``dropped``), or take it back."""
    with transaction.atomic():
        proposal, current = _reviewable(row)
        if current.dropped and not dropped:  # taken back: judged again, as a swap is
            refusal = swap_refusals(
                proposal, current.shift, [current.volunteer], by=by, recheck=[current.pk]
            ).get(current.volunteer_id)
            if refusal is not None:
                raise refusal
        if current.dropped != dropped:
            before = current.dropped
            current.dropped = dropped
            current.save(update_fields=["dropped"])
            _record("autoassign.drop", current, by=by, changes={"dropped": [before, dropped]})
    return current


def swap_refusals(
    proposal: Proposal,
    shift: Shift,
    volunteers: Iterable[Volunteer],
    *,
    by: User | None,
    instead_of: ProposalRow | None = None,
    recheck: Collection[int] = (),
    count_proposal: bool = True,
) -> dict[int, Refused]:
    """Per volunteer who may not take a seat on ``shift`` in ``proposal`` (instead of
    ``instead_of``'s person), why: the invitation rules (``staffing.rules``), a seat
    at the same time already proposed, and their preferences for the election
    (available, days, refused roles, most shifts). A fixed number of queries
    whatever the number of people (the swap page judges its search results at once).

    ``recheck``: the ids of rows of these people on ``shift`` that are judged
    again (a wave before it invites them, taking a dropped row back): they do
    not count against themselves. ``count_proposal=False``: the proposal's other
    rows do not count at all (its locked rows carried into a re-run)."""
    people = list(volunteers)
    excluded = {*recheck, *([instead_of.pk] if instead_of is not None else [])}
    ids = [v.pk for v in people]
    if not ids:
        return {}
    election = shift.election
    on_shift, declined = rules.shift_history(shift, ids)
    clashes = rules.clashing_shifts(shift, ids)
    members = rules.team_member_ids(shift, ids)
    may_name = rules.may_name_for(by)
    # The proposal's other seats of these people still to be sent (not dropped,
    # not the one swapped or judged again; those sent are seats held now).
    proposed: dict[int, list[Shift]] = defaultdict(list)
    if count_proposal:
        others = (
            ProposalRow.objects.filter(
                proposal=proposal, volunteer_id__in=ids, dropped=False, state=State.PROPOSED
            )
            .exclude(pk__in=excluded)
            .select_related("shift__station", "shift__role")
        )
        for other in others:
            proposed[other.volunteer_id].append(other.shift)
    held = dict(
        Assignment.objects.holding_seat()
        .filter(shift__election=election, volunteer_id__in=ids)
        .values("volunteer_id")
        .annotate(n=Count("pk"))
        .values_list("volunteer_id", "n")
    )
    preferences = {
        p.volunteer_id: p
        for p in Preference.objects.filter(
            election=election, volunteer_id__in=ids
        ).prefetch_related("refused_roles")
    }
    default_max = current_weights(election).default_max_shifts
    day = timezone.localtime(shift.starts_at).date()
    found: dict[int, Refused] = {}
    for volunteer in people:
        name = volunteer.full_name
        if instead_of is not None and volunteer.pk == instead_of.volunteer_id and not recheck:
            found[volunteer.pk] = _refused("same_person", name=name)
            continue
        try:
            rules.check_invitable(
                shift,
                volunteer,
                volunteer.pk in on_shift,
                volunteer.pk in declined,
                clashes,
                members,
                may_name=may_name,
            )
        except RuleViolation as refusal:
            found[volunteer.pk] = refusal
            continue
        overlapping = [
            s
            for s in proposed.get(volunteer.pk, [])
            if s.starts_at < shift.ends_at and s.ends_at > shift.starts_at
        ]
        if overlapping:
            found[volunteer.pk] = _refused(
                "proposed_overlap", name=name, shift=rules.shift_label(overlapping[0])
            )
            continue
        preference = preferences.get(volunteer.pk)
        if preference is not None and not preference.available:
            found[volunteer.pk] = _refused("not_available", name=name)
            continue
        if (
            preference is not None
            and preference.available_days
            and day.isoformat() not in preference.available_days
        ):
            found[volunteer.pk] = _refused("not_that_day", name=name, day=_date_text(day))
            continue
        if preference is not None and any(
            r.pk == shift.role_id for r in preference.refused_roles.all()
        ):
            found[volunteer.pk] = _refused("refused_role", name=name, role=shift.role.name)
            continue
        most = (preference.max_shifts if preference is not None else None) or default_max
        if held.get(volunteer.pk, 0) + len(proposed.get(volunteer.pk, [])) >= most:
            found[volunteer.pk] = _refused("max_shifts", name=name, count=most)
    undecided = [v for v in people if v.pk not in found]
    found.update(_seat_requirements(proposal, shift, undecided, excluded, count_proposal))
    return found


def _seat_requirements(
    proposal: Proposal,
    shift: Shift,
    people: list[Volunteer],
    excluded: Collection[int],
    count_proposal: bool,
) -> dict[int, Refused]:
    """The role's required skills, and the rules "at most K from one party" at
    the shift's station (counting the seats held there now and the proposal's other
    seats there): the hard rules of the auto-assigner beyond the invitation's
    (2 queries; 3 more with a party rule here, 1 more with required skills)."""
    found: dict[int, Refused] = {}
    ids = [v.pk for v in people]
    if not ids:
        return found
    role = shift.role
    needed = list(role.required_skills.all())
    if needed:
        has = defaultdict(set)
        for person_id, skill_id in Volunteer.skills.through.objects.filter(
            volunteer_id__in=ids, skill_id__in=[s.pk for s in needed]
        ).values_list("volunteer_id", "skill_id"):
            has[person_id].add(skill_id)
        for volunteer in people:
            missing = [s.name for s in needed if s.pk not in has[volunteer.pk]]
            if missing:
                found[volunteer.pk] = _refused(
                    "missing_skill",
                    name=volunteer.full_name,
                    role=role.name,
                    skills=", ".join(missing),
                )
    limits = [
        rule
        for rule in SeatRule.objects.filter(
            election_id=proposal.election_id, kind=SeatRule.Kind.AT_MOST_PER_PARTY
        ).select_related("role")
        if rule.station_id in (None, shift.station_id) and rule.role_id in (None, shift.role_id)
    ]
    if not limits:
        return found
    Membership = Volunteer.teams.through
    parties: dict[int, set[int]] = defaultdict(set)
    names: dict[int, str] = {}
    for person_id, team_id, team_name in Membership.objects.filter(
        volunteer_id__in=ids, team__kind=Team.Kind.PARTY
    ).values_list("volunteer_id", "team_id", "team__name"):
        parties[person_id].add(team_id)
        names[team_id] = team_name
    # Who sits at the station: seats held now, and the proposal's other seats there.
    seated = list(
        Assignment.objects.holding_seat()
        .filter(shift__election_id=proposal.election_id, shift__station_id=shift.station_id)
        .values_list("volunteer_id", "shift__role_id")
    )
    if count_proposal:
        rows = ProposalRow.objects.filter(
            proposal=proposal,
            shift__station_id=shift.station_id,
            dropped=False,
            state=State.PROPOSED,
        ).exclude(pk__in=excluded)
        seated += list(rows.values_list("volunteer_id", "shift__role_id"))
    teams_of: dict[int, set[int]] = defaultdict(set)
    for person_id, team_id in Membership.objects.filter(
        volunteer_id__in={p for p, _r in seated}, team__kind=Team.Kind.PARTY
    ).values_list("volunteer_id", "team_id"):
        teams_of[person_id].add(team_id)
    for volunteer in people:
        if volunteer.pk in found:
            continue
        for rule in limits:
            here = [p for p, r in seated if rule.role_id in (None, r)]
            over = [
                t
                for t in sorted(parties[volunteer.pk])
                if sum(1 for p in here if t in teams_of[p]) >= rule.count
            ]
            if over:
                found[volunteer.pk] = _refused(
                    "party_limit",
                    name=volunteer.full_name,
                    team=names[over[0]],
                    count=rule.count,
                    role=rule.role.name if rule.role_id else _("people"),
                )
                break
    return found


def _date_text(day: date) -> str:
    return date_format(day, "DATE_FORMAT")


def swap_row(row: ProposalRow, volunteer: Volunteer, *, by: User | None) -> ProposalRow:
    """Put ``volunteer`` on the row's seat instead of the person proposed. Refused
    (with the reason) where an invitation would be, where they are proposed for
    another seat at that time, or where their preferences rule it out."""
    with transaction.atomic():
        proposal, current = _reviewable(row)
        if current.dropped:
            raise _refused("dropped")
        shift = current.shift
        person = Volunteer.objects.select_for_update(no_key=True).get(pk=volunteer.pk)
        refusal = swap_refusals(proposal, shift, [person], by=by, instead_of=current).get(person.pk)
        if refusal is not None:
            raise refusal
        before = current.volunteer
        # Their own dropped row on this shift, if any, gives way to this one.
        ProposalRow.objects.filter(
            proposal=proposal, shift=shift, volunteer=person, dropped=True
        ).delete()
        LeftOut.objects.filter(proposal=proposal, volunteer=person).delete()
        if not (
            ProposalRow.objects.filter(proposal=proposal, volunteer=before, dropped=False)
            .exclude(pk=current.pk)
            .exists()
            or Assignment.objects.holding_seat()
            .filter(volunteer=before, shift__election_id=proposal.election_id)
            .exists()
        ):
            LeftOut.objects.get_or_create(
                proposal=proposal, volunteer=before, defaults={"code": "by_hand"}
            )
        current.volunteer = person
        current.by_hand = True
        # Weighed as the solver weighs a pair, for the person now on the seat.
        current.score, current.wishes = pair_wishes(
            proposal.election, shift, person, current_weights(proposal.election)
        )
        current.save(update_fields=["volunteer", "by_hand", "score", "wishes"])
        _record(
            "autoassign.swap",
            current,
            by=by,
            changes={"volunteer": [before.pk, person.pk]},
            replaced=before.full_name,
        )
    return current
