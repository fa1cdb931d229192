"""Drafting updates from the data (docs/loop.md, "Updates"): reads (``facts_for``) and pure
renderers (``render_*``) of the text a facilitator then edits.

An update tells its audience what they told us, what we decided, what is done (delivered
statuses and deliveries), what is next and when (only what published planned or in-progress
statuses back, with their windows) and what we are not doing and why (not planned, with the
reason written for customers). The text passes the update checker as drafted: no promise
words, no day to come, only windows statuses show. ``sources`` records every id it was built
from, and ``sources["notes"]`` what the facilitator should know (what was left out, and why).

Customers read only customer-facing text. A customer's words are quoted only to their own
organisation (audience "customer": their own earliest words on each priority, dated and
credited). An update for a session's participants or a whole program goes to several
organisations: it quotes nobody; "what you told us" says what was heard in counts (people,
organisations, points, cards with dots). A priority is named to customers by their own words
(to their own organisation) or else by the customer summary of a recommendation citing it;
one with neither is left out, with a note. "What we decided" is drafted from recommendations'
customer summaries and the priorities' published statuses (label, window, reason for
customers), never from a recommendation's internal title or outcome.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce

from traction.debrief.models import DecisionOutcome, Recommendation
from traction.insights.models import Insight, InsightStatus, not_withdrawn
from traction.loop import selectors
from traction.loop.models import (
    AtRisk,
    Delivery,
    DeliveryPriority,
    PriorityStatus,
    Status,
    UpdateAudience,
    UpdateKind,
)
from traction.loop.services import statuses
from traction.sessions.models import Session
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
    # The customer summaries of the decided recommendations citing it: (id, summary), the
    # approved ones first. Internal titles and outcomes never reach customers.
    summaries: list[tuple[int, str]] = field(default_factory=list)
    deliveries: list[tuple[int, str, date]] = field(default_factory=list)
    quote: Quote | None = None  # the audience's own words (only to their own organisation)


@dataclass
class Heard:
    """What was heard in one session, in counts (for an audience of several organisations)."""

    title: str
    on: date
    people: int
    organisations: int
    points: int
    cards_with_dots: int


@dataclass
class Audience:
    """Who an update speaks to: ``greeting`` names them; ``name_speakers`` says whether
    the speakers of their words may be named (only to their own organisation, the only
    audience whose words are quoted: ``customer_id``)."""

    kind: str
    greeting: str
    name_speakers: bool
    customer_id: int | None = None
    session_id: int | None = None


@dataclass
class Draft:
    subject: str
    body: str
    sources: dict[str, Any]  # "notes": what the facilitator should know, never sent


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
        )
    # Several organisations read it: a neutral greeting (a program's name is the team's own
    # and reads badly as a salutation to customers).
    return Audience(audience, "Hello,", False)


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
    ).select_related("speaker_contact", "session")
    # A customer's words are quoted only to their own organisation.
    said = said.filter(speaker_contact__customer_id=who.customer_id or 0)
    for words in said.order_by("created_at", "pk"):
        card = words.pk if words.pk in by_id else words.merged_into_id
        target = by_id.get(card or 0)
        if target is None or target.quote is not None:
            continue
        contact = words.speaker_contact
        credit = f"{contact.name} told us" if who.name_speakers and contact else "you told us"
        target.quote = Quote(
            insight_id=words.pk,
            text=" ".join(words.text.split()),
            said_on=said_on(words),
            credit=credit,
        )
    for f in found:
        facts = statuses.gather(Insight.objects.get(pk=f.id))
        f.decisions = [
            (r.id, r.title, r.outcome) for r in facts.recommendations if r.outcome != "pending"
        ]
        f.deliveries = list(facts.deliveries)
    summaries = dict(
        Recommendation.objects.filter(pk__in={d[0] for f in found for d in f.decisions})
        .exclude(customer_summary="")
        .values_list("pk", "customer_summary")
    )
    for f in found:
        first = sorted(f.decisions, key=lambda d: (d[2] != DecisionOutcome.APPROVED, d[0]))
        f.summaries = [
            (d[0], summaries[d[0]].strip()) for d in first if summaries.get(d[0], "").strip()
        ]
    return found


def said_on(words: Insight) -> date:
    """When the words were said, as the customer remembers it (every card is of a session):
    the day they were captured if that was while the session ran (from its start to its
    actual end, else its planned end) or before it (words captured ahead of a session, which
    may still be to come, were said by then: never a day to come), else the session's day (a
    card typed in or imported afterwards was said then), in the session's time zone; never
    the day of an import."""
    session = words.session
    zone = ZoneInfo(session.time_zone or "UTC")
    ended = session.actual_ends_at or session.ends_at
    at = words.created_at if words.created_at <= ended else session.starts_at
    return at.astimezone(zone).date()


def heard(program_id: int, who: Audience, *, last: int = TOP) -> list[Heard]:
    """What was heard in the audience's session, or in the program's ``last`` latest
    sessions, in counts: customers' points (accepted or merged, not internal), the people and
    organisations who raised them, and the cards that got dots."""
    sessions = Session.objects.filter(program_id=program_id)
    if who.session_id is not None:
        sessions = sessions.filter(pk=who.session_id)
    points = Insight.objects.filter(
        session_id__in=sessions.values("pk"),
        internal=False,
        speaker_contact__isnull=False,
        status__in=(InsightStatus.ACCEPTED, InsightStatus.MERGED),
    )
    by_session = {
        row["session_id"]: row
        for row in points.values("session_id").annotate(
            points=Count("pk"),
            people=Count("speaker_contact_id", distinct=True),
            organisations=Count("speaker_contact__customer_id", distinct=True),
        )
    }
    dotted = dict(
        Vote.objects.filter(session_id__in=by_session, dots__gt=0)
        .values("session_id")
        .annotate(n=Count("insight_id", distinct=True))
        .values_list("session_id", "n")
    )
    found = []
    for session in sessions.filter(pk__in=by_session).order_by("-starts_at", "-pk")[:last]:
        row = by_session[session.pk]
        found.append(
            Heard(
                title=session.title,
                on=session.starts_at.astimezone(ZoneInfo(session.time_zone or "UTC")).date(),
                people=row["people"],
                organisations=row["organisations"],
                points=row["points"],
                cards_with_dots=dotted.get(session.pk, 0),
            )
        )
    return sorted(found, key=lambda h: h.on)


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


def _clause(text: str) -> str:
    return _short(" ".join(text.split())).rstrip(" .")


def name_of(f: PriorityFacts) -> str | None:
    """How customers read a priority's name: their own words (``quote`` is set only for their
    own organisation), else a recommendation's customer summary; None: it has neither."""
    if f.quote is not None:
        return f"“{_short(f.quote.text)}”"
    if f.summaries:
        return _clause(f.summaries[0][1])
    return None


