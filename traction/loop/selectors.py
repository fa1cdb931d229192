"""The reads of closing the loop, through the one policy: a program's customer priorities
(ranked by the dots the reader may count), each with its published status, pending proposal
and approvals, radar mark and history; deliveries and the customers they credit."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from traction.core import permissions
from traction.core.guard import whole_number
from traction.core.paging import Shaped
from traction.core.permissions import Viewer
from traction.customers.models import Customer
from traction.debrief.models import Evidence
from traction.insights import rules as insight_rules
from traction.insights.models import VOTABLE_KINDS, Insight, InsightStatus
from traction.loop import credit
from traction.loop.models import (
    Approval,
    ApprovalEmail,
    ApprovalState,
    AtRisk,
    Delivery,
    PriorityStatus,
    ReasonText,
)
from traction.programs.models import Program
from traction.voting.models import Vote
from traction.voting.models import counted as vote_counted


def program(viewer: Viewer, program_id: int) -> Program:
    """The program whose priorities the viewer may see (NotFound otherwise)."""
    return permissions.get(viewer, "loop.view", Program.objects.all(), pk=program_id)


def priority_cards(program_id: int) -> QuerySet[Insight]:
    """A program's customer priorities: its customers' moments of truth, issues and ideas on
    the map (accepted, not merged away, not internal) that customers put dots on, that a
    recommendation cites, or that already have a customer-facing status."""
    voted = Exists(Vote.objects.filter(insight=OuterRef("pk"), dots__gt=0))
    cited = Exists(
        Evidence.objects.filter(insight=OuterRef("pk"), recommendation__archived_at__isnull=True)
    )
    stated = Exists(PriorityStatus.objects.filter(priority=OuterRef("pk")))
    return Insight.objects.filter(
        program_id=program_id,
        kind__in=VOTABLE_KINDS,
        status=InsightStatus.ACCEPTED,
        internal=False,
    ).filter(voted | cited | stated)


def published_statuses(program_id: int, insight_ids: Collection[int]) -> dict[int, str]:
    """Of ``insight_ids``, the program's customer priorities, each with its latest published
    status as customers read it ("Planned — Q1 2027"), or "" when none is published yet: what
    the debrief room shows under a decided recommendation (``debrief.hearing``)."""
    cards = priority_cards(program_id).filter(pk__in=list(insight_ids))
    out = dict.fromkeys(cards.values_list("pk", flat=True), "")
    published = PriorityStatus.objects.filter(priority_id__in=out, published_at__isnull=False)
    for s in published.order_by("published_at", "pk"):  # the latest wins
        window = s.window
        out[s.priority_id] = s.get_status_display() + (f" — {window.label}" if window else "")
    return out


def visible_priorities(viewer: Viewer, found: Program) -> QuerySet[Insight]:
    """The program's priorities the viewer may read (``insight.view``)."""
    return insight_rules.visible_insights(viewer, priority_cards(found.pk))


PICKER_ROWS = 20  # priorities a picker offers at a time: those chosen, then matches


def priority_picker(
    viewer: Viewer,
    found: Program,
    *,
    q: str = "",
    chosen: list[int] | tuple[int, ...] = (),
    ranks: dict[int, int] | None = None,
) -> tuple[list[Insight], bool]:
    """What a picker of the program's priorities shows: those ``chosen`` (that the viewer
    may see), then at most ``PICKER_ROWS`` others whose text holds ``q`` (any case; "#12" or
    "12" also finds the priority ranked 12th on the priorities page, by ``ranks``), oldest
    first; and whether more match. Two queries (and the ranking, for a number), at most
    ``PICKER_ROWS + 1`` rows besides those chosen, whatever the number of priorities."""
    visible = visible_priorities(viewer, found).order_by("created_at", "pk")
    picked = list(visible.filter(pk__in=chosen)) if chosen else []
    rest = visible.exclude(pk__in=[p.pk for p in picked])
    words = q.strip()
    if words:
        match = Q(text__icontains=words)
        number = whole_number(words.removeprefix("#"))
        if number is not None:
            ranked = ranks if ranks is not None else priority_ranks(viewer, found)
            match |= Q(pk__in=[pk for pk, rank in ranked.items() if rank == number])
        rest = rest.filter(match)
    found_rows = list(rest[: PICKER_ROWS + 1])
    return picked + found_rows[:PICKER_ROWS], len(found_rows) > PICKER_ROWS


