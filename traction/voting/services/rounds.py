"""Opening, closing and the budget: ``open_voting``, ``close_voting`` (which freezes the
ranking), the explicit ``reopen_voting`` (with a reason), ``change_budget`` (never below
what a customer already spent, never on a closed round), ``close_for_cancelled_session``
(the system closes a cancelled session's round) and ``remove_participant_dots``.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Sum

from traction.core import audit, clock, permissions
from traction.core.errors import ValidationFailed
from traction.core.permissions import Viewer
from traction.core.text import require_length
from traction.customers.models import Contact
from traction.sessions.models import Session
from traction.voting.models import Vote, VotingRound

from .checks import (
    DEFAULT_BUDGET,
    checked_budget,
    locked_round,
    open_round,
    plural,
    votable_cards,
)

MAX_REASON = 300
NOTHING_TO_VOTE_ON = (
    "There is nothing to vote on yet: capture or accept at least one moment of truth, issue "
    "or idea from a customer first, then open voting."
)


def _reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationFailed.field("reason", "Say why (it is kept in the audit trail).")
    require_length("reason", reason, MAX_REASON)
    return reason


@transaction.atomic
def open_voting(actor: Viewer, *, session: Session, budget: int = DEFAULT_BUDGET) -> VotingRound:
    """Open voting with ``budget`` dots per customer participant.

    Once only: opening an open round, or a closed one, is refused (a closed round is
    reopened explicitly, with a reason: ``reopen_voting``). The session row is locked first,
    so parallel requests open one round and the others are refused cleanly.

    Refused while nothing can be voted on (no accepted card from a customer): customers
    would get a ballot with nothing on it.
    """
    permissions.check(actor, "voting.run", session)
    budget = checked_budget(budget)
    locked = Session.objects.select_for_update().get(pk=session.pk)
    if locked.is_cancelled:
        raise ValidationFailed.field("__all__", "This session is cancelled.")
    if locked.is_practice:
        raise ValidationFailed.field("__all__", Session.PRACTICE_REFUSAL)
    found = VotingRound.objects.filter(session=session).first()
    if found is not None and found.is_open:
        raise ValidationFailed.field("__all__", "Voting is already open for this session.")
    if found is not None:
        raise ValidationFailed.field(
            "__all__",
            "Voting for this session was closed and its ranking is final; to take more votes, "
            "reopen it explicitly, saying why.",
        )
    if not votable_cards(session).exists():
        raise ValidationFailed.field("__all__", NOTHING_TO_VOTE_ON)
    found = VotingRound.objects.create(
        workspace_id=session.workspace_id,
        session=session,
        budget=budget,
        opened_by_id=actor.user_id,
    )
    audit.record(actor, action="voting.opened", obj=found, changes={"budget": budget})
    return found


@transaction.atomic
def reopen_voting(
    actor: Viewer, *, session: Session, reason: str, budget: int | None = None
) -> VotingRound:
    """Reopen a closed round, saying why: the dots already cast stay; the frozen ranking of
    the closing stays on record (the next closing freezes a new one). Refused for a
    cancelled session, and for a budget below what a customer already spent."""
    permissions.check(actor, "voting.run", session)
    reason = _reason(reason)
    locked = Session.objects.select_for_update().get(pk=session.pk)
    if locked.is_cancelled:
        raise ValidationFailed.field("__all__", "This session is cancelled.")
    found = locked_round(session)
    if found.is_open:
        raise ValidationFailed.field("__all__", "Voting is already open for this session.")
    if budget is not None:
        budget = checked_budget(budget)
        _check_budget_covers_spent(session, budget)
    before = audit.snapshot(found, ["budget", "closed_at"])
    found.budget = budget if budget is not None else found.budget
    found.closed_at = None
    found.closed_by = None
    found.close_reason = ""
    found.opened_at = clock.now()
    found.opened_by_id = actor.user_id
    found.save()
    audit.record(
        actor,
        action="voting.reopened",
        obj=found,
        changes={
            **audit.diff(before, audit.snapshot(found, ["budget", "closed_at"])),
            "closing_kept": found.closings,
        },
        reason=reason,
    )
    return found


def _check_budget_covers_spent(session: Session, budget: int) -> None:
    top = (
        Vote.objects.filter(session=session)
        .values("contact_id", "contact__name")
        .annotate(n=Sum("dots"))
        .order_by("-n", "contact__name")
        .first()
    )
    if top is not None and top["n"] > budget:
        raise ValidationFailed.field(
            "budget",
            f"{top['contact__name']} has already spent {plural(top['n'])}; the budget cannot "
            f"go below {top['n']} unless their votes are removed first.",
        )


@transaction.atomic
def change_budget(actor: Viewer, *, session: Session, budget: int) -> VotingRound:
    """Change the dots per customer while voting is open; never below what a customer
    already spent. A closed round's budget is part of its frozen result."""
    permissions.check(actor, "voting.run", session)
    budget = checked_budget(budget)
    found = locked_round(session)
    if not found.is_open:
        raise ValidationFailed.field(
            "budget", "Voting is closed; its budget is part of the final result."
        )
    if found.budget == budget:
        return found
    _check_budget_covers_spent(session, budget)
    old = found.budget
    found.budget = budget
    found.save(update_fields=["budget"])
    audit.record(
        actor, action="voting.budget_changed", obj=found, changes={"budget": [old, budget]}
    )
    return found


