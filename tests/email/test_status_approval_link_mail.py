"""The status approval email carries the signed one-click link (real SMTP on loopback): both
parts hold the same link, opening it shows what Globex will hear without approving, the
confirm POST approves. When Globex's account owner changes, the new owner gets a fresh
request at once (an email with their own link) and the former owner's link stops working."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from tests.email.conftest import SmtpServer
from traction.core import clock
from traction.core.models import AuditEvent
from traction.loop.models import Approval, ApprovalState, PriorityStatus, Status
from traction.loop.services import publishing
from traction.loop.tests import world as w

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 1, 20, 9, 0, tzinfo=UTC)
APPROVE_LINK = re.compile(r"(https?://[^\s\"<]+/loop/approvals/link/[^\s\"<]+/)")


def _link(received: Any) -> str:
    """The approve link, the same in the text and the HTML part; as a path."""
    text = received.body
    html_part = received.message.get_body(preferencelist=("html",))
    assert html_part is not None
    [link] = APPROVE_LINK.findall(text)
    assert APPROVE_LINK.findall(str(html_part.get_content())) == [link]
    assert "the link works for 14 days, once" in text
    return "/" + str(link).split("/", 3)[3]


def _propose(cast: Any, capture: Callable[..., Any]) -> PriorityStatus:
    with clock.frozen(NOW):
        world = w.build(cast)
        with capture(execute=True):
            return publishing.propose_status(
                cast.viewer("facilitator"),
                cast.program,
                priority_id=world.card.pk,
                status=Status.HEARD,
            )


def test_the_owner_approves_from_the_email_in_two_steps(
    cast: Any,
    smtp_server: SmtpServer,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    proposal = _propose(cast, django_capture_on_commit_callbacks)
    [received] = smtp_server.messages
    assert received.rcpt_tos == ["owen@acme.test"]
    path = _link(received)
    approval = Approval.objects.get(status=proposal, customer=cast.customer)
    owner = Client()  # not signed in: the link is the credential
    with clock.frozen(NOW + timedelta(hours=2)):
        page = owner.get(path)
        assert page.status_code == 200
        html = page.content.decode()
        assert "Invoice approval takes three weeks" in html
        assert "Heard" in html
        approval.refresh_from_db()
        assert approval.state == ApprovalState.PENDING  # opening it (a scanner) approves nothing
        assert owner.post(path).status_code == 200
    approval.refresh_from_db()
    assert (approval.state, approval.by) == (ApprovalState.APPROVED, cast.users["account_owner"])
    with clock.frozen(NOW + timedelta(hours=3)):
        assert owner.post(path).status_code == 409  # once


def test_a_new_owner_is_asked_at_once_and_the_old_link_stops_working(
    cast: Any,
    smtp_server: SmtpServer,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    from traction.customers import services as customer_services

    proposal = _propose(cast, django_capture_on_commit_callbacks)
    [to_owen] = smtp_server.messages
    owens_link = _link(to_owen)
    with (
        clock.frozen(NOW + timedelta(hours=1)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        customer_services.update_customer(
            cast.viewer("admin"),
            customer=cast.customer,
            changes={"account_owner_id": cast.users["admin"].pk},
        )
    [_, to_admin] = smtp_server.messages
    assert to_admin.rcpt_tos == [cast.users["admin"].email]
    assert to_admin.subject == "Approve what Globex will hear: Heard"
    admins_link = _link(to_admin)
    assert admins_link != owens_link
    with clock.frozen(NOW + timedelta(hours=2)):
        gone = Client().post(owens_link)
        assert gone.status_code == 410
        assert "moved to another account owner" in gone.content.decode()
        assert Client().post(admins_link).status_code == 200
    approval = Approval.objects.get(status=proposal, customer=cast.customer)
    assert (approval.state, approval.by) == (ApprovalState.APPROVED, cast.users["admin"])
    assert AuditEvent.objects.filter(
        action="loop.status_approval_link_refused", object_id=str(approval.pk)
    ).exists()