def told_us(f: PriorityFacts) -> str | None:
    if f.quote is not None:
        return f"On {day(f.quote.said_on)} {f.quote.credit}: “{f.quote.text}”"
    name = name_of(f)
    return f"You gave your dots to this priority: {name}." if name else None


def quoted(name: str) -> str:
    """A name set inside a sentence: in quotes (a customer summary starts with a capital
    letter, and may be a proper noun: never lower-cased), unless it is quoted already."""
    return name if name.startswith("“") else f"“{name}”"


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def heard_line(h: Heard) -> str:
    """What was heard in one session, without anyone's words."""
    people = _plural(h.people, "person", "people")
    orgs = _plural(h.organisations, "organisation", "organisations")
    points = _plural(h.points, "point", "points")
    line = f"In “{h.title}” on {day(h.on)}, {people} from {orgs} raised {points}"
    if h.cards_with_dots:
        line += f"; you put your dots on {_plural(h.cards_with_dots, 'card', 'cards')}"
    return line + "."


def status_words(s: PriorityStatus) -> str:
    """A published status as customers read it: its label, window and reason for customers."""
    window = s.window
    words = Status(s.status).label.lower()
    if s.status == Status.PLANNED and window is not None:
        words = f"planned for {window.label}"
    elif s.status == Status.IN_PROGRESS and window is not None:
        words = f"in progress, planned for {window.label}"
    reason = " ".join((s.customer_reason or "").split())
    return f"{words}. {reason}" if reason else f"{words}."


