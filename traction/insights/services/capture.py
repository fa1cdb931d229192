"""Use-cases of live capture: attribute a speaker (`Attribution`, `attribute`), capture an
insight onto the map, correct it and remove one captured by mistake. Attribution is decided
here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import ProtectedError, RestrictedError

from traction.core import audit, permissions
from traction.core.errors import NotFound, ValidationFailed
from traction.core.permissions import Viewer
from traction.core.text import require_length
from traction.core.writes import versioned_update
from traction.insights import extensions, selectors
from traction.insights.models import (
    Insight,
    InsightKind,
    InsightSource,
    InsightStatus,
    Step,
)
from traction.sessions.models import Session

from . import lanes
from .common import normalize_tags

INSIGHT_FIELDS = ["kind", "text", "step_id", "tags", "speaker"]


def _kept_as_evidence(insight: Insight) -> str:
    """Why the insight must be kept ("" when nothing refers to it): first what higher apps
    hold on it (voting: dots, a closed round's ranking), then its merges."""
    kept = extensions.why_kept(insight)
    if kept:
        return kept
    if insight.merged.exists():
        return "Other insights were merged into this card"
    if insight.status == InsightStatus.MERGED or insight.merged_into_id:
        return "This insight was merged into another card"
    return ""


# --- capture ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attribution:
    speaker_contact_id: int | None
    speaker_user_id: int | None
    speaker_name: str
    customer_id: int | None
    internal: bool


def attribute(session: Session, speaker: str) -> Attribution:
    """ "c:<contact id>" (a customer participant), "u:<user id>" (an internal participant) or ""."""
    if not speaker:
        return Attribution(None, None, "", None, False)
    for person in selectors.speakers(session):
        if person.key == speaker:
            return Attribution(
                person.contact_id,
                person.user_id,
                person.name,
                person.customer_id,
                person.internal,
            )
    raise ValidationFailed.field(
        "speaker", "Pick someone taking part in this session (a customer or a participant)."
    )


def _step_of(session: Session, step_id: int | None) -> Step | None:
    if step_id is None:
        return None
    step = (
        Step.objects.select_related("scenario")
        .filter(pk=step_id, scenario__session=session)
        .first()
    )
    if step is None:
        raise ValidationFailed.field("step", "Pick a step of one of this session's scenarios.")
    return step


def _clean_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise ValidationFailed.field("text", "Write what was said.")
    require_length("text", text, 5000)
    return text


def _kind(kind: str) -> str:
    if kind not in InsightKind.values:
        raise ValidationFailed.field("kind", f"Unknown type “{kind}”.")
    return kind


@transaction.atomic
def capture_insight(
    actor: Viewer,
    *,
    session: Session,
    kind: str,
    text: str,
    speaker: str = "",
    step_id: int | None = None,
    scenario_id: int | None = None,
    tags: str | Iterable[str] = "",
    source: str = InsightSource.LIVE,
    behalf_reason: str = "",
) -> Insight:
    """One insight, attributed to its speaker and step, straight onto the map.

    With ``behalf_reason`` the member enters what a customer told them outside the session
    ("She told me on the phone"): the speaker must be a customer contact, the source is
    ``behalf``, and the reason is kept; the contact can withdraw it from their portal."""
    permissions.check(actor, "insight.capture", session)
    behalf_reason = " ".join((behalf_reason or "").split())
    require_length("behalf_reason", behalf_reason, 300)
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for name, check in (
        ("kind", lambda: _kind(kind)),
        ("text", lambda: _clean_text(text)),
        ("who", lambda: attribute(session, speaker)),
        ("step", lambda: _step_of(session, step_id)),
        ("tags", lambda: normalize_tags(tags)),
    ):
        try:
            values[name] = check()
        except ValidationFailed as exc:
            for field, messages in exc.errors.items():
                errors.setdefault(field, []).extend(messages)
    if not errors and behalf_reason and values["who"].speaker_contact_id is None:
        errors["speaker"] = [
            "Pick the customer who told you this: only a customer's words are entered on "
            "their behalf."
        ]
    if errors:
        raise ValidationFailed(errors)
    step: Step | None = values["step"]
    scenario = step.scenario if step is not None else None
    if scenario is None and scenario_id is not None:
        scenario = session.scenarios.filter(pk=scenario_id).first()
        if scenario is None:
            raise ValidationFailed.field("scenario", "Pick one of this session's scenarios.")
    who: Attribution = values["who"]
    insight = Insight.objects.create(
        workspace_id=session.workspace_id,
        program_id=session.program_id,
        session=session,
        scenario=scenario,
        step=step,
        kind=values["kind"],
        text=values["text"],
        speaker_contact_id=who.speaker_contact_id,
        speaker_user_id=who.speaker_user_id,
        speaker_name=who.speaker_name,
        customer_id=who.customer_id,
        internal=who.internal,
        tags=values["tags"],
        status=InsightStatus.ACCEPTED,
        source=InsightSource.BEHALF if behalf_reason else source,
        behalf_reason=behalf_reason,
        captured_by_id=actor.user_id,
    )
    audit.record(
        actor,
        action="insight.captured",
        obj=insight,
        changes={
            "kind": insight.kind,
            "speaker": who.speaker_name,
            "internal": who.internal,
            "step": step.title if step else None,
        },
        reason=behalf_reason,
    )
    return insight


@transaction.atomic
def update_insight(
    actor: Viewer,
    *,
    insight: Insight,
    changes: dict[str, Any],
    version: int | None = None,
) -> Insight:
    """Correct an insight's type, text, step, speaker or tags (also while reviewing)."""
    permissions.check(actor, "insight.capture", insight.session)
    refused = sorted(set(changes) - set(INSIGHT_FIELDS))
    if refused:
        raise ValidationFailed({f: ["This field cannot be changed here."] for f in refused})
    session = insight.session
    fields: dict[str, Any] = {}
    if "kind" in changes:
        fields["kind"] = _kind(changes["kind"])
    if "text" in changes:
        fields["text"] = _clean_text(changes["text"])
    if "tags" in changes:
        fields["tags"] = normalize_tags(changes["tags"] or "")
    if "step_id" in changes:
        step = _step_of(session, changes["step_id"])
        fields["step"] = step
        fields["scenario"] = step.scenario if step else insight.scenario
    if "speaker" in changes:
        who = attribute(session, changes["speaker"] or "")
        fields.update(
            speaker_contact_id=who.speaker_contact_id,
            speaker_user_id=who.speaker_user_id,
            speaker_name=who.speaker_name,
            customer_id=who.customer_id,
            internal=who.internal,
        )
    if fields:
        extensions.check_change(insight, fields)
    updated = versioned_update(
        actor,
        insight,
        changes=fields,
        allowed=set(fields),
        expected_version=version,
        action="insight.changed",
    )
    if "kind" in fields or "scenario" in fields:
        lanes.drop_stale_links(updated)
        updated.__dict__.pop("visible_measures", None)  # read afresh, not the prefetched links
    return updated


@transaction.atomic
def remove_insight(actor: Viewer, *, insight: Insight, reason: str = "") -> None:
    """Delete an insight captured by mistake, while nothing refers to it.

    Refused once it is evidence: customers voted on it, a closed round's ranking holds it,
    other insights were merged into it, or it was merged into another card. The insight is
    locked first, so a vote arriving meanwhile either lands before (and the removal is
    refused) or waits and finds the card gone (voting locks the card too); should anything
    still refer to it, the database's PROTECT gives the same refusal, never an error page.
    """
    permissions.check(actor, "insight.capture", insight.session)
    locked = Insight.objects.select_for_update().filter(pk=insight.pk).first()
    if locked is None:
        raise NotFound("Insight not found.")
    refusal = _kept_as_evidence(locked)
    if refusal:
        raise ValidationFailed.field("__all__", f"{refusal}; it cannot be removed.")
    audit.record(
        actor,
        action="insight.removed",
        obj=locked,
        changes={"text": locked.text[:200], "kind": locked.kind},
        reason=reason,
    )
    try:
        with transaction.atomic():
            locked.delete()
    except (ProtectedError, RestrictedError):
        raise ValidationFailed.field(
            "__all__", "Something refers to this card now; it cannot be removed."
        ) from None
