"""The steps page (issue 11): after a step is inserted at position 2 the list reads 1 to 6 in
order, and the arrows move a step past its real neighbours."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from traction.core.testing.cast import PASSWORD, build_cast
from traction.insights import services
from traction.insights.tests.conftest import build_room


@pytest.mark.e2e
def test_a_step_inserted_at_2_is_listed_second_and_the_arrows_move_it(
    live_server, transactional_db, browser: Browser, screenshots: Path
) -> None:
    room = build_room(build_cast())
    fran = room.cast.viewer("facilitator")
    for title in ("Pay the invoice", "Renew"):
        services.add_step(fran, scenario=room.scenario, title=title)
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    base = live_server.url
    page.goto(base + "/login/")
    page.get_by_label("Email").fill("fran@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{base}/w/acme/insights/scenarios/{room.scenario.pk}/steps/")
    page.get_by_label("New step").fill("Kick-off call")
    page.get_by_label("Position").fill("2")
    page.get_by_role("button", name="Add step").click()
    expect(page.get_by_text("Step “Kick-off call” added.")).to_be_visible()

    rows = page.locator(".steps-table tbody tr")

    def listed() -> list[tuple[str, str]]:
        return [
            (row.locator("td").first.inner_text(), row.locator("input[name=title]").input_value())
            for row in rows.all()
        ]

    expect(rows).to_have_count(6)
    assert listed() == [
        ("1", "Sign the contract"),
        ("2", "Kick-off call"),
        ("3", "Set up billing"),
        ("4", "First invoice"),
        ("5", "Pay the invoice"),
        ("6", "Renew"),
    ]
    # Only the first step cannot go up and only the last cannot go down.
    expect(page.get_by_role("button", name="Move “Sign the contract” up")).to_be_disabled()
    expect(page.get_by_role("button", name="Move “Renew” down")).to_be_disabled()
    expect(page.get_by_role("button", name="Move “Kick-off call” down")).to_be_enabled()
    page.screenshot(path=str(screenshots / "steps-inserted.png"), full_page=True)

    page.get_by_role("button", name="Move “Kick-off call” down").click()
    expect(page.get_by_text("Steps reordered.")).to_be_visible()
    assert [title for _, title in listed()][:4] == [
        "Sign the contract",
        "Set up billing",
        "Kick-off call",
        "First invoice",
    ]
    page.get_by_role("button", name="Move “Set up billing” up").click()
    expect(page.get_by_text("Steps reordered.")).to_be_visible()
    assert listed() == [
        ("1", "Set up billing"),
        ("2", "Sign the contract"),
        ("3", "Kick-off call"),
        ("4", "First invoice"),
        ("5", "Pay the invoice"),
        ("6", "Renew"),
    ]
    assert list(room.scenario.steps.values_list("title", "position")) == [
        ("Set up billing", 1),
        ("Sign the contract", 2),
        ("Kick-off call", 3),
        ("First invoice", 4),
        ("Pay the invoice", 5),
        ("Renew", 6),
    ]
    context.close()
