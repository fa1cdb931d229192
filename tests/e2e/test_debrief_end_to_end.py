"""A whole debrief in a browser, the way a team runs one: the facilitator opens the room, the
core team drafts recommendations linked to evidence, the sponsor approves one and defers
another with a date, the facilitator assigns an action item, the core team creates a
scorecard metric with its baseline and target, the facilitator closes the debrief with the
priorities left undecided dated, and the pack is downloaded and read back as PDF text."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader

from traction.core import clock
from traction.core.testing.cast import PASSWORD, build_cast
from traction.debrief.models import ActionItem, Debrief, ScorecardMetric
from traction.debrief.tests.room_world import build_world, session_over

DESKTOP = {"width": 1366, "height": 900}


def signed_in(browser: Browser, base: str, email: str) -> Page:
    page = browser.new_context(viewport=DESKTOP).new_page()  # type: ignore[arg-type]
    page.goto(base + "/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    return page


@pytest.mark.e2e
def test_a_debrief_is_run_end_to_end(
    live_server: Any, transactional_db: None, browser: Browser
) -> None:
    cast = build_cast()
    world = build_world(cast)
    session_over(world)  # the room opens once the session is over
    base = live_server.url
    room = f"{base}/w/{cast.acme.slug}/debriefs/{world.debrief.pk}/"

    fran = signed_in(browser, base, "fran@acme.test")
    fran.goto(room)
    fran.get_by_role("button", name="Open the debrief").click()
    expect(fran.locator("#current-phase")).to_have_text("Review open actions from earlier debriefs")

    # The core team drafts two recommendations, each linked to the customers' evidence.
    cora = signed_in(browser, base, "cora@acme.test")
    cora.goto(room)
    for title, evidence in [
        ("Invoice on day one", "Moment of truth: The first invoice arrives — Gina Globex"),
        ("Faster approvals", "Issue: Approval takes three weeks — Ian Initech"),
    ]:
        cora.get_by_role("link", name="Draft a recommendation", exact=True).click()
        cora.get_by_label("Title").fill(title)
        cora.get_by_label(evidence).check()
        cora.get_by_role("button", name="Draft it").click()
        expect(cora.get_by_role("heading", name=title)).to_be_visible()
        cora.goto(room)

    # The sponsor approves one and defers the other with a date to revisit it.
    sam = signed_in(browser, base, "sam@acme.test")
    sam.goto(room)
    sam.get_by_role("link", name="Approve “Invoice on day one”").click()
    sam.get_by_label("Reason").fill("Customers asked for it twice")
    sam.get_by_role("button", name="Record the decision").click()
    sam.get_by_role("link", name="Defer “Faster approvals”").click()
    sam.get_by_label("Reason").fill("After the billing migration")
    sam.get_by_label("Revisit on").fill((clock.today() + timedelta(days=45)).isoformat())
    sam.get_by_role("button", name="Record the decision").click()
    expect(sam.locator("#coverage-text")).to_have_text(
        "2 of 4 top priorities have a decision or a dated deferral"
    )

    # The facilitator gives the approved recommendation an owned, dated action item.
    fran.goto(room + "actions/")
    form = fran.locator("form#add")
    form.get_by_label("What is to be done").fill("Send the first invoice from the welcome call")
    form.get_by_role("combobox", name="Owner").select_option(label="Cora Core")
    form.get_by_label("Due date").fill((clock.today() + timedelta(days=10)).isoformat())
    form.get_by_role("button", name="Add action item").click()
    expect(fran.get_by_text("Send the first invoice from the welcome call").first).to_be_visible()
    action = ActionItem.objects.get(title="Send the first invoice from the welcome call")
    assert action.owner_id == cast.users["core_team"].pk

    # The core team creates a scorecard metric with its baseline and target.
    cora.goto(f"{base}/w/{cast.acme.slug}/programs/{cast.program.pk}/")
    cora.get_by_role("link", name="Open the scorecard").click()
    cora.get_by_role("link", name="Add the first metric").click()
    cora.get_by_label("Name").fill("Days to first invoice")
    cora.get_by_label("Definition").fill("Days from signing to the first paid invoice.")
    cora.get_by_label("Unit").fill("days")
    cora.get_by_label("Direction").select_option("down")
    cora.get_by_label(re.compile(r"^Baseline:?$")).fill("14")
    cora.get_by_label("Baseline date").fill((clock.today() - timedelta(days=30)).isoformat())
    cora.get_by_label(re.compile(r"^Target:?$")).fill("2")
    cora.get_by_label("Target date").fill((clock.today() + timedelta(days=365)).isoformat())
    cora.get_by_role("button", name="Add metric").click()
    expect(cora.get_by_role("heading", name="Days to first invoice", level=1)).to_be_visible()
    assert ScorecardMetric.objects.filter(name="Days to first invoice").exists()

    # The facilitator closes it: the priorities left undecided each get a date.
    fran.goto(room + "close/")
    expect(fran.get_by_role("heading", name="Close the debrief")).to_be_visible()
    present = fran.get_by_label(re.compile(r"was present:?$"))
    for n in range(present.count()):
        present.nth(n).check()
    revisits = fran.get_by_label(re.compile(r"^Revisit “.*” on:?$"))
    for n in range(revisits.count()):
        revisits.nth(n).fill((clock.today() + timedelta(days=30)).isoformat())
    fran.get_by_label("Closing note").fill("The first invoice on day one; approvals next quarter.")
    fran.get_by_role("button", name="Close the debrief").click()
    expect(
        fran.get_by_text("The debrief is closed. Its pack is ready to read and send.")
    ).to_be_visible()
    assert Debrief.objects.get(pk=world.debrief.pk).status == "closed"

    # The pack, downloaded as a PDF, says what was decided, who owns what, what is measured.
    with fran.expect_download() as download_info:
        fran.get_by_role("link", name="Download PDF").click()
    pdf = download_info.value
    with open(pdf.path(), "rb") as handle:
        text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(handle.read())).pages)
    text = " ".join(text.split())
    for expected in (
        "Invoice on day one",
        "Faster approvals",
        "Send the first invoice from the welcome call",
        "Cora Core",
        "Days to first invoice",
    ):
        assert expected in text, expected
