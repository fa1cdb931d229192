"""A newcomer signs in, starts a program, adds a customer with a contact, and sees them listed."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from traction.accounts import services as accounts

PASSWORD = "a long enough pass 42"


@pytest.mark.e2e
def test_newcomer_sets_up_a_program_and_a_customer(
    live_server, transactional_db, page: Page, screenshots: Path
) -> None:
    nora = accounts.create_user(
        email="nora@northwind.test", full_name="Nora North", password=PASSWORD
    )
    accounts.create_workspace(name="Northwind", admin=nora)

    def shot(name: str) -> None:
        page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)

    # Anonymous visitors are sent to sign in.
    page.goto(live_server.url + "/")
    expect(page).to_have_title("Sign in · Traction")
    shot("01-login")
    page.get_by_label("Email").fill("nora@northwind.test")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "That email and password do not match an account."
    )
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # A member of one workspace lands in it, no chooser in between.
    expect(page.get_by_role("heading", level=1)).to_have_text("Northwind")
    expect(page.get_by_text("Start your first program.")).to_be_visible()
    shot("03-workspace-home")

    # Start a program.
    page.get_by_role("link", name="Start a program").click()
    expect(page).to_have_title("Start a program · Northwind · Traction")
    page.get_by_role("button", name="Start program").click()
    expect(page.get_by_role("alert")).to_contain_text("Please correct the 2 fields marked below.")
    shot("04-program-form-errors")
    page.get_by_label("Name").fill("Effortless onboarding")
    page.get_by_label("Goal").fill("New customers pay their first invoice within a day of signing.")
    page.get_by_label("Executive sponsor").select_option(label="Nora North")
    page.get_by_label("Results expected from").fill("2027-01-01")
    page.get_by_label("Results expected by").fill("2027-09-30")
    page.get_by_label("Nora North").check()
    page.get_by_role("button", name="Start program").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Effortless onboarding")
    expect(page.get_by_role("status")).to_contain_text(
        "The program “Effortless onboarding” was started."
    )
    expect(page.get_by_text("1 January 2027 to 30 September 2027")).to_be_visible()
    shot("05-program-detail")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Programs").click()
    expect(page.get_by_role("link", name="Effortless onboarding")).to_be_visible()
    shot("06-programs")

    # Add a customer with a contact.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Customers").click()
    expect(page.get_by_text("No customers yet.")).to_be_visible()
    shot("07-customers-empty")
    page.get_by_role("link", name="Add your first customer").click()
    page.get_by_label("Name").fill("Globex")
    page.get_by_label("Segment").select_option(label="Mid-market")
    page.get_by_label("Region").fill("EMEA")
    page.get_by_label("Account owner").select_option(label="Nora North")
    shot("08-customer-form")
    page.get_by_role("button", name="Add customer").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Globex")
    page.get_by_role("link", name="Add the first contact").click()
    page.get_by_label("Name").fill("Gina Globex")
    page.get_by_label("Email").fill("gina@globex.test")
    page.get_by_label("Job title").fill("Head of Finance")
    page.get_by_label("This person agreed to be contacted").check()
    page.get_by_role("button", name="Add contact").click()

    expect(page.get_by_role("status")).to_contain_text("Gina Globex was added to Globex.")
    row = page.get_by_role("row", name="Gina Globex")
    expect(row).to_contain_text("✓ Yes")
    shot("09-customer-detail")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Customers").click()
    expect(page.get_by_role("row", name="Globex")).to_contain_text("Nora North")

    # Live search swaps only the results.
    page.get_by_label("Search").fill("zzz")
    expect(page.get_by_text("No customers match these filters.")).to_be_visible()
    page.get_by_label("Search").fill("glob")
    expect(page.get_by_role("link", name="Globex")).to_be_visible()
    shot("10-customers")

    for name, label in [("11-members", "Members"), ("12-audit", "Audit")]:
        page.get_by_role("navigation", name="Main").get_by_role("link", name=label).click()
        shot(name)
    expect(page.get_by_text("customer.created")).to_be_visible()

    page.locator(".usermenu summary").click()
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Token name").fill("Reporting script")
    page.get_by_role("button", name="Create token").click()
    expect(page.locator("#new-token")).to_contain_text("trc_")
    shot("13-tokens")
