"""The scorecard in a browser (issue 12): the core team opens the program's scorecard, creates
a metric with a baseline and a target, adds measurements, and sees the chart and the progress
(lower is better here). Checked with axe-core.

The flows run once, at phone width (390 px, the stricter layout; owners act from their phones):
the steps and assertions are the same at desktop width, and tests/e2e/test_internal_pages.py
already checks that every internal page fits a phone for every role."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from traction.core.testing.cast import PASSWORD, build_cast

from .a11y import assert_accessible


@pytest.mark.e2e
@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}])
def test_create_a_metric_add_measurements_see_chart_and_progress(
    live_server: Any, transactional_db: Any, browser: Browser, viewport: dict[str, int]
) -> None:
    cast = build_cast()
    base = live_server.url
    page = browser.new_context(viewport=viewport).new_page()
    page.goto(base + "/login/")
    page.get_by_label("Email").fill("cora@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()

    page.goto(f"{base}/w/{cast.acme.slug}/programs/{cast.program.pk}/")
    page.get_by_role("link", name="Open the scorecard").click()
    expect(page.get_by_role("heading", name="Scorecard", level=1)).to_be_visible()
    expect(page.get_by_text("No metrics yet.")).to_be_visible()
    assert_accessible(page, "empty scorecard")
    page.get_by_role("link", name="Add the first metric").click()

    page.get_by_label("Name").fill("Days to first invoice")
    page.get_by_label("Definition").fill("Days from signing to the first paid invoice.")
    page.get_by_label("Unit").fill("days")
    page.get_by_label("Direction").select_option("down")
    page.get_by_label(re.compile(r"^Baseline:?$")).fill("14")
    page.get_by_label("Baseline date").fill("2026-09-01")
    page.get_by_label(re.compile(r"^Target:?$")).fill("2")
    page.get_by_label("Target date").fill("2027-09-01")
    assert_accessible(page, "metric form")
    page.get_by_role("button", name="Add metric").click()

    expect(page.get_by_role("heading", name="Days to first invoice", level=1)).to_be_visible()
    expect(page.get_by_text("No measurements yet.").first).to_be_visible()
    for day, value, note in [("2026-10-01", "11", ""), ("2026-11-01", "8", "Invoices on day one")]:
        page.get_by_label(re.compile(r"^Date:?$")).fill(day)
        page.get_by_label("Value").fill(value)
        page.get_by_label("Note").fill(note)
        page.get_by_role("button", name="Record").click()
        expect(page.get_by_text(f"{day}: {value} recorded.")).to_be_visible()

    chart = page.get_by_role("img", name="Days to first invoice (days)")
    expect(chart).to_be_visible()
    expect(page.locator("svg.metric-chart polyline")).to_have_count(1)  # the measured line
    expect(page.get_by_text("50% of the way from baseline to target")).to_be_visible()
    expect(page.get_by_text("On track").first).to_be_visible()
    table = page.get_by_role("table").filter(has_text="Invoices on day one")
    expect(table).to_contain_text("8")
    assert_accessible(page, "metric page")

    page.get_by_role("link", name="← Scorecard of Effortless onboarding").click()
    row = page.get_by_role("row").filter(has_text="Days to first invoice")
    expect(row).to_contain_text("50%")
    expect(row).to_contain_text("On track")
    expect(row.get_by_role("img", name="Recent trend of Days to first invoice")).to_be_visible()
    assert_accessible(page, "scorecard")


@pytest.mark.e2e
@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}])
def test_checkpoints_summary_full_list_and_filter(
    live_server: Any, transactional_db: Any, browser: Browser, viewport: dict[str, int]
) -> None:
    """The scorecard shows the next checkpoints due and the latest reached; "All checkpoints"
    opens the full list, filtered to those reached, each row opening the checkpoint's page."""
    from datetime import timedelta

    from traction.core import clock
    from traction.debrief.services import scorecards
    from traction.debrief.tests.scorecard_helpers import make_debrief

    cast = build_cast()
    now = clock.now().replace(hour=12, minute=0, second=0, microsecond=0)
    for k in range(3):  # ended 200 to 214 days ago: 3- and 6-month checkpoints reached
        make_debrief(cast, ends_at=now - timedelta(days=200 + 7 * k), closed=True)
    scorecards.reach_checkpoints()
    base = live_server.url
    page = browser.new_context(viewport=viewport).new_page()
    page.goto(base + "/login/")
    page.get_by_label("Email").fill("cora@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()

    page.goto(f"{base}/w/{cast.acme.slug}/debriefs/programs/{cast.program.pk}/scorecard/")
    expect(page.get_by_text("9 checkpoints: 6 reached, 3 still to come.")).to_be_visible()
    next_due = page.get_by_role("table", name="The next checkpoints due, soonest first")
    expect(next_due.locator("tbody tr")).to_have_count(3)  # the 3 ahead
    latest = page.get_by_role("table", name="The latest checkpoints reached, newest first")
    expect(latest.locator("tbody tr")).to_have_count(5)  # 5 of the 6 reached
    assert_accessible(page, "scorecard with checkpoints")

    page.get_by_role("link", name="All 6 reached").click()
    expect(page.get_by_role("heading", name="Results checkpoints", level=1)).to_be_visible()
    expect(page.get_by_text("6 checkpoints, newest first.")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"^Reached 6$"))).to_have_attribute(
        "aria-current", "true"
    )
    assert_accessible(page, "checkpoints reached")
    page.get_by_role("link", name=re.compile(r"^Still to come 3$")).click()
    expect(page.get_by_text("3 checkpoints, soonest first.")).to_be_visible()
    page.get_by_role("link", name="12 months").first.click()
    expect(page.get_by_role("heading", name="12-month checkpoint", level=1)).to_be_visible()