# How far a priority's status has come: a name several priorities share (one recommendation's
# summary) is told once, with the most advanced status among them.
_RANK: dict[str, int] = {
    Status.NOT_PLANNED: 0,
    Status.HEARD: 1,
    Status.UNDER_CONSIDERATION: 2,
    Status.PLANNED: 3,
    Status.IN_PROGRESS: 4,
    Status.DELIVERED: 5,
}
DONE, DECIDED, NEXT, NOT_DOING = (
    "What is done",
    "What we decided",
    "What is next, and when",
    "What we are not doing, and why",
)


def _section_of(status: str) -> str:
    if status == Status.DELIVERED:
        return DONE
    if status in (Status.PLANNED, Status.IN_PROGRESS):
        return NEXT
    if status == Status.NOT_PLANNED:
        return NOT_DOING
    return DECIDED


@dataclass
class _Told:
    """One line of the plan: a name customers read, the status it is told with (the most
    advanced of the priorities of that name), and the summaries of their decisions."""

    name: str
    status: PriorityStatus
    ids: list[int] = field(default_factory=list)
    summaries: list[str] = field(default_factory=list)
    decided: bool = False  # a decided recommendation with a summary answers it

    @property
    def section(self) -> str:
        return _section_of(self.status.status)


def told_plan(found: list[PriorityFacts]) -> list[_Told]:
    """The named priorities with a published status, one per name: each priority, and each
    recommendation's summary, is told once, in the one section its status puts it."""
    by_name: dict[str, _Told] = {}
    for f in found:
        name = name_of(f)
        if name is None or f.status is None:
            continue
        told = by_name.get(name)
        if told is None:
            told = by_name[name] = _Told(name, f.status)
        elif _RANK.get(f.status.status, 0) > _RANK.get(told.status.status, 0):
            told.status = f.status
        told.ids.append(f.id)
        told.decided = told.decided or bool(f.summaries)
        for _, summary in f.summaries:
            clause = _clause(summary)
            if clause not in told.summaries:
                told.summaries.append(clause)
    # A summary is said once: as a name, or else beside the most advanced priority it
    # answers (the first of them, on a tie).
    said = set(by_name)
    ranked = sorted(by_name.values(), key=lambda t: -_RANK.get(t.status.status, 0))
    for told in ranked:
        told.summaries = [c for c in told.summaries if c not in said]
        said.update(told.summaries)
    return list(by_name.values())


def _line(told: _Told) -> str:
    line = f"{told.name}: {status_words(told.status)}"
    if told.summaries and told.section == NOT_DOING:
        # "We decided: X" beside "not planned" reads as if we decided to do X.
        named = [_lower_first(s) for s in told.summaries]
        them = "it" if len(named) == 1 else "them"
        listed = named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"
        line += f" We considered {listed}, and decided not to go ahead with {them}."
    elif told.summaries:
        line += f" We decided: {'; '.join(told.summaries)}."
    return line


def _lower_first(text: str) -> str:
    """A summary inside a sentence: its first letter lower case, unless the first word is
    an acronym or a name written in capitals ("SSO", "ERP")."""
    first = text.split(" ", 1)[0]
    if len(first) > 1 and first[1:2].isupper():
        return text
    return text[:1].lower() + text[1:]


def _deliveries(
    found: list[PriorityFacts], plan: list[_Told], since: date | None = None
) -> list[tuple[str, list[str]]]:
    """Each delivery once (after ``since``): its line, and the names of the priorities it
    answers that are told as done (a priority is told in one section only)."""
    done = {i: t.name for t in plan if t.section == DONE for i in t.ids}
    found_lines: list[tuple[str, list[str]]] = []
    seen: set[int] = set()
    for f in found:
        for delivery_id, title, on in f.deliveries:
            if delivery_id in seen or (since is not None and on <= since):
                continue
            seen.add(delivery_id)
            names: list[str] = []
            for g in found:
                name = done.get(g.id)
                if name and name not in names and any(d[0] == delivery_id for d in g.deliveries):
                    names.append(name)
            named = " and ".join(quoted(n) for n in names)
            line = f"{title} ({day(on)})" + (f", for {named}." if names else ".")
            found_lines.append((line, names))
    return found_lines


