"""The largest body each webhook event can have, built from the caps (docs/webhooks.md, "How
large a body can be"): every text at its longest, written in the character JSON spells
longest ("\\x01" is six bytes, ``\\u0001``), every capped list full, every id at its widest.

The bodies are built by the real payload functions and rendered by the webhooks app's
``render_body``, byte for byte as sent. Ids in the test database are short, so each id is
counted at the 19 digits (and a comma) a 64-bit id can take: ``ID`` bytes per id listed.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from traction.accounts.models import User
from traction.core.api import MAX_ID
from traction.core.testing.cast import Cast
from traction.debrief import outbound
from traction.debrief.models import (
    ActionItem,
    Attendee,
    Checkpoint,
    Decision,
    Evidence,
    Measurement,
    ScorecardMetric,
    Undecided,
)
from traction.debrief.selectors_room import TOP_PRIORITIES
from traction.debrief.services import actions, closing, scorecards
from traction.debrief.services import recommendations as recs
from traction.debrief.tests.actions_world import approved, make_debrief, recommendation
from traction.insights.models import Insight
from traction.webhooks import events
from traction.webhooks.services import render_body

pytestmark = pytest.mark.django_db

UTC = ZoneInfo("UTC")
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
WORST = "\x01"  # storable, and escaped as \u0001 in JSON: six bytes a character
ID = 20  # bytes of one id in a list at its widest: 19 digits and a comma
KB = 1000

# What docs/webhooks.md promises, in bytes (the largest body of each event).
LARGEST = {
    "recommendation.decided": 70 * KB,
    "action_item.created": 260 * KB,
    "action_item.updated": 260 * KB,  # the same payload
    "action_item.done": 260 * KB,
    "debrief.closed": 90 * KB,  # and ID bytes a person present
    "metric.measured": 530 * KB,
    "checkpoint.reached": 1 * KB,
    "webhook.test": 1 * KB,
}


def text(length: int) -> str:
    return WORST * length


def body(event: str, data: dict[str, Any]) -> int:
    rendered = render_body(
        event_id=uuid.uuid4(),
        event=events.get(event),
        occurred_at=NOW,
        workspace_slug="w" * 60,
        program_id=MAX_ID,
        data=data,
    )
    return len(rendered.encode())


def people(cast: Cast, count: int) -> list[User]:
    """``count`` users with the longest name and e-mail address a user can have."""
    return User.objects.bulk_create(
        User(
            email=f"{n:03}" + text(254 - 3),
            full_name=text(User._meta.get_field("full_name").max_length),  # type: ignore[arg-type]
        )
        for n in range(count)
    )


def test_every_event_is_listed_here() -> None:
    assert set(LARGEST) == {*outbound.EVENTS, events.TEST_EVENT}


def test_recommendation_decided_at_its_largest(cast: Cast) -> None:
    debrief = make_debrief(cast, ends_at=NOW - timedelta(days=3))
    rec = recommendation(cast, debrief)
    rec.title = text(200)
    rec.owning_team = text(120)
    rec.customer_summary = text(recs.LONG_TEXT_MAX)
    rec.rationale = text(recs.LONG_TEXT_MAX)  # not in the body, but capped as well
    decision = Decision(
        pk=MAX_ID,
        outcome="deferred",
        reason=text(recs.REASON_MAX),
        revisit_on=date(2027, 6, 1),
        decided_by_id=MAX_ID,
        decided_by_label=text(254),
        decided_as=text(60),
        at=NOW,
    )
    data = recs.payload(rec, decision)
    ids = recs.EVIDENCE_MAX * ID
    assert Evidence.objects.filter(recommendation=rec).count() == 1  # counted at the cap
    size = body("recommendation.decided", data) + ids
    assert 60 * KB < size <= LARGEST["recommendation.decided"], size


def test_an_action_item_event_at_its_largest(cast: Cast) -> None:
    debrief = make_debrief(cast, ends_at=NOW - timedelta(days=3))
    rec = approved(cast, debrief)
    item = actions.create_action(
        cast.viewer("facilitator"),
        recommendation=rec,
        title="Ship it",
        owner_id=cast.users["core_team"].pk,
        due_on=date(2027, 3, 31),
    )
    helpers = people(cast, actions.CONTRIBUTORS_MAX)
    ActionItem.contributors.through.objects.bulk_create(
        ActionItem.contributors.through(actionitem_id=item.pk, user_id=u.pk) for u in helpers
    )
    item.title = text(200)
    item.status_reason = text(actions.REASON_MAX)
    item.owner = helpers[0]  # the longest name and address, as every contributor's
    size = body("action_item.created", actions.payload(item)) + len(helpers) * ID
    # Every action item event (created, updated, done) carries the same payload.
    assert 200 * KB < size <= LARGEST["action_item.created"], size


def test_debrief_closed_at_its_largest(cast: Cast) -> None:
    debrief = make_debrief(cast, ends_at=NOW - timedelta(days=3))
    present = people(cast, 10)
    Attendee.objects.bulk_create(Attendee(debrief=debrief, user=u, present=True) for u in present)
    Undecided.objects.bulk_create(
        Undecided(
            debrief=debrief,
            insight=Insight.objects.create(
                workspace=cast.acme,
                program=cast.program,
                session=debrief.session,
                kind="issue",
                text=f"Priority {n}",
            ),
            revisit_on=date(2027, 6, 1),
            note=text(closing.UNDECIDED_NOTE_MAX),
        )
        for n in range(TOP_PRIORITIES)
    )
    debrief.session.title = text(160)
    debrief.program.name = text(160)
    debrief.closed_at = NOW
    debrief.closed_by = present[0]
    debrief.closing_note = text(closing.NOTE_MAX)
    debrief.empty_reason = text(closing.NOTE_MAX)
    data = closing.payload(debrief)
    assert len(data["undecided"]) == TOP_PRIORITIES
    size = body("debrief.closed", data) + TOP_PRIORITIES * ID  # the insights' ids at their widest
    # The people present are listed by id: ID bytes each, the one list not capped.
    per_attendee = ID
    assert 80 * KB < size - len(present) * per_attendee <= LARGEST["debrief.closed"], size


def test_metric_measured_at_its_largest() -> None:
    metric = ScorecardMetric(
        pk=MAX_ID,
        program_id=MAX_ID,
        name=text(160),
        unit=text(40),
        direction="up",
        baseline=Decimal("-99999999999999.9999"),
        target=Decimal("-99999999999999.9999"),
        target_on=date(2027, 1, 1),
    )
    measured = [
        scorecards.payload_measurement(
            Measurement(
                pk=MAX_ID,
                on=date(2027, 1, 1) + timedelta(days=n),
                value=Decimal("-99999999999999.9999"),
                note=text(300),
                source="import",
            ),
            Decimal("-99999999999999.9999"),
        )
        for n in range(outbound.PER_EVENT * 2)
    ]
    data = {"metric": scorecards.payload_metric(metric), "measurements": measured}
    sizes = [body("metric.measured", part) for part in outbound.parts("metric.measured", data)]
    assert len(sizes) > 2
    assert 500 * KB < max(sizes) <= LARGEST["metric.measured"], sizes


def test_checkpoint_reached_and_the_test_event_at_their_largest(cast: Cast) -> None:
    debrief = make_debrief(cast, ends_at=NOW - timedelta(days=3))
    cp = Checkpoint(pk=MAX_ID, debrief=debrief, months=12, on=date(2028, 1, 1), reached_at=NOW)
    size = body("checkpoint.reached", {"checkpoint": scorecards.payload_checkpoint(cp)})
    assert size <= LARGEST["checkpoint.reached"], size
    size = body("webhook.test", {"message": "A test event from Traction.", "endpoint": MAX_ID})
    assert size <= LARGEST["webhook.test"], size
