"""The demo's debriefs: who decides, the held pilot session's completed debrief (on time,
two recommendations decided, action items under way, a scorecard with six months of
measurements), a customer advisory board meeting whose debrief is late (two customers'
cards and dots to draft from), and the program's kickoff four months ago, whose closed
debrief's 3-month results checkpoint has been reached.

The pilot's debrief is run on the day after the session, with the clock set to that morning,
so every stamp (opened, decided, closed) and the clock's record read as they would have.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from traction.accounts import services as accounts
from traction.accounts.models import Membership
from traction.core import clock
from traction.insights.models import Insight
from traction.programs import services as programs
from traction.sessions import services as sessions
from traction.sessions.models import Session, SessionKind
from traction.sessions.rsvp import customer_principal

from .common import Demo, at_time, contact_of, owner_of

if TYPE_CHECKING:
    from traction.debrief.models import ScorecardMetric

# Each person's part of the company (the debrief's cross-functional check).
FUNCTIONS = {
    "admin": "operations",
    "facilitator": "success",
    "facilitator2": "design",
    "product": "product",
    "support": "support",
    "finance": "finance",
    "sponsor": "success",
    "owner": "sales",
    "owner2": "sales",
    "observer": "marketing",
}


def _local(day: date, hour: int, tz: str) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=clock.zone(tz))


def add_debriefs(demo: Demo) -> None:
    """Functions, policy makers, the pilot's completed debrief and a late one."""
    from traction.debrief.models import Debrief
    from traction.debrief.services import actions, closing, recommendations, room, scorecards

    ana, felix = demo.viewer("admin"), demo.viewer("facilitator")
    assert demo.workspace is not None
    for key, function in FUNCTIONS.items():
        membership = Membership.objects.get(workspace=demo.workspace, user=demo.users[key])
        accounts.set_member_function(ana, membership=membership, function=function)
    onboarding = demo.programs["onboarding"]
    programs.add_policy_maker(
        ana, program=onboarding, user_id=demo.users["support"].pk, responsibility="Support budget"
    )
    programs.add_policy_maker(
        ana,
        program=onboarding,
        user_id=demo.users["finance"].pk,
        responsibility="Billing operations",
    )

    # The kickoff, four months ago, first: its debrief created the program's metric.
    metric = _kickoff(demo)

    held = demo.sessions["held"]
    sessions.mark_session_held(felix, session=held)
    held.refresh_from_db()
    debrief = Debrief.objects.get(session=held)
    cards = {
        i.text: i
        for i in Insight.objects.filter(session=held).only("pk", "text", "kind", "program_id")
    }
    morning = _local(held.local_end.date() + timedelta(days=1), 9, held.time_zone)
    vera, sofia, finn = demo.viewer("sponsor"), demo.viewer("support"), demo.viewer("finance")
    paul = demo.viewer("product")
    with clock.frozen(morning) as frozen:
        debrief = room.open_debrief(felix, debrief)
        preview = recommendations.draft_recommendation(
            paul,
            debrief,
            title="Show a preview of the first invoice before it is sent",
            evidence=[
                cards["A preview of the first invoice before it goes out"].pk,
                cards["The first invoice is correct the first time"].pk,
            ],
            rationale="The customers' top moment of truth; the preview endpoint exists already.",
            kind="tactical",
            horizon="quick_win",
            impact="high",
            effort="low",
            customer_summary="A preview of your first invoice, exactly as your customer "
            "sees it, before it goes out.",
            owning_team="Onboarding product team",
        )
        erp = recommendations.draft_recommendation(
            finn,
            debrief,
            title="Import customers from a CSV file during onboarding",
            evidence=[
                cards["We re-key every customer from our ERP by hand"].pk,
                cards["Import customers from a CSV or straight from the ERP"].pk,
            ],
            rationale="Re-keying customers by hand delays the first invoice by days.",
            kind="strategic",
            horizon="quarter",
            impact="high",
            effort="medium",
            customer_summary="Bring your customer list in one file instead of typing it.",
        )
        language = recommendations.draft_recommendation(
            paul,
            debrief,
            title="Send invoices in each customer's own language",
            evidence=[
                cards["Invoices go out in English only; our customers are Dutch"].pk,
                cards["Invoice language per customer"].pk,
            ],
            rationale="Dutch customers' customers cannot read an English invoice; the "
            "templates already exist in Dutch.",
            kind="tactical",
            horizon="quarter",
            impact="medium",
            effort="low",
            customer_summary="Invoices in the language of each of your customers.",
            owning_team="Onboarding product team",
        )
        buddy = recommendations.draft_recommendation(
            felix,
            debrief,
            title="Give every new customer a named onboarding buddy",
            evidence=[cards["A named onboarding buddy for the first month"].pk],
            rationale="Juniper & Finch did not know whom to call after signing.",
            kind="strategic",
            horizon="quarter",
            impact="low",
            effort="high",
            customer_summary="A named person for your first month with us.",
        )
        frozen.advance(hours=1)
        language = recommendations.decide(
            vera,
            language,
            "approved",
            "Cheap: the Dutch templates exist; it needs a setting per customer.",
            version=language.version,
        )
        buddy = recommendations.decide(
            sofia,
            buddy,
            "rejected",
            "A named contact in the welcome email answers it without a buddy per customer.",
            version=buddy.version,
        )
        preview = recommendations.decide(
            vera,
            preview,
            "approved",
            "Cheap, and it answers the first moment of truth directly.",
            version=preview.version,
        )
        erp = recommendations.decide(
            finn,
            erp,
            "deferred",
            "Needs next quarter's budget; we decide it in the quarterly planning.",
            revisit_on=demo.today + timedelta(days=60),
            version=erp.version,
        )
        frozen.advance(minutes=30)
        editor = actions.create_action(
            felix,
            recommendation=preview,
            title="Put the existing invoice preview into the invoice editor",
            owner_id=demo.users["product"].pk,
            planned_start=morning.date() + timedelta(days=1),
            due_on=morning.date() + timedelta(days=14),
        )
        walkthrough = actions.create_action(
            felix,
            recommendation=preview,
            title="Walk every new customer through the preview in their first week",
            owner_id=demo.users["support"].pk,
            contributor_ids=[demo.users["facilitator"].pk],
            planned_start=morning.date() + timedelta(days=10),
            due_on=demo.today + timedelta(days=10),
            customer_visible=True,
        )
        actions.create_action(
            felix,
            recommendation=language,
            title="Choose the invoice language per customer in billing settings",
            owner_id=demo.users["product"].pk,
            planned_start=demo.today + timedelta(days=20),
            due_on=demo.today + timedelta(days=50),
            customer_visible=True,
        )
        # The metric the kickoff created: this session's customers named it too.
        metric.refresh_from_db()
        metric = scorecards.update_metric(
            felix,
            metric=metric,
            changes={},
            version=metric.version,
            serves_ids=[
                *metric.serves.values_list("pk", flat=True),
                cards["First invoice paid within 1 day of sending"].pk,
            ],
        )
        # The approved preview is meant to move it too: the pilot's checkpoints show it.
        recommendations.update_recommendation(
            felix,
            preview,
            changes={"metrics": [{"metric_id": metric.pk, "direction": "up"}]},
            version=preview.version,
        )
        frozen.advance(hours=1)
        attendance = {a.user_id: True for a in debrief.attendees.all()}
        attendance[demo.users["facilitator"].pk] = True
        debrief.refresh_from_db()
        closing.close_debrief(
            felix,
            debrief=debrief,
            attendance=attendance,
            note="Every recommendation decided: the preview ships as a quick win, invoices "
            "follow each customer's language next, CSV import waits for next quarter's "
            "budget, and no onboarding buddy.",
            undecided=[],
            version=debrief.version,
        )
    # Six months of weekly measurements, the preview's effect showing in the last weeks.
    values = [38, 37, 39, 38, 40, 39, 38, 41, 40, 39, 40, 41, 39, 40, 42, 41, 40, 41, 42, 41]
    values += [43, 46, 49, 51, 52, 54]
    scorecards.record_measurements(
        felix,
        entries=[
            scorecards.Entry(
                metric=metric,
                on=demo.today - timedelta(weeks=len(values) - 1 - n),
                value=Decimal(v),
                note="The invoice preview shipped." if n == len(values) - 3 else "",
            )
            for n, v in enumerate(values)
        ],
    )
    with clock.frozen(morning + timedelta(days=2)):
        actions.change_status(
            paul, editor, "in_progress", "Started: the preview opens from the editor's toolbar."
        )
    with clock.frozen(morning + timedelta(days=12)):
        editor.refresh_from_db()
        actions.change_status(paul, editor, "done", "Shipped to every new customer.")
    with clock.frozen(morning + timedelta(days=11)):
        walkthrough.refresh_from_db()
        actions.change_status(
            sofia, walkthrough, "in_progress", "Added to the week-one call script."
        )

    # A customer advisory board meeting four days ago: held, its debrief late, with two
    # customers' cards and dots, so that its room has a brief to draft from.
    cab = sessions.plan_session(
        felix,
        program=onboarding,
        kind=SessionKind.CAB,
        title="Customer advisory board: autumn review",
        starts_at=at_time(demo.today, 1, 14),
        ends_at=at_time(demo.today, 1, 16),
        time_zone="Europe/Berlin",
        video_link="https://meet.northwind.example/cab-spring",
    )
    _with_customers(demo, cab, CAB_CUSTOMERS, CAB_INSIGHTS, CAB_VOTES)
    cab = sessions.update_session(
        felix,
        session=cab,
        changes={"starts_at": at_time(demo.today, -4, 14), "ends_at": at_time(demo.today, -4, 16)},
    )
    sessions.mark_session_held(felix, session=cab)
    demo.sessions["cab"] = cab

    # Checkpoints are made when a debrief closes and reached by the periodic job: the
    # kickoff's 3-month checkpoint has come (the pilot's are ahead).
    scorecards.reach_checkpoints()


