"""Closing a debrief: the note is required, an empty debrief needs a reason, each undecided
top priority needs a revisit date, closing twice is refused, only ``debrief.run`` closes;
who attended is recorded (someone uninvited added), a "closed" clock event, the audit and
the ``debrief.closed`` announcement."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from traction.core import clock
from traction.core.errors import Conflict, PermissionDenied, ValidationFailed
from traction.core.models import AuditEvent
from traction.core.testing.cast import Cast
from traction.debrief import outbound, selectors_pack
from traction.debrief.models import (
    Attendee,
    Checkpoint,
    ClockEvent,
    Debrief,
    DebriefStatus,
    Undecided,
)
from traction.debrief.services import closing, scorecards
from traction.debrief.services.closing import Revisit

from .pack_data import PackWorld, build_pack_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast: Cast) -> PackWorld:
    return build_pack_world(cast)


@pytest.fixture
def announced() -> Iterator[list[dict[str, Any]]]:
    heard: list[dict[str, Any]] = []

    def sink(**kw: Any) -> None:
        heard.append(kw)

    outbound.connect(sink)
    try:
        yield heard
    finally:
        outbound.disconnect(sink)


def undecided_ids(w: PackWorld) -> list[int]:
    return [w.cards["idea"].pk, w.cards["issue2"].pk]


def revisits(w: PackWorld, days: int = 14) -> list[Revisit]:
    on = clock.today() + timedelta(days=days)
    return [Revisit(i, on, "") for i in undecided_ids(w)]


def close(w: PackWorld, who: str = "facilitator", **kw: Any) -> Debrief:
    u = w.cast.users
    args: dict[str, Any] = {
        "attendance": {u["facilitator"].pk: True, u["core_team"].pk: True, u["sponsor"].pk: False},
        "note": "Two decisions; the phone line comes back in two weeks.",
        "undecided": revisits(w),
        "empty_reason": "",
    }
    args.update(kw)
    return closing.close_debrief(w.cast.viewer(who), debrief=w.debrief, **args)


def test_the_undecided_top_priorities_are_the_top_cards_without_a_decision(
    world: PackWorld,
) -> None:
    fran = world.cast.viewer("facilitator")
    top = selectors_pack.top_priorities(fran, world.debrief)
    assert [c.text for c in top] == [
        "The first invoice arrives",
        "Approval takes three weeks",
        "Let us pay by card",
        "Nobody answers the phone",
    ]
    assert [c.dots for c in top] == [3, 2, 2, 1]
    # Approved and deferred count as decided; the drafted "phone line" does not.
    undecided = selectors_pack.undecided_priorities(fran, world.debrief)
    assert [c.insight_id for c in undecided] == [world.cards["idea"].pk, world.cards["issue2"].pk]


def test_closing_records_attendance_undecided_clock_audit_and_announces(
    world: PackWorld, announced: list[dict[str, Any]]
) -> None:
    u = world.cast.users
    with clock.frozen(clock.now()):
        closed = close(
            world,
            attendance={
                u["facilitator"].pk: True,
                u["core_team"].pk: True,
                u["sponsor"].pk: True,
                world.petra.pk: True,  # came uninvited
            },
        )
        now = clock.now()
    assert (closed.status, closed.closed_at, closed.closed_by_id) == (
        DebriefStatus.CLOSED,
        now,
        u["facilitator"].pk,
    )
    assert closed.closing_note.startswith("Two decisions")
    assert closed.version == world.debrief.version + 1
    rows = {
        a.user_id: (a.present, a.is_policy_maker) for a in Attendee.objects.filter(debrief=closed)
    }
    assert rows == {
        u["facilitator"].pk: (True, False),
        u["core_team"].pk: (True, False),
        u["sponsor"].pk: (True, True),
        world.petra.pk: (True, True),  # a named policy maker, marked as such
    }
    assert sorted(Undecided.objects.values_list("insight_id", "revisit_on")) == sorted(
        (i, clock.today() + timedelta(days=14)) for i in undecided_ids(world)
    )
    # (due and booked: recorded when the debrief was booked with its session)
    assert list(ClockEvent.objects.filter(debrief=closed).values_list("kind", flat=True)) == [
        "due",
        "booked",
        "closed",
    ]
    event = AuditEvent.objects.get(action="debrief.closed")
    assert event.changes["status"] == ["open", "closed"]
    assert event.changes["present"] == sorted(rows)
    [heard] = announced
    assert heard["event"] == "debrief.closed"
    assert heard["program_id"] == world.debrief.program_id
    data = heard["data"]
    assert data["debrief_id"] == closed.pk
    assert data["closed_at"] == clock.iso_utc(now)
    assert data["attended"] == sorted(rows)
    assert [x["insight_id"] for x in data["undecided"]] == undecided_ids(world)


def test_closing_makes_the_results_checkpoints_once(world: PackWorld) -> None:
    """Closing makes the debrief's checkpoints in its transaction (not at the next periodic
    run); the periodic job's catch-up then finds them and makes none twice."""
    assert not Checkpoint.objects.exists()
    closed = close(world)
    days = scorecards.checkpoint_days(closed)
    made = list(Checkpoint.objects.filter(debrief=closed).order_by("months"))
    assert [(cp.months, cp.on, cp.reached_at) for cp in made] == [
        (m, days[m], None) for m in (3, 6, 12)
    ]
    scorecards.reach_checkpoints()
    assert list(Checkpoint.objects.filter(debrief=closed).order_by("months")) == made


