"""The checker of text shown to customers: no day-precise date, no promise words.

A status tells customers only what the facts back: a coarse window, never a day, and no
promise the plan does not make. ``problems(text)`` lists what is wrong, in words a user can
act on; it is asked for every reason written for customers (statuses and reusable reason
texts). A status is read by every customer of its priority, so its reason names no customer
organisation of the workspace and none of their contacts (``names``); ``named`` is the one
matching of names, which the update checker uses too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
# A day of a month, in the forms people write: 2027-03-15, 15/03/2027, 3/15, 15.03.2027,
# "15 March", "March 15th", "the 15th".
_DAY_PATTERNS = (
    re.compile(r"\b\d{4}-\d{1,2}-\d{1,2}\b"),
    re.compile(r"\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b"),
    re.compile(r"\b\d{1,2}\.\d{1,2}\.\d{2,4}\b"),
    re.compile(rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})\b", re.IGNORECASE),
    re.compile(rf"\b(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?!\s*\d{{3}})", re.IGNORECASE),
    re.compile(r"\b\d{1,2}(?:st|nd|rd|th)\b", re.IGNORECASE),
)
_WEEKDAYS = re.compile(
    r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|tonight)\b",
    re.IGNORECASE,
)
# Promise words (the update checker reads them too).
PROMISES = re.compile(
    r"\b(?:will|we'll|we\u2019ll|shall|guarantee[sd]?|promise[sd]?|definitely|certainly|"
    r"surely)\b",
    re.IGNORECASE,
)
# A deadline after "by", quoted whole ("by 15 January", "by March 15th, 2027", "by 15/01",
# "by the end of March", "by Q2 2027", "by next month"): the first form that matches is
# taken, so the longer forms come first.
_DAY_NUMBER = r"\d{1,2}(?:st|nd|rd|th)?"
_WITH_YEAR = r"(?:\.?,?\s+\d{4}\b)?"  # "Jan. 2027": a full stop only before the year
_BY_WHEN = re.compile(
    rf"\bby\s+(?:the\s+)?(?:(?:end|middle|start|beginning)\s+of\s+(?:the\s+)?|next\s+|"
    rf"early\s+|mid-?\s*|late\s+)?"
    rf"(?:\d{{4}}-\d{{1,2}}-\d{{1,2}}\b"  # 2027-01-15
    rf"|\d{{1,2}}[/.]\d{{1,2}}(?:[/.]\d{{2,4}})?\b"  # 15/01, 15/01/2027, 15.01.2027
    rf"|{_DAY_NUMBER}\s+(?:of\s+)?(?:{_MONTHS})\b{_WITH_YEAR}"  # 15 January (2027)
    rf"|(?:{_MONTHS})\b(?:\.?\s+{_DAY_NUMBER}\b)?{_WITH_YEAR}"  # January 15th, 2027; March
    rf"|(?:19|20|21)\d{{2}}\b|\d{{1,2}}(?:st|nd|rd|th)\b"  # 2028, the 15th (not "by 20%")
    rf"|(?:q[1-4]|h[12])\b{_WITH_YEAR}"  # Q2, H1 2027
    rf"|(?:week|month|quarter|year|summer|spring|autumn|fall|winter)\b{_WITH_YEAR})",
    re.IGNORECASE,
)


def named(text: str, names: Iterable[str]) -> list[str]:
    """The ``names`` ``text`` names (case-insensitive, whole words), as the text writes them,
    in the order of the names (sorted, without case); names shorter than 2 letters are not
    read."""
    hits: list[str] = []
    for name in sorted({n.strip() for n in names if n and len(n.strip()) >= 2}, key=str.lower):
        hit = re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.IGNORECASE)
        if hit:
            hits.append(hit.group(0))
    return hits


def problems(text: str, *, names: Iterable[str] = ()) -> list[str]:
    """What in ``text`` may not be said to customers; [] when nothing. ``names`` are the
    customer organisations and contacts the text may not name."""
    found: list[str] = []
    for pattern in _DAY_PATTERNS:
        match = pattern.search(text)
        if match:
            found.append(
                f"“{match.group(0).strip()}” is a day; tell customers a month, a quarter or "
                "a half-year at most."
            )
            break
    match = _WEEKDAYS.search(text)
    if match and not found:
        found.append(
            f"“{match.group(0)}” is a day; tell customers a month, a quarter or a half-year "
            "at most."
        )
    match = _BY_WHEN.search(text)
    if match:
        found.append(
            f"“{match.group(0)}” promises a date; the window of a planned status says when."
        )
    match = PROMISES.search(text)
    if match:
        found.append(
            f"“{match.group(0)}” is a promise; say what is decided or planned, not what will be."
        )
    for hit in named(text, names):
        found.append(
            f"“{hit}” names a customer or one of their people; every customer of this "
            f"priority reads it. Remove “{hit}”."
        )
    return found
