"""The review queue (issue 11): "Accept ticked" takes the type and step each ticked row shows,
saved or not; a row's Save says so on the row; a discard can be undone."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from traction.core.testing.cast import PASSWORD, build_cast
from traction.insights import imports
from traction.insights.models import Insight
from traction.insights.tests.conftest import build_room
from traction.insights.tests.test_imports import ZOOM


@pytest.mark.e2e
def test_bulk_actions_apply_what_is_on_screen_saves_confirm_and_discards_undo(
    live_server, transactional_db, browser: Browser, screenshots: Path
) -> None:
    room = build_room(build_cast())
    imports.import_file(
        room.cast.viewer("core_team"),
        session=room.session,
        stream=io.BytesIO(ZOOM.encode()),
        filename="zoom.vtt",
    )
    lines = list(Insight.objects.order_by("source_line").values_list("source_line", flat=True))
    first, second, third = lines
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    base = live_server.url
    page.goto(base + "/login/")
    page.get_by_label("Email").fill("cora@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{base}/w/acme/insights/sessions/{room.session.pk}/review/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Review queue")

    # Nothing ticked: the page says why nothing happened.
    page.get_by_role("button", name="Accept ticked").click()
    expect(page.get_by_text("Tick at least one candidate to accept.")).to_be_visible()

    # A row's Save confirms on the row, and keeps the row's tick.
    page.get_by_label(f"Tick line {second}").check()
    page.get_by_label(f"Type of line {second}").select_option(label="Idea")
    page.get_by_role("button", name=f"Save line {second}").click()
    row = page.locator(f"#candidate-{Insight.objects.get(source_line=second).pk}")
    expect(row.get_by_role("status")).to_have_text(f"✓ Line {second} saved: Idea, no step.")
    expect(page.get_by_label(f"Tick line {second}")).to_be_checked()
    page.screenshot(path=str(screenshots / "review-row-saved.png"), full_page=True)

    # Corrected on screen, never saved row by row, then accepted: the correction is kept.
    page.get_by_label(f"Type of line {first}").select_option(label="Issue")
    page.get_by_label(f"Step of line {first}").select_option(label="2. Set up billing")
    page.get_by_label(f"Tick line {first}").check()
    page.get_by_role("button", name="Accept ticked").click()
    expect(page.get_by_text("2 candidates accepted onto the map.")).to_be_visible()
    assert list(
        Insight.objects.order_by("source_line").values_list("kind", "step__title", "status")
    ) == [
        ("issue", "Set up billing", "accepted"),
        ("idea", None, "accepted"),
        ("quote", None, "candidate"),
    ]

    # A discard says so with an Undo that puts the row back.
    page.get_by_label(f"Tick line {third}").check()
    page.get_by_role("button", name="Discard ticked").click()
    expect(page.locator("#undo")).to_contain_text("1 candidate discarded.")
    expect(page.get_by_text("Nothing waiting for review.")).to_be_visible()
    page.screenshot(path=str(screenshots / "review-undo.png"), full_page=True)
    page.locator("#undo").get_by_role("button", name="Undo").click()
    expect(page.get_by_text("1 candidate back in the queue.")).to_be_visible()
    expect(page.locator(".review-table tbody tr")).to_have_count(1)
    assert Insight.objects.get(source_line=third).status == "candidate"
    context.close()
