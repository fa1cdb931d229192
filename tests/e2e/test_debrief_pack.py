"""Closing a debrief and its pack in a browser: the facilitator records who attended,
writes the closing note, gives the one undecided top priority left a revisit date (the
other one gets a decision first), closes, reads the pack (axe-core: no serious violation,
on a desktop and a phone) and downloads the PDF, read back with pypdf."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, expect
from pypdf import PdfReader

from traction.core import clock
from traction.core.testing.cast import build_cast
from traction.debrief.models import Attendee, Debrief, DebriefStatus, Undecided
from traction.debrief.tests.pack_data import PackWorld, build_pack_world, decide, recommend

from .a11y import assert_accessible
from .helpers import PHONE, sign_in

DESKTOP = {"width": 1366, "height": 768}


def one_undecided() -> PackWorld:
    """The pack world with Gus's idea decided too: only Iris's issue is left undecided."""
    world = build_pack_world(build_cast())
    card = recommend(
        world.debrief,
        "Let customers pay by card",
        world.cards["idea"],
        world.cast.users["core_team"],
    )
    decide(card, world.cast.users["sponsor"], "Executive sponsor", "rejected", "Fees too high.")
    return world


@pytest.mark.e2e
def test_the_facilitator_closes_the_debrief_reads_the_pack_and_downloads_the_pdf(
    live_server: Any, transactional_db: Any, browser: Browser
) -> None:
    world = one_undecided()
    base = live_server.url + world.url
    page = browser.new_context(viewport=DESKTOP, accept_downloads=True).new_page()
    sign_in(page, live_server.url, "fran@acme.test")
    page.goto(base + "close/")
    expect(page.get_by_role("heading", name="Close the debrief")).to_be_visible()
    assert_accessible(page, "the closing form")
    # Attendance: Sam stayed away; Petra came uninvited.
    expect(page.get_by_label("Fran Facilitator was present")).to_be_checked()
    page.get_by_label("Sam Sponsor (policy maker) was present").uncheck()
    page.get_by_label("Petra Policy").check()
    # The note is required: closing without it says so beside the field, nothing lost.
    revisit = page.get_by_label("Revisit “Nobody answers the phone” on")
    on = clock.today() + timedelta(days=14)
    revisit.fill(on.isoformat())
    page.get_by_role("button", name="Close the debrief").click()
    expect(page.get_by_text("Write a closing note: what the debrief decided")).to_be_visible()
    expect(page.get_by_label("Revisit “Nobody answers the phone” on")).to_have_value(on.isoformat())
    assert Debrief.objects.get(pk=world.debrief.pk).status == DebriefStatus.OPEN
    page.get_by_label("Closing note").fill("Invoices on signing day; the phone line in two weeks.")
    page.get_by_label("Note (optional)").fill("Ask support for call volumes")
    page.get_by_role("button", name="Close the debrief").click()

    # On to the pack.
    expect(page.get_by_role("heading", name="Debrief pack: Voting session")).to_be_visible()
    expect(
        page.get_by_text("The debrief is closed. Its pack is ready to read and send.")
    ).to_be_visible()
    undecided = page.get_by_role("table", name="Top priorities left undecided")
    expect(undecided).to_contain_text("Nobody answers the phone")
    expect(undecided).to_contain_text("Ask support for call volumes")
    expect(
        page.get_by_role("heading", name="Send the first invoice on signing day")
    ).to_be_visible()
    expect(page.get_by_role("table", name="The program's scorecard metrics")).to_contain_text(
        "Days to first invoice"
    )
    assert_accessible(page, "the debrief pack")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").click()
    download = download_info.value
    assert download.suggested_filename.startswith("debrief-pack-voting-session-")
    path = download.path()
    assert path is not None
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    for phrase in (
        "Send the first invoice on signing day",
        "Let customers pay by card",
        "Nobody answers the phone",
        "Cora Core",
        "Days to first invoice",
    ):
        assert phrase in text

    closed = Debrief.objects.get(pk=world.debrief.pk)
    assert closed.status == DebriefStatus.CLOSED
    assert dict(Attendee.objects.filter(debrief=closed).values_list("user__email", "present")) == {
        "fran@acme.test": True,
        "cora@acme.test": True,
        "sam@acme.test": False,
        "petra@acme.test": True,
    }
    [row] = Undecided.objects.filter(debrief=closed)
    assert (row.insight_id, row.revisit_on) == (world.cards["issue2"].pk, on)

    # The recipients are shown before anything is sent.
    page.get_by_role("link", name="Send the pack").click()
    recipients = page.get_by_role("table", name="Who will receive the pack (4)")
    expect(recipients).to_contain_text("Petra Policy")
    expect(recipients).not_to_contain_text("Owen Owner")
    assert_accessible(page, "the recipients before sending")


@pytest.mark.e2e
def test_the_pack_reads_on_a_phone(
    live_server: Any, transactional_db: Any, browser: Browser
) -> None:
    world = build_pack_world(build_cast())
    page = browser.new_context(viewport=PHONE).new_page()
    sign_in(page, live_server.url, "sam@acme.test")
    page.goto(live_server.url + world.url + "pack/")
    expect(page.get_by_role("heading", name="Fast-track enterprise approvals")).to_be_visible()
    expect(page.get_by_role("link", name="Send the pack")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_accessible(page, "the debrief pack on a phone")
