"""Zoom's and Teams' role labels (issue 11): "(Guest)", "(External)" are not part of a name, in
a new contact made on the preview nor on the cards; the preview shows the file as written."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from traction.core.testing.cast import PASSWORD, build_cast
from traction.customers.models import Contact
from traction.insights.models import Insight
from traction.insights.tests.conftest import build_room

TRANSCRIPT = """WEBVTT

1
00:00:01.000 --> 00:00:04.000
Hank Newman (Guest): Our approvals take three weeks.

2
00:00:05.000 --> 00:00:08.000
Harold Unknown (External): I just listen in.
"""


@pytest.mark.e2e
def test_guest_and_external_labels_stay_out_of_new_contacts_and_cards(
    live_server, transactional_db, browser: Browser, screenshots: Path, tmp_path: Path, settings
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    room = build_room(build_cast())
    transcript = tmp_path / "zoom-call.vtt"
    transcript.write_text(TRANSCRIPT)
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    base = live_server.url
    page.goto(base + "/login/")
    page.get_by_label("Email").fill("fran@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{base}/w/acme/insights/sessions/{room.session.pk}/import/")
    page.locator("input[type=file]").set_input_files(str(transcript))
    page.get_by_role("button", name="Upload and preview").click()

    # The preview shows the names as the file writes them; the decisions are made per name.
    page.get_by_label("Hank Newman (Guest)").select_option(label="New contact of Globex")
    page.get_by_label("Harold Unknown (External)").select_option(
        label="— keep the name as written, credit nobody —"
    )
    page.get_by_role("button", name="Import 2 rows").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review queue")

    hank = Contact.objects.get(customer=room.cast.customer, name="Hank Newman")
    assert hank.email == "hank.newman@unknown.invalid"
    assert not Contact.objects.filter(name__contains="(").exists()
    assert list(
        Insight.objects.order_by("source_line").values_list(
            "source_line", "speaker_name", "speaker_contact", "text"
        )
    ) == [
        (3, "Hank Newman", hank.pk, "Our approvals take three weeks."),
        (7, "Harold Unknown", None, "I just listen in."),
    ]
    table = page.locator(".review-table")
    expect(table).to_contain_text("Hank Newman")
    expect(table).to_contain_text("Harold Unknown")
    expect(table).not_to_contain_text("(Guest)")
    expect(table).not_to_contain_text("(External)")

    page.get_by_label("Type of line 3").select_option(label="Issue")
    page.get_by_label("Step of line 3").select_option(label="1. Sign the contract")
    page.get_by_label("Tick line 3").check()
    page.get_by_label("Tick line 7").check()
    page.get_by_role("button", name="Accept ticked").click()
    expect(page.get_by_text("2 candidates accepted onto the map.")).to_be_visible()

    page.goto(f"{base}/w/acme/insights/sessions/{room.session.pk}/map/")
    card = page.locator("article.note", has_text="Our approvals take three weeks.")
    expect(card).to_contain_text("Hank Newman, Globex")
    expect(page.locator("main")).not_to_contain_text("(Guest)")
    page.screenshot(path=str(screenshots / "import-guest-names.png"), full_page=True)
    context.close()
