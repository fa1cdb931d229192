"""What members entered on a customer contact's behalf, and withdrawing it (docs/portal.md,
"Entered for you"; docs/voting.md, "On paper"; docs/capture.md).

Two kinds of entry: **dots** a member entered for the contact (a paper round: ``Vote`` with
channel ``paper``, who entered it in ``recorded_by``, why in ``behalf_reason``) and
**insights** a member entered for them because the contact said it outside the session
(source ``behalf``, ``captured_by``, ``behalf_reason``). Either can be withdrawn: by the
contact in the portal, or by an admin or facilitator for them, with why. Withdrawal is a
dated record on the row (``withdrawn_at``, ``withdrawn_by``: None when the contact did it,
``withdraw_reason``) and an audit event, never a delete:

- a withdrawn vote counts nowhere (``Vote.objects`` leaves it out): not in an open round's
  ranking nor in the budget, and its contact is no longer a voter of the card for the loop
  (``loop.audience``); a closed round's frozen ranking keeps its dots, unchanged;
- a withdrawn insight gets status ``withdrawn``: off the map, the ranking, customer input,
  drafts' "what you told us" and the raisers of the loop; the dots customers put on it in
  an open round are withdrawn with it (they were spent on words nobody said), a closed
  round's frozen ranking stays.

Withdrawing what is already withdrawn changes nothing and says so (``Outcome.changed``).
The portal (a ``CustomerPrincipal``) reaches only its own contact's entries through the
rules ``behalf.vote.withdraw`` and ``behalf.insight.withdraw`` (``customer_own``); members
list a contact's entries through ``behalf.view``.

This module sits in the portal app because it is the one app above both votes and insights
that shows them to the contact.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet

from traction.core import audit, clock, permissions
from traction.core.errors import NotFound, ValidationFailed
from traction.core.permissions import CustomerPrincipal, Principal, Viewer
from traction.core.text import require_no_bidi_controls
from traction.core.writes import bump_versions
from traction.customers.models import Contact
from traction.insights.models import Insight, InsightSource, InsightStatus
from traction.voting.models import Vote, VoteChannel, VotingRound

VOTE, INSIGHT = "vote", "insight"


@dataclass(frozen=True)
class Entry:
    """One thing entered for a contact, as the contact and members see it."""

    kind: str  # "vote" or "insight"
    id: int
    contact_id: int
    session_id: int
    session_title: str
    # The card the dots are on ("" for a member who may not read it), or the words entered.
    text: str
    dots: int  # a vote's dots; 0 for an insight
    entered_by: str  # the member's name ("" when their account is gone)
    entered_by_id: int | None
    entered_at: datetime
    reason: str
    # A vote of a closed round: the date its ranking was frozen (it still counts these dots).
    frozen_on: datetime | None
    withdrawn_at: datetime | None
    withdrawn_by_id: int | None  # None with withdrawn_at: the contact withdrew it
    withdrawn_by: str  # "" when the contact did
    withdraw_reason: str
    card_id: int = 0  # a vote's card

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None


@dataclass(frozen=True)
class Outcome:
    entry: Entry
    changed: bool  # False: it was already withdrawn; nothing changed
    message: str


def _name(user: object | None) -> str:
    return str(user) if user is not None else ""


def _frozen_on(rounds: dict[int, VotingRound], session_id: int) -> datetime | None:
    found = rounds.get(session_id)
    return found.closed_at if found is not None and found.closed_at is not None else None


def _vote_entry(vote: Vote, rounds: dict[int, VotingRound]) -> Entry:
    return Entry(
        kind=VOTE,
        id=vote.pk,
        contact_id=vote.contact_id,
        session_id=vote.session_id,
        session_title=vote.session.title,
        text=vote.insight.text,
        dots=vote.dots,
        entered_by=_name(vote.recorded_by),
        entered_by_id=vote.recorded_by_id,
        entered_at=vote.updated_at,
        reason=vote.behalf_reason,
        frozen_on=_frozen_on(rounds, vote.session_id),
        withdrawn_at=vote.withdrawn_at,
        withdrawn_by_id=vote.withdrawn_by_id,
        withdrawn_by=_name(vote.withdrawn_by),
        withdraw_reason=vote.withdraw_reason,
        card_id=vote.insight_id,
    )


def _insight_entry(insight: Insight) -> Entry:
    return Entry(
        kind=INSIGHT,
        id=insight.pk,
        contact_id=insight.speaker_contact_id or 0,
        session_id=insight.session_id,
        session_title=insight.session.title,
        text=insight.text,
        dots=0,
        entered_by=_name(insight.captured_by),
        entered_by_id=insight.captured_by_id,
        entered_at=insight.created_at,
        reason=insight.behalf_reason,
        frozen_on=None,
        withdrawn_at=insight.withdrawn_at,
        withdrawn_by_id=insight.withdrawn_by_id,
        withdrawn_by=_name(insight.withdrawn_by),
        withdraw_reason=insight.withdraw_reason,
    )


def _votes() -> QuerySet[Vote]:
    return Vote.history.filter(channel=VoteChannel.PAPER).select_related(
        "session", "insight", "recorded_by", "withdrawn_by"
    )


def _insights() -> QuerySet[Insight]:
    return Insight.objects.filter(source=InsightSource.BEHALF).select_related(
        "session", "captured_by", "withdrawn_by"
    )


def _entries(votes: list[Vote], insights: list[Insight]) -> list[Entry]:
    rounds = {
        r.session_id: r
        for r in VotingRound.objects.filter(session_id__in={v.session_id for v in votes})
    }
    found = [_vote_entry(v, rounds) for v in votes] + [_insight_entry(i) for i in insights]
    return sorted(found, key=lambda e: (e.entered_at, e.kind, e.id), reverse=True)


# --- reads -----------------------------------------------------------------------------------


def for_contact(principal: CustomerPrincipal) -> list[Entry]:
    """The portal: what members entered for this contact and that still counts, newest
    first (read through the policy: their own entries only)."""
    votes = permissions.scope(
        principal, "behalf.vote.withdraw", _votes().filter(withdrawn_at__isnull=True)
    )
    insights = permissions.scope(
        principal,
        "behalf.insight.withdraw",
        _insights().exclude(status=InsightStatus.WITHDRAWN),
    )
    return _entries(list(votes), list(insights))


def of_contact(viewer: Viewer, contact: Contact) -> list[Entry]:
    """Members: everything entered on ``contact``'s behalf, withdrawn entries included (with
    who withdrew them, when and why), newest first. ``contact`` was fetched through
    ``behalf.view``."""
    permissions.check(viewer, "behalf.view", contact)
    votes = list(_votes().filter(workspace_id=viewer.workspace_id, contact_id=contact.pk))
    insights = _insights().filter(workspace_id=viewer.workspace_id, speaker_contact_id=contact.pk)
    # The card dots are on may hold another customer's words: its text only for a member who
    # may read it (``insight.view``; an account owner reads their own customers' words).
    readable = set(
        permissions.scope(
            viewer, "insight.view", Insight.objects.filter(pk__in={v.insight_id for v in votes})
        ).values_list("pk", flat=True)
    )
    return [
        replace(e, text="") if e.kind == VOTE and e.card_id not in readable else e
        for e in _entries(votes, list(insights))
    ]


def panel(principal: CustomerPrincipal, _obj: object) -> dict[str, object]:
    """The portal home's "Entered for you" panel."""
    return {"entries": for_contact(principal)}