def priority(viewer: Viewer, found: Program, insight_id: int) -> Insight:
    return permissions.get(viewer, "insight.view", visible_priorities(viewer, found), pk=insight_id)


@dataclass
class PriorityRow:
    card: Insight
    rank: int
    dots: int
    current: PriorityStatus | None = None
    pending: PriorityStatus | None = None
    approvals: list[Approval] = field(default_factory=list)  # of customers the viewer may name
    other_approvals: int = 0  # of the others, waiting or not
    approvable: set[int] = field(default_factory=set)  # approvals the viewer may give
    # The newest request or reminder to the owner of each pending approval shown, and those
    # given up (or never finished) that a member may send again.
    mail: dict[int, ApprovalEmail] = field(default_factory=dict)
    send_again: set[int] = field(default_factory=set)
    risk: AtRisk | None = None
    history: list[PriorityStatus] = field(default_factory=list)


def ranked_priorities(viewer: Viewer, found: Program) -> QuerySet[Insight]:
    """The program's priorities the viewer may read in rank order: dots the viewer may
    count, then voters, then capture order (the id breaks ties)."""
    customers = insight_rules.visible_customers(viewer)
    counted = Q(votes__dots__gt=0) & vote_counted("votes__")
    if customers is not None:
        counted &= Q(votes__contact__customer__in=customers.values("pk"))
    return (
        visible_priorities(viewer, found)
        .select_related("customer", "session")
        .annotate(
            counted_dots=Coalesce(Sum("votes__dots", filter=counted), 0),
            counted_voters=Count("votes", filter=counted),
        )
        .order_by("-counted_dots", "-counted_voters", "created_at", "pk")
    )


def priority_ranks(viewer: Viewer, found: Program) -> dict[int, int]:
    """Each priority's rank as the priorities page shows it to the viewer (#1 first)."""
    ids = ranked_priorities(viewer, found).values_list("pk", flat=True)
    return {pk: n for n, pk in enumerate(ids, start=1)}


def priorities(viewer: Viewer, found: Program) -> Shaped[PriorityRow]:
    """The program's priorities in rank order, each with its statuses; a page of them costs a
    fixed number of queries (``priority_rows``)."""
    return Shaped(
        ranked_priorities(viewer, found),
        lambda cards, offset: priority_rows(viewer, cards, first_rank=offset + 1),
        counted=visible_priorities(viewer, found),
    )


def priority_rows(viewer: Viewer, cards: list[Insight], first_rank: int = 1) -> list[PriorityRow]:
    """Rows of ``cards`` (from ``ranked_priorities``, ranked from ``first_rank``) with their
    statuses, approvals and radar marks, in a fixed number of queries."""
    rows = [
        PriorityRow(card=c, rank=n, dots=c.counted_dots)  # type: ignore[attr-defined]
        for n, c in enumerate(cards, start=first_rank)
    ]
    by_id = {r.card.pk: r for r in rows}
    statuses = PriorityStatus.objects.filter(priority_id__in=by_id).select_related(
        "proposed_by", "published_by"
    )
    for s in statuses.order_by("proposed_at", "pk"):
        row = by_id[s.priority_id]
        if s.published_at is not None:
            row.history.append(s)
        elif s.archived_at is None:
            row.pending = s
    for row in rows:
        row.history.sort(key=lambda s: (s.published_at, s.pk), reverse=True)
        row.current = row.history[0] if row.history else None
    pending = {r.pending.pk: r for r in rows if r.pending is not None}
    approvals = Approval.objects.filter(status_id__in=pending).select_related(
        "customer", "account_owner", "by"
    )
    identify = insight_rules.visible_customer_ids(viewer)
    mine = set(
        permissions.scope(
            viewer, "loop.approve", Approval.objects.filter(status_id__in=pending)
        ).values_list("pk", flat=True)
    )
    for a in approvals:
        if a.status_id is None:
            continue
        if identify is None or a.customer_id in identify:
            pending[a.status_id].approvals.append(a)
            if a.pk in mine:
                pending[a.status_id].approvable.add(a.pk)
        else:  # another customer's: counted, never named (an account owner's view)
            pending[a.status_id].other_approvals += 1
    from traction.loop import update_emails

    waiting = {a.pk: r for r in rows for a in r.approvals if a.state == ApprovalState.PENDING}
    for approval_id, email in update_emails.latest_to_owner(list(waiting)).items():
        row = waiting[approval_id]
        row.mail[approval_id] = email
        if update_emails.may_send_again(email):
            row.send_again.add(approval_id)
    # What the page shows beside each approval (templates read attributes, not dict keys).
    for r in rows:
        for a in r.approvals:
            setattr(a, "request_mail", r.mail.get(a.pk))  # noqa: B010
            setattr(a, "send_again", a.pk in r.send_again)  # noqa: B010
    for risk in AtRisk.objects.filter(priority_id__in=by_id, cleared_at__isnull=True):
        by_id[risk.priority_id].risk = risk
    return rows


