"""Scoped reads for sessions: lists, the outreach queue, briefings, questions, readiness."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from traction.core import clock, dates, permissions
from traction.core.errors import NotFound
from traction.core.offering import Offered, offer, typed_words
from traction.core.permissions import CustomerPrincipal, Viewer

from . import agenda as templates
from . import readiness as extensions
from .models import (
    UNANSWERED,
    AgendaItem,
    Invitation,
    OutreachRequest,
    OutreachStatus,
    Participant,
    QuestionUpvote,
    RsvpStatus,
    Session,
    SessionKind,
    SessionQuerySet,
    SessionStatus,
    TopQuestion,
)
from .readiness import Check

if TYPE_CHECKING:
    from traction.customers.models import Contact


def sessions(
    viewer: Viewer, *, program_id: int | None = None, upcoming: bool | None = None, kind: str = ""
) -> QuerySet[Session]:
    qs = permissions.scope(viewer, "session.view", Session.objects.all())
    if program_id is not None:
        qs = qs.filter(program_id=program_id)
    if upcoming is True:
        qs = qs.filter(ends_at__gte=clock.now())
    elif upcoming is False:
        qs = qs.filter(ends_at__lt=clock.now())
    if kind:
        qs = qs.filter(kind=kind)
    return qs.select_related("program").order_by("starts_at", "id")


def practice_candidates(viewer: Viewer, session: Session) -> QuerySet[Session]:
    """The practice sessions the viewer may link to ``session`` (``practice_candidates``)."""
    qs = cast(SessionQuerySet, sessions(viewer, program_id=session.program_id))
    return qs.practice_candidates(session)


def session(viewer: Viewer, session_id: int, action: str = "session.view") -> Session:
    found = permissions.get(
        viewer,
        "session.view",
        Session.objects.select_related("program", "practice", "created_by", "held_by"),
        pk=session_id,
    )
    if action != "session.view":
        permissions.check(viewer, action, found)
    return found


def agenda(session: Session) -> list[AgendaItem]:
    return list(session.agenda.all())


def outreach_requests(
    viewer: Viewer, *, session_id: int | None = None, status: str = "", mine: bool = False
) -> QuerySet[OutreachRequest]:
    """Outreach requests the viewer may see; ``mine``: those waiting for their decision."""
    qs = permissions.scope(viewer, "outreach.view", OutreachRequest.objects.all())
    if session_id is not None:
        qs = qs.filter(session_id=session_id)
    if status:
        qs = qs.filter(status=status)
    if mine:
        qs = qs.filter(account_owner_id=viewer.user_id)
    return qs.select_related(
        "session",
        "session__program",
        "contact",
        "contact__customer",
        "account_owner",
        "requested_by",
    ).annotate(invited=Exists(Invitation.objects.filter(outreach=OuterRef("pk"))))


def waiting_for(viewer: Viewer) -> QuerySet[OutreachRequest]:
    """The outreach requests waiting for the viewer's decision (``outreach_requests`` with
    ``mine`` and pending), the rows alone, nothing joined: what the Approvals badge counts."""
    return permissions.scope(viewer, "outreach.view", OutreachRequest.objects.all()).filter(
        status=OutreachStatus.PENDING, account_owner_id=viewer.user_id
    )


def outreach_request(
    viewer: Viewer, request_id: int, action: str = "outreach.view"
) -> OutreachRequest:
    found = permissions.get(
        viewer,
        "outreach.view",
        OutreachRequest.objects.select_related(
            "session",
            "session__program",
            "contact",
            "contact__customer",
            "account_owner",
            "requested_by",
        ),
        pk=request_id,
    )
    if action != "outreach.view":
        permissions.check(viewer, action, found)
    return found


def pending_batches(viewer: Viewer, *, batch: uuid.UUID | None = None) -> list[PendingBatch]:
    """The requests waiting for the viewer's decision, grouped as they were asked (one
    session, one requester, one message each), oldest ask first; ``batch``: that ask only."""
    rows = outreach_requests(viewer, status=OutreachStatus.PENDING, mine=True)
    if batch is not None:
        rows = rows.filter(batch=batch)
    groups: dict[uuid.UUID, PendingBatch] = {}
    for row in rows.order_by("created_at", "pk"):
        group = groups.get(row.batch)
        if group is None:
            group = groups[row.batch] = PendingBatch(row.batch, row, [])
        group.requests.append(row)
    for group in groups.values():
        group.requests.sort(key=lambda r: (r.contact.customer.name, r.contact.name, r.pk))
    return list(groups.values())


@dataclass
class PendingBatch:
    """Requests asked together that wait for one owner: ``first`` carries the session, the
    requester, the message and when it was asked."""

    batch: uuid.UUID
    first: OutreachRequest
    requests: list[OutreachRequest]


def requests_to_decide(viewer: Viewer, request_ids: Iterable[int]) -> list[OutreachRequest]:
    """The requests named, as ``outreach_request(..., action="outreach.decide")`` fetches one,
    all or nothing: NotFound when one is missing or hidden, PermissionDenied when the viewer
    sees one but may not decide it."""
    wanted = set(request_ids)
    found = list(
        permissions.scope(
            viewer, "outreach.view", OutreachRequest.objects.filter(pk__in=wanted)
        ).select_related("session", "contact", "contact__customer")
    )
    if not wanted or len(found) != len(wanted):
        raise NotFound("Outreach request not found.")
    for request in found:
        permissions.check(viewer, "outreach.decide", request)
    return found


def _customers_seen(viewer: Viewer, session: Session) -> Q:
    """Which customers' contacts of ``session`` the viewer sees (on a row with a ``contact``):
    those the viewer may identify (``customers.rules.identified_customers``, the one rule
    insights also read), as a member of the session's team (``session.customers``) or not."""
    from traction.customers import rules as customer_rules

    in_team = permissions.can(viewer, "session.customers", session)
    found = customer_rules.identified_customers(viewer, in_team=in_team)
    return Q() if found is None else Q(contact__customer__in=found.values("pk"))


