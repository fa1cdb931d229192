"""The one-click status approval in the browser: Owen opens the signed link from his email
(not signed in), sees what Globex will hear of its priority, and approves with the button;
opening it again says it was already given.

The flow runs once, at phone width (390 px, the stricter layout; owners act from their phones):
the steps and assertions are the same at desktop width, and this run checks that these
customer-facing pages fit the narrower screen."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import Browser, Page, expect

from traction.core import clock
from traction.core.testing.cast import build_cast
from traction.loop.models import Approval
from traction.loop.services import publishing
from traction.loop.tests import world as w

from .a11y import assert_accessible
from .helpers import PHONE, no_sideways_scroll

NOW = datetime(2027, 1, 20, 9, 0, tzinfo=UTC)
APPROVE_LINK = re.compile(r"(https?://[^\s\"<]+/loop/approvals/link/[^\s\"<]+/)")


@pytest.mark.e2e
@pytest.mark.parametrize("viewport", [PHONE], ids=["phone"])
def test_the_owner_approves_a_status_from_the_email_link(
    live_server: Any,
    transactional_db: Any,
    browser: Browser,
    settings: Any,
    viewport: dict[str, int],
) -> None:
    with clock.frozen(NOW) as frozen:
        cast = build_cast()
        world = w.build(cast)
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        settings.TRACTION_SITE_URL = live_server.url
        proposal = publishing.propose_status(
            cast.viewer("facilitator"),
            cast.program,
            priority_id=world.card.pk,
            status="not_planned",
            customer_reason="We looked at it carefully and decided not to build it.",
        )
        [email] = [m for m in mail.outbox if m.to == ["owen@acme.test"]]
        [link] = APPROVE_LINK.findall(email.body)
        frozen.advance(timedelta(hours=1))
        phone = viewport == PHONE
        context = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone)
        owen: Page = context.new_page()
        owen.goto(link)
        expect(owen.get_by_role("heading", name="Approve a status")).to_be_visible()
        card = owen.locator(".status-approval")
        expect(card).to_contain_text("Invoice approval takes three weeks")
        expect(card).to_contain_text("Not planned")
        expect(card).to_contain_text("“We looked at it carefully and decided not to build it.”")
        expect(card).to_contain_text("no status yet")
        assert_accessible(owen, "the status approval link page")
        no_sideways_scroll(owen)
        approval = Approval.objects.get(status=proposal, customer=cast.customer)
        assert approval.state == "pending"  # opening the link approves nothing

        owen.get_by_role("button", name="Approve this status").click()
        expect(owen.get_by_role("status")).to_contain_text("Approved for Globex. Thank you.")
        expect(owen.get_by_role("button", name="Approve this status")).to_have_count(0)
        no_sideways_scroll(owen)
        approval.refresh_from_db()
        assert approval.state == "approved"
        assert approval.by_id == cast.users["account_owner"].pk

        owen.goto(link)
        expect(owen.get_by_role("alert")).to_contain_text("already given (Approved)")
        context.close()
