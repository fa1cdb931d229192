"""Reading an uploaded CSV file: its encoding, its delimiter, its header and its rows, each
with the line it came from. Shared by the files people import (the debrief's measurements,
the loop's deliveries, and, streamed, the insights' sticky-note and transcript files: see
``encoding_of`` and ``as_utf8``); each caller names its columns and checks its own cells.

Encodings: UTF-8 with or without a byte-order mark, and what Excel saves: UTF-16 ("Unicode
text", with its BOM, usually tab-separated) and Windows-1252 ("CSV" on a Western European
Windows), and UTF-16 without its BOM (little- or big-endian, told from where the NUL bytes
of its ASCII characters sit). Delimiters: comma, semicolon or tab, whichever the header line
uses most, or the one a first ``sep=;`` line names (Excel writes and reads one). The header is
the first line that is not blank (after a ``sep=`` line); blank rows after it are skipped.

Workbooks: an Excel workbook (.xlsx, told by its content whatever its name) is read too, by
``core.workbook``: its first sheet with data, each cell as the text the sheet shows; a
``Table`` read from one has ``sheet`` set, its records numbered by the sheet's rows, and its
messages say "Row 5" where a CSV file's say "Line 5" (``Table.place``).

Limits: every imported file has a size limit and a row limit (``row_cap``, from the setting
``TRACTION_IMPORT_MAX_ROWS``). ``RowCap`` counts the rows as they are read, so a file over
the limit is refused as soon as its first row too many is met (``TooManyRows``: the limit,
the file and the line), before anything is written and without reading the rest.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings

from . import workbook
from .text import bidi_control, bidi_message

# The limit the user guides state; larger files are refused before reading.
MAX_BYTES = 2 * 1024 * 1024

# ``Table.encoding`` of a table read from an Excel workbook.
WORKBOOK = "xlsx"
# The file input's ``accept`` of a form importing a table: CSV (and the .txt and .tsv Excel
# saves as "Unicode text") or an Excel workbook.
ACCEPT = (
    ".csv,.tsv,.txt,.xlsx,text/csv,text/tab-separated-values,text/plain,"
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)
# How to save a file Traction reads without a doubt, in Excel's words (its "Save as" list).
SAVE_AS_UTF8 = "save it as UTF-8 (in Excel: “Save as”, “CSV UTF-8 (Comma delimited)”)"
# What to call each encoding ``encoding_of`` finds, for the messages and previews.
ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16 (little-endian, no byte-order mark)",
    "utf-16-be": "UTF-16 (big-endian, no byte-order mark)",
    "cp1252": "Windows-1252",
}

__all__ = [
    "ACCEPT",
    "ENCODING_NAMES",
    "MAX_BYTES",
    "SAVE_AS_UTF8",
    "WORKBOOK",
    "CsvRefused",
    "RowCap",
    "Table",
    "TooManyRows",
    "as_utf8",
    "column",
    "cut_short",
    "decode",
    "delimiter",
    "encoding_of",
    "header",
    "read",
    "row_cap",
    "sep_line",
]


class CsvRefused(Exception):
    """The file as a whole cannot be read (size, encoding, header); no line to name."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def row_cap(kind: str) -> int:
    """The most rows one imported file of ``kind`` ("insights", "deliveries",
    "measurements") may hold: the setting ``TRACTION_IMPORT_MAX_ROWS``."""
    return int(settings.TRACTION_IMPORT_MAX_ROWS[kind])


class TooManyRows(CsvRefused):
    """A file with more rows than one import takes: the limit, the file and the line of its
    first row too many."""

    def __init__(self, limit: int, filename: str, line: int, place: str = "Line") -> None:
        self.limit = limit
        self.filename = filename
        self.line = line
        name = f"“{filename}”" if filename else "The file"
        where = f"on line {line:,}" if place == "Line" else f"the sheet's row {line:,}"
        super().__init__(
            f"{name} has more than {limit:,} rows, the most one import takes (row "
            f"{limit + 1:,} is {where}); split it into files of at most {limit:,} "
            "rows and import each."
        )