def session_outreach(session: Session, viewer: Viewer) -> QuerySet[OutreachRequest]:
    """The requests of a session the viewer may see (see ``_customers_seen``)."""
    return _outreach_rows(session.outreach_requests.filter(_customers_seen(viewer, session)))


def _outreach_rows(qs: QuerySet[OutreachRequest]) -> QuerySet[OutreachRequest]:
    return qs.select_related("contact", "contact__customer", "account_owner").order_by(
        "contact__customer__name", "contact__name"
    )


def invitations(session: Session, viewer: Viewer) -> QuerySet[Invitation]:
    """The invitations of a session the viewer may see (see ``_customers_seen``)."""
    seen = session.invitations.filter(_customers_seen(viewer, session))
    return seen.select_related("contact", "contact__customer").order_by("contact__name")


def invitation_of(request: OutreachRequest) -> Invitation:
    """The invitation behind an outreach request the caller may act on, or NotFound."""
    found = Invitation.objects.select_related("session", "contact").filter(outreach=request).first()
    if found is None:
        raise NotFound("This contact has not been invited yet.")
    return found


def participants(session: Session) -> QuerySet[Participant]:
    return session.participants.select_related("user").order_by("role", "user__full_name")


def my_participation(viewer: Viewer, session: Session) -> Participant | None:
    return session.participants.filter(user_id=viewer.user_id).first()


def questions(viewer: Viewer, session: Session) -> QuerySet[TopQuestion]:
    """Top questions with their upvotes and whether the viewer upvoted, most wanted first."""
    permissions.check(viewer, "session.view", session)
    return (
        session.questions.select_related("author")
        .annotate(
            upvote_count=Count("upvotes", distinct=True),
            upvoted=Exists(
                QuestionUpvote.objects.filter(question=OuterRef("pk"), user_id=viewer.user_id)
            ),
        )
        .order_by("-picked", "position", "-upvote_count", "created_at")
    )


def question(viewer: Viewer, question_id: int) -> TopQuestion:
    try:
        found = TopQuestion.objects.select_related("session").get(pk=question_id)
        # Visible only with its session; a hidden one is as missing as a deleted one.
        found.session = session(viewer, found.session_id)
    except (TopQuestion.DoesNotExist, NotFound):
        raise NotFound("Question not found.") from None
    return found


