"""Someone who forgot their password gets a link by email, chooses a new one and signs in."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.cache import cache
from playwright.sync_api import Page, expect

from traction.accounts import services as accounts

OLD_PASSWORD = "a long enough pass 42"
NEW_PASSWORD = "an even longer passphrase 43"


@pytest.mark.e2e
def test_a_forgotten_password_is_reset_from_the_sign_in_page(
    live_server: Any, transactional_db: None, page: Page, screenshots: Path, settings: Any
) -> None:
    settings.TRACTION_SITE_URL = live_server.url
    cache.clear()
    nora = accounts.create_user(
        email="nora@northwind.test", full_name="Nora North", password=OLD_PASSWORD
    )
    accounts.create_workspace(name="Northwind", admin=nora)

    def shot(name: str) -> None:
        page.screenshot(path=str(screenshots / f"password-{name}.png"), full_page=True)

    page.goto(live_server.url + "/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page).to_have_title("Forgot your password? · Traction")
    page.get_by_role("button", name="Email me a link").click()
    expect(page.locator("#id_email_error")).to_have_text("This field is required.")
    page.get_by_label("Email").fill("nora@northwind.test")
    shot("01-request")
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    shot("02-sent")

    assert len(mail.outbox) == 1
    found = re.search(r"^(http://\S+/password/set/\S+/)$", mail.outbox[0].body, re.M)
    assert found is not None, mail.outbox[0].body
    link = found.group(1)

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose your password")
    expect(page.get_by_text("You will sign in as nora@northwind.test")).to_be_visible()
    page.get_by_label("New password:", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("The new password again").fill(NEW_PASSWORD + "!")
    page.get_by_role("button", name="Set my password").click()
    expect(page.locator("#id_new_password2_error")).to_have_text(
        "The two password fields didn’t match."
    )
    shot("03-mismatch")
    page.get_by_label("New password:", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("The new password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set my password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your password is set")
    shot("04-set")

    page.get_by_role("main").get_by_role("link", name="Sign in").click()
    page.get_by_label("Email").fill("nora@northwind.test")
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Northwind")  # her only one

    # The link was spent.
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("This link does not work")
    shot("05-spent")
