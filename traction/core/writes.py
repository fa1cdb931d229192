"""Building blocks for services: validation and optimistic-concurrency updates, audited.

Optimistic concurrency is one mechanism, here: every model with a ``version`` moves to its
next version only through ``versioned_update`` (an edit based on what the caller read),
``save_new_version`` (a row the service holds locked) or ``bump_versions`` (many rows in one
UPDATE); ``expect_version`` refuses a stale edit before a locked write.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models
from django.db.models import F

from . import audit, clock
from .errors import Conflict, ValidationFailed
from .permissions import Viewer

M = TypeVar("M", bound=models.Model)


def validate(obj: models.Model, *, exclude: Iterable[str] = ()) -> None:
    """Run the model's own validation and raise ValidationFailed naming each field."""
    try:
        obj.full_clean(exclude=list(exclude), validate_unique=True, validate_constraints=True)
    except DjangoValidationError as exc:
        errors: dict[str, list[str]] = {}
        for key, problems in exc.error_dict.items():
            for problem in problems:
                field, message = _place(obj, key, problem)
                errors.setdefault(field, []).append(message)
        raise ValidationFailed(errors) from None


# Scoping columns of a uniqueness rule: the clash is about the other field ("name", "email").
_SCOPES = {"workspace", "customer", "program"}


def _place(obj: models.Model, key: str, problem: DjangoValidationError) -> tuple[str, str]:
    """Put a uniqueness clash on the field a person typed, with a message they understand."""
    params = problem.params or {}
    fields = [f for f in params.get("unique_check", ()) if f not in _SCOPES]
    if key == "__all__" and problem.code in ("unique", "unique_together") and len(fields) == 1:
        field = obj._meta.get_field(fields[0])
        label = str(getattr(field, "verbose_name", fields[0]))
        value = getattr(obj, getattr(field, "attname", fields[0]), "")
        what = str(obj._meta.verbose_name)
        return fields[0], f"There is already a {what} with the {label} “{value}” here."
    return key, " ".join(str(m) for m in problem.messages)


def save_new(obj: M, *, exclude: Iterable[str] = ()) -> M:
    validate(obj, exclude=exclude)
    try:
        obj.save()
    except IntegrityError as exc:  # a racing duplicate that validation could not see yet
        raise ValidationFailed.field(
            "__all__", f"This clashes with an existing record ({exc})."
        ) from None
    return obj


def stale_message(model: type[models.Model]) -> str:
    return (
        f"This {model._meta.verbose_name} was changed by someone else since you opened it. "
        "Reload to see their changes, then apply yours again."
    )


def expect_version(obj: models.Model, expected: int | None, *, message: str = "") -> None:
    """Conflict if the caller read another version than ``obj`` (a row the service holds
    locked) has; ``expected`` None means "whatever is current"."""
    if expected is not None and expected != obj.version:  # type: ignore[attr-defined]
        raise Conflict(message or stale_message(type(obj)))


def _stamps(model: type[models.Model], now: datetime) -> dict[str, datetime]:
    # QuerySet.update() skips auto_now, so "updated_at" would keep its old time.
    return {f.attname: now for f in model._meta.concrete_fields if getattr(f, "auto_now", False)}


def save_new_version(obj: M, *, fields: Iterable[str] | None = None) -> M:
    """Save a row the service holds locked (``select_for_update``) as its next version:
    ``fields`` (every field if None), the version and the ``auto_now`` times."""
    obj.version += 1  # type: ignore[attr-defined]
    if fields is None:
        obj.save()
    else:
        stamped = [f.name for f in obj._meta.concrete_fields if getattr(f, "auto_now", False)]
        obj.save(update_fields=[*fields, "version", *stamped])
    return obj


def bump_versions(rows: models.QuerySet[M], **values: Any) -> int:
    """Set ``values`` on every row of ``rows`` as its next version, in one UPDATE (with the
    ``auto_now`` times); how many rows changed."""
    values = {**_stamps(rows.model, clock.now()), **values}
    return rows.update(version=F("version") + 1, **values)


def versioned_update(
    actor: Viewer,
    obj: M,
    *,
    changes: Mapping[str, Any],
    allowed: Iterable[str],
    expected_version: int | None,
    action: str,
    reason: str = "",
) -> M:
    """Apply ``changes`` to ``obj`` if nobody saved it since ``expected_version``.

    The write is one conditional UPDATE (``WHERE version = expected``), so two parallel
    editors never silently overwrite each other: the second gets a Conflict to resolve.
    ``expected_version`` None means "whatever is current" (used by operators and scripts).
    """
    allowed = set(allowed)
    refused = sorted(set(changes) - allowed)
    if refused:
        raise ValidationFailed({f: ["This field cannot be changed here."] for f in refused})
    before = audit.snapshot(obj, sorted(changes))
    for name, value in changes.items():
        setattr(obj, name, value)
    validate(obj)
    if audit.snapshot(obj, sorted(changes)) == before:
        return obj  # nothing to change: no new version, nothing to audit, nothing to conflict
    version = expected_version if expected_version is not None else obj.version  # type: ignore[attr-defined]
    model = type(obj)
    attnames = [getattr(model._meta.get_field(name), "attname", name) for name in changes]
    values = {attname: getattr(obj, attname) for attname in attnames}
    updated = bump_versions(model._default_manager.filter(pk=obj.pk, version=version), **values)
    if updated == 0:
        raise Conflict(stale_message(model))
    obj.refresh_from_db()
    after = audit.snapshot(obj, sorted(changes))
    delta = audit.diff(before, after)
    if delta:
        audit.record(actor, action=action, obj=obj, changes=delta, reason=reason)
    return obj
