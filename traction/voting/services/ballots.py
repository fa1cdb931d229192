"""Setting whole ballots at once: a paper round the facilitator enters (``TallyEntry``,
``record_paper_tally``) and a customer's own signed link (``LinkBallot``,
``ballot_for_link``, ``vote_by_link``), both written cell by cell through ``_apply`` and
refused whole when any cell breaks a rule.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db import transaction

from traction.core import audit, permissions
from traction.core.errors import NotFound, ValidationFailed
from traction.core.permissions import CustomerPrincipal, Viewer
from traction.customers.models import Contact
from traction.insights import selectors
from traction.insights.models import Insight
from traction.sessions.models import Invitation, RsvpStatus, Session
from traction.voting.models import Vote, VoteChannel, VotingRound

from .checks import behalf_reason, check_votable, find_voter, open_round, plural, votable_cards


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
    behalf_reason: str = "",
) -> dict[str, list[int]]:
    """Set each (card, contact) cell to its dots (0 removes); returns what changed. A cell
    changed keeps who entered it last, through which channel and, entered for the contact,
    why (``behalf_reason``)."""
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
            vote.behalf_reason = behalf_reason
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
                behalf_reason=behalf_reason,
            )
    return changes


@dataclass(frozen=True)
class TallyEntry:
    insight_id: int
    contact_id: int
    dots: int


@transaction.atomic
def record_paper_tally(
    actor: Viewer, *, session: Session, entries: Iterable[TallyEntry], reason: str
) -> dict[str, list[int]]:
    """A paper round: set the dots of each (card, customer) cell given, all at once.

    The dots are entered for the customers, not cast by them: each changed cell keeps who
    entered it and ``reason`` (required, e.g. "Paper ballot in the session"), and can be
    withdrawn (``traction.portal.behalf``). Cells not given keep their dots.

    Refused whole, with nothing written, when a card or a customer is not the session's,
    or when a customer's dots would exceed the budget (the error names the customer, under
    ``contact_<id>``). Returns the changed cells as ``{"<insight id>/<contact id>": [old,
    new]}``.
    """
    permissions.check(actor, "voting.run", session)
    found = open_round(session)
    why = behalf_reason(reason)
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
        c.pk: c
        for c in Insight.objects.written()
        .select_for_update(no_key=True)
        .filter(session=session, pk__in={k[0] for k in wanted})
    }
    for insight_id in sorted({k[0] for k in wanted}):
        card = cards.get(insight_id)
        try:
            if card is None:
                raise ValidationFailed.field(
                    f"card_{insight_id}", "This card is not one of this session's cards."
                )
            check_votable(card, f"card_{insight_id}")
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
                f"{voters[contact_id].name} would have {plural(total)}; the budget is "
                f"{found.budget}."
            ]
    if errors:
        raise ValidationFailed(errors)
    changes = _apply(
        session,
        wanted,
        channel=VoteChannel.PAPER,
        recorded_by_id=actor.user_id,
        behalf_reason=why,
    )
    if changes:
        audit.record(actor, action="votes.tallied", obj=found, changes=changes, reason=why)
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


def ballot_for_link(customer: CustomerPrincipal) -> LinkBallot:
    """The customer's own ballot, fetched through the policy (``ballot.view``): their
    invitation's session, its cards as text, their dots.

    NotFound with a message for people when the invitation is gone or was declined.
    """
    try:
        invitation = permissions.get(
            customer,
            "ballot.view",
            Invitation.objects.select_related("session", "contact"),
            pk=customer.invitation_id,
        )
    except NotFound:
        raise NotFound(
            "This voting link no longer works: the invitation behind it is gone."
        ) from None
    contact_id = customer.contact_id
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
def vote_by_link(customer: CustomerPrincipal, *, dots: Mapping[int, int]) -> LinkBallot:
    """A customer submits their ballot through their own link (``ballot.cast``: their own
    session's round, while it is open).

    ``dots`` maps card ids to the dots wanted there; it replaces the customer's whole ballot
    in the session, whatever channel recorded it before. Refused whole over the budget, on a
    card that is not the session's votable card, or once voting is closed. One audit event
    per submission.
    """
    ballot = ballot_for_link(customer)
    session = ballot.session
    found = open_round(session)
    permissions.check(customer, "ballot.cast", found)
    voter = find_voter(session, customer.contact_id)
    wanted: dict[tuple[int, int], int] = {}
    for insight_id, n in dots.items():
        wanted[(insight_id, voter.pk)] = _dots(n, f"card_{insight_id}")
    cards = set(
        votable_cards(session)
        .select_for_update(no_key=True, of=("self",))
        .values_list("pk", flat=True)
    )
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
            f"You have {plural(found.budget, 'dot')} to spend and chose {total}; take some off.",
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
    return ballot_for_link(customer)
