"""The customer's ballot (issue 11): "+" stops at the budget, the counter always shows what
is entered (also when a refused ballot comes back), and the page works without JavaScript.

The flow runs once, at phone width (390 px, the stricter layout; owners act from their phones):
the steps and assertions are the same at desktop width, and this run checks that these
customer-facing pages fit the narrower screen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from traction.core.testing.cast import build_cast
from traction.voting import links
from traction.voting import services as voting
from traction.voting.models import Vote
from traction.voting.tests.test_voting import Room, build_room

PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP: dict[str, Any] = {"viewport": {"width": 1366, "height": 900}}
ISSUE = "Approval takes three weeks"
IDEA = "Let us pay by card"
REFUSED = "You have 3 dots to spend and chose 4; take some off."


def _room() -> Room:
    cast = build_cast()
    room = build_room(cast)
    voting.open_voting(cast.viewer("facilitator"), session=room.session, budget=3)
    return room


def _link(live_server: Any, room: Room) -> str:
    token = links.make_token(room.invitations["ian"].pk, room.ian.pk)
    return f"{live_server.url}/vote/{token}/"


def _ians_dots(room: Room) -> list[tuple[str, int]]:
    return sorted(Vote.objects.filter(contact=room.ian).values_list("insight__text", "dots"))


def _box(ballot: Page, text: str) -> Any:
    return ballot.get_by_label(f"Dots on: {text}")


@pytest.mark.e2e
@pytest.mark.parametrize("size", ["phone"])
def test_plus_stops_at_the_budget_and_a_refused_ballot_keeps_its_counter(
    live_server: Any, transactional_db: None, browser: Browser, screenshots: Path, size: str
) -> None:
    room = _room()
    context = browser.new_context(**(PHONE if size == "phone" else DESKTOP))
    ballot = context.new_page()
    ballot.goto(_link(live_server, room))
    counter = ballot.locator("p.dots-left")
    expect(counter).to_have_text("Dots left: 3 of 3", use_inner_text=True)
    more_issue = ballot.get_by_role("button", name=f"One dot more on: {ISSUE}")
    more_idea = ballot.get_by_role("button", name=f"One dot more on: {IDEA}")
    less_idea = ballot.get_by_role("button", name=f"One dot less on: {IDEA}")
    expect(less_idea).to_be_disabled()  # nothing to take off yet
    press = more_issue.tap if size == "phone" else more_issue.click
    for _ in range(3):
        press()
    expect(counter).to_have_text("Dots left: 0 of 3", use_inner_text=True)
    expect(_box(ballot, ISSUE)).to_have_value("3")
    # At 0 left every "+" is disabled: no "Dots left: −1 of 3" any more.
    expect(more_issue).to_be_disabled()
    expect(more_idea).to_be_disabled()
    more_idea.dispatch_event("click")  # even a click that reaches it changes nothing
    expect(_box(ballot, IDEA)).to_have_value("0")
    expect(counter).to_have_text("Dots left: 0 of 3", use_inner_text=True)
    assert ballot.evaluate("document.documentElement.scrollWidth") <= (
        390 if size == "phone" else 1366
    )
    ballot.screenshot(path=str(screenshots / f"ballot-at-budget-{size}.png"), full_page=True)

    # Typing past the budget is shown as such, and the refusal comes back with the same count.
    _box(ballot, IDEA).fill("1")
    expect(counter).to_have_text(
        "Too many dots: 4 chosen, you have 3. Take some off.", use_inner_text=True
    )
    ballot.get_by_role("button", name="Save my votes").click()
    expect(ballot.get_by_text(REFUSED)).to_be_visible()
    expect(_box(ballot, ISSUE)).to_have_value("3")
    expect(_box(ballot, IDEA)).to_have_value("1")
    expect(counter).to_have_text(
        "Too many dots: 4 chosen, you have 3. Take some off.", use_inner_text=True
    )
    expect(more_idea).to_be_disabled()
    assert _ians_dots(room) == []

    # Taking one off brings "+" back on the other cards only once there is room again.
    ballot.get_by_role("button", name=f"One dot less on: {ISSUE}").click()
    expect(counter).to_have_text("Dots left: 0 of 3", use_inner_text=True)
    expect(more_idea).to_be_disabled()
    ballot.get_by_role("button", name=f"One dot less on: {ISSUE}").click()
    expect(counter).to_have_text("Dots left: 1 of 3", use_inner_text=True)
    expect(more_idea).to_be_enabled()
    ballot.get_by_role("button", name="Save my votes").click()
    expect(ballot.get_by_text("Thank you, your votes are saved.")).to_be_visible()
    expect(counter).to_have_text("Dots left: 1 of 3", use_inner_text=True)
    assert _ians_dots(room) == [(ISSUE, 1), (IDEA, 1)]
    context.close()


@pytest.mark.e2e
def test_the_ballot_works_without_javascript_on_a_phone(
    live_server: Any, transactional_db: None, browser: Browser, screenshots: Path
) -> None:
    room = _room()
    context = browser.new_context(**PHONE, java_script_enabled=False)
    ballot = context.new_page()
    ballot.goto(_link(live_server, room))
    counter = ballot.locator("p.dots-left")
    expect(counter).to_have_text("Dots left: 3 of 3", use_inner_text=True)
    # Buttons that need a script are not offered; the number boxes are.
    expect(ballot.get_by_role("button", name=f"One dot more on: {ISSUE}")).to_be_hidden()
    _box(ballot, ISSUE).fill("3")
    _box(ballot, IDEA).fill("1")
    ballot.get_by_role("button", name="Save my votes").click()
    expect(ballot.get_by_text(REFUSED)).to_be_visible()
    expect(counter).to_have_text(
        "Too many dots: 4 chosen, you have 3. Take some off.", use_inner_text=True
    )
    assert _ians_dots(room) == []
    _box(ballot, ISSUE).fill("2")
    ballot.get_by_role("button", name="Save my votes").click()
    expect(ballot.get_by_text("Thank you, your votes are saved.")).to_be_visible()
    expect(counter).to_have_text("Dots left: 0 of 3", use_inner_text=True)
    assert ballot.evaluate("document.documentElement.scrollWidth") <= 390
    ballot.screenshot(path=str(screenshots / "ballot-no-javascript-phone.png"), full_page=True)
    assert _ians_dots(room) == [(ISSUE, 2), (IDEA, 1)]
    context.close()
