"""Review 19, finding 1: an unsubscribe from all mail (or an unreachable contact) stops every
invitation email: the invitation is refused by name, a re-send is refused, "invite everyone"
leaves them out, and an email queued before the unsubscribe is not sent (the page says why).
Finding 5: the invitation asks for no calendar reply (the .ics says RSVP=FALSE)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from icalendar import Calendar

from traction.core.errors import ValidationFailed
from traction.core.models import AuditEvent
from traction.core.testing.cast import Cast
from traction.loop.services import subscriptions
from traction.sessions import services
from traction.sessions.models import DeliveryStatus, Invitation

from .test_services import approved, invited, plan

pytestmark = pytest.mark.django_db

Capture = Callable[..., Any]


def unsubscribe_all(cast: Cast) -> None:
    assert cast.contact is not None
    subscriptions.record_unsubscribe(
        cast.viewer("admin"), contact=cast.contact, scope="all", why="asked on the phone"
    )


def test_an_unsubscribed_contact_is_not_invited_and_the_refusal_says_why(cast: Cast) -> None:
    session = plan(cast)
    request = approved(cast, session)
    unsubscribe_all(cast)
    with pytest.raises(ValidationFailed) as refused:
        services.send_invitation(cast.viewer("facilitator"), request=request)
    [message] = refused.value.errors["__all__"]
    assert message.startswith("Gina Globex cannot be invited: unsubscribed from all mail on ")
    # "invite everyone allowed" leaves her out rather than refusing the whole batch
    assert services.send_invitations(cast.viewer("facilitator"), session=session) == []
    with pytest.raises(ValidationFailed, match="unsubscribed from all mail"):
        services.send_invitations(
            cast.viewer("facilitator"),
            session=session,
            contact_ids=[cast.contact.pk],  # type: ignore[union-attr]
        )
    assert not Invitation.objects.exists()


def test_a_resend_to_an_unsubscribed_contact_is_refused(
    cast: Cast, django_capture_on_commit_callbacks: Capture
) -> None:
    invitation = invited(cast, plan(cast))
    unsubscribe_all(cast)
    mail.outbox.clear()
    with pytest.raises(ValidationFailed) as refused:
        services.resend_invitation(cast.viewer("facilitator"), invitation=invitation)
    [message] = refused.value.errors["__all__"]
    assert message.startswith(
        "Nothing was sent: Gina Globex cannot be emailed (unsubscribed from all mail on "
    )
    assert mail.outbox == []


def test_an_email_queued_before_the_unsubscribe_is_not_sent_and_says_why(
    cast: Cast, django_capture_on_commit_callbacks: Capture
) -> None:
    from traction.sessions.tasks import deliver_invitation

    invitation = invited(cast, plan(cast))
    unsubscribe_all(cast)
    mail.outbox.clear()
    assert deliver_invitation.call(invitation.pk, "invite") == 0
    assert mail.outbox == []
    invitation.refresh_from_db()
    assert invitation.delivery == DeliveryStatus.FAILED
    assert invitation.delivery_error.startswith(
        "Invitation not sent: the contact unsubscribed from all mail on "
    )
    assert AuditEvent.objects.filter(action="invitation.not_delivered").exists()


def test_an_unreachable_contact_is_not_invited(cast: Cast) -> None:
    session = plan(cast)
    request = approved(cast, session)
    assert cast.contact is not None
    subscriptions.mark_unreachable(
        cast.viewer("admin"), contact=cast.contact, reason="mail bounced: no such mailbox"
    )
    with pytest.raises(ValidationFailed) as refused:
        services.send_invitation(cast.viewer("facilitator"), request=request)
    [message] = refused.value.errors["__all__"]
    assert message.startswith("Gina Globex cannot be invited: unreachable since ")
    assert message.endswith("(mail bounced: no such mailbox).")


def test_a_narrower_unsubscribe_does_not_stop_invitations(cast: Cast) -> None:
    session = plan(cast)
    request = approved(cast, session)
    assert cast.contact is not None
    subscriptions.record_unsubscribe(
        cast.viewer("admin"),
        contact=cast.contact,
        scope="program",
        program_id=cast.program.pk,
        why="no more updates",
    )
    assert services.send_invitation(cast.viewer("facilitator"), request=request).pk


def test_the_invitation_asks_no_calendar_reply_and_says_so(
    cast: Cast, django_capture_on_commit_callbacks: Capture
) -> None:
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        invited(cast, plan(cast))
    [message] = [m for m in mail.outbox if m.to[0].endswith("<gina@globex.test>")]
    ics = next(a for a in message.attachments if getattr(a, "get_content_type", None))
    calendar = Calendar.from_ical(ics.get_payload(decode=True))
    [event] = calendar.walk("VEVENT")
    [attendee] = [event["ATTENDEE"]]
    assert attendee.params["RSVP"] == "FALSE"
    assert "accept or decline in your calendar" not in message.body
    assert "an answer given in your calendar does not reach us" in message.body
    html = message.alternatives[0][0]  # type: ignore[attr-defined]
    assert "an answer given in your calendar does not reach us" in str(html)


def test_the_session_and_outreach_pages_say_why_and_offer_no_send(
    cast: Cast, client_for: Any
) -> None:
    session = plan(cast)
    request = approved(cast, session)
    unsubscribe_all(cast)
    fran = client_for("facilitator")
    slug = cast.acme.slug
    page = fran.get(f"/w/{slug}/sessions/{session.pk}/").content.decode()
    assert "Not invited: unsubscribed from all mail on " in page
    assert "Send 1 invitation" not in page
    detail = fran.get(f"/w/{slug}/sessions/outreach/{request.pk}/").content.decode()
    assert "is not emailed:</strong> unsubscribed from all mail on " in detail
    assert "Send invitation</button>" not in detail


def test_an_unsubscribed_contact_is_not_requested_and_the_form_says_why(
    cast: Cast, client_for: Any
) -> None:
    session = plan(cast)
    unsubscribe_all(cast)
    with pytest.raises(ValidationFailed) as refused:
        services.request_outreach(cast.viewer("facilitator"), session=session, contact=cast.contact)
    [message] = refused.value.errors["contact_id"]
    assert message.startswith("Gina Globex cannot be emailed: unsubscribed from all mail on ")
    page = (
        client_for("facilitator")
        .get(f"/w/{cast.acme.slug}/sessions/{session.pk}/outreach/new/")
        .content.decode()
    )
    assert "Gina Globex cannot be emailed: unsubscribed from all mail on " in page
