"""The journey grid on a real map (issue 11): eight steps readable across a 1366 px screen,
the step headers in view (sticky, below the capture panel) while the grid scrolls, present
mode without the application's chrome or edit links, and one landscape page in print
(Chromium's PDF read back with pypdf). The room's screen hides the running totals until
the facilitator reveals them, the same on every screen. axe-core checks each page."""

from __future__ import annotations

import io
from typing import Any

import pytest
from playwright.sync_api import Browser, expect
from pypdf import PdfReader

from traction.core.testing.cast import build_cast
from traction.insights import services
from traction.insights.tests.conftest import Room, build_room
from traction.voting import services as voting

from .a11y import assert_accessible
from .helpers import sign_in

DESKTOP = {"width": 1366, "height": 768}
STEPS = [
    "Sign",
    "Set up billing",
    "First invoice",
    "Reminders",
    "VAT",
    "Get paid",
    "Report",
    "Renew",
]


def eight_step_map() -> Room:
    room = build_room(build_cast())
    fran = room.cast.viewer("facilitator")
    for title in STEPS[3:]:
        services.add_step(fran, scenario=room.scenario, title=title)
    steps = list(room.scenario.steps.order_by("position"))
    assert len(steps) == 8
    for n, step in enumerate(steps):
        for kind in ("moment_of_truth", "issue", "idea"):
            for i in range(3):
                services.capture_insight(
                    fran,
                    session=room.session,
                    kind=kind,
                    text=f"{kind.replace('_', ' ')} {i + 1} at step {n + 1}: what they said",
                    speaker=f"c:{room.gina.pk}",
                    step_id=step.pk,
                    scenario_id=room.scenario.pk,
                )
    return room


@pytest.mark.e2e
def test_eight_steps_fit_stick_present_and_print_on_one_page(
    live_server: Any, transactional_db: Any, browser: Browser
) -> None:
    room = eight_step_map()
    base = live_server.url
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    sign_in(page, base, "fran@acme.test")
    url = f"{base}/w/acme/insights/sessions/{room.session.pk}/map/?scenario={room.scenario.pk}"
    page.goto(url)

    grid = page.locator(".grid-scroll")
    headers = page.locator(".journey-grid thead th:not(.row-head)")
    expect(headers).to_have_count(8)
    # All eight steps across the screen: no sideways scrolling, each header fully in view.
    sizes = grid.evaluate("g => [g.scrollWidth, g.clientWidth]")
    assert sizes[0] <= sizes[1], sizes
    last = headers.nth(7).bounding_box()
    assert last is not None
    assert last["x"] + last["width"] <= DESKTOP["width"]
    assert headers.nth(0).bounding_box()["width"] >= 120  # readable columns, not slivers
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
    assert_accessible(page, "the scenario map")

    # Scrolled to the grid, then inside it: the headers stay at the grid's top, below the
    # sticky capture panel.
    grid.scroll_into_view_if_needed()
    page.evaluate(
        "() => { const g = document.querySelector('.grid-scroll');"
        " window.scrollTo(0, g.getBoundingClientRect().top + window.scrollY"
        " - document.getElementById('capture-panel').getBoundingClientRect().height); }"
    )
    assert grid.evaluate("g => g.scrollHeight > g.clientHeight"), "the grid should scroll"
    grid.evaluate("g => { g.scrollTop = 400; }")
    panel = page.locator("#capture-panel").bounding_box()
    box = grid.bounding_box()
    head = headers.nth(2).bounding_box()
    assert panel is not None
    assert box is not None
    assert head is not None
    assert abs(head["y"] - box["y"]) <= 8, (head, box)  # stuck at the grid's top
    assert head["y"] >= panel["y"] + panel["height"] - 1, (head, panel)  # under the panel
    assert box["y"] + box["height"] <= DESKTOP["height"] + 1  # the grid fits the window
    # Scrolling the page on past the grid (to what lies under it) leaves the grid's box just
    # under the panel: the headers are never hidden behind it, nor painted over it.
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    panel = page.locator("#capture-panel").bounding_box()
    head = headers.nth(2).bounding_box()
    assert panel is not None
    assert head is not None
    assert head["y"] >= panel["y"] + panel["height"] - 1, (head, panel)
    on_top = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y).closest('th') !== null",
        [head["x"] + head["width"] / 2, head["y"] + head["height"] / 2],
    )
    assert on_top, "the step header is covered"
    status = page.locator("#capture-status").bounding_box()
    assert status is not None
    assert page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y).closest('#capture-panel') !== null",
        [status["x"] + 5, status["y"] + status["height"] / 2],
    ), "something is painted over the capture panel"

    # Print: one landscape page, with every step on it.
    pdf = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True)))
    assert len(pdf.pages) == 1
    width, height = pdf.pages[0].mediabox.width, pdf.pages[0].mediabox.height
    assert width > height  # landscape
    text = " ".join(pdf.pages[0].extract_text().split())
    for title in [s.title for s in room.scenario.steps.all()]:
        assert title in text, (title, text[:400])
    assert "Save" not in text  # no capture line, no buttons

    # Present mode: no navigation, no capture line, no edit links, no internal remarks.
    page.goto(url)
    page.get_by_role("link", name="Present").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.locator("#capture-panel")).to_have_count(0)
    expect(page.get_by_role("link", name="Edit", exact=False)).to_have_count(0)
    expect(headers).to_have_count(8)
    assert_accessible(page, "the scenario map in present mode")
    page.get_by_role("link", name="Leave present mode").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    expect(page.locator("#capture-panel")).to_be_visible()
    context.close()


