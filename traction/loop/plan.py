"""The communication plan (docs/loop.md, "The communication plan"): when each customer
organisation of a program is due to hear from us next, who tells them, and who has heard
nothing for too long.

A program's customer organisations are those whose contacts took part in its sessions
(accepted the invitation), raised one of its insights (on the map, or merged into a card
that is: ``insights.models.raised``; a candidate waiting for review or a discarded row is
nobody's input) or voted in it. For each:

- **last heard**: the latest message of an update of the program that reached one of its
  contacts (``UpdateRecipient`` state ``sent``); a bounced or undeliverable message, or one
  to a contact now unreachable, counts as silence.
- **the promise**: a session that is over and recorded when its customers will hear back
  (``Session.hear_back_by``) is answered for an organisation that took part once it heard
  from us after the session ended; until then its date is the promise, counting down.
- **next due**: the earliest unanswered promise; else the last update or the last session
  over it took part in (whichever is later) plus the plan's cadence.
- **silent**: nothing heard for the plan's ``silence_days`` since the last update (or since
  its first session over, if it never heard anything): Traction prompts a re-engagement.

Everything is computed from a fixed number of queries, whatever the number of
organisations (``rows``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db.models import (
    Case,
    Count,
    DateField,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Lower, TruncDate

from traction.core import clock, permissions
from traction.core.permissions import Viewer
from traction.customers.models import Customer
from traction.insights import rules as insight_rules
from traction.insights.models import Insight, raised
from traction.loop.models import (
    DEFAULT_CADENCE_DAYS,
    SILENCE_DAYS,
    CommsOwner,
    CommsPlan,
    MessageState,
    UpdateRecipient,
)
from traction.programs.models import Program
from traction.sessions.models import (
    Invitation,
    RsvpStatus,
    Session,
    SessionKind,
    SessionStatus,
)
from traction.voting.models import Vote

DUE_SOON_DAYS = 7  # "due soon" (and a reminder) this many days ahead
PROMISE_DEFAULT_DAYS = 14  # the suggested promise: two weeks after the session ends


class Due:
    """Why an organisation's next update is due when it is."""

    PROMISE = "promise"  # a session's promise, not answered yet
    AFTER_UPDATE = "after_update"  # the cadence after the last update
    AFTER_SESSION = "after_session"  # the cadence after the last session over


@dataclass(frozen=True)
class Promise:
    session_id: int
    session_title: str
    ended_at: datetime
    by: date  # hear_back_by
    answered_at: datetime | None  # when the organisation first heard after it (None: not yet)

    @property
    def answered(self) -> bool:
        return self.answered_at is not None

    def days_left(self, today: date) -> int:
        """Days until the promised date (negative: overdue by that many)."""
        return (self.by - today).days


@dataclass
class PlanRow:
    customer: Customer
    teller: Any | None  # a User: the program's teller for it, else its account owner
    teller_is_default: bool
    last_heard: datetime | None
    last_session: datetime | None  # when its latest session over ended
    first_session: datetime | None
    promises: list[Promise] = field(default_factory=list)  # unanswered, earliest first
    next_due: date | None = None
    due_because: str = ""  # Due.*
    today: date = date.min
    silence_days: int = SILENCE_DAYS
    reengage: str | None = None  # the page's link drafting a re-engagement update

    @property
    def promise(self) -> Promise | None:
        return self.promises[0] if self.promises else None

    @property
    def days_to_due(self) -> int | None:
        return None if self.next_due is None else (self.next_due - self.today).days

    @property
    def overdue_days(self) -> int:
        left = self.days_to_due
        return -left if left is not None and left < 0 else 0

    @property
    def overdue(self) -> bool:
        return self.overdue_days > 0

    @property
    def due_soon(self) -> bool:
        left = self.days_to_due
        return left is not None and 0 <= left <= DUE_SOON_DAYS

    @property
    def silent_since(self) -> datetime | None:
        return self.last_heard or self.first_session

    @property
    def silent_days(self) -> int | None:
        since = self.silent_since
        if since is None:
            return None
        return (self.today - since.date()).days

    @property
    def silent(self) -> bool:
        days = self.silent_days
        return days is not None and days >= self.silence_days


