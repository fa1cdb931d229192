"""Approval turnaround in words: never "0.0 hours" for a fast approval."""

from __future__ import annotations

from datetime import timedelta

import pytest

from traction.loop.durations import in_words


@pytest.mark.parametrize(
    ("span", "words"),
    [
        (timedelta(seconds=0), "under a minute"),
        (timedelta(seconds=59), "under a minute"),
        (timedelta(seconds=61), "1 minute"),
        (timedelta(minutes=12, seconds=10), "12 minutes"),
        (timedelta(minutes=59, seconds=40), "1 hour"),
        (timedelta(hours=3), "3 hours"),
        (timedelta(hours=3, minutes=30), "3.5 hours"),
        (timedelta(hours=47, minutes=50), "47.8 hours"),
        (timedelta(days=2), "2 days"),
        (timedelta(days=2, hours=12), "2.5 days"),
    ],
)
def test_a_span_in_words(span: timedelta, words: str) -> None:
    assert in_words(span) == words


def test_nothing_to_measure() -> None:
    assert in_words(None) == "—"
    assert in_words(None, none="") == ""
