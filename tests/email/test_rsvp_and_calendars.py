"""Issue 11, through a real SMTP server on loopback, the .ics parsed back with icalendar:

- an internal participant gets the session's calendar invitation (REQUEST) when added, an
  update with the same UID and a higher SEQUENCE when it moves, a CANCEL when it is
  cancelled (or when they are taken off it);
- a customer who had accepted is asked to confirm a new time: an email with the new time,
  the updated .ics and their own RSVP link;
- the facilitator hears of answers: one email per answer, or one digest a day.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from django.conf import settings
from icalendar import Event

from traction.core import clock
from traction.core.models import AuditEvent
from traction.core.testing.cast import Cast
from traction.sessions import services
from traction.sessions.models import (
    Invitation,
    Participant,
    RsvpAnswerEmail,
    RsvpStatus,
    Session,
)
from traction.sessions.rsvp import customer_principal
from traction.sessions.tasks import send_rsvp_digests

from .conftest import Received, SmtpServer, rsvp_of

Capture = Callable[..., Any]
CORA = "cora@acme.test"
FRAN = "fran@acme.test"
GINA = "gina@globex.test"
T0 = datetime(2027, 3, 19, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[clock.FrozenClock]:
    with clock.frozen(T0) as c:
        yield c


@pytest.fixture
def session(cast: Cast) -> Session:
    return services.plan_session(
        cast.viewers["facilitator"],
        program=cast.program,  # type: ignore[arg-type]
        title="Onboarding co-design",
        starts_at=datetime(2027, 3, 26, 9, 0),
        ends_at=datetime(2027, 3, 26, 12, 30),
        time_zone="Europe/Berlin",
        location="Acme Berlin, Room Spree",
        video_link="https://meet.example.test/onb-1",
    )


def sessions_own(messages: list[Received]) -> list[Received]:
    """The session's emails, not its debrief's (Cora is invited to that too, as core team)."""
    return [m for m in messages if not m.subject.startswith("Debrief")]


def only(messages: list[Received]) -> Received:
    assert len(messages) == 1, [(m.rcpt_tos, m.subject) for m in messages]
    return messages[0]


def event_of(received: Received) -> Event:
    (event,) = received.calendar.walk("VEVENT")
    return event


def test_an_internal_participant_gets_invite_update_and_cancel(
    cast: Cast,
    session: Session,
    smtp_server: SmtpServer,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    capture = django_capture_on_commit_callbacks
    fran = cast.viewers["facilitator"]
    uid = f"{session.calendar_uid}@traction"

    # Added as note taker: the invitation with the .ics (and a link to her briefing).
    with capture(execute=True):
        participant = services.add_participant(
            fran, session=session, user_id=cast.users["core_team"].pk, role="note_taker"
        )
    invite = only(sessions_own(smtp_server.to(CORA)))
    assert invite.subject == (
        "Invitation: Onboarding co-design — Fri 26 Mar 2027, 09:00–12:30 (Europe/Berlin)"
    )
    assert 'You are note taker in "Onboarding co-design"' in invite.body
    site = settings.TRACTION_SITE_URL.rstrip("/")
    assert f"{site}/w/acme/sessions/{session.pk}/briefing/" in invite.body
    assert invite.calendar["METHOD"] == "REQUEST"
    event = event_of(invite)
    assert (str(event["UID"]), event["SEQUENCE"]) == (uid, 0)
    assert event.start.replace(tzinfo=None) == datetime(2027, 3, 26, 9, 0)
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert [str(a) for a in event.attendees] == [f"mailto:{CORA}"]
    assert str(event["ORGANIZER"]) == f"mailto:{FRAN}"
    participant.refresh_from_db()
    assert participant.calendar_sequence_sent == 0

    # A new role is no new calendar entry.
    smtp_server.clear()
    with capture(execute=True):
        services.add_participant(
            fran, session=session, user_id=cast.users["core_team"].pk, role="observer"
        )
    assert smtp_server.messages == []

    # Rescheduled: the update keeps the UID and raises the SEQUENCE.
    with capture(execute=True):
        session = services.update_session(
            fran,
            session=session,
            changes={
                "starts_at": datetime(2027, 3, 29, 9, 0),
                "ends_at": datetime(2027, 3, 29, 12, 30),
            },
        )
    update = only(sessions_own(smtp_server.to(CORA)))
    assert update.subject.startswith("Updated: Onboarding co-design — Mon 29 Mar 2027, 09:00")
    assert update.calendar["METHOD"] == "REQUEST"
    event = event_of(update)
    assert (str(event["UID"]), event["SEQUENCE"]) == (uid, 1)
    assert event.start.replace(tzinfo=None) == datetime(2027, 3, 29, 9, 0)

    # Cancelled: METHOD:CANCEL, same UID, higher SEQUENCE.
    smtp_server.clear()
    with capture(execute=True):
        services.cancel_session(fran, session=session, reason="The customers asked to wait.")
    cancel = only(sessions_own(smtp_server.to(CORA)))
    assert cancel.subject.startswith("Cancelled: Onboarding co-design")
    assert '"Onboarding co-design" is cancelled.' in cancel.body
    assert cancel.calendar["METHOD"] == "CANCEL"
    event = event_of(cancel)
    assert (str(event["UID"]), event["SEQUENCE"], str(event["STATUS"])) == (uid, 2, "CANCELLED")
    sent = list(
        AuditEvent.objects.filter(action="participant.calendar_sent")
        .order_by("id")
        .values_list("changes", flat=True)
    )
    user = cast.users["core_team"].pk
    assert sent == [
        {"user": user, "kind": "invite", "sequence": 0},
        {"user": user, "kind": "update", "sequence": 1},
        {"user": user, "kind": "cancel", "sequence": 2},
    ]


def test_someone_taken_off_the_session_gets_a_cancellation(
    cast: Cast,
    session: Session,
    smtp_server: SmtpServer,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    capture = django_capture_on_commit_callbacks
    fran = cast.viewers["facilitator"]
    with capture(execute=True):
        participant = services.add_participant(
            fran, session=session, user_id=cast.users["core_team"].pk, role="observer"
        )
    smtp_server.clear()
    with capture(execute=True):
        services.remove_participant(fran, participant=participant, reason="Needed elsewhere")
    cancel = only(sessions_own(smtp_server.to(CORA)))
    assert 'You no longer take part in "Onboarding co-design"' in cancel.body
    assert cancel.calendar["METHOD"] == "CANCEL"
    # A later change of the session reaches only who takes part now.
    smtp_server.clear()
    with capture(execute=True):
        services.update_session(fran, session=session, changes={"location": "Room Havel"})
    assert smtp_server.to(CORA) == []
    assert Participant.history.get(pk=participant.pk).left_at is not None


def test_a_new_time_asks_the_customer_who_accepted_to_confirm_it(
    cast: Cast,
    session: Session,
    smtp_server: SmtpServer,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    capture = django_capture_on_commit_callbacks
    fran = cast.viewers["facilitator"]
    assert cast.contact is not None
    with capture(execute=True):
        request = services.request_outreach(fran, session=session, contact=cast.contact)
        services.decide_outreach(cast.viewers["account_owner"], request=request, approve=True)
        invitation = services.send_invitation(fran, request=request)
    services.respond_rsvp(customer_principal(invitation.pk, cast.contact.pk), accept=True)
    smtp_server.clear()

    with capture(execute=True):
        session = services.update_session(
            fran,
            session=session,
            changes={
                "starts_at": datetime(2027, 3, 26, 14, 0),
                "ends_at": datetime(2027, 3, 26, 17, 30),
            },
        )
    asked = only(smtp_server.to(GINA))
    assert asked.subject == (
        "New time, please confirm: Onboarding co-design — "
        "Fri 26 Mar 2027, 14:00–17:30 (Europe/Berlin)"
    )
    assert "had to move it to a new time" in asked.body
    assert "Fri 26 Mar 2027, 14:00–17:30 (Europe/Berlin)" in asked.body
    assert rsvp_of(asked) == (invitation.pk, cast.contact.pk)
    assert asked.calendar["METHOD"] == "REQUEST"
    event = event_of(asked)
    assert (str(event["UID"]), event["SEQUENCE"]) == (f"{session.calendar_uid}@traction", 1)
    assert event.start.replace(tzinfo=None) == datetime(2027, 3, 26, 14, 0)
    invitation.refresh_from_db()
    assert (invitation.rsvp, invitation.last_sequence_sent) == (RsvpStatus.RECONFIRM, 1)


def test_the_facilitator_gets_each_answer_or_one_digest(
    cast: Cast,
    session: Session,
    smtp_server: SmtpServer,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    capture = django_capture_on_commit_callbacks
    fran = cast.viewers["facilitator"]
    assert cast.contact is not None
    with capture(execute=True):
        services.add_participant(
            fran, session=session, user_id=cast.users["facilitator"].pk, role="facilitator"
        )
        services.add_participant(
            fran, session=session, user_id=cast.users["admin"].pk, role="facilitator"
        )
        request = services.request_outreach(fran, session=session, contact=cast.contact)
        services.decide_outreach(cast.viewers["account_owner"], request=request, approve=True)
        invitation = services.send_invitation(fran, request=request)
    services.choose_rsvp_emails(cast.viewers["admin"], rsvp_emails="each")
    smtp_server.clear()

    with capture(execute=True):
        services.respond_rsvp(
            customer_principal(invitation.pk, cast.contact.pk),
            accept=True,
            note="Can I bring a colleague?",
        )
    each = only(smtp_server.messages)
    assert each.rcpt_tos == ["alice@acme.test"]
    assert each.subject == "RSVP: Gina Globex accepted — Onboarding co-design"
    assert '- Gina Globex (Globex): accepted: "Can I bring a colleague?"' in each.body
    site = settings.TRACTION_SITE_URL.rstrip("/")
    assert f"{site}/w/acme/sessions/{session.pk}/" in each.body
    assert f"{site}/w/acme/settings/" in each.body

    smtp_server.clear()
    assert send_rsvp_digests.call() == 1
    digest = only(smtp_server.messages)
    assert digest.rcpt_tos == [FRAN]
    assert digest.subject == "RSVPs today: 1 answer"
    assert "Onboarding co-design (Fri 26 Mar 2027, 09:00–12:30 (Europe/Berlin))" in digest.body
    assert '- Gina Globex (Globex): accepted: "Can I bring a colleague?"' in digest.body
    assert "You get these answers once a day." in digest.body
    assert Invitation.objects.get(pk=invitation.pk).rsvp == RsvpStatus.ACCEPTED


def test_an_answer_the_mail_server_missed_is_sent_by_the_next_run_once(
    cast: Cast,
    session: Session,
    smtp_server: SmtpServer,
    settings: Any,
    frozen: clock.FrozenClock,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    capture = django_capture_on_commit_callbacks
    fran = cast.viewers["facilitator"]
    assert cast.contact is not None
    with capture(execute=True):
        request = services.request_outreach(fran, session=session, contact=cast.contact)
        services.decide_outreach(cast.viewers["account_owner"], request=request, approve=True)
        invitation = services.send_invitation(fran, request=request)
    services.choose_rsvp_emails(fran, rsvp_emails="each")
    smtp_server.clear()

    # The mail server is down when Gina answers: nothing sent, nothing recorded as sent.
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = _closed_port()
    with capture(execute=True):
        services.respond_rsvp(customer_principal(invitation.pk, cast.contact.pk), accept=True)
    assert not RsvpAnswerEmail.objects.exists()

    # Back up: the periodic run sends it once the retry delay passed, and only once.
    settings.EMAIL_PORT = port
    assert send_rsvp_digests.call() == 0
    assert smtp_server.messages == []  # too early: the answer's own email may still go
    frozen.advance(minutes=10)
    send_rsvp_digests.call()
    again = only(smtp_server.messages)
    assert (again.rcpt_tos, again.subject) == (
        [FRAN],
        "RSVP: Gina Globex accepted — Onboarding co-design",
    )
    send_rsvp_digests.call()
    assert len(smtp_server.messages) == 1


def _closed_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again when the block ends
