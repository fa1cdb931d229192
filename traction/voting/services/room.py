"""In the room: the facilitator's shared screen puts one of a customer's dots on a card
(``add_dot``) or takes one off (``remove_dot``), within the budget, while voting is open; the
facilitator hides the running totals from the screen and reveals them (``show_totals``).
"""

from __future__ import annotations

from django.db import transaction

from traction.core import audit, permissions
from traction.core.errors import ValidationFailed
from traction.core.permissions import Viewer
from traction.sessions.models import Session
from traction.voting.models import Vote, VoteChannel, VotingRound

from .checks import find_card, find_voter, locked_round, open_round, plural, spent


@transaction.atomic
def add_dot(actor: Viewer, *, session: Session, contact_id: int, insight_id: int) -> Vote:
    """In the room: put one of the customer's dots on a card (the facilitator's screen)."""
    permissions.check(actor, "voting.run", session)
    found = open_round(session)
    voter = find_voter(session, contact_id)
    card = find_card(session, insight_id)
    used = spent(session, voter.pk)
    if used >= found.budget:
        raise ValidationFailed.field(
            "contact_id",
            f"{voter.name} has used all {plural(found.budget)}; remove a dot first.",
        )
    vote = Vote.objects.filter(insight=card, contact=voter).first()
    if vote is None:
        vote = Vote(
            workspace_id=session.workspace_id, session=session, insight=card, contact=voter, dots=0
        )
    vote.dots += 1
    vote.channel = VoteChannel.ROOM
    vote.recorded_by_id = actor.user_id
    vote.behalf_reason = ""  # cast in the room by the customer themselves
    vote.save()
    audit.record(
        actor,
        action="vote.added",
        obj=found,
        changes={"insight": card.pk, "contact": voter.pk, "dots": [vote.dots - 1, vote.dots]},
    )
    return vote


@transaction.atomic
def remove_dot(actor: Viewer, *, session: Session, contact_id: int, insight_id: int) -> int:
    """In the room: take one of the customer's dots off a card; returns the dots left on it."""
    permissions.check(actor, "voting.run", session)
    found = open_round(session)
    voter = find_voter(session, contact_id)
    card = find_card(session, insight_id)
    vote = Vote.objects.filter(insight=card, contact=voter).first()
    if vote is None:
        raise ValidationFailed.field(
            "insight_id", f"{voter.name} has no dot on this card to remove."
        )
    left = vote.dots - 1
    if left:
        vote.dots = left
        vote.channel = VoteChannel.ROOM
        vote.recorded_by_id = actor.user_id
        vote.behalf_reason = ""
        vote.save()
    else:
        vote.delete()
    audit.record(
        actor,
        action="vote.removed",
        obj=found,
        changes={"insight": card.pk, "contact": voter.pk, "dots": [left + 1, left]},
    )
    return left


@transaction.atomic
def show_totals(actor: Viewer, *, session: Session, shown: bool) -> VotingRound:
    """Hide the running totals on the room's screen (``shown`` False) or reveal them. Every
    screen reads the round, so all show the same; a change is audited, a repeat changes
    nothing."""
    permissions.check(actor, "voting.reveal", session)
    found = locked_round(session)
    hidden = not shown
    if found.totals_hidden != hidden:
        found.totals_hidden = hidden
        found.save(update_fields=["totals_hidden"])
        audit.record(
            actor,
            action="voting.totals_revealed" if shown else "voting.totals_hidden",
            obj=found,
            changes={"totals_hidden": [not hidden, hidden]},
        )
    return found
