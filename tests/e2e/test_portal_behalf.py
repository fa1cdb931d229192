"""What members entered on a customer's behalf, in a real browser (docs/portal.md, "Entered for
you"): on a phone (390 px) the contact sees the dots a facilitator entered for them on paper
and the words entered for them, each with who entered it, when and why; they withdraw the
dots after a confirmation, the dots leave their list, and the session's ranking no longer
counts them as a voter. At desktop width (1366 px) a facilitator withdraws the words for the
contact from the contact's page, saying why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from traction.core.testing.cast import PASSWORD, build_cast
from traction.customers.models import Contact
from traction.insights import services as insight_services
from traction.insights.models import Insight, InsightStatus
from traction.portal import services
from traction.portal.tests.conftest import PortalWorld, build_world
from traction.sessions import rsvp
from traction.voting import selectors as ranking
from traction.voting import services as voting
from traction.voting.models import Vote

from .a11y import assert_accessible

pytestmark = pytest.mark.e2e

PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP: dict[str, Any] = {"viewport": {"width": 1366, "height": 900}}
PAPER = "Paper ballot in the session"
PHONED = "He told me on the phone on 3 March"


def _token(contact_id: int) -> str:
    url = services.issue_link_for_demo(Contact.objects.get(pk=contact_id))
    return url.rstrip("/").rsplit("/", 1)[-1]


def _entered(world: PortalWorld) -> Insight:
    """Voting open; on paper Fran gives Hank 2 dots on Gail's card; Ian votes through his own
    link; Fran enters what Hank told her on the phone."""
    fran = world.cast.viewer("facilitator")
    voting.open_voting(fran, session=world.session, budget=3)
    voting.record_paper_tally(
        fran,
        session=world.session,
        entries=[voting.TallyEntry(world.cards["gail"].pk, world.hank.contact_id, 2)],
        reason=PAPER,
    )
    voting.vote_by_link(
        rsvp.customer_principal(world.ian.pk, world.ian.contact_id),
        dots={world.cards["hank"].pk: 1},
    )
    return insight_services.capture_insight(
        fran,
        session=world.session,
        kind="idea",
        text="Hank: let us export the wizard's answers",
        speaker=f"c:{world.hank.contact_id}",
        behalf_reason=PHONED,
    )


def _voted(world: PortalWorld) -> int:
    return ranking.results(world.session, world.cast.viewer("admin")).voted


def test_the_contact_withdraws_dots_entered_for_them_on_a_phone(
    live_server: Any, transactional_db: None, browser: Browser, screenshots: Path
) -> None:
    world = build_world(build_cast())
    _entered(world)
    assert _voted(world) == 2  # Hank (on paper) and Ian
    fran = str(world.cast.users["facilitator"])
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}/portal/in/{_token(world.hank.contact_id)}/")
    entered = page.get_by_role("region", name="Entered for you")
    expect(entered).to_contain_text("2 dots on")
    expect(entered).to_contain_text("Gail: invoices arrive too late")
    expect(entered).to_contain_text(f"entered by {fran}")
    expect(entered).to_contain_text(PAPER)
    expect(entered).to_contain_text("Hank: let us export the wizard's answers")
    expect(entered).to_contain_text(PHONED)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the portal is {width}px wide on a 390px phone"
    assert_accessible(page, "the portal's home with entries made for the contact")
    page.screenshot(path=str(screenshots / "portal-entered-for-you-phone.png"), full_page=True)

    vote = Vote.objects.get(contact_id=world.hank.contact_id)
    entered.locator(f"#behalf-vote-{vote.pk}").get_by_role("link", name="Withdraw").click()
    expect(page.get_by_role("heading", name="Withdraw this?")).to_be_visible()
    expect(page.locator("main")).to_contain_text("no longer count in the session's ranking")
    assert_accessible(page, "the withdraw confirmation on a phone")
    assert Vote.objects.filter(pk=vote.pk).exists()  # nothing happens before confirming
    page.get_by_label("Why (optional)").fill("I did not vote for this")
    page.get_by_role("button", name="Yes, withdraw it").click()
    expect(page.get_by_role("heading", name="Withdrawn")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("these dots no longer count")
    page.get_by_role("link", name="Back to your portal").click()

    entered = page.get_by_role("region", name="Entered for you")
    expect(entered).not_to_contain_text("Gail: invoices arrive too late")
    expect(entered).to_contain_text("Hank: let us export the wizard's answers")
    assert _voted(world) == 1  # only Ian now
    withdrawn = Vote.history.get(pk=vote.pk)
    assert withdrawn.withdrawn_at is not None
    assert withdrawn.withdrawn_by_id is None  # the contact did it
    assert withdrawn.withdraw_reason == "I did not vote for this"
    context.close()


def _sign_in(page: Page, base: str, email: str) -> None:
    page.goto(base + "/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def test_a_facilitator_withdraws_words_for_the_contact_at_desktop_width(
    live_server: Any, transactional_db: None, browser: Browser
) -> None:
    cast = build_cast()
    world = build_world(cast)
    words = _entered(world)
    context = browser.new_context(**DESKTOP)
    page = context.new_page()
    _sign_in(page, live_server.url, cast.users["facilitator"].email)
    page.goto(
        f"{live_server.url}/w/{cast.acme.slug}/customers/contacts/{world.hank.contact_id}/edit/"
    )
    section = page.get_by_role("region", name="Entered on their behalf")
    expect(section).to_contain_text(PAPER)
    row = section.locator(f"#on-behalf-insight-{words.pk}")
    expect(row).to_contain_text(PHONED)
    assert_accessible(page, "the contact's page with entries made on their behalf")
    row.get_by_label("Why withdraw it").fill("He asked us to, by email")
    row.get_by_role("button", name="Withdraw for them").click()
    expect(page.get_by_role("status").first).to_contain_text("these words no longer count")
    row = page.get_by_role("region", name="Entered on their behalf").locator(
        f"#on-behalf-insight-{words.pk}"
    )
    expect(row).to_contain_text("He asked us to, by email")
    words.refresh_from_db()
    assert words.status == InsightStatus.WITHDRAWN
    context.close()
