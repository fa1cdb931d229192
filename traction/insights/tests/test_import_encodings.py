"""The sticky-note and transcript import reads what Excel writes, with the shared reader of
every imported CSV (``core.csv_reader``): Windows-1252 ("CSV"), UTF-16 with its BOM ("Unicode
text", tab-separated) and a first ``sep=;`` line; line numbers stay those of the file."""

from __future__ import annotations

import codecs
import io

import pytest

from traction.core.errors import ValidationFailed
from traction.insights import imports
from traction.insights.imports import ImportOptions
from traction.insights.models import ImportBatch, Insight
from traction.insights.tests.conftest import Room

pytestmark = pytest.mark.django_db

EXCEL = (
    "Sticky note;Created by;Card type\r\n"
    "Contract is 40 pages – café costs 5 €;Gina Globex;Pain point\r\n"
    "Pre-filled form;Ivy Initech;Wish\r\n"
)


def preview(room: Room, data: bytes, filename: str) -> imports.Preview:
    return imports.preview_import(
        room.cast.viewer("core_team"),
        session=room.session,
        stream=io.BytesIO(data),
        filename=filename,
        options=ImportOptions(unmatched="keep"),
    )


def run(room: Room, data: bytes, filename: str) -> imports.ImportResult:
    return imports.import_file(
        room.cast.viewer("core_team"),
        session=room.session,
        stream=io.BytesIO(data),
        filename=filename,
        options=ImportOptions(unmatched="keep"),
    )


def texts(room: Room) -> list[tuple[int | None, str, str]]:
    return list(
        Insight.objects.filter(session=room.session)
        .order_by("source_line")
        .values_list("source_line", "text", "speaker_name")
    )


WANTED = [
    (2, "Contract is 40 pages – café costs 5 €", "Gina Globex"),
    (3, "Pre-filled form", "Ivy Initech"),
]


def test_a_windows_1252_csv_is_read_and_the_preview_says_so(room: Room) -> None:
    data = EXCEL.encode("cp1252")
    assert b"\x96" in data
    assert b"\x80" in data
    seen = preview(room, data, "board.csv")
    assert (seen.rows, seen.encoding, seen.read_as) == (2, "cp1252", "Windows-1252")
    assert seen.sample[0]["text"] == "Contract is 40 pages – café costs 5 €"
    run(room, data, "board.csv")
    assert texts(room) == WANTED


def test_a_utf16_tab_separated_unicode_text_is_read_even_named_txt(room: Room) -> None:
    data = EXCEL.replace(";", "\t").encode("utf-16-le")
    data = codecs.BOM_UTF16_LE + data
    seen = preview(room, data, "board.txt")
    assert (seen.format, seen.layout and seen.layout.delimiter) == ("csv", "\t")
    assert seen.read_as == "UTF-16"
    run(room, data, "board.txt")
    assert texts(room) == WANTED


def test_a_sep_line_first_sets_the_delimiter_and_lines_keep_their_numbers(room: Room) -> None:
    data = ("sep=,\r\n" + EXCEL.replace(";", ",").replace("5 €", "5 EUR")).encode()
    seen = preview(room, data, "board.csv")
    assert seen.layout is not None
    assert seen.layout.sep_line
    assert seen.layout.headers == ("Sticky note", "Created by", "Card type")
    run(room, data, "board.csv")
    assert [line for line, _, _ in texts(room)] == [3, 4]


def test_a_bad_row_after_a_sep_line_is_named_by_its_line_in_the_file(room: Room) -> None:
    data = b'sep=;\nSticky note;Created by\nfine;Gina\n"never closed;Ivy\n'
    with pytest.raises(ValidationFailed) as refused:
        preview(room, data, "board.csv")
    assert refused.value.errors["file"][0].startswith("Line 4: A quoted field opened on line 4")


def test_bytes_that_are_no_text_are_refused_naming_excels_save_as(room: Room) -> None:
    # 0x81 is undefined in Windows-1252 and not UTF-8: neither reading fits.
    data = b"text,author\nfine,Gina\nbad \x81 byte,Ivy\n"
    with pytest.raises(ValidationFailed) as refused:
        preview(room, data, "board.csv")
    assert refused.value.errors == {
        "file": [
            "Line 3: This line is not UTF-8 text (byte 0x81); save it as UTF-8 (in Excel: "
            "“Save as”, “CSV UTF-8 (Comma delimited)”) and import it again."
        ]
    }
    assert not ImportBatch.objects.exists()


def test_the_web_preview_names_the_encoding(room: Room, client) -> None:
    client.force_login(room.cast.users["core_team"])
    url = f"/w/{room.session.workspace.slug}/insights/sessions/{room.session.pk}/import/"
    upload = io.BytesIO(EXCEL.encode("cp1252"))
    upload.name = "board.csv"
    page = client.post(url, {"file": upload}, follow=True)
    assert page.status_code == 200
    assert "read as Windows-1252" in page.content.decode()


# UTF-16 without its byte-order mark (some exporters and scripts write it so): told from the
# NUL byte beside each ASCII character, little- or big-endian; a picture stays binary.
TEAMS_TXT = "Gina Globex: Approval takes three weeks – every time.\r\nIvy Initech: Same for us.\r\n"


@pytest.mark.parametrize(
    ("codec", "read_as"),
    [
        ("utf-16-le", "UTF-16 (little-endian, no byte-order mark)"),
        ("utf-16-be", "UTF-16 (big-endian, no byte-order mark)"),
    ],
)
def test_utf16_without_a_bom_is_read_not_called_binary(
    room: Room, codec: str, read_as: str
) -> None:
    transcript = TEAMS_TXT.encode(codec)
    assert not transcript.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    seen = preview(room, transcript, "call.txt")
    assert (seen.format, seen.rows, seen.read_as) == ("text", 2, read_as)
    board = EXCEL.replace(";", "\t").encode(codec)
    assert preview(room, board, "board.csv").layout is not None
    run(room, board, "board.csv")
    assert texts(room) == WANTED


def test_a_picture_with_nul_bytes_is_still_binary(room: Room) -> None:
    # A PNG's start: NUL bytes, but not beside every ASCII character.
    png = (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x02\x00\x00\x00\x01\x80\x08\x06\x00\x00\x00"
        + bytes(range(256)) * 4
    )
    for name in ("photo.txt", "photo.csv"):
        with pytest.raises(ValidationFailed) as refused:
            run(room, png, name)
        assert "binary data" in refused.value.errors["file"][0]
    assert not ImportBatch.objects.exists()


def test_utf16_without_a_bom_through_the_api(room: Room, api_client_for) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    answer = api_client_for("core_team").post(
        f"/api/v1/sessions/{room.session.pk}/imports",
        {
            "file": SimpleUploadedFile("call.txt", TEAMS_TXT.encode("utf-16-le")),
            "unmatched": "keep",
        },
    )
    assert answer.status_code == 201, answer.content
    assert [(line, speaker) for line, _, speaker in texts(room)] == [
        (1, "Gina Globex"),
        (2, "Ivy Initech"),
    ]
    assert texts(room)[0][1] == "Approval takes three weeks – every time."
