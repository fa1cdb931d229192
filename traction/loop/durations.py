"""How long something took, in words a reader takes in at a glance: the approval turnaround on
the updates and priorities pages ("under a minute", "12 minutes", "3.5 hours", "2 days")."""

from __future__ import annotations

from datetime import timedelta


def _number(value: float, unit: str) -> str:
    shown = f"{value:.1f}".removesuffix(".0")
    return f"{shown} {unit}{'' if shown == '1' else 's'}"


def in_words(span: timedelta | None, *, none: str = "—") -> str:
    """Under a minute; whole minutes under an hour; hours (to a tenth) under two days; days
    (to a tenth) from then on. ``none`` when there is nothing to measure."""
    if span is None:
        return none
    seconds = max(span.total_seconds(), 0.0)
    if seconds < 60:
        return "under a minute"
    minutes = round(seconds / 60)
    if minutes < 60:
        return _number(minutes, "minute")
    hours = round(seconds / 3600, 1)
    if hours < 48:
        return _number(hours, "hour")
    return _number(round(seconds / 86400, 1), "day")
