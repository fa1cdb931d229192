"""Scenario maps, steps, live capture, attribution and the review queue, through the services."""

from __future__ import annotations

import pytest

from traction.core.errors import NotFound, PermissionDenied, ValidationFailed
from traction.core.models import AuditEvent
from traction.insights import selectors, services
from traction.insights.models import Insight, InsightStatus
from traction.insights.tests.conftest import Room
from traction.sessions.rsvp import customer_principal
from traction.voting.models import Vote

pytestmark = pytest.mark.django_db


def capture(room: Room, who: str = "gina", kind: str = "issue", text: str = "Too slow", **kw):
    return services.capture_insight(
        room.cast.viewer(kw.pop("by", "core_team")),
        session=room.session,
        kind=kind,
        text=text,
        **{"speaker": room.speaker(who) if who else "", **kw},
    )


# --- scenarios and steps ----------------------------------------------------------------------


def test_a_scenario_has_an_outcome_context_team_and_ordered_steps(room: Room) -> None:
    assert [s.title for s in room.steps] == ["Sign the contract", "Set up billing", "First invoice"]
    assert [s.position for s in room.steps] == [1, 2, 3]
    assert sorted(room.scenario.team.values_list("name", flat=True)) == [
        "Gina Globex",
        "Ivy Initech",
    ]
    event = AuditEvent.objects.get(action="scenario.created")
    assert event.changes["steps"] == ["Sign the contract", "Set up billing", "First invoice"]


def test_only_customers_of_the_session_can_be_on_a_team(room: Room) -> None:
    cast = room.cast
    with pytest.raises(ValidationFailed) as err:
        services.create_scenario(
            cast.viewer("facilitator"),
            session=room.session,
            title="Team Red",
            team=[cast.other_contact.pk],  # Ian: never invited
        )
    assert "team" in err.value.errors


def test_steps_are_added_renamed_reordered_merged_and_removed(room: Room) -> None:
    fran = room.cast.viewer("facilitator")
    sign, billing, invoice = room.steps
    welcome = services.add_step(fran, scenario=room.scenario, title="Welcome call", position=2)
    assert list(room.scenario.steps.values_list("title", "position")) == [
        ("Sign the contract", 1),
        ("Welcome call", 2),
        ("Set up billing", 3),
        ("First invoice", 4),
    ]
    services.rename_step(fran, step=welcome, title="Kick-off call")
    services.reorder_steps(
        fran, scenario=room.scenario, step_ids=[invoice.pk, sign.pk, welcome.pk, billing.pk]
    )
    assert list(room.scenario.steps.values_list("title", flat=True)) == [
        "First invoice",
        "Sign the contract",
        "Kick-off call",
        "Set up billing",
    ]
    moved = capture(room, step_id=billing.pk)
    services.merge_steps(fran, keep=welcome, absorb=billing, title="Kick-off and billing")
    moved.refresh_from_db()
    assert moved.step_id == welcome.pk
    assert list(room.scenario.steps.values_list("title", "position")) == [
        ("First invoice", 1),
        ("Sign the contract", 2),
        ("Kick-off and billing", 3),
    ]
    services.remove_step(fran, step=welcome)
    moved.refresh_from_db()
    assert moved.step_id is None
    assert moved.scenario_id == room.scenario.pk
    assert list(room.scenario.steps.values_list("position", flat=True)) == [1, 2]
    actions = list(
        AuditEvent.objects.filter(object_type="insights.scenario")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "scenario.created",
        "step.added",
        "step.renamed",
        "steps.reordered",
        "steps.merged",
        "step.removed",
    ]


def test_a_reorder_must_name_every_step_once(room: Room) -> None:
    fran = room.cast.viewer("facilitator")
    ids = [s.pk for s in room.steps]
    for bad in (ids[:2], [*ids, ids[0]], [ids[0], ids[0], ids[1]]):
        with pytest.raises(ValidationFailed):
            services.reorder_steps(fran, scenario=room.scenario, step_ids=bad)


def test_merging_needs_two_steps_of_the_same_scenario(room: Room) -> None:
    fran = room.cast.viewer("facilitator")
    other = services.create_scenario(fran, session=room.session, title="Team Red", steps=["A"])
    with pytest.raises(ValidationFailed):
        services.merge_steps(fran, keep=room.steps[0], absorb=other.steps.get())
    with pytest.raises(ValidationFailed):
        services.merge_steps(fran, keep=room.steps[0], absorb=room.steps[0])


# --- capture and attribution ------------------------------------------------------------------


def test_a_customers_words_are_attributed_to_them_and_their_organisation(room: Room) -> None:
    insight = capture(
        room,
        "gina",
        "moment_of_truth",
        "  The first invoice  ",
        step_id=room.steps[2].pk,
        tags="Billing, #billing first",
    )
    assert insight.text == "The first invoice"
    assert insight.speaker_contact_id == room.gina.pk
    assert insight.speaker_name == "Gina Globex"
    assert insight.customer_id == room.gina.customer_id
    assert insight.internal is False
    assert insight.scenario_id == room.scenario.pk
    assert insight.tags == "billing first"
    assert insight.captured_by_id == room.cast.users["core_team"].pk
    assert insight.program_id == room.session.program_id
    assert insight.status == InsightStatus.ACCEPTED


