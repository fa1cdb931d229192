"""The checker of an update's text (docs/loop.md, "Updates"): what it may tell customers.

An update recaps the past and says what comes next. The past is fact: a full date that has
passed ("On 12 March 2027 you told us") and a window that has ended are fine. What comes
next must be backed by a published status of the program: a window ("Q2 2027", "May 2027",
"H1 2027", "the first half of 2027") is backed when a published planned or in-progress
status shows that window or one inside it; a day ("on 3 March", "Tuesday"), a deadline
("by March") or a month without a year are never backed (statuses show coarse windows, never
days). A promise word ("will", "guarantee") is fine only in a sentence that names a backed
window. Words inside “…” that are exactly a customer's own words (a quote of an insight)
are their words, not our promises: only the names check reads them.

The update may not name another customer: the names of the workspace's other customer
organisations and of their contacts (case-insensitive, whole words). An update for one
organisation may name that organisation and its own contacts; an update for a session or a
whole program goes to several organisations, so it names none.

``text_problems`` is pure (for tests and for texts not saved yet); ``update_problems``
reads the program's published statuses and the workspace's names for one update.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from traction.core import clock
from traction.loop.windows import HALF, MONTH, QUARTER, Window

_MONTH_NAMES = {name.lower(): n for n, name in enumerate(calendar.month_name) if name}
_MONTH_NAMES.update({name.lower(): n for n, name in enumerate(calendar.month_abbr) if name})
_MONTH_NAMES["sept"] = 9
_MONTHS = "|".join(sorted(_MONTH_NAMES, key=len, reverse=True))


@dataclass(frozen=True)
class Problem:
    """One thing the update may not say: the offending words, and why."""

    words: str
    message: str

    def __str__(self) -> str:
        return self.message


def _month(name: str) -> int:
    return _MONTH_NAMES[name.lower().rstrip(".")]


# A day with its year: 12 March 2027, 12th of March 2027, March 12, 2027, 2027-03-12.
_FULL_DAY = (
    re.compile(
        rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m>{_MONTHS})\.?,?\s+(?P<y>\d{{4}})\b",
        re.IGNORECASE,
    ),
    re.compile(
        rf"\b(?P<m>{_MONTHS})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}})\b",
        re.IGNORECASE,
    ),
    re.compile(r"\b(?P<y>\d{4})-(?P<mn>\d{1,2})-(?P<d>\d{1,2})\b"),
)
# A day without a year (never backed: which one?).
_DAY = (
    re.compile(rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})\b", re.IGNORECASE),
    re.compile(rf"\b(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b", re.IGNORECASE),
    re.compile(r"\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b"),
    re.compile(r"\b\d{1,2}\.\d{1,2}\.\d{2,4}\b"),
    re.compile(
        r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|tonight)\b",
        re.IGNORECASE,
    ),
)
_BY_WHEN = re.compile(
    rf"\b(?:by|before|until|no later than)\s+(?:the\s+)?(?:end\s+of\s+|next\s+|early\s+|mid-?\s*|"
    rf"late\s+)?(?:(?:{_MONTHS})\b|\d|q[1-4]\b|h[12]\b|week\b|month\b|quarter\b|year\b|"
    rf"summer\b|spring\b|autumn\b|fall\b|winter\b)(?:\s+\d{{4}})?",
    re.IGNORECASE,
)
_WINDOWS = (
    (MONTH, re.compile(rf"\b(?P<m>{_MONTHS})\.?\s+(?P<y>\d{{4}})\b", re.IGNORECASE)),
    (QUARTER, re.compile(r"\bQ(?P<q>[1-4])\s*(?P<y>\d{4})\b", re.IGNORECASE)),
    (HALF, re.compile(r"\bH(?P<h>[12])\s*(?P<y>\d{4})\b", re.IGNORECASE)),
    (
        HALF,
        re.compile(
            r"\b(?P<which>first|second)\s+half\s+of\s+(?P<y>\d{4})\b",
            re.IGNORECASE,
        ),
    ),
)
# Part of a month ("mid-March", "early May 2027", "the end of June"): finer than any
# window a status shows, with or without its year.
_PART_OF_MONTH = re.compile(
    rf"\b(?:early|mid|late|(?:the\s+)?(?:beginning|middle|end)\s+of)[-\s]+(?P<m>{_MONTHS})\b"
    rf"(?:\.?,?\s+\d{{4}})?",
    re.IGNORECASE,
)
# A month named without a year after a word of time ("in March", "from June"); "May" only
# capitalised (else it is the verb).
_YEARLESS_MONTH = re.compile(
    rf"\b(?:in|from|after|around|early|late|mid-?|end of|during)\s+(?P<m>{_MONTHS})\b(?!\.?\s*\d)",
    re.IGNORECASE,
)
_PROMISES = re.compile(
    r"\b(?:will|we'll|we\u2019ll|shall|guarantee[sd]?|promise[sd]?|definitely|certainly|"
    r"surely)\b",
    re.IGNORECASE,
)
_QUOTE = re.compile(r"“([^”]*)”")
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")


def _window_of(kind: str, match: re.Match[str]) -> Window | None:
    year = int(match.group("y"))
    if not 1900 < year < 2200:
        return None
    groups = match.groupdict()
    if kind == MONTH:
        return Window.of(MONTH, date(year, _month(groups["m"]), 1))
    if kind == QUARTER:
        return Window.of(QUARTER, date(year, (int(groups["q"]) - 1) * 3 + 1, 1))
    if groups.get("which"):
        half = 1 if groups["which"].lower() == "first" else 2
    else:
        half = int(groups["h"])
    return Window.of(HALF, date(year, 1 if half == 1 else 7, 1))


def _normal(text: str) -> str:
    return " ".join(text.split()).lower()


def _masked(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """``text`` with ``spans`` blanked out (same length, so positions hold)."""
    chars = list(text)
    for start, end in spans:
        for i in range(start, end):
            if chars[i] != "\n":
                chars[i] = " "
    return "".join(chars)


def text_problems(
    text: str,
    *,
    windows: Iterable[Window] = (),
    other_names: Iterable[str] = (),
    quoted: Iterable[str] = (),
    today: date | None = None,
) -> list[Problem]:
    """What in ``text`` may not be said: ``windows`` are those published statuses back,
    ``other_names`` the customers (and their contacts) the audience may not read about,
    ``quoted`` the customers' own words the text may quote."""
    today = today or clock.today()
    backing = list(windows)
    found: list[Problem] = []
    seen: set[str] = set()

    def flag(words: str, message: str) -> None:
        key = words.lower()
        if key not in seen:
            seen.add(key)
            found.append(Problem(words, message))

    # The customers' own words, quoted exactly, are theirs: not read for dates and promises.
    own_words = {_normal(q) for q in quoted if q.strip()}
    quotes = [m.span() for m in _QUOTE.finditer(text) if _normal(m.group(1)) in own_words]
    ours = _masked(text, quotes)

    # Days with a year: a past day is a fact; a day to come is never backed.
    spans: list[tuple[int, int]] = []
    for pattern in _FULL_DAY:
        for m in pattern.finditer(ours):
            groups = m.groupdict()
            try:
                month = int(groups["mn"]) if groups.get("mn") else _month(groups["m"])
                day = date(int(groups["y"]), month, int(groups["d"]))
            except (ValueError, KeyError):
                day = None
            spans.append(m.span())
            if day is None or day > today:
                flag(
                    m.group(0),
                    f"“{m.group(0)}” is a day to come; no status backs a day. Say the window "
                    "a planned status shows (a month, a quarter or a half-year).",
                )
    rest = _masked(ours, spans)
    for m in _BY_WHEN.finditer(rest):
        flag(
            m.group(0),
            f"“{m.group(0)}” promises a deadline no status backs; say the window a planned "
            "status shows (“planned for Q2 2027”).",
        )
        spans.append(m.span())
    rest = _masked(ours, spans)
    for pattern in _DAY:
        for m in pattern.finditer(rest):
            flag(
                m.group(0),
                f"“{m.group(0)}” is a day; no status backs a day. Say the window a planned "
                "status shows (a month, a quarter or a half-year).",
            )
            spans.append(m.span())
    rest = _masked(ours, spans)
    for m in _PART_OF_MONTH.finditer(rest):
        if m.group("m") == "may":  # "in late may" is the verb; the month is written May
            continue
        flag(
            m.group(0),
            f"“{m.group(0)}” is part of a month, finer than any window a status shows; say "
            "the window a planned status shows (“May 2027”, “Q2 2027”).",
        )
        spans.append(m.span())
    rest = _masked(ours, spans)
    backed_spans: list[tuple[int, int]] = []
    for kind, pattern in _WINDOWS:
        for m in pattern.finditer(rest):
            window = _window_of(kind, m)
            if window is None:
                continue
            spans.append(m.span())
            if window.end < today:
                continue  # the past: a recap
            if any(window.start <= w.start and w.end <= window.end for w in backing):
                backed_spans.append(m.span())
                continue
            flag(
                m.group(0),
                f"“{m.group(0)}”: no published planned or in-progress status of this program "
                "shows this window. Publish the status first, or leave the date out.",
            )
    rest = _masked(ours, spans)
    for m in _YEARLESS_MONTH.finditer(rest):
        if m.group("m").lower() == "may" and not m.group("m").startswith("M"):
            continue
        flag(
            m.group(0),
            f"“{m.group(0)}” names a month without its year, which no status backs; say "
            "the window a planned status shows (“May 2027”, “Q2 2027”).",
        )
    for sentence in _SENTENCE.finditer(ours):
        promise = _PROMISES.search(sentence.group(0))
        if promise is None:
            continue
        start, end = sentence.span()
        if any(start <= s < end for s, _ in backed_spans):
            continue
        flag(
            promise.group(0),
            f"“{promise.group(0)}” is a promise no published status backs; say what is "
            "decided or planned, with the window of its status.",
        )
    for name in sorted({n.strip() for n in other_names if n and n.strip()}, key=str.lower):
        hit = re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.IGNORECASE)
        if hit:
            flag(
                hit.group(0),
                f"“{hit.group(0)}” is another customer; an update never names other "
                "customers or their people.",
            )
    return found


