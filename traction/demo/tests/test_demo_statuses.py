"""The demo shows every customer-facing status, each on a card whose facts back it (issue 13:
the demo's in-progress work was shown as "planned", and nothing was "not planned")."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
import time_machine

from traction.demo import build_demo

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 23)


@pytest.fixture(autouse=True)
def _frozen_clock() -> Iterator[None]:
    with time_machine.travel(datetime(2026, 11, 23, 8, 0, tzinfo=UTC), tick=False):
        yield


def test_every_status_is_published_on_a_card_its_facts_back() -> None:
    from traction.loop import selectors
    from traction.loop.models import PriorityStatus, Status
    from traction.loop.services import statuses

    build_demo(today=TODAY)
    published = PriorityStatus.objects.filter(published_at__isnull=False).select_related("priority")
    current: dict[int, PriorityStatus] = {}
    for row in published.order_by("published_at", "pk"):
        current[row.priority_id] = row
    assert {s.status for s in current.values()} == set(Status.values)
    shown = set(
        selectors.priority_cards(published.first().program_id).values_list("pk", flat=True)  # type: ignore[union-attr]
    )
    for row in current.values():
        # A priority (voted or cited), and the rules still back what it shows today.
        assert row.priority_id in shown, row.priority.text
        facts = statuses.gather(row.priority)
        assert (
            statuses.refusals(row.status, facts, window=row.window, reason=row.customer_reason)
            == {}
        ), row.priority.text
    by_status = {s.status: s for s in current.values()}
    # In progress really started; planned has not started yet.
    started = statuses.gather(by_status[Status.IN_PROGRESS].priority).backing
    assert any(a.status in ("in_progress", "done") for a in started)
    planned = statuses.gather(by_status[Status.PLANNED].priority).backing
    assert planned
    assert all(a.status == "open" for a in planned)
    assert by_status[Status.PLANNED].window is not None
    assert by_status[Status.NOT_PLANNED].customer_reason
    # No card cited by a recommendation whose work has started is shown as planned.
    from traction.debrief.models import Evidence

    under_way = set(
        Evidence.objects.filter(
            recommendation__actions__status__in=("in_progress", "done")
        ).values_list("insight_id", flat=True)
    )
    assert under_way
    assert not [c for c, s in current.items() if c in under_way and s.status == Status.PLANNED]
