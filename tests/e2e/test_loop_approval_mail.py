"""The approval email when the mail server is down, in the browser, for an update and for a
status: Fran asks for approval of Globex's update (or proposes a status for Globex's
priority) while SMTP refuses connections; the page answers, and the approval says the
request to Owen could not be sent and when it is tried again. Traction later gives up; the
page says so and offers Send again, which (the server back) sends it.

The flows run once, at phone width (390 px, the stricter layout; owners act from their phones):
the steps and assertions are the same at desktop width, and tests/e2e/test_internal_pages.py
already checks that every internal page fits a phone for every role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from traction.core import clock
from traction.core.testing.cast import Cast, build_cast
from traction.loop import mailer, update_emails
from traction.loop.models import ApprovalEmail
from traction.loop.services import publishing, updates
from traction.loop.tests import world as w

from .a11y import assert_accessible
from .helpers import PHONE, closed_port, no_sideways_scroll, sign_in

NOW = datetime(2027, 1, 20, 9, 0, tzinfo=UTC)
NOT_SENT = "The request to Owen Owner could not be sent: the mail server could not be reached"


@dataclass
class MailDown:
    """Acme's loop world at NOW with the mail server down, and Fran signed in."""

    cast: Cast
    world: w.World
    frozen: Any
    settings: Any
    fran: Page
    url: str

    def gives_up_and_sends_again(self, approval: Locator, selector: str) -> None:
        """The last attempt fails too: Traction gives up and offers Send again, which sends
        it once the server is back."""
        ApprovalEmail.objects.update(attempts=mailer.MAX_ATTEMPTS - 1)
        self.frozen.advance(minutes=2)
        assert update_emails.run()["gave_up"] == 1
        self.fran.reload()
        expect(approval).to_contain_text("Traction stopped trying.")
        self.settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        approval.get_by_role("button", name="Send again").click()
        expect(
            self.fran.get_by_text("Sending the approval email to Owen Owner again.")
        ).to_be_visible()
        expect(self.fran.locator(selector, has_text="Globex")).to_contain_text(
            "The request went to Owen Owner by email"
        )
        no_sideways_scroll(self.fran)


@pytest.fixture(params=[PHONE], ids=["phone"])
def mail_down(
    request: pytest.FixtureRequest,
    live_server: Any,
    transactional_db: Any,
    browser: Browser,
    settings: Any,
) -> Iterator[MailDown]:
    viewport: dict[str, int] = request.param
    with clock.frozen(NOW) as frozen:
        cast = build_cast()
        world = w.build(cast)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = closed_port()
        settings.EMAIL_TIMEOUT = 5
        phone = viewport == PHONE
        context = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone)
        fran = context.new_page()
        sign_in(fran, live_server.url, "fran@acme.test")
        yield MailDown(cast, world, frozen, settings, fran, live_server.url)
        context.close()


@pytest.mark.e2e
def test_a_request_that_could_not_be_sent_is_shown_and_sent_again(mail_down: MailDown) -> None:
    cast, fran = mail_down.cast, mail_down.fran
    update = updates.compose(
        cast.viewer("facilitator"), cast.program, audience="customer", customer_id=cast.customer.pk
    )
    fran.goto(f"{mail_down.url}/w/acme/loop/updates/{update.pk}/")
    fran.get_by_role("button", name="Ask for approval").click()
    expect(fran.get_by_text("Asked each account owner to approve it.")).to_be_visible()
    card = fran.locator(".approval", has_text="Globex")
    expect(card).to_contain_text(NOT_SENT)
    expect(card).to_contain_text("Retrying at 20 Jan 2027, 09:01")
    assert_accessible(fran, "an approval whose request could not be sent")
    no_sideways_scroll(fran)
    mail_down.gives_up_and_sends_again(card, ".approval")


@pytest.mark.e2e
def test_a_status_request_that_could_not_be_sent_is_shown_and_sent_again(
    mail_down: MailDown,
) -> None:
    cast, fran = mail_down.cast, mail_down.fran
    publishing.propose_status(
        cast.viewer("facilitator"),
        cast.program,
        priority_id=mail_down.world.card.pk,
        status="heard",
    )
    [email] = ApprovalEmail.objects.all()
    assert email.state == "failed"
    fran.goto(f"{mail_down.url}/w/acme/loop/programs/{cast.program.pk}/priorities/")
    item = fran.locator(".approvals li", has_text="Globex")
    expect(item).to_contain_text(NOT_SENT)
    expect(item).to_contain_text("Retrying at 20 Jan 2027, 09:01")
    assert_accessible(fran, "a status approval whose request could not be sent")
    no_sideways_scroll(fran)
    mail_down.gives_up_and_sends_again(item, ".approvals li")
