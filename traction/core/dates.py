"""The window of sensible dates for the plans people type: a due date, a date to revisit a
decision, a metric's baseline and target dates, an action's planned start.

Such a date lies between 1 January 2000 (as measurements do: an earlier one is a typo or a
spreadsheet's empty date, 0001-01-01 or 1900-01-00) and ten years from today (a later one,
9999-12-31, is a placeholder: its reminders would never come and a chart or forecast reaching
it would span millennia). Each service checks its own rules inside this window (a due date
not in the past, a revisit date in the future…), and only when the value changes: a date
stored before this rule stays until someone edits it.
"""

from __future__ import annotations

from datetime import date

from traction.core import clock

EARLIEST = date(2000, 1, 1)
YEARS_AHEAD = 10


def latest(today: date | None = None) -> date:
    """The last day of the window: the same day ``YEARS_AHEAD`` years from ``today`` (28
    February for a 29 February)."""
    today = today or clock.today()
    try:
        return today.replace(year=today.year + YEARS_AHEAD)
    except ValueError:  # 29 February, ten years on, is not a leap day
        return today.replace(year=today.year + YEARS_AHEAD, day=28)


def short(day: date) -> str:
    """A date as pages and messages write it: "1 Feb 2027" (no leading zero, no ISO)."""
    return f"{day.day} {day:%b %Y}"


def _long(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def window_refusal(on: date | None) -> str:
    """Why ``on`` is outside the window (with the bound, in words a form shows beside the
    field), or "" when it is inside (or empty: whether a date is required is the caller's)."""
    if on is None:
        return ""
    if on < EARLIEST:
        return f"{on.isoformat()} is before {_long(EARLIEST)}: check the year."
    last = latest()
    if on > last:
        return (
            f"{on.isoformat()} is more than {YEARS_AHEAD} years ahead: choose a date up to "
            f"{_long(last)}."
        )
    return ""


def check_window(errors: dict[str, list[str]], name: str, on: date | None) -> None:
    """Add ``window_refusal(on)`` to ``errors[name]`` when there is one."""
    if problem := window_refusal(on):
        errors.setdefault(name, []).append(problem)
