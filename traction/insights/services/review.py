"""Use-cases of the review queue: accept or discard imported candidates, and merge insights
of a session into one (text, tags and votes follow). Both check ``insight.import``.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.db.models import F, Sum

from traction.core import audit, permissions
from traction.core.errors import NotFound, ValidationFailed
from traction.core.permissions import Viewer
from traction.insights.models import Insight, InsightStatus, Vote
from traction.sessions.models import Session

from .common import MAX_TAGS, normalize_tags

# --- the review queue -------------------------------------------------------------------------


def _candidates(session: Session, insight_ids: Sequence[int]) -> list[Insight]:
    found = list(
        Insight.objects.filter(session=session, pk__in=set(insight_ids)).select_for_update()
    )
    if len(found) != len(set(insight_ids)):
        raise NotFound("Some of these insights are not in this session's review queue.")
    return found


@transaction.atomic
def review_insights(
    actor: Viewer, *, session: Session, insight_ids: Sequence[int], decision: str
) -> int:
    """Accept or discard candidates from the review queue; returns how many changed."""
    permissions.check(actor, "insight.import", session)
    if decision not in ("accept", "discard"):
        raise ValidationFailed.field("decision", "Say “accept” or “discard”.")
    if not insight_ids:
        raise ValidationFailed.field("insight_ids", "Pick at least one insight.")
    target = InsightStatus.ACCEPTED if decision == "accept" else InsightStatus.DISCARDED
    found = _candidates(session, insight_ids)
    changing = [i.pk for i in found if i.status == InsightStatus.CANDIDATE]
    wrong = [i.pk for i in found if i.status != InsightStatus.CANDIDATE]
    if wrong and not changing:
        raise ValidationFailed.field("insight_ids", "These insights were already reviewed.")
    Insight.objects.filter(pk__in=changing).update(status=target, version=F("version") + 1)
    audit.record(
        actor,
        action=f"insights.{'accepted' if decision == 'accept' else 'discarded'}",
        obj=session,
        changes={"insights": changing},
    )
    return len(changing)


@transaction.atomic
def merge_insights(actor: Viewer, *, into: Insight, others: Sequence[int]) -> Insight:
    """Fold other insights of the same session into one: their text is appended to it,
    their votes become its votes, and they are kept, marked merged, for the record."""
    session = into.session
    permissions.check(actor, "insight.import", session)
    ids = [i for i in dict.fromkeys(others) if i != into.pk]
    if not ids:
        raise ValidationFailed.field("others", "Pick at least one other insight to merge.")
    found = {i.pk: i for i in _candidates(session, ids)}
    if any(i.status in (InsightStatus.MERGED, InsightStatus.DISCARDED) for i in found.values()):
        raise ValidationFailed.field("others", "Merged or discarded insights cannot be merged.")
    into = Insight.objects.select_for_update().get(pk=into.pk)
    parts = [into.text] + [found[i].text for i in ids]
    into.text = " ".join(p.strip() for p in parts if p.strip())[:5000]
    into.tags = normalize_tags(
        into.tags.split() + [t for i in ids for t in found[i].tags.split()][:MAX_TAGS]
    )
    into.version += 1
    into.save(update_fields=["text", "tags", "version"])
    # Votes follow the text: each customer's dots on the merged cards go to the kept one.
    for row in (
        Vote.objects.filter(insight_id__in=ids).values("contact_id").annotate(dots=Sum("dots"))
    ):
        vote, created = Vote.objects.get_or_create(
            insight=into,
            contact_id=row["contact_id"],
            defaults={
                "workspace_id": into.workspace_id,
                "session_id": into.session_id,
                "dots": row["dots"],
                "channel": "room",
                "recorded_by_id": actor.user_id,
            },
        )
        if not created:
            Vote.objects.filter(pk=vote.pk).update(dots=F("dots") + row["dots"])
    Vote.objects.filter(insight_id__in=ids).delete()
    Insight.objects.filter(pk__in=ids).update(
        status=InsightStatus.MERGED, merged_into=into, version=F("version") + 1
    )
    audit.record(actor, action="insights.merged", obj=into, changes={"merged": ids})
    return into
