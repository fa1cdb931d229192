"""The customer list's Account owner filter in the browser: it lists the first 30 members by
name; typing in "Find an account owner" narrows its options with the results (htmx), and
choosing one of the narrowed options filters the list. The page passes axe-core."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from traction.accounts import services as account_services
from traction.core.testing.cast import PASSWORD, build_cast
from traction.customers.models import Customer

from .a11y import assert_accessible
from .helpers import sign_in


@pytest.mark.e2e
def test_find_an_account_owner_narrows_the_filter_as_you_type(
    live_server: Any, transactional_db: Any, browser: Browser
) -> None:
    cast = build_cast()
    made = []
    for i in range(40):
        user = account_services.create_user(
            email=f"aaron{i}@acme.test", full_name=f"Aaron {i:03d}", password=PASSWORD
        )
        account_services.add_member(None, workspace=cast.acme, user=user, role="account_owner")
        made.append(user)
    Customer.objects.filter(pk=cast.customer.pk).update(account_owner=made[-1])
    page = browser.new_context().new_page()
    sign_in(page, live_server.url, cast.users["facilitator"].email)
    page.goto(f"{live_server.url}/w/acme/customers/")
    owner = page.locator("select[name=owner]")
    expect(owner.locator("option")).to_have_count(31)  # "Any account owner" and the first 30
    expect(owner.locator("option", has_text="Aaron 039")).to_have_count(0)
    assert_accessible(page, "the customer list with its Find an account owner box")
    page.get_by_label("Find an account owner").press_sequentially("039")
    owner = page.locator("select[name=owner]")
    expect(owner.locator("option")).to_have_count(2)  # narrowed with the results
    expect(page.locator("#owner-filter")).to_contain_text("holds “039”")
    page.locator("select[name=owner]").select_option(label="Aaron 039")
    expect(page.locator("#results")).to_contain_text("Globex")
    expect(page.locator("#results")).not_to_contain_text("Initech")
    expect(page).to_have_url(
        f"{live_server.url}/w/acme/customers/?q=&segment=&owner_q=039&owner={made[-1].pk}"
    )
