"""The slip radar: a published status the facts no longer back marks its priority at risk
(why, since when, a change-of-plan draft), right after the debrief's change and on every
``traction remind``; the mark clears when the facts back the status again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from traction.core import clock, periodic
from traction.core.testing.cast import Cast
from traction.debrief.models import ActionItem, DecisionOutcome
from traction.debrief.services import actions as action_services
from traction.loop import checker
from traction.loop.models import AtRisk, PriorityStatus, Status
from traction.loop.services import publishing, radar

from . import world as w

NOW = datetime(2027, 1, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def world(cast: Cast) -> Iterator[w.World]:
    with clock.frozen(NOW) as frozen:
        found = w.build(cast)
        found.frozen = frozen  # type: ignore[attr-defined]
        yield found


def publish_planned(world: w.World) -> tuple[PriorityStatus, ActionItem]:
    cast = world.cast
    rec = w.approved(world)
    action = w.act(world, rec, date(2027, 5, 10))
    proposal = publishing.propose_status(
        cast.viewer("facilitator"),
        cast.program,
        priority_id=world.card.pk,
        status=Status.PLANNED,
        window_kind="quarter",
        window_start=date(2027, 4, 1),
    )
    for approval in proposal.approvals.all():
        publishing.waive(cast.viewer("admin"), approval, reason="Test.")
    proposal.refresh_from_db()
    assert proposal.published_at is not None
    return proposal, action


def open_risk() -> AtRisk | None:
    return AtRisk.objects.filter(cleared_at__isnull=True).first()


def test_a_due_date_moved_past_the_window_marks_it_at_risk_and_moving_back_clears(
    world: w.World,
) -> None:
    _, action = publish_planned(world)
    assert open_risk() is None
    facilitator = world.cast.viewer("facilitator")
    action_services.update_action(
        facilitator, action=action, changes={"due_on": date(2027, 7, 15)}, note="Later."
    )
    risk = open_risk()
    assert risk is not None
    assert risk.since == NOW
    assert risk.reasons == [
        "The action item “Build the page” is now due 15 July 2027, after the window shown to "
        "customers (Q2 2027)."
    ]
    assert risk.draft.startswith(
        "An honest update on “Invoice approval takes three weeks”: we told you this was "
        "planned for Q2 2027. Since then the work now runs past that window."
    )
    assert checker.problems(risk.draft) == []
    action.refresh_from_db()
    action_services.update_action(
        facilitator, action=action, changes={"due_on": date(2027, 6, 1)}, note="Back."
    )
    risk.refresh_from_db()
    assert risk.cleared_at == NOW
    assert open_risk() is None


def test_a_blocked_or_dropped_action_marks_it(world: w.World) -> None:
    _, action = publish_planned(world)
    w.move(world, action, "blocked", "Waiting for legal.")
    risk = open_risk()
    assert risk is not None
    assert risk.reasons == ["The action item “Build the page” is blocked."]
    assert "part of the work is held up" in risk.draft
    w.move(world, action, "dropped", "Cancelled.")
    risk.refresh_from_db()
    assert risk.cleared_at is None
    assert risk.reasons[0] == "The action item “Build the page” was dropped."
    assert "“One-page approval” has no action with an owner and a due date." in risk.reasons[1]


def test_a_reversed_recommendation_marks_it_and_the_periodic_job_is_idempotent(
    world: w.World,
) -> None:
    publish_planned(world)
    rec = world.card.recommendations.get()
    # Deciding again goes through the debrief; its announcement runs the radar at once.
    w.decide(world, rec, DecisionOutcome.REJECTED)
    risk = open_risk()
    assert risk is not None
    assert risk.reasons[0] == "The recommendation “One-page approval” was rejected after approval."
    assert "the decision behind it changed" in risk.draft
    assert radar.run() == {"checked": 1, "marked": 0, "updated": 0, "cleared": 0}
    assert "loop.radar" in [p.name for p in periodic.jobs()]
    # The rejection dropped the action item the published plan relied on; approving again
    # does not bring it back, so the status stays marked (a new one is to be published).
    w.decide(world, rec, DecisionOutcome.APPROVED)
    risk = open_risk()
    assert risk is not None
    assert risk.reasons[0] == "The action item “Build the page” was dropped."


def test_the_window_passing_unfinished_is_caught_by_the_periodic_job(world: w.World) -> None:
    publish_planned(world)
    world.frozen.at = NOW + timedelta(days=170)  # type: ignore[attr-defined]  # 9 July 2027
    assert radar.run() == {"checked": 1, "marked": 1, "updated": 0, "cleared": 0}
    risk = open_risk()
    assert risk is not None
    assert risk.reasons == ["The window shown to customers (Q2 2027) has passed."]
    assert radar.run()["marked"] == 0  # once


def test_a_new_published_status_replaces_the_mark(world: w.World) -> None:
    _, action = publish_planned(world)
    w.move(world, action, "blocked", "Legal.")
    assert open_risk() is not None
    publishing.propose_status(
        world.cast.viewer("facilitator"),
        world.cast.program,
        priority_id=world.card.pk,
        status=Status.UNDER_CONSIDERATION,
    )
    for approval in PriorityStatus.objects.latest("pk").approvals.all():
        publishing.waive(world.cast.viewer("admin"), approval, reason="Test.")
    assert open_risk() is None


def test_traction_remind_runs_the_radar(world: w.World) -> None:
    from click.testing import CliRunner

    from traction.cli.main import cli

    publish_planned(world)
    world.frozen.at = NOW + timedelta(days=170)  # type: ignore[attr-defined]
    result = CliRunner().invoke(cli, ["remind"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "loop.radar: checked 1, marked 1, updated 0, cleared 0" in result.output
    again = CliRunner().invoke(cli, ["remind"], catch_exceptions=False)
    assert "loop.radar: checked 1, marked 0, updated 0, cleared 0" in again.output


def test_an_account_owner_s_notice_names_only_their_own_customers(world: w.World) -> None:
    """Attacker's review: the slip radar's notice listed every customer told of the status to
    each person told, so Globex's account owner read that Initech (not theirs: account
    owners identify their own customers only) had raised or voted on it. Each notice now
    names the customers its reader may identify."""
    from django.core import mail

    from traction.loop.services import risk_notices
    from traction.sessions.models import Participant

    cast = world.cast
    Participant.objects.create(
        workspace=cast.acme,
        session=world.session,
        user=cast.users["facilitator"],
        role="facilitator",
    )
    _, action = publish_planned(world)
    w.move(world, action, "blocked", "Waiting for legal.")
    mail.outbox = []
    risk_notices.run()
    by_reader = {m.to[0].split("<")[-1].rstrip(">"): m for m in mail.outbox}
    assert sorted(by_reader) == ["fran@acme.test", "owen@acme.test"]
    owen = by_reader["owen@acme.test"]
    assert "(Globex)" in owen.body
    assert "Invoice approval takes three weeks" in owen.body  # Globex's own words
    assert "Initech" not in owen.body
    assert "Initech" not in owen.alternatives[0].content
    assert "(Globex, Initech)" in by_reader["fran@acme.test"].body


def test_an_account_owner_s_notice_names_a_card_their_customer_only_voted_on_as_customers_read_it(
    world: w.World,
) -> None:
    """Initech's idea, which Gina (Globex) voted on, marked at risk: Owen is told, without
    Initech's words (an account owner reads their own customers' words only)."""
    from django.core import mail

    from traction.loop.services import risk_notices

    cast = world.cast
    w.vote(world, world.quiet, cast.contact, 1)
    status = PriorityStatus.objects.create(
        workspace=cast.acme, program=cast.program, priority=world.quiet, status=Status.PLANNED,
        proposed_by=cast.users["facilitator"], published_by=cast.users["facilitator"],
        published_at=NOW,
    )  # fmt: skip
    AtRisk.objects.create(
        workspace=cast.acme, program=cast.program, priority=world.quiet, status=status,
        since=NOW, reasons=["No action backs it."],
    )  # fmt: skip
    mail.outbox = []
    risk_notices.run()
    [owen] = [m for m in mail.outbox if "owen@acme.test" in m.to[0]]
    assert "approve invoices from the phone" not in owen.body
    assert "approve invoices from the phone" not in owen.subject
    assert "A priority Globex voted on, in another organisation's words" in owen.body