@dataclass(frozen=True)
class PlanSettings:
    cadence_days: int
    silence_days: int
    notes: str
    updated_at: datetime | None
    updated_by: Any | None


def plan_of(program_id: int) -> PlanSettings:
    """The program's plan, or the defaults when nobody changed them yet."""
    found = CommsPlan.objects.select_related("updated_by").filter(program_id=program_id).first()
    if found is None:
        return PlanSettings(DEFAULT_CADENCE_DAYS, SILENCE_DAYS, "", None, None)
    return PlanSettings(
        found.cadence_days, found.silence_days, found.notes, found.updated_at, found.updated_by
    )


def _over(program_id: int, now: datetime) -> QuerySet[Any]:  # Sessions with over_at
    return (
        Session.objects.filter(program_id=program_id, status=SessionStatus.PLANNED)
        .exclude(kind=SessionKind.PRACTICE)
        .annotate(over_at=Coalesce("actual_ends_at", "ends_at"))
        .filter(over_at__lte=now)
    )


def sessions_over(
    program_id: int, now: datetime | None = None, session_ids: Iterable[int] | None = None
) -> list[Session]:
    """The program's sessions with customers that are over (not cancelled, no practice);
    of ``session_ids`` only, if given."""
    found = _over(program_id, now or clock.now())
    if session_ids is not None:
        found = found.filter(pk__in=list(session_ids))
    return list(found.order_by("over_at", "pk"))


def _took_part(program_id: int, workspace_id: int) -> list[tuple[QuerySet[Any], str]]:
    """How a customer organisation takes part in a program: its contacts accepted a
    session's invitation, raised an insight (``raised()``: accepted, or merged into an
    accepted card) or voted there (each with its customer field). The insights are read
    through the workspace and the status, so the index ``insight_session_ws_status`` skips
    the candidates of a large import."""
    return [
        (
            Invitation.objects.filter(session__program_id=program_id, rsvp=RsvpStatus.ACCEPTED),
            "contact__customer_id",
        ),
        (
            Insight.objects.filter(
                raised(),
                workspace_id=workspace_id,
                program_id=program_id,
                customer__isnull=False,
                internal=False,
            ),
            "customer_id",
        ),
        (Vote.objects.filter(session__program_id=program_id, dots__gt=0), "contact__customer_id"),
    ]


def taking_part(
    program_id: int,
    workspace_id: int,
    session_ids: Iterable[int] | None = None,
    customer_ids: Iterable[int] | None = None,
) -> dict[int, set[int]]:
    """Customer id → the program's sessions its contacts took part in: accepted the
    invitation, raised an insight or voted there (three queries; of ``customer_ids`` only,
    if given)."""
    found: dict[int, set[int]] = defaultdict(set)
    wanted = None if session_ids is None else set(session_ids)
    for rows, customer in _took_part(program_id, workspace_id):
        if customer_ids is not None:
            rows = rows.filter(**{f"{customer}__in": list(customer_ids)})
        # No ordering: a model's default one would join the DISTINCT (one row per insight).
        pairs = rows.values_list(customer, "session_id").order_by().distinct()
        for customer_id, session_id in pairs:
            if wanted is None or session_id in wanted:
                found[customer_id].add(session_id)
    return found


def customers_taking_part(program: Program, *, name: str = "") -> QuerySet[Customer]:
    """The program's customer organisations as its plan lists them (taking part, not
    archived), by name, with their account owners; ``name`` keeps those whose name holds
    it (any case). One query, whatever their number, so it pages."""
    took_part = Q()
    for rows, customer in _took_part(program.pk, program.workspace_id):
        took_part |= Q(pk__in=rows.values(customer))
    found = Customer.objects.filter(
        took_part, workspace_id=program.workspace_id, archived_at__isnull=True
    )
    if name.strip():
        found = found.filter(name__icontains=name.strip())
    return found.select_related("account_owner").order_by(Lower("name"), "pk")


