"""The communication plan in the browser (issue 13): Fran, a facilitator, records on the
session's edit page when its customers hear back (the session is over: only that still
changes), sees the promise overdue on the session page and on the program's communication
plan, changes the plan (a silence shorter than the cadence is refused beside the field) and
names Cora to tell Initech. Owen, Globex's account owner, reads his own customer's row on a
phone. The pages pass axe-core.

The flows run once, at phone width (390 px, the stricter layout; owners act from their phones):
the steps and assertions are the same at desktop width, and tests/e2e/test_internal_pages.py
already checks that every internal page fits a phone for every role."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from traction.core import clock
from traction.core.testing.cast import build_cast
from traction.loop.tests import world as w

from .a11y import assert_accessible
from .helpers import PHONE, no_sideways_scroll, sign_in

NOW = datetime(2027, 1, 31, 9, 0, tzinfo=UTC)  # 17 days after the session


@pytest.mark.e2e
@pytest.mark.parametrize("viewport", [PHONE], ids=["phone"])
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
        # Nothing promised yet, and the suggested day (two weeks after, 28 January) has passed:
        # no suggestion of a date already gone.
        expect(fran.locator("#hear-back-by")).to_contain_text("No date promised yet.")
        expect(fran.locator("#hear-back-by")).not_to_contain_text("suggested:")
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


@pytest.mark.e2e
@pytest.mark.parametrize("viewport", [PHONE], ids=["phone"])
def test_the_edit_page_pages_and_finds_organisations(
    live_server: Any,
    transactional_db: Any,
    browser: Browser,
    viewport: dict[str, int],
    screenshots: Path,
) -> None:
    """A program with 32 organisations: the edit page shows 25 at a time; Fran finds one by
    name, names Cora to tell it and saves; a name nobody has says so."""
    with clock.frozen(NOW):
        cast = build_cast()
        world = w.build(cast)
        for i in range(30):
            w.add_organisation(world, f"Org {i:03}", f"pat{i}@o.test")
        base = live_server.url
        phone = viewport == PHONE
        context = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone)
        fran = context.new_page()
        sign_in(fran, base, "fran@acme.test")
        fran.goto(f"{base}/w/acme/loop/programs/{cast.program.pk}/plan/edit/")
        expect(fran.get_by_test_id("teller-count")).to_have_text("32 organisations · page 1 of 2")
        expect(fran.locator("select[name^='teller_']")).to_have_count(25)
        expect(fran.get_by_label("Who tells Org 027")).to_have_count(0)
        assert_accessible(fran, "the plan form, a page of many organisations")
        no_sideways_scroll(fran)
        fran.get_by_role("link", name="Next →").click()
        expect(fran.locator("select[name^='teller_']")).to_have_count(7)
        expect(fran.get_by_label("Who tells Org 027")).to_be_visible()

        fran.get_by_label("Find an organisation").fill("umbrella")
        fran.get_by_label("Find an organisation").press("Enter")
        expect(
            fran.get_by_text("No organisation of this program matches “umbrella”.")
        ).to_be_visible()
        expect(fran.locator("select[name^='teller_']")).to_have_count(0)
        no_sideways_scroll(fran)

        fran.get_by_label("Find an organisation").fill("org 02")
        fran.get_by_role("button", name="Find").click()
        expect(fran.get_by_test_id("teller-count")).to_have_text(
            "10 organisations matching “org 02”"
        )
        fran.get_by_label("Who tells Org 027").select_option(label="Cora Core")
        assert_accessible(fran, "the plan form, organisations found by name")
        no_sideways_scroll(fran)
        shot = screenshots / f"plan-edit-found-{'phone' if phone else 'desktop'}.png"
        fran.screenshot(path=str(shot), full_page=True)
        fran.get_by_role("button", name="Save the plan").click()
        expect(fran.get_by_text("Communication plan saved.")).to_be_visible()
        org = fran.locator("tr", has=fran.get_by_text("Org 027", exact=True))
        expect(org).to_contain_text("Cora Core")
        expect(fran.locator("tr", has=fran.get_by_text("Org 026", exact=True))).to_contain_text(
            "Nobody yet"
        )
