"""An admin sets members' functions, names a policy maker, and the program page says which
function is missing (issue 12).

The flow runs once, at phone width (390 px, the stricter layout; owners act from their phones):
the steps and assertions are the same at desktop width, and tests/e2e/test_internal_pages.py
already checks that every internal page fits a phone for every role."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.a11y import assert_accessible
from tests.e2e.test_found_held import DESKTOP, PHONE, sign_in
from traction.core.testing.cast import build_cast
from traction.programs.models import PolicyMaker


@pytest.mark.e2e
@pytest.mark.parametrize("size", ["phone"])
def test_the_admin_names_a_policy_maker_and_sees_the_missing_functions(
    live_server, transactional_db, browser: Browser, screenshots: Path, size: str
) -> None:
    cast = build_cast()
    assert cast.program is not None
    context = browser.new_context(**(PHONE if size == "phone" else DESKTOP))
    page = context.new_page()
    base = live_server.url
    sign_in(page, base, "alice@acme.test")

    # Functions, on the members page: Cora (core team) in product, Sam (sponsor) operations,
    # Owen in finance.
    page.goto(f"{base}/w/acme/members/")
    for name, function in (
        ("Cora Core", "Product"),
        ("Sam Sponsor", "Operations"),
        ("Owen Owner", "Finance"),
    ):
        page.get_by_label(f"Function of {name}").select_option(label=function)
        page.get_by_label(f"Function of {name}").locator("xpath=..").get_by_role(
            "button", name="Set function"
        ).click()
        expect(page.get_by_text(f"{name}'s function: {function}.")).to_be_visible()
    assert_accessible(page, "members page with functions")

    page.goto(f"{base}/w/acme/programs/{cast.program.pk}/")
    expect(page.locator("#missing-functions")).to_contain_text(
        "No one from Support, Sales or Finance."
    )
    page.get_by_role("link", name="Name the policy makers").click()
    page.get_by_role("combobox", name=re.compile(r"^Member")).select_option(label="Owen Owner")
    page.get_by_label("Responsibility").fill("Support budget")
    page.get_by_role("button", name="Add policy maker").click()
    expect(page.get_by_text("Owen Owner now decides for")).to_be_visible()
    assert_accessible(page, "policy makers page")
    page.screenshot(path=str(screenshots / f"found-policy-makers-{size}.png"), full_page=True)

    page.goto(f"{base}/w/acme/programs/{cast.program.pk}/")
    decides = page.locator("section", has=page.get_by_role("heading", name="Who decides"))
    expect(decides).to_contain_text("Sam Sponsor")
    expect(decides).to_contain_text("Owen Owner — Support budget")
    expect(page.locator("#missing-functions")).to_contain_text("No one from Support or Sales.")
    assert_accessible(page, "program page with who decides")
    page.screenshot(path=str(screenshots / f"found-program-who-decides-{size}.png"), full_page=True)
    assert PolicyMaker.objects.get(program=cast.program).user == cast.users["account_owner"]
    context.close()