def backing_windows(program_id: int) -> list[Window]:
    """The windows of the program's published planned and in-progress statuses (the
    current status of each priority)."""
    from traction.loop.models import PriorityStatus, Status

    latest: dict[int, PriorityStatus] = {}
    rows = PriorityStatus.objects.filter(program_id=program_id, published_at__isnull=False)
    for s in rows.order_by("published_at", "pk"):
        latest[s.priority_id] = s
    return [
        s.window
        for s in latest.values()
        if s.status in (Status.PLANNED, Status.IN_PROGRESS) and s.window is not None
    ]


def other_names(workspace_id: int, allowed_customer_ids: Iterable[int]) -> list[str]:
    """The names of the workspace's customer organisations other than ``allowed`` and of
    their contacts (erased contacts have no name left to leak)."""
    from traction.customers.models import Contact, Customer

    allowed = set(allowed_customer_ids)
    names = list(
        Customer.objects.filter(workspace_id=workspace_id)
        .exclude(pk__in=allowed)
        .values_list("name", flat=True)
    )
    names += list(
        Contact.objects.filter(customer__workspace_id=workspace_id, erased_at__isnull=True)
        .exclude(customer_id__in=allowed)
        .values_list("name", flat=True)
    )
    return [n for n in names if len(n.strip()) >= 2]


def quoted_words(update: object) -> list[str]:
    """The insight texts an update's draft quoted (its ``sources``)."""
    from traction.insights.models import Insight

    sources = getattr(update, "sources", None) or {}
    ids = [int(i) for i in sources.get("quotes", []) if str(i).isdigit()]
    return list(Insight.objects.filter(pk__in=ids).values_list("text", flat=True))


def update_problems(
    update: object, *, subject: str | None = None, body: str | None = None
) -> list[Problem]:
    """What the update (or the given subject and body of it) may not say."""
    from traction.loop.models import Update, UpdateAudience

    assert isinstance(update, Update)
    allowed = [update.customer_id] if update.audience == UpdateAudience.CUSTOMER else []
    text = (
        f"{update.subject if subject is None else subject}\n{update.body if body is None else body}"
    )
    return text_problems(
        text,
        windows=backing_windows(update.program_id),
        other_names=other_names(update.workspace_id, [a for a in allowed if a]),
        quoted=quoted_words(update),
    )


__all__ = ["Problem", "backing_windows", "other_names", "text_problems", "update_problems"]