def test_internal_remarks_are_marked_and_never_customer_input(room: Room) -> None:
    remark = capture(room, "core_team", "idea", "We could pre-fill the billing form")
    assert remark.internal is True
    assert remark.speaker_user_id == room.cast.users["core_team"].pk
    assert remark.customer_id is None
    assert remark.is_votable is False
    customers = selectors.insights(room.cast.viewer("facilitator"), internal=False)
    assert remark not in customers


def test_speakers_must_take_part_in_the_session(room: Room) -> None:
    cast = room.cast
    for speaker in (f"c:{cast.other_contact.pk}", f"u:{cast.users['sponsor'].pk}", "x:1", "c:abc"):
        with pytest.raises(ValidationFailed) as err:
            capture(room, "", speaker=speaker)
        assert "speaker" in err.value.errors


def test_a_declined_customer_is_no_longer_a_speaker(room: Room) -> None:
    from traction.sessions import services as session_services

    session_services.respond_rsvp(
        customer_principal(room.ivy_invitation.pk, room.ivy.pk), accept=False, note=""
    )
    assert [s.name for s in selectors.speakers(room.session) if not s.internal] == ["Gina Globex"]


def test_capture_reports_every_bad_field_at_once_and_writes_nothing(room: Room) -> None:
    with pytest.raises(ValidationFailed) as err:
        services.capture_insight(
            room.cast.viewer("facilitator"),
            session=room.session,
            kind="rumour",
            text="   ",
            speaker="c:0",
            step_id=999_999,
        )
    assert sorted(err.value.errors) == ["kind", "speaker", "step", "text"]
    assert Insight.objects.count() == 0


def test_only_note_takers_of_the_session_capture(room: Room) -> None:
    cast = room.cast
    for principal in ("sponsor", "account_owner", "observer"):
        with pytest.raises(PermissionDenied):
            capture(room, by=principal)
    # Cora captures here because she takes notes in this session; not in another one.
    from datetime import timedelta

    from django.utils import timezone

    from traction.sessions import services as session_services

    start = timezone.now() + timedelta(days=3)
    other = session_services.plan_session(
        cast.viewer("facilitator"),
        program=cast.program,
        title="Another",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
    )
    with pytest.raises(PermissionDenied):
        services.capture_insight(cast.viewer("core_team"), session=other, kind="issue", text="x")
    with pytest.raises(NotFound):
        services.capture_insight(
            cast.viewer("stranger"), session=room.session, kind="issue", text="x"
        )


def test_editing_keeps_attribution_consistent_and_refuses_stale_versions(room: Room) -> None:
    from traction.core.errors import Conflict

    fran = room.cast.viewer("facilitator")
    insight = capture(room, "gina")
    changed = services.update_insight(
        fran,
        insight=insight,
        changes={"speaker": room.speaker("ivy"), "kind": "idea", "step_id": room.steps[0].pk},
        version=1,
    )
    assert (changed.speaker_name, changed.customer_id, changed.kind) == (
        "Ivy Initech",
        room.ivy.customer_id,
        "idea",
    )
    assert changed.version == 2
    with pytest.raises(Conflict):
        services.update_insight(fran, insight=insight, changes={"text": "x"}, version=1)


def test_a_voted_card_stays_a_customers_votable_card(room: Room) -> None:
    fran = room.cast.viewer("facilitator")
    insight = capture(room, "gina", "issue")
    Vote.objects.create(
        workspace_id=insight.workspace_id,
        session=room.session,
        insight=insight,
        contact=room.gina,
        dots=2,
        channel="room",
    )
    with pytest.raises(ValidationFailed):
        services.update_insight(fran, insight=insight, changes={"kind": "quote"})
    with pytest.raises(ValidationFailed):
        services.update_insight(
            fran, insight=insight, changes={"speaker": room.speaker("core_team")}
        )
    with pytest.raises(ValidationFailed):
        services.remove_insight(fran, insight=insight)
    services.update_insight(fran, insight=insight, changes={"kind": "idea"})


# --- review queue -----------------------------------------------------------------------------


def candidates(room: Room, *texts: str) -> list[Insight]:
    return [
        Insight.objects.create(
            workspace_id=room.session.workspace_id,
            program_id=room.session.program_id,
            session=room.session,
            kind="quote",
            text=t,
            status=InsightStatus.CANDIDATE,
            source="import",
        )
        for t in texts
    ]


