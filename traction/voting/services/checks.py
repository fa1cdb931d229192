"""The shared checks of voting: the budget's limits and default (``MIN_BUDGET``,
``MAX_BUDGET``, ``DEFAULT_BUDGET``) and the kinds' plural labels (``KIND_PLURALS``), the
session's round (locked; open), who may vote (a customer participant), what may be voted on
(``votable_cards``; one card checked), the dots a customer has spent (``spent``), and the
wording of a count of votes. Every other module of the package checks through these.
"""

from __future__ import annotations

from django.db.models import QuerySet, Sum

from traction.core.errors import ValidationFailed
from traction.core.text import require_length
from traction.customers.models import Contact
from traction.insights import selectors
from traction.insights.models import (
    Insight,
    InsightKind,
)
from traction.sessions.models import Session, SessionStatus
from traction.voting.models import Vote, VotingRound

KIND_PLURALS = {
    InsightKind.MOMENT_OF_TRUTH: "Moments of truth",
    InsightKind.ISSUE: "Issues",
    InsightKind.IDEA: "Ideas",
}
MIN_BUDGET = 1
MAX_BUDGET = 50
DEFAULT_BUDGET = 3


def checked_budget(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed.field("budget", "Give the number of votes as a whole number.")
    if not MIN_BUDGET <= value <= MAX_BUDGET:
        raise ValidationFailed.field(
            "budget", f"Each customer gets between {MIN_BUDGET} and {MAX_BUDGET} votes."
        )
    return value


def locked_round(session: Session) -> VotingRound:
    """The session's round, locked until the transaction ends, or refused if never opened."""
    found = VotingRound.objects.select_for_update().filter(session=session).first()
    if found is None:
        raise ValidationFailed.field("__all__", "Voting has not been opened for this session yet.")
    return found


def open_round(session: Session) -> VotingRound:
    found = locked_round(session)
    cancelled = Session.objects.filter(pk=session.pk, status=SessionStatus.CANCELLED).exists()
    if cancelled:
        raise ValidationFailed.field(
            "__all__", "This session is cancelled; no more votes can be cast."
        )
    if not found.is_open:
        raise ValidationFailed.field(
            "__all__", "Voting for this session is closed; no more votes can be cast."
        )
    return found


def find_voter(session: Session, contact_id: int) -> Contact:
    found = selectors.customer_participants(session).filter(pk=contact_id).first()
    if found is None:
        raise ValidationFailed.field(
            "contact_id",
            "Only customers taking part in this session can vote (invited and not declined).",
        )
    return found


def votable_cards(session: Session) -> QuerySet[Insight]:
    """The cards customers vote on (``Insight.objects.votable()``: the session's accepted
    moments of truth, issues and ideas said by a customer), in capture order. Internal
    participants' remarks and unattributed notes are never among them."""
    return (
        Insight.objects.votable()
        .filter(session=session)
        .select_related("step", "scenario")
        .order_by("created_at", "id")
    )


def find_card(session: Session, insight_id: int, field_name: str = "insight_id") -> Insight:
    # A row of an import still being written is nobody's card yet (``written()``). The card
    # is locked (no key update: votes still serialise on the round) so that a removal of
    # the card (``remove_insight``, which locks it too) and a vote never cross.
    found = (
        Insight.objects.written()
        .select_for_update(no_key=True)
        .filter(pk=insight_id, session=session)
        .first()
    )
    if found is None:
        raise ValidationFailed.field(field_name, "This card is not one of this session's cards.")
    check_votable(found, field_name)
    return found


def check_votable(card: Insight, field_name: str) -> None:
    """Refuses a card customers may not vote on, saying why (``Insight.why_not_votable``)."""
    if reason := card.why_not_votable():
        raise ValidationFailed.field(field_name, reason)


PAPER_REASON = "Paper ballot in the session"


def behalf_reason(reason: str, field_name: str = "reason") -> str:
    """Why a member enters dots or words for a customer: required, one line, 300 at most."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationFailed.field(
            field_name, "Say why you are entering this for the customer (e.g. a paper ballot)."
        )
    require_length(field_name, reason, 300)
    return reason


def spent(session: Session, contact_id: int) -> int:
    """The dots a customer has on the session's cards, whatever the channel."""
    total = Vote.objects.filter(session=session, contact_id=contact_id).aggregate(n=Sum("dots"))
    return int(total["n"] or 0)


def plural(n: int, word: str = "vote") -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