def contact_section(viewer: Viewer, contact: Contact) -> dict[str, object]:
    """The contact page's "Entered on their behalf" section (members)."""
    return {
        "contact": contact,
        "entries": of_contact(viewer, contact),
        "can_withdraw": permissions.can(viewer, "behalf.vote.withdraw"),
    }


# --- withdrawing -----------------------------------------------------------------------------


def _why(actor: Principal, reason: str) -> str:
    reason = " ".join((reason or "").split())
    require_no_bidi_controls(reason=reason)  # posted outside a form
    if len(reason) > 300:
        raise ValidationFailed.field("reason", "Keep the reason under 300 characters.")
    if not reason and isinstance(actor, Viewer):
        raise ValidationFailed.field(
            "reason", "Say why you are withdrawing this for the customer (e.g. they asked)."
        )
    return reason


def _by(actor: Principal) -> int | None:
    return actor.user_id if isinstance(actor, Viewer) else None


def _already(entry: Entry) -> str:
    who = entry.withdrawn_by or "the customer"
    assert entry.withdrawn_at is not None
    return (
        f"This was already withdrawn on {entry.withdrawn_at:%-d %B %Y} (by {who}); nothing changed."
    )


@transaction.atomic
def withdraw_vote(actor: Principal, *, vote_id: int, reason: str = "") -> Outcome:
    """Withdraw dots entered for a contact: by the contact (the portal principal, reason
    optional) or by an admin or facilitator for them (reason required). The round is locked
    first, as every vote's writer does, so a tally being saved at the same moment cannot
    bring the row back."""
    why = _why(actor, reason)
    found = permissions.get(actor, "behalf.vote.withdraw", _votes(), pk=vote_id)
    voting_round = (
        VotingRound.objects.select_for_update().filter(session_id=found.session_id).first()
    )
    vote = _votes().select_for_update(of=("self",)).get(pk=found.pk)
    rounds = {voting_round.session_id: voting_round} if voting_round is not None else {}
    if vote.withdrawn_at is not None:
        entry = _vote_entry(vote, rounds)
        return Outcome(entry, False, _already(entry))
    vote.withdrawn_at = clock.now()
    vote.withdrawn_by_id = _by(actor)
    vote.withdraw_reason = why
    vote.save(update_fields=["withdrawn_at", "withdrawn_by", "withdraw_reason"])
    vote.refresh_from_db(fields=["withdrawn_by"])
    entry = _vote_entry(vote, rounds)
    audit.record(
        actor,
        action="vote.withdrawn",
        obj=voting_round or vote,
        changes={
            "vote": vote.pk,
            "insight": vote.insight_id,
            "contact": vote.contact_id,
            "dots": vote.dots,
            "frozen": entry.frozen_on is not None,
        },
        reason=why,
    )
    if entry.frozen_on is not None:
        message = (
            f"Withdrawn. The ranking frozen on {entry.frozen_on:%-d %B %Y}, when voting "
            "closed, still counts these dots."
        )
    else:
        message = "Withdrawn: these dots no longer count."
    return Outcome(entry, True, message)


