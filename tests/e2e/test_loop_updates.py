"""An update in the browser (issue 13), as its people do it: Fran, the facilitator, drafts an
update to Globex from the data and adds "The one-page approval is live by March."; the
checker flags the unbacked "by March" beside the text, and asking for approval is refused.
She fixes the status, not the text: on the program's customer priorities she proposes
"Planned — March 2027" for Globex's priority (its recommendation is approved, with an owned
action due on 10 March); Owen, Globex's account owner, signs in and approves it there, and
Alice (admin) waives Initech's approval with a reason, which publishes it. Back on the
update, the checker has nothing to flag; she asks for approval, Owen approves the exact text
and recipients from the signed link in the email he received, and Fran sends it. The mail
goes through a real SMTP server on loopback; Gina, at Globex, opens its "Read this message
in your portal" link on her phone (390 px), asks the portal for a sign-in link, opens the
link from that email, sees the update and replies (her reply is an insight of the program,
attributed to her). The pages pass axe-core and never scroll
sideways.

The flow runs once, at phone width (390 px, the stricter layout; owners act from their phones):
the steps and assertions are the same at desktop width, and tests/e2e/test_internal_pages.py
already checks that every internal page fits a phone for every role."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core import mail
from playwright.sync_api import Browser, Page, expect

from tests.email.conftest import Received, SmtpServer
from tests.email.conftest import smtp_server as smtp_server  # the fixture, used below
from traction.core import clock
from traction.core.testing.cast import build_cast
from traction.insights.models import Insight
from traction.loop.models import PriorityStatus, Reply, Update, UpdateRecipient
from traction.loop.tests import world as w
from traction.sessions.models import Invitation, OutreachRequest

from .a11y import assert_accessible
from .helpers import PHONE, no_sideways_scroll, sign_in

NOW = datetime(2027, 1, 20, 9, 0, tzinfo=UTC)
BY_MARCH = "The one-page approval is live by March."


def replace_text(page: Page, old: str, new: str) -> None:
    text = page.get_by_label("Text:", exact=True)
    text.fill(text.input_value().replace(old, new))
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Saved.")).to_be_visible()


def link_path(received: Received, route: str) -> str:
    """The path (and query) of the one link to ``route`` in the message's plain-text part,
    to open on the test's server."""
    urls = [u for u in re.findall(r"https?://\S+", received.body) if route in u]
    assert len(urls) == 1, received.body
    parts = urlsplit(urls[0])
    return parts.path + (f"?{parts.query}" if parts.query else "")


def only_message(smtp: SmtpServer, to: str, subject: str) -> Received:
    found = [m for m in smtp.to(to) if m.subject.startswith(subject)]
    assert len(found) == 1, [(m.rcpt_tos, m.subject) for m in smtp.messages]
    return found[0]


