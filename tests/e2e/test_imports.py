"""Import: a note taker uploads a Teams transcript, maps the speaker nobody matched, confirms,
and accepts two candidates from the review queue onto the map."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from traction.core.testing.cast import PASSWORD, build_cast
from traction.insights.models import Insight
from traction.insights.tests.conftest import build_room

TRANSCRIPT = """WEBVTT

1
00:00:01.000 --> 00:00:04.000
<v Gina Globex (Guest)>Approval takes two weeks.</v>

2
00:00:05.000 --> 00:00:08.000
<v Initech, Ivy>We print every invoice twice.</v>

3
00:00:09.000 --> 00:00:12.000
<v Harold Unknown>I just listen in.</v>
"""


@pytest.mark.e2e
def test_upload_preview_map_confirm_and_review(
    live_server, transactional_db, page: Page, screenshots: Path, tmp_path: Path, settings
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    room = build_room(build_cast())
    transcript = tmp_path / "teams-call.vtt"
    transcript.write_text(TRANSCRIPT)
    base = live_server.url
    page.goto(base + "/login/")
    page.get_by_label("Email").fill("cora@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{base}/w/acme/insights/sessions/{room.session.pk}/map/")
    page.get_by_role("link", name="Import notes or transcript").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import notes or a transcript")
    page.locator("input[type=file]").set_input_files(str(transcript))
    page.get_by_role("button", name="Upload and preview").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check the import of “teams-call.vtt”"
    )
    expect(page.locator(".lead")).to_contain_text("3 rows to import")
    # Gina and Ivy ("Initech, Ivy") are recognised; Harold matches nobody and must be decided.
    harold = page.get_by_label("Harold Unknown")
    expect(harold).to_be_visible()
    harold.select_option(label="— keep the name as written, credit nobody —")
    page.screenshot(path=str(screenshots / "import-preview.png"), full_page=True)
    page.get_by_role("button", name="Import 3 rows").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Review queue")
    expect(
        page.get_by_text("3 transcript lines imported to the review queue from teams-call.vtt.")
    ).to_be_visible()
    # Matched names are credited to the contact (and shown as their name); others as written.
    assert list(
        Insight.objects.order_by("source_line").values_list(
            "speaker_name", "speaker_contact__name", "status"
        )
    ) == [
        ("Gina Globex", "Gina Globex", "candidate"),
        ("Ivy Initech", "Ivy Initech", "candidate"),
        ("Harold Unknown", None, "candidate"),
    ]
    page.get_by_label("Tick line 3").check()
    page.get_by_label("Tick line 7").check()
    page.get_by_role("button", name="Accept ticked").click()
    expect(page.locator(".review-table tbody tr")).to_have_count(1)
    page.screenshot(path=str(screenshots / "import-review.png"), full_page=True)
    assert sorted(Insight.objects.filter(status="accepted").values_list("text", flat=True)) == [
        "Approval takes two weeks.",
        "We print every invoice twice.",
    ]


@pytest.mark.e2e
def test_a_large_upload_shows_its_progress_then_the_preview(
    live_server, transactional_db, page: Page, browser, tmp_path: Path, settings
) -> None:
    """The upload form shows a progress bar, then "Reading the file…" while the server reads
    a file of many rows, then the preview; without JavaScript the form posts as before."""
    settings.MEDIA_ROOT = str(tmp_path)
    room = build_room(build_cast())
    wall = tmp_path / "big-wall.csv"
    wall.write_text(
        "Content,Author\n"
        + "".join(f"Sticky note {n} about the approval,Joris Bakker\n" for n in range(60_000))
    )
    base = live_server.url
    url = f"{base}/w/acme/insights/sessions/{room.session.pk}/import/"
    for context_page, scripts in [
        (page, True),
        (browser.new_context(java_script_enabled=False).new_page(), False),
    ]:
        context_page.goto(base + "/login/")
        context_page.get_by_label("Email").fill("cora@acme.test")
        context_page.get_by_label("Password").fill(PASSWORD)
        context_page.get_by_role("button", name="Sign in").click()
        context_page.goto(url)
        expect(context_page.locator(".upload-progress")).to_have_count(0)
        context_page.locator("input[type=file]").set_input_files(str(wall))
        context_page.get_by_role("button", name="Upload and preview").click()
        if scripts:
            expect(context_page.locator(".upload-progress progress")).to_be_visible()
            expect(context_page.get_by_role("status")).to_contain_text("Reading the file…")
            expect(context_page.get_by_role("button", name="Upload and preview")).to_be_disabled()
        expect(context_page.get_by_role("heading", level=1)).to_have_text(
            "Check the import of “big-wall.csv”", timeout=60_000
        )
        expect(context_page.locator(".lead")).to_contain_text("60,000 rows to import")
        expect(context_page.get_by_role("button", name="Import 60,000 rows")).to_be_visible()


@pytest.mark.e2e
def test_a_csv_with_no_text_column_is_kept_and_its_columns_chosen_on_the_preview(
    live_server, transactional_db, page: Page, screenshots: Path, tmp_path: Path, settings
) -> None:
    """No header looks like the note text: the preview lists the columns and lets the
    facilitator pick the text column, then imports the notes (the upload is never lost)."""
    settings.MEDIA_ROOT = str(tmp_path)
    room = build_room(build_cast())
    wall = tmp_path / "wall.csv"
    wall.write_text("Post-it;Colour\nContract is 40 pages;yellow\nBilling form is long;pink\n")
    base = live_server.url
    page.goto(base + "/login/")
    page.get_by_label("Email").fill("fran@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{base}/w/acme/insights/sessions/{room.session.pk}/import/")
    page.locator("input[type=file]").set_input_files(str(wall))
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "The file's columns are 1. Post-it, 2. Colour."
    )
    expect(page.get_by_role("button", name=re.compile(r"^Import"))).to_have_count(0)
    page.screenshot(path=str(screenshots / "import-choose-text-column.png"), full_page=True)
    page.get_by_label("Note text").select_option(label="1. Post-it")
    page.get_by_role("button", name="Update preview").click()
    expect(page.locator(".lead")).to_contain_text("2 rows to import")
    page.get_by_role("button", name="Import 2 rows").click()
    expect(
        page.get_by_text("2 sticky notes imported to the review queue from wall.csv.")
    ).to_be_visible()
    assert sorted(Insight.objects.values_list("text", flat=True)) == [
        "Billing form is long",
        "Contract is 40 pages",
    ]