def _kickoff(demo: Demo) -> ScorecardMetric:
    """The program's first co-design session, four months ago: its debrief ran the next
    morning, created the program's scorecard metric, approved one recommendation meant to
    move it and closed, so its 3-month results checkpoint has been reached (the metric read
    against its forecast and target, beside that recommendation). The metric, which the
    pilot's debrief links its own recommendation to."""
    from traction.debrief import selectors_pack
    from traction.debrief.models import Debrief
    from traction.debrief.services import closing, recommendations, room, scorecards
    from traction.debrief.services.closing import Revisit

    felix, vera, paul = demo.viewer("facilitator"), demo.viewer("sponsor"), demo.viewer("product")
    kickoff = sessions.plan_session(
        felix,
        program=demo.programs["onboarding"],
        title="Co-design: onboarding kickoff",
        starts_at=at_time(demo.today, 2, 9),
        ends_at=at_time(demo.today, 2, 12),
        time_zone="Europe/Berlin",
        location="Northwind office, Berlin",
    )
    cards = _with_customers(demo, kickoff, KICKOFF_CUSTOMERS, KICKOFF_INSIGHTS, KICKOFF_VOTES)
    kickoff = sessions.update_session(
        felix,
        session=kickoff,
        changes={
            "starts_at": at_time(demo.today, -120, 9),
            "ends_at": at_time(demo.today, -120, 12),
        },
    )
    with clock.frozen(_local(demo.today - timedelta(days=120), 14, kickoff.time_zone)):
        sessions.mark_session_held(felix, session=kickoff)
    kickoff.refresh_from_db()
    morning = _local(kickoff.local_end.date() + timedelta(days=1), 9, kickoff.time_zone)
    with clock.frozen(morning) as frozen:
        debrief = room.open_debrief(felix, Debrief.objects.get(session=kickoff))
        po = recommendations.draft_recommendation(
            paul,
            debrief,
            title="Ask for the PO number when a customer is set up",
            evidence=[
                cards[KICKOFF_INSIGHTS[0][2]].pk,
                cards["Ask for the PO number when the customer is set up"].pk,
            ],
            rationale="A missing PO number is the first reason a first invoice goes unpaid.",
            kind="tactical",
            horizon="quick_win",
            impact="high",
            effort="low",
            customer_summary="We ask for your PO number once, when you are set up.",
            owning_team="Onboarding product team",
        )
        metric = scorecards.create_metric(
            felix,
            program=demo.programs["onboarding"],
            debrief=debrief,
            name="First invoices paid within a day",
            serves_ids=[cards["First invoices paid without a reminder"].pk],
            definition="Share of new customers whose first invoice is paid within one day "
            "of being sent.",
            unit="%",
            direction="up",
            frequency="weekly",
            data_source="Billing warehouse, weekly export",
            owner_id=demo.users["finance"].pk,
            baseline=Decimal("38"),
            baseline_on=demo.today - timedelta(weeks=26),
            target=Decimal("70"),
            target_on=demo.today + timedelta(weeks=26),
            forecast=[
                {"on": (demo.today - timedelta(weeks=4)).isoformat(), "value": "40"},
                {"on": (demo.today + timedelta(weeks=12)).isoformat(), "value": "55"},
            ],
        )
        po = recommendations.update_recommendation(
            felix,
            po,
            changes={"metrics": [{"metric_id": metric.pk, "direction": "up"}]},
            version=po.version,
        )
        frozen.advance(hours=1)
        recommendations.decide(
            vera, po, "approved", "Cheap, and it removes the first reason.", version=po.version
        )
        frozen.advance(hours=1)
        debrief.refresh_from_db()
        later = clock.today() + timedelta(days=30)
        attendance = {a.user_id: True for a in debrief.attendees.all()}
        attendance[demo.users["facilitator"].pk] = True
        closing.close_debrief(
            felix,
            debrief=debrief,
            attendance=attendance,
            note="The PO number is asked at set-up; sending forty first invoices by hand "
            "comes back with the pilot.",
            undecided=[
                Revisit(card.insight_id, later)
                for card in selectors_pack.undecided_priorities(felix, debrief)
            ],
            version=debrief.version,
        )
    return metric