def approval(viewer: Viewer, approval_id: int, action: str = "loop.approve") -> Approval:
    """An approval the viewer may give (``loop.approve``) or waive (``loop.waive``)."""
    return permissions.get(
        viewer,
        action,
        Approval.objects.filter(subject_kind="status").select_related("status", "customer"),
        pk=approval_id,
    )


def approval_of(viewer: Viewer, approval_id: int) -> Approval:
    """A status approval, fetched through its program (``loop.view``) and only when the
    viewer may name its customer (acting on it is checked by the service)."""
    from traction.core.errors import NotFound

    found = (
        Approval.objects.filter(
            subject_kind="status", workspace_id=viewer.workspace_id, pk=approval_id
        )
        .select_related("customer", "account_owner")
        .first()
    )
    identify = insight_rules.visible_customer_ids(viewer)
    if found is None or (identify is not None and found.customer_id not in identify):
        raise NotFound("No such approval.")
    found.program = program(viewer, found.program_id)
    return found


def priority_for_approver(found: Approval) -> str:
    """The priority a status approval is about, as its account owner may read it (the email
    asking them, the approve link's page): ``priority_named_for`` the owner."""
    assert found.status is not None
    return priority_named_for(
        found.account_owner, found.workspace_id, found.status.priority, found.customer.name
    )


def priority_named_for(reader: Any, workspace_id: int, card: Insight, voters: str) -> str:
    """``card`` as the member ``reader`` may read it: its words when they may read the card
    (``insight.view``: an account owner reads their own customers' words), else the customer
    summary of a decided recommendation citing it (written for customers), else which
    organisation of theirs (``voters``) voted on it. Their customer may have voted on another
    organisation's card: its words are not theirs to read."""
    from traction.accounts.models import Membership
    from traction.debrief.models import DecisionOutcome, Recommendation
    from traction.loop.services import statuses

    role = (
        Membership.objects.filter(workspace_id=workspace_id, user_id=reader.pk)
        .values_list("role", flat=True)
        .first()
        if reader is not None
        else None
    )
    if role is not None:
        viewer = Viewer(user=reader, workspace_id=workspace_id, role=role)
        if permissions.scope(viewer, "insight.view", Insight.objects.filter(pk=card.pk)).exists():
            return card.text
    decided = [r for r in statuses.gather(card).recommendations if r.outcome != "pending"]
    decided.sort(key=lambda r: (r.outcome != DecisionOutcome.APPROVED, r.id))
    summaries = dict(
        Recommendation.objects.filter(pk__in=[r.id for r in decided]).values_list(
            "pk", "customer_summary"
        )
    )
    for rec in decided:
        if summaries.get(rec.id, "").strip():
            return " ".join(summaries[rec.id].split())
    return f"A priority {voters or 'your customers'} voted on, in another organisation's words"


