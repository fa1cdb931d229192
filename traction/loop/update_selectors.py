"""The reads of updates, through the one policy: a program's updates (``loop.updates``: an
account owner reads those asking for their approval and addressed to the customers they
identify, ``rules.update_addressed_to_mine``; the list, its counts, the detail and every API
answer read through it), one update with its checker flags, recipients (those of
organisations the reader may identify), approvals and what changed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, Count, QuerySet, When
from django.db.models.functions import Lower

from traction.core import permissions
from traction.core.offering import OFFERED, Offered, typed_words
from traction.core.permissions import Viewer
from traction.customers.models import Customer
from traction.insights import rules as insight_rules
from traction.loop import update_checker, update_emails
from traction.loop.audience import Candidate
from traction.loop.models import Approval, ApprovalEmail, AtRisk, Delivery, Update, UpdateState
from traction.loop.services import updates as update_services
from traction.programs.models import Program
from traction.sessions.models import Session


def updates(viewer: Viewer, program: Program, state: str = "") -> QuerySet[Update]:
    """The program's updates the viewer may read, newest first (``state`` filters)."""
    found = permissions.scope(
        viewer, "loop.updates", Update.objects.filter(program_id=program.pk)
    ).select_related("customer", "session", "created_by")
    if state:
        found = found.filter(state=state)
    return found.order_by("-created_at", "-pk")


def counts(viewer: Viewer, program: Program) -> dict[str, int]:
    rows = (
        permissions.scope(viewer, "loop.updates", Update.objects.filter(program_id=program.pk))
        .values("state")
        .annotate(n=Count("pk"))
    )
    found = dict.fromkeys(UpdateState.values, 0)
    for row in rows:
        found[row["state"]] = row["n"]
    return found


PICKER_ROWS = 20  # organisations the compose form's picker offers at a time


def composable_customers(viewer: Viewer) -> QuerySet[Customer]:
    """The organisations an update may be drafted for: those the viewer may know
    (``customer.identify``), not archived."""
    return permissions.scope(viewer, "customer.identify", Customer.objects.all()).filter(
        archived_at__isnull=True
    )


def customer_picker(
    viewer: Viewer, *, q: str = "", chosen: list[int] | tuple[int, ...] = ()
) -> tuple[list[Customer], bool]:
    """What the compose form's picker of organisations shows: the one chosen, then at most
    ``PICKER_ROWS`` others of the workspace (not archived) whose name holds ``q``, by name;
    and whether more match, as the policy lets the viewer know organisations
    (``customer.identify``). Two queries, whatever the number of organisations."""
    active = composable_customers(viewer).order_by(Lower("name"), "pk")
    picked = list(active.filter(pk__in=chosen)) if chosen else []
    rest = active.exclude(pk__in=[c.pk for c in picked])
    if q.strip():
        rest = rest.filter(name__icontains=q.strip())
    found = list(rest[: PICKER_ROWS + 1])
    return picked + found[:PICKER_ROWS], len(found) > PICKER_ROWS


def _latest(
    rows: QuerySet[Any],
    typed: str,
    chosen: int | None,
    *newest: str,
    text: str = "title",
    key: str = "pk",
) -> Offered[Any]:
    """One query: the chosen row (of ``rows`` only: its ``key`` is ``chosen``) first, then
    the latest whose ``text`` holds ``typed``."""
    typed = typed_words(typed)
    offered = rows.filter(**{f"{text}__icontains": typed}) if typed else rows
    if chosen is not None:
        offered = offered | rows.filter(**{key: chosen})
    first = Case(When(**{key: chosen or 0}, then=0), default=1)
    found = list(offered.order_by(first, *newest)[: OFFERED + 2])
    picked = [r for r in found if getattr(r, key) == chosen][:1]
    others = [r for r in found if getattr(r, key) != chosen]
    latest = sorted(
        [*picked, *others[:OFFERED]],
        key=lambda r: [getattr(r, name.lstrip("-")) for name in newest],
        reverse=True,
    )
    return Offered(latest, typed, len(others) > OFFERED)


def compose_sessions(
    program: Program, *, typed: str = "", chosen: int | None = None
) -> Offered[Any]:
    """The compose form's Session options: the program's latest sessions whose title holds
    ``typed`` ("Find a session"), and the chosen one. One query, whatever their number."""
    rows = Session.objects.filter(program_id=program.pk)
    return _latest(rows, typed, chosen, "-starts_at", "-id")


def compose_deliveries(
    program: Program, *, typed: str = "", chosen: int | None = None
) -> Offered[Any]:
    """The compose form's Delivery options: the program's latest deliveries (not archived)
    whose title holds ``typed``, and the chosen one. One query, whatever their number."""
    rows = Delivery.objects.filter(program_id=program.pk, archived_at__isnull=True)
    return _latest(rows, typed, chosen, "-on", "-id")


def compose_risks(program: Program, *, typed: str = "", chosen: int | None = None) -> Offered[Any]:
    """The compose form's "Priority at risk" options: the program's priorities the slip radar
    marks at risk now, the latest marked first, whose text holds ``typed`` ("Find a priority
    at risk"), and the chosen one (a priority id). One query, whatever their number."""
    rows = AtRisk.objects.filter(program_id=program.pk, cleared_at__isnull=True)
    return _latest(
        rows.select_related("priority"),
        typed,
        chosen,
        "-since",
        "-id",
        text="priority__text",
        key="priority_id",
    )


def update(viewer: Viewer, update_id: int) -> Update:
    return permissions.get(
        viewer,
        "loop.updates",
        Update.objects.select_related("program", "customer", "session", "delivery", "sent_by"),
        pk=update_id,
    )