def participant(
    viewer: Viewer, participant_id: int, *, session_id: int | None = None
) -> Participant:
    """An internal participant of a session the viewer may see (of ``session_id``, if given);
    NotFound if missing or hidden."""
    lookup = {"session_id": session_id} if session_id is not None else {}
    try:
        found = Participant.objects.select_related("user").get(
            pk=participant_id, workspace_id=viewer.workspace_id, **lookup
        )
        found.session = session(viewer, found.session_id)
    except (Participant.DoesNotExist, NotFound):
        raise NotFound("Participant not found.") from None
    return found


def own_participant(viewer: Viewer, session_obj: Session) -> Participant:
    """The viewer's own participation in a session; NotFound when they take no part."""
    found = my_participation(viewer, session_obj)
    if found is None:
        raise NotFound("You are not a participant of this session.")
    found.session = session_obj
    return found


# --- briefing ---------------------------------------------------------------------------------


@dataclass
class CustomerInRoom:
    organisation: str
    segment: str
    contact: str
    title: str
    account_owner: str
    conditions: str
    rsvp: str


@dataclass
class Briefing:
    session: Session
    participant: Participant
    role_duty: str
    rules: list[str]
    agenda: list[AgendaItem]
    customers: list[CustomerInRoom]
    practice: Session | None


def briefing(viewer: Viewer, session_obj: Session, participant_id: int | None = None) -> Briefing:
    """The briefing packet of one participant (one's own, or any for facilitators)."""
    qs = Participant.objects.select_related("user").filter(session=session_obj)
    found = (
        qs.filter(pk=participant_id).first()
        if participant_id
        else qs.filter(user_id=viewer.user_id).first()
    )
    if found is None:
        raise NotFound(
            "You are not a participant of this session, so there is no briefing for you."
        )
    permissions.check(viewer, "briefing.view", found)
    people = []
    in_play = session_outreach(session_obj, viewer).filter(
        status__in=[OutreachStatus.APPROVED, OutreachStatus.WAIVED, OutreachStatus.PENDING]
    )
    invited = {i.outreach_id: i for i in Invitation.objects.filter(outreach__in=in_play)}
    for request in in_play:
        invitation = invited.get(request.pk)
        people.append(
            CustomerInRoom(
                organisation=request.contact.customer.name,
                segment=request.contact.customer.get_segment_display(),
                contact=request.contact.name,
                title=request.contact.title,
                account_owner=str(request.account_owner or "—"),
                conditions=request.conditions,
                rsvp=invitation.get_rsvp_display() if invitation else request.get_status_display(),
            )
        )
    return Briefing(
        session=session_obj,
        participant=found,
        role_duty=templates.ROLE_DUTIES.get(found.role, ""),
        rules=templates.RULES_OF_PARTICIPATION,
        agenda=agenda(session_obj),
        customers=people,
        practice=session_obj.practice,
    )


# --- readiness --------------------------------------------------------------------------------


@dataclass
class Readiness:
    checks: list[Check] = field(default_factory=list)

    @property
    def percent(self) -> int:
        if not self.checks:
            return 0
        return round(100 * sum(c.done for c in self.checks) / len(self.checks))


_ALLOWED = [OutreachStatus.APPROVED, OutreachStatus.WAIVED]

# Each readiness fact: (related model, how to aggregate it, which of its rows count).
_FACTS: dict[str, tuple[type[Any], Any, Q]] = {
    "outreach_total": (OutreachRequest, Count("pk"), Q()),
    "outreach_pending": (OutreachRequest, Count("pk"), Q(status=OutreachStatus.PENDING)),
    "outreach_allowed": (OutreachRequest, Count("pk"), Q(status__in=_ALLOWED)),
    "inv_total": (Invitation, Count("pk"), Q()),
    "inv_accepted": (Invitation, Count("pk"), Q(rsvp=RsvpStatus.ACCEPTED)),
    # Asked to confirm a new time counts as not answered (not accepted) until they confirm.
    "inv_unanswered": (Invitation, Count("pk"), Q(rsvp__in=UNANSWERED)),
    "inv_reconfirm": (Invitation, Count("pk"), Q(rsvp=RsvpStatus.RECONFIRM)),
    "people_total": (Participant, Count("pk"), Q()),
    "people_acknowledged": (Participant, Count("pk"), Q(briefing_acknowledged_at__isnull=False)),
    "people_attended": (Participant, Count("pk"), Q(attended_practice=True)),
    "agenda_minutes": (AgendaItem, Sum("minutes"), Q()),
    "picked": (TopQuestion, Count("pk"), Q(picked=True)),
}


