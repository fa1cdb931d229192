"""The pack area's test data, in one place: a held co-design session with a closed round
and a debrief in the room, made with the ORM for the debrief's rows (the room, actions and
scorecard services are written in parallel; the lead can switch this module to them).

The session is voting's test room (``traction.voting.tests.test_voting.build_room``): Gina
and Gus of Globex (owned by Owen, the account owner), Ian and Iris of Initech, whose owner
here is Alice (the admin). Dots: "The first invoice arrives" (Gina) 3, "Approval takes three
weeks" (Ian) 2, "Let us pay by card" (Gus) 2, "Nobody answers the phone" (Iris) 1.

The debrief: Fran (facilitator), Cora (core team) and Sam (sponsor, a policy maker) asked;
Petra (finance) is a named policy maker who was not asked; Olive and Owen are members who
were not asked. Recommendations: "Send the first invoice on signing day" (evidence: Gina's
moment of truth) approved by Sam with two action items; "Fast-track enterprise approvals"
(Ian's issue) deferred by Petra; "Staff the phone line" (Iris's issue) drafted, not decided.
So the top priorities left undecided are Gus's idea and Iris's issue. The scorecard: "Days
to first invoice" (baseline 21, target 1, latest 14) and "Invoices paid on time".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from traction.accounts import services as accounts
from traction.accounts.models import Membership, User
from traction.core import clock
from traction.core.testing.cast import PASSWORD, Cast
from traction.customers import services as customer_services
from traction.customers.models import Contact, Customer
from traction.debrief.models import (
    ActionItem,
    Attendee,
    Debrief,
    DebriefStatus,
    Decision,
    DecisionOutcome,
    Direction,
    Evidence,
    Measurement,
    Recommendation,
    RecommendationMetric,
    ScorecardMetric,
)
from traction.insights.models import Insight
from traction.programs.models import PolicyMaker
from traction.sessions.models import Invitation, OutreachRequest, OutreachStatus, Session
from traction.voting import services as voting
from traction.voting.tests.test_voting import add, build_room


@dataclass
class PackWorld:
    cast: Cast
    session: Session
    cards: dict[str, Insight]
    debrief: Debrief
    petra: User
    una: User
    umbrella: Customer
    recs: dict[str, Recommendation]
    actions: list[ActionItem]
    metrics: list[ScorecardMetric]

    @property
    def url(self) -> str:
        return f"/w/{self.cast.acme.slug}/debriefs/{self.debrief.pk}/"


def member(cast: Cast, email: str, name: str, role: str, function: str = "") -> User:
    user = accounts.create_user(email=email, full_name=name, password=PASSWORD)
    accounts.add_member(None, workspace=cast.acme, user=user, role=role)
    if function:
        Membership.objects.filter(user=user).update(function=function)
    return user


def decide(
    rec: Recommendation, by: User, role: str, outcome: str, reason: str, revisit: date | None = None
) -> None:
    now = clock.now()
    Recommendation.objects.filter(pk=rec.pk).update(
        outcome=outcome,
        decision_reason=reason,
        revisit_on=revisit,
        decided_at=now,
        decided_by=by,
        decided_as=role,
    )
    Decision.objects.create(
        workspace_id=rec.workspace_id,
        recommendation=rec,
        outcome=outcome,
        reason=reason,
        revisit_on=revisit,
        decided_by=by,
        decided_by_label=by.email,
        decided_as=role,
    )
    rec.refresh_from_db()


def recommend(d: Debrief, title: str, card: Insight, by: User, **kw: object) -> Recommendation:
    rec = Recommendation.objects.create(
        workspace_id=d.workspace_id, debrief=d, program=d.program, title=title, created_by=by, **kw
    )
    Evidence.objects.create(recommendation=rec, insight=card, added_by=by)
    return rec


def build_pack_world(cast: Cast, *, decided: bool = True) -> PackWorld:
    """The world above; ``decided=False`` leaves every recommendation undecided (an empty
    debrief)."""
    fran = cast.viewer("facilitator")
    room = build_room(cast)
    assert cast.other_customer is not None
    assert cast.customer is not None
    customer_services.update_customer(
        fran, customer=cast.other_customer, changes={"account_owner_id": cast.users["admin"].pk}
    )
    voting.open_voting(fran, session=room.session)
    add(cast, room, room.gina, "mot", 2)
    add(cast, room, room.gus, "mot")
    add(cast, room, room.ian, "issue", 2)
    add(cast, room, room.gus, "idea", 2)
    add(cast, room, room.iris, "issue2")
    voting.close_voting(fran, session=room.session)

    # Umbrella: a third customer whose contact was invited, owned by Una; nothing she said.
    una = member(cast, "una@acme.test", "Una Owner", "account_owner")
    umbrella = Customer.objects.create(
        workspace=cast.acme, name="Umbrella", segment="enterprise", account_owner=una
    )
    uma = Contact.objects.create(
        workspace=cast.acme, customer=umbrella, name="Uma Umbrella", email="uma@umbrella.test"
    )
    outreach = OutreachRequest.objects.create(
        workspace=cast.acme,
        session=room.session,
        contact=uma,
        account_owner=una,
        requested_by=cast.users["facilitator"],
        status=OutreachStatus.APPROVED,
        decided_by=una,
    )
    Invitation.objects.create(
        workspace=cast.acme, session=room.session, outreach=outreach, contact=uma
    )

    petra = member(cast, "petra@acme.test", "Petra Policy", "core_team", "finance")
    assert cast.program is not None
    PolicyMaker.objects.create(program=cast.program, user=petra, responsibility="Finance budget")

    session = room.session
    now = clock.now()
    d = Debrief.objects.update_or_create(  # the debrief booked with the session
        session=session,
        defaults={
            "workspace": cast.acme,
            "program": cast.program,
            "status": DebriefStatus.OPEN,
            "due_at": session.ends_at + timedelta(hours=24),
            "starts_at": session.ends_at + timedelta(hours=2),
            "ends_at": session.ends_at + timedelta(hours=5),
            "opened_at": now,
            "opened_by": cast.users["facilitator"],
            "phase": "close",
        },
    )[0]
    for who, pm, response in (
        ("facilitator", False, "accepted"),
        ("core_team", False, "accepted"),
        ("sponsor", True, "accepted"),
    ):
        Attendee.objects.update_or_create(  # some were invited when it was booked
            debrief=d,
            user=cast.users[who],
            defaults={"is_policy_maker": pm, "response": response},
        )

    cora, sam = cast.users["core_team"], cast.users["sponsor"]
    recs = {
        "invoice": recommend(
            d,
            "Send the first invoice on signing day",
            room.cards["mot"],
            cora,
            rationale="Customers wait weeks for the first invoice.",
            owning_team="Billing",
            kind="tactical",
            horizon="quick_win",
        ),
        "approvals": recommend(
            d, "Fast-track enterprise approvals", room.cards["issue"], cora, owning_team="Sales"
        ),
        "phone": recommend(d, "Staff the phone line", room.cards["issue2"], cora),
    }
    today = clock.today()
    actions: list[ActionItem] = []
    if decided:
        decide(
            recs["invoice"], sam, "Executive sponsor", DecisionOutcome.APPROVED,
            "The cheapest way to cut the days to the first invoice.",
        )  # fmt: skip
        decide(
            recs["approvals"], petra, "Policy maker (Finance budget)", DecisionOutcome.DEFERRED,
            "Wait for the new approval tool.", today + timedelta(days=60),
        )  # fmt: skip
        for title, owner, days in (
            ("Automate the invoice on signature", cora, 30),
            ("Tell new customers about same-day invoices", cast.users["facilitator"], 45),
        ):
            actions.append(
                ActionItem.objects.create(
                    workspace=cast.acme,
                    recommendation=recs["invoice"],
                    program=cast.program,
                    title=title,
                    owner=owner,
                    planned_start=today + timedelta(days=1),
                    due_on=today + timedelta(days=days),
                    created_by=cora,
                )
            )
    days = ScorecardMetric.objects.create(
        workspace=cast.acme,
        program=cast.program,
        debrief=d,
        name="Days to first invoice",
        definition="Days from signature to the first invoice sent.",
        unit="days",
        direction=Direction.DOWN,
        owner=cora,
        baseline=Decimal("21"),
        baseline_on=today - timedelta(days=30),
        target=Decimal("1"),
        target_on=today + timedelta(days=180),
    )
    on_time = ScorecardMetric.objects.create(
        workspace=cast.acme,
        program=cast.program,
        debrief=d,
        name="Invoices paid on time",
        unit="%",
        direction=Direction.UP,
        baseline=Decimal("62.5"),
        target=Decimal("90"),
    )
    for on, value in ((today - timedelta(days=20), "18"), (today - timedelta(days=5), "14")):
        Measurement.objects.create(workspace=cast.acme, metric=days, on=on, value=Decimal(value))
    RecommendationMetric.objects.create(
        recommendation=recs["invoice"], metric=days, direction="down"
    )
    d.refresh_from_db()
    return PackWorld(
        cast=cast,
        session=session,
        cards=room.cards,
        debrief=d,
        petra=petra,
        una=una,
        umbrella=umbrella,
        recs=recs,
        actions=actions,
        metrics=[days, on_time],
    )