def decided_lines(found: list[PriorityFacts]) -> list[str]:
    """ "What we decided": the priorities heard or under consideration that a decided
    recommendation answers, each told once with its published status (never a
    recommendation's internal title or outcome)."""
    return [_line(t) for t in told_plan(found) if t.section == DECIDED and t.decided]


def notes_for(found: list[PriorityFacts], heard_only: bool = False) -> list[str]:
    """What the facilitator should know of what the draft left out (never sent)."""
    notes: list[str] = []
    for f in found:
        card = f"“{_short(f.text)}”"
        if name_of(f) is None:
            notes.append(
                f"Left out {card}: customers read a priority by their own words (only their "
                "own organisation) or by the customer summary of a recommendation citing it, "
                "and it has neither."
            )
        with_summary = {rid for rid, _ in f.summaries}
        for rid, title, outcome in f.decisions:
            if rid not in with_summary:
                notes.append(
                    f"Left out of “What we decided”: the recommendation “{title}” ({outcome}) "
                    "has no summary for customers. Write one on the recommendation to tell "
                    "customers about it."
                )
            elif f.status is None:
                notes.append(
                    f"Left out of “What we decided”: “{title}” answers {card}, which has no "
                    "published status yet."
                )
    return notes


def sections(found: list[PriorityFacts], *, top: int = TOP) -> list[tuple[str, list[str]]]:
    """The five parts of a "you said, we did" update, each with its lines ([] = nothing).
    Priorities customers cannot read a name of (``name_of``) are left out; each priority,
    recommendation summary and delivery is told once, in the one part its facts put it."""
    named = [(f, name) for f in found if (name := name_of(f)) is not None]
    told: list[str] = []
    for f, _ in named[:top]:
        line = told_us(f)
        if line and line not in told:
            told.append(line)
    plan = told_plan(found)
    decided = [_line(t) for t in plan if t.section == DECIDED and t.decided]
    deliveries = _deliveries(found, plan)
    credited = {name for _, names in deliveries for name in names}
    # A delivered priority a delivery names is told by that delivery (unless it has a
    # decision of its own to tell).
    done = [
        _line(t) for t in plan if t.section == DONE and (t.name not in credited or t.summaries)
    ] + [line for line, _ in deliveries]
    nxt = [_line(t) for t in plan if t.section == NEXT]
    not_doing = [_line(t) for t in plan if t.section == NOT_DOING]
    return [
        ("What you told us", told),
        (DECIDED, decided),
        (DONE, done),
        (NEXT, nxt),
        (NOT_DOING, not_doing),
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
    notes = notes_for(found)
    if notes:
        more = {"notes": notes, **more}
    return {
        "priorities": [f.id for f in found],
        "statuses": [f.status.pk for f in found if f.status is not None],
        "decisions": sorted({d[0] for f in found for d in f.decisions}),
        "deliveries": sorted({d[0] for f in found for d in f.deliveries}),
        "quotes": [f.quote.insight_id for f in found if f.quote is not None],
        **more,
    }


def _for_many(who: Audience) -> bool:
    """An audience of several organisations (a session's participants, a program's
    customers): nobody's words are quoted to it."""
    return who.customer_id is None


def _answers(who: Audience, found: list[PriorityFacts]) -> list[str]:
    """The priorities a delivery or a change of plan answers, as the audience reads them."""
    if not _for_many(who):
        return [line for f in found if (line := told_us(f))]
    return [f"{name}." for f in found if (name := name_of(f))]


def render_update(
    program_name: str,
    who: Audience,
    found: list[PriorityFacts],
    sessions_heard: list[Heard] | None = None,
) -> Draft:
    parts = sections(found)
    if _for_many(who):
        parts[0] = ("What you told us", [heard_line(h) for h in sessions_heard or []])
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
        parts,
        CLOSING,
    )
    return Draft(f"You said, we did: {program_name}", body, _sources(found))


def delivered(delivery: Delivery) -> str:
    """What the update says of one delivery: when, what, and where to read more."""
    text = f"On {day(delivery.on)} we delivered “{delivery.title}”."
    if delivery.description:
        text += f"\n\n{delivery.description.strip()}"
    if delivery.link:
        text += f"\n\nMore: {delivery.link}"
    return text


