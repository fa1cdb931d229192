"""Live capture: a note taker captures five insights with the keyboard alone and sees each
card land on the journey grid without a page load."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from traction.core.testing.cast import PASSWORD, build_cast
from traction.insights.models import Insight
from traction.insights.tests.conftest import build_room


@pytest.mark.e2e
def test_keyboard_capture_lands_on_the_grid(
    live_server, transactional_db, page: Page, screenshots: Path
) -> None:
    room = build_room(build_cast())
    base = live_server.url
    page.goto(base + "/login/")
    page.get_by_label("Email").fill("cora@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{base}/w/acme/sessions/{room.session.pk}/")
    page.get_by_role("link", name="Open the map and capture").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Scenario map: Team Blue")
    # A marker that a full page load would wipe out.
    page.evaluate("window.stillThisPage = true")

    line = page.locator("#id_text")
    expect(line).to_be_focused()
    typed = [
        "/m @gina >3 The first invoice has to be right",
        "/i >2 #billing Setting up billing takes three weeks",
        "/d @ivy Let us pay by card on day one",
        "/k >3 Invoice paid within a day",
        "/q We print every invoice twice",  # Ivy again: the speaker stays as last used
    ]
    for n, text in enumerate(typed, start=1):
        page.keyboard.type(text)
        page.keyboard.press("Enter")
        expect(page.locator("#capture-status")).to_contain_text("Saved:")
        expect(page.locator(".note")).to_have_count(n)
        expect(line).to_be_focused()
        expect(line).to_have_value("")
    # Alt+Down moves to the next speaker without leaving the line.
    page.keyboard.press("Alt+ArrowDown")
    expect(page.locator("#capture-status")).to_contain_text("Speaker: Cora Core (internal)")

    assert page.evaluate("window.stillThisPage") is True
    grid = page.locator(".journey-grid")
    expect(grid.locator("#cell-moment_of_truth-3")).to_contain_text(
        "The first invoice has to be right"
    )
    expect(grid.locator("#cell-issue-2")).to_contain_text("Setting up billing takes three weeks")
    expect(grid.locator("#cell-customer_metric-3")).to_contain_text("Invoice paid within a day")
    expect(page.locator(".note.kind-moment_of_truth .mot-mark")).to_have_count(1)
    expect(page.locator(".note-text", has_text="We print every invoice twice")).to_be_visible()
    page.screenshot(path=str(screenshots / "capture-grid.png"), full_page=True)

    saved = list(
        Insight.objects.order_by("id").values_list("kind", "speaker_name", "step__position")
    )
    assert saved == [
        ("moment_of_truth", "Gina Globex", 3),
        ("issue", "Gina Globex", 2),
        ("idea", "Ivy Initech", 2),
        ("customer_metric", "Ivy Initech", 3),
        ("quote", "Ivy Initech", 3),
    ]
