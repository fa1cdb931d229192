"""A portal world: Hank at Globex (owned by Owen) accepted his invitation to "Onboarding
day"; his colleague Gail was there too; Ian (Initech, another customer) spoke in the same
session; Fran made an internal remark and someone an unattributed note. Hank was not invited
to "Renewals day" (another program), and the rival workspace has a session of its own."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from traction.core.testing.cast import Cast
from traction.core.testing.snapshot import built_on
from traction.customers import services as customer_services
from traction.customers.models import Contact
from traction.insights import services as insight_services
from traction.insights.models import Insight
from traction.portal import services
from traction.sessions import rsvp
from traction.sessions import services as session_services
from traction.sessions.models import Invitation, Session

TOKEN = re.compile(r"https?://\S+/portal/in/(\S+?)/")


@dataclass
class PortalWorld:
    cast: Cast
    session: Session
    renewals: Session
    rival: Session
    hank: Invitation
    gail: Invitation
    ian: Invitation
    cards: dict[str, Insight]


def invite(cast: Cast, decider: str, session: Session, customer: Any, name: str) -> Invitation:
    planner = cast.viewer("stranger" if decider == "stranger" else "facilitator")
    contact = customer_services.add_contact(
        planner,
        customer=customer,
        name=name,
        email=f"{name.split()[0].lower()}{session.pk}@example.test",
        consent_to_contact=True,
    )
    request = session_services.request_outreach(planner, session=session, contact=contact)
    if request.status == "pending":
        request = session_services.decide_outreach(
            cast.viewer(decider), request=request, approve=True
        )
    invitation = session_services.send_invitation(planner, request=request)
    session_services.respond_rsvp(
        rsvp.RSVP.principal(rsvp.make_token(invitation.pk, contact.pk)), accept=True
    )
    return invitation


def build_world(cast: Cast) -> PortalWorld:
    fran = cast.viewer("facilitator")
    customer_services.update_customer(
        cast.viewer("admin"),
        customer=cast.other_customer,
        changes={"account_owner_id": cast.users["admin"].pk},
    )
    customer_services.update_customer(
        cast.viewer("stranger"),
        customer=cast.rival_customer,
        changes={"account_owner_id": cast.users["stranger"].pk},
    )
    start = timezone.now() + timedelta(days=7)
    session = session_services.plan_session(
        fran,
        program=cast.program,
        title="Onboarding day",
        starts_at=start,
        ends_at=start + timedelta(hours=3),
    )
    renewals = session_services.plan_session(
        fran,
        program=cast.other_program,
        title="Renewals day",
        starts_at=start,
        ends_at=start + timedelta(hours=3),
    )
    rival = session_services.plan_session(
        cast.viewer("stranger"),
        program=cast.rival_program,
        title="Rival day",
        starts_at=start,
        ends_at=start + timedelta(hours=3),
    )
    session_services.add_participant(
        fran, session=session, user_id=cast.users["facilitator"].pk, role="facilitator"
    )
    hank = invite(cast, "account_owner", session, cast.customer, "Hank Globex")
    gail = invite(cast, "account_owner", session, cast.customer, "Gail Globex")
    ian = invite(cast, "admin", session, cast.other_customer, "Ian Initech")
    # Gail also spoke at Renewals day, where Hank was not: her words are still Globex's.
    gail_renewals = invite(cast, "account_owner", renewals, cast.customer, "Gail2 Globex")
    rita = invite(cast, "stranger", rival, cast.rival_customer, "Rita Rival")

    def card(s: Session, speaker: str, text: str, by: str = "facilitator") -> Insight:
        return insight_services.capture_insight(
            cast.viewer(by), session=s, kind="issue", text=text, speaker=speaker
        )

    cards = {
        "hank": card(session, f"c:{hank.contact_id}", "Hank: the setup wizard loses my data"),
        "gail": card(session, f"c:{gail.contact_id}", "Gail: invoices arrive too late"),
        "ian": card(session, f"c:{ian.contact_id}", "Ian: Initech needs single sign-on"),
        "internal": card(
            session, f"u:{cast.users['facilitator'].pk}", "Fran: internal, they will churn"
        ),
        "unattributed": card(session, "", "Someone: unattributed note"),
        "gail_renewals": card(
            renewals, f"c:{gail_renewals.contact_id}", "Gail2: renewals are a surprise"
        ),
        "rita": card(rival, f"c:{rita.contact_id}", "Rita: rival words", by="stranger"),
    }
    return PortalWorld(cast, session, renewals, rival, hank, gail, ian, cards)


@pytest.fixture
def world(cast: Cast) -> PortalWorld:
    # Built through the services once per process, its rows inserted again for each test.
    return built_on(cast, build_world)


def link_for(contact: Contact, capture: Callable[..., Any], by: Any = None) -> str:
    """Send ``contact`` a portal link as ``by`` (a member viewer) and return the token read
    from the email that carried it (the only place it exists)."""
    mail.outbox.clear()
    with capture(execute=True):
        services.send_link(by, contact=contact)
    [message] = [m for m in mail.outbox if contact.email in m.to]
    found = TOKEN.search(message.body)
    assert found, message.body
    return found.group(1)
