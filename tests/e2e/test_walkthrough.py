"""docs/first-session.md, walked in Chromium on the demo workspace: the facilitator maps a
scenario, captures with the keyboard, imports a transcript, runs the vote in the room and by
phone, and reads the ranking. Each step asserts what the page says, then takes the
screenshot the walkthrough shows; `UPDATE_SCREENSHOTS=1` writes them into docs/img/ (the
test fails when the walkthrough names a picture this test does not take)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from django.core import mail
from playwright.sync_api import Browser, Page, expect

from traction.demo.build import build_demo
from traction.demo.common import DEMO_PASSWORD

from .helpers import sign_in

ROOT = Path(__file__).resolve().parents[2]
WALKTHROUGH = ROOT / "docs" / "first-session.md"
IMAGES = ROOT / "docs" / "img"
SESSION = "Co-design: the first invoice within a day"

TRANSCRIPT = """WEBVTT

1
00:00:05.000 --> 00:00:11.000
Felix Fischer: What happens in your first week with us?

2
00:00:12.000 --> 00:00:19.500
Marieke de Vries: We wait for the billing set-up. Nobody tells us how long it takes.

3
00:00:20.000 --> 00:00:26.000
Marieke de Vries: The first invoice had the wrong VAT number, so we paid it a month late.
"""


def pictures_named_in_the_walkthrough() -> set[str]:
    return set(re.findall(r"\(img/([\w-]+\.png)\)", WALKTHROUGH.read_text()))


class Shots:
    """Screenshots of the walk, full page, named as the walkthrough names them."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.taken: set[str] = set()

    def take(self, page: Page, name: str, *, full_page: bool = False) -> None:
        path = self.folder / name
        page.screenshot(path=str(path), full_page=full_page)
        self.taken.add(name)
        if os.environ.get("UPDATE_SCREENSHOTS"):
            IMAGES.mkdir(exist_ok=True)
            shutil.copyfile(path, IMAGES / name)


@pytest.mark.e2e
def test_your_first_session_on_the_demo(
    live_server, transactional_db, browser: Browser, page: Page, screenshots: Path, tmp_path: Path
) -> None:
    build_demo()
    shots = Shots(screenshots)
    base = live_server.url

    # 1. Sign in as Felix, the facilitator; open the co-design session being prepared.
    sign_in(page, base, "felix.facilitator@northwind.example", DEMO_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Northwind")
    page.get_by_role("link", name="Sessions", exact=True).first.click()
    page.get_by_role("link", name=SESSION).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(SESSION)
    expect(page.get_by_text("Readiness", exact=False).first).to_be_visible()
    shots.take(page, "first-session-readiness.png")

    # 2. Map a scenario with its first steps.
    page.get_by_role("link", name="Open the map and capture").click()
    expect(page.get_by_text("No scenario yet.")).to_be_visible()
    page.get_by_role("link", name="New scenario").first.click()
    page.get_by_label("Team name").fill("Team Blue")
    page.get_by_label("Outcome").fill("The first invoice is right and paid within a day")
    page.get_by_label("First steps").fill(
        "Sign the contract\nSet up billing\nFirst invoice\nPaid on time"
    )
    page.get_by_label("Wei Ling Tan").check()
    page.get_by_label("Marieke de Vries").check()
    page.get_by_role("button", name="Create scenario").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Scenario map: Team Blue")
    found = re.search(r"^(.*/insights/sessions/\d+/)", page.url)
    assert found, page.url
    area = found.group(1)

    # 3. Capture with the keyboard: the card lands on the grid, the line is ready again.
    line = page.locator("#id_text")
    expect(line).to_be_focused()
    for text in (
        "/m @wei >3 The first invoice has to be right",
        "/i >2 #billing Setting up billing takes three weeks",
        "/d @marieke >3 Check the VAT number before the first invoice goes out",
    ):
        page.keyboard.type(text)
        page.keyboard.press("Enter")
        expect(page.locator("#capture-status")).to_contain_text("Saved:")
        expect(line).to_have_value("")
    expect(page.locator(".journey-grid")).to_contain_text("The first invoice has to be right")
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    shots.take(page, "first-session-capture.png")

    # 4. Import the recording's transcript: the preview reads it and saves nothing yet.
    transcript = tmp_path / "codesign.vtt"
    transcript.write_text(TRANSCRIPT)
    page.get_by_role("link", name="Import notes or transcript").first.click()
    page.get_by_label("Transcript or sticky-note export").set_input_files(str(transcript))
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_text("WebVTT transcript")).to_be_visible()
    shots.take(page, "first-session-import-preview.png", full_page=True)
    page.get_by_role("button", name=re.compile(r"^Import")).click()
    expect(
        page.get_by_text(
            re.compile(r"\d+ transcript lines? imported to the review queue from codesign\.vtt")
        )
    ).to_be_visible()

    # 5. Vote: open the round, show the room screen, email each customer their link.
    voting_page = area + "voting/"
    page.goto(voting_page)
    page.get_by_role("button", name=re.compile("Open voting")).click()
    expect(page.get_by_role("heading", name="Voting is open")).to_be_visible()
    page.get_by_role("button", name="Email every customer their link").click()
    page.goto(area + "voting/room/")
    shots.take(page, "first-session-room.png")

    # 6. A customer votes on their phone from the emailed link.
    [email] = [m for m in mail.outbox if m.subject.startswith("Your votes")][:1]
    [link] = re.findall(r"https?://\S+(/vote/\S+/)", email.body)
    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    ballot = phone.new_page()
    ballot.goto(base + link)
    ballot.get_by_role("button", name=re.compile("One dot more on")).first.tap()
    assert ballot.evaluate("document.documentElement.scrollWidth") <= 390
    shots.take(ballot, "first-session-ballot-phone.png", full_page=True)
    ballot.get_by_role("button", name="Save my votes").tap()
    expect(ballot.get_by_text("Thank you, your votes are saved.")).to_be_visible()
    phone.close()

    # 7. Close the round and read the ranking.
    page.goto(voting_page)
    page.get_by_role("button", name="Close voting").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("What customers ranked highest")
    shots.take(page, "first-session-ranking.png", full_page=True)

    missing = pictures_named_in_the_walkthrough() - shots.taken
    assert not missing, f"docs/first-session.md shows pictures this walk does not take: {missing}"