def _close(actor: Viewer | None, found: VotingRound, reason: str) -> VotingRound:
    from traction.voting import selectors as ranking

    found.closed_at = clock.now()
    found.closed_by_id = actor.user_id if actor is not None else None
    found.close_reason = reason
    found.closings += 1
    found.save(update_fields=["closed_at", "closed_by", "close_reason", "closings"])
    frozen = ranking.freeze(found)
    audit.record(
        actor,
        action="voting.closed",
        obj=found,
        changes={"closed_at": found.closed_at, "closing": found.closings, "cards_frozen": frozen},
        reason=reason,
    )
    return found


@transaction.atomic
def close_voting(actor: Viewer, *, session: Session, reason: str = "") -> VotingRound:
    """Close voting: no more dots through any channel; the ranking is frozen as it stands
    (cards, dots per card, per segment and per organisation) and read from then on."""
    permissions.check(actor, "voting.run", session)
    found = locked_round(session)
    if not found.is_open:
        raise ValidationFailed.field("__all__", "Voting for this session is already closed.")
    return _close(actor, found, " ".join(reason.split())[:MAX_REASON])


def close_for_cancelled_session(actor: Viewer | None, *, session: Session) -> None:
    """Subscribed to ``session.cancelled``: the system closes the session's open round
    (audited with no actor, the reason saying why); nothing when there is none open."""
    found = VotingRound.objects.select_for_update().filter(session=session).first()
    if found is None or not found.is_open:
        return
    with audit.channel("system"):
        _close(None, found, "The session was cancelled; voting closed itself.")


@transaction.atomic
def remove_participant_dots(
    actor: Viewer, *, session: Session, contact: Contact, reason: str
) -> dict[str, int]:
    """Take every dot a customer put on the session's cards off, while voting is open, with
    a reason (admins and facilitators). Returns ``{"<insight id>": dots removed}``; one
    audit event with the reason. Refused when the customer has no dots there."""
    permissions.check(actor, "voting.run", session)
    reason = _reason(reason)
    found = open_round(session)
    if contact.workspace_id != session.workspace_id:
        raise ValidationFailed.field("contact_id", "This contact is not in this workspace.")
    if not Vote.objects.filter(session=session, contact=contact).exists():
        raise ValidationFailed.field("contact_id", f"{contact.name} has no dots to remove.")
    return _remove_dots(actor, found, session, contact, reason)


def _remove_dots(
    actor: Viewer | None, found: VotingRound, session: Session, contact: Contact, reason: str
) -> dict[str, int]:
    rows = list(Vote.objects.filter(session=session, contact=contact).order_by("insight_id"))
    removed = {str(v.insight_id): v.dots for v in rows}
    Vote.objects.filter(pk__in=[v.pk for v in rows]).delete()
    audit.record(
        actor,
        action="votes.removed",
        obj=found,
        changes={"contact": contact.pk, "removed": removed},
        reason=reason,
    )
    return removed


def clear_declined_dots(actor: Viewer | None, *, session: Session, contact: Contact) -> None:
    """Subscribed to ``participant.declined``: a customer who declines keeps no dots in an
    open round (a closed round's ranking stays as frozen)."""
    found = VotingRound.objects.select_for_update().filter(session=session).first()
    if found is None or not found.is_open:
        return
    if Vote.objects.filter(session=session, contact=contact).exists():
        with audit.channel("system"):
            _remove_dots(
                None,
                found,
                session,
                contact,
                "They declined the invitation; their dots left the open round.",
            )
