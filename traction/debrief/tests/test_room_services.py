"""The room's rules: evidence required, decisions need a reason, only policy makers decide
(in the role they hold then), revisits keep history, what customers would hear, the
coverage meter and the decision brief through the viewer's scope."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from traction.core import clock, dates
from traction.core.errors import Conflict, PermissionDenied, ValidationFailed
from traction.core.models import AppendOnlyError, AuditEvent
from traction.core.permissions import Role, Viewer
from traction.core.testing.cast import Cast
from traction.core.testing.snapshot import built_on
from traction.debrief import outbound
from traction.debrief import selectors_room as selectors
from traction.debrief.models import (
    ActionItem,
    ActionStatus,
    ClockEvent,
    Decision,
    Recommendation,
    Undecided,
)
from traction.debrief.services import closing, room
from traction.debrief.services import recommendations as recs
from traction.debrief.tests.room_world import World, build_world
from traction.programs.models import PolicyMaker

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast: Cast) -> World:
    return built_on(cast, build_world)


def draft(
    cast: Cast, world: World, title: str = "Invoice on day one", *cards: str, who: str = "core_team"
) -> Recommendation:
    return recs.draft_recommendation(
        cast.viewer(who),
        world.debrief,
        title=title,
        evidence=[world.card(c).pk for c in (cards or ("mot",))],
        customer_summary="We will send the first invoice on day one.",
    )


def refused(exc: pytest.ExceptionInfo[ValidationFailed]) -> set[str]:
    return set(exc.value.errors)


# --- the room ------------------------------------------------------------------------------


def test_opening_the_room_starts_the_first_phase_and_the_clock_counts_down(
    cast: Cast, world: World
) -> None:
    fran = cast.viewer("facilitator")
    d = world.debrief
    with clock.frozen(d.due_at - timedelta(hours=2)) as frozen:
        opened = room.open_debrief(fran, d)
        assert (opened.status, opened.phase, opened.timeliness) == ("open", "review", "on_time")
        assert ClockEvent.objects.filter(debrief=d, kind="held").count() == 1
        assert room.open_debrief(fran, opened).version == opened.version  # once only
        frozen.advance(timedelta(minutes=5))
        shown = selectors.room_clock(opened)
        assert (shown.current.key, shown.seconds_left, shown.total_minutes) == ("review", 600, 180)
        moved = room.set_phase(fran, opened, phase="decide", version=opened.version)
        frozen.advance(timedelta(minutes=31))
        shown = selectors.room_clock(moved)
        assert (shown.current.title, shown.seconds_left, shown.overrun_seconds) == ("Decide", 0, 60)
        assert [p.done for p in shown.phases][:4] == [True, True, True, False]
        with pytest.raises(Conflict):
            room.set_phase(fran, moved, phase="map", version=opened.version)
        with pytest.raises(ValidationFailed):
            room.set_phase(fran, moved, phase="nope", version=moved.version)
    with pytest.raises(PermissionDenied):
        room.set_phase(cast.viewer("core_team"), moved, phase="map", version=moved.version)


def test_the_room_opens_only_once_its_session_is_held_or_over(cast: Cast, world: World) -> None:
    fran = cast.viewer("facilitator")
    d = world.debrief
    session = d.session
    with clock.frozen(session.ends_at - timedelta(minutes=1)):
        with pytest.raises(ValidationFailed) as exc:
            room.open_debrief(fran, d)
        assert "has not taken place yet" in exc.value.errors["__all__"][0]
        assert f"{session.time_zone})" in exc.value.errors["__all__"][0]  # its end, zone named
        d.refresh_from_db()
        assert (d.status, d.opened_at) == ("booked", None)
        assert not ClockEvent.objects.filter(debrief=d, kind="held").exists()
        with pytest.raises(ValidationFailed) as exc:  # nor closed, never opened
            closing.close_debrief(fran, debrief=d, attendance={}, note="x", undecided=[])
        assert list(exc.value.errors) == ["__all__"]
    with clock.frozen(session.ends_at):  # over at its planned end
        assert room.open_debrief(fran, d).status == "open"


def test_the_plan_is_edited_kept_in_order_and_checked(cast: Cast, world: World) -> None:
    fran = cast.viewer("facilitator")
    with clock.frozen(world.debrief.session.ends_at):
        d = room.open_debrief(fran, world.debrief)
    phases = [dict(p) for p in d.plan]
    phases[0]["minutes"] = 20
    phases.insert(1, {"title": "Warm-up", "minutes": 5})
    saved = room.set_plan(fran, d, phases=phases, version=d.version)
    assert [(p["key"], p["minutes"]) for p in saved.plan[:3]] == [
        ("review", 20),
        ("warm-up", 5),
        ("map", 25),
    ]
    assert saved.phase == "review"
    with pytest.raises(ValidationFailed) as exc:
        room.set_plan(fran, saved, phases=[{"title": "", "minutes": 0}], version=saved.version)
    assert refused(exc) == {"phases.1.title", "phases.1.minutes"}
    # A title is one line, whichever break it has (a lone carriage return too).
    for title in ("Warm\rup", "Warm\u2028up", "Warm\x07up"):
        with pytest.raises(ValidationFailed) as exc:
            room.set_plan(
                fran, saved, phases=[{"title": title, "minutes": 5}], version=saved.version
            )
        assert refused(exc) == {"phases.1.title"}, title
    # Removing the current phase moves the room to the first one.
    again = room.set_plan(fran, saved, phases=saved.plan[1:], version=saved.version)
    assert again.phase == "warm-up"


# --- recommendations -------------------------------------------------------------------------


def test_a_recommendation_needs_evidence_of_its_session_the_drafter_may_see(
    cast: Cast, world: World
) -> None:
    cora = cast.viewer("core_team")
    with pytest.raises(ValidationFailed) as exc:
        recs.draft_recommendation(cora, world.debrief, title="No evidence", evidence=[])
    assert refused(exc) == {"evidence"}
    with pytest.raises(ValidationFailed) as exc:
        recs.draft_recommendation(cora, world.debrief, title="", evidence=[10**9])
    assert refused(exc) == {"evidence", "title"}
    # At most METRICS_MAX (100) metrics, checked before any is looked up.
    moves = [{"metric_id": n, "direction": "up"} for n in range(1, recs.METRICS_MAX + 2)]
    mot = world.card("mot").pk
    with pytest.raises(ValidationFailed) as exc:
        recs.draft_recommendation(cora, world.debrief, title="M", evidence=[mot], metrics=moves)
    assert refused(exc) == {"metrics"}
    assert exc.value.errors["metrics"] == ["Keep it to 100 items or fewer (this has 101)."]
    assert not Recommendation.objects.exists()
    rec = draft(cast, world, "Invoice on day one", "mot", "quote")
    assert sorted(rec.evidence_links.values_list("insight_id", flat=True)) == sorted(
        [world.card("mot").pk, world.card("quote").pk]
    )
    # Editing may not take the last piece of evidence away.
    with pytest.raises(ValidationFailed) as exc:
        recs.update_recommendation(cora, rec, changes={"evidence": []}, version=rec.version)
    assert refused(exc) == {"evidence"}
    # Observers read, never draft.
    with pytest.raises(PermissionDenied):
        draft(cast, world, who="observer")


def test_an_internal_remark_is_no_evidence(cast: Cast, world: World) -> None:
    cora = cast.viewer("core_team")
    internal = world.card("internal")
    offered = set(recs.evidence_choices(cora, world.debrief).values_list("pk", flat=True))
    assert internal.pk not in offered
    assert world.card("mot").pk in offered
    with pytest.raises(ValidationFailed) as exc:
        draft(cast, world, "Ours", "mot", "internal")
    assert exc.value.errors["evidence"] == [
        "Evidence is what customers said: an internal participant's remark cannot be cited "
        f"(not: {internal.pk})."
    ]


def test_two_editors_from_the_same_version_the_second_gets_a_conflict(
    cast: Cast, world: World
) -> None:
    rec = draft(cast, world)
    v = rec.version
    recs.update_recommendation(cast.viewer("core_team"), rec, changes={"title": "A"}, version=v)
    with pytest.raises(Conflict):
        recs.update_recommendation(cast.viewer("sponsor"), rec, changes={"title": "B"}, version=v)
    rec.refresh_from_db()
    assert (rec.title, rec.version) == ("A", v + 1)


def test_a_draft_is_archived_never_deleted(cast: Cast, world: World) -> None:
    rec = draft(cast, world)
    recs.archive_recommendation(cast.viewer("core_team"), rec, version=rec.version)
    rec.refresh_from_db()
    assert rec.archived_at is not None
    assert list(selectors.recommendations(cast.viewer("admin"), debrief_id=world.debrief.pk)) == []
    decided = draft(cast, world, "Decided")
    recs.decide(cast.viewer("sponsor"), decided, "approved", "Yes")
    with pytest.raises(ValidationFailed):
        recs.archive_recommendation(cast.viewer("core_team"), decided)


# --- decisions -----------------------------------------------------------------------------


def test_a_decision_needs_a_reason_and_a_deferral_a_future_date(cast: Cast, world: World) -> None:
    sam = cast.viewer("sponsor")
    rec = draft(cast, world)
    with pytest.raises(ValidationFailed) as exc:
        recs.decide(sam, rec, "approved", "  ")
    assert refused(exc) == {"reason"}
    with pytest.raises(ValidationFailed) as exc:
        recs.decide(sam, rec, "deferred", "Budget", None)
    assert refused(exc) == {"revisit_on"}
    with pytest.raises(ValidationFailed) as exc:
        recs.decide(sam, rec, "deferred", "Budget", clock.today())
    assert refused(exc) == {"revisit_on"}
    with pytest.raises(ValidationFailed) as exc:
        recs.decide(sam, rec, "maybe", "Hmm")
    assert refused(exc) == {"outcome"}
    # A date to revisit applies to a deferral only: refused, not dropped silently.
    later = clock.today() + timedelta(days=30)
    for outcome, verb in (("approved", "approve"), ("rejected", "reject")):
        with pytest.raises(ValidationFailed) as exc:
            recs.decide(sam, rec, outcome, "Yes", later)
        assert exc.value.errors == {
            "revisit_on": [f"Only a deferral has a date to revisit: leave it empty to {verb}."]
        }
    assert not Decision.objects.exists()
    rec.refresh_from_db()
    assert rec.outcome == "pending"


def test_a_deferral_is_revisited_within_ten_years(cast: Cast, world: World) -> None:
    """Review 20 finding 12: 9999-12-31 is a placeholder, not a date to revisit."""
    rec = draft(cast, world)
    with pytest.raises(ValidationFailed) as exc:
        recs.decide(cast.viewer("sponsor"), rec, "deferred", "Budget", date(9999, 12, 31))
    assert refused(exc) == {"revisit_on"}
    assert "more than 10 years ahead" in exc.value.errors["revisit_on"][0]
    assert not Decision.objects.exists()


def test_only_policy_makers_decide_in_the_role_they_hold_then(cast: Cast, world: World) -> None:
    program = cast.program
    rec = draft(cast, world)
    # Not named: the facilitator, the core team, the observer, the account owner.
    for who in ("facilitator", "core_team", "observer", "account_owner"):
        with pytest.raises(PermissionDenied):
            recs.decide(cast.viewer(who), rec, "approved", "Why not")
    # A policy maker of another program decides nothing here.
    PolicyMaker.objects.create(program=cast.other_program, user=cast.users["core_team"])
    with pytest.raises(PermissionDenied):
        recs.decide(cast.viewer("core_team"), rec, "approved", "Other program")
    # An ended policy maker no longer decides.
    ended = PolicyMaker.objects.create(
        program=program, user=cast.users["facilitator"], responsibility="Ops budget"
    )
    PolicyMaker.history.filter(pk=ended.pk).update(left_at=clock.now())
    with pytest.raises(PermissionDenied):
        recs.decide(cast.viewer("facilitator"), rec, "approved", "Ended")
    assert not Decision.objects.exists()
    # The sponsor, a named policy maker, an admin: each recorded in their role then.
    PolicyMaker.objects.create(
        program=program, user=cast.users["core_team"], responsibility="Support budget"
    )
    recs.decide(cast.viewer("sponsor"), rec, "approved", "Customers asked twice")
    recs.decide(
        cast.viewer("core_team"), rec, "deferred", "After Q3", clock.today() + timedelta(30)
    )
    recs.decide(cast.viewer("admin"), rec, "rejected", "No budget this year")
    history = list(
        Decision.objects.filter(recommendation=rec).values_list(
            "outcome", "decided_by_label", "decided_as"
        )
    )
    assert history == [
        ("approved", "Sam Sponsor", "Executive sponsor"),
        ("deferred", "Cora Core", "Policy maker — Support budget"),
        ("rejected", "Alice Admin", "Admin"),
    ]
    rec.refresh_from_db()
    assert (rec.outcome, rec.decided_as, rec.decision_reason, rec.revisit_on) == (
        "rejected",
        "Admin",
        "No budget this year",
        None,
    )
    actions = AuditEvent.objects.filter(action="recommendation.decided").count()
    assert actions == 3


def test_decisions_are_append_only(cast: Cast, world: World) -> None:
    rec = draft(cast, world)
    recs.decide(cast.viewer("sponsor"), rec, "approved", "Yes")
    decision = Decision.objects.get()
    decision.reason = "Rewritten"
    with pytest.raises(AppendOnlyError):
        decision.save()
    with pytest.raises(AppendOnlyError):
        decision.delete()
    with pytest.raises(AppendOnlyError):
        Decision.objects.filter(pk=decision.pk).update(reason="x")


def test_a_decision_is_announced_with_a_stable_payload(cast: Cast, world: World) -> None:
    heard: list[dict[str, object]] = []

    def sink(**kwargs: object) -> None:
        heard.append(kwargs)

    outbound.connect(sink)
    try:
        rec = draft(cast, world)
        revisit = clock.today() + timedelta(days=40)
        recs.decide(
            cast.viewer("sponsor"), rec, "deferred", "Next quarter", revisit, version=rec.version
        )
    finally:
        outbound.disconnect(sink)
    assert len(heard) == 1
    event = heard[0]
    assert (event["event"], event["program_id"]) == ("recommendation.decided", cast.program.pk)
    data = event["data"]
    assert data["recommendation"]["outcome"] == "deferred"
    assert data["recommendation"]["evidence_insight_ids"] == [world.card("mot").pk]
    assert data["decision"]["revisit_on"] == revisit.isoformat()
    assert data["decision"]["decided_as"] == "Executive sponsor"
    # Every moment in a payload has the form of the envelope's occurred_at: UTC, ms, Z.
    at = Decision.objects.get(recommendation=rec).at
    assert data["decision"]["at"] == clock.iso_utc(at)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", data["decision"]["at"])


def test_what_customers_would_hear(cast: Cast, world: World) -> None:
    rec = draft(cast, world)
    hears = recs.customer_hears
    assert hears("deferred", owned_dated_actions=True) == ("Under consideration", "")
    assert hears("rejected", owned_dated_actions=False, reason="No budget") == (
        "Not planned",
        "No budget",
    )
    recs.decide(cast.viewer("sponsor"), rec, "approved", "Yes")
    row = selectors.room_recommendations(cast.viewer("sponsor"), world.debrief)[0]
    assert row.hears[0] == "Under consideration"  # approved, but no owned dated action yet
    action = ActionItem.objects.create(
        workspace_id=rec.workspace_id,
        recommendation=rec,
        program_id=rec.program_id,
        title="Send it",
        owner=cast.users["core_team"],
        due_on=clock.today() + timedelta(9),
    )
    row = selectors.room_recommendations(cast.viewer("sponsor"), world.debrief)[0]
    assert row.hears == ("Planned", "We will send the first invoice on day one.")
    assert (row.progress.total, row.progress.done, row.progress.share_done) == (1, 0, 0)
    ActionItem.objects.filter(pk=action.pk).update(status=ActionStatus.DROPPED)
    row = selectors.room_recommendations(cast.viewer("sponsor"), world.debrief)[0]
    assert row.hears[0] == "Under consideration"  # a dropped action plans nothing
    assert row.progress.total == 0


def test_progress_is_derived_from_the_action_items(cast: Cast, world: World) -> None:
    rec = draft(cast, world)
    recs.decide(cast.viewer("sponsor"), rec, "approved", "Yes")
    for status in ("done", "done", "blocked", "open", "dropped"):
        ActionItem.objects.create(
            workspace_id=rec.workspace_id,
            recommendation=rec,
            program_id=rec.program_id,
            title=status,
            owner=cast.users["core_team"],
            due_on=clock.today(),
            status=status,
        )
    p = selectors.progress(rec)
    assert (p.done, p.blocked, p.open, p.dropped, p.total, p.share_done) == (2, 1, 1, 1, 4, 50)
    row = selectors.room_recommendations(cast.viewer("admin"), world.debrief)[0]
    assert row.progress == p


# --- the brief and the coverage meter -----------------------------------------------------------


def test_coverage_counts_decisions_and_dated_deferrals_of_the_top_priorities(
    cast: Cast, world: World
) -> None:
    sam = cast.viewer("sponsor")
    b = selectors.brief(sam, world.debrief)
    assert b.voting == "closed"
    assert [p.card.text for p in b.priorities] == [
        "The first invoice arrives",
        "Approval takes three weeks",
        "Nobody answers the phone",
        "Let us pay by card",
    ]
    assert (b.coverage.top, b.coverage.covered) == (4, 0)
    first = draft(cast, world, "Invoice on day one", "mot")
    second = draft(cast, world, "Faster approval", "issue")
    third = draft(cast, world, "Phone line", "issue2")
    recs.decide(sam, first, "approved", "Yes")
    recs.decide(sam, second, "deferred", "Q3", clock.today() + timedelta(days=60))
    recs.decide(sam, third, "rejected", "Chat instead")
    Undecided.objects.create(
        debrief=world.debrief, insight=world.card("idea"), revisit_on=clock.today() + timedelta(9)
    )
    b = selectors.brief(sam, world.debrief)
    assert (b.coverage.top, b.coverage.covered, b.coverage.uncovered) == (4, 4, [])
    assert b.coverage.percent == 100
    # A pending draft, an archived one, or a deferral revisited into a pending state cover
    # nothing: only a decision (or a dated deferral) does.
    Undecided.objects.all().delete()
    b = selectors.brief(sam, world.debrief)
    assert (b.coverage.covered, [p.card.text for p in b.coverage.uncovered]) == (
        3,
        ["Let us pay by card"],
    )
    assert [p.covered for p in b.priorities][:3] == [
        "approved",
        f"deferred to {dates.short(clock.today() + timedelta(days=60))}",
        "rejected",
    ]


def test_coverage_reads_the_top_ten_priorities_at_most(cast: Cast) -> None:
    from traction.insights import services as insight_services
    from traction.voting.tests.test_voting import add

    w = build_world(cast, close=False, budget=6)
    fran = cast.viewer("facilitator")
    voters = [w.room.gina, w.room.gus, w.room.ian, w.room.iris]
    step_id = w.card("mot").step_id
    for n in range(8):
        card = insight_services.capture_insight(
            fran,
            session=w.room.session,
            kind="idea",
            text=f"Idea {n}",
            speaker=f"c:{voters[n % 4].pk}",
            step_id=step_id,
        )
        w.room.cards[f"idea{n}"] = card
        add(cast, w.room, voters[n % 4], f"idea{n}")
    b = selectors.brief(cast.viewer("sponsor"), w.debrief)
    assert len(b.priorities) == 10  # 12 cards have votes: the top ten count
    assert (b.coverage.top, b.coverage.covered, len(b.coverage.uncovered)) == (10, 0, 10)
    recs.decide(cast.viewer("sponsor"), draft(cast, w, "One", "mot"), "approved", "Yes")
    b = selectors.brief(cast.viewer("sponsor"), w.debrief)
    assert (b.coverage.covered, b.coverage.percent) == (1, 10)


def test_the_brief_with_voting_still_open_uses_the_live_ranking(cast: Cast) -> None:
    w = build_world(cast, close=False)
    b = selectors.brief(cast.viewer("sponsor"), w.debrief)
    assert b.voting == "open"
    assert b.priorities[0].card.text == "The first invoice arrives"


def test_the_brief_carries_quotes_spread_and_earlier_decisions(cast: Cast, world: World) -> None:
    sam = cast.viewer("sponsor")
    # An earlier debrief of the program (another session) decided on the same card.
    from traction.debrief.tests.room_world import make_debrief
    from traction.insights import services as insight_services
    from traction.sessions import services as session_services

    fran = cast.viewer("facilitator")
    start = clock.now() - timedelta(days=40)
    session = session_services.plan_session(
        fran,
        program=cast.program,
        title="Earlier session",
        starts_at=start,
        ends_at=start + timedelta(hours=3),
    )
    said = insight_services.capture_insight(
        fran, session=session, kind="issue", text="Approvals are slow", speaker=""
    )
    earlier = make_debrief(cast, type("R", (), {"session": session})())  # type: ignore[arg-type]
    old = recs.draft_recommendation(
        cast.viewer("core_team"), earlier, title="Earlier: approvals", evidence=[said.pk]
    )
    from traction.debrief.models import Evidence

    Evidence.objects.create(recommendation=old, insight=world.card("issue"))
    recs.decide(sam, old, "deferred", "Later", clock.today() + timedelta(days=5))
    pending = recs.draft_recommendation(
        cast.viewer("core_team"), earlier, title="Still a draft", evidence=[said.pk]
    )
    Evidence.objects.create(recommendation=pending, insight=world.card("issue"))
    b = selectors.brief(sam, world.debrief)
    top = {p.card.text: p for p in b.priorities}
    mot = top["The first invoice arrives"]
    assert [q.text for q in mot.quotes] == ["We print every invoice"]
    assert dict(zip([s for s, _ in b.segments], mot.card.segment_cells, strict=True)) == {
        "mid_market": 2,
        "enterprise": 1,
    }
    assert [r.title for r in top["Approval takes three weeks"].earlier] == ["Earlier: approvals"]
    assert top["The first invoice arrives"].earlier == []


def test_the_brief_respects_the_viewers_scope(cast: Cast, world: World) -> None:
    """Owen (account owner of Globex only), named a policy maker of the program, reads the
    brief of Globex's cards and votes only."""
    from traction.voting.tests.test_evidence import owen_owns_globex_only

    owen_owns_globex_only(cast)
    PolicyMaker.objects.create(program=cast.program, user=cast.users["account_owner"])
    owen = cast.viewer("account_owner")
    b = selectors.brief(owen, world.debrief)
    assert [(p.card.text, p.card.dots) for p in b.priorities] == [
        ("The first invoice arrives", 2),
        ("Let us pay by card", 1),
    ]
    assert b.segments == [("mid_market", "Mid-market")]
    assert b.coverage.top == 2
    texts = {q.text for p in b.priorities for q in p.quotes}
    assert texts == {"We print every invoice"}
    # Evidence he may not see is counted, never shown.
    rec = draft(cast, world, "Both", "mot", "issue")
    row = selectors.room_recommendations(owen, world.debrief)[0]
    assert ([i.text for i in row.evidence], row.hidden_evidence) == (
        ["The first invoice arrives"],
        1,
    )
    # And he may not cite what he may not see.
    with pytest.raises(ValidationFailed):
        recs.draft_recommendation(owen, world.debrief, title="x", evidence=[world.card("issue").pk])
    # Nor unlink it: his edit's "whole set" is the set he sees; the rest stays linked.
    mot, issue = world.card("mot").pk, world.card("issue").pk
    edited = recs.update_recommendation(
        owen, rec, changes={"title": "Both, retitled", "evidence": [mot]}, version=rec.version
    )
    assert sorted(edited.evidence_links.values_list("insight_id", flat=True)) == sorted(
        [mot, issue]
    )
    assert edited.title == "Both, retitled"


