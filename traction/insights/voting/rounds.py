"""Opening, closing and the budget: ``open_voting`` (or reopening a closed round, its dots
kept), ``change_budget`` and ``close_voting``; a budget never goes below what a customer
already spent.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from traction.core import audit, permissions
from traction.core.errors import ValidationFailed
from traction.core.permissions import Viewer
from traction.insights.models import Vote, VotingRound
from traction.sessions.models import Session

from .checks import DEFAULT_BUDGET, _budget, _locked_round, _plural


@transaction.atomic
def open_voting(actor: Viewer, *, session: Session, budget: int = DEFAULT_BUDGET) -> VotingRound:
    """Open voting with ``budget`` dots per customer participant, or reopen a closed round
    (its dots stay; the new budget may not be below what anyone already spent)."""
    permissions.check(actor, "voting.run", session)
    budget = _budget(budget)
    if session.is_cancelled:
        raise ValidationFailed.field("__all__", "This session is cancelled.")
    found = VotingRound.objects.select_for_update().filter(session=session).first()
    if found is None:
        found = VotingRound.objects.create(
            workspace_id=session.workspace_id,
            session=session,
            budget=budget,
            opened_by_id=actor.user_id,
        )
        audit.record(actor, action="voting.opened", obj=found, changes={"budget": budget})
        return found
    if found.is_open:
        raise ValidationFailed.field("__all__", "Voting is already open for this session.")
    _check_budget_covers_spent(session, budget)
    before = audit.snapshot(found, ["budget", "closed_at"])
    found.budget = budget
    found.closed_at = None
    found.opened_at = timezone.now()
    found.opened_by_id = actor.user_id
    found.save()
    audit.record(
        actor,
        action="voting.reopened",
        obj=found,
        changes=audit.diff(before, audit.snapshot(found, ["budget", "closed_at"])),
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
            f"{top['contact__name']} has already spent {_plural(top['n'])}; the budget cannot "
            f"go below {top['n']} unless their votes are removed first.",
        )


@transaction.atomic
def change_budget(actor: Viewer, *, session: Session, budget: int) -> VotingRound:
    """Change the dots per customer; never below what a customer already spent."""
    permissions.check(actor, "voting.run", session)
    budget = _budget(budget)
    found = _locked_round(session)
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


@transaction.atomic
def close_voting(actor: Viewer, *, session: Session) -> VotingRound:
    """Close voting: no more dots through any channel; the results stay."""
    permissions.check(actor, "voting.run", session)
    found = _locked_round(session)
    if not found.is_open:
        raise ValidationFailed.field("__all__", "Voting for this session is already closed.")
    found.closed_at = timezone.now()
    found.save(update_fields=["closed_at"])
    audit.record(actor, action="voting.closed", obj=found, changes={"closed_at": found.closed_at})
    return found