def with_readiness_facts(qs: QuerySet[Session]) -> QuerySet[Session]:
    """Sessions carrying every fact readiness needs, so a list costs one query, not N
    (the checks higher apps add bring their own annotations: ``readiness.annotate``)."""
    return extensions.annotate(qs).annotate(
        **{
            f"readiness_{name}": Coalesce(
                Subquery(
                    model.objects.filter(condition, session=OuterRef("pk"))
                    .order_by()
                    .values("session")
                    .annotate(n=aggregate)
                    .values("n"),
                    output_field=IntegerField(),
                ),
                0,
            )
            for name, (model, aggregate, condition) in _FACTS.items()
        }
    )


def _facts(s: Session) -> dict[str, int]:
    if hasattr(s, "readiness_picked"):  # annotated by with_readiness_facts
        return {name: int(getattr(s, f"readiness_{name}")) for name in _FACTS}
    found = with_readiness_facts(Session.objects.filter(pk=s.pk)).values(
        *(f"readiness_{name}" for name in _FACTS)
    )[0]
    return {name: int(found[f"readiness_{name}"]) for name in _FACTS}


def _agenda_titles(s: Session) -> list[str]:
    """The agenda's titles: prefetched with the session (lists), or one query."""
    cache = getattr(s, "_prefetched_objects_cache", {})
    if "agenda" in cache:
        return [item.title for item in cache["agenda"]]
    return list(AgendaItem.objects.filter(session=s).values_list("title", flat=True))


# The facts counting customer contacts: a viewer who does not see every customer of a
# session (an account owner outside its team) counts only the rows they may see.
_CONTACT_FACTS = {
    name: fact for name, fact in _FACTS.items() if fact[0] in (OutreachRequest, Invitation)
}


def _seen_facts(session_obj: Session, viewer: Viewer) -> dict[str, int]:
    """The outreach and invitation facts over the rows the viewer may see
    (``_customers_seen``, the policy of ``session_outreach`` and ``invitations``), or {}
    when they see every customer of the session (the annotated facts hold then). Two
    queries for such a viewer, none otherwise."""
    seen = _customers_seen(viewer, session_obj)
    if not seen:
        return {}
    found: dict[str, int] = {}
    for model in (OutreachRequest, Invitation):
        facts = {n: f for n, f in _CONTACT_FACTS.items() if f[0] is model}
        counted = model.objects.filter(seen, session_id=session_obj.pk).aggregate(
            **{n: Count("pk", filter=condition) for n, (_, _, condition) in facts.items()}
        )
        found.update({n: int(v or 0) for n, v in counted.items()})
    return found