class RowCap:
    """Counts a file's rows as they are read: ``count(line)`` for each row, raising
    ``TooManyRows`` at the first row past ``limit`` (so the rest is never read)."""

    def __init__(self, limit: int, filename: str = "") -> None:
        self.limit = limit
        self.filename = filename
        self.seen = 0

    def count(self, line: int, place: str = "Line") -> None:
        self.seen += 1
        if self.seen > self.limit:
            raise TooManyRows(self.limit, self.filename, line, place)


# Bytes no text file holds (NUL and control characters other than tab, line ends and form
# feed), and the five bytes Windows-1252 leaves undefined.
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_NOT_CP1252 = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
_BLOCK = 1024 * 1024
# How much of a file's start ``_utf16_without_bom`` looks at, and the share of its UTF-16
# code units that must be ASCII (a NUL byte beside a text byte) to call it UTF-16.
_UTF16_SAMPLE = 64 * 1024
_UTF16_ASCII_SHARE = 0.75
_UTF16_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _utf16_without_bom(head: bytes) -> str | None:
    """The encoding "utf-16-le" or "utf-16-be" when a file without a byte-order mark is
    UTF-16 text: its NUL bytes sit at every other position (the high byte of ASCII
    characters), at least three quarters of its characters are ASCII, and what it reads as
    holds no NUL or control character. Binary data (a picture) has NUL bytes at no such
    rhythm: None."""
    sample = head[:_UTF16_SAMPLE]
    sample = sample[: len(sample) - len(sample) % 2]
    units = len(sample) // 2
    if units < 2 or b"\0" not in sample:
        return None
    for encoding, low, high in (("utf-16-le", 0, 1), ("utf-16-be", 1, 0)):
        lows, highs = sample[low::2], sample[high::2]
        ascii_units = sum(
            1 for lo, hi in zip(lows, highs, strict=True) if hi == 0 and 0 < lo < 0x80
        )
        if ascii_units < units * _UTF16_ASCII_SHARE:
            continue
        # A character cut at the sample's end (half a surrogate pair) is not the file's fault.
        text = codecs.getincrementaldecoder(encoding)(errors="strict")
        try:
            decoded = text.decode(sample)
        except UnicodeDecodeError:
            return None
        return None if _UTF16_CONTROL.search(decoded) else encoding
    return None


def encoding_of(stream: IO[bytes]) -> str:
    """The encoding to read a whole file in: "utf-16" when it starts with a UTF-16 byte-order
    mark; "utf-16-le" or "utf-16-be" for UTF-16 text without one (``_utf16_without_bom``);
    "utf-8" when every byte is UTF-8 (a UTF-8 BOM is the reader's to drop); else
    "cp1252" (Windows-1252, what Excel's plain "CSV" is on a Western European Windows) when
    the bytes are text in it. A file that is neither (binary data, or bytes Windows-1252 does
    not define) is "utf-8" too: reading it as UTF-8 refuses it at its first bad line.

    Reads the stream in blocks from its start (memory stays flat) and leaves it at its start.
    """
    stream.seek(0)
    head = stream.read(_BLOCK)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        stream.seek(0)
        return "utf-16"
    if (utf16 := _utf16_without_bom(head)) is not None:
        stream.seek(0)
        return utf16
    utf8 = codecs.getincrementaldecoder("utf-8")()
    block, last, other_text = head, b"", False
    try:
        while block:
            utf8.decode(block)
            other_text = other_text or not last.isascii()
            block, last = stream.read(_BLOCK), block
    except UnicodeDecodeError:
        pass
    else:
        cut = len(utf8.getstate()[0])  # the bytes of a last character cut short
        if not cut or other_text or not last[: len(last) - cut].isascii():
            # UTF-8, perhaps cut mid-way through its last character (refused at its last
            # line then) rather than "JosÃ©" read as Windows-1252; but a file whose only
            # non-ASCII byte ends it ("Café" without a line end) may be Windows-1252.
            stream.seek(0)
            return "utf-8"
    # Not UTF-8 (rare): Windows-1252 if no byte of the whole file rules it out.
    stream.seek(0)
    is_cp1252 = True
    while is_cp1252 and (block := stream.read(_BLOCK)):
        is_cp1252 = not (_CONTROL.search(block) or _NOT_CP1252.search(block))
    stream.seek(0)
    return "cp1252" if is_cp1252 else "utf-8"


