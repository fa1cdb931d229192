"""Time, explicitly: the one "now" of the code; stored in UTC, entered and shown in a named
time zone.

Every "now" and "today" outside tests is ``clock.now()`` / ``clock.today()``, so tests can
freeze it (``with clock.frozen(at) as frozen: ... frozen.advance(hours=24)``) and a deadline
or a reminder is tested at the exact moment it falls due; ``tests/test_clock.py`` fails on a
direct ``timezone.now()``, ``datetime.now()``, ``date.today()`` or ``time.time()``.

The times models stamp ask it too: a field's default is ``default=clock.now``, and an
``auto_now``/``auto_now_add`` field is a ``core.models.ClockDateTimeField`` (Django's own
``DateTimeField`` stamps with ``timezone.now()``, past a frozen clock); the test also holds
every model to that. Durations are measured with ``time.monotonic()``, which is no time of
day.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

from django.utils import timezone

from .errors import ValidationFailed


def zone(name: str, field: str = "time_zone") -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # "Europe" is a directory
        raise ValidationFailed.field(
            field, f"Unknown time zone “{name}”; use a name like Europe/Berlin."
        ) from None


def in_zone(value: datetime, tz_name: str) -> datetime:
    """An aware datetime: naive wall-clock times are read in ``tz_name`` (DST-safe)."""
    if timezone.is_aware(value):
        return value
    return value.replace(tzinfo=zone(tz_name))


class FrozenClock:
    """The time while ``frozen``: stands still until a test moves it on."""

    def __init__(self, at: datetime) -> None:
        if timezone.is_naive(at):
            raise ValueError("Freeze the clock at an aware time (e.g. tzinfo=UTC).")
        self.at = at.astimezone(UTC)

    def advance(self, delta: timedelta | None = None, **units: float) -> datetime:
        """Move the clock on by ``delta`` or ``timedelta(**units)``; the new time."""
        self.at += delta if delta is not None else timedelta(**units)
        return self.at


_frozen: FrozenClock | None = None


def now() -> datetime:
    """The current time, aware, in UTC (or the frozen time, in tests)."""
    if _frozen is not None:
        return _frozen.at
    return timezone.now()


def today(tz_name: str | None = None) -> date:
    """Today's date in ``tz_name`` (default: the site's time zone, ``TIME_ZONE``, even on a
    workspace's page, where the workspace's zone is the current one: a rule's "today" does
    not move with the page it is asked from)."""
    current = now()
    if tz_name:
        return current.astimezone(zone(tz_name)).date()
    return timezone.localdate(current, timezone.get_default_timezone())


def iso_utc(value: datetime) -> str:
    """A moment as webhook payloads write every one: ISO 8601 in UTC, to the millisecond,
    with ``Z`` (``2026-12-06T14:35:58.063Z``)."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@contextmanager
def frozen(at: datetime) -> Iterator[FrozenClock]:
    """For tests: ``now()`` answers ``at`` (and wherever the test advances it) until the block
    ends. Not thread-local: a server thread started by the test sees the same time."""
    global _frozen
    previous = _frozen
    _frozen = FrozenClock(at)
    try:
        yield _frozen
    finally:
        _frozen = previous


@contextmanager
def real() -> Iterator[None]:
    """For tests: the real time inside the block, even within ``frozen`` (the shared test
    cast is built once per process at the real time, whichever test asks for it first)."""
    global _frozen
    previous = _frozen
    _frozen = None
    try:
        yield
    finally:
        _frozen = previous