# A status's approval waits while the status is not archived; an update's, for its current
# version while the update awaits approval.
_STATUS_WAITS = Q(subject_kind="status", status__archived_at__isnull=True)
_UPDATE_WAITS = Q(subject_kind="update", superseded_at__isnull=True, update__state="awaiting")


def _pending(viewer: Viewer, waits: Q) -> QuerySet[Approval]:
    return permissions.scope(
        viewer, "loop.approve", Approval.objects.filter(waits, state=ApprovalState.PENDING)
    )


def my_pending_approvals(viewer: Viewer) -> QuerySet[Approval]:
    """Customer-facing statuses waiting for the viewer's approval."""
    return _pending(viewer, _STATUS_WAITS)


def my_pending_update_approvals(viewer: Viewer) -> QuerySet[Approval]:
    """Updates waiting for the viewer's approval (their current version only)."""
    return _pending(viewer, _UPDATE_WAITS)


def my_pending_any(viewer: Viewer) -> QuerySet[Approval]:
    """Statuses and updates waiting for the viewer's approval: the figure the home and the
    navigation's Approvals badge count (with the other badges, in one query)."""
    return _pending(viewer, _STATUS_WAITS | _UPDATE_WAITS)


def reason_texts(viewer: Viewer) -> QuerySet[ReasonText]:
    """The workspace's reusable reason texts (everyone who may propose reads them), by title
    (the id breaks ties)."""
    permissions.check(viewer, "loop.view")
    return ReasonText.objects.filter(
        workspace_id=viewer.workspace_id, archived_at__isnull=True
    ).order_by("title", "pk")


def deliveries(viewer: Viewer, found: Program) -> QuerySet[Delivery]:
    """The program's deliveries (not archived), newest first (the id breaks ties)."""
    permissions.check(viewer, "loop.view", found)
    return (
        Delivery.objects.filter(
            workspace_id=viewer.workspace_id, program=found, archived_at__isnull=True
        )
        .prefetch_related("links__priority")
        .order_by("-on", "-pk")
    )


def credited(delivery: Delivery) -> QuerySet[Customer]:
    """The customer organisations credited for a delivery: those that raised or voted on a
    priority it touches."""
    return credit.customers_of(delivery.links.values_list("priority_id", flat=True))


def delivery_rows(viewer: Viewer, found: Program) -> Shaped[dict[str, Any]]:
    """Deliveries with the priorities they touch (those the viewer may see) and the
    organisations credited (those the viewer may identify); a page of them costs a fixed
    number of queries."""
    return Shaped(
        deliveries(viewer, found),
        lambda page, _offset: shape_deliveries(viewer, found, page),
    )


def shape_deliveries(viewer: Viewer, found: Program, page: list[Delivery]) -> list[dict[str, Any]]:
    """The rows of ``delivery_rows`` for ``page`` (deliveries with their links prefetched)."""
    linked = {link.priority_id for d in page for link in d.links.all()}
    visible = set(
        visible_priorities(viewer, found).filter(pk__in=linked).values_list("pk", flat=True)
    )
    ranks = priority_ranks(viewer, found) if visible else {}
    identify = insight_rules.visible_customer_ids(viewer)
    owners = credit.customers_by_priority(linked)
    named = set().union(*owners.values()) if owners else set()
    if identify is not None:
        named &= set(identify)
    names = dict(
        Customer.objects.filter(pk__in=named).order_by("name", "pk").values_list("pk", "name")
    )
    order = {pk: n for n, pk in enumerate(names)}
    rows = []
    for d in page:
        links = list(d.links.all())
        ids = set().union(*(owners[link.priority_id] for link in links)) if links else set()
        rows.append(
            {
                "delivery": d,
                "priorities": [link.priority for link in links if link.priority_id in visible],
                # (rank on the priorities page, card): people read a priority's rank, never
                # its database id; None: it is not ranked there.
                "ranked": [
                    (ranks.get(link.priority_id), link.priority)
                    for link in links
                    if link.priority_id in visible
                ],
                "credited": [names[pk] for pk in sorted(ids & names.keys(), key=order.__getitem__)],
            }
        )
    return rows
