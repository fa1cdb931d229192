"""Reading an uploaded CSV file: its encoding, its delimiter, its header and its rows, each
with the line it came from. Shared by the files people import (the debrief's measurements,
the loop's deliveries); each caller names its columns and checks its own cells.

Encodings: UTF-8 with or without a byte-order mark, and what Excel saves: UTF-16 ("Unicode
text", with its BOM, usually tab-separated) and Windows-1252 ("CSV" on a Western European
Windows). Delimiters: comma, semicolon or tab, whichever the header line uses most. The
header is the first line that is not blank; blank rows after it are skipped.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

# The limit the user guides state; larger files are refused before reading.
MAX_BYTES = 2 * 1024 * 1024

__all__ = ["MAX_BYTES", "CsvRefused", "Table", "decode", "delimiter", "header", "read"]


class CsvRefused(Exception):
    """The file as a whole cannot be read (size, encoding, header); no line to name."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def decode(data: bytes) -> tuple[str, str]:
    """The file's text and the encoding it was read in: UTF-8 (a BOM dropped), UTF-16 with a
    BOM, else Windows-1252 when the bytes are not UTF-8."""
    if len(data) > MAX_BYTES:
        raise CsvRefused(
            f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; "
            "split it into smaller files and import each."
        )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise CsvRefused(
                "The file says it is UTF-16 text but is not readable as such."
            ) from None
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    if b"\0" in data:
        raise CsvRefused("The file holds binary data, not text; upload a .csv file.")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        raise CsvRefused(
            "The file is neither UTF-8 nor Windows-1252 text; save it as CSV UTF-8 and "
            "upload it again."
        ) from None


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
    """A decoded file: its text, encoding, delimiter and the line its header is on."""

    text: str
    encoding: str
    delimiter: str
    header_at: int

    def records(self) -> Iterator[tuple[int, list[str]]]:
        """Every record from the header on, with the line it starts on."""
        reader = csv.reader(io.StringIO(self.text, newline=""), delimiter=self.delimiter)
        for record in reader:
            if reader.line_num >= self.header_at:
                yield reader.line_num, record


def read(data: bytes) -> Table:
    """The file decoded, its delimiter and header line found; an empty file is refused."""
    text, encoding = decode(data)
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        raise CsvRefused("The file is empty.")
    header_line = next(line for line in lines if line.strip())
    return Table(
        text=text,
        encoding=encoding,
        delimiter=delimiter(header_line),
        header_at=lines.index(header_line) + 1,
    )


Cell = Callable[[str], str]


def _cell(record: list[str], columns: dict[str, int]) -> Cell:
    def cell(name: str) -> str:
        at = columns.get(name)
        return record[at].strip() if at is not None and at < len(record) else ""

    return cell


def rows(
    table: Table,
    *,
    aliases: Mapping[str, str],
    required: tuple[str, ...],
    refusal: str,
    max_rows: int,
) -> Iterator[tuple[int, Cell]]:
    """Each row after the header that is not blank, with its line and a ``cell(name)`` that
    gives the named column's stripped text ("" when the row is short or the column absent).
    More than ``max_rows`` rows refuse the file."""
    columns: dict[str, int] | None = None
    seen = 0
    for line, record in table.records():
        if columns is None:
            columns = header(record, aliases, required, refusal)
            continue
        if not any(value.strip() for value in record):
            continue
        seen += 1
        if seen > max_rows:
            raise CsvRefused(f"The file has more than {max_rows:,} rows; split it and import each.")

        yield line, _cell(record, columns)
