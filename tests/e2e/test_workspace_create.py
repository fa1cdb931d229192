"""The installation's owner creates a workspace from the web, with errors
beside their fields; axe-core finds nothing serious on the form or its result.

The flow runs once, at phone width (390 px, the stricter layout; owners act from their phones):
the steps and assertions are the same at desktop width, and tests/e2e/test_internal_pages.py
already checks that every internal page fits a phone for every role."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from traction.accounts import services
from traction.accounts.models import Membership
from traction.core.testing.cast import PASSWORD, build_cast

from .a11y import assert_accessible


@pytest.mark.e2e
@pytest.mark.parametrize("width", [390])
def test_the_owner_creates_a_workspace(
    live_server: Any, transactional_db: Any, browser: Browser, width: int
) -> None:
    cast = build_cast()
    services.make_installation_owner(cast.users["admin"])
    page = browser.new_context(viewport={"width": width, "height": 844}).new_page()
    page.goto(live_server.url + "/login/")
    page.get_by_label("Email").fill("alice@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Create a workspace").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create a workspace")
    assert_accessible(page, "the workspace form")

    page.get_by_label("Workspace name").fill("Globex Consulting")
    page.get_by_label("Admin's email").fill("nina@globex.example")
    page.get_by_role("button", name="Create the workspace").click()
    expect(page.locator(".field", has=page.get_by_label("Admin's name"))).to_contain_text(
        "Enter the admin's name: they have no account yet."
    )
    assert_accessible(page, "the workspace form with an error")
    page.get_by_label("Admin's name").fill("Nina Novak")
    page.get_by_role("button", name="Create the workspace").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Globex Consulting is ready")
    expect(page.locator("#password-link")).to_contain_text("/password/set/")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert_accessible(page, "the workspace created")
    membership = Membership.objects.get(workspace__slug="globex-consulting")
    assert membership.user.email == "nina@globex.example"
