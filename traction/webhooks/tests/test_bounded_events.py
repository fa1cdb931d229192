"""A CSV import of thousands of measurements reaches a real receiver on loopback as several
bounded ``metric.measured`` events, never one body of megabytes (docs/webhooks.md)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from traction.core.testing.cast import Cast
from traction.debrief import outbound
from traction.debrief.services import scorecards
from traction.debrief.tests.scorecard_helpers import make_metric
from traction.webhooks import delivery, services
from traction.webhooks.tests.receivers import Receiver

pytestmark = pytest.mark.django_db

# The largest body docs/webhooks.md promises (and the 1 MB it tells receivers to accept).
LARGEST_BODY = 530_000
ROWS = 1201
FIRST = date(2022, 1, 1)


def csv_of(rows: int, note: str) -> bytes:
    lines = ["metric,date,value,note"]
    lines += [
        f"Days to first invoice,{FIRST + timedelta(days=i)},{i % 97}.25,{note}" for i in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


def import_and_deliver(cast: Cast, receiver: Receiver, note: str) -> list[dict[str, object]]:
    make_metric(cast)
    services.create_endpoint(cast.viewer("admin"), url=receiver.url)
    outcome = scorecards.import_measurements(
        cast.viewer("core_team"), program=cast.program, data=csv_of(ROWS, note)
    )
    assert outcome.created == ROWS
    while delivery.deliver_due().attempted:
        pass
    bodies = []
    for request in receiver.requests:
        assert len(request.body) <= LARGEST_BODY
        body = json.loads(request.body)
        assert request.headers["Traction-Event-Id"] == body["id"]
        bodies.append(body)
    return bodies


def test_a_large_import_goes_out_as_events_of_at_most_500_measurements(
    cast: Cast, receiver: Receiver
) -> None:
    bodies = import_and_deliver(cast, receiver, note="checked")
    assert [len(b["data"]["measurements"]) for b in bodies] == [500, 500, 201]  # type: ignore[index]
    assert len({b["id"] for b in bodies}) == 3  # each an event of its own
    assert {(b["type"], b["version"]) for b in bodies} == {("metric.measured", 1)}
    assert len({json.dumps(b["data"]["metric"]) for b in bodies}) == 1  # type: ignore[index]
    days = [m["on"] for b in bodies for m in b["data"]["measurements"]]  # type: ignore[index]
    assert days == [str(FIRST + timedelta(days=i)) for i in range(ROWS)]


def test_long_notes_make_smaller_parts_and_every_body_stays_bounded(
    cast: Cast, receiver: Receiver
) -> None:
    # 300 characters of 4 bytes each: the longest note, at its heaviest in UTF-8.
    bodies = import_and_deliver(cast, receiver, note="🙂" * 300)
    sizes = [len(b["data"]["measurements"]) for b in bodies]  # type: ignore[index]
    assert sum(sizes) == ROWS
    assert max(sizes) < 500  # the bytes bound the part before the count does
    assert len({b["id"] for b in bodies}) == len(bodies)


def test_a_list_of_500_is_one_event_and_other_events_are_never_split() -> None:
    items = [{"on": str(FIRST + timedelta(days=i))} for i in range(501)]
    data = {"metric": {"id": 1}, "measurements": items[:500]}
    assert outbound.parts("metric.measured", data) == [data]
    split = outbound.parts("metric.measured", {**data, "measurements": items})
    assert [len(p["measurements"]) for p in split] == [500, 1]
    assert outbound.parts("debrief.closed", {"undecided": items}) == [{"undecided": items}]
