"""Recording audit events from services."""

from __future__ import annotations

import contextvars
import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.db import models
from django.db.models import Q

from . import clock
from .models import AuditEvent
from .permissions import CustomerPrincipal, Principal, Viewer

log = logging.getLogger(__name__)

_channel: contextvars.ContextVar[str] = contextvars.ContextVar("traction_channel", default="web")


@contextmanager
def channel(name: str) -> Iterator[None]:
    """Interfaces say where a change came from: web (default), api, cli, system."""
    token = _channel.set(name)
    try:
        yield
    finally:
        _channel.reset(token)


def record(
    viewer: Principal | None,
    *,
    action: str,
    obj: models.Model,
    workspace_id: int | None = None,
    changes: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    """Append one event. Call inside the service's transaction so it commits with the change."""
    ws = workspace_id if workspace_id is not None else getattr(obj, "workspace_id", None)
    if ws is None and viewer is not None:
        ws = viewer.workspace_id
    if ws is None:
        raise ValueError("an audit event needs a workspace")
    user = viewer.user if isinstance(viewer, Viewer) else None
    if isinstance(viewer, CustomerPrincipal):
        # By id, not name: an erased contact's name must not survive in the trail.
        label = f"customer contact #{viewer.contact_id}"
    else:
        label = getattr(user, "email", "") or "system"
    return AuditEvent.objects.create(
        workspace_id=ws,
        actor_id=user.pk if user is not None else None,
        actor_label=label,
        via=_channel.get(),
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk or ""),
        object_repr=str(obj)[:200],
        changes=_jsonable(changes or {}),
        reason=reason,
    )


# Refusals answered to someone outside the workspace (a link's holder, a portal contact) are
# audited up to this many an hour per action and object; the rest go to the server's log, so
# that requests no member makes cannot grow the append-only trail without end.
OUTSIDERS_AUDITED_PER_HOUR = 20


def record_refusal(
    viewer: Principal | None,
    *,
    action: str,
    obj: models.Model,
    workspace_id: int | None = None,
    changes: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent | None:
    """``record`` a refusal, unless ``OUTSIDERS_AUDITED_PER_HOUR`` events of ``action``
    about ``obj`` were recorded within the hour: then it is logged (WARNING) instead, and
    None is returned."""
    recent = AuditEvent.objects.filter(
        action=action,
        at__gte=clock.now() - timedelta(hours=1),
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk or ""),
    ).count()
    if recent >= OUTSIDERS_AUDITED_PER_HOUR:
        log.warning(
            "Refused %s on %s %s (%s); not audited: %s refusals of it in the last hour.",
            action, obj._meta.label_lower, obj.pk, reason, recent,
        )  # fmt: skip
        return None
    return record(
        viewer, action=action, obj=obj, workspace_id=workspace_id, changes=changes, reason=reason
    )


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Only the fields that changed, as {field: [old, new]}."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def snapshot(obj: models.Model, fields: list[str]) -> dict[str, Any]:
    return {f: _jsonable(getattr(obj, f)) for f in fields}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, models.Model):
        return str(value.pk)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


# --- erasure: the one path that rewrites recorded events -------------------------------------
#
# The trail is append-only (``AuditEvent`` refuses updates), with one deliberate exception: when
# a person's identity is erased (``customers.services.erase_contact``), their name and email
# must not survive anywhere, the trail included. ``redact`` rewrites, in one workspace's events,
# every occurrence of the given texts in ``object_repr``, ``changes`` and ``reason``, and only
# those texts: who did what and when stays. The erasure itself is recorded as a new event.


def replace_texts(value: Any, replacements: dict[str, str]) -> Any:
    """``value`` (text, or JSON-like lists and dicts of it) with every key of ``replacements``
    replaced by its value, case-insensitively; a name only as a whole word ("Al" leaves
    "Alice" alone)."""
    if isinstance(value, str):
        # Longest first: "Gina Globex-Smith" before "Gina Globex".
        for old, new in sorted(replacements.items(), key=lambda item: -len(item[0])):
            if old:
                value = _pattern(old).sub(new.replace("\\", "\\\\"), value)
        return value
    if isinstance(value, dict):
        return {
            replace_texts(k, replacements): replace_texts(v, replacements) for k, v in value.items()
        }
    if isinstance(value, list):
        return [replace_texts(v, replacements) for v in value]
    return value


def mentioning(
    values: Iterable[str], fields: Iterable[str] = (), json_fields: Iterable[str] = ()
) -> Q:
    """The database pre-filter of an erasure: rows where one of ``fields`` (text) or
    ``json_fields`` (JSON, searched as stored text) contains one of ``values``, ignoring case
    as far as the database can. Only these rows are loaded and rewritten (``replace_texts``
    then decides, whole words only); no values or no fields: matches nothing."""
    forms: set[str] = set()
    for value in values:
        if value and value.strip():
            forms |= {value, value.lower(), value.upper(), value.title()}
    # JSON stored as text escapes quotes, backslashes and (SQLite) non-ASCII letters.
    json_forms = forms | {json.dumps(f)[1:-1] for f in forms}
    query = Q(pk__in=[])
    for field in fields:
        for form in forms:
            query |= Q(**{f"{field}__icontains": form})
    for field in json_fields:
        for form in json_forms:
            query |= Q(**{f"{field}__icontains": form})
    return query


