"""The checker of an update's text (docs/loop.md, "Updates"): what it may tell customers.

An update recaps the past and says what comes next. The past is fact: a full date that has
passed ("On 12 March 2027 you told us"), a window or a year that has ended, and words that
look back ("since 2019", "earlier this year") are fine. What comes next must be backed by a
published status of a priority the update is about (its ``sources["priorities"]``; the
program's priorities only when it names none). Every date the text names reads as a span of days: a
window ("Q2 2027", "May 2027", "H1 2027", "the first half of 2027", "Q3 next year"), a year
("in 2027", "this year"), part of one ("early 2028": its first half) or a year's deadline
("by 2028": every day until its end), or the deadline of a month, a quarter or a half-year
("by March", "by the end of March 2027", "by Q3 2027": every day until its end; "before
March": until the end of February; without its year, the next one still to come). It is
backed when a published planned or in-progress status shows a window inside that span. A day
("on 3 March", "Tuesday", "by March 3"), a deadline finer than a month ("by mid-March", "by
next week"), part of a month, and a month, quarter or half-year without its year outside a
deadline ("in March") are never backed (statuses show coarse windows, never days). A promise
word ("will", "guarantee") is fine only in a sentence that names a backed window. Words
inside “…” that are exactly a customer's own words (a quote of an insight) are their words,
not our promises: only the names check reads them.

Each thing is said once: a sentence (three words or more) said in two parts of the update
(paragraphs and lists, parted by blank lines) is flagged.

The update may not name another customer: the names of the workspace's other customer
organisations and of their contacts (case-insensitive, whole words). An update for one
organisation may name that organisation and its own contacts; an update for a session or a
whole program goes to several organisations, so it names none. Nor may it quote another
organisation's words: a quoted passage (“…” or "…") holding ``MATCH_WORDS`` words in a row
of a card or note of the program said by another organisation (all its words, if shorter)
is flagged, naming the card; an update for a session or a program quotes no customer.

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
from traction.loop.checker import PROMISES, named
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
# A year as a text says it: "2027", "this year", "next year" ("the year" is this one).
_A_YEAR = r"(?:(?P<y>(?:19|20|21)\d{2})\b|(?P<rel>this|next|the)\s+year\b)"
# A year alone after "by"/"before" is a deadline of its own, read with the years below.
_NOT_A_YEAR = (
    r"(?!(?:the\s+)?(?:(?:end|close)\s+of\s+)?"
    r"(?:\d{4}\b|(?:this|next|the)\s+year\b|year[-\s]?end\b))"
)
# Quoted whole: "by 15 January", "by March 3rd", "by 15/01" (never "by 1"); "by 20%" is
# no date.
_BY_WHEN = re.compile(
    rf"\b(?:by|before|until|no later than)\s+{_NOT_A_YEAR}(?:the\s+)?(?:end\s+of\s+|next\s+|"
    rf"early\s+|mid-?\s*|late\s+)?(?:(?:{_MONTHS})\b(?:\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b)?|"
    rf"\d{{4}}-\d{{1,2}}-\d{{1,2}}\b|\d{{1,2}}[/.]\d{{1,2}}(?:[/.]\d{{2,4}})?\b|"
    rf"\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})\b|\d{{1,2}}(?:st|nd|rd|th)\b|"
    rf"q[1-4]\b|h[12]\b|week\b|month\b|"
    rf"quarter\b|year\b|summer\b|spring\b|autumn\b|fall\b|winter\b)"
    rf"(?:,?\s+(?:of\s+)?(?:\d{{4}}\b|(?:this|next)\s+year\b))?",
    re.IGNORECASE,
)
_WINDOWS = (
    (
        MONTH,
        re.compile(
            rf"\b(?P<m>{_MONTHS})\.?,?\s+(?:(?P<y>\d{{4}})\b|(?:of\s+)?(?P<rel>this|next)\s+year\b)",
            re.IGNORECASE,
        ),
    ),
    (
        QUARTER,
        re.compile(
            r"\bQ(?P<q>[1-4])\s*(?:of\s+)?(?:(?P<y>\d{4})\b|(?P<rel>this|next)\s+year\b)",
            re.IGNORECASE,
        ),
    ),
    (
        HALF,
        re.compile(
            r"\bH(?P<h>[12])\s*(?:of\s+)?(?:(?P<y>\d{4})\b|(?P<rel>this|next)\s+year\b)",
            re.IGNORECASE,
        ),
    ),
    (
        HALF,
        re.compile(
            r"\b(?P<which>first|second)\s+half\s+of\s+(?:(?P<y>\d{4})\b|(?P<rel>this|next|the)\s+year\b)",
            re.IGNORECASE,
        ),
    ),
)
# A deadline at the end of a month, a quarter or a half-year ("by March", "by the end of
# March 2027", "before Q2", "by H1 next year"; not a day of it: "by March 3"). Without its
# year it is the next one to come.
_BY_WINDOW = re.compile(
    r"\b(?P<by>by|before|until|no\s+later\s+than)\s+(?:the\s+)?(?P<endof>(?:end|close)\s+of\s+)?"
    rf"(?:(?P<m>{_MONTHS})\b|Q(?P<q>[1-4])\b|H(?P<h>[12])\b)"
    r"(?!\.?\s*\d{1,2}(?:st|nd|rd|th)?\b)"
    r"(?:\.?,?\s+(?:of\s+)?(?:(?P<y>\d{4})\b|(?P<rel>this|next)\s+year\b))?",
    re.IGNORECASE,
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
# A time counted from today ("within two weeks", "in 3 days", "soon", "shortly", "any day
# now"): no status backs it ("as soon as" is a condition, not a time).
_NUMBER = r"(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten|a\s+few|a\s+couple\s+of|\d+)"
_RELATIVE = re.compile(
    rf"\b(?:within|in|inside)\s+(?:the\s+next\s+)?{_NUMBER}\s+(?:more\s+)?"
    r"(?:days?|weeks?|months?)\b|\b(?:coming\s+)?(?<!as\s)soon\b(?!\s+as\b)|\bshortly\b|"
    r"\bany\s+(?:day|week)\s+now\b",
    re.IGNORECASE,
)
# Words too common to name a priority by.
_COMMON_WORDS = (
    "a an and are as at be by for from in into is it of on or our the their them they this "
    "to us we with you your will all any can more one not out its has have had was were "
    "every each what when"
)
_COMMON = frozenset(_COMMON_WORDS.split())
# A quarter or a half-year without its year ("in Q3", "H2"): which one?
_YEARLESS_PART = re.compile(r"\b(?:Q[1-4]|H[12])\b", re.IGNORECASE)
_QUOTE = re.compile(r"“([^”]*)”")
# A quoted passage, in curly or straight double quotes.
_QUOTED = re.compile(r"“([^”]*)”|\"([^\"\n]*)\"")
_WORD = re.compile(r"\w+")
# A quote shares a customer's words when it holds this many of them in a row (or all of
# them, for shorter words); words and case are compared, not spaces or punctuation.
MATCH_WORDS = 6
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")

# Years (docs/loop.md, "Updates"): what a text says of a whole year, or of a part of one
# coarser than any window, in the order they are read. Each reads as a span of days; a
# published window inside it backs it, and a span over before today is history.
_YEARS = (
    # Looking back: never a promise.
    (
        "history",
        re.compile(
            r"\b(?:since|earlier\s+(?:in|this)|so\s+far\s+(?:in|this)|back\s+in|last)\s+"
            r"(?:(?:19|20|21)\d{2}\b|(?:the\s+)?year\b)",
            re.IGNORECASE,
        ),
    ),
    # A deadline: "by 2028", "before 2028", "by the end of next year", "by year-end".
    (
        "by",
        re.compile(
            r"\b(?P<by>by|before|until|no\s+later\s+than)\s+(?:the\s+)?(?P<endof>(?:end|close)\s+of\s+)?"
            rf"(?:{_A_YEAR}|(?P<yearend>year[-\s]?end)\b)",
            re.IGNORECASE,
        ),
    ),
    # From a year on: "from 2028", "after 2027", "starting in 2028".
    (
        "from",
        re.compile(
            r"\b(?P<from>from|after|beyond|starting(?:\s+in)?|as\s+of)\s+(?:the\s+)?"
            r"(?:(?P<y>(?:19|20|21)\d{2})\b|(?P<rel>next)\s+year\b)",
            re.IGNORECASE,
        ),
    ),
    # Part of a year: "early 2028" (its first half), "mid-2027", "late 2027" or "the end of
    # the year" (its second half), "year-end".
    (
        "part",
        re.compile(
            r"\b(?:(?P<part>early|mid|late)[-\s]+|(?:the\s+)?(?P<partof>beginning|start|middle|end|"
            rf"close)\s+of\s+){_A_YEAR}|\b(?P<yearend>year[-\s]end|end[-\s]of[-\s]year)\b",
            re.IGNORECASE,
        ),
    ),
    # The whole year: "in 2027", "later in 2027", "during 2028", "this year", "next year".
    (
        "in",
        re.compile(
            r"\b(?:(?:later|sometime|some\s+time|at\s+some\s+point)\s+)?(?:in|during|for|"
            r"throughout|within|over|through|around)\s+(?:(?P<y>(?:19|20|21)\d{2})\b|"
            r"(?P<rel>the)\s+year\b(?!\s*\d))|\b(?:(?:later|sometime|some\s+time)\s+)?"
            r"(?:(?:in|during|for|throughout|within|over)\s+)?(?P<rel2>this|next)\s+year\b",
            re.IGNORECASE,
        ),
    ),
)


@dataclass(frozen=True)
class Named:
    """A priority of the update as a sentence may name it: its ``names`` (its card's words,
    its recommendations' summaries for customers) and the windows its own status shows."""

    label: str
    names: tuple[str, ...]
    windows: tuple[Window, ...] = ()


def _named_in(sentence: str, priorities: Iterable[Named]) -> list[Named]:
    """The priorities ``sentence`` names: a name written whole, else the most of a name's
    telling words (two at least)."""
    said = set(_words(sentence))
    text = _normal(sentence)
    scores: list[tuple[int, Named]] = []
    for p in priorities:
        best = 0
        for name in p.names:
            if len(_normal(name)) >= 3 and _normal(name).rstrip(" .") in text:
                best = max(best, 1000)
            telling = {w for w in _words(name) if w not in _COMMON and len(w) >= 3}
            best = max(best, len(telling & said))
        if best >= 2:
            scores.append((best, p))
    top = max((n for n, _ in scores), default=0)
    return [p for n, p in scores if n == top]


@dataclass(frozen=True)
class _Span:
    """The days a date in the text claims, and how a message reads them."""

    start: date
    end: date
    reads: str


def _year_of(groups: dict[str, str | None], today: date) -> int:
    if groups.get("y"):
        return int(groups["y"] or 0)
    rel = (groups.get("rel") or groups.get("rel2") or "this").lower()
    return today.year + 1 if rel == "next" else today.year


def _window_of(kind: str, match: re.Match[str], today: date) -> Window | None:
    groups = match.groupdict()
    year = _year_of(groups, today)
    if not 1900 < year < 2200:
        return None
    if kind == MONTH:
        return Window.of(MONTH, date(year, _month(groups["m"]), 1))
    if kind == QUARTER:
        return Window.of(QUARTER, date(year, (int(groups["q"]) - 1) * 3 + 1, 1))
    if groups.get("which"):
        half = 1 if groups["which"].lower() == "first" else 2
    else:
        half = int(groups["h"])
    return Window.of(HALF, date(year, 1 if half == 1 else 7, 1))


def _deadline_span(match: re.Match[str], today: date) -> _Span | None:
    """The days a deadline at the end of a month, quarter or half-year claims: every day
    until its end ("before": until the end of the one before). A deadline without its year
    is the next one still to come. None: the month is "may", the verb."""
    groups = match.groupdict()
    if groups.get("m") == "may":
        return None
    if groups.get("m"):
        kind, month = MONTH, _month(groups["m"])
    elif groups.get("q"):
        kind, month = QUARTER, (int(groups["q"]) - 1) * 3 + 1
    else:
        kind, month = HALF, 1 if groups["h"] == "1" else 7
    before = groups["by"].lower() == "before" and not groups["endof"]
    yearless = not groups.get("y") and not groups.get("rel")
    year = _year_of(groups, today)
    if not 1900 < year < 2200:
        return None
    for candidate in (year, year + 1) if yearless else (year,):
        window = Window.of(kind, date(candidate, month, 1))
        if before:
            span = _Span(date.min, date.fromordinal(window.start.toordinal() - 1), "")
            reads = f"a window ending before {window.label}"
        else:
            span = _Span(date.min, window.end, "")
            reads = f"a window ending by the end of {window.label}"
        if span.end >= today or not yearless:
            break
    return _Span(span.start, span.end, reads)


def _year_span(kind: str, match: re.Match[str], today: date) -> _Span | None:
    """The days a year's words claim (None: history, never a promise)."""
    groups = match.groupdict()
    if kind == "history":
        return None
    year = _year_of(groups, today)
    first, last = date(year, 1, 1), date(year, 12, 31)
    if kind == "by":
        before = groups["by"].lower() == "before" and not groups["endof"] and not groups["yearend"]
        end = date(year - 1, 12, 31) if before else last
        return _Span(date.min, end, f"a window ending by the end of {end.year}")
    if kind == "from":
        start = date(year + 1, 1, 1) if groups["from"].lower() in ("after", "beyond") else first
        if start.year <= today.year:
            return None  # from a year begun: what has been
        return _Span(start, date.max, f"a window from {start.year} on")
    if kind == "part":
        part = (groups.get("part") or groups.get("partof") or "end").lower()
        if part in ("early", "beginning", "start"):
            return _Span(first, date(year, 6, 30), f"a window in the first half of {year}")
        if part in ("mid", "middle"):
            middle = f"a window from April to September {year}"
            return _Span(date(year, 4, 1), date(year, 9, 30), middle)
        return _Span(date(year, 7, 1), last, f"a window in the second half of {year}")
    return _Span(first, last, f"a window in {year}")


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


def _words(text: str) -> tuple[str, ...]:
    return tuple(w.lower() for w in _WORD.findall(text))


def _quoting(text: str, others_words: Iterable[tuple[int, str]]) -> list[tuple[str, int, str]]:
    """The quoted passages of ``text`` that hold a card's words of ``others_words`` (card id,
    its text): ``MATCH_WORDS`` of them in a row, or all of a shorter card's (at least three;
    shorter still, the passage must be exactly them). (passage, card id, card text)."""
    passages = [
        (m.group(0), _words(m.group(1) or m.group(2) or "")) for m in _QUOTED.finditer(text)
    ]
    passages = [(p, w) for p, w in passages if w]
    if not passages:
        return []
    runs: dict[tuple[str, ...], tuple[int, str]] = {}
    exact: dict[tuple[str, ...], tuple[int, str]] = {}
    lengths: set[int] = set()
    for card_id, card_text in others_words:
        words = _words(card_text)
        if len(words) < 3:
            if words:
                exact.setdefault(words, (card_id, card_text))
            continue
        n = min(MATCH_WORDS, len(words))
        lengths.add(n)
        for i in range(len(words) - n + 1):
            runs.setdefault(words[i : i + n], (card_id, card_text))
    found = []
    for passage, words in passages:
        hit = exact.get(words)
        for n in sorted(lengths, reverse=True):
            if hit is not None:
                break
            hit = next(
                (runs[g] for i in range(len(words) - n + 1) if (g := words[i : i + n]) in runs),
                None,
            )
        if hit is not None:
            found.append((passage, *hit))
    return found


def text_problems(
    text: str,
    *,
    windows: Iterable[Window] = (),
    other_names: Iterable[str] = (),
    quoted: Iterable[str] = (),
    others_words: Iterable[tuple[int, str]] = (),
    priorities: Iterable[Named] = (),
    today: date | None = None,
) -> list[Problem]:
    """What in ``text`` may not be said: ``windows`` are those published statuses back,
    ``other_names`` the customers (and their contacts) the audience may not read about,
    ``quoted`` the customers' own words the text may quote, ``others_words`` the cards (id,
    text) of organisations other than the audience's, whose words it may not quote;
    ``priorities`` those the update is about: a sentence naming one is backed by that
    one's windows only."""
    today = today or clock.today()
    about = list(priorities)
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

    def never_backed(patterns: Iterable[re.Pattern[str]], says: str) -> None:
        """Flags what ``patterns`` find in the text not read yet, whatever the statuses."""
        rest = _masked(ours, spans)
        for pattern in patterns:
            for m in pattern.finditer(rest):
                if m.groupdict().get("m") == "may":
                    continue  # "in late may" is the verb; the month is written May
                flag(m.group(0), f"“{m.group(0)}” {says}")
                spans.append(m.span())

    backed_spans: list[tuple[int, int, _Span, str]] = []

    def backed_or_flagged(m: re.Match[str], claim: _Span) -> None:
        """The past is a recap; a span a published window lies inside is backed."""
        spans.append(m.span())
        if claim.end < today:
            return
        if any(claim.start <= w.start and w.end <= claim.end for w in backing):
            backed_spans.append((*m.span(), claim, m.group(0)))
            return
        flag(
            m.group(0),
            f"“{m.group(0)}”: no published planned or in-progress status of this program "
            f"shows {claim.reads}. Publish the status first, or leave the date out.",
        )

    rest = _masked(ours, spans)
    for m in _BY_WINDOW.finditer(rest):
        claim = _deadline_span(m, today)
        if claim is not None:
            backed_or_flagged(m, claim)
    never_backed(
        [_BY_WHEN],
        "promises a deadline no status backs; say the window a planned status shows "
        "(“planned for Q2 2027”).",
    )
    never_backed(
        _DAY,
        "is a day; no status backs a day. Say the window a planned status shows (a month, "
        "a quarter or a half-year).",
    )
    never_backed(
        [_RELATIVE],
        "counts time from today, which no status backs; say the window a planned status "
        "shows (“planned for Q2 2027”), or leave the time out.",
    )
    never_backed(
        [_PART_OF_MONTH],
        "is part of a month, finer than any window a status shows; say the window a planned "
        "status shows (“May 2027”, “Q2 2027”).",
    )
    rest = _masked(ours, spans)
    for kind, pattern in _WINDOWS:
        for m in pattern.finditer(rest):
            window = _window_of(kind, m, today)
            if window is not None:
                reads = f"{window.label} or a window inside it"
                backed_or_flagged(m, _Span(window.start, window.end, reads))
    for kind, pattern in _YEARS:
        rest = _masked(ours, spans)
        for m in pattern.finditer(rest):
            claim = _year_span(kind, m, today)
            if claim is None:
                spans.append(m.span())  # history
            else:
                backed_or_flagged(m, claim)
    rest = _masked(ours, spans)
    for m in _YEARLESS_MONTH.finditer(rest):
        if m.group("m").lower() == "may" and not m.group("m").startswith("M"):
            continue
        flag(
            m.group(0),
            f"“{m.group(0)}” names a month without its year, which no status backs; say "
            "the window a planned status shows (“May 2027”, “Q2 2027”).",
        )
    for m in _YEARLESS_PART.finditer(rest):
        flag(
            m.group(0),
            f"“{m.group(0)}” names a quarter or a half-year without its year, which no "
            "status backs; say the window a planned status shows (“Q3 2027”, “H2 2027”).",
        )
    for sentence in _SENTENCE.finditer(ours):
        start, end = sentence.span()
        here = [b for b in backed_spans if start <= b[0] < end]
        subjects = _named_in(sentence.group(0), about) if about else []
        if subjects:
            # It is about these priorities: only their own statuses back what it says.
            theirs = [w for p in subjects for w in p.windows]
            labels = " or ".join(f"“{p.label}”" for p in subjects)
            kept = []
            for backed in here:
                claim, words = backed[2], backed[3]
                if any(claim.start <= w.start and w.end <= claim.end for w in theirs):
                    kept.append(backed)
                    continue
                flag(
                    words,
                    f"“{words}”: the sentence is about {labels}, whose published status "
                    f"shows no {claim.reads}. Say the window its own status shows, or leave "
                    "the date out.",
                )
            here = kept
        promise = PROMISES.search(sentence.group(0))
        if promise is None:
            continue
        if here:
            continue
        flag(
            promise.group(0),
            f"“{promise.group(0)}” is a promise no published status backs; say what is "
            "decided or planned, with the window of its status.",
        )
    for repeated in repeated_sentences(ours):
        flag(
            repeated,
            f"“{repeated}” is said in two parts of the update; say each thing once, in the "
            "part its status puts it.",
        )
    for passage, card_id, card_text in _quoting(text, others_words):
        flag(
            passage,
            f"{passage} quotes another customer organisation's words (card #{card_id}: "
            f"“{' '.join(card_text.split())[:90]}”); an update quotes a customer's words only "
            "to their own organisation. Say it in your own words, without theirs.",
        )
    for hit in named(text, other_names):
        flag(
            hit,
            f"“{hit}” is another customer; an update never names other customers or their people.",
        )
    return found


def repeated_sentences(text: str) -> list[str]:
    """The sentences (of three words or more) ``text`` says in two of its parts (its
    paragraphs and lists, parted by blank lines), as first written."""
    first_in: dict[str, tuple[int, str]] = {}
    found: list[str] = []
    for part, block in enumerate(re.split(r"\n\s*\n", text)):
        for line in block.splitlines():
            for m in _SENTENCE.finditer(line.lstrip("-* ")):
                sentence = m.group(0).strip()
                key = " ".join(_words(sentence))
                if len(_words(sentence)) < 3:
                    continue
                seen = first_in.setdefault(key, (part, sentence))
                if seen[0] != part and seen[1] not in found:
                    found.append(seen[1])
    return found


def backing_windows(program_id: int, priority_ids: Iterable[int] | None = None) -> list[Window]:
    """The windows of the published planned and in-progress statuses (the current status of
    each priority) of ``priority_ids``, the priorities an update is about; of every priority
    of the program only when it names none (``None`` or empty)."""
    from traction.loop.models import PriorityStatus, Status

    latest: dict[int, PriorityStatus] = {}
    rows = PriorityStatus.objects.filter(program_id=program_id, published_at__isnull=False)
    ids = list(priority_ids or ())
    if ids:
        rows = rows.filter(priority_id__in=ids)
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


def source_priorities(update: object) -> list[int]:
    """The priorities an update is about (its draft's ``sources["priorities"]``)."""
    sources = getattr(update, "sources", None) or {}
    return [int(i) for i in sources.get("priorities", []) if str(i).isdigit()]


def quoted_words(update: object) -> list[str]:
    """The insight texts an update's draft quoted (its ``sources``)."""
    from traction.insights.models import Insight

    sources = getattr(update, "sources", None) or {}
    ids = [int(i) for i in sources.get("quotes", []) if str(i).isdigit()]
    return list(Insight.objects.filter(pk__in=ids).values_list("text", flat=True))


def others_words(
    program_id: int, allowed_customer_ids: Iterable[int | None]
) -> list[tuple[int, str]]:
    """The program's customer words (cards and notes said by a customer contact, or credited
    to an organisation; not internal) of organisations other than ``allowed``: (id, text)."""
    from django.db.models import Q

    from traction.insights.models import Insight

    allowed = [a for a in allowed_customer_ids if a]
    said = Insight.objects.filter(program_id=program_id, internal=False).filter(
        Q(speaker_contact__isnull=False) | Q(customer__isnull=False)
    )
    if allowed:
        said = said.exclude(
            Q(speaker_contact__customer_id__in=allowed)
            | Q(speaker_contact__isnull=True, customer_id__in=allowed)
        )
    return list(said.order_by("pk").values_list("pk", "text"))


def update_problems(
    update: object, *, subject: str | None = None, body: str | None = None
) -> list[Problem]:
    """What the update (or the given subject and body of it) may not say: its windows backed
    by the statuses of its own priorities (``sources``), or the program's when it has none."""
    from traction.loop.models import Update, UpdateAudience

    assert isinstance(update, Update)
    allowed = [update.customer_id] if update.audience == UpdateAudience.CUSTOMER else []
    text = (
        f"{update.subject if subject is None else subject}\n{update.body if body is None else body}"
    )
    quotes_any = _QUOTED.search(text) is not None
    return text_problems(
        text,
        windows=backing_windows(update.program_id, source_priorities(update)),
        other_names=other_names(update.workspace_id, [a for a in allowed if a]),
        quoted=quoted_words(update),
        others_words=others_words(update.program_id, allowed) if quotes_any else (),
        priorities=named_priorities(update.program_id, source_priorities(update)),
    )


def named_priorities(program_id: int, priority_ids: Iterable[int] | None = None) -> list[Named]:
    """The priorities an update is about (the program's when it names none), as a sentence
    may name them (their cards' words, and the customer summaries of the recommendations
    citing them), each with the windows of its own published status."""
    from traction.debrief.models import Evidence
    from traction.insights.models import Insight
    from traction.loop import selectors

    ids = list(priority_ids or ())
    cards = Insight.objects.filter(pk__in=ids) if ids else selectors.priority_cards(program_id)
    texts = dict(cards.values_list("pk", "text"))
    merged = Insight.objects.filter(merged_into_id__in=texts).values_list("merged_into_id", "pk")
    card_of = {pk: pk for pk in texts} | {pk: into for into, pk in merged}
    names: dict[int, list[str]] = {pk: [text] for pk, text in texts.items()}
    summaries = (
        Evidence.objects.filter(insight_id__in=card_of, recommendation__archived_at__isnull=True)
        .exclude(recommendation__customer_summary="")
        .values_list("insight_id", "recommendation__customer_summary")
    )
    for insight_id, summary in summaries:
        names[card_of[insight_id]].append(summary)
    return [
        Named(
            " ".join(texts[pk].split())[:60],
            tuple(names[pk]),
            tuple(backing_windows(program_id, [pk])),
        )
        for pk in texts
    ]


__all__ = [
    "Named",
    "Problem",
    "backing_windows",
    "named_priorities",
    "other_names",
    "others_words",
    "repeated_sentences",
    "text_problems",
    "update_problems",
]
