"""Every status rule and its refusal message, the approval gating and publishing, through
the services (the one place the rules live)."""

from __future__ import annotations

from datetime import date

import pytest

from traction.core.errors import NotFound, PermissionDenied, ValidationFailed
from traction.core.models import AuditEvent
from traction.core.testing.cast import Cast
from traction.debrief.models import DecisionOutcome
from traction.loop.models import Approval, ApprovalState, PriorityStatus, Status
from traction.loop.services import publishing
from traction.loop.services.deliveries import Entry, record_delivery

from . import world as w

NOW = w.NOW  # the shared world fixture (conftest.py) freezes the clock there


def propose(world: w.World, status: str, **kw: object) -> PriorityStatus:
    return publishing.propose_status(
        world.cast.viewer("facilitator"),
        world.cast.program,
        priority_id=kw.pop("priority_id", world.card.pk),  # type: ignore[arg-type]
        status=status,
        **kw,  # type: ignore[arg-type]
    )


def refusal(world: w.World, status: str, **kw: object) -> dict[str, list[str]]:
    with pytest.raises(ValidationFailed) as exc:
        propose(world, status, **kw)
    return exc.value.errors


def test_heard_needs_nothing_and_waits_for_both_account_owners(world: w.World) -> None:
    proposal = propose(world, Status.HEARD)
    approvals = {a.customer.name: a for a in proposal.approvals.all()}
    # Globex raised it and voted; Initech voted: both are asked, each through its owner.
    assert sorted(approvals) == ["Globex", "Initech"]
    assert approvals["Globex"].account_owner == world.cast.users["account_owner"]
    assert approvals["Initech"].account_owner is None
    assert proposal.published_at is None
    assert AuditEvent.objects.filter(action="loop.status_proposed").count() == 1


def test_under_consideration_needs_a_live_recommendation(world: w.World) -> None:
    assert refusal(world, Status.UNDER_CONSIDERATION) == {
        "status": [
            "Under consideration needs a recommendation citing this priority (pending, deferred "
            "or approved): no recommendation cites “Invoice approval takes three weeks”."
        ]
    }
    rec = w.recommend(world)
    assert propose(world, Status.UNDER_CONSIDERATION).status == Status.UNDER_CONSIDERATION
    w.decide(world, rec, DecisionOutcome.REJECTED)
    assert refusal(world, Status.UNDER_CONSIDERATION)["status"] == [
        "Under consideration needs a recommendation citing this priority that is pending, "
        "deferred or approved: every recommendation citing “Invoice approval takes three "
        "weeks” was rejected."
    ]


def test_planned_needs_an_approved_recommendation(world: w.World) -> None:
    window = {"window_kind": "quarter", "window_start": date(2027, 4, 1)}
    assert refusal(world, Status.PLANNED, **window)["status"] == [
        "Planned needs an approved recommendation with an owned, dated action item: no "
        "recommendation cites “Invoice approval takes three weeks”."
    ]
    rec = w.recommend(world)
    assert refusal(world, Status.PLANNED, **window)["status"] == [
        "Planned needs an approved recommendation with an owned, dated action item: no "
        "recommendation citing “Invoice approval takes three weeks” is approved (pending)."
    ]
    w.decide(world, rec, DecisionOutcome.APPROVED)
    assert refusal(world, Status.PLANNED, **window)["status"] == [
        "Planned needs an approved recommendation with an owned, dated action item: “One-page "
        "approval” has no action with an owner and a due date."
    ]
    action = w.act(world, rec, date(2027, 5, 10))
    w.move(world, action, "dropped", "Not needed.")
    assert (
        "has no action with an owner and a due date"
        in refusal(world, Status.PLANNED, **window)["status"][0]
    )
    w.act(world, rec, date(2027, 5, 10), "Second try")
    proposal = propose(world, Status.PLANNED, **window)
    assert (proposal.window_kind, proposal.window_start) == ("quarter", date(2027, 4, 1))
    assert proposal.window.label == "Q2 2027"
    assert [a["title"] for a in proposal.facts["actions"]] == ["Second try"]


