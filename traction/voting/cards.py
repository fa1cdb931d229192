"""What voting adds to insights' cards ("a card can be voted on" is ``Insight.is_votable``
and ``Insight.objects.votable()``; what follows from dots spent on it lives here), registered
into ``insights.extensions`` from ``VotingConfig.ready``:

- each card's dots on the map (``dot_totals``);
- a voted card, or one a closed round's ranking holds, is kept as evidence (``why_kept``);
- a voted card stays votable whatever is edited (``check_change``);
- merging moves each customer's dots on the merged cards to the kept card, and refuses when
  the kept card cannot be voted on (``move_dots``).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from django.db.models import F, IntegerField, OuterRef, Subquery, Sum

from traction.core.errors import ValidationFailed
from traction.core.permissions import Viewer
from traction.insights import rules as insight_rules
from traction.insights.extensions import CardExtension
from traction.insights.models import Insight

from .models import FrozenCard, Vote


def dot_totals(viewer: Viewer) -> Subquery:
    """Each insight's dots counted over the votes the viewer may see (an account owner: their
    own customers' votes, as on the ranking and the room screen), as a subquery (joins would
    multiply under scoped filters)."""
    votes = Vote.objects.filter(insight=OuterRef("pk"))
    customers = insight_rules.visible_customers(viewer)
    if customers is not None:
        votes = votes.filter(contact__customer__in=customers)
    return Subquery(
        votes.values("insight").annotate(total=Sum("dots")).values("total")[:1],
        output_field=IntegerField(),
    )


def why_kept(insight: Insight) -> str:
    if Vote.objects.filter(insight=insight).exists():
        return "Customers have voted on this card"
    if Vote.history.filter(insight=insight).exists():
        return "Dots entered for a customer on this card were withdrawn, and are kept"
    if FrozenCard.objects.filter(insight=insight).exists():
        return "This card is part of a closed round's ranking"
    return ""


def check_change(insight: Insight, fields: dict[str, Any]) -> None:
    if not Vote.objects.filter(insight=insight).exists():
        return
    after = copy.copy(insight)
    for name, value in fields.items():
        setattr(after, name, value)
    if not after.is_votable:
        raise ValidationFailed.field(
            "kind" if "kind" in fields else "speaker",
            "Customers have voted on this card; it must stay a moment of truth, issue "
            "or idea said by a customer.",
        )


def move_dots(actor: Viewer, into: Insight, merged_ids: Sequence[int]) -> dict[str, Any]:
    """Dots follow the words: each customer's dots on the merged cards go to the kept one.
    Returns ``{"dots_moved": {contact id: dots}}`` for the merge's audit event."""
    moving = list(
        Vote.objects.filter(insight_id__in=merged_ids)
        .values("contact_id")
        .annotate(dots=Sum("dots"))
        .order_by("contact_id")
    )
    if not moving:
        return {"dots_moved": {}}
    if not into.is_votable:
        raise ValidationFailed.field(
            "into",
            "Customers voted on the insights you are merging; merge them into a card customers "
            "can vote on (an accepted moment of truth, issue or idea said by a customer), or "
            "their dots would be spent on nothing.",
        )
    for row in moving:
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
    Vote.objects.filter(insight_id__in=merged_ids).delete()
    return {"dots_moved": {str(r["contact_id"]): r["dots"] for r in moving}}


EXTENSION = CardExtension(
    dots=dot_totals, why_kept=why_kept, check_change=check_change, merging=move_dots
)