# The advisory board's two customers and what they said: (kind, speaker, text); their dots.
CAB_CUSTOMERS = {"hel": ("Helios Energy Cooperative", 0), "mer": ("Meridian Health Partners", 0)}
CAB_INSIGHTS = [
    ("issue", "hel", "Our ERP team learns about a new invoice field from our customers"),
    ("issue", "mer", "Credit notes take a support ticket and two days"),
    ("idea", "hel", "A sandbox company to try billing changes before go-live"),
    ("idea", "mer", "Issue a credit note from the invoice page"),
    ("customer_metric", "mer", "Credit notes issued the same day"),
]
CAB_VOTES = [
    ("hel", "Our ERP team learns about a new invoice field from our customers", 2),
    ("hel", "Issue a credit note from the invoice page", 1),
    ("mer", "Credit notes take a support ticket and two days", 2),
    ("mer", "Issue a credit note from the invoice page", 1),
]
# The kickoff, four months ago: the first co-design of the onboarding program.
KICKOFF_CUSTOMERS = {"kes": ("Kestrel Freight Systems", 0), "cob": ("Cobalt Dental Group", 0)}
KICKOFF_INSIGHTS = [
    ("issue", "kes", "Half our first invoices come back unpaid because a PO number is missing"),
    ("idea", "kes", "Ask for the PO number when the customer is set up"),
    ("issue", "cob", "Forty clinics, forty first invoices, all sent by hand"),
    ("customer_metric", "cob", "First invoices paid without a reminder"),
]
KICKOFF_VOTES = [
    ("kes", "Half our first invoices come back unpaid because a PO number is missing", 2),
    ("kes", "Ask for the PO number when the customer is set up", 1),
    ("cob", "Half our first invoices come back unpaid because a PO number is missing", 1),
    ("cob", "Forty clinics, forty first invoices, all sent by hand", 2),
]


