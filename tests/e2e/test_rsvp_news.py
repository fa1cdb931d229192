"""Issue 11, as the facilitator meets it: a customer's RSVP arrives as a notice that opens the
session, the session page flags the invitations still unanswered two days before, and the
member chooses their RSVP emails on their settings page (desktop and phone)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from traction.core import clock
from traction.core.testing.cast import build_cast
from traction.customers import services as customers
from traction.sessions import services
from traction.sessions.models import RsvpEmailPreference
from traction.sessions.rsvp import customer_principal
from traction.sessions.tasks import rsvp_daily

from .a11y import assert_accessible
from .helpers import sign_in

# Wednesday 24 March 2027, 10:00 UTC: the session starts Friday 09:00 in Berlin, in 46 hours.
NOW = datetime(2027, 3, 24, 10, 0, tzinfo=UTC)


@pytest.fixture
def frozen() -> Iterator[clock.FrozenClock]:
    with clock.frozen(NOW) as c:  # the live server's threads see the same time
        yield c


@pytest.mark.e2e
def test_the_facilitator_sees_rsvps_the_unanswered_flag_and_chooses_rsvp_emails(
    live_server: Any,
    transactional_db: Any,
    page: Page,
    frozen: clock.FrozenClock,
    screenshots: Path,
) -> None:
    cast = build_cast()
    fran = cast.viewer("facilitator")
    session = services.plan_session(
        fran,
        program=cast.program,  # type: ignore[arg-type]
        title="Onboarding co-design",
        starts_at=datetime(2027, 3, 26, 9, 0),
        ends_at=datetime(2027, 3, 26, 12, 30),
        time_zone="Europe/Berlin",
    )
    services.add_participant(
        fran, session=session, user_id=cast.users["facilitator"].pk, role="facilitator"
    )
    invitations = []
    for name in ("Gina Globex", "Hank Globex", "Ida Globex"):
        person = cast.contact
        if name != "Gina Globex":
            person = customers.add_contact(
                fran,
                customer=cast.customer,  # type: ignore[arg-type]
                name=name,
                email=f"{name.split()[0].lower()}@globex.test",
                consent_to_contact=True,
            )
        request = services.request_outreach(fran, session=session, contact=person)  # type: ignore[arg-type]
        services.decide_outreach(cast.viewer("account_owner"), request=request, approve=True)
        invitations.append(services.send_invitation(fran, request=request))
    gina = invitations[0]
    services.respond_rsvp(
        customer_principal(gina.pk, gina.contact_id), accept=True, note="Looking forward to it"
    )
    assert rsvp_daily.call()["flagged"] == 1

    base = live_server.url
    sign_in(page, base, "fran@acme.test")
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Notices").click()
    notices = page.locator(".notice-list")
    expect(notices).to_contain_text(
        "RSVP for “Onboarding co-design”: Gina Globex (Globex) accepted: “Looking forward to it”"
    )
    expect(notices).to_contain_text(
        "“Onboarding co-design”: 2 invitations unanswered, session in 2 days."
    )

    # The RSVP notice opens the session: the answer and the flag are there.
    notices.locator("li").filter(has_text="RSVP for").get_by_role(
        "link", name=re.compile("^Open")
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Onboarding co-design")
    page.screenshot(path=str(screenshots / "rsvp-session-flag.png"), full_page=True)
    flag = page.locator("#unanswered-flag")
    expect(flag).to_have_text(
        "2 invitations unanswered, session in 2 days. Remind them, or plan without them."
    )
    assert_accessible(page, "the session page with the unanswered flag")
    row = page.get_by_role("row").filter(has_text="Gina Globex")
    expect(row).to_contain_text("Accepted")
    expect(row).to_contain_text("“Looking forward to it”")

    # Once everyone answered, the flag is gone.
    for other in invitations[1:]:
        services.respond_rsvp(customer_principal(other.pk, other.contact_id), accept=False)
    page.reload()
    expect(page.locator("#unanswered-flag")).to_have_count(0)

    # Her settings, from the menu under her name: RSVP emails, a daily digest by default.
    page.locator("details.usermenu summary").click()
    page.get_by_role("link", name="Your settings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your settings")
    expect(page.get_by_label("Daily digest")).to_be_checked()
    page.get_by_label("Each answer").check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("RSVP emails: each answer. Saved.")
    expect(page.get_by_label("Each answer")).to_be_checked()
    assert_accessible(page, "Your settings")
    assert list(RsvpEmailPreference.objects.values_list("user__email", "rsvp_emails")) == [
        ("fran@acme.test", "each")
    ]

    # On a phone the form fits the screen and still saves.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.get_by_label("None").check()
    page.screenshot(path=str(screenshots / "rsvp-emails-phone.png"), full_page=True)
    width = page.evaluate("document.getElementById('main').scrollWidth")
    assert width <= 390, f"the settings are {width}px wide on a 390px phone"
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("RSVP emails: none. Saved.")
