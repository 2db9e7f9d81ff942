"""Audited create / update / delete for plain records (areas, stations, roles,
elections, teams, skills), shared by the apps' services so that each of them is
a few lines: validate as a form would (``full_clean``: field rules and every
named constraint with its message), write, and leave an audit entry with the
changed fields (old → new) in the same transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Model, ProtectedError, RestrictedError
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import User
from pollcrew.refusals import Refused
from pollcrew.text import strip_controls

M = TypeVar("M", bound=Model)
ElectionOf = Callable[[Any], int | None]


def _apply(obj: Model, fields: dict[str, Any], allowed: Iterable[str]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"cannot set {sorted(unknown)} on {type(obj).__name__}")
    for name, value in fields.items():
        setattr(obj, name, strip_controls(value) if isinstance(value, str) else value)


def create(
    model: type[M],
    action: str,
    fields: dict[str, Any],
    allowed: Iterable[str],
    *,
    by: User | None,
    election_of: ElectionOf | None = None,
) -> M:
    allowed = tuple(allowed)
    obj = model()
    _apply(obj, fields, allowed)
    obj.full_clean()
    with transaction.atomic():
        obj.save(force_insert=True)
        audit.record(
            action,
            obj,
            by=by,
            election_id=election_of(obj) if election_of else None,
            changes=audit.created(obj, allowed),
        )
    return obj


def update(
    obj: M,
    action: str,
    changes: dict[str, Any],
    allowed: Iterable[str],
    *,
    by: User | None,
    election_of: ElectionOf | None = None,
) -> M:
    allowed = tuple(allowed)
    with transaction.atomic():
        current = type(obj)._default_manager.select_for_update().get(pk=obj.pk)
        before = audit.snapshot(current, allowed)
        _apply(current, changes, allowed)
        current.full_clean()
        current.save()
        diff = audit.changes_between(before, audit.snapshot(current, allowed))
        if diff:
            audit.record(
                action,
                current,
                by=by,
                election_id=election_of(current) if election_of else None,
                changes=diff,
            )
    return current


def in_use_refusal(name: object, where: list[str], names: list[str] | None = None) -> Refused:
    """The one wording of "cannot be deleted, it is used by …": ``where`` are the
    uses as the message names them (``elections.where_used`` describes elections
    and stations; ``in_use`` below names the objects in the way), ``names`` every
    use for the refusal's list (``where`` if not given)."""
    return Refused(
        "in_use",
        _("“%(name)s” is in use and cannot be deleted. It is used by: %(where)s.")
        % {"name": name, "where": "; ".join(where)},
        names=where if names is None else names,
    )


def in_use(obj: Model, error: ProtectedError | RestrictedError) -> Refused:
    """A refusal naming where ``obj`` is still used."""
    objects = list(getattr(error, "protected_objects", None) or error.restricted_objects)
    where = [str(o) for o in objects[:5]]
    if len(objects) > 5:
        where.append(_("and %(count)d more") % {"count": len(objects) - 5})
    return in_use_refusal(obj, where)


def delete(
    obj: Model,
    action: str,
    allowed: Iterable[str],
    *,
    by: User | None,
    election_of: ElectionOf | None = None,
    record_values: bool = True,
) -> None:
    """Delete, or refuse with where it is used (a protected relation). What is
    recorded is the row as it is in the database, not the caller's copy; with
    ``record_values=False`` (personal data) only which fields it had."""
    with transaction.atomic():
        obj = type(obj)._default_manager.select_for_update().get(pk=obj.pk)
        snapshot = audit.snapshot(obj, tuple(allowed))
        pk, label, text = obj.pk, obj._meta.label_lower, str(obj)
        election_id = election_of(obj) if election_of else None
        try:
            with transaction.atomic():
                obj.delete()
        except (ProtectedError, RestrictedError) as error:
            raise in_use(obj, error) from None
        audit.record(
            action,
            by=by,
            object_type=label,
            object_id=pk,
            object_repr=text,
            election_id=election_id,
            changes={
                name: [value if record_values else "…", None]
                for name, value in snapshot.items()
                if record_values or value not in (None, "", [])
            },
        )