def last_heard(program_id: int, customer_ids: Iterable[int] | None = None) -> dict[int, datetime]:
    """Customer id → when one of its contacts last received an update of the program (a
    bounced message, or one to a contact unreachable now, is silence)."""
    found = UpdateRecipient.objects.filter(
        update__program_id=program_id,
        state=MessageState.SENT,
        sent_at__isnull=False,
        bounced_at__isnull=True,
        contact__unreachable_at__isnull=True,
    )
    if customer_ids is not None:
        found = found.filter(customer_id__in=list(customer_ids))
    return {
        row["customer_id"]: row["last"]
        for row in found.values("customer_id").annotate(last=Max("sent_at"))
    }


def tellers(program_id: int, customer_ids: Iterable[int] | None = None) -> dict[int, CommsOwner]:
    """Customer id → who the plan names to tell it (only those named; of ``customer_ids``
    only, if given)."""
    found = CommsOwner.objects.filter(program_id=program_id).select_related("teller")
    if customer_ids is not None:
        found = found.filter(customer_id__in=list(customer_ids))
    return {o.customer_id: o for o in found}


def compute(
    program: Program, *, customer_ids: set[int] | None = None, today: date | None = None
) -> list[PlanRow]:
    """The plan's row of each customer organisation of the program (of ``customer_ids``
    only, if given), most urgent first: overdue (longest first), then by due date, then
    those with nothing due, by name. A fixed number of queries."""
    plan = plan_of(program.pk)
    now = clock.now()
    today = today or clock.today()
    part = taking_part(program.pk, program.workspace_id, customer_ids=customer_ids)
    over = {
        s.pk: s
        for s in sessions_over(program.pk, now, {i for found in part.values() for i in found})
    }
    ids = set(part)
    if customer_ids is not None:
        ids &= customer_ids
    customers = Customer.objects.filter(
        pk__in=ids, workspace_id=program.workspace_id, archived_at__isnull=True
    ).select_related("account_owner")
    heard = last_heard(program.pk, ids)
    named = tellers(program.pk, ids)
    rows = []
    for customer in customers:
        sessions = sorted(
            (over[s] for s in part[customer.pk] if s in over),
            key=lambda s: (s.ended_at, s.pk),
        )
        owner = named.get(customer.pk)
        teller = owner.teller if owner is not None and owner.teller_id else None
        last = heard.get(customer.pk)
        row = PlanRow(
            customer=customer,
            teller=teller or customer.account_owner,
            teller_is_default=teller is None,
            last_heard=last,
            last_session=sessions[-1].ended_at if sessions else None,
            first_session=sessions[0].ended_at if sessions else None,
            today=today,
            silence_days=plan.silence_days,
        )
        for s in sessions:
            if s.hear_back_by is None:
                continue
            answered = last if last is not None and last >= s.ended_at else None
            if answered is None:
                row.promises.append(Promise(s.pk, s.title, s.ended_at, s.hear_back_by, None))
        row.promises.sort(key=lambda p: (p.by, p.session_id))
        if row.promises:
            row.next_due, row.due_because = row.promises[0].by, Due.PROMISE
        else:
            base = max((d for d in (last, row.last_session) if d is not None), default=None)
            if base is not None:
                row.next_due = base.date() + timedelta(days=plan.cadence_days)
                row.due_because = (
                    Due.AFTER_UPDATE if last is not None and base == last else Due.AFTER_SESSION
                )
        rows.append(row)
    rows.sort(key=_urgency)
    return rows


def _urgency(row: PlanRow) -> tuple[int, int, str, int]:
    if row.next_due is None:
        return (1, 0, row.customer.name.lower(), row.customer.pk)
    return (0, row.next_due.toordinal(), row.customer.name.lower(), row.customer.pk)


FAR_PAST = datetime(1900, 1, 1, tzinfo=UTC)


class RowState:
    """The filters of the plan's rows (``plan_rows(..., state=)``)."""

    OVERDUE = "overdue"
    DUE_SOON = "due_soon"
    SILENT = "silent"
    PROMISE = "promise"  # a promise not answered yet
    ALL = (OVERDUE, DUE_SOON, SILENT, PROMISE)