def test_viewer_role_label_for_an_admin_who_is_also_sponsor(cast: Cast, world: World) -> None:
    admin_as_sponsor = Viewer(
        user=cast.users["sponsor"], workspace_id=cast.acme.pk, role=Role.ADMIN
    )
    assert recs.role_at_this_moment(
        admin_as_sponsor, cast.program.pk, cast.users["sponsor"].pk
    ) == ("Executive sponsor")


def test_a_recommendation_names_the_program_metrics_it_should_move(
    cast: Cast, world: World
) -> None:
    from traction.debrief.models import ScorecardMetric

    def metric(program: object, name: str) -> ScorecardMetric:
        return ScorecardMetric.objects.create(
            workspace_id=cast.acme.pk, program=program, name=name, unit="days"
        )

    days = metric(cast.program, "Days to first invoice")
    calls = metric(cast.program, "Support calls")
    elsewhere = metric(cast.other_program, "Renewal rate")
    cora = cast.viewer("core_team")
    rec = recs.draft_recommendation(
        cora,
        world.debrief,
        title="Invoice on day one",
        evidence=[world.card("mot").pk],
        metrics=[{"metric_id": days.pk, "direction": "down"}],
    )
    assert list(rec.metric_links.values_list("metric__name", "direction")) == [
        ("Days to first invoice", "down")
    ]
    with pytest.raises(ValidationFailed) as exc:
        recs.update_recommendation(
            cora,
            rec,
            changes={"metrics": [{"metric_id": elsewhere.pk, "direction": "up"}]},
            version=rec.version,
        )
    assert refused(exc) == {"metrics"}
    with pytest.raises(ValidationFailed):
        recs.update_recommendation(
            cora,
            rec,
            changes={"metrics": [{"metric_id": calls.pk, "direction": ""}]},
            version=rec.version,
        )
    recs.update_recommendation(
        cora,
        rec,
        changes={"metrics": [{"metric_id": calls.pk, "direction": "down"}]},
        version=rec.version,
    )
    assert list(rec.metric_links.values_list("metric__name", "direction")) == [
        ("Support calls", "down")
    ]
    rec.refresh_from_db()
    assert rec.version == 2


