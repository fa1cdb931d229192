"""The checker of text shown to customers: no day-precise date, no promise words.

A status tells customers only what the facts back: a coarse window, never a day, and no
promise the plan does not make. ``problems(text)`` lists what is wrong, in words a user can
act on; it is asked for every reason written for customers (statuses and reusable reason
texts) and is meant for update drafts later.
"""

from __future__ import annotations

import re

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
_BY_WHEN = re.compile(
    rf"\bby\s+(?:the\s+)?(?:end\s+of\s+|next\s+|early\s+|mid-?\s*|late\s+)?"
    rf"(?:{_MONTHS}|\d|q[1-4]\b|h[12]\b|week|month|quarter|year|summer|spring|autumn|fall|winter)",
    re.IGNORECASE,
)


def problems(text: str) -> list[str]:
    """What in ``text`` may not be said to customers; [] when nothing."""
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
    return found
