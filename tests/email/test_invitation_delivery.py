"""Invitation emails through a real SMTP server, from rows made directly (no services).

Each email is received by aiosmtpd, parsed with the stdlib ``email`` package, and its .ics
attachment with icalendar.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from django.core import signing
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from traction.core.models import AuditEvent
from traction.core.testing.cast import Cast
from traction.customers.models import Contact
from traction.sessions import rsvp, tasks
from traction.sessions.models import (
    DeliveryStatus,
    Invitation,
    Session,
    SessionStatus,
)

from .conftest import CollectingHandler, Received, SmtpServer, _free_port, rsvp_of

BERLIN = ZoneInfo("Europe/Berlin")


def deliver(invitation: Invitation, kind: str) -> None:
    """Run the delivery task (the Immediate backend runs it now) and insist it succeeded."""
    result = tasks.deliver_invitation.enqueue(invitation.pk, kind)
    assert result.status == TaskResultStatus.SUCCESSFUL, [e.traceback for e in result.errors]


def only_message_to(smtp: SmtpServer, address: str) -> Received:
    messages = smtp.to(address)
    assert len(messages) == 1, [m.subject for m in smtp.messages]
    return messages[0]


def test_an_invitation_arrives_with_its_rsvp_link_and_calendar_request(
    smtp_server: SmtpServer, invitation: Invitation, session: Session
) -> None:
    deliver(invitation, "invite")

    received = only_message_to(smtp_server, "gina@globex.test")
    assert received.rcpt_tos == ["gina@globex.test"]
    assert received.mail_from == "traction@localhost"
    message = received.message
    assert received.subject == (
        "Invitation: Onboarding co-design — Fri 26 Mar 2027, 09:00–12:30 (Europe/Berlin)"
    )
    assert "Gina Globex" in str(message["To"])
    assert "fran@acme.test" in str(message["Reply-To"])

    body = received.body
    assert rsvp_of(received) == (invitation.pk, invitation.contact_id)
    assert '"Accept" or "Decline"' in body
    assert "until the session ends" in body
    assert "Fran Facilitator" in body
    assert "pay their first invoice within a day" in body  # the program goal
    assert "Fri 26 Mar 2027, 09:00–12:30 (Europe/Berlin)" in body
    assert "Issues & vision discussion (45 min)" in body  # not HTML-escaped
    assert "https://meet.example.test/onb-1" in body
    assert "Acme Berlin, Friedrichstraße 1, Room Spree" in body

    (part,) = received.calendar_parts()
    assert part.get_content_type() == "text/calendar"
    assert part.get_param("method") == "REQUEST"
    assert part.get_content_charset() == "utf-8"
    assert part.get_filename() == "invite.ics"
    calendar = received.calendar
    assert calendar["METHOD"] == "REQUEST"
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"{session.calendar_uid}@traction"
    assert event["SEQUENCE"] == 0
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert event.start.replace(tzinfo=None) == datetime(2027, 3, 26, 9, 0)
    assert [str(a) for a in event.attendees] == ["mailto:gina@globex.test"]
    assert event.attendees[0].params["CN"] == "Gina Globex"
    assert str(event["ORGANIZER"]) == "mailto:fran@acme.test"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]


def test_a_tampered_rsvp_link_does_not_read(invitation: Invitation) -> None:
    token = rsvp.make_token(invitation.pk, invitation.contact_id)
    data = signing.loads(token, salt=rsvp.SALT)
    forged = signing.dumps({**data, "c": data["c"] + 1}, salt="someone-else", compress=True)
    with pytest.raises(Exception, match="not valid"):
        rsvp.read_token(forged)


def test_an_update_keeps_the_uid_and_raises_the_sequence(
    smtp_server: SmtpServer, invitation: Invitation, session: Session
) -> None:
    deliver(invitation, "invite")
    # Moved to the Monday after the change to summer time: still 09:00 in Berlin.
    session.starts_at = datetime(2027, 3, 29, 9, 0, tzinfo=BERLIN)
    session.ends_at = datetime(2027, 3, 29, 12, 30, tzinfo=BERLIN)
    session.calendar_sequence += 1
    session.save()
    deliver(invitation, "update")

    first, second = smtp_server.to("gina@globex.test")
    assert second.subject.startswith("Updated: Onboarding co-design — Mon 29 Mar 2027, ")
    assert rsvp_of(second) == (invitation.pk, invitation.contact_id)
    old = first.calendar.walk("VEVENT")[0]
    new = second.calendar.walk("VEVENT")[0]
    assert second.calendar["METHOD"] == "REQUEST"
    assert new["UID"] == old["UID"]
    assert new["SEQUENCE"] == old["SEQUENCE"] + 1 == 1
    assert new.start.replace(tzinfo=None) == datetime(2027, 3, 29, 9, 0)
    assert new.start.utcoffset() == timedelta(hours=2)  # CEST now, CET before
    assert old.start.utcoffset() == timedelta(hours=1)
    invitation.refresh_from_db()
    assert invitation.last_sequence_sent == 1


def test_a_cancellation_says_cancelled_with_the_same_uid(
    smtp_server: SmtpServer, invitation: Invitation, session: Session
) -> None:
    deliver(invitation, "invite")
    session.status = SessionStatus.CANCELLED
    session.calendar_sequence += 1
    session.save()
    deliver(invitation, "cancel")

    first, cancellation = smtp_server.to("gina@globex.test")
    assert cancellation.subject.startswith("Cancelled: Onboarding co-design — ")
    assert "cancelled" in cancellation.body
    assert "rsvp" not in cancellation.body.lower()  # nothing to answer any more
    (part,) = cancellation.calendar_parts()
    assert part.get_param("method") == "CANCEL"
    calendar = cancellation.calendar
    assert calendar["METHOD"] == "CANCEL"
    (event,) = calendar.walk("VEVENT")
    assert event["STATUS"] == "CANCELLED"
    assert event["UID"] == first.calendar.walk("VEVENT")[0]["UID"]
    assert event["SEQUENCE"] == 1


def test_a_vanished_invitation_sends_nothing(smtp_server: SmtpServer, db: None) -> None:
    result = tasks.deliver_invitation.enqueue(999_999, "invite")
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 0
    assert smtp_server.messages == []


def test_an_unknown_kind_is_refused(smtp_server: SmtpServer, invitation: Invitation) -> None:
    result = tasks.deliver_invitation.enqueue(invitation.pk, "reminder")
    assert result.status == TaskResultStatus.FAILED
    assert smtp_server.messages == []


def test_a_queued_update_is_not_sent_twice(
    smtp_server: SmtpServer, invitation: Invitation, session: Session
) -> None:
    deliver(invitation, "invite")
    session.location = "Acme Berlin, Room Havel"
    session.calendar_sequence += 1
    session.save()
    # Two changes in a row queued two updates; both run after the second change.
    deliver(invitation, "update")
    deliver(invitation, "update")

    assert [m.subject.split(":")[0] for m in smtp_server.to("gina@globex.test")] == [
        "Invitation",
        "Updated",
    ]


def test_an_update_for_a_session_cancelled_meanwhile_is_not_sent(
    smtp_server: SmtpServer, invitation: Invitation, session: Session
) -> None:
    session.status = SessionStatus.CANCELLED
    session.calendar_sequence += 1
    session.save()
    deliver(invitation, "update")
    deliver(invitation, "cancel")

    (received,) = smtp_server.messages
    assert received.calendar["METHOD"] == "CANCEL"


# --- an email that cannot be sent is never recorded as sent -----------------------------------


class RefusingHandler(CollectingHandler):
    """A mail server that refuses one recipient (550: no such user) and takes the rest."""

    def __init__(self, refused: str) -> None:
        super().__init__()
        self.refused = refused

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address == self.refused:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def refusing_server(smtp_server: SmtpServer, settings: Any) -> Iterator[RefusingHandler]:
    """Like ``smtp_server`` (whose settings it reuses), with a server refusing Gina."""
    handler = RefusingHandler("gina@globex.test")
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port("127.0.0.1"))
    controller.start()
    settings.EMAIL_PORT = controller.port
    try:
        yield handler
    finally:
        controller.stop()


def test_a_refused_address_is_recorded_as_not_delivered_with_the_reason(
    refusing_server: RefusingHandler, invitation: Invitation
) -> None:
    deliver(invitation, "invite")
    assert refusing_server.messages == []
    invitation.refresh_from_db()
    assert invitation.delivery == DeliveryStatus.FAILED
    assert invitation.delivered_at is None
    assert invitation.delivery_attempts == 1
    assert invitation.delivery_error == (
        "Invitation not delivered: the mail server refused the address "
        "(550 5.1.1 <gina@globex.test>: Recipient address rejected: User unknown)."
    )
    event = AuditEvent.objects.get(action="invitation.not_delivered")
    assert event.changes == {"kind": "invite", "attempt": 1, "retry": False}


def test_an_unreachable_server_is_not_delivered_and_retried_later(
    smtp_server: SmtpServer, invitation: Invitation, settings: Any
) -> None:
    settings.EMAIL_PORT = _closed_port()
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    tasks.deliver_invitation.call(invitation.pk, "invite")
    invitation.refresh_from_db()
    assert invitation.delivery == DeliveryStatus.FAILED
    assert invitation.delivery_error.startswith(
        "Invitation not delivered: the mail server could not be reached ("
    )
    assert "Traction tries again at" in invitation.delivery_error
    retry = DBTaskResult.objects.get()
    assert retry.args_kwargs == {"args": [invitation.pk, "invite", 2], "kwargs": {}}
    assert retry.run_after > timezone.now() + timedelta(seconds=50)


def _closed_port() -> int:
    return _free_port("127.0.0.1")  # nobody listens there once the probe closed it


def test_the_facilitator_sees_not_delivered_and_can_send_again(
    refusing_server: RefusingHandler,
    invitation: Invitation,
    cast: Cast,
    client_for: Any,
    api_client_for: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    deliver(invitation, "invite")
    client = client_for("facilitator")
    page = client.get(f"/w/acme/sessions/{invitation.session_id}/").content.decode()
    assert '<span class="badge badge-warn">Not delivered</span>' in page
    assert "Recipient address rejected" in page
    assert ">Send again<" in page
    listed = api_client_for("facilitator").get(
        f"/api/v1/sessions/{invitation.session_id}/invitations"
    )
    row = listed.json()["items"][0] if "items" in listed.json() else listed.json()[0]
    assert (row["delivery"], row["delivered_at"]) == ("failed", None)
    assert row["delivery_error"].startswith("Invitation not delivered:")
    # The address is corrected; "Send again" delivers and the record says so.
    assert cast.contact is not None
    Contact.objects.filter(pk=cast.contact.pk).update(email="gina.new@globex.test")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/w/acme/sessions/outreach/{invitation.outreach_id}/invite/again/")
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert (invitation.delivery, invitation.delivery_error) == (DeliveryStatus.DELIVERED, "")
    assert invitation.delivered_at is not None
    assert [m.rcpt_tos for m in refusing_server.messages] == [["gina.new@globex.test"]]