def _with_customers(
    demo: Demo,
    session: Session,
    customers: dict[str, tuple[str, int]],
    said: list[tuple[str, str, str]],
    votes: list[tuple[str, str, int]],
) -> dict[str, Insight]:
    """A session planned ahead gets its facilitator and note taker, two customers invited
    (asked, approved by their account owners, accepted), what they said and their dots;
    the caller then moves it into the past, as the pilot's was."""
    from traction.insights import services as insights
    from traction.voting import services as voting

    felix, paul = demo.viewer("facilitator"), demo.viewer("product")
    for key, role in [("facilitator", "facilitator"), ("product", "note_taker")]:
        sessions.add_participant(felix, session=session, user_id=demo.users[key].pk, role=role)
    people = {}
    for who, (customer, index) in customers.items():
        contact = contact_of(demo, customer, index)
        request = sessions.request_outreach(felix, session=session, contact=contact)
        if request.status == "pending":
            sessions.decide_outreach(owner_of(demo, request), request=request, approve=True)
        invitation = sessions.send_invitation(felix, request=request)
        sessions.respond_rsvp(customer_principal(invitation.pk, contact.pk), accept=True)
        people[who] = contact
    cards = {
        text: insights.capture_insight(
            paul, session=session, kind=kind, text=text, speaker=f"c:{people[who].pk}"
        )
        for kind, who, text in said
    }
    voting.open_voting(felix, session=session, budget=3)
    for who, text, dots in votes:
        for _ in range(dots):
            voting.add_dot(
                felix, session=session, contact_id=people[who].pk, insight_id=cards[text].pk
            )
    voting.close_voting(felix, session=session)
    return cards
