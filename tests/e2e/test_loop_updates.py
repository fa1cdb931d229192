"""An update in the browser (issue 13): Fran, the facilitator, drafts an update to Globex from
the data; she adds "live by March" and the checker flags it beside the text, and asking for
approval is refused; she rewrites it as "planned for Q1 2027", which the checker flags until
a planned status with that window is published (the status is fixed: proposed for the
quarter, approved by Owen, Initech's waived); then she asks for approval. Owen, Globex's
account owner, approves the exact text and recipients on his page, and Fran sends it: the
email goes to Gina, who opens her portal on a phone, sees the update and replies (her reply
is an insight of the program, attributed to her). Desktop and phone (390 px) for the team's
pages; the pages pass axe-core."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import Browser, Page, expect

from traction.core import clock
from traction.core.testing.cast import build_cast
from traction.insights.models import Insight
from traction.loop.models import Approval, Reply, Update, UpdateRecipient
from traction.loop.services import publishing
from traction.loop.tests import mail_world as mw
from traction.loop.tests import world as w

from .a11y import assert_accessible
from .helpers import DESKTOP, PHONE, no_sideways_scroll, sign_in

NOW = datetime(2027, 1, 20, 9, 0, tzinfo=UTC)


def replace_text(page: Page, old: str, new: str) -> None:
    text = page.get_by_label("Text:", exact=True)
    text.fill(text.input_value().replace(old, new))
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Saved.")).to_be_visible()


@pytest.mark.e2e
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_draft_flagged_fixed_approved_and_sent(
    live_server: Any, transactional_db: Any, browser: Browser, viewport: dict[str, int]
) -> None:
    with clock.frozen(NOW):
        cast = build_cast()
        world = w.build(cast)
        base = live_server.url
        phone = viewport == PHONE

        def new_page(email: str) -> Page:
            context = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone)
            page = context.new_page()
            sign_in(page, base, email)
            return page

        fran = new_page("fran@acme.test")
        fran.goto(f"{base}/w/acme/programs/{cast.program.pk}/")
        fran.get_by_role("link", name="Updates to customers").click()
        expect(fran.get_by_text("No updates yet.")).to_be_visible()
        assert_accessible(fran, "the empty updates list")
        no_sideways_scroll(fran)
        fran.get_by_role("link", name="Write an update").click()
        fran.get_by_label("One customer organisation").check()
        fran.get_by_label("Customer organisation:", exact=True).select_option(label="Globex")
        fran.get_by_role("button", name="Draft it").click()
        expect(fran.get_by_text("Drafted from the data.")).to_be_visible()
        text = fran.get_by_label("Text:", exact=True)
        expect(text).to_have_value(
            re.compile("Gina Globex told us: “Invoice approval takes three weeks”")
        )
        expect(fran.locator("#checker")).to_contain_text("Nothing to flag")
        assert_accessible(fran, "a drafted update")
        no_sideways_scroll(fran)

        # An unbacked "by March": flagged beside the text, and approval is refused.
        replace_text(
            fran,
            "Thank you for your time and your candour.",
            "The one-page approval is live by March.\n\nThank you for your time and your candour.",
        )
        checker = fran.locator("#checker")
        expect(checker.locator("mark", has_text="by March")).to_be_visible()
        fran.get_by_role("button", name="Ask for approval").click()
        expect(
            fran.get_by_text("Fix what the checker flags before asking for approval")
        ).to_be_visible()
        expect(fran.locator("#update-state")).to_have_text("Draft")

        # Rewritten with a window: flagged until a published status shows that window.
        replace_text(fran, "is live by March.", "is planned for Q1 2027.")
        expect(checker.locator("mark", has_text="Q1 2027")).to_be_visible()
        rec = w.approved(world)
        w.act(world, rec, date(2027, 3, 10))
        proposal = publishing.propose_status(
            cast.viewer("facilitator"),
            cast.program,
            priority_id=world.card.pk,
            status="planned",
            window_kind="quarter",
            window_start=date(2027, 1, 1),
        )
        for approval in Approval.objects.filter(status=proposal):
            if approval.account_owner_id:
                publishing.approve(cast.viewer("account_owner"), approval)
            else:
                publishing.waive(cast.viewer("admin"), approval, reason="Nobody owns Initech.")
        fran.reload()
        expect(checker).to_contain_text("Nothing to flag")
        fran.get_by_role("button", name="Ask for approval").click()
        expect(fran.get_by_text("Asked each account owner to approve it.")).to_be_visible()
        expect(fran.locator("#update-state")).to_have_text("Waiting for approval")

        update = Update.objects.get()
        owen = new_page("owen@acme.test")
        owen.goto(f"{base}/w/acme/loop/updates/{update.pk}/")
        approval_card = owen.locator(".approval", has_text="Globex")
        expect(approval_card).to_contain_text("Gina Globex")
        assert_accessible(owen, "the update waiting for Owen")
        no_sideways_scroll(owen)
        owen.get_by_role("button", name="Approve this text and these recipients").click()
        expect(owen.get_by_text("Approved for Globex.")).to_be_visible()

        fran.reload()
        expect(fran.locator("#update-state")).to_have_text("Approved, ready to send")
        fran.get_by_role("button", name="Send it").click()
        expect(fran.get_by_text("Sent: it goes out to its recipients now")).to_be_visible()
        expect(fran.locator("#update-state")).to_have_text("Sent")
        expect(fran.get_by_text("A sent update cannot be changed.")).to_be_visible()
        assert_accessible(fran, "a sent update")
        no_sideways_scroll(fran)
        update.refresh_from_db()
        assert update.state == "sent"
        assert "planned for Q1 2027" in update.body
        # The email went once the send committed (tests/email checks the message itself).
        assert list(UpdateRecipient.objects.values_list("email", "state")) == [
            ("gina@globex.test", "sent")
        ]
        assert [m.to for m in mail.outbox if m.subject == update.subject] == [
            ["Gina Globex <gina@globex.test>"]
        ]

        # Gina opens her portal on her phone, sees the update, and replies.
        gina = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
        gina.goto(f"{base}/{mw.portal_client_token(cast.contact)}")
        updates = gina.get_by_role("region", name="Updates to you")
        expect(updates).to_contain_text("New")
        updates.get_by_role("link", name=update.subject).click()
        expect(gina.locator("main")).to_contain_text("planned for Q1 2027")
        expect(gina.locator("main")).not_to_contain_text("Initech")
        no_sideways_scroll(gina)
        assert_accessible(gina, "the sent update in Gina's portal on a phone")
        gina.get_by_label("Your reply").fill("Q1 works for us. Can it cover credit notes too?")
        gina.get_by_role("button", name="Send reply").click()
        expect(gina.get_by_role("status")).to_contain_text("your reply went to the team")
        reply = Reply.objects.get()
        said = Insight.objects.get(pk=reply.insight_id)
        assert (said.text, said.speaker_contact_id, said.program_id) == (
            "Q1 works for us. Can it cover credit notes too?",
            cast.contact.pk,
            cast.program.pk,
        )
