"""A session ready to capture: two customers from two organisations and segments invited
(Gina of Globex, mid-market; Ivy of Initech, enterprise), Cora taking notes, Olive observing,
and a scenario "Team Blue" with three steps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from traction.core.testing.cast import Cast
from traction.core.testing.snapshot import built_on
from traction.customers import services as customer_services
from traction.customers.models import Contact
from traction.insights import services
from traction.insights.models import Insight, Scenario, Step
from traction.sessions import services as session_services
from traction.sessions.models import Invitation, Session


@dataclass
class Room:
    cast: Cast
    session: Session
    gina: Contact
    ivy: Contact
    gina_invitation: Invitation
    ivy_invitation: Invitation
    scenario: Scenario
    steps: list[Step]

    def speaker(self, who: str) -> str:
        """A speaker key: "gina", "ivy", or a principal of the cast ("core_team")."""
        if who in ("gina", "ivy"):
            return f"c:{getattr(self, who).pk}"
        return f"u:{self.cast.users[who].pk}"


def build_room(cast: Cast) -> Room:
    fran = cast.viewer("facilitator")
    start = timezone.now() + timedelta(days=1)
    session = session_services.plan_session(
        fran,
        program=cast.program,
        title="Onboarding co-design",
        starts_at=start,
        ends_at=start + timedelta(hours=3),
    )
    session_services.add_participant(
        fran, session=session, user_id=cast.users["core_team"].pk, role="note_taker"
    )
    session_services.add_participant(
        fran, session=session, user_id=cast.users["observer"].pk, role="observer"
    )
    # Gina: her account owner Owen approves the facilitator's request.
    gina_request = session_services.decide_outreach(
        cast.viewer("account_owner"),
        request=session_services.request_outreach(fran, session=session, contact=cast.contact),
        approve=True,
    )
    gina_invitation = session_services.send_invitation(fran, request=gina_request)
    ivy = customer_services.add_contact(
        fran,
        customer=cast.other_customer,
        name="Ivy Initech",
        email="ivy@initech.test",
        consent_to_contact=True,
    )
    # Initech gets Alice (the admin) as its account owner; she approves Ivy.
    customer_services.update_customer(
        fran, customer=cast.other_customer, changes={"account_owner_id": cast.users["admin"].pk}
    )
    ivy_request = session_services.decide_outreach(
        cast.viewer("admin"),
        request=session_services.request_outreach(fran, session=session, contact=ivy),
        approve=True,
    )
    ivy_invitation = session_services.send_invitation(fran, request=ivy_request)
    scenario = services.create_scenario(
        fran,
        session=session,
        title="Team Blue",
        outcome="Pay the first invoice within a day of signing",
        team=[cast.contact.pk, ivy.pk],
        steps=["Sign the contract", "Set up billing", "First invoice"],
    )
    return Room(
        cast=cast,
        session=session,
        gina=cast.contact,
        ivy=ivy,
        gina_invitation=gina_invitation,
        ivy_invitation=ivy_invitation,
        scenario=scenario,
        steps=list(scenario.steps.order_by("position")),
    )


def a_card(room: Room, text: str = "The first invoice is right") -> Insight:
    """One card customers can vote on (Gina's moment of truth): voting opens only with one."""
    return services.capture_insight(
        room.cast.viewer("facilitator"),
        session=room.session,
        kind="moment_of_truth",
        text=text,
        speaker=room.speaker("gina"),
        step_id=room.steps[0].pk,
    )


@pytest.fixture
def room(cast: Cast) -> Room:
    # Built through the services once per process, its rows inserted again for each test.
    return built_on(cast, build_room)
