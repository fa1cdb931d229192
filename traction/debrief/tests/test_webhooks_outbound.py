"""The debrief's events reach a real receiver on loopback as signed webhooks: a decision, an
action item created and done, each verified with the documented recipe."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from traction.core import clock
from traction.core.testing.cast import Cast
from traction.debrief.services import actions
from traction.debrief.services import recommendations as recs
from traction.debrief.tests.room_world import World, build_world
from traction.webhooks import delivery, services
from traction.webhooks.receiver import VERIFY_SNIPPET
from traction.webhooks.tests.receivers import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver() -> Any:
    r = Receiver()
    yield r
    r.stop()


def verify() -> Any:
    namespace: dict[str, Any] = {}
    exec(VERIFY_SNIPPET, namespace)  # noqa: S102 -- our own documented snippet
    return namespace["verify"]


def test_a_decision_and_its_action_items_arrive_signed(cast: Cast, receiver: Receiver) -> None:
    world: World = build_world(cast)
    _, secret = services.create_endpoint(cast.viewer("admin"), url=receiver.url)
    rec = recs.draft_recommendation(
        cast.viewer("core_team"),
        world.debrief,
        title="Invoice on day one",
        evidence=[world.card("mot").pk],
    )
    rec = recs.decide(cast.viewer("sponsor"), rec, "approved", "It answers the top priority.")
    action = actions.create_action(
        cast.viewer("facilitator"),
        recommendation=rec,
        title="Send the first invoice from the onboarding call",
        owner_id=cast.viewer("core_team").user_id,
        due_on=clock.today() + timedelta(days=14),
    )
    actions.change_status(cast.viewer("core_team"), action, "in_progress", "Started.")
    action.refresh_from_db()
    actions.change_status(cast.viewer("core_team"), action, "done", "Shipped.")
    assert delivery.deliver_due().delivered == 5

    check = verify()
    got = []
    for request in receiver.requests:
        assert check(secret, request.headers["Traction-Signature"], request.body)
        got.append(json.loads(request.body))
    # Delivered in the order they happened (one run, oldest first).
    assert [p["type"] for p in got] == [
        "recommendation.decided",
        "action_item.created",
        "action_item.updated",
        "action_item.updated",
        "action_item.done",
    ]
    decided = next(p for p in got if p["type"] == "recommendation.decided")
    assert decided["program"] == world.debrief.program_id
    assert decided["data"]["recommendation"]["title"] == "Invoice on day one"
    assert decided["data"]["decision"]["outcome"] == "approved"
    assert decided["data"]["decision"]["reason"] == "It answers the top priority."
