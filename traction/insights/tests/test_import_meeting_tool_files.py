"""Transcripts as the meeting tools save them (samples/), imported as users do: Otter.ai's
text through the API, a Teams cue with two voices through ``traction import``, Google Meet's
text on the page. Each person is credited with their own words, at their time."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from django.core.files.uploadedfile import SimpleUploadedFile

from traction.cli.main import cli
from traction.insights.models import Insight
from traction.insights.tests.conftest import Room

pytestmark = pytest.mark.django_db
SAMPLES = Path(__file__).parent / "samples"


def imported(room: Room) -> list[tuple[int | None, str, str, int | None]]:
    return list(
        Insight.objects.filter(session=room.session)
        .order_by("source_line", "pk")
        .values_list("source_line", "speaker_name", "text", "spoken_at_ms")
    )


def test_otter_text_through_the_api(room: Room, api_client_for) -> None:
    answer = api_client_for("core_team").post(
        f"/api/v1/sessions/{room.session.pk}/imports",
        {
            "file": SimpleUploadedFile("otter.txt", (SAMPLES / "otter.txt").read_bytes()),
            "unmatched": "keep",
        },
    )
    assert answer.status_code == 201, answer.content
    assert (answer.json()["batch"]["format"], answer.json()["candidates"]) == ("text", 3)
    assert imported(room) == [
        (1, "Gina Globex", "Approval takes three weeks. Sometimes four.", 3_000),
        (5, "Ivy Initech", "Every single time, honestly.", 10_000),
        (8, "Speaker 3", "Right.", 3_723_000),
    ]


def test_a_teams_cue_with_two_voices_through_the_command_line(room: Room) -> None:
    done = CliRunner().invoke(
        cli,
        [
            "import",
            str(SAMPLES / "teams_two_voices.vtt"),
            "--session",
            str(room.session.pk),
            "--as",
            "fran@acme.test",
        ],
        catch_exceptions=False,
    )
    assert done.exit_code == 0, done.stderr
    assert (
        done.stdout.splitlines()[0]
        == "2 transcript lines imported to the review queue from teams_two_voices.vtt."
    )
    assert imported(room) == [
        (3, "Gina Globex", "Hi, shall we start?", 1_000),
        (3, "Ivy Initech", "Yes, please.", 1_000),
    ]


def test_google_meet_text_on_the_page_shows_no_times_as_words(room: Room, client_for) -> None:
    url = f"/w/{room.session.workspace.slug}/insights/sessions/{room.session.pk}/import/"
    page = client_for("core_team").post(
        url,
        {"file": SimpleUploadedFile("meet.txt", (SAMPLES / "meet.txt").read_bytes())},
        follow=True,
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "Every single time." in html
    assert "Every single time. 00:05:00" not in html
    assert "Right, José agrees." in html


def _workbook() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Sticky note", "Created by"])
    sheet.append(["Contract is 40 pages", "Gina Globex"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _word_document() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "make", "says"),
    [
        ("board.xlsx", _workbook, "“board.xlsx” is an Excel workbook; save the sheet as CSV"),
        ("board.csv", _workbook, "“board.csv” is an Excel workbook; save the sheet as CSV"),
        ("transcript.docx", _word_document, "“transcript.docx” is a Word document; download"),
        ("notes.pdf", lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "“notes.pdf” is a PDF document"),
    ],
)
def test_office_documents_are_refused_saying_what_to_save_instead(
    room: Room, api_client_for, name: str, make: Callable[[], bytes], says: str
) -> None:
    answer = api_client_for("core_team").post(
        f"/api/v1/sessions/{room.session.pk}/imports",
        {"file": SimpleUploadedFile(name, make())},
    )
    assert answer.status_code == 422
    assert answer.json()["message"].startswith(f"file: {says}")
    assert imported(room) == []


def test_zoom_display_names_with_pronouns_a_company_a_phone_or_a_device(
    room: Room, api_client_for
) -> None:
    """Each cue is its speaker's, however Zoom shows their name: before, these five cues
    were one row without a speaker, "Gina Globex (she/her): Approval … Procurement signs."."""
    client = api_client_for("core_team")
    url = f"/api/v1/sessions/{room.session.pk}/imports"
    data = (SAMPLES / "zoom_display_names.vtt").read_bytes()
    refused = client.post(url, {"file": SimpleUploadedFile("zoom.vtt", data)})
    assert refused.status_code == 422
    assert refused.json()["message"].startswith(
        "speakers: These names match nobody taking part in the session: “Gina’s iPhone” "
        "(line 11); “+44 20 7946 0958” (line 15); “Hank Newman (he/him) (Guest)” (line 19)."
    )
    answer = client.post(
        url,
        {
            "file": SimpleUploadedFile("zoom.vtt", data),
            "speakers": json.dumps(
                {"Gina’s iPhone": room.speaker("gina"), "+44 20 7946 0958": "-"}
            ),
            "unmatched": "keep",
        },
    )
    assert answer.status_code == 201, answer.content
    assert imported(room) == [
        (3, "Gina Globex", "Approval takes three weeks.", 1_000),
        (7, "Ivy Initech", "Every single time.", 3_000),
        (11, "Gina Globex", "Sorry, I was on mute.", 5_000),
        (15, "+44 20 7946 0958", "Can you hear me?", 7_000),
        (19, "Hank Newman", "Procurement signs.", 9_000),
    ]


def test_a_transcript_cut_mid_character_is_refused_not_read_as_windows_1252(
    room: Room, tmp_path: Path
) -> None:
    """Before, a UTF-8 file cut in the middle of its last "é" was read as Windows-1252:
    every "José" imported as "JosÃ©"."""
    data = (SAMPLES / "zoom_display_names.vtt").read_bytes() + "Café".encode()[:-1]
    path = tmp_path / "cut.vtt"
    path.write_bytes(data)
    done = CliRunner().invoke(
        cli,
        ["import", str(path), "--session", str(room.session.pk), "--as", "fran@acme.test"],
        catch_exceptions=False,
    )
    assert done.exit_code == 1
    assert done.stderr.splitlines()[-1] == (
        "file: Line 22: The file ends in the middle of a character; it was probably cut "
        "short while it was copied or downloaded: export or download it again."
    )
    assert imported(room) == []


def test_google_meet_attendees_block_is_no_row_through_the_api(room: Room, api_client_for) -> None:
    """Meet's document starts with the title, then "Attendees", the names and "Transcript":
    who joined, not words (before: one row without a speaker, "… Attendees Gina Globex, Ivy
    Initech, Cora Core Transcript")."""
    data = (SAMPLES / "meet_attendees.txt").read_bytes()
    answer = api_client_for("core_team").post(
        f"/api/v1/sessions/{room.session.pk}/imports",
        {"file": SimpleUploadedFile("meet.txt", data), "unmatched": "keep"},
    )
    assert answer.status_code == 201, answer.content
    assert imported(room) == [
        (1, "", "Onboarding kickoff (2027-03-01 10:00 GMT+1) - Transcript", None),
        (7, "Gina Globex", "Approval takes three weeks.", 0),
        (8, "Ivy Initech", "Every single time.", None),
        (11, "Gina Globex", "Right, José agrees.", 300_000),
    ]


def test_otter_text_without_timestamps_through_the_command_line(room: Room) -> None:
    """Otter's export with "Include timestamps" off: the name alone, the words under it (before:
    every paragraph without a speaker, the name as its first words). A closing line alone in
    its paragraph stays text, credited to nobody."""
    done = CliRunner().invoke(
        cli,
        [
            "import",
            str(SAMPLES / "otter_no_timestamps.txt"),
            "--session",
            str(room.session.pk),
            "--as",
            "fran@acme.test",
            "--keep-unmatched",
        ],
        catch_exceptions=False,
    )
    assert done.exit_code == 0, done.stderr
    assert imported(room) == [
        (1, "Gina Globex", "Approval takes three weeks. Sometimes four.", None),
        (5, "Ivy Initech", "Every single time, honestly.", None),
        (8, "Speaker 3", "Right.", None),
        (11, "", "Thank You", None),
    ]
