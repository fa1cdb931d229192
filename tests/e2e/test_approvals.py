"""An account owner decides an ask from the one email they got: one contact by one (a decline
needs a reason, said beside the contact), then "Approve all" for the rest, on a phone
(390 px): no sideways scrolling, buttons big enough to tap.

The flow runs once, at phone width (390 px, the stricter layout; owners act from their phones):
the steps and assertions are the same at desktop width, and this run checks that these
customer-facing pages fit the narrower screen."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest
from django.core import mail
from playwright.sync_api import Browser, Page, expect

from traction.core.testing.cast import PASSWORD, build_cast
from traction.customers import services as customers
from traction.sessions import services
from traction.sessions.models import OutreachRequest

from .a11y import assert_accessible
from .helpers import no_sideways_scroll

SIZES = {"phone": (390, 844), "desktop": (1366, 900)}


def big_enough(page: Page, name: str) -> None:
    if name.startswith("Decline…"):  # a <summary>: it opens the decline form
        box = page.locator("summary").filter(has_text=name).bounding_box()
    else:
        box = page.get_by_role("button", name=name).bounding_box()
    assert box is not None
    assert box["height"] >= 44, (name, box)
    assert box["width"] >= 44, (name, box)


@pytest.mark.e2e
@pytest.mark.parametrize("size", ["phone"])
def test_the_owner_decides_an_ask_one_by_one_then_all(
    live_server, transactional_db, browser: Browser, screenshots: Path, size: str
) -> None:
    cast = build_cast()
    assert cast.customer is not None
    assert cast.contact is not None
    fran = cast.viewer("facilitator")
    people = [cast.contact] + [
        customers.add_contact(
            fran, customer=cast.customer, name=name, email=f"{name.split()[0].lower()}@globex.test",
            title="Head of onboarding at Globex's largest subsidiary", consent_to_contact=True,
        )
        for name in ("Hank Globex", "Harriet Globex")
    ]  # fmt: skip
    session = services.plan_session(
        fran,
        program=cast.program,
        title="Onboarding co-design",
        starts_at=datetime(2030, 7, 1, 9, 0),
        ends_at=datetime(2030, 7, 1, 12, 30),
        time_zone="Europe/Berlin",
    )
    mail.outbox.clear()
    services.request_outreach_for_contacts(
        fran, session=session, contacts=people, message="They run onboarding at Globex."
    )
    [email] = mail.outbox  # one email for Owen's three contacts
    assert email.to == ["Owen Owner <owen@acme.test>"]
    [link] = re.findall(r"https?://\S+(/w/acme/sessions/approvals/\?batch=\S+)", email.body)

    width, height = SIZES[size]
    context = browser.new_context(
        viewport={"width": width, "height": height},
        is_mobile=size == "phone",
        has_touch=size == "phone",
    )
    page = context.new_page()
    base = live_server.url
    page.goto(base + "/login/")
    page.get_by_label("Email").fill("owen@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(base + link)
    expect(page.get_by_text("Fran Facilitator asks to invite 3 of your contacts")).to_be_visible()
    expect(page.get_by_text("They run onboarding at Globex.")).to_be_visible()
    no_sideways_scroll(page)
    for name in ("Approve Gina Globex", "Decline… Hank Globex", "Approve all 3"):
        big_enough(page, name)
    assert_accessible(page, f"Approvals with an ask of three at {width} px")
    page.screenshot(path=str(screenshots / f"approvals-{size}.png"), full_page=True)

    # Hank, one by one: declining needs a reason, said beside him.
    page.locator("summary").filter(has_text="Decline… Hank Globex").click()
    page.get_by_role("button", name="Decline Hank Globex", exact=True).click()
    expect(page.get_by_text("Say why, so the facilitator can respond.")).to_be_visible()
    no_sideways_scroll(page)
    assert_accessible(page, f"Approvals with a refused decline at {width} px")
    page.get_by_label("Why not Hank Globex?").fill("Hank leaves Globex next month.")
    page.get_by_role("button", name="Decline Hank Globex", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(
        "You declined inviting Hank Globex. The facilitator was told why."
    )
    expect(page.get_by_text("Fran Facilitator asks to invite 2 of your contacts")).to_be_visible()

    # The other two at once, with a condition.
    page.get_by_label("Conditions for all of them (optional)").fill("Do not discuss pricing.")
    big_enough(page, "Approve all 2")
    no_sideways_scroll(page)
    page.get_by_role("button", name="Approve all 2").click()
    expect(page.get_by_role("status")).to_contain_text(
        "You approved inviting Gina Globex and Harriet Globex with your conditions."
    )
    expect(page.get_by_text("Nothing of this request waits for you any more.")).to_be_visible()
    no_sideways_scroll(page)
    context.close()

    assert sorted(
        OutreachRequest.objects.filter(session=session).values_list(
            "contact__name", "status", "conditions", "reason"
        )
    ) == [
        ("Gina Globex", "approved", "Do not discuss pricing.", ""),
        ("Hank Globex", "declined", "", "Hank leaves Globex next month."),
        ("Harriet Globex", "approved", "Do not discuss pricing.", ""),
    ]
