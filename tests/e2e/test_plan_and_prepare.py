"""Plan and prepare: a facilitator plans a co-design session and asks for two customers; the
account owner approves one (with a condition) and declines the other; only the approved one
is invited; a note taker reads the condition in their briefing and acknowledges it; the
session's readiness rises at each step."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from traction.core.testing.cast import build_cast
from traction.customers import services as customers
from traction.sessions.models import Invitation, OutreachRequest, Participant

from .helpers import sign_in


def sign_out(page: Page) -> None:
    page.locator(".usermenu summary").click()
    page.get_by_role("button", name="Sign out").click()


def readiness(page: Page) -> int:
    text = page.get_by_role("heading", name=re.compile(r"^Readiness: \d+%$")).inner_text()
    return int(re.search(r"(\d+)%", text).group(1))  # type: ignore[union-attr]


@pytest.mark.e2e
def test_plan_approve_invite_and_brief(
    live_server, transactional_db, page: Page, screenshots: Path
) -> None:
    cast = build_cast()
    gary = customers.add_contact(
        cast.viewer("facilitator"),
        customer=cast.customer,
        name="Gary Globex",
        email="gary@globex.test",
        title="Head of Procurement",
        consent_to_contact=True,
    )
    base = live_server.url
    day = (timezone.now() + timedelta(days=45)).date()
    mail.outbox.clear()

    def shot(name: str) -> None:
        page.screenshot(path=str(screenshots / f"s-{name}.png"), full_page=True)

    # --- The facilitator plans the session. ------------------------------------------------
    sign_in(page, base, "fran@acme.test", lands_on="/w/acme/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sessions").click()
    expect(page.get_by_text("No upcoming sessions.")).to_be_visible()
    page.get_by_role("link", name="Plan a session").first.click()
    page.get_by_role("combobox", name="Program").select_option(label="Effortless onboarding")
    page.get_by_label("Kind").select_option(label="Co-design session")
    page.get_by_label("Title").fill("Onboarding co-design, Berlin")
    page.get_by_label("Date").fill(day.isoformat())
    page.get_by_label("Starts at").fill("09:00")
    page.get_by_label("Ends at").fill("12:30")
    page.get_by_label("Time zone").select_option("Europe/Berlin")
    page.get_by_label("Location").fill("Berlin office, Alexanderplatz 1, room 4")
    shot("01-plan-form")
    page.get_by_role("button", name="Plan session").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Onboarding co-design, Berlin")
    expect(page.get_by_role("status")).to_contain_text("was planned with the co-design session")
    expect(page.get_by_text("09:00–12:30 (Europe/Berlin)")).to_be_visible()
    expect(page.get_by_text("210 of 210 minutes planned.")).to_be_visible()
    session_url = page.url
    # Only the agenda is complete: 1 of 6 checks.
    assert readiness(page) == 14  # of 7 checks (the debrief's too)

    # The agenda form's hint asks the server as she types (the same rule as readiness).
    page.get_by_role("link", name="Edit agenda").click()
    expect(page.locator("#agenda-total")).to_have_text("210")
    page.get_by_label("Minutes of row 1").fill("45")
    expect(page.locator("#agenda-total")).to_have_text("240")
    expect(page.locator("#agenda-warning")).to_have_text(
        "The agenda runs 30 minutes over the session."
    )
    page.get_by_label("Remove row 4").check()  # prioritisation, 30 minutes
    page.get_by_label("Remove row 6").check()  # next steps, 10 minutes
    expect(page.locator("#agenda-total")).to_have_text("200")
    expect(page.locator("#agenda-warning")).to_be_hidden()
    expect(page.locator("#agenda-missing")).to_contain_text(
        "The agenda has no prioritisation (dot voting) or next steps yet."
    )
    page.goto(session_url)  # nothing saved
    expect(page.get_by_text("210 of 210 minutes planned.")).to_be_visible()

    # Cora takes notes.
    page.get_by_role("link", name="Manage participants").click()
    page.get_by_label("User").select_option(label="Cora Core")
    page.get_by_label("Role").select_option(label="Note taker")
    page.get_by_role("button", name="Add participant").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Cora Core is note taker, was sent the calendar invitation and asked to read their "
        "briefing."
    )

    # Outreach for two contacts at Globex; Ian (Initech) cannot be chosen, and says why.
    page.goto(session_url)
    page.get_by_role("link", name="Request outreach").click()
    expect(page.get_by_text("Has not agreed to be contacted")).to_be_visible()
    expect(page.get_by_label("Ian Initech")).to_be_disabled()
    page.get_by_label("Gina Globex").check()
    page.get_by_label("Gary Globex").check()
    page.get_by_label("Message to the account owner").fill(
        "Gina and Gary run onboarding at Globex; we will map their first 30 days."
    )
    shot("02-outreach-form")
    page.get_by_role("button", name="Ask the account owners").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Outreach requested for 2 contacts. The account owners were asked to approve."
    )
    expect(page.get_by_text("Pending for", exact=False)).to_have_count(2)
    assert readiness(page) == 14  # of 7 checks (the debrief's too)
    shot("03-session-pending")
    sign_out(page)

    # --- The account owner decides. --------------------------------------------------------
    sign_in(page, base, "owen@acme.test", lands_on="/w/acme/")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name=re.compile("Approvals"))).to_contain_text("2")
    # One notice for the two contacts asked together (one email, too).
    expect(nav.get_by_role("link", name=re.compile("Notices"))).to_contain_text("1")
    nav.get_by_role("link", name=re.compile("Approvals")).click()
    shot("04-approvals")
    page.get_by_role("link", name="Details, or approve with conditions for Gina Globex").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Invite Gina Globex (Globex) to “Onboarding co-design, Berlin”?"
    )
    expect(page.get_by_text("we will map their first 30 days")).to_be_visible()
    expect(page.get_by_text("Issues & vision discussion")).to_be_visible()
    expect(page.get_by_text("Gary Globex (Globex)")).to_be_visible()
    page.get_by_label("Conditions (optional)").fill("Do not discuss pricing or the renewal.")
    shot("05-owner-decides")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status")).to_contain_text(
        "You approved inviting Gina Globex with your conditions."
    )

    page.get_by_role("link", name="Details, or approve with conditions for Gary Globex").click()
    page.get_by_role("button", name="Decline").click()  # without a reason: refused
    expect(page.get_by_text("Say why, so the facilitator can respond.")).to_be_visible()
    shot("06-decline-needs-reason")
    page.get_by_label("Reason for declining").fill("Gary is negotiating our renewal right now.")
    page.get_by_role("button", name="Decline").click()
    expect(page.get_by_role("status")).to_contain_text("You declined inviting Gary Globex.")
    expect(
        page.get_by_text("No request to invite your customers' contacts waits for you.")
    ).to_be_visible()
    shot("07-approvals-decided")
    sign_out(page)

    # --- The facilitator invites: only Gina. -----------------------------------------------
    sign_in(page, base, "fran@acme.test", lands_on="/w/acme/")
    page.goto(session_url)
    # Approvals are all decided now: 2 of 6 checks.
    assert readiness(page) == 29
    page.get_by_role("button", name="Send 1 invitation").click()
    expect(page.get_by_role("status")).to_contain_text("Invited: Gina Globex.")
    gina_row = page.get_by_role("row", name=re.compile("Gina Globex"))
    expect(gina_row).to_contain_text("No answer yet")
    expect(gina_row).to_contain_text("Condition: Do not discuss pricing or the renewal.")
    gary_row = page.get_by_role("row", name=re.compile("Gary Globex"))
    expect(gary_row).to_contain_text("Declined")
    expect(gary_row).to_contain_text("Not invited: declined")
    shot("08-session-invited")
    invited = list(Invitation.objects.values_list("contact__email", flat=True))
    assert invited == ["gina@globex.test"]
    assert OutreachRequest.objects.get(contact=gary).status == "declined"
    # Customers get mail only with an invitation: Gina's, none for Gary.
    to_customers = [(m.to, m.subject) for m in mail.outbox if "globex.test" in m.to[0]]
    assert to_customers == [
        (
            ["Gina Globex <gina@globex.test>"],
            f"Invitation: Onboarding co-design, Berlin — {day:%a} {day.day} {day:%b %Y}, "
            "09:00–12:30 (Europe/Berlin)",
        )
    ]
    sign_out(page)

    # --- The note taker reads the briefing and acknowledges it. -----------------------------
    sign_in(page, base, "cora@acme.test", lands_on="/w/acme/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sessions").click()
    page.get_by_role("link", name="Onboarding co-design, Berlin").click()
    page.get_by_role("link", name="My briefing").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Briefing: Onboarding co-design, Berlin"
    )
    conditions = page.get_by_role("region", name="Conditions of the account owners")
    expect(conditions).to_contain_text("Globex")
    expect(conditions).to_contain_text("Do not discuss pricing or the renewal.")
    expect(page.get_by_text("Do not interrupt customers")).to_be_visible()
    shot("09-briefing")
    page.get_by_role("button", name="I have read my briefing").click()
    expect(page.get_by_role("status")).to_contain_text("your briefing is acknowledged")
    assert Participant.objects.get(user=cast.users["core_team"]).briefing_acknowledged_at
    page.goto(session_url)
    # Briefings acknowledged too: 3 of 6 checks.
    assert readiness(page) == 43
    expect(page.get_by_role("row", name=re.compile("Cora Core"))).to_contain_text("Acknowledged")
    shot("10-session-readiness")