def render_deliveries(
    who: Audience, deliveries: list[Delivery], found: list[PriorityFacts]
) -> Draft:
    """An update about one delivery, or several folded into one message."""
    first = deliveries[0]
    more = len(deliveries) - 1
    body = _body(
        who.greeting,
        "\n\n".join(delivered(d) for d in deliveries),
        [("It answers what you told us", _answers(who, found))],
        CLOSING,
    )
    subject = f"Done: {first.title}" + (f" and {more} more" if more else "")
    return Draft(subject, body, _sources(found, delivery=first.pk))


def with_delivery(body: str, delivery: Delivery, answers: list[str]) -> str:
    """A text a person edited, with a later delivery added before its closing (or at its
    end): the delivery and the priorities it answers that the text does not list yet."""
    lines = [line for line in answers if line not in body]
    block = delivered(delivery)
    if lines:
        block += "\n\nIt also answers what you told us:\n" + "\n".join(f"- {x}" for x in lines)
    at = body.rfind(CLOSING)
    if at == -1:
        return body.rstrip() + "\n\n" + block + "\n"
    return body[:at] + block + "\n\n" + body[at:]


def delivery_answers(
    program: Any, *, audience: str, customer: Any, delivery: Delivery
) -> list[str]:
    """The lines saying which of the audience's priorities ``delivery`` answers."""
    who = audience_of(program, audience=audience, customer=customer, session=None)
    linked = set(delivery.links.values_list("priority_id", flat=True))
    ids = [i for i in priority_ids(program.pk, who) if i in linked]
    return _answers(who, facts_for(ids, who))


def render_change_of_plan(who: Audience, risk: AtRisk, found: list[PriorityFacts]) -> Draft:
    opening = risk.draft or (
        "An honest update: the plan behind something we told you about has changed. We are "
        "reviewing it now, and we are sorry for the change."
    )
    title = "a priority"
    if found:
        f = found[0]
        name = name_of(f)
        if f.quote is None:  # the card's words are not the audience's own: never quoted
            for words in {f.text, statuses.short(f.text), _short(f.text)}:
                opening = opening.replace(
                    f"“{words}”", quoted(name) if name else "a priority you told us about"
                )
        title = _short(f.quote.text) if f.quote is not None else (name or title)
    body = _body(
        who.greeting,
        opening,
        [("What you told us", _answers(who, found))],
        CLOSING,
    )
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
    named = [(f, name) for f in found if (name := name_of(f)) is not None]
    credited = [line for line, _ in _deliveries(found, told_plan(found), since)]
    parts = [
        ("What you told us", [line for f, _ in named[:TOP] if (line := told_us(f))]),
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
    deliveries: list[Delivery] | None = None,
    risk: AtRisk | None = None,
) -> Draft:
    """The draft of an update of ``kind`` for ``audience`` (reads, then renders); a delivery
    update is about ``delivery``, or ``deliveries`` folded into one message."""
    who = audience_of(program, audience=audience, customer=customer, session=session)
    ids = priority_ids(program.pk, who)
    about = deliveries or ([delivery] if delivery is not None else [])
    if kind == UpdateKind.DELIVERY and about:
        linked = set(
            DeliveryPriority.objects.filter(delivery__in=about).values_list(
                "priority_id", flat=True
            )
        )
        ids = [i for i in ids if i in linked]
        return render_deliveries(who, about, facts_for(ids, who))
    if kind == UpdateKind.CHANGE_OF_PLAN and risk is not None:
        ids = [i for i in ids if i == risk.priority_id] or [risk.priority_id]
        return render_change_of_plan(who, risk, facts_for(ids, who))
    found = facts_for(ids, who)
    if kind == UpdateKind.RE_ENGAGEMENT:
        since = last_heard(program.pk, customer.pk) if customer is not None else None
        return render_re_engagement(program.name, who, found, since)
    return render_update(program.name, who, found, heard(program.pk, who) if _for_many(who) else [])


__all__ = [
    "Draft",
    "day",
    "delivered",
    "delivery_answers",
    "draft",
    "heard",
    "name_of",
    "sections",
    "told_us",
    "with_delivery",
]
