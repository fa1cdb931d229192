"""The communication plan in the browser (issue 13): Fran, a facilitator, records on the
session's edit page when its customers hear back (the session is over: only that still
changes), sees the promise overdue on the session page and on the program's communication
plan, changes the plan (a silence shorter than the cadence is refused beside the field) and
names Cora to tell Initech. Owen, Globex's account owner, reads his own customer's row on a
phone. Desktop 1366 and phone 390; the pages pass axe-core."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from traction.core import clock
from traction.core.testing.cast import PASSWORD, build_cast
from traction.loop.tests import world as w

from .a11y import assert_accessible

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
NOW = datetime(2027, 1, 31, 9, 0, tzinfo=UTC)  # 17 days after the session


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(base + "/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width  # type: ignore[index]


@pytest.mark.e2e
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_promise_plan_and_tellers(
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
        fran.goto(f"{base}/w/acme/sessions/{world.session.pk}/")
        expect(fran.locator("#hear-back-by")).to_contain_text("suggested: 28 January 2027")
        fran.get_by_role("link", name="Edit", exact=True).click()
        expect(fran.get_by_text("only the date its customers hear back")).to_be_visible()
        fran.get_by_label("Customers hear back by").fill("2027-01-10")
        fran.get_by_role("button", name="Save changes").click()
        field = fran.locator(".field", has=fran.get_by_label("Customers hear back by"))
        expect(field).to_contain_text("Customers cannot hear back before the session starts")
        assert_accessible(fran, "the session form with a refused promise")
        no_sideways_scroll(fran)
        fran.get_by_label("Customers hear back by").fill("2027-01-28")
        fran.get_by_role("button", name="Save changes").click()
        expect(fran.locator("#hear-back-by")).to_contain_text("28 January 2027")
        section = fran.locator("#hear-back")
        expect(section.locator(f"[data-customer='{cast.customer.pk}']")).to_contain_text(
            "Overdue by 3 days"
        )
        assert_accessible(fran, "the session page with the promise")
        no_sideways_scroll(fran)

        section.get_by_role("link", name="Communication plan").click()
        expect(fran.get_by_role("heading", name="Communication plan", level=1)).to_be_visible()
        expect(fran.get_by_test_id("plan-summary")).to_contain_text("2 overdue")
        globex = fran.locator(f"tr[data-customer='{cast.customer.pk}']")
        expect(globex).to_contain_text("Owen Owner")
        expect(globex).to_contain_text("Overdue by 3 days")
        expect(globex).to_contain_text("Promised in “Onboarding co-design”")
        assert_accessible(fran, "the communication plan")
        no_sideways_scroll(fran)

        fran.get_by_role("link", name="Change the plan").click()
        fran.get_by_label("Cadence (days)").fill("60")
        fran.get_by_label("Silence (days)").fill("30")
        fran.get_by_label("Who tells Initech").select_option(label="Cora Core")
        fran.get_by_role("button", name="Save the plan").click()
        silence = fran.locator(".field", has=fran.get_by_label("Silence (days)"))
        expect(silence).to_contain_text("A silence must be longer than the cadence")
        assert_accessible(fran, "the plan form with an error")
        no_sideways_scroll(fran)
        fran.get_by_label("Silence (days)").fill("120")
        fran.get_by_role("button", name="Save the plan").click()
        expect(fran.get_by_text("Communication plan saved.")).to_be_visible()
        initech = fran.locator(f"tr[data-customer='{cast.other_customer.pk}']")
        expect(initech).to_contain_text("Cora Core")

        owen = new_page("owen@acme.test")
        owen.goto(f"{base}/w/acme/loop/programs/{cast.program.pk}/plan/")
        expect(owen.locator(f"tr[data-customer='{cast.customer.pk}']")).to_be_visible()
        expect(owen.locator(f"tr[data-customer='{cast.other_customer.pk}']")).to_have_count(0)
        expect(owen.get_by_role("link", name="Change the plan")).to_have_count(0)
        no_sideways_scroll(owen)
        owen.goto(f"{base}/w/acme/")
        expect(
            owen.get_by_text("1 customer update overdue in Effortless onboarding.")
        ).to_be_visible()