def test_a_refused_close_makes_no_checkpoint(world: PackWorld) -> None:
    with pytest.raises(ValidationFailed):
        close(world, note="")
    assert not Checkpoint.objects.exists()


def test_absent_people_are_recorded_as_absent(world: PackWorld) -> None:
    close(world)
    sam = Attendee.objects.get(debrief=world.debrief, user=world.cast.users["sponsor"])
    assert sam.present is False


def test_a_closing_note_is_required(world: PackWorld) -> None:
    with pytest.raises(ValidationFailed) as exc:
        close(world, note="   ")
    assert list(exc.value.errors) == ["note"]
    assert Debrief.objects.get(pk=world.debrief.pk).status == DebriefStatus.OPEN
    assert not Undecided.objects.exists()
    assert not ClockEvent.objects.filter(kind="closed").exists()


def test_each_undecided_priority_needs_a_revisit_date_not_in_the_past(world: PackWorld) -> None:
    idea, phone = undecided_ids(world)
    with pytest.raises(ValidationFailed) as exc:
        close(world, undecided=[Revisit(idea, clock.today() + timedelta(days=3))])
    # A priority left out of the list: on "undecided", named with its insight id.
    assert list(exc.value.errors) == ["undecided"]
    assert "Nobody answers the phone" in exc.value.errors["undecided"][0]
    assert f"(insight {phone})" in exc.value.errors["undecided"][0]
    with pytest.raises(ValidationFailed) as exc:
        close(
            world,
            undecided=[
                Revisit(idea, clock.today() - timedelta(days=1)),
                Revisit(phone, clock.today()),
            ],
        )
    # Named by the row's position in the list, as the API's body has it.
    assert exc.value.errors == {
        "undecided.0.revisit_on": ["The revisit date cannot be in the past."]
    }
    assert Debrief.objects.get(pk=world.debrief.pk).status == DebriefStatus.OPEN


def test_a_revisit_date_years_away_is_refused(world: PackWorld) -> None:
    """Review 20 finding 12: an undecided priority is revisited within ten years."""
    idea, phone = undecided_ids(world)
    with pytest.raises(ValidationFailed) as exc:
        close(
            world,
            undecided=[
                Revisit(idea, date(9999, 12, 31)),
                Revisit(phone, clock.today() + timedelta(days=3)),
            ],
        )
    problems = [p for ps in exc.value.errors.values() for p in ps]
    assert len(problems) == 1
    assert "9999-12-31 is more than 10 years ahead" in problems[0]
    assert Debrief.objects.get(pk=world.debrief.pk).status == DebriefStatus.OPEN


def test_a_decided_card_cannot_be_listed_as_undecided(world: PackWorld) -> None:
    extra = Revisit(world.cards["mot"].pk, clock.today() + timedelta(days=3))
    with pytest.raises(ValidationFailed) as exc:
        close(world, undecided=[*revisits(world), extra])
    position = len(revisits(world))
    assert list(exc.value.errors) == [f"undecided.{position}.insight_id"]
    assert (
        f"Insight {extra.insight_id} is not a top priority"
        in exc.value.errors[f"undecided.{position}.insight_id"][0]
    )


def test_an_empty_debrief_needs_a_reason(cast: Cast) -> None:
    world = build_pack_world(cast, decided=False)
    everything = [
        c.insight_id
        for c in selectors_pack.undecided_priorities(cast.viewer("admin"), world.debrief)
    ]
    assert len(everything) == 4
    later = clock.today() + timedelta(days=7)
    undecided = [Revisit(i, later) for i in everything]
    with pytest.raises(ValidationFailed) as exc:
        close(world, undecided=undecided)
    assert list(exc.value.errors) == ["empty_reason"]
    closed = close(
        world, undecided=undecided, empty_reason="The sponsor was ill; decide next week."
    )
    assert closed.empty_reason == "The sponsor was ill; decide next week."
    assert Undecided.objects.filter(debrief=closed).count() == 4


def test_closing_twice_is_refused(world: PackWorld) -> None:
    close(world)
    with pytest.raises(ValidationFailed) as exc:
        close(world, undecided=[])
    assert exc.value.errors == {"__all__": ["This debrief is already closed."]}
    assert ClockEvent.objects.filter(kind="closed").count() == 1
    assert AuditEvent.objects.filter(action="debrief.closed").count() == 1


def test_a_stale_version_is_a_conflict(world: PackWorld) -> None:
    Debrief.objects.filter(pk=world.debrief.pk).update(version=world.debrief.version + 1)
    with pytest.raises(Conflict):
        close(world, version=world.debrief.version)
    assert Debrief.objects.get(pk=world.debrief.pk).status == DebriefStatus.OPEN


@pytest.mark.parametrize("who", ["core_team", "sponsor", "observer", "account_owner"])
def test_only_debrief_run_closes(world: PackWorld, who: str) -> None:
    with pytest.raises(PermissionDenied):
        close(world, who=who)
    assert Debrief.objects.get(pk=world.debrief.pk).status == DebriefStatus.OPEN


def test_only_workspace_members_can_be_recorded_as_attending(world: PackWorld) -> None:
    stranger = world.cast.users["stranger"]
    u = world.cast.users
    with pytest.raises(ValidationFailed) as exc:
        close(world, attendance={u["facilitator"].pk: True, stranger.pk: True})
    assert exc.value.errors == {
        "attendance.1.user_id": [
            f"User {stranger.pk} is not a member of this workspace: only members can be "
            "recorded as attending."
        ]
    }
    with pytest.raises(ValidationFailed) as exc:
        close(world, attendance={})
    assert exc.value.errors == {"attendance": ["Mark at least one person as present."]}