def approval_of(viewer: Viewer, approval_id: int) -> Approval:
    """An update's approval, fetched through its update (``loop.updates``): a member who
    may read the update may see its approvals (acting on them is checked by the service)."""
    from traction.core.errors import NotFound

    found = (
        Approval.objects.filter(
            subject_kind="update", workspace_id=viewer.workspace_id, pk=approval_id
        )
        .select_related("customer", "account_owner")
        .first()
    )
    if found is None or found.update_id is None:
        raise NotFound("No such approval.")
    found.update = update(viewer, found.update_id)
    return found


@dataclass
class ApprovalRow:
    approval: Approval
    changes: update_services.Changes | None
    mine: bool
    link: str = ""
    mail: ApprovalEmail | None = None  # the newest request or reminder to the owner
    send_again: bool = False  # given up (or never finished): a member may send it again


@dataclass
class UpdateView:
    update: Update
    problems: list[update_checker.Problem]
    candidates: list[Candidate]  # of organisations the viewer may identify
    hidden: int  # candidates of other organisations (counted, never named)
    approvals: list[ApprovalRow] = field(default_factory=list)
    superseded: list[Approval] = field(default_factory=list)
    recipients: list[Any] = field(default_factory=list)  # the outbox rows, once approved
    nobody: str = ""  # a draft nobody would receive: why, in plain words (before asking)


def detail(viewer: Viewer, found: Update) -> UpdateView:
    identify = insight_rules.visible_customer_ids(viewer)

    def visible(customer_id: int) -> bool:
        return identify is None or customer_id in identify

    closed = found.state in (UpdateState.SENT, UpdateState.DISCARDED)
    everyone = [] if closed else update_services.candidates(found)
    shown = [c for c in everyone if visible(c.contact.customer_id)]
    problems = [] if closed else update_checker.update_problems(found)
    view = UpdateView(found, problems, shown, len(everyone) - len(shown))
    if found.state == UpdateState.DRAFT:
        view.nobody = update_services.nobody_to_send_to(found, everyone)
    all_approvals = (
        Approval.objects.filter(update=found)
        .select_related("customer", "account_owner", "by")
        .order_by("-version", "customer__name", "pk")
    )
    # The approvals the policy lets the viewer give (the Approve button), in one query.
    approvable = set()
    if permissions.allows(viewer, "loop.approve"):
        approvable = set(
            permissions.scope(
                viewer, "loop.approve", Approval.objects.filter(update=found)
            ).values_list("pk", flat=True)
        )
    shown_approvals = [a for a in all_approvals if visible(a.customer_id)]
    current = [a for a in shown_approvals if a.superseded_at is None]
    mail = update_emails.latest_to_owner([a.pk for a in current])
    changes = update_services.changes_of(current)
    for a in shown_approvals:
        if a.superseded_at is not None:
            view.superseded.append(a)
            continue
        view.approvals.append(
            ApprovalRow(
                approval=a,
                changes=changes[a.pk],
                mine=a.pk in approvable,
                mail=mail.get(a.pk),
                send_again=a.state == "pending"
                and found.state == UpdateState.AWAITING
                and update_emails.may_send_again(mail.get(a.pk)),
            )
        )
    view.recipients = [
        r
        for r in found.recipients.select_related("customer").order_by("customer__name", "name")
        if visible(r.customer_id)
    ]
    return view


def candidates(viewer: Viewer, found: Update) -> list[Candidate]:
    """Everyone the update would reach (the excluded ones with why) of the organisations the
    viewer may identify, by organisation then name; none once it is sent or discarded (its
    recipients are then the outbox rows). A fixed number of queries (``audience``)."""
    if found.state in (UpdateState.SENT, UpdateState.DISCARDED):
        return []
    identify = insight_rules.visible_customer_ids(viewer)
    return [
        c
        for c in update_services.candidates(found)
        if identify is None or c.contact.customer_id in identify
    ]


def approvals(viewer: Viewer, found: Update) -> QuerySet[Approval]:
    """The update's current approvals (one per organisation asked of its latest version, not
    superseded) of organisations the viewer may identify, newest version first, then by
    organisation: a queryset, so a page reads its rows only."""
    identify = insight_rules.visible_customers(viewer)
    rows = Approval.objects.filter(update=found, superseded_at__isnull=True)
    if identify is not None:
        rows = rows.filter(customer__in=identify)
    return rows.select_related("customer").order_by("-version", "customer__name", "pk")


@dataclass(frozen=True)
class HeardRecently:
    organisation: str
    last: Any  # datetime of the last message of the program that reached them
    days_ago: int


def heard_recently(found: Update, candidates: list[Candidate]) -> tuple[int, list[HeardRecently]]:
    """The plan's cadence (days), and the organisations this update would reach that heard
    from the program within it: mail follows the plan's cadence, never one message per
    event, so the page says so before anyone sends. Two queries whatever the audience."""
    if found.state in (UpdateState.SENT, UpdateState.DISCARDED):
        return 0, []
    names = {
        c.contact.customer_id: c.contact.customer.name
        for c in candidates
        if c.included and c.contact.customer_id is not None
    }
    return heard_within_cadence(found.program_id, names)


def heard_within_cadence(program_id: int, names: dict[int, str]) -> tuple[int, list[HeardRecently]]:
    """The plan's cadence (days), and which of the organisations ``names`` (customer id →
    name) heard from the program within it, latest first."""
    from traction.core import clock
    from traction.loop import plan

    cadence = plan.plan_of(program_id).cadence_days
    if not names:
        return cadence, []
    now = clock.now()
    recent = [
        HeardRecently(names[customer_id], last, (now - last).days)
        for customer_id, last in plan.last_heard(program_id, names).items()
        if (now - last).days < cadence
    ]
    return cadence, sorted(recent, key=lambda h: (-h.last.timestamp(), h.organisation))
