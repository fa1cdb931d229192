"""Search's Customer filter in the browser: typing in "Find a customer" swaps narrowed
options in with the results (htmx), and choosing one of them (a select swapped in after the
page loaded) searches again with it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from traction.core.testing.cast import build_cast
from traction.customers.models import Customer

from .helpers import sign_in


@pytest.mark.e2e
def test_a_customer_found_and_chosen_searches_again(
    live_server: Any, transactional_db: Any, browser: Browser
) -> None:
    cast = build_cast()
    initech = Customer.objects.get(workspace=cast.acme, name="Initech")
    page = browser.new_context().new_page()
    sign_in(page, live_server.url, cast.users["facilitator"].email)
    page.goto(f"{live_server.url}/w/acme/insights/search/")
    page.get_by_label("Find a customer").press_sequentially("ini")
    customer = page.locator("select[name=customer]")
    expect(customer.locator("option")).to_have_count(2)  # "Any customer" and Initech
    customer.select_option(label="Initech")
    expect(page).to_have_url(re.compile(rf"[?&]customer={initech.pk}&"))
