"""The navigation the apps register, as a browser meets it: each page marks its own tab,
and the outreach pages an account owner reaches from Approvals mark Approvals, not
Sessions (issue 11's "the decide page highlights the Sessions tab")."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from traction.core.testing.cast import build_cast
from traction.sessions import services

from .helpers import sign_in


@pytest.mark.e2e
def test_each_page_marks_its_own_tab(live_server: Any, transactional_db: Any, page: Page) -> None:
    cast = build_cast()
    start = (timezone.now() + timedelta(days=30)).replace(tzinfo=None, microsecond=0)
    session = services.plan_session(
        cast.viewer("facilitator"),
        program=cast.program,
        title="Onboarding co-design",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        time_zone="Europe/Berlin",
    )
    services.request_outreach(cast.viewer("facilitator"), session=session, contact=cast.contact)
    base = live_server.url
    nav = page.get_by_role("navigation", name="Main")
    current = nav.locator('[aria-current="page"]')

    sign_in(page, base, "owen@acme.test")
    expect(nav.get_by_role("link", name=re.compile("^Approvals"))).to_contain_text("1")
    expect(current).to_have_count(0)  # the workspace home is no tab

    nav.get_by_role("link", name="Sessions").click()
    expect(current).to_have_count(1)
    expect(current).to_have_text("Sessions")

    nav.get_by_role("link", name=re.compile("^Approvals")).click()
    expect(current).to_have_count(1)
    expect(current).to_contain_text("Approvals")

    # The request's page, then the decide page (a decline without a reason comes back to
    # be corrected): still Approvals, not Sessions.
    page.get_by_role("link", name=re.compile("^Details, or approve")).first.click()
    expect(current).to_have_count(1)
    expect(current).to_contain_text("Approvals")
    page.get_by_role("button", name="Decline").click()
    expect(page.get_by_role("alert").first).to_be_visible()
    assert "/decide/" in page.url
    expect(current).to_have_count(1)
    expect(current).to_contain_text("Approvals")
    expect(nav.get_by_role("link", name="Sessions")).not_to_have_attribute("aria-current", "page")

    nav.get_by_role("link", name="Customers").click()
    expect(current).to_have_text("Customers")
    nav.get_by_role("link", name="Programs").click()
    expect(current).to_have_text("Programs")
    nav.get_by_role("link", name="Search").click()
    expect(current).to_have_text("Search")