@pytest.mark.e2e
def test_the_room_hides_running_totals_until_the_facilitator_reveals_them(
    live_server: Any, transactional_db: Any, browser: Browser
) -> None:
    room = build_room(build_cast())
    fran = room.cast.viewer("facilitator")
    card = services.capture_insight(
        fran,
        session=room.session,
        kind="issue",
        text="We re-key every customer by hand",
        speaker=f"c:{room.gina.pk}",
        step_id=room.steps[1].pk,
        scenario_id=room.scenario.pk,
    )
    voting.open_voting(fran, session=room.session, budget=3)
    voting.add_dot(fran, session=room.session, contact_id=room.ivy.pk, insight_id=card.pk)
    base = live_server.url
    room_url = f"{base}/w/acme/insights/sessions/{room.session.pk}/voting/room/"

    screen = browser.new_context(viewport=DESKTOP).new_page()  # the facilitator's laptop
    sign_in(screen, base, "fran@acme.test")
    projector = browser.new_context(viewport=DESKTOP).new_page()  # the room's screen
    sign_in(projector, base, "alice@acme.test")
    projector.goto(room_url + "?present=1")
    expect(projector.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(projector.locator(".room-card")).to_contain_text("1 dot")
    assert_accessible(projector, "the room in present mode")

    screen.goto(room_url)
    screen.get_by_role("button", name="Hide the running totals").click()
    expect(screen.get_by_text("Running totals are hidden")).to_be_visible()
    expect(screen.locator(".room-card")).not_to_contain_text("1 dot")
    # A dot given while hidden is counted, not shown.
    screen.get_by_role("link", name="Gina").click()
    screen.get_by_role("button", name="Add a dot from Gina").click()
    expect(screen.locator("#dots-left")).to_have_text("2")
    expect(screen.locator(".room-card")).to_contain_text("1 from Gina")
    expect(screen.locator(".room-card .total")).to_have_count(0)
    assert_accessible(screen, "the room with hidden totals")

    projector.reload()  # every screen shows the same
    expect(projector.get_by_text("Running totals are hidden")).to_be_visible()
    expect(projector.locator(".room-card .total")).to_have_count(0)

    screen.get_by_role("button", name="Reveal the totals").click()
    expect(screen.locator(".room-card .total")).to_have_text("2 dots")
    projector.reload()
    expect(projector.locator(".room-card .total")).to_have_text("2 dots")
    expect(projector.get_by_text("Running totals are hidden")).to_have_count(0)
