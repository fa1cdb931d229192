"""The window of sensible planned dates (review 20 finding 12)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from traction.core import clock
from traction.core.dates import latest, window_refusal


def test_the_window_runs_from_2000_to_ten_years_ahead() -> None:
    with clock.frozen(datetime(2027, 3, 1, 9, tzinfo=UTC)):
        assert latest() == date(2037, 3, 1)
        assert window_refusal(None) == ""
        assert window_refusal(date(2000, 1, 1)) == ""
        assert window_refusal(date(2037, 3, 1)) == ""
        assert window_refusal(date(1999, 12, 31)) == (
            "1999-12-31 is before 1 January 2000: check the year."
        )
        assert window_refusal(date(9999, 12, 31)) == (
            "9999-12-31 is more than 10 years ahead: choose a date up to 1 March 2037."
        )


def test_ten_years_after_a_leap_day_is_the_28th() -> None:
    assert latest(date(2028, 2, 29)) == date(2038, 2, 28)


def test_short_dates_read_as_pages_write_them() -> None:
    from traction.core.dates import short

    assert short(date(2027, 2, 1)) == "1 Feb 2027"  # no leading zero ("01 Feb 2027")
    assert short(date(2026, 12, 7)) == "7 Dec 2026"  # nor ISO ("2026-12-07")
