"""Use-cases of the review queue: accept or discard imported candidates (with the type and
step corrections shown beside them), put discarded ones back, and merge insights of a session
into one card (each keeps its words and speaker as a contributor; tags follow, and the
voting app moves the dots).
All check ``insight.import``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction

from traction.core import audit, permissions
from traction.core.errors import NotFound, ValidationFailed
from traction.core.permissions import Viewer
from traction.core.writes import bump_versions, save_new_version
from traction.insights import extensions
from traction.insights.models import Insight, InsightStatus
from traction.sessions.models import Session

from . import lanes
from .capture import update_insight
from .common import normalize_tags

Corrections = Mapping[int, Mapping[str, Any]]
"""Per insight id, the ``kind`` and ``step_id`` the reviewer sees on screen."""

# --- the review queue -------------------------------------------------------------------------


def _candidates(session: Session, insight_ids: Sequence[int]) -> list[Insight]:
    found = list(
        Insight.objects.filter(session=session, pk__in=set(insight_ids)).select_for_update()
    )
    if len(found) != len(set(insight_ids)):
        raise NotFound("Some of these insights are not in this session's review queue.")
    return found


def _correct(actor: Viewer, found: Sequence[Insight], corrections: Corrections | None) -> None:
    """Apply the type and step shown on screen to the candidates being decided, so a
    correction nobody saved row by row is not lost; one refused correction refuses all."""
    for insight in found:
        wanted = (corrections or {}).get(insight.pk)
        if not wanted or insight.status != InsightStatus.CANDIDATE:
            continue
        changes = {
            name: value
            for name, value in wanted.items()
            if name in ("kind", "step_id") and getattr(insight, name) != value
        }
        if not changes:
            continue
        try:
            update_insight(actor, insight=insight, changes=changes)
        except ValidationFailed as exc:
            line = f"Line {insight.source_line}: " if insight.source_line else ""
            raise ValidationFailed(
                {name: [line + m for m in ms] for name, ms in exc.errors.items()}
            ) from exc


@transaction.atomic
def review_insights(
    actor: Viewer,
    *,
    session: Session,
    insight_ids: Sequence[int],
    decision: str,
    corrections: Corrections | None = None,
) -> int:
    """Accept or discard candidates from the review queue; returns how many changed.

    Accepting first applies ``corrections`` (type and step per candidate, as shown on the
    reviewer's screen) in the same transaction."""
    permissions.check(actor, "insight.import", session)
    if decision not in ("accept", "discard"):
        raise ValidationFailed.field("decision", "Say “accept” or “discard”.")
    if not insight_ids:
        raise ValidationFailed.field("insight_ids", "Pick at least one insight.")
    target = InsightStatus.ACCEPTED if decision == "accept" else InsightStatus.DISCARDED
    found = _candidates(session, insight_ids)
    if decision == "accept":
        _correct(actor, found, corrections)
    changing = [i.pk for i in found if i.status == InsightStatus.CANDIDATE]
    wrong = [i.pk for i in found if i.status != InsightStatus.CANDIDATE]
    if wrong and not changing:
        raise ValidationFailed.field("insight_ids", "These insights were already reviewed.")
    bump_versions(Insight.objects.filter(pk__in=changing), status=target)
    audit.record(
        actor,
        action=f"insights.{'accepted' if decision == 'accept' else 'discarded'}",
        obj=session,
        changes={"insights": changing},
    )
    return len(changing)


@transaction.atomic
def restore_insights(actor: Viewer, *, session: Session, insight_ids: Sequence[int]) -> int:
    """Undo a discard: discarded insights of the session go back to the review queue as
    candidates; returns how many did."""
    permissions.check(actor, "insight.import", session)
    if not insight_ids:
        raise ValidationFailed.field("insight_ids", "Pick at least one insight.")
    found = _candidates(session, insight_ids)
    changing = [i.pk for i in found if i.status == InsightStatus.DISCARDED]
    if not changing:
        raise ValidationFailed.field(
            "insight_ids", "None of these insights is discarded; nothing to put back."
        )
    bump_versions(Insight.objects.filter(pk__in=changing), status=InsightStatus.CANDIDATE)
    audit.record(actor, action="insights.restored", obj=session, changes={"insights": changing})
    return len(changing)


@transaction.atomic
def merge_insights(
    actor: Viewer,
    *,
    into: Insight,
    others: Sequence[int],
    corrections: Corrections | None = None,
) -> Insight:
    """Fold other insights of the same session into one card.

    Attribution survives: the card's own words, speaker and organisation are not rewritten;
    each merged insight is kept as it was, marked merged into the card, and shown on it as
    a contributor with its own speaker, organisation and words (``Insight.contributors``).
    Their tags join the card's; cards merged into them move to the card as well.

    Refused: an internal remark merged with a customer's words (either way round); a card
    already merged or discarded, on either side; and dots that would land on a card that
    cannot be voted on (``Insight.is_votable``). Otherwise each customer's dots on the
    merged cards move to the card, so what a customer has spent is what the ranking shows.

    ``corrections`` (type and step per candidate, as on the reviewer's screen) are applied
    first, in the same transaction, so the kept card has what the reviewer chose.
    """
    session = into.session
    permissions.check(actor, "insight.import", session)
    ids = [i for i in dict.fromkeys(others) if i != into.pk]
    if not ids:
        raise ValidationFailed.field("others", "Pick at least one other insight to merge.")
    if corrections:
        _correct(actor, _candidates(session, [into.pk, *ids]), corrections)
    found = {i.pk: i for i in _candidates(session, ids)}
    into = Insight.objects.select_for_update().get(pk=into.pk)
    closed = (InsightStatus.MERGED, InsightStatus.DISCARDED, InsightStatus.WITHDRAWN)
    if into.status in closed:
        raise ValidationFailed.field(
            "into",
            "Merge into a card on the map or in the queue, not a merged, discarded or "
            "withdrawn one.",
        )
    if any(i.status in closed for i in found.values()):
        raise ValidationFailed.field(
            "others", "Merged, discarded or withdrawn insights cannot be merged."
        )
    mixed = [i for i in found.values() if i.internal != into.internal]
    if mixed:
        raise ValidationFailed.field(
            "others",
            "An internal participant's remark never merges with a customer's words: "
            + ", ".join(f"“{i.text[:60]}”" for i in mixed)
            + (" is internal." if not into.internal else " is a customer's."),
        )
    # Dots follow the words (voting moves each customer's dots on the merged cards to the kept
    # one, or refuses when the kept card cannot be voted on).
    recorded = extensions.merging(actor, into, ids)
    words = into.tags.split() + [t for i in ids for t in found[i].tags.split()]
    into.tags = normalize_tags(list(dict.fromkeys(words)), fit=True)
    save_new_version(into, fields=["tags"])
    Insight.objects.filter(merged_into_id__in=ids).update(merged_into=into)
    lanes.follow_merge(into, ids)
    bump_versions(Insight.objects.filter(pk__in=ids), status=InsightStatus.MERGED, merged_into=into)
    audit.record(
        actor,
        action="insights.merged",
        obj=into,
        changes={
            "merged": ids,
            "speakers": {str(i): found[i].speaker_name for i in ids},
            **recorded,
        },
    )
    return into
