"""The customer portal in a real browser: a contact opens their magic link on a phone
(390 px), sees their sessions and what they and their organisation told us (and nothing of
another customer's or internal), opens a session, signs out; axe finds nothing serious on
the portal's pages; the same home at desktop width."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from traction.core.testing.cast import build_cast
from traction.customers.models import Contact
from traction.portal import services
from traction.portal.tests.conftest import build_world

from .a11y import assert_accessible

pytestmark = pytest.mark.e2e

PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
}


def _token(contact_id: int) -> str:
    url = services.issue_link_for_demo(Contact.objects.get(pk=contact_id))
    return url.rstrip("/").rsplit("/", 1)[-1]


def test_a_contact_opens_the_portal_on_a_phone_and_signs_out(
    live_server: Any, transactional_db: None, browser: Browser, screenshots: Path
) -> None:
    world = build_world(build_cast())
    token = _token(world.hank.contact_id)
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}/portal/in/{token}/")
    expect(page).to_have_url(f"{live_server.url}/portal/")
    expect(page.get_by_role("heading", name="Hello Hank Globex")).to_be_visible()
    sessions = page.get_by_role("region", name="Your sessions")
    expect(sessions.get_by_role("link", name="Onboarding day")).to_be_visible()
    told = page.get_by_role("region", name="What you told us")
    expect(told).to_contain_text("Hank: the setup wizard loses my data")
    expect(told).to_contain_text("Gail: invoices arrive too late")
    body = page.locator("body").inner_text()
    for leak in ("Initech", "Ian", "Fran", "unattributed", "Rival"):
        assert leak not in body, leak
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the portal is {width}px wide on a 390px phone"
    assert_accessible(page, "the portal's home on a phone")
    page.screenshot(path=str(screenshots / "portal-home-phone.png"), full_page=True)

    sessions.get_by_role("link", name="Onboarding day").click()
    expect(page.get_by_role("heading", name="Onboarding day", level=1)).to_be_visible()
    expect(page.locator("main")).to_contain_text("Hank: the setup wizard loses my data")
    assert_accessible(page, "a portal session page on a phone")
    page.get_by_role("link", name="← Your portal").click()

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="You are signed out")).to_be_visible()
    page.goto(f"{live_server.url}/portal/")
    expect(page.get_by_role("heading", name="Get a link to your portal")).to_be_visible()
    assert_accessible(page, "the portal's sign-in page")
    page.get_by_label("Your email address").fill("nobody@example.test")
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_role("status")).to_contain_text("If we know this address")
    context.close()


def test_the_portal_at_desktop_width_and_the_expired_link_page(
    live_server: Any, transactional_db: None, browser: Browser
) -> None:
    world = build_world(build_cast())
    token = _token(world.gail.contact_id)
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/portal/in/{token}/")
    expect(page.get_by_role("heading", name="Hello Gail Globex")).to_be_visible()
    expect(page.get_by_role("region", name="Open votes")).to_contain_text("No vote is open")
    assert_accessible(page, "the portal's home on a desktop")
    page.goto(f"{live_server.url}/portal/in/{token[:-2]}xx/")
    expect(page.get_by_role("heading", name="This link no longer works")).to_be_visible()
    assert_accessible(page, "the expired-link page")
    context.close()
