"""Rows the loop's tests stand on: a held session of the cast's Onboarding program with two
customer cards (Gina of Globex said the first and put dots on it, Ian of Initech voted on
it too), its debrief, and helpers that decide and act through the debrief's services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from traction.core.testing.cast import Cast
from traction.customers.models import Contact, Customer
from traction.debrief.models import (
    DEBRIEF_DUE_AFTER,
    ActionItem,
    Debrief,
    DecisionOutcome,
    Evidence,
    Recommendation,
)
from traction.debrief.services import actions as action_services
from traction.debrief.services import recommendations
from traction.insights.models import Insight
from traction.sessions.models import Invitation, OutreachRequest, Session
from traction.voting.models import Vote

ENDED = datetime(2027, 1, 14, 17, 0, tzinfo=ZoneInfo("Europe/Berlin"))
# The loop's tests' "now", six days after the session ended (the ``world`` fixture of
# conftest.py freezes the clock here).
NOW = datetime(2027, 1, 20, 9, 0, tzinfo=UTC)


@dataclass
class World:
    cast: Cast
    session: Session
    debrief: Debrief
    card: Insight  # Globex's issue, voted by Globex and Initech
    quiet: Insight  # Initech's idea, voted by Initech only


def build(cast: Cast) -> World:
    session = Session.objects.create(
        workspace=cast.acme,
        program=cast.program,
        title="Onboarding co-design",
        starts_at=ENDED - timedelta(hours=3),
        ends_at=ENDED,
        actual_ends_at=ENDED,
        held_at=ENDED,
        time_zone="Europe/Berlin",
        created_by=cast.users["facilitator"],
    )
    # Gina was asked to the session (Owen, Globex's owner, approved): Owen reads her words.
    OutreachRequest.objects.create(
        workspace=cast.acme,
        session=session,
        contact=cast.contact,
        account_owner=cast.users["account_owner"],
        requested_by=cast.users["facilitator"],
        status="approved",
    )
    card = Insight.objects.create(
        workspace=cast.acme,
        program=cast.program,
        session=session,
        kind="issue",
        text="Invoice approval takes three weeks",
        speaker_contact=cast.contact,
        speaker_name=cast.contact.name,
        customer=cast.customer,
    )
    quiet = Insight.objects.create(
        workspace=cast.acme,
        program=cast.program,
        session=session,
        kind="idea",
        text="Let us approve invoices from the phone",
        speaker_contact=cast.other_contact,
        speaker_name=cast.other_contact.name,
        customer=cast.other_customer,
    )
    for insight, contact, dots in (
        (card, cast.contact, 3),
        (card, cast.other_contact, 1),
        (quiet, cast.other_contact, 2),
    ):
        _vote(session, insight, contact, dots)
    debrief = Debrief.objects.create(
        workspace=cast.acme,
        session=session,
        program=cast.program,
        due_at=ENDED + DEBRIEF_DUE_AFTER,
        starts_at=ENDED + timedelta(hours=20),
        ends_at=ENDED + timedelta(hours=23),
        opened_at=ENDED + timedelta(hours=20),
    )
    return World(cast=cast, session=session, debrief=debrief, card=card, quiet=quiet)


def said(world: World, text: str, kind: str = "idea", contact: Contact | None = None) -> Insight:
    """A card of the session in ``contact``'s words (Gina's by default)."""
    who = contact or world.cast.contact
    return Insight.objects.create(
        workspace=world.cast.acme,
        program=world.cast.program,
        session=world.session,
        kind=kind,
        text=text,
        speaker_contact=who,
        customer=who.customer,
    )


def vote(world: World, card: Insight, contact: Contact, dots: int = 1) -> Vote:
    """``contact``'s dots on ``card`` (a card of the world's session), in the room."""
    return _vote(world.session, card, contact, dots)


def _vote(session: Session, card: Insight, contact: Contact, dots: int) -> Vote:
    return Vote.objects.create(
        workspace_id=session.workspace_id,
        session=session,
        insight=card,
        contact=contact,
        dots=dots,
        channel="room",
    )


def add_organisation(world: World, name: str, email: str) -> Contact:
    """A customer organisation ``name`` taking part in the session: its one contact (at
    ``email``) accepted the invitation."""
    cast = world.cast
    customer = Customer.objects.create(workspace=cast.acme, name=name)
    contact = Contact.objects.create(
        workspace=cast.acme, customer=customer, name=f"Pat of {name}", email=email
    )
    request = OutreachRequest.objects.create(
        workspace=cast.acme,
        session=world.session,
        contact=contact,
        requested_by=cast.users["facilitator"],
        status="approved",
    )
    Invitation.objects.create(
        workspace=cast.acme,
        session=world.session,
        outreach=request,
        contact=contact,
        rsvp="accepted",
    )
    return contact


def recommend(
    world: World, card: Insight | None = None, title: str = "One-page approval"
) -> Recommendation:
    cast = world.cast
    rec = Recommendation.objects.create(
        workspace=cast.acme,
        debrief=world.debrief,
        program=cast.program,
        title=title,
        created_by=cast.users["core_team"],
    )
    Evidence.objects.create(recommendation=rec, insight=card or world.card)
    return rec


def decide(
    world: World, rec: Recommendation, outcome: str, revisit_on: date | None = None
) -> Recommendation:
    recommendations.decide(
        world.cast.viewer("sponsor"), rec, outcome, "Decided in the debrief.", revisit_on
    )
    rec.refresh_from_db()
    return rec


def approved(
    world: World, card: Insight | None = None, title: str = "One-page approval"
) -> Recommendation:
    return decide(world, recommend(world, card, title), DecisionOutcome.APPROVED)


def act(
    world: World, rec: Recommendation, due_on: date, title: str = "Build the page"
) -> ActionItem:
    return action_services.create_action(
        world.cast.viewer("facilitator"),
        recommendation=rec,
        title=title,
        owner_id=world.cast.users["core_team"].pk,
        due_on=due_on,
    )


def move(world: World, action: ActionItem, status: str, reason: str = "") -> ActionItem:
    action.refresh_from_db()
    return action_services.change_status(
        world.cast.viewer("facilitator"), action, status, "Progress.", reason=reason
    )


def elsewhere(
    world: World, text: str = "Our auditors ask for every approval trail in writing"
) -> Insight:
    """Initech's card (Ian's words) in another session of the program, which nobody of Globex
    took part in."""
    cast = world.cast
    other = Session.objects.create(
        workspace=cast.acme,
        program=cast.program,
        title="Audit round table",
        starts_at=ENDED - timedelta(days=3, hours=3),
        ends_at=ENDED - timedelta(days=3),
        actual_ends_at=ENDED - timedelta(days=3),
        held_at=ENDED - timedelta(days=3),
        time_zone="Europe/Berlin",
        created_by=cast.users["facilitator"],
    )
    card = Insight.objects.create(
        workspace=cast.acme,
        program=cast.program,
        session=other,
        kind="issue",
        text=text,
        speaker_contact=cast.other_contact,
        speaker_name=cast.other_contact.name,
        customer=cast.other_customer,
    )
    _vote(other, card, cast.other_contact, 2)
    return card