def _pattern(text: str) -> re.Pattern[str]:
    escaped = re.escape(text)
    # Whole words where the text starts or ends with a word character.
    left = r"(?<!\w)" if text[:1].isalnum() else ""
    right = r"(?!\w)" if text[-1:].isalnum() else ""
    return re.compile(left + escaped + right, re.IGNORECASE)


def redact(workspace_id: int, replacements: dict[str, str]) -> int:
    """Rewrite ``replacements`` in the workspace's recorded events; returns how many changed.

    For erasure only (see above). Runs inside the erasing service's transaction.
    """
    replacements = {k: v for k, v in replacements.items() if k.strip() and k != v}
    if not replacements:
        return 0
    changed = 0
    rows = (
        AuditEvent.objects.filter(workspace_id=workspace_id)
        .filter(mentioning(replacements, ["object_repr", "reason"], ["changes"]))
        .values_list("pk", "object_repr", "changes", "reason")
    )
    for pk, object_repr, changes, reason in rows.iterator():
        new_repr = replace_texts(object_repr, replacements)
        new_changes = replace_texts(changes, replacements)
        new_reason = replace_texts(reason, replacements)
        if (new_repr, new_changes, new_reason) != (object_repr, changes, reason):
            # The plain QuerySet.update: AuditEventQuerySet.update refuses on purpose.
            models.QuerySet.update(
                AuditEvent.objects.filter(pk=pk),
                object_repr=new_repr[:200],
                changes=new_changes,
                reason=new_reason,
            )
            changed += 1
    return changed


def redact_changes(events: models.QuerySet[AuditEvent], rewrite: Callable[[Any], Any]) -> int:
    """Rewrite the ``changes`` of the given events (already narrowed by the caller to one
    workspace and to candidates) with ``rewrite``; for erasure only, like ``redact``. Used
    where a value is replaced by its position rather than by its text (a speaker label as
    short as "Al" is replaced where it is the speaker, never inside someone's words)."""
    changed = 0
    for pk, changes in events.values_list("pk", "changes").iterator():
        new_changes = rewrite(changes)
        if new_changes != changes:
            models.QuerySet.update(AuditEvent.objects.filter(pk=pk), changes=new_changes)
            changed += 1
    return changed


def redact_object(obj: models.Model, replacements: dict[str, str]) -> int:
    """Like ``redact``, limited to the events about ``obj`` itself (e.g. an erased contact's
    title and notes, too common to replace workspace-wide)."""
    replacements = {k: v for k, v in replacements.items() if k.strip()}
    if not replacements:
        return 0
    changed = 0
    rows = AuditEvent.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).values_list("pk", "changes")
    for pk, changes in rows.iterator():
        new_changes = replace_texts(changes, replacements)
        if new_changes != changes:
            models.QuerySet.update(AuditEvent.objects.filter(pk=pk), changes=new_changes)
            changed += 1
    return changed


_ADDRESS = re.compile(r"[^\s\"'<>,;]+@[^\s\"'<>,;]+")


def _addresses(value: Any) -> set[str]:
    """Every email address in a task's arguments (lower case)."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return {found.lower() for found in _ADDRESS.findall(text or "")}


def redact_queued_tasks(
    replacements: dict[str, str], *, address: str, audience: Iterable[str] = ()
) -> int:
    """Rewrite ``replacements`` in stored background tasks (their arguments, results and
    tracebacks, e.g. an email address a refused delivery quoted). A queued email to an erased
    address then goes to its ``.invalid`` tombstone: nowhere.

    Tasks carry no workspace, so only the tasks that concern the erased person are touched:
    those naming their exact ``address``, and those written to someone of their workspace
    (``audience``: its members' addresses). A namesake in another workspace's queued email
    keeps their name."""
    from django.apps import apps

    replacements = {k: v for k, v in replacements.items() if k.strip() and k != v}
    if not apps.is_installed("django_tasks_db") or not replacements:
        return 0
    from django_tasks_db.models import DBTaskResult

    address = address.strip().lower()
    audience = {a.strip().lower() for a in audience if a.strip()}
    changed = 0
    rows = DBTaskResult.objects.filter(
        mentioning(replacements, ["traceback"], ["args_kwargs", "return_value"])
    ).values_list("pk", "args_kwargs", "return_value", "traceback")
    for pk, args_kwargs, return_value, traceback in rows.iterator():
        found = _addresses(args_kwargs) | _addresses(return_value) | _addresses(traceback)
        if not (address and address in found) and not (found & audience):
            continue  # someone else's task (perhaps another workspace's namesake)
        new = (
            replace_texts(args_kwargs, replacements),
            replace_texts(return_value, replacements),
            replace_texts(traceback, replacements),
        )
        if new != (args_kwargs, return_value, traceback):
            DBTaskResult.objects.filter(pk=pk).update(
                args_kwargs=new[0], return_value=new[1], traceback=new[2]
            )
            changed += 1
    return changed