class _Utf8(io.RawIOBase):
    """A readable view of a stream in another encoding, as UTF-8 bytes: the same lines, so
    a line-by-line reader counts the same line numbers. Seeks only back to the start."""

    def __init__(self, raw: IO[bytes], encoding: str) -> None:
        self._raw = raw
        self._encoding = encoding
        self._reset()

    def _reset(self) -> None:
        self._decoder = codecs.getincrementaldecoder(self._encoding)()
        self._out = b""
        self._done = 0
        self._ended = False

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._done

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if (offset, whence) != (0, io.SEEK_SET):
            raise io.UnsupportedOperation("only a seek back to the start")
        self._raw.seek(0)
        self._reset()
        return 0

    def readinto(self, buffer: Any) -> int:
        while not self._out and not self._ended:
            block = self._raw.read(256 * 1024)
            try:
                text = self._decoder.decode(block, final=not block)
            except UnicodeDecodeError:
                raise CsvRefused(
                    f"The file says it is {ENCODING_NAMES[self._encoding]} text but is not "
                    f"readable as such; {SAVE_AS_UTF8} and import it again."
                ) from None
            self._ended = not block
            self._out = text.lstrip("\ufeff").encode() if self._done == 0 else text.encode()
        size = min(len(buffer), len(self._out))
        buffer[:size] = self._out[:size]
        self._out = self._out[size:]
        self._done += size
        return size


def as_utf8(stream: IO[bytes], encoding: str) -> IO[bytes]:
    """The stream (from its start) as UTF-8 bytes, read in ``encoding`` (``encoding_of``):
    the stream itself for UTF-8, else decoded and encoded again as it is read, memory flat.
    Text that is not in ``encoding`` raises ``CsvRefused`` where it is met."""
    if encoding == "utf-8":
        return stream
    stream.seek(0)
    return io.BufferedReader(_Utf8(stream, encoding), buffer_size=256 * 1024)


_SEP = re.compile(r"\ufeff?sep=(.)\s*$", re.IGNORECASE)


def sep_line(line: str) -> str | None:
    """The delimiter a first line such as ``sep=;`` names (Excel's hint), or None."""
    found = _SEP.match(line.rstrip("\r\n"))
    return found.group(1) if found and found.group(1) in ",;\t" else None


