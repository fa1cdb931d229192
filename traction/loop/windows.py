"""The coarse windows a planned status shows customers: a month, a quarter or a half-year,
never a day. Windows are dates (no time zone): a window is its first and last day."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

MONTH = "month"
QUARTER = "quarter"
HALF = "half"
KINDS = (MONTH, QUARTER, HALF)
_LENGTH = {MONTH: 1, QUARTER: 3, HALF: 6}


@dataclass(frozen=True)
class Window:
    kind: str
    start: date  # its first day
    end: date  # its last day

    @classmethod
    def of(cls, kind: str, day: date) -> Window:
        """The window of ``kind`` holding ``day`` (ValueError for an unknown kind)."""
        if kind not in _LENGTH:
            raise ValueError(f"unknown window kind {kind!r}")
        length = _LENGTH[kind]
        first_month = (day.month - 1) // length * length + 1
        start = date(day.year, first_month, 1)
        last_month = first_month + length - 1
        end = date(day.year, last_month, calendar.monthrange(day.year, last_month)[1])
        return cls(kind, start, end)

    @property
    def label(self) -> str:
        """As customers read it: "March 2027", "Q2 2027", "H2 2027"."""
        if self.kind == MONTH:
            return f"{calendar.month_name[self.start.month]} {self.start.year}"
        if self.kind == QUARTER:
            return f"Q{(self.start.month - 1) // 3 + 1} {self.start.year}"
        return f"H{(self.start.month - 1) // 6 + 1} {self.start.year}"

    def holds(self, day: date) -> bool:
        return self.start <= day <= self.end

    def next(self) -> Window:
        """The window of the same kind right after this one."""
        following = self.end.toordinal() + 1
        return Window.of(self.kind, date.fromordinal(following))
