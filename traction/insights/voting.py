"""Customer prioritisation (DESIGN.md §3 step 4): the dot-voting use-cases.

Each customer participant of a session spends a fixed budget of dots on the session's
votable cards (its accepted customer moments of truth, issues and ideas), in one of three
ways: in the room on the facilitator's shared screen, on paper (the facilitator enters the
tallies), or through their own signed link on a phone. One rule holds whatever the channel
(DESIGN.md §4): a customer participant cannot spend more dots than the budget, and votes
only on cards of the session they take part in.

The use-cases lock the session's ``VotingRound`` row before they count what a customer has
spent, so two phones submitting at once are serialised and cannot overspend (PostgreSQL:
``select_for_update``; SQLite runs every transaction IMMEDIATE, which serialises writers).

Opening a closed round reopens it (the dots already cast stay); opening an open round is
refused. What the facilitator and readers see of it (ballots, the ranking, the room's
screen) is read in ``ranking.py``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone

from traction.core import audit, permissions
from traction.core.errors import NotFound, ValidationFailed
from traction.core.permissions import Viewer
from traction.customers.models import Contact
from traction.sessions.models import Invitation, RsvpStatus, Session

from . import selectors
from .models import (
    VOTABLE_KINDS,
    Insight,
    InsightKind,
    InsightStatus,
    Vote,
    VoteChannel,
    VotingRound,
)

KIND_PLURALS = {
    InsightKind.MOMENT_OF_TRUTH: "Moments of truth",
    InsightKind.ISSUE: "Issues",
    InsightKind.IDEA: "Ideas",
}
MIN_BUDGET = 1
MAX_BUDGET = 50
DEFAULT_BUDGET = 3


# --- shared checks ------------------------------------------------------------------------------


def _budget(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed.field("budget", "Give the number of votes as a whole number.")
    if not MIN_BUDGET <= value <= MAX_BUDGET:
        raise ValidationFailed.field(
            "budget", f"Each customer gets between {MIN_BUDGET} and {MAX_BUDGET} votes."
        )
    return value


def _locked_round(session: Session) -> VotingRound:
    """The session's round, locked until the transaction ends, or refused if never opened."""
    found = VotingRound.objects.select_for_update().filter(session=session).first()
    if found is None:
        raise ValidationFailed.field("__all__", "Voting has not been opened for this session yet.")
    return found


def _open_round(session: Session) -> VotingRound:
    found = _locked_round(session)
    if not found.is_open:
        raise ValidationFailed.field(
            "__all__", "Voting for this session is closed; no more votes can be cast."
        )
    return found


def _voter(session: Session, contact_id: int) -> Contact:
    found = selectors.customer_participants(session).filter(pk=contact_id).first()
    if found is None:
        raise ValidationFailed.field(
            "contact_id",
            "Only customers taking part in this session can vote (invited and not declined).",
        )
    return found


def votable_cards(session: Session) -> QuerySet[Insight]:
    """The cards customers vote on: the session's accepted customer moments of truth, issues
    and ideas, in capture order. Internal participants' remarks are never among them."""
    return (
        Insight.objects.filter(
            session=session,
            status=InsightStatus.ACCEPTED,
            kind__in=VOTABLE_KINDS,
            internal=False,
        )
        .select_related("step", "scenario")
        .order_by("created_at", "id")
    )


def _card(session: Session, insight_id: int, field_name: str = "insight_id") -> Insight:
    found = Insight.objects.filter(pk=insight_id, session=session).first()
    if found is None:
        raise ValidationFailed.field(field_name, "This card is not one of this session's cards.")
    _check_votable(found, field_name)
    return found


def _check_votable(card: Insight, field_name: str) -> None:
    if card.internal:
        raise ValidationFailed.field(
            field_name,
            "This card is an internal participant's remark; only customers' input is voted on.",
        )
    if card.status != InsightStatus.ACCEPTED:
        raise ValidationFailed.field(
            field_name, "This card is not on the map (it is not an accepted insight)."
        )
    if card.kind not in VOTABLE_KINDS:
        raise ValidationFailed.field(
            field_name, "Customers vote on moments of truth, issues and ideas only."
        )


def spent(session: Session, contact_id: int) -> int:
    """The dots a customer has on the session's cards, whatever the channel."""
    total = Vote.objects.filter(session=session, contact_id=contact_id).aggregate(n=Sum("dots"))
    return int(total["n"] or 0)


def _plural(n: int, word: str = "vote") -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# --- opening, closing, the budget ---------------------------------------------------------------


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