@pytest.mark.e2e
@pytest.mark.parametrize("viewport", [PHONE], ids=["phone"])
def test_draft_flagged_status_fixed_approved_sent_and_answered(
    live_server: Any,
    transactional_db: Any,
    browser: Browser,
    smtp_server: SmtpServer,
    viewport: dict[str, int],
) -> None:
    with clock.frozen(NOW):
        cast = build_cast()
        world = w.build(cast)
        # The facts a "planned" status rests on: the recommendation answering Globex's
        # priority is approved, with an owned action item due on 10 March 2027. Gina took
        # part in the session (she accepted her invitation), so the portal knows her.
        w.act(world, w.approved(world), date(2027, 3, 10))
        Invitation.objects.create(
            workspace=cast.acme,
            session=world.session,
            outreach=OutreachRequest.objects.get(contact=cast.contact),
            contact=cast.contact,
            rsvp="accepted",
        )
        base = live_server.url
        phone = viewport == PHONE
        program_url = f"{base}/w/acme/programs/{cast.program.pk}/"

        def new_page(email: str | None = None) -> Page:
            context = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone)
            page = context.new_page()
            if email:
                sign_in(page, base, email)
            return page

        fran = new_page("fran@acme.test")
        fran.goto(program_url)
        fran.get_by_role("link", name="Updates to customers").click()
        expect(fran.get_by_text("No updates yet.")).to_be_visible()
        assert_accessible(fran, "the empty updates list")
        no_sideways_scroll(fran)
        fran.get_by_role("link", name="Write an update").click()
        fran.get_by_label("One customer organisation").check()
        fran.get_by_label("Find the customer organisation").fill("Glob")
        fran.locator("#picker-options").get_by_label("Globex", exact=True).check()
        fran.get_by_role("button", name="Draft it").click()
        expect(fran.get_by_text("Drafted from the data.")).to_be_visible()
        text = fran.get_by_label("Text:", exact=True)
        expect(text).to_have_value(
            re.compile("Gina Globex told us: “Invoice approval takes three weeks”")
        )
        checker = fran.locator("#checker")
        expect(checker).to_contain_text("Nothing to flag")
        assert_accessible(fran, "a drafted update")
        no_sideways_scroll(fran)
        update_url = fran.url

        # An unbacked "by March": flagged beside the text, and approval is refused.
        replace_text(
            fran,
            "Thank you for your time and your candour.",
            f"{BY_MARCH}\n\nThank you for your time and your candour.",
        )
        expect(checker.locator("mark", has_text="by March")).to_be_visible()
        expect(checker).to_contain_text(
            "no published planned or in-progress status of this program shows a window "
            "ending by the end of March 2027"
        )
        fran.get_by_role("button", name="Ask for approval").click()
        expect(
            fran.get_by_text("Fix what the checker flags before asking for approval")
        ).to_be_visible()
        expect(fran.locator("#update-state")).to_have_text("Draft")
        assert_accessible(fran, "an update the checker flags")
        no_sideways_scroll(fran)

        # Fran fixes the status, not the text: planned for March 2027 (the action is due on
        # 10 March), proposed on the program's customer priorities.
        fran.goto(program_url)
        fran.get_by_role("link", name="Customer priorities", exact=True).click()
        card = fran.locator(f"#priority-{world.card.pk}")
        expect(card).to_contain_text("nothing published yet")
        card.get_by_role("link", name="Propose a status for this priority").click()
        fran.get_by_label("Customer-facing status").select_option("planned")
        fran.get_by_label("Window:", exact=True).select_option("month")
        fran.get_by_label("A day in the window").fill("2027-03-01")
        fran.get_by_role("button", name="Propose").click()
        expect(
            fran.get_by_text("Proposed. It is published once the account owners")
        ).to_be_visible()
        card = fran.locator(f"#priority-{world.card.pk}")
        expect(card).to_contain_text("Proposed: Planned — March 2027")
        expect(card).to_contain_text("waiting for Owen Owner")
        no_sideways_scroll(fran)
        # Proposed is not published: the checker still flags "by March".
        fran.goto(update_url)
        expect(checker.locator("mark", has_text="by March")).to_be_visible()

        # Owen, Globex's account owner, signs in: his home says a status waits for him.
        owen = new_page("owen@acme.test")
        owen.get_by_role("link", name="Review customer priorities").click()
        owen.locator(f"#priority-{world.card.pk}").get_by_role(
            "button", name="Approve for Globex"
        ).click()
        expect(owen.get_by_text("Approved for Globex.")).to_be_visible()
        no_sideways_scroll(owen)

        # Initech (it voted on the priority) has no account owner: Alice waives, with why.
        alice = new_page("alice@acme.test")
        alice.goto(program_url)
        alice.get_by_role("link", name="Customer priorities", exact=True).click()
        alice.locator(f"#priority-{world.card.pk}").get_by_role("link", name="Waive…").click()
        alice.get_by_label("Why is the").fill("Nobody owns Initech yet.")
        alice.get_by_role("button", name="Waive").click()
        expect(alice.get_by_text("Approval for Initech waived.")).to_be_visible()
        card = alice.locator(f"#priority-{world.card.pk}")
        expect(card.locator(".priority-status")).to_contain_text("Planned — March 2027")
        published = PriorityStatus.objects.get(priority=world.card, published_at__isnull=False)
        assert (published.status, published.window.label if published.window else "") == (
            "planned",
            "March 2027",
        )

        # Back on the update: the published window backs "by March"; the text is unchanged.
        fran.goto(program_url)
        fran.get_by_role("link", name="Updates to customers").click()
        update = Update.objects.get()
        fran.get_by_role("link", name=update.subject).click()
        expect(checker).to_contain_text("Nothing to flag")
        expect(checker.locator("mark")).to_have_count(0)
        expect(text).to_have_value(re.compile(re.escape(BY_MARCH)))
        fran.get_by_role("button", name="Ask for approval").click()
        expect(fran.get_by_text("Asked each account owner to approve it.")).to_be_visible()
        expect(fran.locator("#update-state")).to_have_text("Waiting for approval")
        approval_card = fran.locator(".approval", has_text="Globex")
        expect(approval_card).to_contain_text("Owen Owner")

        # Owen approves the exact text and recipients from the link in the email he got.
        asked = only_message(smtp_server, "owen@acme.test", "Approve the update to")
        assert BY_MARCH in asked.body
        assert "Gina Globex <gina@globex.test>" in asked.body
        owen_mail = new_page()
        owen_mail.goto(base + link_path(asked, "/update-approvals/link/"))
        expect(owen_mail.get_by_role("heading", name="Approve an update")).to_be_visible()
        expect(owen_mail.locator("main")).to_contain_text(BY_MARCH)
        expect(owen_mail.locator("main")).to_contain_text("Gina Globex <gina@globex.test>")
        assert_accessible(owen_mail, "the update Owen approves from his email")
        no_sideways_scroll(owen_mail)
        owen_mail.get_by_role("button", name="Approve this update").click()
        expect(owen_mail.get_by_role("status")).to_contain_text("Approved for Globex. Thank you.")

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
        assert BY_MARCH in update.body
        # Sending committed, the delivery task ran (as the task queue runs it): one message,
        # to Gina, over SMTP, recorded as sent.
        assert list(UpdateRecipient.objects.values_list("email", "state")) == [
            ("gina@globex.test", "sent")
        ]
        sent = only_message(smtp_server, "gina@globex.test", update.subject)
        assert BY_MARCH in sent.body
        assert sent.message.get_body(preferencelist=("html",)) is not None
        assert not mail.outbox  # nothing went around the SMTP server

        # Gina opens the email's portal link on her phone: no portal session yet, so she asks
        # for a sign-in link and opens it from her inbox.
        gina = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
        gina.goto(base + link_path(sent, f"/portal/updates/{update.pk}/"))
        expect(gina.get_by_role("heading", name="Get a link to your portal")).to_be_visible()
        no_sideways_scroll(gina)
        gina.get_by_label("Your email address").fill("gina@globex.test")
        gina.get_by_role("button", name="Email me a link").click()
        expect(gina.get_by_role("status")).to_contain_text("a link to your portal is on its way")
        link = only_message(smtp_server, "gina@globex.test", "Your link to")
        gina.goto(base + link_path(link, "/portal/in/"))
        updates = gina.get_by_role("region", name="Updates to you")
        expect(updates).to_contain_text("New")
        no_sideways_scroll(gina)
        updates.get_by_role("link", name=update.subject).click()
        expect(gina.locator("main")).to_contain_text(BY_MARCH)
        expect(gina.locator("main")).not_to_contain_text("Initech")
        no_sideways_scroll(gina)
        assert_accessible(gina, "the sent update in Gina's portal on a phone")
        gina.get_by_label("Your reply").fill("March works for us. Can it cover credit notes too?")
        gina.get_by_role("button", name="Send reply").click()
        expect(gina.get_by_role("status")).to_contain_text("your reply went to the team")
        reply = Reply.objects.get()
        said = Insight.objects.get(pk=reply.insight_id)
        assert (said.text, said.speaker_contact_id, said.program_id) == (
            "March works for us. Can it cover credit notes too?",
            cast.contact.pk,
            cast.program.pk,
        )
