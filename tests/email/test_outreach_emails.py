"""Outreach request and decision emails from rows made directly, through the real server."""

from __future__ import annotations

import pytest
from django.utils import timezone

from traction.core.testing.cast import Cast
from traction.sessions import tasks
from traction.sessions.models import OutreachRequest, OutreachStatus, Session

from .conftest import SmtpServer

LINK = "/w/acme/sessions/outreach/1/"


@pytest.fixture
def request_(cast: Cast, session: Session) -> OutreachRequest:
    assert cast.contact is not None
    session.title = 'Q&A on "first invoice" <pilot>'
    session.save()
    return OutreachRequest.objects.create(
        workspace=cast.acme,
        session=session,
        contact=cast.contact,
        account_owner=cast.users["account_owner"],
        requested_by=cast.users["facilitator"],
        message="She knows the <billing> flow & its gaps.",
    )


def test_the_request_is_plain_text_with_an_absolute_link(
    smtp_server: SmtpServer, request_: OutreachRequest
) -> None:
    tasks.deliver_outreach_request.enqueue(request_.pk, LINK)

    (received,) = smtp_server.messages
    assert received.rcpt_tos == ["owen@acme.test"]
    assert received.subject == (
        'Approval needed: invite Gina Globex from Globex to Q&A on "first invoice" <pilot>'
    )
    assert 'Q&A on "first invoice" <pilot>' in received.body  # no HTML escaping
    assert "She knows the <billing> flow & its gaps." in received.body
    assert "http://127.0.0.1:8000/w/acme/sessions/outreach/1/" in received.body
    assert "fran@acme.test" in str(received.message["Reply-To"])


def test_a_waiver_tells_the_requester_why(
    cast: Cast, smtp_server: SmtpServer, request_: OutreachRequest
) -> None:
    request_.status = OutreachStatus.WAIVED
    request_.reason = "Owen is on leave; the sponsor agreed."
    request_.decided_by = cast.users["admin"]
    request_.decided_at = timezone.now()
    request_.save()
    tasks.deliver_outreach_decision.enqueue(request_.pk, "https://traction.example.test/x/")

    (received,) = smtp_server.messages
    assert received.rcpt_tos == ["fran@acme.test"]
    assert received.subject.startswith("Approval waived: invite Gina Globex from Globex")
    assert "Alice Admin waived the account owner's approval" in received.body
    assert "Owen is on leave; the sponsor agreed." in received.body
    assert "https://traction.example.test/x/" in received.body


def test_nothing_is_sent_while_pending_or_without_a_requester(
    smtp_server: SmtpServer, request_: OutreachRequest
) -> None:
    tasks.deliver_outreach_decision.enqueue(request_.pk, LINK)  # still pending
    request_.status = OutreachStatus.APPROVED
    request_.requested_by = None
    request_.save()
    tasks.deliver_outreach_decision.enqueue(request_.pk, LINK)

    assert smtp_server.messages == []


def test_the_owner_reads_only_their_own_customers_among_the_others(
    cast: Cast, smtp_server: SmtpServer, request_: OutreachRequest
) -> None:
    """Owen owns Globex: Initech's contact asked for the same session is a count, unnamed."""
    assert cast.other_contact is not None
    assert cast.customer is not None
    OutreachRequest.objects.create(
        workspace=cast.acme,
        session=request_.session,
        contact=cast.other_contact,
        account_owner=cast.users["admin"],
        requested_by=cast.users["facilitator"],
    )
    hal = cast.customer.contacts.create(
        workspace=cast.acme, name="Hal Globex", email="hal@globex.test", consent_to_contact=True
    )
    OutreachRequest.objects.create(
        workspace=cast.acme,
        session=request_.session,
        contact=hal,
        account_owner=cast.users["account_owner"],
        requested_by=cast.users["facilitator"],
    )
    tasks.deliver_outreach_request.enqueue(request_.pk, LINK)
    (received,) = smtp_server.messages
    assert "Initech" not in received.body
    assert "Ian" not in received.body
    assert (
        "Also asked for this session\n"
        "- Hal Globex, Globex (waiting for the account owner)\n"
        "- 1 contact of other customers\n"
    ) in received.body.replace("\r\n", "\n")