def test_candidates_are_accepted_or_discarded_in_bulk(room: Room) -> None:
    cora = room.cast.viewer("core_team")
    a, b, c = candidates(room, "one", "two", "three")
    assert (
        services.review_insights(
            cora, session=room.session, insight_ids=[a.pk, b.pk], decision="accept"
        )
        == 2
    )
    assert (
        services.review_insights(cora, session=room.session, insight_ids=[c.pk], decision="discard")
        == 1
    )
    assert dict(Insight.objects.values_list("text", "status")) == {
        "one": "accepted",
        "two": "accepted",
        "three": "discarded",
    }
    with pytest.raises(ValidationFailed):
        services.review_insights(cora, session=room.session, insight_ids=[a.pk], decision="accept")
    assert list(selectors.review_queue(room.session)) == []


def test_merging_candidates_keeps_each_ones_words_as_contributors_for_the_record(
    room: Room,
) -> None:
    cora = room.cast.viewer("core_team")
    a, b, c = candidates(room, "We print", "every invoice", "twice")
    kept = services.merge_insights(cora, into=a, others=[b.pk, c.pk])
    assert kept.text == "We print"
    assert [i.text for i in kept.contributors()] == ["We print", "every invoice", "twice"]
    b.refresh_from_db()
    assert (b.status, b.merged_into_id) == ("merged", a.pk)
    with pytest.raises(ValidationFailed):
        services.merge_insights(cora, into=a, others=[b.pk])


def test_review_of_another_sessions_insights_is_refused(room: Room) -> None:
    (a,) = candidates(room, "one")
    from datetime import timedelta

    from django.utils import timezone

    from traction.sessions import services as session_services

    start = timezone.now() + timedelta(days=3)
    other = session_services.plan_session(
        room.cast.viewer("facilitator"),
        program=room.cast.program,
        title="Another",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
    )
    with pytest.raises(NotFound):
        services.review_insights(
            room.cast.viewer("facilitator"), session=other, insight_ids=[a.pk], decision="accept"
        )


# --- the journey grid -------------------------------------------------------------------------


def test_the_grid_puts_cards_in_their_step_and_row_with_heat(room: Room) -> None:
    _sign, billing, invoice = room.steps
    mot = capture(room, "gina", "moment_of_truth", "First invoice is right", step_id=invoice.pk)
    issue = capture(room, "ivy", "issue", "Billing set-up takes weeks", step_id=billing.pk)
    capture(room, "gina", "customer_metric", "Paid within a day", step_id=invoice.pk)
    loose = capture(room, "gina", "idea", "Self-serve billing", scenario_id=room.scenario.pk)
    capture(room, "gina", "outcome", "No surprises")
    for card, dots in ((mot, 4), (issue, 1)):
        Vote.objects.create(
            workspace_id=card.workspace_id,
            session=room.session,
            insight=card,
            contact=room.gina,
            dots=dots,
            channel="room",
        )
    cards = selectors.session_insights(room.cast.viewer("facilitator"), room.session)
    grid = selectors.grid(room.scenario, list(cards.filter(scenario=room.scenario)))
    assert [s.title for s in grid.steps] == ["Sign the contract", "Set up billing", "First invoice"]
    rows = {r.kind: [[c.text for c in cell] for cell in r.cells] for r in grid.rows}
    assert list(rows) == ["moment_of_truth", "issue", "idea", "customer_metric"]
    assert rows["moment_of_truth"] == [[], [], ["First invoice is right"]]
    assert rows["issue"] == [[], ["Billing set-up takes weeks"], []]
    assert rows["customer_metric"] == [[], [], ["Paid within a day"]]
    assert [c.pk for c in grid.unplaced] == [loose.pk]
    assert grid.max_dots == 4
    cards = {c.text: c for r in grid.rows for cell in r.cells for c in cell}
    assert grid.heat(cards["First invoice is right"]) == 4
    assert grid.heat(cards["Billing set-up takes weeks"]) == 1
    assert grid.heat(cards["Paid within a day"]) == 0


def test_a_card_can_be_voted_on_is_one_rule_row_and_query_alike(room: Room) -> None:
    """``Insight.is_votable``, ``why_not_votable`` and ``Insight.objects.votable()`` agree
    on every combination of the rule's conditions, and each refusal names its condition."""
    base = capture(room, "gina", "issue", "Too slow")
    cases = {
        "votable": ({}, ""),
        "internal": ({"internal": True}, "internal participant's remark"),
        "candidate": ({"status": InsightStatus.CANDIDATE}, "not on the map"),
        "quote": ({"kind": "quote"}, "moments of truth, issues and ideas only"),
        "unattributed": ({"speaker_contact": None}, "Nobody we know is credited"),
    }
    for name, (changes, reason) in cases.items():
        card = Insight.objects.get(pk=base.pk)
        card.pk = None
        card.text = name
        for attr, value in changes.items():
            setattr(card, attr, value)
        card.save()
        in_query = Insight.objects.votable().filter(pk=card.pk).exists()
        assert (card.is_votable, in_query) == (not reason, not reason), name
        assert (reason in card.why_not_votable()) if reason else card.why_not_votable() == ""