def test_planned_needs_a_window_ending_after_the_latest_due_date(world: w.World) -> None:
    rec = w.approved(world)
    w.act(world, rec, date(2027, 3, 10), "First")
    w.act(world, rec, date(2027, 7, 2), "Last")
    assert refusal(world, Status.PLANNED) == {
        "window_kind": ["Planned needs a window: a month, a quarter or a half-year."]
    }
    assert refusal(
        world, Status.PLANNED, window_kind="quarter", window_start=date(2027, 5, 20)
    ) == {
        "window_start": [
            "The window Q2 2027 ends before the latest due date of its action items (2 July "
            "2027, “Last”): choose Q3 2027 or later."
        ]
    }
    assert refusal(world, Status.PLANNED, window_kind="month", window_start=date(2026, 12, 1)) == {
        "window_start": ["The window December 2026 is over; choose one that has not ended."]
    }
    ok = propose(world, Status.PLANNED, window_kind="half", window_start=date(2027, 8, 30))
    assert ok.window.label == "H2 2027"
    assert ok.window_start == date(2027, 7, 1)


def test_a_window_needs_both_kind_and_start_and_only_planned_shows_one(world: w.World) -> None:
    assert refusal(world, Status.HEARD, window_kind="month") == {
        "window_start": ["Choose when the window starts."]
    }
    assert refusal(world, Status.HEARD, window_kind="month", window_start=date(2027, 3, 1)) == {
        "window_kind": ["Only a planned or in-progress status shows a window."]
    }


def test_in_progress_needs_a_started_action(world: w.World) -> None:
    rec = w.approved(world)
    action = w.act(world, rec, date(2027, 3, 10))
    assert refusal(world, Status.IN_PROGRESS)["status"] == [
        "In progress needs an action item of an approved recommendation citing “Invoice "
        "approval takes three weeks” in progress or done: none has started."
    ]
    w.move(world, action, "in_progress")
    assert propose(world, Status.IN_PROGRESS).status == Status.IN_PROGRESS


def test_delivered_needs_all_actions_done_or_a_delivery(world: w.World) -> None:
    rec = w.approved(world)
    first = w.act(world, rec, date(2027, 3, 10), "First")
    w.act(world, rec, date(2027, 3, 12), "Second")
    w.move(world, first, "done")
    assert refusal(world, Status.DELIVERED)["status"] == [
        "Delivered needs every action item done or a delivery linked to “Invoice approval "
        "takes three weeks”: 1 of 2 action items are not done (“Second”), and no delivery is "
        "linked."
    ]
    record_delivery(
        world.cast.viewer("facilitator"),
        world.cast.program,
        Entry(on=date(2027, 1, 19), title="Approval page", priorities=(world.card.pk,)),
        source="manual",
    )
    assert propose(world, Status.DELIVERED).facts["deliveries"][0]["title"] == "Approval page"


def test_delivered_without_any_plan_names_what_is_missing(world: w.World) -> None:
    assert refusal(world, Status.DELIVERED)["status"] == [
        "Delivered needs every action item done or a delivery linked to “Invoice approval "
        "takes three weeks”: no action item of an approved recommendation cites it, and no "
        "delivery is linked."
    ]


def test_not_planned_needs_a_checked_reason(world: w.World) -> None:
    assert refusal(world, Status.NOT_PLANNED) == {
        "customer_reason": ["Not planned needs a reason written for customers."]
    }
    assert refusal(
        world, Status.NOT_PLANNED, customer_reason="We will look again by March 15."
    ) == {
        "customer_reason": [
            "“March 15” is a day; tell customers a month, a quarter or a half-year at most.",
            "“by March 15” promises a date; the window of a planned status says when.",
            "“will” is a promise; say what is decided or planned, not what will be.",
        ]
    }
    ok = propose(world, Status.NOT_PLANNED, customer_reason="It conflicts with our audit rules.")
    assert ok.customer_reason == "It conflicts with our audit rules."


def test_approval_by_each_owner_or_waiver_publishes(world: w.World) -> None:
    cast = world.cast
    proposal = propose(world, Status.HEARD)
    globex = proposal.approvals.get(customer=cast.customer)
    initech = proposal.approvals.get(customer=cast.other_customer)
    # Only the account owner approves their own customer; others do not even find it.
    with pytest.raises(PermissionDenied):
        publishing.approve(cast.viewer("facilitator"), globex)
    with pytest.raises(PermissionDenied):
        publishing.approve(cast.viewer("account_owner"), initech)
    publishing.approve(cast.viewer("account_owner"), globex)
    proposal.refresh_from_db()
    assert proposal.published_at is None  # Initech still waits
    with pytest.raises(PermissionDenied):
        publishing.waive(cast.viewer("facilitator"), initech, reason="Nobody owns Initech.")
    with pytest.raises(ValidationFailed) as exc:
        publishing.waive(cast.viewer("admin"), initech, reason=" ")
    assert exc.value.errors == {"reason": ["Say why the account owner's approval is waived."]}
    publishing.waive(cast.viewer("admin"), initech, reason="Nobody owns Initech.")
    proposal.refresh_from_db()
    assert proposal.published_at == NOW
    assert proposal.published_by == cast.users["admin"]
    states = dict(Approval.objects.values_list("customer__name", "state"))
    assert states == {"Globex": ApprovalState.APPROVED, "Initech": ApprovalState.WAIVED}
    assert list(
        AuditEvent.objects.filter(action__startswith="loop.")
        .order_by("pk")
        .values_list("action", flat=True)
    ) == [
        "loop.status_proposed",
        "loop.approval_approved",
        "loop.approval_waived",
        "loop.status_published",
    ]
    with pytest.raises(ValidationFailed):
        publishing.approve(cast.viewer("account_owner"), globex)