def plan_rows(
    viewer: Viewer,
    program: Program,
    *,
    state: str = "",
    name: str = "",
    today: date | None = None,
) -> QuerySet[Any]:
    """The plan's rows the viewer may see (``rows``) as a queryset of the organisations,
    most urgent first, each annotated by the database with ``last_heard``, ``first_session``,
    ``last_session``, ``promise_by`` (the earliest unanswered promise), ``next_due`` and
    ``teller_id``: so a page, a filter (``state``: ``RowState``; ``name``) and a count cost
    the same queries and read the page's rows only, whatever the number of organisations.
    ``compute`` then shapes a page's rows (``page_rows``)."""
    permissions.check(viewer, "loop.plan_view", program)
    found: QuerySet[Any] = annotated(program, customers_taking_part(program, name=name))
    identify = insight_rules.visible_customers(viewer)
    if identify is not None:
        found = found.filter(pk__in=identify.values("pk"))
    today = today or clock.today()
    settings = plan_of(program.pk)
    if state == RowState.OVERDUE:
        found = found.filter(next_due__lt=today)
    elif state == RowState.DUE_SOON:
        found = found.filter(
            next_due__gte=today, next_due__lte=today + timedelta(days=DUE_SOON_DAYS)
        )
    elif state == RowState.SILENT:
        found = found.filter(silent_since__lte=today - timedelta(days=settings.silence_days))
    elif state == RowState.PROMISE:
        found = found.filter(promise_by__isnull=False)
    return found.order_by(F("next_due").asc(nulls_last=True), Lower("name"), "pk")


def annotated(program: Program, customers: QuerySet[Customer]) -> QuerySet[Any]:
    """``found`` (the program's organisations) annotated as ``plan_rows`` says, by the
    database (no policy: the caller's)."""
    found: QuerySet[Any] = customers
    settings = plan_of(program.pk)
    customer = OuterRef(OuterRef("pk"))
    took = (
        Exists(
            Invitation.objects.filter(
                session_id=OuterRef("pk"), rsvp=RsvpStatus.ACCEPTED, contact__customer_id=customer
            )
        )
        | Exists(
            Insight.objects.filter(
                raised(),
                session_id=OuterRef("pk"),
                workspace_id=program.workspace_id,  # with the status: the session's index
                customer_id=customer,
                internal=False,
            )
        )
        | Exists(
            Vote.objects.filter(
                session_id=OuterRef("pk"), dots__gt=0, contact__customer_id=customer
            )
        )
    )
    theirs = _over(program.pk, clock.now()).filter(took)
    heard = UpdateRecipient.objects.filter(
        update__program_id=program.pk,
        state=MessageState.SENT,
        sent_at__isnull=False,
        bounced_at__isnull=True,
        contact__unreachable_at__isnull=True,
        customer_id=OuterRef("pk"),
    )
    found = found.annotate(
        last_heard=Subquery(heard.order_by("-sent_at").values("sent_at")[:1]),
        first_session=Subquery(theirs.order_by("over_at", "pk").values("over_at")[:1]),
        last_session=Subquery(theirs.order_by("-over_at", "-pk").values("over_at")[:1]),
        teller_id=Coalesce(
            Subquery(
                CommsOwner.objects.filter(
                    program_id=program.pk, customer_id=OuterRef("pk"), teller__isnull=False
                ).values("teller_id")[:1]
            ),
            F("account_owner_id"),
            output_field=IntegerField(),
        ),
    )
    rows: QuerySet[Any] = found.annotate(
        promise_by=Subquery(
            theirs.filter(
                hear_back_by__isnull=False,
                over_at__gt=Coalesce(OuterRef("last_heard"), Value(FAR_PAST)),
            )
            .order_by("hear_back_by", "pk")
            .values("hear_back_by")[:1]
        ),
        base=Case(
            When(last_heard__isnull=True, then=F("last_session")),
            When(last_session__isnull=True, then=F("last_heard")),
            When(last_heard__gte=F("last_session"), then=F("last_heard")),
            default=F("last_session"),
            output_field=DateTimeField(),
        ),
    ).annotate(
        next_due=Coalesce(
            F("promise_by"),
            Cast(
                TruncDate("base", tzinfo=UTC) + Value(timedelta(days=settings.cadence_days)),
                DateField(),
            ),
            output_field=DateField(),
        ),
        silent_since=TruncDate(Coalesce("last_heard", "first_session"), tzinfo=UTC),
    )
    return rows


