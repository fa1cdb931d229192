"""The checker of text for customers, and window arithmetic (windows are dates)."""

from __future__ import annotations

from datetime import date

import pytest

from traction.loop import checker
from traction.loop.windows import Window


@pytest.mark.parametrize(
    "text",
    [
        "It conflicts with our security policy.",
        "We decided not to build it this year.",
        "Planned for the second half of 2027.",
        "We won't change the approval flow.",
        "Version 2.5 already covers it.",
        "Around March 2027.",
    ],
)
def test_honest_texts_pass(text: str) -> None:
    assert checker.problems(text) == []


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Ready on 2027-03-15.", "“2027-03-15” is a day"),
        ("Ready on 15/03/2027.", "“15/03/2027” is a day"),
        ("Ready on 15.03.2027.", "“15.03.2027” is a day"),
        ("Ready on 15 March.", "“15 March” is a day"),
        ("Ready on March 15th, 2027.", "“March 15th” is a day"),
        ("Ready on Friday.", "“Friday” is a day"),
        ("Ready by March.", "“by March” promises a date"),
        ("Ready by the end of Q2.", "“by the end of Q2” promises a date"),
        ("Ready by next month.", "“by next month” promises a date"),
        ("We will fix it.", "“We” is"),
        ("We will fix it.", "“will” is a promise"),
        ("We'll fix it.", "“We'll” is a promise"),
        ("We guarantee it.", "“guarantee” is a promise"),
        ("We promise it.", "“promise” is a promise"),
    ],
)
def test_days_and_promises_are_flagged(text: str, found: str) -> None:
    problems = checker.problems(text)
    if found == "“We” is":
        assert not any(p.startswith(found) for p in problems)
        return
    assert any(p.startswith(found) for p in problems), problems


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ("We will ship this by 15 January, guaranteed.", "by 15 January"),
        ("Ready by 15th of January 2027.", "by 15th of January 2027"),
        ("Ready by January 15.", "by January 15"),
        ("Ready by January 15th, 2027.", "by January 15th, 2027"),
        ("Ready by March 2027.", "by March 2027"),
        ("Ready by the end of March.", "by the end of March"),
        ("Ready by the end of the year.", "by the end of the year"),
        ("Ready by mid-March.", "by mid-March"),
        ("Ready by early May.", "by early May"),
        ("Ready by Q2.", "by Q2"),
        ("Ready by H1 2027.", "by H1 2027"),
        ("Ready by 15/01.", "by 15/01"),
        ("Ready by 15/01/2027.", "by 15/01/2027"),
        ("Ready by 15.01.2027.", "by 15.01.2027"),
        ("Ready by 2027-01-15.", "by 2027-01-15"),
        ("Ready by 2028.", "by 2028"),
        ("Ready by the 15th.", "by the 15th"),
        ("Ready by next week.", "by next week"),
        ("Ready by late summer 2027.", "by late summer 2027"),
    ],
)
def test_a_promised_date_is_quoted_whole(text: str, quoted: str) -> None:
    """ "by 15 January" was quoted back as "by 1": the whole phrase is what to remove."""
    promised = [p for p in checker.problems(text) if "promises a date" in p]
    assert promised == [f"“{quoted}” promises a date; the window of a planned status says when."]


@pytest.mark.parametrize(
    "text", ["We cut the time to approve by 20%.", "Used by 3 teams.", "Written by marketing."]
)
def test_by_a_number_or_a_word_that_is_no_date_promises_no_date(text: str) -> None:
    assert not any("promises a date" in p for p in checker.problems(text))


@pytest.mark.parametrize(
    ("kind", "day", "start", "end", "label"),
    [
        ("month", date(2027, 2, 14), date(2027, 2, 1), date(2027, 2, 28), "February 2027"),
        ("month", date(2028, 2, 29), date(2028, 2, 1), date(2028, 2, 29), "February 2028"),
        ("quarter", date(2027, 1, 1), date(2027, 1, 1), date(2027, 3, 31), "Q1 2027"),
        ("quarter", date(2027, 6, 30), date(2027, 4, 1), date(2027, 6, 30), "Q2 2027"),
        ("quarter", date(2027, 8, 15), date(2027, 7, 1), date(2027, 9, 30), "Q3 2027"),
        ("quarter", date(2027, 12, 31), date(2027, 10, 1), date(2027, 12, 31), "Q4 2027"),
        ("half", date(2027, 6, 30), date(2027, 1, 1), date(2027, 6, 30), "H1 2027"),
        ("half", date(2027, 7, 1), date(2027, 7, 1), date(2027, 12, 31), "H2 2027"),
    ],
)
def test_windows(kind: str, day: date, start: date, end: date, label: str) -> None:
    window = Window.of(kind, day)
    assert (window.start, window.end, window.label) == (start, end, label)
    assert window.holds(day)
    assert not window.holds(end.fromordinal(end.toordinal() + 1))


def test_next_window_crosses_the_year() -> None:
    assert Window.of("quarter", date(2027, 11, 5)).next().label == "Q1 2028"
    assert Window.of("half", date(2027, 11, 5)).next().label == "H1 2028"
    assert Window.of("month", date(2027, 12, 5)).next().label == "January 2028"
    with pytest.raises(ValueError, match="unknown window kind"):
        Window.of("day", date(2027, 1, 1))
