"""A sponsor's home says something (issue 11): the demo's sponsor, Vera, sees the programs
she sponsors, their sessions (upcoming with readiness, held), what customers ranked highest
in the closed round, and what waits for her. Checked with axe-core.

The flow runs once, at phone width (390 px, the stricter layout; owners act from their phones):
the steps and assertions are the same at desktop width, and tests/e2e/test_internal_pages.py
already checks that every internal page fits a phone for every role."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from traction.demo.build import DEMO_PASSWORD, PEOPLE, build_demo
from traction.voting import selectors as ranking

from .a11y import assert_accessible

SPONSOR = next(p.email for p in PEOPLE if p.key == "sponsor")
OBSERVER = next(p.email for p in PEOPLE if p.key == "observer")


@pytest.mark.e2e
@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}])
def test_the_sponsor_home_shows_programs_sessions_top_cards_and_what_waits(
    live_server: Any, transactional_db: Any, browser: Browser, viewport: dict[str, int]
) -> None:
    demo = build_demo()
    vera = demo.viewer("sponsor")
    base = live_server.url
    page = browser.new_context(viewport=viewport).new_page()
    page.goto(base + "/login/")
    page.get_by_label("Email").fill(SPONSOR)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    page.goto(base + "/w/northwind/")

    programs = page.get_by_role("region", name="Programs you sponsor")
    expect(programs.get_by_role("link")).to_have_text(
        ["Effortless onboarding for mid-market customers", "Renewals without surprises"]
    )
    sessions = page.get_by_role("region", name="Sessions of your programs")
    expect(sessions.get_by_role("table")).to_contain_text("Readiness")
    expect(sessions.get_by_role("link", name="Co-design: pilot with two customers")).to_be_visible()

    top = page.get_by_role("region", name="What customers ranked highest")
    expect(top.get_by_role("link", name="Co-design: pilot with two customers")).to_be_visible()
    # The top cards are the ranking Vera may read, in its order (through the policy).
    pilot = next(
        s for s in demo.sessions.values() if s.title == "Co-design: pilot with two customers"
    )
    expected = [c.text for c in ranking.results(pilot, vera, limit=3).overall]
    assert len(expected) == 3
    # (the advisory board and the kickoff have closed votes too: the pilot's list)
    items = top.locator("h3:has-text('Co-design: pilot with two customers') + ol.top-cards li")
    expect(items).to_have_count(3)
    for n, text in enumerate(expected):
        expect(items.nth(n)).to_contain_text(text)

    expect(page.get_by_role("region", name="Waiting for you")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert_accessible(page, f"the sponsor's home at {viewport['width']} px")


@pytest.mark.e2e
def test_a_member_who_sponsors_nothing_sees_no_sponsor_panels(
    live_server: Any, transactional_db: Any, browser: Browser
) -> None:
    build_demo()
    page = browser.new_context().new_page()
    page.goto(live_server.url + "/login/")
    page.get_by_label("Email").fill(OBSERVER)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    page.goto(live_server.url + "/w/northwind/")
    expect(page.get_by_role("region", name="Waiting for you")).to_be_visible()
    expect(page.get_by_role("region", name="Programs you sponsor")).to_have_count(0)
    expect(page.get_by_role("region", name="What customers ranked highest")).to_have_count(0)
