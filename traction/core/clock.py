"""Time, explicitly: stored in UTC, entered and shown in a named time zone."""

from __future__ import annotations

import zoneinfo
from datetime import datetime

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


def now() -> datetime:
    return timezone.now()
