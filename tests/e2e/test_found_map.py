"""A facilitator links a customer metric card to a moment of truth and adds a team to a
step's "How we support it" lane; both show on the journey grid (issue 12)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.a11y import assert_accessible
from tests.e2e.test_found_held import DESKTOP, sign_in
from traction.core.testing.cast import build_cast
from traction.insights import services
from traction.insights.tests.conftest import build_room


@pytest.mark.e2e
def test_the_facilitator_links_a_metric_and_fills_the_support_lane(
    live_server, transactional_db, browser: Browser, screenshots: Path
) -> None:
    room = build_room(build_cast())
    fran = room.cast.viewer("facilitator")
    billing = room.steps[1]
    services.capture_insight(
        fran,
        session=room.session,
        kind="moment_of_truth",
        text="The first bill is right",
        speaker=room.speaker("gina"),
        step_id=billing.pk,
        scenario_id=room.scenario.pk,
    )
    metric = services.capture_insight(
        fran,
        session=room.session,
        kind="customer_metric",
        text="Invoices corrected per month",
        speaker=room.speaker("ivy"),
        step_id=billing.pk,
        scenario_id=room.scenario.pk,
    )
    context = browser.new_context(**DESKTOP)
    page = context.new_page()
    base = live_server.url
    sign_in(page, base, "fran@acme.test")

    page.goto(f"{base}/w/acme/insights/{metric.pk}/edit/")
    measures = page.locator("#measures")
    measures.get_by_label("2. Set up billing: The first bill is right").check()
    measures.get_by_role("button", name="Save links").click()
    expect(page.get_by_text("This metric measures 1 moment of truth.")).to_be_visible()
    expect(
        page.locator("#measures").get_by_label("2. Set up billing: The first bill is right")
    ).to_be_checked()
    assert_accessible(page, "metric card's edit page")

    page.goto(f"{base}/w/acme/insights/scenarios/{room.scenario.pk}/steps/")
    lane = page.locator("#support").locator("xpath=..")
    lane.get_by_label("Step").select_option(label="2. Set up billing")
    lane.get_by_label("Who").select_option(label="Partner")
    lane.get_by_label("Name").fill("Acme Payments")
    lane.get_by_label("Note").fill("Runs the card checks")
    lane.get_by_role("button", name="Add to the lane").click()
    expect(page.get_by_text("“Acme Payments” added at “Set up billing”.")).to_be_visible()
    assert_accessible(page, "steps page with the support lane")

    page.goto(f"{base}/w/acme/insights/sessions/{room.session.pk}/map/")
    grid = page.locator("table.journey-grid")
    support_row = grid.locator("tr.row-support")
    expect(support_row.locator("th")).to_have_text("How we support it")
    expect(support_row.locator("#support-2")).to_contain_text("Acme Payments")
    expect(support_row.locator("#support-2")).to_contain_text("Runs the card checks")
    expect(grid.locator(f"#insight-{metric.pk}")).to_contain_text(
        "Measures: ★ The first bill is right"
    )
    assert_accessible(page, "journey grid with the support lane")
    page.screenshot(path=str(screenshots / "found-map-support-lane.png"), full_page=True)

    page.goto(f"{base}/w/acme/insights/sessions/{room.session.pk}/map/?present=1")
    expect(page.locator("tr.row-support #support-2")).to_contain_text("Acme Payments")
    context.close()
