"""Drafting updates from the data (docs/loop.md, "Updates"): reads (``facts_for``) and pure
renderers (``render_*``) of the text a facilitator then edits.

An update tells its audience what they told us (their own top priorities in their own words,
dated and credited; an update for a session or a program quotes without naming anyone, since
it goes to several organisations), what we decided, what is done (delivered statuses and
deliveries), what is next and when (only what published planned or in-progress statuses
back, with their windows) and what we are not doing and why (not planned, with the reason
written for customers). The text passes the update checker as drafted: no promise words, no
day to come, only windows statuses show. ``sources`` records every id it was built from.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Q, Sum
from django.db.models.functions import Coalesce

from traction.insights.models import Insight, not_withdrawn
from traction.loop import selectors
from traction.loop.audience import participants
from traction.loop.models import (
    AtRisk,
    Delivery,
    PriorityStatus,
    Status,
    UpdateAudience,
    UpdateKind,
)
from traction.loop.services import statuses
from traction.voting.models import Vote, counted

TOP = 5  # priorities quoted in "What you told us"


def day(d: date) -> str:
    """As customers read a date: "12 March 2027"."""
    return f"{d.day} {calendar.month_name[d.month]} {d.year}"


@dataclass
class Quote:
    insight_id: int
    text: str
    said_on: date
    credit: str  # "Gina Globex told us"; unnamed to a session or a program


@dataclass
class PriorityFacts:
    id: int
    text: str
    dots: int
    status: PriorityStatus | None = None
    decisions: list[tuple[int, str, str]] = field(default_factory=list)  # (id, title, outcome)
    deliveries: list[tuple[int, str, date]] = field(default_factory=list)
    quote: Quote | None = None


@dataclass
class Audience:
    """Who an update speaks to: ``greeting`` names them; ``name_speakers`` says whether
    the speakers of their words may be named (only to their own organisation)."""

    kind: str
    greeting: str
    name_speakers: bool
    customer_id: int | None = None
    session_id: int | None = None
    contact_ids: set[int] | None = None  # whose words are "yours"; None: any customer's


@dataclass
class Draft:
    subject: str
    body: str
    sources: dict[str, Any]


# --- reads ---------------------------------------------------------------------------------


def audience_of(
    program: Any, *, audience: str, customer: Any = None, session: Any = None
) -> Audience:
    if audience == UpdateAudience.CUSTOMER:
        return Audience(
            audience,
            f"Dear {customer.name} team,",
            True,
            customer_id=customer.pk,
        )
    if audience == UpdateAudience.SESSION:
        return Audience(
            audience,
            f"Dear participants of “{session.title}”,",
            False,
            session_id=session.pk,
            contact_ids=set(participants(session.pk)),
        )
    return Audience(audience, f"Dear customers of {program.name},", False)


def priority_ids(program_id: int, who: Audience) -> list[int]:
    """The audience's priorities of the program: those its contacts raised or voted on (an
    organisation's, a session's), or all of them (a program)."""
    cards = selectors.priority_cards(program_id)
    if who.customer_id is not None:
        said = Insight.objects.filter(not_withdrawn(), customer_id=who.customer_id, internal=False)
        voted = Vote.objects.filter(contact__customer_id=who.customer_id, dots__gt=0)
        cards = cards.filter(
            Q(customer_id=who.customer_id)
            | Q(pk__in=said.filter(merged_into__isnull=False).values("merged_into_id"))
            | Q(pk__in=voted.values("insight_id"))
        )
    elif who.session_id is not None:
        cards = cards.filter(
            Q(session_id=who.session_id)
            | Q(
                pk__in=Insight.objects.filter(
                    not_withdrawn(), session_id=who.session_id, merged_into__isnull=False
                ).values("merged_into_id")
            )
        )
    return list(cards.values_list("pk", flat=True))


def facts_for(ids: Iterable[int], who: Audience) -> list[PriorityFacts]:
    """The priorities with their published status, decisions, deliveries and the audience's
    own earliest words on each, most dots first."""
    wanted = list(ids)
    cards = (
        Insight.objects.filter(pk__in=wanted)
        .annotate(
            total=Coalesce(Sum("votes__dots", filter=Q(votes__dots__gt=0) & counted("votes__")), 0)
        )
        .order_by("-total", "created_at", "pk")
    )
    found = [PriorityFacts(id=c.pk, text=c.text, dots=getattr(c, "total", 0)) for c in cards]
    by_id = {f.id: f for f in found}
    for s in PriorityStatus.objects.filter(
        priority_id__in=by_id, published_at__isnull=False
    ).order_by("published_at", "pk"):
        by_id[s.priority_id].status = s
    said = Insight.objects.filter(
        Q(pk__in=by_id) | Q(merged_into_id__in=by_id),
        not_withdrawn(),
        internal=False,
        speaker_contact__isnull=False,
    ).select_related("speaker_contact")
    if who.customer_id is not None:
        said = said.filter(speaker_contact__customer_id=who.customer_id)
    elif who.contact_ids is not None:
        said = said.filter(speaker_contact_id__in=who.contact_ids)
    for words in said.order_by("created_at", "pk"):
        card = words.pk if words.pk in by_id else words.merged_into_id
        target = by_id.get(card or 0)
        if target is None or target.quote is not None:
            continue
        contact = words.speaker_contact
        if who.name_speakers and contact is not None:
            credit = f"{contact.name} told us"
        elif who.session_id is not None:
            credit = "one of you told us"
        else:
            credit = "a customer told us"
        target.quote = Quote(
            insight_id=words.pk,
            text=" ".join(words.text.split()),
            said_on=words.created_at.date(),
            credit=credit,
        )
    for f in found:
        facts = statuses.gather(Insight.objects.get(pk=f.id))
        f.decisions = [
            (r.id, r.title, r.outcome) for r in facts.recommendations if r.outcome != "pending"
        ]
        f.deliveries = list(facts.deliveries)
    return found


def last_heard(program_id: int, customer_id: int) -> date | None:
    """When the organisation last got an update of the program (a message sent)."""
    from traction.loop.models import MessageState, UpdateRecipient

    last = (
        UpdateRecipient.objects.filter(
            update__program_id=program_id, customer_id=customer_id, state=MessageState.SENT
        )
        .order_by("-sent_at")
        .values_list("sent_at", flat=True)
        .first()
    )
    return last.date() if last else None


# --- renderers (pure) ------------------------------------------------------------------------


def _short(text: str) -> str:
    return statuses.short(text, 90)


def told_us(f: PriorityFacts) -> str:
    if f.quote is None:
        return f"You gave your dots to “{_short(f.text)}”."
    return f"On {day(f.quote.said_on)} {f.quote.credit}: “{f.quote.text}”"


def _status_line(f: PriorityFacts) -> str | None:
    s = f.status
    if s is None:
        return None
    window = s.window
    if s.status == Status.PLANNED and window is not None:
        return f"“{_short(f.text)}”: planned for {window.label}."
    if s.status == Status.IN_PROGRESS:
        when = f", planned for {window.label}" if window is not None else ""
        return f"“{_short(f.text)}”: in progress{when}."
    return None


def sections(found: list[PriorityFacts], *, top: int = TOP) -> list[tuple[str, list[str]]]:
    """The five parts of a "you said, we did" update, each with its lines ([] = nothing)."""
    told = [told_us(f) for f in found[:top]]
    decided = [
        f"“{_short(f.text)}”: {title} ({outcome})."
        for f in found
        for _, title, outcome in f.decisions
    ]
    done: list[str] = []
    for f in found:
        if f.status is not None and f.status.status == Status.DELIVERED:
            done.append(f"“{_short(f.text)}”: delivered.")
        for _, title, on in f.deliveries:
            done.append(f"{title} ({day(on)}), for “{_short(f.text)}”.")
    nxt = [line for f in found if (line := _status_line(f))]
    not_doing = [
        f"“{_short(f.text)}”: not planned. {f.status.customer_reason}".strip()
        for f in found
        if f.status is not None and f.status.status == Status.NOT_PLANNED
    ]
    return [
        ("What you told us", told),
        ("What we decided", decided),
        ("What is done", done),
        ("What is next, and when", nxt),
        ("What we are not doing, and why", not_doing),
    ]


def _body(greeting: str, opening: str, parts: list[tuple[str, list[str]]], closing: str) -> str:
    lines = [greeting, "", opening]
    for title, items in parts:
        if not items:
            continue
        lines += ["", title, *(f"- {item}" for item in items)]
    lines += ["", closing]
    return "\n".join(lines).strip() + "\n"


CLOSING = (
    "You can reply to this update in your customer portal; your reply reaches the team "
    "directly.\n\nThank you for your time and your candour."
)


def _sources(found: list[PriorityFacts], **more: Any) -> dict[str, Any]:
    return {
        "priorities": [f.id for f in found],
        "statuses": [f.status.pk for f in found if f.status is not None],
        "decisions": sorted({d[0] for f in found for d in f.decisions}),
        "deliveries": sorted({d[0] for f in found for d in f.deliveries}),
        "quotes": [f.quote.insight_id for f in found if f.quote is not None],
        **more,
    }


def render_update(program_name: str, who: Audience, found: list[PriorityFacts]) -> Draft:
    if not found:
        body = _body(
            who.greeting,
            "Thank you for the time you gave us. We are working through what we heard and "
            "are writing again once decisions are made.",
            [],
            CLOSING,
        )
        return Draft(f"What came of your feedback on {program_name}", body, _sources(found))
    body = _body(
        who.greeting,
        "Thank you for the time you gave us. Here is what we heard, what we decided and "
        "what came of it.",
        sections(found),
        CLOSING,
    )
    return Draft(f"You said, we did: {program_name}", body, _sources(found))


def render_delivery(who: Audience, delivery: Delivery, found: list[PriorityFacts]) -> Draft:
    lines = [told_us(f) for f in found]
    opening = f"On {day(delivery.on)} we delivered “{delivery.title}”."
    if delivery.description:
        opening += f"\n\n{delivery.description.strip()}"
    if delivery.link:
        opening += f"\n\nMore: {delivery.link}"
    body = _body(
        who.greeting,
        opening,
        [("It answers what you told us", lines)],
        CLOSING,
    )
    return Draft(f"Done: {delivery.title}", body, _sources(found, delivery=delivery.pk))


def render_change_of_plan(who: Audience, risk: AtRisk, found: list[PriorityFacts]) -> Draft:
    opening = risk.draft or (
        "An honest update: the plan behind something we told you about has changed. We are "
        "reviewing it now, and we are sorry for the change."
    )
    body = _body(
        who.greeting,
        opening,
        [("What you told us", [told_us(f) for f in found])],
        CLOSING,
    )
    title = _short(found[0].text) if found else "a priority"
    return Draft(f"A change of plan: {title}", body, _sources(found, risk=risk.pk))


def render_re_engagement(
    program_name: str, who: Audience, found: list[PriorityFacts], since: date | None
) -> Draft:
    """After a silence: apologise, recap what they told us, credit deliveries since."""
    when = f"since {day(since)}" if since else "for a long time"
    opening = (
        f"We owe you an apology: you have not heard from us {when}, after you gave us your "
        "time. Here is where things stand."
    )
    credited = [
        f"{title} ({day(on)}), for “{_short(f.text)}”."
        for f in found
        for _, title, on in f.deliveries
        if since is None or on > since
    ]
    parts = [
        ("What you told us", [told_us(f) for f in found[:TOP]]),
        ("Delivered since we last wrote", credited),
        *[
            p
            for p in sections(found)
            if p[0] in ("What is next, and when", "What we are not doing, and why")
        ],
    ]
    body = _body(who.greeting, opening, parts, CLOSING)
    return Draft(
        f"Sorry for the silence: news on {program_name}",
        body,
        _sources(found, since=since.isoformat() if since else None),
    )


def draft(
    program: Any,
    *,
    audience: str,
    kind: str = UpdateKind.UPDATE,
    customer: Any = None,
    session: Any = None,
    delivery: Delivery | None = None,
    risk: AtRisk | None = None,
) -> Draft:
    """The draft of an update of ``kind`` for ``audience`` (reads, then renders)."""
    who = audience_of(program, audience=audience, customer=customer, session=session)
    ids = priority_ids(program.pk, who)
    if kind == UpdateKind.DELIVERY and delivery is not None:
        linked = set(delivery.links.values_list("priority_id", flat=True))
        ids = [i for i in ids if i in linked]
        return render_delivery(who, delivery, facts_for(ids, who))
    if kind == UpdateKind.CHANGE_OF_PLAN and risk is not None:
        ids = [i for i in ids if i == risk.priority_id] or [risk.priority_id]
        return render_change_of_plan(who, risk, facts_for(ids, who))
    found = facts_for(ids, who)
    if kind == UpdateKind.RE_ENGAGEMENT:
        since = last_heard(program.pk, customer.pk) if customer is not None else None
        return render_re_engagement(program.name, who, found, since)
    return render_update(program.name, who, found)


__all__ = ["Draft", "day", "draft", "sections", "told_us"]