def decode(data: bytes) -> tuple[str, str]:
    """The file's text and the encoding it was read in (``encoding_of``): UTF-8 (a BOM
    dropped), UTF-16 with a BOM, else Windows-1252 when the bytes are not UTF-8."""
    _refuse_size(data)
    encoding = encoding_of(io.BytesIO(data))
    if encoding.startswith("utf-16"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            raise CsvRefused(
                "The file says it is UTF-16 text but is not readable as such; "
                f"{SAVE_AS_UTF8} and upload it again."
            ) from None
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    if b"\0" in data:
        raise CsvRefused("The file holds binary data, not text; upload a .csv or .xlsx file.")
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data":
            raise CsvRefused(cut_short(data[: exc.start].count(b"\n") + 1)) from None
        raise CsvRefused(
            f"The file is neither UTF-8 nor Windows-1252 text; {SAVE_AS_UTF8} and upload it again."
        ) from None


def _refuse_size(data: bytes) -> None:
    if len(data) > MAX_BYTES:
        raise CsvRefused(
            f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; "
            "split it into smaller files and import each."
        )


def cut_short(line: int) -> str:
    """The refusal of a UTF-8 file whose last character is cut in the middle."""
    return (
        f"Line {line}: The file ends in the middle of a character; it was probably cut "
        "short while it was copied or downloaded: export or download it again."
    )


def delimiter(header_line: str) -> str:
    """The delimiter the header line uses most: comma, semicolon or tab (comma if none)."""
    counts = {d: header_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def header(
    record: list[str], aliases: Mapping[str, str], required: tuple[str, ...], refusal: str
) -> dict[str, int]:
    """Where each column is: the header's names (any case, spaces or underscores) looked up
    in ``aliases``, the first of each kept. A required column missing refuses the file:
    ``refusal``, then "missing: …"."""
    columns: dict[str, int] = {}
    for at, name in enumerate(record):
        key = aliases.get(" ".join(name.strip().lower().replace("_", " ").split()))
        if key and key not in columns:
            columns[key] = at
    missing = [c for c in required if c not in columns]
    if missing:
        raise CsvRefused(f"{refusal} missing: {', '.join(missing)}.")
    return columns


@dataclass(frozen=True)
class Table:
    """A decoded file: its text, encoding, delimiter and the line its header is on; or, for
    a workbook, its sheet (``encoding`` "xlsx", no text or delimiter)."""

    text: str
    encoding: str
    delimiter: str
    header_at: int
    sheet: workbook.Sheet | None = None

    @property
    def place(self) -> str:
        """What the messages call where a row is: "Line" in a CSV file, "Row" in a sheet."""
        return "Line" if self.sheet is None else "Row"

    def records(self) -> Iterator[tuple[int, list[str]]]:
        """Every record from the header on, with the line it starts on (a quoted cell may
        span lines: "Line 2" is where its row begins, not where it ends); a sheet's rows
        that are not blank, with their row numbers."""
        if self.sheet is not None:
            yield from self.sheet.records
            return
        reader = csv.reader(io.StringIO(self.text, newline=""), delimiter=self.delimiter)
        ended = 0
        for record in reader:
            start, ended = ended + 1, reader.line_num
            if start >= self.header_at:
                yield start, record


def read(data: bytes, *, limit: int | None = None) -> Table:
    """The file decoded, its delimiter and header line found; an empty file is refused, and
    one holding a bidirectional control character (``core.text.BIDI_CONTROLS``), naming the
    line of the first. An Excel workbook (``workbook.is_workbook``: by its content, whatever
    its name) is read by ``core.workbook``, at most ``limit`` rows past its header (the
    import's ``row_cap``: ``rows`` refuses one more) and within the same size limit."""
    _refuse_size(data)
    if workbook.is_workbook(data):
        try:
            sheet = workbook.read(data, limit)
        except workbook.Unreadable as exc:
            raise CsvRefused(exc.message) from None
        return Table(
            text="", encoding=WORKBOOK, delimiter="", header_at=sheet.records[0][0], sheet=sheet
        )
    text, encoding = decode(data)
    refuse_bidi_controls(text)
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        raise CsvRefused("The file is empty.")
    sep = sep_line(lines[0])
    start = 1 if sep else 0
    header_at = next((at for at in range(start, len(lines)) if lines[at].strip()), None)
    if header_at is None:
        raise CsvRefused("The file is empty.")
    return Table(
        text=text,
        encoding=encoding,
        delimiter=sep or delimiter(lines[header_at]),
        header_at=header_at + 1,
    )


def refuse_bidi_controls(text: str) -> None:
    """``CsvRefused`` naming the line of the first bidirectional control in ``text``."""
    if (ch := bidi_control(text)) is None:
        return
    before = text[: text.index(ch)]
    ends = "\n" if "\n" in text else "\r"  # LF or CRLF; a lone CR in old Mac files
    line = before.count(ends) + 1
    raise CsvRefused(f"Line {line}: {bidi_message(ch, 'This line')}")


def column(
    table: Table, name: str, *, aliases: Mapping[str, str], required: tuple[str, ...]
) -> list[str]:
    """Every cell of the column ``name`` after the header (a first reading, for what only
    the whole file tells, such as the order of day and month in slashed dates); [] when the
    header lacks it (the second reading, ``rows``, refuses that)."""
    at: int | None = None
    cells: list[str] = []
    for _, record in table.records():
        if at is None:
            try:
                at = header(record, aliases, required, "")[name]
            except (CsvRefused, KeyError):
                return []
            continue
        if at < len(record):
            cells.append(record[at])
    return cells


Cell = Callable[[str], str]


def _cell(record: list[str], columns: dict[str, int]) -> Cell:
    def cell(name: str) -> str:
        at = columns.get(name)
        if at is None or at >= len(record):
            return ""
        value = record[at].strip()
        # A quoted cell over several lines keeps them as "\n", whatever the file's line ends.
        return value.replace("\r\n", "\n").replace("\r", "\n") if "\r" in value else value

    return cell


def rows(
    table: Table,
    *,
    aliases: Mapping[str, str],
    required: tuple[str, ...],
    refusal: str,
    cap: RowCap,
) -> Iterator[tuple[int, Cell]]:
    """Each row after the header that is not blank, with its line and a ``cell(name)`` that
    gives the named column's stripped text ("" when the row is short or the column absent).
    Each row is counted by ``cap``: more rows than its limit refuse the file. A row with
    more filled cells than the header has columns refuses the file at its line: a cell
    holding the delimiter without quotes ("1,5" in a comma-separated file) would otherwise
    lose what follows it (empty cells past the header, as spreadsheets write them, are
    fine). In a workbook's sheet, filled cells past the header's are a column without a
    name, ignored as any column the import does not know; a cell the import reads that holds
    a formula with no saved value refuses the file, naming it."""
    columns: dict[str, int] | None = None
    width = 0
    for line, record in table.records():
        if columns is None:
            try:
                columns = header(record, aliases, required, refusal)
            except CsvRefused as exc:
                if table.sheet is None:
                    raise
                raise CsvRefused(_in_sheet(table.sheet, exc.message)) from None
            width = len(record)
            continue
        if table.sheet is not None and (
            cell := table.sheet.unsaved_at(line, list(columns.values()))
        ):
            raise CsvRefused(
                f"Row {line}: the cell {cell} holds a formula with no saved value (the program "
                "that wrote the workbook never calculated it); open the file in Excel or "
                "LibreOffice, save it again and import it."
            )
        if not any(value.strip() for value in record):
            continue
        if (
            table.sheet is None
            and len(record) > width
            and any(value.strip() for value in record[width:])
        ):
            shown = "tab" if table.delimiter == "\t" else f"“{table.delimiter}”"
            raise CsvRefused(
                f"Line {line}: This row has {len(record)} cells but the header has {width}; "
                f"put a cell that contains a {shown} in double quotes (a decimal comma in a "
                'comma-separated file too: "1,5").'
                if table.delimiter == ","
                else f"Line {line}: This row has {len(record)} cells but the header has "
                f"{width}; put a cell that contains a {shown} in double quotes."
            )
        cap.count(line, table.place)
        yield line, _cell(record, columns)


def _in_sheet(sheet: workbook.Sheet, message: str) -> str:
    """A refusal of a sheet's header, in a workbook's words, naming the sheet read."""
    message = message.replace("The first line", "The first row", 1)
    if not sheet.others:
        return message
    others = ", ".join(f"“{name}”" for name in sheet.others)
    return (
        f"Traction reads the workbook's first sheet with data, “{sheet.name}” (it also has "
        f"{others}; put the sheet to import first): {message}"
    )
