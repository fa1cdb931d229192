"""The approval email when the mail server is down, in the browser: Fran asks for approval of
Globex's update while SMTP refuses connections; the page answers, and the approval says the
request to Owen could not be sent and when it is tried again. Traction later gives up; the
page says so and offers Send again, which (the server back) sends it. Desktop and phone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from traction.core import clock
from traction.core.testing.cast import build_cast
from traction.loop import mailer, update_emails
from traction.loop.models import ApprovalEmail
from traction.loop.services import updates
from traction.loop.tests import world as w

from .a11y import assert_accessible
from .helpers import DESKTOP, PHONE, closed_port, no_sideways_scroll, sign_in

NOW = datetime(2027, 1, 20, 9, 0, tzinfo=UTC)


@pytest.mark.e2e
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_request_that_could_not_be_sent_is_shown_and_sent_again(
    live_server: Any,
    transactional_db: Any,
    browser: Browser,
    settings: Any,
    viewport: dict[str, int],
) -> None:
    with clock.frozen(NOW) as frozen:
        cast = build_cast()
        w.build(cast)
        update = updates.compose(
            cast.viewer("facilitator"),
            cast.program,
            audience="customer",
            customer_id=cast.customer.pk,
        )
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = closed_port()
        settings.EMAIL_TIMEOUT = 5
        phone = viewport == PHONE
        context = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone)
        fran: Page = context.new_page()
        sign_in(fran, live_server.url, "fran@acme.test")
        fran.goto(f"{live_server.url}/w/acme/loop/updates/{update.pk}/")
        fran.get_by_role("button", name="Ask for approval").click()
        expect(fran.get_by_text("Asked each account owner to approve it.")).to_be_visible()
        card = fran.locator(".approval", has_text="Globex")
        expect(card).to_contain_text(
            "The request to Owen Owner could not be sent: the mail server could not be reached"
        )
        expect(card).to_contain_text("Retrying at 2027-01-20 09:01")
        assert_accessible(fran, "an approval whose request could not be sent")
        no_sideways_scroll(fran)

        # Still down at the last attempt: Traction gives up and offers Send again.
        ApprovalEmail.objects.update(attempts=mailer.MAX_ATTEMPTS - 1)
        frozen.advance(minutes=2)
        assert update_emails.run()["gave_up"] == 1
        fran.reload()
        expect(card).to_contain_text("Traction stopped trying.")
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        card.get_by_role("button", name="Send again").click()
        expect(fran.get_by_text("Sending the approval email to Owen Owner again.")).to_be_visible()
        expect(fran.locator(".approval", has_text="Globex")).to_contain_text(
            "The request went to Owen Owner by email"
        )
        no_sideways_scroll(fran)
        context.close()
