"""End to end through the session services, with a real SMTP server receiving the mail.

Ask the account owner → they approve → invitations go out → the time changes → an update
reaches the invitees who have not declined → the session is cancelled → cancellations.
No contact ever hears from us without an approved (or waived) outreach request.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from icalendar import Event

from traction.core.testing.cast import Cast
from traction.customers import services as customers
from traction.customers.models import Contact
from traction.programs import services as programs
from traction.sessions import services
from traction.sessions.models import Invitation, OutreachRequest, OutreachStatus, Session
from traction.sessions.rsvp import customer_principal

from .conftest import Received, SmtpServer, rsvp_of

BERLIN = ZoneInfo("Europe/Berlin")
# pytest-django's django_capture_on_commit_callbacks: capture(execute=True) is a context
# manager that runs the on-commit callbacks (the email tasks) when it exits.
Capture = Callable[..., Any]

GINA = "gina@globex.test"
HANK = "hank@globex.test"
OWEN = "owen@acme.test"
FRAN = "fran@acme.test"


@pytest.fixture
def hank(cast: Cast) -> Contact:
    """A second Globex contact (Owen's account too) who agreed to be contacted."""
    assert cast.customer is not None
    return customers.add_contact(
        cast.viewers["facilitator"],
        customer=cast.customer,
        name="Hank Globex",
        email=HANK,
        consent_to_contact=True,
    )


@pytest.fixture
def session(cast: Cast, django_capture_on_commit_callbacks: Capture) -> Session:
    with django_capture_on_commit_callbacks(execute=True):
        return services.plan_session(
            cast.viewers["facilitator"],
            program=cast.program,
            title="Onboarding co-design",
            starts_at=datetime(2027, 3, 26, 9, 0),
            ends_at=datetime(2027, 3, 26, 12, 30),
            time_zone="Europe/Berlin",
            location="Acme Berlin, Room Spree",
            video_link="https://meet.example.test/onb-1",
        )


def only(messages: list[Received]) -> Received:
    assert len(messages) == 1, [(m.rcpt_tos, m.subject) for m in messages]
    return messages[0]


def event_of(received: Received) -> Event:
    (event,) = received.calendar.walk("VEVENT")
    return event


def ask_and_approve(
    cast: Cast,
    session: Session,
    contact: Contact,
    capture: Capture,
    conditions: str = "",
) -> OutreachRequest:
    with capture(execute=True):
        request = services.request_outreach(
            cast.viewers["facilitator"],
            session=session,
            contact=contact,
            message=f"{contact.name} struggled with the first invoice; we want to hear why.",
        )
    with capture(execute=True):
        return services.decide_outreach(
            cast.viewers["account_owner"], request=request, approve=True, conditions=conditions
        )


def test_approve_send_update_cancel(
    cast: Cast,
    session: Session,
    hank: Contact,
    smtp_server: SmtpServer,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    capture = django_capture_on_commit_callbacks
    assert cast.contact is not None

    # 1. Asking Owen, the account owner: he gets the request by email, nobody else yet.
    with capture(execute=True):
        request = services.request_outreach(
            cast.viewers["facilitator"],
            session=session,
            contact=cast.contact,
            message="Gina struggled with the first invoice; we want to hear why.",
        )
    asked = only(smtp_server.messages)
    assert asked.rcpt_tos == [OWEN]
    assert asked.subject == (
        "Approval needed: invite Gina Globex from Globex to Onboarding co-design"
    )
    assert "Fran Facilitator would like to invite Gina Globex" in asked.body
    assert "Gina struggled with the first invoice; we want to hear why." in asked.body
    assert "Fri 26 Mar 2027, 09:00–12:30 (Europe/Berlin)" in asked.body
    assert "Issues & vision discussion (45 min)" in asked.body  # the agenda template
    site = settings.TRACTION_SITE_URL.rstrip("/")
    assert f"{site}/w/{cast.acme.slug}/sessions/outreach/{request.pk}/" in asked.body
    assert smtp_server.to(GINA) == []

    # 2. Owen approves with a condition; Fran hears of it.
    smtp_server.clear()
    with capture(execute=True):
        services.decide_outreach(
            cast.viewers["account_owner"],
            request=request,
            approve=True,
            conditions="Do not mention the renewal.",
        )
    decided = only(smtp_server.messages)
    assert decided.rcpt_tos == [FRAN]
    assert decided.subject.startswith("Approved with conditions: invite Gina Globex")
    assert "Do not mention the renewal." in decided.body
    assert smtp_server.to(GINA) == []

    # Hank is approved too.
    ask_and_approve(cast, session, hank, capture)

    # 3. Sending the invitations: one email each, each naming its own contact only.
    smtp_server.clear()
    with capture(execute=True):
        invitations = services.send_invitations(cast.viewers["facilitator"], session=session)
    assert sorted(i.contact.email for i in invitations) == [GINA, HANK]
    to_gina, to_hank = only(smtp_server.to(GINA)), only(smtp_server.to(HANK))
    assert len(smtp_server.messages) == 2
    gina_invitation = Invitation.objects.get(session=session, contact=cast.contact)
    hank_invitation = Invitation.objects.get(session=session, contact=hank)
    for received, invitation in [(to_gina, gina_invitation), (to_hank, hank_invitation)]:
        assert received.subject.startswith("Invitation: Onboarding co-design — Fri 26 Mar 2027")
        assert rsvp_of(received) == (invitation.pk, invitation.contact_id)
        event = event_of(received)
        assert received.calendar["METHOD"] == "REQUEST"
        assert event["SEQUENCE"] == 0
        assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
        assert event.start.replace(tzinfo=None) == datetime(2027, 3, 26, 9, 0)
        assert [str(a) for a in event.attendees] == [f"mailto:{invitation.contact.email}"]
    assert "Hank" not in to_gina.raw.decode(errors="replace")  # no customer sees another
    assert "Gina" not in to_hank.raw.decode(errors="replace")
    uid = str(event_of(to_gina)["UID"])
    assert uid == f"{session.calendar_uid}@traction"

    # Hank declines through his link.
    services.respond_rsvp(
        customer_principal(hank_invitation.pk, hank.pk), accept=False, note="Travelling."
    )

    # 4. The session moves to the Monday after the change to summer time.
    smtp_server.clear()
    with capture(execute=True):
        session = services.update_session(
            cast.viewers["facilitator"],
            session=session,
            changes={
                "starts_at": datetime(2027, 3, 29, 9, 0),
                "ends_at": datetime(2027, 3, 29, 12, 30),
            },
        )
    update = only(smtp_server.to(GINA))  # Gina only: Hank declined
    others = [m for m in smtp_server.messages if m is not update]
    assert all(m.subject.startswith("Debrief moved") for m in others)  # the debrief's invitees
    assert update.rcpt_tos == [GINA]
    assert update.subject == (
        "Updated: Onboarding co-design — Mon 29 Mar 2027, 09:00–12:30 (Europe/Berlin)"
    )
    assert rsvp_of(update) == (gina_invitation.pk, cast.contact.pk)
    event = event_of(update)
    assert update.calendar["METHOD"] == "REQUEST"
    assert str(event["UID"]) == uid
    assert event["SEQUENCE"] == 1
    assert event.start.replace(tzinfo=None) == datetime(2027, 3, 29, 9, 0)
    assert event.start.utcoffset() == timedelta(hours=2)
    gina_invitation.refresh_from_db()
    assert gina_invitation.last_sequence_sent == 1

    # A change that does not touch the calendar (the kind) sends nothing.
    smtp_server.clear()
    with capture(execute=True):
        session = services.update_session(
            cast.viewers["facilitator"], session=session, changes={"kind": "cab_meeting"}
        )
    assert smtp_server.messages == []

    # 5. Cancelled: Gina gets the calendar cancellation with the same UID.
    with capture(execute=True):
        services.cancel_session(
            cast.viewers["facilitator"], session=session, reason="The customers asked to wait."
        )
    cancellation = only(smtp_server.to(GINA))
    assert cancellation.subject.startswith("Cancelled: Onboarding co-design — Mon 29 Mar 2027")
    assert cancellation.calendar["METHOD"] == "CANCEL"
    event = event_of(cancellation)
    assert str(event["UID"]) == uid
    assert event["STATUS"] == "CANCELLED"
    assert event["SEQUENCE"] == 2
    # Only invitees hear of it (and the debrief's invitees, of the debrief's cancellation).
    customers = {r for m in smtp_server.messages for r in m.rcpt_tos} - {
        "cora@acme.test",
        "sam@acme.test",
    }
    assert customers <= {GINA, HANK}


def test_no_email_reaches_a_contact_without_an_approved_outreach(
    cast: Cast,
    session: Session,
    hank: Contact,
    smtp_server: SmtpServer,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    capture = django_capture_on_commit_callbacks
    assert cast.contact is not None
    # Gina: asked, still pending. Hank: asked and declined by Owen.
    with capture(execute=True):
        pending = services.request_outreach(
            cast.viewers["facilitator"], session=session, contact=cast.contact
        )
        declined = services.request_outreach(
            cast.viewers["facilitator"], session=session, contact=hank
        )
    with capture(execute=True):
        services.decide_outreach(
            cast.viewers["account_owner"],
            request=declined,
            approve=False,
            reason="Hank is in a contract dispute with us.",
        )
    decision = only(smtp_server.to(FRAN))
    assert decision.subject.startswith("Declined: invite Hank Globex from Globex")
    assert "Hank is in a contract dispute with us." in decision.body

    with capture(execute=True):
        invited = services.send_invitations(cast.viewers["facilitator"], session=session)
    assert invited == []
    for request in (pending, declined):
        with pytest.raises(services.OutreachRequired), capture(execute=True):
            services.send_invitation(cast.viewers["facilitator"], request=request)
    # Changing and cancelling the session reaches nobody outside either.
    with capture(execute=True):
        services.update_session(
            cast.viewers["facilitator"],
            session=session,
            changes={"location": "Acme Berlin, Room Havel"},
        )
    with capture(execute=True):
        services.cancel_session(cast.viewers["facilitator"], session=session, reason="Moved.")

    recipients = {r for m in smtp_server.messages for r in m.rcpt_tos}
    assert GINA not in recipients
    assert HANK not in recipients
    # Members only: the owner, the facilitator, and the debrief's invitees (its calendar).
    assert recipients <= {OWEN, FRAN, "cora@acme.test", "sam@acme.test"}
    assert Invitation.objects.filter(session=session).count() == 0
    assert OutreachRequest.objects.get(pk=pending.pk).status == OutreachStatus.PENDING


def test_the_account_owner_asking_needs_no_approval_email(
    cast: Cast,
    session: Session,
    smtp_server: SmtpServer,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    assert cast.contact is not None
    assert cast.program is not None
    # Owen joins the program's core team, so he sees the session and asks himself.
    programs.set_core_team(
        cast.viewers["facilitator"],
        program=cast.program,
        user_ids=[cast.users["core_team"].pk, cast.users["account_owner"].pk],
    )
    with django_capture_on_commit_callbacks(execute=True):
        request = services.request_outreach(
            cast.viewers["account_owner"], session=session, contact=cast.contact
        )
    assert request.status == OutreachStatus.APPROVED
    assert smtp_server.messages == []
    with django_capture_on_commit_callbacks(execute=True):
        services.send_invitation(cast.viewers["facilitator"], request=request)
    received = only(smtp_server.messages)
    assert received.rcpt_tos == [GINA]
    assert received.calendar["METHOD"] == "REQUEST"
