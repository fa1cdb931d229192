"""Read the files a note taker imports into a session's review queue.

Transcripts (WebVTT from Zoom and Teams, SRT, plain "Name: text" lines) become `Cue`s and
sticky-note CSV exports (Miro, Mural, FigJam...) become `StickyRow`s. Everything here is pure
Python: no Django, no database. Every reader takes a binary stream, walks it line by line (memory
stays flat as files grow) and refuses bad input with a `ParseError` naming the line and the reason.

We parse WebVTT and SRT by hand rather than with webvtt-py: it reads the whole file into memory
and several of its refusals (bad signature, undecodable bytes, empty cues) carry no line number,
while every refusal here must say which line is wrong and why.

The package: ``lines`` (strict line reading, `ParseError`), ``transcripts`` (`Cue`,
`iter_cues`, `utterances`), ``stickies`` (`CsvLayout`, `StickyRow`, `sniff_csv`, `iter_csv`,
`kind_from`); format detection is here.
"""

import csv
import re

from traction.core.csv_reader import sep_line

from .lines import MAX_BYTES, NOT_TEXT, ParseError
from .stickies import (
    CSV_FIELDS,
    CsvLayout,
    StickyRow,
    guess_mapping,
    iter_csv,
    kind_from,
    sniff_csv,
)
from .transcripts import Cue, iter_cues, split_label, utterances

__all__ = [
    "CSV_FIELDS",
    "FORMATS",
    "MAX_BYTES",
    "CsvLayout",
    "Cue",
    "ParseError",
    "StickyRow",
    "detect_format",
    "iter_csv",
    "iter_cues",
    "kind_from",
    "sniff_csv",
    "utterances",
]

FORMATS = {
    "vtt": "WebVTT transcript",
    "srt": "SRT subtitles",
    "text": "Plain text transcript",
    "csv": "Sticky-note CSV",
}

_BOM = b"\xef\xbb\xbf"


# --- Format detection -------------------------------------------------------------------------

_EXTENSIONS = {
    "vtt": "vtt",
    "srt": "srt",
    "txt": "text",
    "text": "text",
    "csv": "csv",
    "tsv": "csv",
}


def detect_format(filename: str, head: bytes) -> str:
    """The key in FORMATS for a file, by its content first and its extension second."""
    if head.startswith(_BOM):
        head = head[3:]
    refuse_documents(filename, head)
    extension = filename.rpartition(".")[2].lower() if "." in filename else ""
    if b"\0" in head and extension in _EXTENSIONS:
        # Binary named as text ("photo.png" renamed "call.vtt"; UTF-16 comes here
        # re-encoded): refused at the line of its first NUL byte, whatever its first line.
        before = head[: head.index(b"\0")]
        ended = not before or before.endswith((b"\n", b"\r"))
        raise ParseError(NOT_TEXT, len(before.splitlines()) + (1 if ended else 0))
    if re.match(rb"WEBVTT(?:[ \t\r\n]|$)", head):
        return "vtt"
    if b"\0" not in head:
        lines = head.decode("utf-8", errors="replace").splitlines()
        filled = [line.strip() for line in lines[:20] if line.strip()]
        if len(filled) >= 2 and filled[0].isdigit() and filled[0].isascii() and "-->" in filled[1]:
            return "srt"
        if lines and (sep_line(lines[0]) or _looks_like_csv_header(lines[0])):
            return "csv"
    if extension in _EXTENSIONS:
        return _EXTENSIONS[extension]
    if b"\0" not in head and any(
        split_label(line.strip()) for line in head.decode("utf-8", errors="replace").splitlines()
    ):
        return "text"
    raise ParseError(
        f'Cannot tell what kind of file "{filename}" is; import a WebVTT (.vtt), SRT (.srt), '
        "plain text (.txt) or sticky-note CSV (.csv) file."
    )


_SAVE_AS_TEXT = {
    "docx": "a Word document; download the transcript as .vtt instead (in Teams: the "
    "recording's Transcript, Download, .vtt) or save it from Word as plain text (.txt)",
    "xlsx": "an Excel workbook; save the sheet as CSV (in Excel: “Save as”, “CSV UTF-8 "
    "(Comma delimited)”) and import that file",
    "pdf": "a PDF document; export the transcript or the board as .vtt, .txt or .csv instead",
}


def refuse_documents(filename: str, head: bytes) -> None:
    """Refuse a Word document, an Excel workbook or a PDF by what its first bytes are
    (whatever its name says), saying how to get a file Traction reads."""
    if head.startswith(b"%PDF-"):
        kind = "pdf"
    elif head.startswith(b"PK\x03\x04"):  # a zip: .docx, .xlsx, .pptx, .zip...
        extension = filename.rpartition(".")[2].lower()
        kind = {"doc": "docx", "docx": "docx", "xls": "xlsx", "xlsx": "xlsx"}.get(extension, "")
        if not kind:
            kind = "xlsx" if b"xl/" in head else "docx" if b"word/" in head else ""
        if not kind:
            return  # another zipped file: "Cannot tell what kind of file" it is
    else:
        return
    raise ParseError(f"“{filename}” is {_SAVE_AS_TEXT[kind]}.")


def _looks_like_csv_header(line: str) -> bool:
    for delimiter in ",;\t":
        cells = next(csv.reader([line], delimiter=delimiter), [])
        if len(cells) >= 2 and guess_mapping(cells)["text"] is not None:
            return True
    return False
