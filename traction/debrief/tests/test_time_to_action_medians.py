"""Time to action's medians are computed by the database: the program page's section and the
debrief's actions page read the same queries (and at most two rows per stage) whatever the
number of approved recommendations, and the medians are those of every recommendation."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from traction.core import clock
from traction.core.testing.cast import Cast
from traction.debrief import selectors_actions as selectors
from traction.debrief.models import Debrief

from .actions_world import approved, make_debrief

UTC = ZoneInfo("UTC")
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
SESSION_END = datetime(2027, 2, 26, 12, 0, tzinfo=UTC)


@pytest.fixture
def frozen() -> Iterator[clock.FrozenClock]:
    with clock.frozen(NOW) as f:
        yield f


@pytest.fixture
def debrief(cast: Cast, frozen: Any) -> Debrief:
    return make_debrief(cast, ends_at=SESSION_END)


def approve_some(cast: Cast, debrief: Debrief, frozen: clock.FrozenClock, hours: list[int]) -> None:
    """One approved recommendation per entry, each approved that many hours after the last."""
    for h in hours:
        frozen.advance(hours=h)
        approved(cast, debrief, title=f"Recommendation +{h}h")


def test_the_medians_are_every_recommendations_and_cost_the_same_queries(
    cast: Cast,
    debrief: Debrief,
    frozen: clock.FrozenClock,
    client_for: Callable[[str], Client],
    django_assert_num_queries: Any,
) -> None:
    approve_some(cast, debrief, frozen, [1, 5, 2])
    sponsor = cast.viewer("sponsor")
    with CaptureQueriesContext(connection) as seen:
        few = selectors.time_to_action(sponsor, program_id=cast.program.pk)
    queries = len(seen)
    assert few.count == 3
    assert few.rows == []  # not asked for: the page reads no row of them
    # Spans from the session's end: 69+1, 69+6, 69+8 hours: the middle one.
    assert few.to_decision == timedelta(hours=75)
    assert few.stages[0] == ("Session end → decided", timedelta(hours=75), 3)
    page = reverse("programs:detail", args=[cast.acme.slug, cast.program.pk])
    client = client_for("sponsor")
    client.get(page)
    with CaptureQueriesContext(connection) as seen_page:
        html = client.get(page).content.decode()
    assert "Time to action" in html
    assert "3 of 3" in html
    approve_some(cast, debrief, frozen, [3, 1, 4, 1, 5, 9, 2, 6])  # 11 in all, then 12
    with django_assert_num_queries(queries):
        many = selectors.time_to_action(sponsor, program_id=cast.program.pk)
    assert many.count == 11
    every = selectors.time_to_action(sponsor, program_id=cast.program.pk, with_rows=100).rows
    assert len(every) == 11
    expected = statistics.median(r.to_decision.total_seconds() for r in every if r.to_decision)
    assert many.to_decision == timedelta(seconds=expected)
    with django_assert_num_queries(len(seen_page)):
        html = client.get(page).content.decode()
    assert "11 of 11" in html
    approve_some(cast, debrief, frozen, [7])  # an even number: the mean of the middle two
    even = selectors.time_to_action(sponsor, program_id=cast.program.pk, with_rows=100)
    expected = statistics.median(r.to_decision.total_seconds() for r in even.rows if r.to_decision)
    assert even.to_decision == timedelta(seconds=expected)
    assert (even.to_start, even.to_done, even.total) == (None, None, None)
    assert [count for _label, _median, count in even.stages] == [12, 0, 0, 0]


def test_nothing_approved_reads_no_median(cast: Cast, debrief: Debrief) -> None:
    found = selectors.time_to_action(cast.viewer("sponsor"), program_id=cast.program.pk)
    assert (found.count, found.to_decision, found.total) == (0, None, None)