# --- in the room ---------------------------------------------------------------------------------


@transaction.atomic
def add_dot(actor: Viewer, *, session: Session, contact_id: int, insight_id: int) -> Vote:
    """In the room: put one of the customer's dots on a card (the facilitator's screen)."""
    permissions.check(actor, "voting.run", session)
    found = _open_round(session)
    voter = _voter(session, contact_id)
    card = _card(session, insight_id)
    used = spent(session, voter.pk)
    if used >= found.budget:
        raise ValidationFailed.field(
            "contact_id",
            f"{voter.name} has used all {_plural(found.budget)}; remove a dot first.",
        )
    vote = Vote.objects.filter(insight=card, contact=voter).first()
    if vote is None:
        vote = Vote(
            workspace_id=session.workspace_id, session=session, insight=card, contact=voter, dots=0
        )
    vote.dots += 1
    vote.channel = VoteChannel.ROOM
    vote.recorded_by_id = actor.user_id
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
    found = _open_round(session)
    voter = _voter(session, contact_id)
    card = _card(session, insight_id)
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


# --- setting whole ballots: a paper round, a customer's link -------------------------------------


def _dots(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationFailed.field(where, "Enter a whole number of dots, 0 or more.")
    return value


def _apply(
    session: Session,
    wanted: Mapping[tuple[int, int], int],
    *,
    channel: str,
    recorded_by_id: int | None,
) -> dict[str, list[int]]:
    """Set each (card, contact) cell to its dots (0 removes); returns what changed."""
    keys = list(wanted)
    existing = {
        (v.insight_id, v.contact_id): v
        for v in Vote.objects.filter(
            session=session,
            insight_id__in={k[0] for k in keys},
            contact_id__in={k[1] for k in keys},
        )
    }
    changes: dict[str, list[int]] = {}
    for key in keys:
        new = wanted[key]
        vote = existing.get(key)
        old = vote.dots if vote is not None else 0
        if old == new:
            continue
        changes[f"{key[0]}/{key[1]}"] = [old, new]
        if vote is not None and new == 0:
            vote.delete()
        elif vote is not None:
            vote.dots = new
            vote.channel = channel
            vote.recorded_by_id = recorded_by_id
            vote.save()
        else:
            Vote.objects.create(
                workspace_id=session.workspace_id,
                session=session,
                insight_id=key[0],
                contact_id=key[1],
                dots=new,
                channel=channel,
                recorded_by_id=recorded_by_id,
            )
    return changes


@dataclass(frozen=True)
class TallyEntry:
    insight_id: int
    contact_id: int
    dots: int


@transaction.atomic
def record_paper_tally(
    actor: Viewer, *, session: Session, entries: Iterable[TallyEntry]
) -> dict[str, list[int]]:
    """A paper round: set the dots of each (card, customer) cell given, all at once.

    Cells not given keep their dots. Refused whole, with nothing written, when a card or a
    customer is not the session's, or when a customer's dots would exceed the budget (the
    error names the customer, under ``contact_<id>``). Returns the changed cells as
    ``{"<insight id>/<contact id>": [old, new]}``.
    """
    permissions.check(actor, "voting.run", session)
    found = _open_round(session)
    wanted: dict[tuple[int, int], int] = {}
    for entry in entries:
        key = (entry.insight_id, entry.contact_id)
        if key in wanted:
            raise ValidationFailed.field(
                "entries", f"Card {key[0]} for contact {key[1]} is given twice."
            )
        wanted[key] = _dots(entry.dots, f"cell_{key[0]}_{key[1]}")
    if not wanted:
        raise ValidationFailed.field("entries", "Enter the dots of at least one card.")
    voters = {
        c.pk: c
        for c in selectors.customer_participants(session).filter(pk__in={k[1] for k in wanted})
    }
    errors: dict[str, list[str]] = {}
    for contact_id in sorted({k[1] for k in wanted} - set(voters)):
        errors[f"contact_{contact_id}"] = [
            "Only customers taking part in this session can vote (invited and not declined)."
        ]
    cards = {
        c.pk: c for c in Insight.objects.filter(session=session, pk__in={k[0] for k in wanted})
    }
    for insight_id in sorted({k[0] for k in wanted}):
        card = cards.get(insight_id)
        try:
            if card is None:
                raise ValidationFailed.field(
                    f"card_{insight_id}", "This card is not one of this session's cards."
                )
            _check_votable(card, f"card_{insight_id}")
        except ValidationFailed as exc:
            for name, messages in exc.errors.items():
                errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationFailed(errors)
    totals: dict[int, int] = defaultdict(int)
    for vote in Vote.objects.filter(session=session, contact_id__in=voters):
        if (vote.insight_id, vote.contact_id) not in wanted:
            totals[vote.contact_id] += vote.dots
    for (_, contact_id), dots in wanted.items():
        totals[contact_id] += dots
    for contact_id, total in sorted(totals.items()):
        if total > found.budget:
            errors[f"contact_{contact_id}"] = [
                f"{voters[contact_id].name} would have {_plural(total)}; the budget is "
                f"{found.budget}."
            ]
    if errors:
        raise ValidationFailed(errors)
    changes = _apply(session, wanted, channel=VoteChannel.PAPER, recorded_by_id=actor.user_id)
    if changes:
        audit.record(actor, action="votes.tallied", obj=found, changes=changes)
    return changes


@dataclass
class LinkBallot:
    """What a customer's own voting link shows: the cards as text only, and their dots."""

    invitation: Invitation
    contact: Contact
    session: Session
    round: VotingRound | None
    cards: list[Insight]  # each with ``my_dots``
    spent: int

    @property
    def budget(self) -> int:
        return self.round.budget if self.round else 0

    @property
    def left(self) -> int:
        return max(0, self.budget - self.spent)

    @property
    def is_open(self) -> bool:
        return self.round is not None and self.round.is_open


def ballot_for_link(invitation_id: int, contact_id: int) -> LinkBallot:
    """The ballot behind a verified voting token (public: the token is the credential).

    NotFound with a message for people when the invitation is gone or was declined.
    """
    invitation = (
        Invitation.objects.select_related("session", "contact")
        .filter(pk=invitation_id, contact_id=contact_id)
        .first()
    )
    if invitation is None:
        raise NotFound("This voting link no longer works: the invitation behind it is gone.")
    if invitation.rsvp == RsvpStatus.DECLINED:
        raise NotFound(
            "You declined the invitation to this session, so this link cannot vote. If you "
            "took part after all, ask the facilitator to record your answer."
        )
    session = invitation.session
    mine = dict(
        Vote.objects.filter(session=session, contact_id=contact_id).values_list(
            "insight_id", "dots"
        )
    )
    cards = list(votable_cards(session))
    for card in cards:
        card.my_dots = mine.get(card.pk, 0)  # type: ignore[attr-defined]
    return LinkBallot(
        invitation=invitation,
        contact=invitation.contact,
        session=session,
        round=VotingRound.objects.filter(session=session).first(),
        cards=cards,
        spent=sum(mine.values()),
    )


@transaction.atomic
def vote_by_link(*, invitation_id: int, contact_id: int, dots: Mapping[int, int]) -> LinkBallot:
    """A customer submits their ballot through their own link (ids from the verified token).

    ``dots`` maps card ids to the dots wanted there; it replaces the customer's whole ballot
    in the session, whatever channel recorded it before. Refused whole over the budget, on a
    card that is not the session's votable card, or once voting is closed. One audit event
    per submission.
    """
    ballot = ballot_for_link(invitation_id, contact_id)
    session = ballot.session
    found = _open_round(session)
    voter = _voter(session, contact_id)
    wanted: dict[tuple[int, int], int] = {}
    for insight_id, n in dots.items():
        wanted[(insight_id, voter.pk)] = _dots(n, f"card_{insight_id}")
    cards = {c.pk for c in votable_cards(session)}
    strange = sorted(i for (i, _), n in wanted.items() if i not in cards and n)
    if strange:
        raise ValidationFailed.field(
            f"card_{strange[0]}", "This card is not one of this session's cards to vote on."
        )
    for insight_id in Vote.objects.filter(session=session, contact=voter).values_list(
        "insight_id", flat=True
    ):
        wanted.setdefault((insight_id, voter.pk), 0)
    wanted = {k: v for k, v in wanted.items() if k[0] in cards or v == 0}
    total = sum(wanted.values())
    if total > found.budget:
        raise ValidationFailed.field(
            "__all__",
            f"You have {_plural(found.budget)} to spend and chose {total}; take some off.",
        )
    changes = _apply(session, wanted, channel=VoteChannel.LINK, recorded_by_id=None)
    if changes:
        audit.record(
            None,
            action="votes.submitted",
            obj=found,
            changes={"contact": voter.pk, **changes},
            reason="Voted through their own link.",
        )
    return ballot_for_link(invitation_id, contact_id)