def readiness(session_obj: Session, viewer: Viewer | None = None) -> Readiness:
    """How ready a session is; each check says what is missing. A few queries, or none for a
    session from ``with_readiness_facts`` with its agenda prefetched. With ``viewer``, the
    counts of customer contacts (approvals, invitations) are over the contacts they may see,
    like the rows they count: every aggregate goes through the rows' policy."""
    s = session_obj
    f = _facts(s)
    if viewer is not None:
        f.update(_seen_facts(s, viewer))
    outreach = {
        "total": f["outreach_total"],
        "pending": f["outreach_pending"],
        "allowed": f["outreach_allowed"],
    }
    inv = {
        "total": f["inv_total"],
        "accepted": f["inv_accepted"],
        "unanswered": f["inv_unanswered"],
        "reconfirm": f["inv_reconfirm"],
    }
    people = {
        "total": f["people_total"],
        "acknowledged": f["people_acknowledged"],
        "attended": f["people_attended"],
    }
    minutes = f["agenda_minutes"]
    picked = f["picked"]
    r = Readiness()
    internal_only = s.is_practice  # rehearsal: no customers, no questions
    if not internal_only:
        r.checks.append(
            Check(
                "approvals",
                "Account owners approved outreach",
                outreach["total"] > 0 and outreach["pending"] == 0,
                f"{outreach['allowed']} of {outreach['total']} approved, "
                f"{outreach['pending']} pending"
                if outreach["total"]
                else "No customer contacts requested yet",
            )
        )
        r.checks.append(
            Check(
                "invitations",
                "Invitations accepted",
                inv["accepted"] > 0 and inv["unanswered"] == 0,
                f"{inv['accepted']} of {inv['total']} accepted, {inv['unanswered']} not answered"
                + (
                    f" ({inv['reconfirm']} asked to confirm the new time)"
                    if inv["reconfirm"]
                    else ""
                )
                if inv["total"]
                else "No invitations sent yet",
            )
        )
    r.checks.append(
        Check(
            "briefings",
            "Briefings acknowledged",
            people["total"] > 0 and people["acknowledged"] == people["total"],
            f"{people['acknowledged']} of {people['total']} participants"
            if people["total"]
            else "No internal participants yet",
        )
    )
    if not internal_only:
        held = s.practice is not None and s.practice.starts_at <= clock.now()
        if s.practice is None:
            detail = "No practice session planned"
        elif not held:
            start = s.practice.local_start
            detail = f"Practice on {dates.short(start)} {start:%H:%M} not held yet"
        else:
            detail = f"{people['attended']} of {people['total']} participants attended"
        r.checks.append(
            Check(
                "practice",
                "Practice session held and attended",
                held and people["total"] > 0 and people["attended"] == people["total"],
                detail,
            )
        )
    agenda_check = templates.check_agenda(
        kind=s.kind, length=s.length_minutes, titles=_agenda_titles(s), total=minutes
    )
    planned = f"{minutes} of {s.length_minutes} minutes planned"
    if minutes > s.length_minutes:
        over = minutes - s.length_minutes
        planned += f": {over} minute{'s' if over != 1 else ''} too many for the session’s length"
    missing = templates.missing_text(list(agenda_check.missing_parts))
    r.checks.append(
        Check(
            "agenda",
            "Agenda complete",
            agenda_check.complete,
            f"{missing}; {planned}" if missing else planned,
        )
    )
    if not internal_only:
        r.checks.append(
            Check(
                "questions",
                "Top questions picked",
                picked > 0,
                f"{picked} picked" if picked else "None picked yet",
            )
        )
    r.checks.extend(extensions.extra_checks(s))  # added by higher apps (the debrief)
    return r


# How far ahead of a session its unanswered invitations are flagged.
UNANSWERED_WARNING = timedelta(days=2)


@dataclass(frozen=True)
class UnansweredFlag:
    count: int
    days: int  # calendar days until the session, in its own time zone (0: today)

    @property
    def text(self) -> str:
        what = "invitation" if self.count == 1 else "invitations"
        if self.days <= 0:
            when = "today"
        elif self.days == 1:
            when = "tomorrow"
        else:
            when = f"in {self.days} days"
        return f"{self.count} {what} unanswered, session {when}"


def unanswered_flag(session: Session, unanswered: int | None = None) -> UnansweredFlag | None:
    """The flag for a session starting within ``UNANSWERED_WARNING`` with invitations not
    answered (or asked to confirm a new time), or None."""
    now = clock.now()
    if (
        session.status != SessionStatus.PLANNED
        or session.kind == SessionKind.PRACTICE
        or not now < session.starts_at <= now + UNANSWERED_WARNING
    ):
        return None
    if unanswered is None:
        unanswered = session.invitations.filter(rsvp__in=UNANSWERED).count()
    if not unanswered:
        return None
    days = (session.local_start.date() - now.astimezone(session.tz).date()).days
    return UnansweredFlag(count=unanswered, days=days)


