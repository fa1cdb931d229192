"""Customer contacts are principals of the one policy (their signed links are how they sign in).

A customer sees and does only what is theirs: their own invitation, their own session's open
round, their own ballot — never another customer's ballot, another session's cards, internal
remarks, or another customer's identity. Each case goes through the interface a customer uses
(the RSVP and ballot pages), with links signed by the real key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from traction.core import permissions
from traction.core.errors import PermissionDenied
from traction.core.permissions import CUSTOMER, CustomerPrincipal
from traction.core.testing.cast import Cast
from traction.customers import services as customer_services
from traction.insights import services as insight_services
from traction.insights.models import Insight
from traction.sessions import rsvp
from traction.sessions import services as session_services
from traction.sessions.models import Invitation, Session
from traction.voting import links
from traction.voting.models import Vote, VotingRound

pytestmark = pytest.mark.django_db


@dataclass
class Room:
    """A session a week ahead with two invited customers (Hank at Globex, Ian at Initech),
    a card by each, an internal remark, and open voting with a budget of 3."""

    session: Session
    hank: Invitation
    ian: Invitation
    hank_card: Insight
    ian_card: Insight
    internal: Insight


def _invite(cast: Cast, session: Session, customer: Any, name: str, email: str) -> Invitation:
    admin = cast.viewer("admin")
    contact = customer_services.add_contact(
        admin, customer=customer, name=name, email=email, consent_to_contact=True
    )
    request = session_services.request_outreach(admin, session=session, contact=contact)
    if customer.account_owner_id == cast.users["account_owner"].pk:
        request = session_services.decide_outreach(
            cast.viewer("account_owner"), request=request, approve=True
        )
    return session_services.send_invitation(admin, request=request)


def _room(cast: Cast, program: Any, title: str) -> Room:
    fran = cast.viewer("facilitator")
    customer_services.update_customer(
        cast.viewer("admin"),
        customer=cast.other_customer,
        changes={"account_owner_id": cast.users["admin"].pk},
    )
    start = timezone.now() + timedelta(days=7)
    session = session_services.plan_session(
        fran, program=program, title=title, starts_at=start, ends_at=start + timedelta(hours=3)
    )
    session_services.add_participant(
        fran, session=session, user_id=cast.users["facilitator"].pk, role="facilitator"
    )
    suffix = f"{session.pk}"
    hank = _invite(cast, session, cast.customer, "Hank Globex", f"hank{suffix}@globex.test")
    ian = _invite(cast, session, cast.other_customer, "Ian Second", f"ian{suffix}@initech.test")
    scenario = insight_services.create_scenario(
        fran, session=session, title="Team Blue", steps=["Sign up"]
    )
    step = scenario.steps.get()

    def card(speaker: str, text: str) -> Insight:
        return insight_services.capture_insight(
            fran, session=session, kind="issue", text=text, speaker=speaker, step_id=step.pk
        )

    room = Room(
        session=session,
        hank=hank,
        ian=ian,
        hank_card=card(f"c:{hank.contact_id}", f"Words of Hank in {title}"),
        ian_card=card(f"c:{ian.contact_id}", f"Words of Ian in {title}"),
        internal=card(f"u:{cast.users['facilitator'].pk}", f"Own remark of Fran in {title}"),
    )
    VotingRound.objects.create(workspace_id=session.workspace_id, session=session, budget=3)
    return room


def _ballot_url(invitation: Invitation) -> str:
    return f"/vote/{links.make_token(invitation.pk, invitation.contact_id)}/"


def _votes(room: Room) -> list[tuple[int, int, int]]:
    return sorted(
        Vote.objects.filter(session=room.session).values_list("contact_id", "insight_id", "dots")
    )


def test_a_customer_principal_is_granted_nothing_members_have(cast: Cast) -> None:
    room = _room(cast, cast.program, "Onboarding day")
    hank = CustomerPrincipal(
        contact_id=room.hank.contact_id,
        workspace_id=room.session.workspace_id,
        invitation_id=room.hank.pk,
        session_id=room.session.pk,
    )
    assert hank.role == CUSTOMER
    members_only = [
        action
        for action, rule in permissions.registry.rules.items()
        if rule.scope_for(CUSTOMER) is None
    ]
    assert {"insight.view", "voting.run", "customer.view", "session.view"} <= set(members_only)
    for action in ("insight.view", "customer.view", "session.view"):
        assert not permissions.allows(hank, action)
        with pytest.raises(PermissionDenied):
            permissions.scope(hank, action, Insight.objects.all())


def test_rules_refuse_to_grant_customers_the_whole_workspace() -> None:
    with pytest.raises(ValueError, match="customers are granted OWN"):
        permissions.rule("x.test", customer=permissions.ALL)
    with pytest.raises(ValueError, match="customers are granted OWN"):
        permissions.rule("x.test", customer=permissions.OWN)


def test_the_ballot_shows_the_own_session_without_other_customers_identity(cast: Cast) -> None:
    room = _room(cast, cast.program, "Onboarding day")
    page = Client().get(_ballot_url(room.hank)).content.decode()
    assert "Words of Hank in Onboarding day" in page
    assert "Words of Ian in Onboarding day" in page  # the room's cards, as text only
    assert "Own remark of Fran" not in page  # internal remarks are not customer input
    for identity in ("Ian Second", "Initech", f"ian{room.session.pk}@initech.test", "Fran"):
        assert identity not in page


def test_a_ballot_cannot_reach_another_sessions_cards(cast: Cast) -> None:
    room = _room(cast, cast.program, "Onboarding day")
    other = _room(cast, cast.other_program, "Renewals day")
    before = (_votes(room), _votes(other))
    response = Client().post(_ballot_url(room.hank), {f"card_{other.hank_card.pk}": "2"})
    assert response.status_code == 200
    assert (_votes(room), _votes(other)) == before
    page = Client().get(_ballot_url(room.hank)).content.decode()
    assert "Renewals day" not in page


def test_a_ballot_cannot_spend_dots_on_an_internal_remark(cast: Cast) -> None:
    room = _room(cast, cast.program, "Onboarding day")
    Client().post(_ballot_url(room.hank), {f"card_{room.internal.pk}": "2"})
    assert _votes(room) == []


def test_one_customers_link_never_votes_for_another(cast: Cast) -> None:
    room = _room(cast, cast.program, "Onboarding day")
    # A token signed with the real key, for Ian's invitation but Hank's contact id.
    forged = links.make_token(room.ian.pk, room.hank.contact_id)
    response = Client().post(f"/vote/{forged}/", {f"card_{room.ian_card.pk}": "3"})
    assert response.status_code == 404
    assert _votes(room) == []


def test_a_voting_link_is_not_an_rsvp_link_and_the_reverse(cast: Cast) -> None:
    room = _room(cast, cast.program, "Onboarding day")
    vote_token = links.make_token(room.hank.pk, room.hank.contact_id)
    rsvp_token = rsvp.make_token(room.hank.pk, room.hank.contact_id)
    assert Client().get(f"/rsvp/{vote_token}/").status_code == 404
    assert Client().get(f"/vote/{rsvp_token}/").status_code == 404
    assert Client().post(f"/rsvp/{vote_token}/", {"answer": "decline"}).status_code == 404
    room.hank.refresh_from_db()
    assert room.hank.rsvp != "declined"


def test_a_closed_round_takes_no_more_dots_from_a_link(cast: Cast) -> None:
    room = _room(cast, cast.program, "Onboarding day")
    Client().post(_ballot_url(room.hank), {f"card_{room.ian_card.pk}": "2"})
    assert _votes(room) == [(room.hank.contact_id, room.ian_card.pk, 2)]
    VotingRound.objects.filter(session=room.session).update(closed_at=timezone.now())
    Client().post(_ballot_url(room.hank), {f"card_{room.ian_card.pk}": "3"})
    assert _votes(room) == [(room.hank.contact_id, room.ian_card.pk, 2)]


def test_an_rsvp_answers_only_the_own_invitation(cast: Cast) -> None:
    room = _room(cast, cast.program, "Onboarding day")
    forged = rsvp.make_token(room.ian.pk, room.hank.contact_id)
    assert Client().post(f"/rsvp/{forged}/", {"answer": "decline"}).status_code == 404
    room.ian.refresh_from_db()
    assert room.ian.rsvp != "declined"
    page = Client().get(f"/rsvp/{rsvp.make_token(room.hank.pk, room.hank.contact_id)}/")
    assert page.status_code == 200
    assert b"Ian Second" not in page.content