def summary(
    rows: QuerySet[Customer], silence_days: int, today: date | None = None
) -> dict[str, int]:
    """How many of ``plan_rows`` are in each state, in one query."""
    today = today or clock.today()
    return rows.order_by().aggregate(
        all=Count("pk"),
        overdue=Count("pk", filter=Q(next_due__lt=today)),
        due_soon=Count(
            "pk",
            filter=Q(next_due__gte=today, next_due__lte=today + timedelta(days=DUE_SOON_DAYS)),
        ),
        silent=Count("pk", filter=Q(silent_since__lte=today - timedelta(days=silence_days))),
        promises=Count("pk", filter=Q(promise_by__isnull=False)),
    )


def page_rows(program: Program, page: list[Customer], today: date | None = None) -> list[PlanRow]:
    """The plan's rows of a page of ``plan_rows``, in its order (``compute`` for those
    organisations only: a fixed number of queries, the page's rows)."""
    if not page:
        return []
    found = {
        r.customer.pk: r for r in compute(program, customer_ids={c.pk for c in page}, today=today)
    }
    return [found[c.pk] for c in page if c.pk in found]


def program(viewer: Viewer, program_id: int) -> Program:
    """The program whose plan the viewer may read (NotFound otherwise)."""
    return permissions.get(viewer, "loop.plan_view", Program.objects.all(), pk=program_id)


def session_promises(session: Session, today: date | None = None) -> list[dict[str, Any]]:
    """Per customer organisation that took part in the session: whether the first update
    after it went (and when), else the promise counting down (or, without a promise date,
    nothing to count)."""
    today = today or clock.today()
    part = taking_part(session.program_id, session.workspace_id, [session.pk])
    ids = {c for c, found in part.items() if session.pk in found}
    heard = last_heard(session.program_id, ids)
    out = []
    for customer in Customer.objects.filter(pk__in=ids).order_by("name", "pk"):
        last = heard.get(customer.pk)
        answered = last if last is not None and last >= session.ended_at else None
        left = None if session.hear_back_by is None else (session.hear_back_by - today).days
        out.append(
            {
                "customer": customer,
                "answered_at": answered,
                "days_left": left,
                "overdue_days": -left if left is not None and left < 0 else 0,
            }
        )
    return out


def suggested_promise(session: Session) -> date:
    """Two weeks after the session's end, in its own time zone."""
    return session.ended_at.astimezone(session.tz).date() + timedelta(days=PROMISE_DEFAULT_DAYS)


def overdue_for(viewer: Viewer) -> list[tuple[Program, int]]:
    """The programs where the viewer tells customers whose update is overdue, with how many
    (the home page's next step): programs whose plan names them, or where a customer they
    own took part."""
    u = viewer.user_id
    owned = Invitation.objects.filter(
        contact__customer__account_owner_id=u, rsvp=RsvpStatus.ACCEPTED
    ).values("session__program_id")
    said = Insight.objects.filter(raised(), customer__account_owner_id=u, internal=False).values(
        "program_id"
    )
    named = CommsOwner.objects.filter(teller_id=u).values("program_id")
    programs = (
        Program.objects.filter(workspace_id=viewer.workspace_id)
        .exclude(status="closed")
        .filter(Q(pk__in=owned) | Q(pk__in=said) | Q(pk__in=named))
        .order_by("name", "pk")
    )
    found = []
    today = clock.today()
    for program in programs:
        count = (
            annotated(program, customers_taking_part(program))
            .filter(next_due__lt=today, teller_id=u)
            .count()
        )
        if count:
            found.append((program, count))
    return found
