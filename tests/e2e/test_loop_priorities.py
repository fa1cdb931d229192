"""Customer priorities in the browser (issue 13): Cora, of the core team, proposes "Planned"
for Globex's priority before anything backs it and reads the refusal beside the status; once
the recommendation is approved with an owned, dated action item she proposes it with a
quarter; Owen, Globex's account owner, approves it from the page, Alice (admin) waives
Initech's approval with a reason, and the page shows the published status with its window and
its dated history. The pages pass axe-core.

The flow runs once, at phone width (390 px, the stricter layout; owners act from their phones):
the steps and assertions are the same at desktop width, and tests/e2e/test_internal_pages.py
already checks that every internal page fits a phone for every role."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from traction.core import clock
from traction.core.testing.cast import build_cast
from traction.loop.tests import world as w

from .a11y import assert_accessible
from .helpers import PHONE, no_sideways_scroll, sign_in

NOW = datetime(2027, 1, 20, 9, 0, tzinfo=UTC)


@pytest.mark.e2e
@pytest.mark.parametrize("viewport", [PHONE], ids=["phone"])
def test_propose_refused_then_approved_and_published(
    live_server: Any, transactional_db: Any, browser: Browser, viewport: dict[str, int]
) -> None:
    with clock.frozen(NOW):
        cast = build_cast()
        world = w.build(cast)
        base = live_server.url
        phone = viewport == PHONE
        page_url = f"{base}/w/acme/loop/programs/{cast.program.pk}/priorities/"

        def new_page(email: str) -> Page:
            context = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone)
            page = context.new_page()
            sign_in(page, base, email)
            return page

        cora = new_page("cora@acme.test")
        cora.goto(f"{base}/w/acme/programs/{cast.program.pk}/")
        cora.get_by_role("link", name="Customer priorities", exact=True).click()
        expect(cora.get_by_role("heading", name="Customer priorities", level=1)).to_be_visible()
        card = cora.locator(f"#priority-{world.card.pk}")
        expect(card).to_contain_text("nothing published yet")
        assert_accessible(cora, "the priorities page")
        no_sideways_scroll(cora)

        card.get_by_role("link", name="Propose a status for this priority").click()
        cora.get_by_label("Customer-facing status").select_option("planned")
        cora.get_by_label("Window:", exact=True).select_option("quarter")
        cora.get_by_label("A day in the window").fill("2027-04-01")
        cora.get_by_role("button", name="Propose").click()
        status_field = cora.locator(".field", has=cora.get_by_label("Customer-facing status"))
        expect(status_field).to_contain_text(
            "Planned needs an approved recommendation with an owned, dated action item: no "
            "recommendation cites “Invoice approval takes three weeks”."
        )
        assert_accessible(cora, "the propose form with a refusal")
        no_sideways_scroll(cora)

        rec = w.approved(world)
        w.act(world, rec, date(2027, 5, 10))
        cora.get_by_role("button", name="Propose").click()
        expect(
            cora.get_by_text("Proposed. It is published once the account owners")
        ).to_be_visible()
        card = cora.locator(f"#priority-{world.card.pk}")
        expect(card).to_contain_text("Proposed: Planned — Q2 2027")
        expect(card).to_contain_text("waiting for Owen Owner")

        owen = new_page("owen@acme.test")
        owen.goto(page_url)
        owen.get_by_role("button", name="Approve for Globex").click()
        expect(owen.get_by_text("Approved for Globex.")).to_be_visible()
        no_sideways_scroll(owen)

        alice = new_page("alice@acme.test")
        alice.goto(page_url)
        alice.locator(f"#priority-{world.card.pk}").get_by_role("link", name="Waive…").click()
        alice.get_by_role("button", name="Waive").click()
        expect(alice.locator(".field", has=alice.get_by_label("Why is the"))).to_contain_text(
            "This field is required."
        )
        alice.get_by_label("Why is the").fill("Nobody owns Initech yet.")
        alice.get_by_role("button", name="Waive").click()
        expect(alice.get_by_text("Approval for Initech waived.")).to_be_visible()
        card = alice.locator(f"#priority-{world.card.pk}")
        expect(card.locator(".priority-status")).to_contain_text("Planned — Q2 2027")
        card.locator("summary", has_text="History of published statuses (1)").click()
        expect(card.locator(".history")).to_contain_text("20 Jan 2027: Planned — Q2 2027")
        assert_accessible(alice, "the priorities page with a published status")
        no_sideways_scroll(alice)