def test_publishing_asks_the_rules_again(world: w.World) -> None:
    cast = world.cast
    rec = w.approved(world)
    action = w.act(world, rec, date(2027, 3, 10))
    w.move(world, action, "in_progress")
    proposal = propose(world, Status.IN_PROGRESS)
    publishing.waive(
        cast.viewer("admin"), proposal.approvals.get(customer=cast.other_customer), reason="r"
    )
    w.move(world, action, "dropped", "Stopped.")
    globex = proposal.approvals.get(customer=cast.customer)
    with pytest.raises(ValidationFailed) as exc:
        publishing.approve(cast.viewer("account_owner"), globex)
    assert exc.value.errors["__all__"][0] == "The facts no longer back this status:"
    globex.refresh_from_db()
    assert globex.state == ApprovalState.PENDING  # nothing was recorded


def test_a_newer_proposal_withdraws_the_pending_one(world: w.World) -> None:
    first = propose(world, Status.HEARD)
    second = propose(world, Status.NOT_PLANNED, customer_reason="Out of scope for us.")
    first.refresh_from_db()
    assert first.archived_at == NOW
    assert second.is_pending
    with pytest.raises(ValidationFailed):
        publishing.approve(
            world.cast.viewer("account_owner"), first.approvals.get(customer=world.cast.customer)
        )


def test_a_priority_of_nobody_publishes_at_once_and_strangers_see_nothing(
    world: w.World, cast: Cast
) -> None:
    # An unattributed-customer card cited by a recommendation: no organisation to ask.
    from traction.insights.models import Insight

    lone = Insight.objects.create(
        workspace=cast.acme,
        program=cast.program,
        session=world.session,
        kind="moment_of_truth",
        text="The first invoice",
        speaker_contact=cast.contact,
    )
    w.recommend(world, lone, "Look at it")
    # Gina's card, but she did not give an organisation on it: still hers, Globex's.
    proposal = propose(world, Status.UNDER_CONSIDERATION, priority_id=lone.pk)
    assert proposal.published_at == NOW
    with pytest.raises(NotFound):
        publishing.propose_status(
            cast.viewer("stranger"), cast.program, priority_id=lone.pk, status="heard"
        )
    with pytest.raises(PermissionDenied):
        publishing.propose_status(
            cast.viewer("observer"), cast.program, priority_id=lone.pk, status="heard"
        )


def test_reason_texts_pass_the_same_checks(world: w.World) -> None:
    admin = world.cast.viewer("admin")
    with pytest.raises(ValidationFailed) as exc:
        publishing.add_reason_text(admin, title="", text="We'll ship it on 3/4.")
    assert exc.value.errors == {
        "title": ["Give the reason text a short title."],
        "text": [
            "“3/4” is a day; tell customers a month, a quarter or a half-year at most.",
            "“We'll” is a promise; say what is decided or planned, not what will be.",
        ],
    }
    found = publishing.add_reason_text(
        admin, title="Security", text="It conflicts with our security policy."
    )
    assert found.title == "Security"
    with pytest.raises(PermissionDenied):
        publishing.add_reason_text(world.cast.viewer("core_team"), title="x", text="y")


def test_pending_approvals_follow_the_customer_to_its_new_owner(world: w.World) -> None:
    from traction.customers import services as customer_services

    cast = world.cast
    proposal = propose(world, Status.HEARD)
    customer_services.update_customer(
        cast.viewer("admin"),
        customer=cast.customer,
        changes={"account_owner_id": cast.users["sponsor"].pk},
    )
    globex = proposal.approvals.get(customer=cast.customer)
    assert globex.account_owner == cast.users["sponsor"]
    with pytest.raises(PermissionDenied):
        publishing.approve(cast.viewer("account_owner"), globex)
    publishing.approve(cast.viewer("sponsor"), globex)
    globex.refresh_from_db()
    assert globex.state == ApprovalState.APPROVED