def test_long_texts_are_capped_in_the_service(cast: Cast, world: World) -> None:
    """Rationale, customer summary and a decision's reason go into the pack, its email and
    the webhook bodies: at most LONG_TEXT_MAX characters, refused beside the field."""
    cora = cast.viewer("core_team")
    mot = world.card("mot").pk
    too_long = "x" * (recs.LONG_TEXT_MAX + 1)
    with pytest.raises(ValidationFailed) as exc:
        recs.draft_recommendation(
            cora,
            world.debrief,
            title="Long",
            evidence=[mot],
            rationale=too_long,
            customer_summary=too_long,
        )
    assert refused(exc) == {"rationale", "customer_summary"}
    assert "5,000 characters or fewer (this has 5,001)" in exc.value.errors["rationale"][0]
    rec = recs.draft_recommendation(
        cora, world.debrief, title="Just fits", evidence=[mot], rationale="y" * recs.LONG_TEXT_MAX
    )
    with pytest.raises(ValidationFailed) as exc:
        recs.update_recommendation(
            cora, rec, changes={"customer_summary": too_long}, version=rec.version
        )
    assert refused(exc) == {"customer_summary"}
    with pytest.raises(ValidationFailed) as exc:
        recs.update_recommendation(
            cora, rec, changes={"evidence": list(range(1, recs.EVIDENCE_MAX + 2))}, version=None
        )
    assert refused(exc) == {"evidence"}
    with pytest.raises(ValidationFailed) as exc:
        recs.decide(cast.viewer("sponsor"), rec, "approved", "z" * (recs.REASON_MAX + 1))
    assert refused(exc) == {"reason"}
    rec.refresh_from_db()
    assert (rec.customer_summary, rec.outcome) == ("", "pending")
