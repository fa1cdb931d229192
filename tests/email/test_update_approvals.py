"""The account owner's approval email for an update, through a real SMTP server on loopback:
both parts present, the text and the exact recipients in it, and the signed link in it
opens the update and approves it without signing in (once)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client

from tests.email.conftest import SmtpServer
from traction.core import clock
from traction.loop.models import Approval
from traction.loop.services import updates
from traction.loop.tests import world as w

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 1, 20, 9, 0, tzinfo=UTC)
LINK = re.compile(r"(https?://[^\s\"<]+/loop/update-approvals/link/[^\s\"<]+/)")


def test_the_owner_gets_both_parts_and_a_link_that_approves_once(
    cast: Any, smtp_server: SmtpServer, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with clock.frozen(NOW):
        world = w.build(cast)
        update = updates.compose(
            cast.viewer("facilitator"),
            cast.program,
            audience="customer",
            customer_id=cast.customer.pk,
        )
        with django_capture_on_commit_callbacks(execute=True):
            updates.submit(cast.viewer("facilitator"), update)
    [received] = smtp_server.to("owen@acme.test")
    assert received.subject == (
        "Approve the update to Globex: You said, we did: Effortless onboarding"
    )
    text = received.body
    html_part = received.message.get_body(preferencelist=("html",))
    assert html_part is not None
    html = str(html_part.get_content())
    for body in (text, html):
        assert "Invoice approval takes three weeks" in body
        assert "gina@globex.test" in body
        assert "Ian" not in body  # Initech's contact is no recipient of Globex's update
    assert world.quiet.text not in text
    [link] = LINK.findall(text)
    assert link in html
    path = "/" + link.split("/", 3)[3]
    with clock.frozen(NOW):
        anonymous = Client()
        page = anonymous.get(path)
        assert page.status_code == 200
        assert "Approve this update" in page.content.decode()
        assert anonymous.post(path).status_code == 200
        assert anonymous.post(path).status_code == 409
    approval = Approval.objects.get(update=update)
    assert approval.state == "approved"
    update.refresh_from_db()
    assert update.state == "approved"