def unanswered_flag_for(viewer: Viewer, session: Session) -> UnansweredFlag | None:
    """The flag as the viewer may see it: counting only the invitations they may see."""
    if unanswered_flag(session, 1) is None:
        return None  # not within the warning (no need to count)
    seen = invitations(session, viewer).filter(rsvp__in=UNANSWERED).count()
    return unanswered_flag(session, seen)


UPCOMING_SHOWN = 10  # upcoming sessions a program's page or a sponsor's home shows


def _upcoming_ready(qs: QuerySet[Session], viewer: Viewer) -> tuple[list[Any], int]:
    """The first ``UPCOMING_SHOWN`` of the upcoming sessions in ``qs`` that are not
    cancelled, each with its readiness, and how many there are: two queries whatever the
    number (the whole list is the sessions list's, paged)."""
    upcoming = qs.filter(ends_at__gte=clock.now()).exclude(status=SessionStatus.CANCELLED)
    shown = with_readiness_facts(upcoming.select_related("practice").prefetch_related("agenda"))[
        :UPCOMING_SHOWN
    ]
    rows = [(s, readiness(s, viewer)) for s in shown]
    total = len(rows) if len(rows) < UPCOMING_SHOWN else upcoming.count()
    return rows, total


def upcoming_with_readiness(viewer: Viewer, program_id: int) -> dict[str, Any]:
    """The program's first upcoming sessions, each with its readiness, and how many
    there are (``upcoming``, ``upcoming_count``)."""
    rows, total = _upcoming_ready(sessions(viewer, program_id=program_id), viewer)
    return {"upcoming": rows, "upcoming_count": total}


SPONSOR_HELD_SHOWN = 5


def sponsored_sessions(viewer: Viewer) -> dict[str, Any]:
    """For the home of a program's sponsor: the first upcoming sessions of the programs
    they sponsor, each with its readiness, and the latest held ones (empty lists
    otherwise), with how many there are of each."""
    base = sessions(viewer).filter(program__executive_sponsor_id=viewer.user_id)
    upcoming, upcoming_count = _upcoming_ready(base, viewer)
    held = base.filter(ends_at__lt=clock.now()).exclude(status=SessionStatus.CANCELLED)
    return {
        "upcoming": upcoming,
        "upcoming_count": upcoming_count,
        "held": list(held.order_by("-starts_at", "-id")[:SPONSOR_HELD_SHOWN]),
        "held_count": held.count(),
    }


def customer_invitation(customer: CustomerPrincipal) -> Invitation:
    """The customer's own invitation, through the policy (``invitation.open``), whether or
    not the session is over: for its calendar file and the workspace's logo."""
    try:
        return permissions.get(
            customer,
            "invitation.open",
            Invitation.objects.select_related("session__workspace", "session__program", "contact"),
            pk=customer.invitation_id,
        )
    except NotFound:
        raise NotFound("This invitation no longer exists.") from None


def invitation_for_rsvp(customer: CustomerPrincipal) -> Invitation:
    """The customer's own invitation, through the policy (``invitation.answer``).

    NotFound, with the same messages as ``services.respond_rsvp``, when it is gone or expired.
    """
    try:
        found = permissions.get(
            customer,
            "invitation.answer",
            Invitation.objects.select_related("session", "contact"),
            pk=customer.invitation_id,
        )
    except NotFound:
        raise NotFound("This invitation no longer exists.") from None
    if found.session.has_ended:
        raise NotFound("This RSVP link expired when the session ended.")
    return found


def offered_contacts(viewer: Viewer, *, typed: str, ticked: list[int]) -> Offered[Contact]:
    """The outreach form's contacts, bounded however many the workspace holds: those ticked
    (wherever they fall, first) and the first ``OFFERED`` by name whose name, email address
    or title holds ``typed`` ("Find contacts"). Two queries at most."""
    from traction.customers import selectors as customer_selectors

    typed = typed_words(typed)
    visible = customer_selectors.contacts(viewer).select_related("customer__account_owner")
    others = customer_selectors.contacts(viewer, q=typed).select_related("customer__account_owner")
    return offer(visible, others, ticked, typed=typed)
