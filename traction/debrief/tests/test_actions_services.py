"""Action items: the rules of the services, the timeline, reminders, ownerless actions and
time to action."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from traction.accounts import services as accounts
from traction.core import clock
from traction.core.errors import Conflict, PermissionDenied, ValidationFailed
from traction.core.models import AppendOnlyError, AuditEvent
from traction.core.testing.cast import Cast
from traction.debrief import outbound
from traction.debrief import selectors_actions as selectors
from traction.debrief.models import (
    ActionItem,
    ActionStatus,
    ActionUpdate,
    Debrief,
    DecisionOutcome,
    Recommendation,
    Reminder,
)
from traction.debrief.services import actions as services

from .actions_world import approved, make_debrief, recommendation

UTC = ZoneInfo("UTC")
# A Monday morning; the session ended the Friday before.
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
SESSION_END = datetime(2027, 2, 26, 12, 0, tzinfo=UTC)


@pytest.fixture
def frozen() -> Iterator[clock.FrozenClock]:
    with clock.frozen(NOW) as f:
        yield f


@pytest.fixture
def debrief(cast: Cast, frozen: Any) -> Debrief:
    return make_debrief(cast, ends_at=SESSION_END)


@pytest.fixture
def rec(cast: Cast, debrief: Debrief) -> Recommendation:
    return approved(cast, debrief)


@pytest.fixture
def sink() -> Iterator[list[dict[str, Any]]]:
    heard: list[dict[str, Any]] = []

    def listen(**kwargs: Any) -> None:
        heard.append(kwargs)

    outbound.connect(listen)
    yield heard
    outbound.disconnect(listen)


def create(cast: Cast, rec: Recommendation, **overrides: Any) -> ActionItem:
    values: dict[str, Any] = {
        "recommendation": rec,
        "title": "Ship the one-page approval",
        "owner_id": cast.users["core_team"].pk,
        "due_on": date(2027, 3, 31),
        "planned_start": date(2027, 3, 8),
    }
    values.update(overrides)
    return services.create_action(cast.viewer("facilitator"), **values)


# --- creating ---------------------------------------------------------------------------------


def test_an_action_needs_an_owner_and_a_due_date(cast: Cast, rec: Recommendation) -> None:
    with pytest.raises(ValidationFailed) as no_owner:
        create(cast, rec, owner_id=None)
    assert "owner_id" in no_owner.value.errors
    with pytest.raises(ValidationFailed) as no_due:
        create(cast, rec, due_on=None)
    assert no_due.value.errors == {"due_on": ["Give it a due date."]}
    assert not ActionItem.objects.exists()


def test_the_owner_is_a_current_member_and_not_an_observer(cast: Cast, rec: Recommendation) -> None:
    with pytest.raises(ValidationFailed) as observer:
        create(cast, rec, owner_id=cast.users["observer"].pk)
    assert "Observers change nothing" in observer.value.errors["owner_id"][0]
    with pytest.raises(ValidationFailed) as stranger:
        create(cast, rec, owner_id=cast.users["stranger"].pk)
    assert "current member" in stranger.value.errors["owner_id"][0]
    with pytest.raises(ValidationFailed):
        create(cast, rec, contributor_ids=[cast.users["observer"].pk])
    assert not ActionItem.objects.exists()


@pytest.mark.parametrize(
    "outcome", [DecisionOutcome.PENDING, DecisionOutcome.DEFERRED, DecisionOutcome.REJECTED]
)
def test_only_approved_recommendations_get_actions(
    cast: Cast, debrief: Debrief, outcome: str
) -> None:
    rec = recommendation(cast, debrief)
    Recommendation.objects.filter(pk=rec.pk).update(outcome=outcome)
    with pytest.raises(ValidationFailed) as refused:
        create(cast, rec)
    label = DecisionOutcome(outcome).label.lower()
    assert refused.value.errors == {
        "recommendation": [f"Only approved recommendations get action items; this one is {label}."]
    }
    assert not ActionItem.objects.exists()


def test_planned_start_after_due_and_past_due_dates_are_refused(
    cast: Cast, rec: Recommendation
) -> None:
    with pytest.raises(ValidationFailed) as late_start:
        create(cast, rec, planned_start=date(2027, 4, 2))
    assert "planned_start" in late_start.value.errors
    with pytest.raises(ValidationFailed) as past:
        create(cast, rec, due_on=date(2027, 2, 28))
    assert "due_on" in past.value.errors


def test_due_dates_and_planned_starts_stay_within_the_window(
    cast: Cast, rec: Recommendation
) -> None:
    """Review 20 finding 12: no due date 9999-12-31, no planned start in 1900; both
    reported at once, and only when changed (a stored date stays)."""
    with pytest.raises(ValidationFailed) as both:
        create(cast, rec, due_on=date(9999, 12, 31), planned_start=date(1900, 1, 1))
    assert both.value.errors == {
        "due_on": ["9999-12-31 is more than 10 years ahead: choose a date up to 1 March 2037."],
        "planned_start": ["1900-01-01 is before 1 January 2000: check the year."],
    }
    action = create(cast, rec, due_on=date(2037, 3, 1))  # the last day of the window
    with pytest.raises(ValidationFailed) as later:
        services.update_action(
            cast.viewer("facilitator"), action=action, changes={"due_on": date(2037, 3, 2)}
        )
    assert list(later.value.errors) == ["due_on"]
    ActionItem.objects.filter(pk=action.pk).update(planned_start=date(1999, 1, 1))
    action.refresh_from_db()
    services.update_action(  # the stored start is not checked when something else changes
        cast.viewer("facilitator"), action=action, changes={"title": "Ship it"}
    )


def test_creating_records_the_timeline_audit_and_announcement(
    cast: Cast, rec: Recommendation, sink: list[dict[str, Any]]
) -> None:
    action = create(cast, rec, contributor_ids=[cast.users["sponsor"].pk], customer_visible=True)
    assert action.status == ActionStatus.OPEN
    assert action.program_id == cast.program.pk
    assert [u.pk for u in action.contributors.all()] == [cast.users["sponsor"].pk]
    (entry,) = ActionUpdate.objects.filter(action=action)
    assert entry.note == "Created for Cora Core, due 31 Mar 2027."
    assert entry.due_on == date(2027, 3, 31)
    assert entry.by_label == "Fran Facilitator"
    assert AuditEvent.objects.filter(
        action="action_item.created", object_id=str(action.pk)
    ).exists()
    (heard,) = sink
    assert heard["event"] == "action_item.created"
    assert heard["program_id"] == cast.program.pk
    data = heard["data"]
    assert data["id"] == action.pk
    assert data["status"] == "open"
    assert data["owner"] == {
        "id": cast.users["core_team"].pk,
        "name": "Cora Core",
        "email": "cora@acme.test",
    }
    assert data["contributors"][0]["email"] == "sam@acme.test"
    assert data["due_on"] == "2027-03-31"
    assert data["planned_start"] == "2027-03-08"
    assert data["debrief_id"] == rec.debrief_id
    assert data["customer_visible"] is True


def test_observers_and_account_owners_outside_the_program_may_not_create(
    cast: Cast, rec: Recommendation
) -> None:
    for principal in ("observer", "account_owner"):
        with pytest.raises(PermissionDenied):
            services.create_action(
                cast.viewer(principal),
                recommendation=rec,
                title="x",
                owner_id=cast.users["core_team"].pk,
                due_on=date(2027, 3, 31),
            )
    # The program's core team may.
    services.create_action(
        cast.viewer("core_team"),
        recommendation=rec,
        title="Cora's own",
        owner_id=cast.users["core_team"].pk,
        due_on=date(2027, 3, 31),
    )


# --- status -----------------------------------------------------------------------------------


def test_status_changes_need_a_note_and_blocked_or_dropped_a_reason(
    cast: Cast, rec: Recommendation
) -> None:
    action = create(cast, rec)
    cora = cast.viewer("core_team")
    with pytest.raises(ValidationFailed) as no_note:
        services.change_status(cora, action, "in_progress", "  ")
    assert "note" in no_note.value.errors
    for status in ("blocked", "dropped"):
        with pytest.raises(ValidationFailed) as no_reason:
            services.change_status(cora, action, status, "Stuck")
        assert no_reason.value.errors == {"reason": [f"Say why it is {status}."]}
    # The status it already has is a progress note: it still needs its note.
    with pytest.raises(ValidationFailed) as only_the_note:
        services.change_status(cora, action, "open", "")
    assert set(only_the_note.value.errors) == {"note"}
    with pytest.raises(ValidationFailed) as both:
        services.change_status(cora, action, "blocked", "", reason="")
    assert both.value.errors == {
        "note": ["Write a short progress note: what happened, and why."],
        "reason": ["Say why it is blocked."],
    }
    action.refresh_from_db()
    assert action.status == ActionStatus.OPEN
    assert action.updates.count() == 1


def test_started_at_is_the_first_start_and_done_at_is_set_and_cleared(
    cast: Cast, rec: Recommendation, frozen: clock.FrozenClock, sink: list[dict[str, Any]]
) -> None:
    action = create(cast, rec)
    cora = cast.viewer("core_team")
    frozen.advance(days=1)
    first_start = clock.now()
    action = services.change_status(cora, action, "in_progress", "Kick-off held")
    frozen.advance(days=1)
    action = services.change_status(
        cora, action, "blocked", "Waiting on legal", reason="Legal review of the wording"
    )
    assert action.status_reason == "Legal review of the wording"
    frozen.advance(days=1)
    action = services.change_status(cora, action, "in_progress", "Legal said yes")
    assert action.started_at == first_start
    assert action.status_reason == ""
    frozen.advance(days=1)
    action = services.change_status(cora, action, "done", "Live for all customers")
    assert action.done_at == clock.now()
    assert [e["event"] for e in sink][-2:] == ["action_item.updated", "action_item.done"]
    notes = list(action.updates.values_list("status", "note"))
    assert notes[1:] == [
        ("in_progress", "Kick-off held"),
        ("blocked", "Waiting on legal (Reason: Legal review of the wording)"),
        ("in_progress", "Legal said yes"),
        ("done", "Live for all customers"),
    ]
    action = services.change_status(cora, action, "in_progress", "Reopened: one bug")
    assert action.done_at is None
    assert action.started_at == first_start


def test_a_progress_note_alone_keeps_the_status_and_is_announced_as_updated(
    cast: Cast, rec: Recommendation, frozen: clock.FrozenClock, sink: list[dict[str, Any]]
) -> None:
    """The owner writes how it goes without moving it: the note goes onto the timeline with
    the status as it stays, audited, announced as updated (never done); an open action is
    not started by it, so its "not started" reminder still comes."""
    action = create(cast, rec, planned_start=date(2027, 3, 3))
    cora = cast.viewer("core_team")
    read = action.version
    action = services.change_status(cora, action, "open", "Booked the kick-off", version=read)
    assert action.status == ActionStatus.OPEN
    assert action.started_at is None
    assert action.version == read + 1
    assert list(action.updates.values_list("status", "note"))[-1] == (
        "open",
        "Booked the kick-off",
    )
    assert AuditEvent.objects.filter(
        action="action_item.noted", object_id=str(action.pk), reason="Booked the kick-off"
    ).exists()
    assert [e["event"] for e in sink][-1] == "action_item.updated"
    with pytest.raises(Conflict):  # the note moved the version on
        services.change_status(cora, action, "open", "Again", version=read)
    frozen.advance(days=3)  # 4 March: the planned start has passed, still not started
    assert services.send_reminders()["action.not_started"] == 1

    # In progress, a note keeps it so and says nothing is done.
    action = services.change_status(cora, action, "in_progress", "Kick-off held")
    action = services.change_status(cora, action, "in_progress", "Finance agreed")
    assert action.status == ActionStatus.IN_PROGRESS
    assert action.done_at is None
    assert "action_item.done" not in [e["event"] for e in sink]
    # Blocked: the reason stays unless restated.
    action = services.change_status(cora, action, "blocked", "Stuck", reason="Legal review")
    action = services.change_status(cora, action, "blocked", "Legal wrote back")
    assert action.status_reason == "Legal review"
    action = services.change_status(
        cora, action, "blocked", "Legal asks more", reason="Legal wants a second wording"
    )
    assert action.status_reason == "Legal wants a second wording"
    assert list(action.updates.values_list("status", "note"))[-2:] == [
        ("blocked", "Legal wrote back"),
        ("blocked", "Legal asks more (Reason: Legal wants a second wording)"),
    ]


def test_a_stale_version_is_a_conflict_and_changes_nothing(cast: Cast, rec: Recommendation) -> None:
    action = create(cast, rec)
    read = action.version
    services.update_action(
        cast.viewer("facilitator"), action=action, changes={"title": "New title"}, version=read
    )
    with pytest.raises(Conflict):
        services.update_action(
            cast.viewer("sponsor"), action=action, changes={"title": "Mine"}, version=read
        )
    with pytest.raises(Conflict):
        services.change_status(cast.viewer("core_team"), action, "in_progress", "Go", version=read)
    action.refresh_from_db()
    assert action.title == "New title"
    assert action.status == ActionStatus.OPEN


def test_only_the_owner_contributors_and_team_move_it(cast: Cast, rec: Recommendation) -> None:
    action = create(cast, rec, owner_id=cast.users["account_owner"].pk)
    with pytest.raises(PermissionDenied):
        services.change_status(cast.viewer("observer"), action, "in_progress", "Go")
    # Owen owns it, though he is not in the program.
    moved = services.change_status(cast.viewer("account_owner"), action, "in_progress", "Go")
    assert moved.status == "in_progress"


def test_who_sees_an_action_item_the_program_s_people_its_owner_and_its_helpers(
    cast: Cast, rec: Recommendation
) -> None:
    # visible_actions is the union of two rules (debrief.view through the program, and
    # action.update: owner, contributors, team), the workspace filtered once.
    owned = create(cast, rec, owner_id=cast.users["account_owner"].pk, title="Owen's")
    helped = create(cast, rec, contributor_ids=[cast.users["account_owner"].pk], title="Helped")
    other = create(cast, rec, title="Cora's")

    def seen(principal: str) -> set[str]:
        viewer = cast.viewer(principal)
        return set(selectors.visible_actions(viewer).values_list("title", flat=True))

    everything = {"Owen's", "Helped", "Cora's"}
    for principal in ("admin", "facilitator", "core_team", "sponsor", "observer"):
        assert seen(principal) == everything, principal
    # Owen is not in the program: only the one he owns and the one he helps with.
    assert seen("account_owner") == {"Owen's", "Helped"}
    assert seen("stranger") == set()  # another workspace's viewer, whatever their role
    # His own open ones ("my actions", the navigation's badge): the one he owns.
    assert list(selectors.my_open(cast.viewer("account_owner"))) == [owned]
    assert {a.pk for a in selectors.my_open(cast.viewer("core_team"))} == {helped.pk, other.pk}


def test_the_timeline_is_append_only(cast: Cast, rec: Recommendation) -> None:
    action = create(cast, rec)
    entry = action.updates.get()
    entry.note = "rewritten"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        ActionUpdate.objects.filter(pk=entry.pk).update(note="rewritten")
    assert ActionUpdate.objects.get(pk=entry.pk).note.startswith("Created for")


def test_re_dating_and_reassigning_go_on_the_timeline(
    cast: Cast, rec: Recommendation, sink: list[dict[str, Any]]
) -> None:
    action = create(cast, rec, contributor_ids=[cast.users["sponsor"].pk])
    fran = cast.viewer("facilitator")
    action = services.update_action(
        fran,
        action=action,
        changes={"due_on": date(2027, 4, 15)},
        version=action.version,
        note="Legal needs two more weeks.",
    )
    action = services.reassign(
        fran, action=action, owner_id=cast.users["sponsor"].pk, note="Sam takes it."
    )
    notes = list(action.updates.values_list("note", "due_on"))
    assert notes[1:] == [
        (
            "Re-dated from 31 Mar 2027 to 15 Apr 2027. Legal needs two more weeks.",
            date(2027, 4, 15),
        ),
        ("Reassigned from Cora Core to Sam Sponsor. Sam takes it.", None),
    ]
    assert action.owner_id == cast.users["sponsor"].pk
    assert list(action.contributors.all()) == []  # Sam owns it now: no longer a helper
    assert [e["event"] for e in sink] == [
        "action_item.created",
        "action_item.updated",
        "action_item.updated",
    ]
    assert sink[-1]["data"]["owner"]["email"] == "sam@acme.test"


# --- reminders ----------------------------------------------------------------------------------


def test_reminders_go_once_each_and_again_after_re_dating(
    cast: Cast, rec: Recommendation, frozen: clock.FrozenClock
) -> None:
    action = create(cast, rec, planned_start=date(2027, 3, 3), due_on=date(2027, 3, 12))
    assert services.send_reminders() == {
        "action.not_started": 0,
        "action.due_soon": 0,
        "action.overdue": 0,
    }
    frozen.advance(days=3)  # Thursday 4 March: the planned start (3rd) has passed
    assert services.send_reminders()["action.not_started"] == 1
    assert services.send_reminders()["action.not_started"] == 0  # once
    frozen.advance(days=5)  # 9 March: due in three days
    assert services.send_reminders() == {
        "action.not_started": 0,
        "action.due_soon": 1,
        "action.overdue": 0,
    }
    assert services.send_reminders()["action.due_soon"] == 0
    frozen.advance(days=4)  # 13 March: overdue
    assert services.send_reminders()["action.overdue"] == 1
    frozen.advance(days=1)
    assert services.send_reminders()["action.overdue"] == 0  # still only once
    # Re-dated: reminded again for the new date.
    action = services.update_action(
        cast.viewer("facilitator"),
        action=action,
        changes={"due_on": date(2027, 3, 16)},
        note="Two more days.",
    )
    assert services.send_reminders()["action.due_soon"] == 1
    frozen.advance(days=3)  # 17 March
    assert services.send_reminders()["action.overdue"] == 1
    kinds = list(
        Reminder.objects.filter(subject_id=action.pk).order_by("id").values_list("kind", "about")
    )
    assert kinds == [
        ("action.not_started", date(2027, 3, 3)),
        ("action.due_soon", date(2027, 3, 12)),
        ("action.overdue", date(2027, 3, 12)),
        ("action.due_soon", date(2027, 3, 16)),
        ("action.overdue", date(2027, 3, 16)),
    ]


def test_reminders_count_days_in_the_workspace_time_zone(
    cast: Cast, rec: Recommendation, frozen: clock.FrozenClock
) -> None:
    """Overdue means the due day has ended where the team works, not on the server."""
    create(cast, rec, planned_start=date(2027, 3, 2), due_on=date(2027, 3, 4))
    services.send_reminders()  # not started, due soon: out of the way
    # 4 March, 12:30 UTC: still the due day in UTC, already the 5th in Auckland.
    frozen.advance(days=3, hours=3, minutes=30)
    assert services.send_reminders()["action.overdue"] == 0
    type(cast.acme).objects.filter(pk=cast.acme.pk).update(time_zone="Pacific/Auckland")
    assert services.send_reminders()["action.overdue"] == 1
    assert services.send_reminders()["action.overdue"] == 0  # once


def test_closed_and_started_actions_are_not_reminded(
    cast: Cast, rec: Recommendation, frozen: clock.FrozenClock
) -> None:
    started = create(cast, rec, planned_start=date(2027, 3, 2), due_on=date(2027, 3, 20))
    done = create(cast, rec, planned_start=date(2027, 3, 2), due_on=date(2027, 3, 3))
    services.change_status(cast.viewer("core_team"), started, "in_progress", "Begun")
    services.change_status(cast.viewer("core_team"), done, "done", "Finished early")
    frozen.advance(days=10)
    assert services.send_reminders() == {
        "action.not_started": 0,
        "action.due_soon": 0,
        "action.overdue": 0,
    }


def test_actions_of_a_recommendation_no_longer_approved_are_not_reminded(
    cast: Cast, rec: Recommendation, frozen: clock.FrozenClock
) -> None:
    create(cast, rec, planned_start=date(2027, 3, 2), due_on=date(2027, 3, 3))
    # Left open by some older path (the decision drops them now): still not reminded.
    Recommendation.objects.filter(pk=rec.pk).update(outcome=DecisionOutcome.REJECTED)
    frozen.advance(days=10)
    assert services.send_reminders() == {
        "action.not_started": 0,
        "action.due_soon": 0,
        "action.overdue": 0,
    }


# --- the decision revisited -----------------------------------------------------------------


@pytest.mark.parametrize("outcome", ["rejected", "deferred"])
def test_revisiting_an_approval_drops_the_actions_still_to_be_done(
    cast: Cast,
    rec: Recommendation,
    frozen: clock.FrozenClock,
    sink: list[dict[str, Any]],
    outcome: str,
) -> None:
    from traction.debrief.services import recommendations

    cora = cast.viewer("core_team")
    waiting = create(cast, rec, title="Waiting")
    begun = services.change_status(cora, create(cast, rec, title="Begun"), "in_progress", "Go")
    stuck = services.change_status(
        cora, create(cast, rec, title="Stuck"), "blocked", "Stuck", reason="No budget"
    )
    finished = services.change_status(cora, create(cast, rec, title="Done"), "done", "Shipped")
    assert services.live_actions(rec).count() == 3
    sink.clear()
    revisit = date(2027, 6, 1) if outcome == "deferred" else None
    recommendations.decide(cast.viewer("sponsor"), rec, outcome, "Changed my mind", revisit)
    for action in (waiting, begun, stuck):
        action.refresh_from_db()
        assert action.status == ActionStatus.DROPPED
        assert action.status_reason == f"The recommendation was {outcome}: Changed my mind"
        last = ActionUpdate.objects.filter(action=action).order_by("-pk").first()
        assert last is not None
        assert last.note == f"Dropped: the recommendation was {outcome} — Changed my mind"
        assert (last.status, last.by_label) == (ActionStatus.DROPPED, "Sam Sponsor")
        assert AuditEvent.objects.filter(
            action="action_item.status_changed", object_id=str(action.pk)
        ).exists()
    finished.refresh_from_db()
    assert finished.status == ActionStatus.DONE
    events = [(h["event"], h["data"].get("id")) for h in sink]
    assert events[0][0] == "recommendation.decided"
    assert sorted(events[1:]) == sorted(
        ("action_item.updated", a.pk) for a in (waiting, begun, stuck)
    )
    # Approving again does not bring them back: new action items are added.
    recommendations.decide(cast.viewer("sponsor"), rec, "approved", "Yes after all")
    assert services.live_actions(rec).count() == 0
    frozen.advance(days=40)
    assert sum(services.send_reminders().values()) == 0
    assert not selectors.my_overdue(cora).exists()  # nor in My actions


# --- ownerless --------------------------------------------------------------------------------


def test_an_action_whose_owner_leaves_is_ownerless_at_once(
    cast: Cast, rec: Recommendation, frozen: clock.FrozenClock, sink: list[dict[str, Any]]
) -> None:
    open_one = create(cast, rec)
    finished = create(cast, rec, title="Finished one")
    services.change_status(cast.viewer("core_team"), finished, "done", "Done")
    other = create(cast, rec, title="Sam's", owner_id=cast.users["sponsor"].pk)
    accounts.remove_member(cast.viewer("admin"), membership=cast.membership("core_team"))
    open_one.refresh_from_db()
    finished.refresh_from_db()
    other.refresh_from_db()
    assert open_one.ownerless_since == NOW
    assert finished.ownerless_since is None
    assert other.ownerless_since is None
    assert open_one.updates.last().note == "Owner left the workspace: it needs a new owner."
    assert sink[-1]["data"]["ownerless_since"] == clock.iso_utc(NOW)
    # Flagged for the facilitator in "my actions", until reassigned.
    mine = selectors.my_actions(cast.viewer("facilitator"))
    assert [a.pk for a in mine.ownerless] == [open_one.pk]
    # Not reminded while ownerless.
    clock_reminders = services.send_reminders()
    assert sum(clock_reminders.values()) == 0
    services.reassign(
        cast.viewer("facilitator"), action=open_one, owner_id=cast.users["sponsor"].pk
    )
    open_one.refresh_from_db()
    assert open_one.ownerless_since is None
    assert selectors.my_actions(cast.viewer("facilitator")).ownerless == []


# --- my actions and the review ----------------------------------------------------------------


def test_my_actions_groups_owned_then_contributed(
    cast: Cast, rec: Recommendation, frozen: clock.FrozenClock
) -> None:
    soon = create(cast, rec, title="Soon", due_on=date(2027, 3, 4), planned_start=None)
    later = create(cast, rec, title="Later", due_on=date(2027, 4, 30))
    blocked = create(cast, rec, title="Blocked", due_on=date(2027, 3, 5), planned_start=None)
    services.change_status(cast.viewer("core_team"), blocked, "blocked", "Stuck", reason="Legal")
    helping = create(
        cast,
        rec,
        title="Helping",
        owner_id=cast.users["sponsor"].pk,
        contributor_ids=[cast.users["core_team"].pk],
    )
    frozen.advance(days=4)  # 5 March: "Soon" is overdue
    mine = selectors.my_actions(cast.viewer("core_team"))
    assert [a.pk for a in mine.owned.overdue] == [soon.pk]
    assert [a.pk for a in mine.owned.blocked] == [blocked.pk]
    assert [a.pk for a in mine.owned.later] == [later.pk]
    assert [a.pk for a in mine.contributing.later] == [helping.pk]
    assert selectors.my_overdue_count(cast.viewer("core_team")) == 1
    assert selectors.my_overdue_count(cast.viewer("sponsor")) == 0


def test_the_review_lists_open_actions_of_earlier_debriefs_only(
    cast: Cast, debrief: Debrief, rec: Recommendation, frozen: clock.FrozenClock
) -> None:
    earlier_open = create(cast, rec, title="Earlier open")
    earlier_done = create(cast, rec, title="Earlier done")
    services.change_status(cast.viewer("core_team"), earlier_done, "done", "Done")
    frozen.advance(days=30)
    later = make_debrief(cast, ends_at=clock.now() - timedelta(hours=2), title="Second session")
    this_one = create(cast, approved(cast, later, "Second rec"), title="This debrief's")
    found = selectors.earlier_open_actions(cast.viewer("core_team"), later)
    assert [a.pk for a in found] == [earlier_open.pk]
    assert this_one.pk not in [a.pk for a in found]
    kept = services.keep_action(cast.viewer("core_team"), action=earlier_open, note="Still right.")
    assert kept.updates.last().note == "Kept in the review. Still right."


# --- time to action ---------------------------------------------------------------------------


def test_time_to_action_arithmetic(cast: Cast, debrief: Debrief, frozen: clock.FrozenClock) -> None:
    # Session ended Fri 26 Feb 12:00; approved Mon 1 Mar 09:00 (69 h later).
    first = approved(cast, debrief, "First")
    second = approved(cast, debrief, "Second")
    a1 = create(cast, first, title="a1")
    a2 = create(cast, first, title="a2")
    dropped = create(cast, first, title="dropped")
    b1 = create(cast, second, title="b1")
    cora = cast.viewer("core_team")
    frozen.advance(hours=24)
    services.change_status(cora, a1, "in_progress", "go")  # +24 h after decision
    services.change_status(cora, dropped, "dropped", "no", reason="Not needed")
    frozen.advance(hours=48)
    services.change_status(cora, b1, "in_progress", "go")  # +72 h after decision
    services.change_status(cora, a1, "done", "done")
    frozen.advance(hours=24)
    services.change_status(cora, a2, "done", "done")  # first's last action: +96 h
    pace = selectors.time_to_action(cast.viewer("sponsor"), debrief_id=debrief.pk, with_rows=100)
    by_title = {r.title: r for r in pace.rows}
    f, s = by_title["First"], by_title["Second"]
    assert f.to_decision == timedelta(hours=69)
    assert f.to_start == timedelta(hours=24)
    assert f.to_done == timedelta(hours=72)  # from the first start to the last done
    assert f.total == timedelta(hours=69 + 96)
    assert s.to_start == timedelta(hours=72)
    assert s.to_done is None  # b1 is still in progress
    assert pace.to_decision == timedelta(hours=69)
    assert pace.to_start == timedelta(hours=48)  # median of 24 h and 72 h
    assert pace.to_done == timedelta(hours=72)
    assert pace.count == 2
    assert pace.reached == {"to_decision": 2, "to_start": 2, "to_done": 1, "total": 1}
    assert pace.total == timedelta(hours=69 + 96)
    program = selectors.time_to_action(
        cast.viewer("sponsor"), program_id=cast.program.pk, with_rows=100
    )
    assert [r.recommendation_id for r in program.rows] == [first.pk, second.pk]
    # Outside the program nothing is counted.
    outside = selectors.time_to_action(
        cast.viewer("account_owner"), program_id=cast.program.pk, with_rows=100
    )
    assert (outside.rows, outside.count, outside.to_decision) == ([], 0, None)
