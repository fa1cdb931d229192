"""Erasure: an erased contact's name and address leave what closing the loop kept of them.

Closing the loop adds a step to the insights erasure (``insights.erasure.ErasureStep``,
registered in ``registrations.register_all``), so one erasure rewrites every copy and is
audited once, with the loop's counts by model (``loop.update``, ``loop.updaterecipient``…),
never the erased values. The rows stay: who was told what, when, who approved it, who
unsubscribed, replied or answered "did it work for you?" are evidence.

- **By identity**: the contact's messages (``UpdateRecipient.name`` and ``.email``: the list
  the account owner approved) and their entries in approvals' snapshots
  (``Approval.snapshot["recipients"]``) become the tombstone, whatever name or address they
  were recorded with. Their messages still waiting to go (queued, failed) are skipped now;
  the mailer re-checks every message before sending anyway, and the audience leaves erased
  contacts out of every later update.
- **In free text**: their full former name(s), address(es) and speaker labels of two words
  or more (``Erasing.free``) are replaced as whole words in every text and JSON column of
  every loop model of the workspace (``texts_of``: found from the models, so a new column is
  covered without a change here): updates' subjects and bodies (a **sent** update is
  immutable except for this), approvals' snapshots and reasons, statuses' reasons and facts,
  the radar's drafts, replies, feedback comments, follows' reasons, delivery errors…, and in
  ``Contact.unreachable_reason`` (a bounce quotes the address).

A draft update whose text changed moves to its next version (an edit form opened before the
erasure is refused as stale, so it cannot put the name back); an update waiting for approval
or approved keeps its version, and its approvals' snapshots are rewritten alike, so the
approvals given or asked stay valid for the same text.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import Q

from traction.core import audit
from traction.core.writes import bump_versions
from traction.customers.models import Contact
from traction.insights.erasure import Erasing, ErasureStep

from .models import Approval, MessageState, Update, UpdateRecipient, UpdateState

STOPPED = "The contact was erased."
# Text columns that only ever hold a fixed vocabulary, or credentials and machine ids a
# rewrite would break (a provider's key, a replay token, a provider's event id): no person's
# name can be in them.
_FIXED_VOCABULARY = {
    ("loop", "approval", "subject_kind"),
    ("loop", "bouncekey", "secret"),
    ("loop", "bouncekey", "hint"),
    ("loop", "bouncekey", "username"),
    ("loop", "bouncenonce", "value"),
    ("loop", "mailbounce", "event_id"),
}


def texts_of(model: type[models.Model]) -> tuple[str, ...]:
    """The columns of ``model`` that can hold a person's name or address: every text and
    JSON column but those limited to choices (states, kinds, scopes)."""
    found = []
    for field in model._meta.concrete_fields:
        if not isinstance(field, models.CharField | models.TextField | models.JSONField):
            continue
        if field.choices or (model._meta.app_label, model._meta.model_name, field.name) in (
            _FIXED_VOCABULARY
        ):
            continue
        found.append(field.name)
    return tuple(found)


def in_workspace(model: type[models.Model], workspace_id: int) -> models.QuerySet[Any] | None:
    """The rows of ``model`` in the workspace (through its program when it has no workspace
    of its own); None for a model tied to neither (the coverage test refuses such a model)."""
    names = {f.name for f in model._meta.concrete_fields}
    manager = model._base_manager
    if "workspace" in names:
        return manager.filter(workspace_id=workspace_id)
    if "program" in names:
        return manager.filter(program__workspace_id=workspace_id)
    return None


def recorded_labels(contact: Any) -> set[str]:
    """How the loop wrote the contact: the names their messages were approved with."""
    names = set(
        UpdateRecipient.objects.filter(contact_id=contact.pk).values_list("name", flat=True)
    )
    return {n for n in names if n and n.strip()}


def _tombstoned(snapshot: Any, contact_id: int, name: str, email: str) -> Any:
    """An approval's snapshot with the contact's recipient entry named by the tombstone."""
    if not isinstance(snapshot, dict) or not isinstance(snapshot.get("recipients"), list):
        return snapshot
    recipients = [
        {**r, "name": name, "email": email}
        if isinstance(r, dict) and r.get("contact_id") == contact_id
        else r
        for r in snapshot["recipients"]
    ]
    return {**snapshot, "recipients": recipients}


def erase(erasing: Erasing) -> dict[str, int]:
    """Rewrite the contact's name and address in the loop's rows; the counts by model."""
    contact, ws, free = erasing.contact, erasing.workspace_id, erasing.free
    name, email = str(contact.name), str(contact.email)
    counts: dict[str, int] = {}

    def count(key: str, n: int) -> None:
        if n:
            counts[f"loop.{key}"] = counts.get(f"loop.{key}", 0) + n

    # By identity: their messages and their places in the approved lists.
    mine = UpdateRecipient.objects.filter(contact_id=contact.pk)
    count(
        "messages_stopped",
        mine.filter(state__in=[MessageState.QUEUED, MessageState.FAILED]).update(
            state=MessageState.SKIPPED, next_attempt_at=None, last_error=STOPPED
        ),
    )
    count("messages_renamed", mine.exclude(name=name, email=email).update(name=name, email=email))
    # An approval lists its own organisation's recipients; one recorded elsewhere (the contact
    # moved) still holds their old name or address.
    listed = Approval.objects.filter(workspace_id=ws, subject_kind="update").filter(
        Q(customer_id=contact.customer_id) | audit.mentioning(free, [], ["snapshot"])
    )
    for pk, snapshot in listed.values_list("pk", "snapshot").iterator():
        new = _tombstoned(snapshot, contact.pk, name, email)
        if new != snapshot:
            Approval.objects.filter(pk=pk).update(snapshot=new)
            count("approval_lists", 1)
    # Free text, in every loop model.
    for model in apps.get_app_config("loop").get_models():
        fields = texts_of(model)
        rows = in_workspace(model, ws)
        if not fields or rows is None:
            continue
        count(model._meta.model_name or "", _rewrite(model, rows, fields, free))
    # A bounce's reason quotes the address.
    reasons = Contact.objects.filter(workspace_id=ws).filter(
        audit.mentioning(free, ["unreachable_reason"])
    )
    for pk, reason in reasons.values_list("pk", "unreachable_reason"):
        new_reason = audit.replace_texts(reason, free)[:300]
        if new_reason != reason:
            if pk == contact.pk:
                Contact.objects.filter(pk=pk).update(unreachable_reason=new_reason)
                contact.unreachable_reason = new_reason
            else:
                bump_versions(Contact.objects.filter(pk=pk), unreachable_reason=new_reason)
            count("unreachable_reasons", 1)
    return counts


def _rewrite(
    model: type[models.Model],
    rows: models.QuerySet[Any],
    fields: tuple[str, ...],
    free: dict[str, str],
) -> int:
    """Whole-word replacement of ``free`` in ``fields`` of the rows mentioning it; a draft
    update moves to its next version."""
    text_fields = [f for f in fields if not isinstance(model._meta.get_field(f), models.JSONField)]
    json_fields = [f for f in fields if f not in text_fields]
    changed = 0
    candidates = rows.filter(audit.mentioning(free, text_fields, json_fields))
    for row in candidates.values("pk", *fields).iterator():
        new = {f: audit.replace_texts(row[f], free) for f in fields}
        new = {f: _fit(model, f, v) for f, v in new.items() if v != row[f]}
        if not new:
            continue
        one = model._base_manager.filter(pk=row["pk"])
        if model is Update:
            drafts = one.filter(state=UpdateState.DRAFT)
            if not bump_versions(drafts, **new):
                one.update(**new)
        else:
            one.update(**new)
        changed += 1
    return changed


def _fit(model: type[models.Model], field: str, value: Any) -> Any:
    """A rewritten text cut to its column's length (a tombstone can be longer than a name)."""
    limit = getattr(model._meta.get_field(field), "max_length", None)
    return value[:limit] if isinstance(value, str) and limit else value


STEP = ErasureStep(labels=recorded_labels, rewrite=erase)

__all__ = ["STEP", "STOPPED", "erase", "in_workspace", "recorded_labels", "texts_of"]
