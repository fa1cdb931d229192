"""Prioritisation: the facilitator emails each customer their link; a customer opens the
emailed link on a phone-sized screen and votes; the facilitator sees the ranking with its
breakdown."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core import mail
from playwright.sync_api import Browser, Page, expect

from traction.core.testing.cast import PASSWORD, build_cast
from traction.voting import links
from traction.voting import services as voting
from traction.voting.models import Vote
from traction.voting.tests.test_voting import build_room


@pytest.mark.e2e
def test_a_customer_votes_on_a_phone_and_the_facilitator_sees_the_ranking(
    live_server, transactional_db, browser: Browser, page: Page, screenshots: Path
) -> None:
    cast = build_cast()
    room = build_room(cast)
    voting.open_voting(cast.viewer("facilitator"), session=room.session, budget=3)
    voting.add_dot(
        cast.viewer("facilitator"),
        session=room.session,
        contact_id=room.gina.pk,
        insight_id=room.cards["mot"].pk,
    )
    base = live_server.url
    voting_page = f"{base}/w/{cast.acme.slug}/insights/sessions/{room.session.pk}/voting/"
    page.goto(base + "/login/")
    page.get_by_label("Email").fill("fran@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(voting_page)
    page.get_by_role("button", name="Email every customer their link").click()
    expect(page.get_by_text("Voting link queued for")).to_contain_text(room.ian.name)
    [email] = [
        m for m in mail.outbox if m.subject.startswith("Your votes") and room.ian.email in m.to[0]
    ]
    [(link, token)] = re.findall(r"https?://\S+(/vote/(\S+)/)", email.body)
    assert links.read_token(token) == (room.invitations["ian"].pk, room.ian.pk)

    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    ian = phone.new_page()
    ian.goto(base + link)
    expect(ian.get_by_role("heading", level=1)).to_have_text("Voting session")
    expect(ian.get_by_role("status")).to_contain_text("Dots left: 3 of 3")
    # Text only: no other customer's name or organisation, no internal remark.
    content = ian.content()
    for hidden in ("Gina", "Gus", "Iris", "Globex", "Our tool is slow"):
        assert hidden not in content
    more = ian.get_by_role("button", name="One dot more on: Approval takes three weeks")
    more.tap()
    more.tap()
    ian.get_by_role("button", name="One dot more on: Let us pay by card").tap()
    expect(ian.locator("#dots-left")).to_have_text("0")
    assert ian.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    ian.screenshot(path=str(screenshots / "voting-phone.png"), full_page=True)
    ian.get_by_role("button", name="Save my votes").tap()
    expect(ian.get_by_text("Thank you, your votes are saved.")).to_be_visible()
    expect(ian.locator("#dots-left")).to_have_text("0")
    phone.close()
    assert sorted(
        Vote.objects.filter(contact=room.ian).values_list("insight__text", "dots", "channel")
    ) == [("Approval takes three weeks", 2, "link"), ("Let us pay by card", 1, "link")]

    page.goto(voting_page)
    expect(page.get_by_role("heading", name="Voting is open")).to_be_visible()
    page.get_by_role("button", name="Close voting").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("What customers ranked highest")
    expect(
        page.get_by_text("Voting is closed: this ranking is final, frozen as it stood")
    ).to_be_visible()
    overall = page.locator("section", has=page.get_by_role("heading", name="Overall"))
    rows = overall.locator("tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.nth(0)).to_contain_text("Approval takes three weeks")
    expect(rows.nth(0).locator("td").nth(2)).to_have_text("2")
    expect(rows.nth(1)).to_contain_text("The first invoice arrives")
    expect(rows.nth(2)).to_contain_text("Let us pay by card")
    page.screenshot(path=str(screenshots / "voting-results.png"), full_page=True)
