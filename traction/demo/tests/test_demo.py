"""The demo workspace: built through services, complete, deterministic, never wiped silently."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
import time_machine

from traction.accounts.models import Membership, User, Workspace
from traction.core.models import AuditEvent
from traction.core.testing.snapshot import Snapshot
from traction.customers.models import Contact, Customer
from traction.demo import DEMO_PASSWORD, Demo, DemoExists, build_demo, remove_demo
from traction.programs.models import Program, ProgramMember

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 23)


@pytest.fixture(autouse=True)
def _frozen_clock() -> Iterator[None]:
    # The demo's sessions are planned relative to ``today``; the services compare with now.
    with time_machine.travel(datetime(2026, 11, 23, 8, 0, tzinfo=UTC), tick=False):
        yield


_built: list[Snapshot[Demo]] = []


@pytest.fixture
def demo(_frozen_clock: None) -> Demo:
    """The demo as ``build_demo(today=TODAY)`` leaves it, for the tests that read what it
    made: built through the services once per test process, then its rows inserted again for
    each test (``Snapshot``, as the cast). The tests of building itself call ``build_demo``."""
    if _built:
        found = _built[0].restore()
        if found is not None:
            return found
    _built[:] = [Snapshot.take(lambda: build_demo(today=TODAY))]
    found = _built[0].restore()
    assert found is not None
    return found


def test_builds_the_northwind_story() -> None:
    demo = build_demo(today=TODAY)
    workspace = Workspace.objects.get(slug="northwind")
    assert workspace.name == "Northwind Software"
    assert demo.workspace == workspace

    roles = dict(Membership.objects.filter(workspace=workspace).values_list("user__email", "role"))
    assert roles == {
        "ana.admin@northwind.example": "admin",
        "felix.facilitator@northwind.example": "facilitator",
        "fatima.facilitator@northwind.example": "facilitator",
        "paul.product@northwind.example": "core_team",
        "sofia.support@northwind.example": "core_team",
        "finn.finance@northwind.example": "core_team",
        "vera.sponsor@northwind.example": "sponsor",
        "oscar.owner@northwind.example": "account_owner",
        "omar.owner@northwind.example": "account_owner",
        "olivia.observer@northwind.example": "observer",
    }
    assert all(u.check_password(DEMO_PASSWORD) for u in User.objects.all())

    customers = Customer.objects.filter(workspace=workspace)
    assert customers.count() == 7
    assert set(customers.values_list("segment", flat=True)) == {
        "mid_market",
        "enterprise",
        "small_business",
        "public_sector",
    }
    assert set(customers.values_list("region", flat=True)) == {"EMEA", "North America", "APAC"}
    assert not customers.filter(account_owner=None).exists()
    assert not customers.filter(notes="").exists()
    assert set(customers.values_list("account_owner__email", flat=True)) == {
        "oscar.owner@northwind.example",
        "omar.owner@northwind.example",
    }
    for customer in customers:
        assert 1 <= customer.contacts.count() <= 3
    contacts = Contact.objects.filter(workspace=workspace)
    assert contacts.count() == 13
    assert not contacts.filter(title="").exists()
    assert contacts.filter(consent_to_contact=True).count() == 11
    assert not contacts.filter(consent_to_contact=True, consent_recorded_at=None).exists()

    onboarding = Program.objects.get(name="Effortless onboarding for mid-market customers")
    assert onboarding.status == "active"
    assert onboarding.executive_sponsor is not None
    assert onboarding.executive_sponsor.email == "vera.sponsor@northwind.example"
    assert (onboarding.results_window_start, onboarding.results_window_end) == (
        date(2027, 2, 1),
        date(2027, 11, 1),
    )
    team = dict(ProgramMember.objects.filter(program=onboarding).values_list("user__email", "kind"))
    assert team == {
        "paul.product@northwind.example": "core_team",
        "sofia.support@northwind.example": "core_team",
        "finn.finance@northwind.example": "core_team",
        "olivia.observer@northwind.example": "observer",
        "oscar.owner@northwind.example": "observer",
        "omar.owner@northwind.example": "observer",
    }
    renewals = Program.objects.get(name="Renewals without surprises")
    assert renewals.status == "planning"


def test_every_write_went_through_the_services() -> None:
    build_demo(today=TODAY)
    counts: dict[str, int] = {}
    for action in AuditEvent.objects.values_list("action", flat=True):
        counts[action] = counts.get(action, 0) + 1
    assert counts == {
        "workspace.created": 1,
        "member.added": 10,
        "customer.created": 7,
        "contact.created": 13,
        "program.created": 2,
        "program.team_changed": 3,
        # Sessions in every state (traction/demo/build.py, add_sessions).
        # and the advisory board meeting and the kickoff of add_debriefs
        "session.planned": 7,
        "session.practice_linked": 1,
        # the pilot, the advisory board and the kickoff, moved into the past: held
        "session.changed": 3,
        "session.cancelled": 1,
        "participant.added": 13,  # two each for the advisory board and the kickoff
        "briefing.acknowledged": 3,
        # two customers each for the advisory board and the kickoff
        "outreach.requested": 11,
        "outreach.approved": 8,  # one with conditions, two each for the pilot, board, kickoff
        "outreach.declined": 1,
        "outreach.waived": 1,
        "invitation.sent": 9,
        "invitation.accepted": 7,
        "invitation.declined": 1,
        "question.submitted": 4,
        "questions.picked": 1,
        # Each co-design and advisory-board session's debrief, booked when it was planned,
        # and the three moved with them into the past.
        "debrief.created": 5,
        "debrief.rescheduled": 3,
        # The pilot's map and votes (add_captures); the board's and kickoff's cards and
        # votes (add_debriefs).
        "scenario.created": 1,
        "insight.captured": 16 + 5 + 4,
        "voting.opened": 3,
        "vote.added": 6 + 6 + 6,
        "voting.closed": 3,
        # Who decides, the pilot's debrief, a late one and the kickoff's, four months ago,
        # whose 3-month checkpoint has been reached (add_debriefs).
        "member.function_changed": 10,
        "program.policy_makers_changed": 2,
        "session.held": 3,
        "debrief.opened": 2,
        "recommendation.drafted": 5,
        "recommendation.decided": 5,
        # The kickoff's PO number and the pilot's preview linked to the metric they move.
        "recommendation.changed": 2,
        "action_item.created": 3,
        "action_item.status_changed": 3,
        "metric.created": 1,  # in the kickoff's debrief
        "metric.changed": 1,  # the pilot's customers' metric card added to what it serves
        "measurement.recorded": 1,
        "debrief.closed": 2,
        "checkpoint.reached": 1,
        # Customer priorities' statuses and a delivery (add_loop): seven proposals, six of
        # them approved by the account owners of the customers that raised or voted on them
        # (the CSV import's by both), one in each status.
        "loop.delivery_recorded": 1,
        "loop.delivery_linked": 1,
        "loop.status_proposed": 7,
        "loop.approval_approved": 7,
        "loop.status_published": 6,
        "loop.reason_text_added": 1,
        # Updates: five drafted (three by hand, two by the delivery), three asked for
        # approval, three approvals given, two updates approved, one sent (and replied to),
        # one draft discarded.
        "loop.update_drafted": 5,
        "loop.update_submitted": 3,
        "loop.update_approval_approved": 3,
        "loop.update_approved": 2,
        "loop.update_sent": 1,
        "loop.replied": 1,
        "loop.update_discarded": 1,
        # A pilot contact's portal link, printed by `traction demo` (add_portal_link).
        "portal.link_created": 1,
    }


def test_is_deterministic() -> None:
    def picture() -> list[tuple[str, ...]]:
        return [
            *Customer.objects.order_by("name").values_list(
                "name", "segment", "size", "region", "notes"
            ),
            *Contact.objects.order_by("email").values_list(
                "email", "name", "title", "preferred_channel"
            ),
            *Program.objects.order_by("name").values_list("name", "goal", "status"),
        ]

    build_demo(today=TODAY)
    first = picture()
    remove_demo()
    build_demo(today=TODAY)
    assert picture() == first


def test_refuses_to_build_twice_and_changes_nothing() -> None:
    build_demo(today=TODAY)
    events = AuditEvent.objects.count()
    with pytest.raises(DemoExists, match=r"already exists\. Use --reset"):
        build_demo(today=TODAY)
    assert AuditEvent.objects.count() == events
    assert Customer.objects.count() == 7


def test_remove_demo_leaves_other_workspaces_alone(cast: object) -> None:
    before = (Workspace.objects.count(), User.objects.count(), Customer.objects.count())
    build_demo(today=TODAY)
    remove_demo()
    assert (Workspace.objects.count(), User.objects.count(), Customer.objects.count()) == before


def test_sessions_in_every_state(demo: Demo) -> None:
    from traction.sessions import selectors
    from traction.sessions.models import OutreachRequest, Session

    states = dict(Session.objects.values_list("title", "status"))
    held = Session.objects.get(title="Co-design: pilot with two customers")
    assert held.state == "held"
    assert states["Interview: onboarding at Meridian's billing team"] == "cancelled"
    codesign = Session.objects.get(title="Co-design: the first invoice within a day")
    assert codesign.state == "upcoming"
    assert codesign.practice is not None
    assert codesign.practice.title == "Practice for the onboarding co-design session"
    assert sorted(
        OutreachRequest.objects.filter(session=codesign).values_list("status", flat=True)
    ) == [
        "approved",
        "approved",
        "declined",
        "pending",
        "waived",
    ]
    assert OutreachRequest.objects.get(session=codesign, conditions__startswith="Do not discuss")
    readiness = selectors.readiness(codesign)
    assert {c.key: c.done for c in readiness.checks} == {
        "approvals": False,
        "invitations": False,
        "briefings": False,
        "practice": False,
        "agenda": True,
        "questions": True,
        "debrief": False,  # booked with the session; no policy maker accepted yet
    }
    assert readiness.percent == 29


def test_the_held_pilot_has_a_full_map_and_votes(demo: Demo) -> None:
    from traction.insights import selectors
    from traction.sessions.models import Session
    from traction.voting import selectors as ranking

    held = Session.objects.get(title="Co-design: pilot with two customers")
    (scenario,) = selectors.scenarios(held)
    cards = selectors.session_insights(demo.viewer("facilitator"), held).filter(scenario=scenario)
    grid = selectors.grid(scenario, list(cards))
    assert [s.title for s in grid.steps] == [
        "Sign the contract",
        "Set up billing",
        "Send the first invoice",
        "Get paid",
    ]
    filled = {row.kind: sum(len(cell) for cell in row.cells) for row in grid.rows}
    assert filled == {"moment_of_truth": 3, "issue": 4, "idea": 4, "customer_metric": 2}
    assert held.insights.filter(internal=True).count() == 1
    results = ranking.results_for_system(held)
    top = results.overall[0]
    assert (top.text, top.dots, top.voters) == (
        "The first invoice is correct the first time",
        3,
        2,
    )


def test_has_a_completed_debrief_a_late_one_and_six_months_of_measurements(demo: Demo) -> None:
    from traction.debrief.models import Debrief, Measurement

    pilot = Debrief.objects.get(session__title="Co-design: pilot with two customers")
    assert (pilot.status, pilot.timeliness) == ("closed", "on_time")
    assert sorted(pilot.recommendations.values_list("outcome", flat=True)) == [
        "approved",
        "approved",
        "deferred",
        "rejected",
    ]
    cab = Debrief.objects.get(session__title="Customer advisory board: autumn review")
    assert (cab.status, cab.timeliness) == ("booked", "late")
    days = Measurement.objects.values_list("on", flat=True)
    assert len(days) == 26
    assert (max(days) - min(days)).days >= 175


def test_the_late_debrief_has_customers_cards_and_dots_to_draft_from(demo: Demo) -> None:
    from traction.debrief.models import Debrief
    from traction.debrief.services import recommendations
    from traction.insights.models import Insight
    from traction.voting.models import Vote

    cab = Debrief.objects.get(session__title="Customer advisory board: autumn review")
    session = cab.session
    assert session.participants.count() == 2
    assert session.invitations.filter(rsvp="accepted").count() == 2
    cards = Insight.objects.filter(session=session, speaker_contact__isnull=False)
    assert cards.count() == 5
    dots = Vote.objects.filter(insight__session=session).values_list("dots", flat=True)
    assert sum(dots) == 6  # two customers, three dots each
    # What the acceptance tester does: open the room and draft with evidence.
    from traction.debrief.services import room

    felix = demo.viewer("facilitator")
    opened = room.open_debrief(felix, cab)
    drafted = recommendations.draft_recommendation(
        felix,
        opened,
        title="Issue credit notes from the invoice page",
        evidence=[cards.get(text="Issue a credit note from the invoice page").pk],
        rationale="Both board members asked for it.",
    )
    assert drafted.evidence.count() == 1


def test_the_kickoff_s_undecided_priorities_say_their_revisit_is_overdue(demo: Demo) -> None:
    # Left undecided four months ago with a date a month later: that date has passed, and
    # the room's brief says so beside each (a newcomer saw only the date).
    from traction.debrief import selectors_room
    from traction.debrief.models import Debrief

    kickoff = Debrief.objects.get(session__title="Co-design: onboarding kickoff")
    felix = demo.viewer("facilitator")
    brief = selectors_room.brief(felix, selectors_room.debrief(felix, kickoff.pk))
    undecided = [p for p in brief.priorities if p.covered_as == "undecided"]
    assert undecided
    assert all(p.revisit_overdue for p in undecided)
    assert not any(p.revisit_overdue for p in brief.priorities if p.covered_as == "approved")

    from django.test import Client

    page = Client()
    page.force_login(demo.users["facilitator"])
    html = page.get(f"/w/{demo.workspace.slug}/debriefs/{kickoff.pk}/").content.decode()
    assert html.count('<span class="badge badge-warn">revisit overdue</span>') == len(undecided)


def test_a_results_checkpoint_has_been_reached_against_forecast_and_target(demo: Demo) -> None:
    from traction.debrief import selectors_scorecards
    from traction.debrief.models import Checkpoint

    kickoff = Checkpoint.objects.get(
        debrief__session__title="Co-design: onboarding kickoff", months=3
    )
    assert kickoff.reached_at is not None
    assert (TODAY - kickoff.on).days > 0  # the session ended four months before today
    # The pilot's (three weeks old) are ahead; sessions not yet held have none.
    ahead = Checkpoint.objects.filter(reached_at__isnull=True)
    assert not ahead.filter(on__lte=TODAY).exists()
    assert not Checkpoint.objects.filter(debrief__session__held_at__isnull=True).exists()
    [row] = selectors_scorecards.checkpoint_report(demo.viewer("sponsor"), kickoff)
    assert row.actual is not None
    assert row.actual_on <= kickoff.on
    assert row.forecast is not None
    assert row.metric.target is not None
    # The kickoff's own approved recommendation is meant to move it (review 20 finding 14);
    # the pilot's preview, approved after this checkpoint's day, is not credited to it.
    shown = [(r.link.direction, r.rec.title, r.decision.outcome) for r in row.recommendations]
    assert shown == [("up", "Ask for the PO number when a customer is set up", "approved")]
    pilot = Checkpoint.objects.get(debrief__session=demo.sessions["held"], months=3)
    [row] = selectors_scorecards.checkpoint_report(demo.viewer("sponsor"), pilot)
    assert [r.rec.title for r in row.recommendations] == [
        "Ask for the PO number when a customer is set up",
        "Show a preview of the first invoice before it is sent",
    ]


def test_has_customer_priorities_in_several_statuses_and_a_delivery(demo: Demo) -> None:
    from traction.loop.models import Delivery, PriorityStatus

    published = dict(
        PriorityStatus.objects.filter(published_at__isnull=False).values_list(
            "priority__text", "status"
        )
    )
    assert published == {
        "A preview of the first invoice before it goes out": "delivered",
        "The first invoice is correct the first time": "in_progress",
        "Invoice language per customer": "planned",
        "A named onboarding buddy for the first month": "not_planned",
        "We re-key every customer from our ERP by hand": "under_consideration",
        "Import customers from a CSV or straight from the ERP": "heard",
    }
    pending = PriorityStatus.objects.get(published_at__isnull=True, archived_at__isnull=True)
    assert pending.status == "under_consideration"
    assert pending.approvals.filter(state="pending").exists()
    delivery = Delivery.objects.get()
    assert delivery.on < TODAY
    assert delivery.links.count() == 2


def test_has_updates_in_every_state_and_a_reply(demo: Demo) -> None:
    from traction.insights.models import Insight
    from traction.loop.models import Reply, Update, UpdateRecipient

    states = set(Update.objects.values_list("state", flat=True))
    assert states == {"draft", "awaiting", "approved", "sent", "discarded"}
    sent = Update.objects.get(state="sent")
    assert sent.customer is not None
    assert sent.customer.name == "Juniper & Finch Architects"
    assert set(UpdateRecipient.objects.filter(update=sent).values_list("state", flat=True)) == {
        "sent"
    }
    reply = Reply.objects.get()
    said = Insight.objects.get(pk=reply.insight_id)
    assert said.speaker_contact_id == reply.recipient.contact_id
    assert said.customer_id == sent.customer_id


def test_the_printed_portal_link_opens_the_customers_view(demo: Demo) -> None:
    """What `make run` prints for the customer's side works: the link signs the pilot
    contact in, and the portal shows the update sent to them and their priorities' statuses,
    none of another organisation's words."""
    from urllib.parse import urlsplit

    from django.test import Client

    from traction.loop.models import Update

    client = Client()
    opened = client.get(urlsplit(demo.portal_url).path)
    assert opened.status_code == 302
    home = client.get("/portal/")
    assert home.status_code == 200
    page = home.content.decode()
    sent = Update.objects.get(state="sent")
    assert sent.subject in page
    assert "A preview of the first invoice before it goes out" in page  # their words, delivered
    assert "Delivered" in page
    assert "We re-key every customer from our ERP by hand" not in page  # Brightwater's words
