"""A busy board: a cell shows its top cards and "N more"; the link opens the whole cell,
whose pages turn with htmx (the list is swapped, the address follows)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from traction.core.testing.cast import PASSWORD, build_cast
from traction.insights import selectors
from traction.insights.models import Insight
from traction.insights.tests.conftest import build_room


@pytest.mark.e2e
def test_a_full_cell_shows_n_more_and_opens_the_whole_cell(
    live_server, transactional_db, page: Page, screenshots: Path
) -> None:
    room = build_room(build_cast())
    billing = room.steps[1]
    start = timezone.now() - timedelta(days=1)
    many = selectors.CELL_PAGE + 3
    Insight.objects.bulk_create(
        Insight(
            workspace_id=room.session.workspace_id,
            program_id=room.session.program_id,
            session=room.session,
            scenario=room.scenario,
            step=billing,
            kind="issue",
            text=f"Billing issue {i:03d}",
            speaker_contact=room.gina,
            customer=room.gina.customer,
            created_at=start + timedelta(minutes=i),
        )
        for i in range(many)
    )
    base = live_server.url
    page.goto(base + "/login/")
    page.get_by_label("Email").fill("cora@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{base}/w/acme/insights/sessions/{room.session.pk}/map/")

    cell = page.locator("#cell-issue-2")
    expect(cell.locator(".note")).to_have_count(selectors.BOARD_TOP)
    expect(cell.locator(".note-text").last).to_have_text(f"Billing issue {many - 1:03d}")
    more = cell.get_by_role("link", name=f"{many - selectors.BOARD_TOP} more")
    expect(more).to_be_visible()
    page.screenshot(path=str(screenshots / "board-n-more.png"), full_page=True)
    more.click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Issues · 2. Set up billing")
    expect(page.locator("#cell .note")).to_have_count(selectors.CELL_PAGE)
    expect(page.locator("#cell")).to_contain_text(f"Page 1 of 2 ({many} in all)")
    page.evaluate("window.stillThisPage = true")  # a full page load would wipe it out
    page.get_by_role("link", name="Next →").click()
    expect(page.locator("#cell .note")).to_have_count(3)
    expect(page.locator("#cell .note-text").first).to_have_text(
        f"Billing issue {selectors.CELL_PAGE:03d}"
    )
    assert page.url.endswith("&page=2")  # the address follows the page shown
    assert page.evaluate("window.stillThisPage") is True
    page.get_by_role("link", name="← Scenario map: Team Blue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Scenario map: Team Blue")