@transaction.atomic
def withdraw_insight(actor: Principal, *, insight_id: int, reason: str = "") -> Outcome:
    """Withdraw words entered for a contact: status ``withdrawn``, dated, with who and why.
    Dots customers put on it while its session's voting is open are withdrawn with it (the
    round is locked first); a closed round's frozen ranking keeps the card."""
    why = _why(actor, reason)
    found = permissions.get(actor, "behalf.insight.withdraw", _insights(), pk=insight_id)
    voting_round = (
        VotingRound.objects.select_for_update().filter(session_id=found.session_id).first()
    )
    insight = _insights().select_for_update(of=("self",)).get(pk=found.pk)
    if insight.status == InsightStatus.WITHDRAWN:
        entry = _insight_entry(insight)
        return Outcome(entry, False, _already(entry))
    now = clock.now()
    bump_versions(
        Insight.objects.filter(pk=insight.pk),
        status=InsightStatus.WITHDRAWN,
        withdrawn_at=now,
        withdrawn_by_id=_by(actor),
        withdraw_reason=why,
    )
    dots: dict[str, int] = {}
    if voting_round is not None and voting_round.is_open:
        spent = Vote.objects.filter(insight_id=insight.pk)
        dots = {str(c): n for c, n in spent.values_list("contact_id", "dots")}
        spent.update(
            withdrawn_at=now,
            withdrawn_by_id=_by(actor),
            withdraw_reason="The card they were on was withdrawn.",
        )
    insight = _insights().get(pk=insight.pk)
    audit.record(
        actor,
        action="insight.withdrawn",
        obj=insight,
        changes={"status": [found.status, InsightStatus.WITHDRAWN], "dots_withdrawn": dots},
        reason=why,
    )
    return Outcome(_insight_entry(insight), True, "Withdrawn: these words no longer count.")


def withdraw(actor: Principal, kind: str, entry_id: int, *, reason: str = "") -> Outcome:
    """``withdraw_vote`` or ``withdraw_insight`` by ``kind``."""
    if kind == VOTE:
        return withdraw_vote(actor, vote_id=entry_id, reason=reason)
    if kind == INSIGHT:
        return withdraw_insight(actor, insight_id=entry_id, reason=reason)
    raise NotFound("Nothing entered for a contact has this number.")


def entry_of(principal: Principal, kind: str, entry_id: int) -> Entry:
    """One entry, withdrawn or not, fetched through the policy (the contact's own only, for
    the portal's confirmation page); NotFound for anything else."""
    if kind == VOTE:
        vote = permissions.get(principal, "behalf.vote.withdraw", _votes(), pk=entry_id)
        rounds = {r.session_id: r for r in VotingRound.objects.filter(session_id=vote.session_id)}
        return _vote_entry(vote, rounds)
    if kind == INSIGHT:
        insight = permissions.get(principal, "behalf.insight.withdraw", _insights(), pk=entry_id)
        return _insight_entry(insight)
    raise NotFound("Nothing entered for you has this number.")


__all__ = [
    "INSIGHT",
    "VOTE",
    "Entry",
    "Outcome",
    "contact_section",
    "entry_of",
    "for_contact",
    "of_contact",
    "panel",
    "withdraw",
    "withdraw_insight",
    "withdraw_vote",
]
