"""Reading an uploaded Excel workbook (.xlsx) as a table of text, the way its user sees it:
the reader behind ``core.csv_reader.read`` when a file is a workbook (``is_workbook``: a zip
holding ``xl/workbook.xml``, whatever its name).

Which sheet: the first visible worksheet that holds any cell (a blank first sheet, a hidden
one or a chart sheet is passed over), in the workbook's tab order. Cells become the text the
sheet shows (``shown``): text as it is; numbers at the decimals their number format shows
(2/3 formatted "0.00" is "0.67"), a "General" number as Excel shows it (15 significant
digits: a 0.1+0.2 is "0.3"), whole numbers without ".0"; a percentage-formatted cell as its
percentage with the sign ("42%" for 0.42, as Excel's "Save as CSV" writes it); dates as
YYYY-MM-DD (with the time, when the cell shows one and it is not midnight); TRUE and FALSE;
an error value ("#N/A") as it is shown. A formula gives the value Excel saved with it; a
formula with no saved value (written by a program that never calculated it) is kept aside
(``Sheet.unsaved``) for the importer to refuse where it reads that cell.

Limits: the archive's unpacked size is read from the zip's directory before anything is
parsed (``MAX_UNPACKED``: a small file that unpacks to gigabytes is refused unopened), and
at most ``limit`` rows past the header are read. What is not a workbook Traction reads (an
old .xls, a password-protected workbook, an OpenDocument or binary .xlsb workbook, a zip of
something else, a damaged or cut-short file) is refused by ``Unreadable``, saying what to do.
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from .text import bidi_control, bidi_message

__all__ = ["MAX_UNPACKED", "Sheet", "Unreadable", "is_workbook", "read", "refusal_of", "shown"]

# The most a workbook may unpack to (the sizes its zip directory states; zip refuses a part
# that unpacks to more than it states). An ordinary workbook within the 2 MB upload limit
# unpacks to a few to 30 MB.
MAX_UNPACKED = 64 * 1024 * 1024

_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls, and an encrypted .xlsx inside
_ENCRYPTED = "EncryptionInfo".encode("utf-16-le")
# A formula's tag in a sheet's XML (text holding "<f" is escaped there: no false match).
_FORMULA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")
_SAVE_AGAIN = "open it in Excel or LibreOffice and save it again as an Excel Workbook (.xlsx)"
_SAVE_AS_CSV = "or save the sheet as CSV UTF-8"


class Unreadable(Exception):
    """The workbook as a whole cannot be read; the message says why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Sheet:
    """The sheet read: its name, every row that is not blank with its row number in the
    sheet (the header is the first), and the cells holding a formula with no saved value,
    by (row, column index from 0) to their reference ("B7")."""

    name: str
    records: list[tuple[int, list[str]]]
    unsaved: dict[tuple[int, int], str] = field(default_factory=dict)
    others: list[str] = field(default_factory=list)  # the workbook's other sheets

    def unsaved_at(self, row: int, columns: Iterator[int] | list[int]) -> str | None:
        """The reference of the first of ``columns`` of ``row`` holding a formula with no
        saved value, or None."""
        for at in sorted(columns):
            if (row, at) in self.unsaved:
                return self.unsaved[(row, at)]
        return None


def is_workbook(data: bytes) -> bool:
    """Whether the file is a zip or OLE container (a workbook, or what ``refusal_of`` names)
    rather than text: a CSV file never starts with these bytes."""
    return data.startswith(_ZIP) or data.startswith(_OLE)


def refusal_of(data: bytes) -> str | None:
    """Why a zip or OLE file is not a workbook Traction reads, or None when it is one."""
    if data.startswith(_OLE):
        if _ENCRYPTED in data:
            return (
                "The workbook is protected by a password, so it cannot be read; open it in "
                "Excel, remove the password (File, Info, Protect Workbook, Encrypt with "
                f"Password: clear it), save it and import it again, {_SAVE_AS_CSV}."
            )
        return (
            "The file is an old Excel 97-2003 workbook (.xls) or another Office document; "
            f"{_SAVE_AGAIN}, {_SAVE_AS_CSV}."
        )
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        return (
            "The workbook is damaged or cut short (it is not a complete zip archive): "
            f"download or export it again, or {_SAVE_AGAIN[0].lower()}{_SAVE_AGAIN[1:]}."
        )
    if "xl/workbook.xml" in names:
        return None
    if "xl/workbook.bin" in names:
        return f"The file is an Excel binary workbook (.xlsb); {_SAVE_AGAIN}, {_SAVE_AS_CSV}."
    if "content.xml" in names and "mimetype" in names:
        return (
            "The file is an OpenDocument spreadsheet (.ods); save it as an Excel Workbook "
            f"(.xlsx) {_SAVE_AS_CSV}."
        )
    if any(name.startswith("word/") for name in names):
        return "The file is a Word document, not a workbook; import a .xlsx or .csv file."
    return "The file is a zip archive but not an Excel workbook; import a .xlsx or .csv file."


def read(data: bytes, limit: int | None = None) -> Sheet:
    """The workbook's first sheet with data, each row as the text its cells show; at most
    ``limit`` rows past the header (one more, for the row cap to refuse). ``Unreadable``
    when it cannot be read."""
    if (why := refusal_of(data)) is not None:
        raise Unreadable(why)
    archive = zipfile.ZipFile(io.BytesIO(data))
    unpacked = sum(member.file_size for member in archive.infolist())
    if unpacked > MAX_UNPACKED:
        raise Unreadable(
            f"The workbook unpacks to {unpacked / (1024 * 1024):,.0f} MB, more than the "
            f"{MAX_UNPACKED // (1024 * 1024)} MB an import reads; copy the sheet to import "
            f"into a new workbook, {_SAVE_AS_CSV}."
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl's "no default style" and the like
            formulas = any(
                _FORMULA.search(archive.read(name))
                for name in archive.namelist()
                if name.startswith("xl/worksheets/") and name.endswith(".xml")
            )
            return _read(data, limit, formulas=formulas)
    except Unreadable:
        raise
    except Exception:
        # A damaged part (bad XML, a CRC error, a missing sheet) found while reading.
        raise Unreadable(
            f"The workbook is damaged and cannot be read; {_SAVE_AGAIN}, {_SAVE_AS_CSV}."
        ) from None


def _read(data: bytes, limit: int | None, *, formulas: bool) -> Sheet:
    """Read with the values saved; and, in step, with the formulas when a sheet has any
    (only that reading tells a formula with no saved value from an empty cell)."""
    values = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    written = load_workbook(io.BytesIO(data), read_only=True) if formulas else None
    try:
        names = [ws.title for ws in values.worksheets]
        for at, ws in enumerate(values.worksheets):
            if getattr(ws, "sheet_state", "visible") != "visible":
                continue
            sheet = _sheet(ws, written.worksheets[at] if written else None, limit)
            if sheet.records:
                sheet.others = [n for n in names if n != sheet.name]
                return sheet
    finally:
        values.close()
        if written:
            written.close()
    raise Unreadable("The workbook is empty: none of its sheets holds a cell.")


def _sheet(ws: Any, ws_formulas: Any | None, limit: int | None) -> Sheet:
    # Dimensions as saved are often wrong ("A1" for a whole table): read every row there is.
    ws.reset_dimensions()
    if ws_formulas is not None:
        ws_formulas.reset_dimensions()
    sheet = Sheet(name=ws.title, records=[])
    # The formulas' reading, row for row (none: an endless run of empty rows).
    in_step = ws_formulas.iter_rows() if ws_formulas is not None else iter(lambda: (), None)
    rows = zip(ws.iter_rows(), in_step, strict=False)
    for number, (cells, formula_cells) in enumerate(rows, start=1):
        record: list[str] = []
        unsaved = False
        for at, cell in enumerate(cells):
            text = shown(cell.value, getattr(cell, "number_format", "General") or "General")
            if (
                cell.value is None
                and cell.data_type == "n"
                and at < len(formula_cells)
                and formula_cells[at].data_type == "f"
            ):
                # A formula with no value saved (a text result of "" is saved as "" typed
                # "str", and is an empty cell here).
                sheet.unsaved[(number, at)] = f"{get_column_letter(at + 1)}{number}"
                unsaved = True
            if text and (ch := bidi_control(text)) is not None:
                raise Unreadable(
                    f"Row {number}, column {get_column_letter(at + 1)}: "
                    + bidi_message(ch, "This cell")
                )
            record.append(text)
        while record and not record[-1].strip():
            record.pop()
        if not record and not unsaved:
            continue
        sheet.records.append((number, record))
        # The header, ``limit`` rows, and one more for the row cap to refuse.
        if limit is not None and len(sheet.records) > limit + 1:
            break
    return sheet


def shown(value: object, number_format: str = "General") -> str:
    """A cell's value as the sheet shows it (see the module's docstring)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        if value.time() == time(0) or not _shows_time(number_format):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat(timespec="seconds")
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, int):
        return _percent(Decimal(value), number_format)
    if isinstance(value, float):
        try:
            number = Decimal(f"{value:.15g}")  # as Excel shows it: no float noise
        except InvalidOperation:
            return str(value)
        if not number.is_finite():
            return str(value)
        return _percent(number, number_format)
    return str(value)


def _percent(number: Decimal, number_format: str) -> str:
    section = _first_section(number_format)
    percent = "%" in section
    if percent:
        number *= 100
    places = _decimals(section)
    if places is not None:
        number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        text = f"{number:f}"
    else:
        text = f"{number.normalize():f}" if number else "0"
    if "." in text and places is None:
        text = text.rstrip("0").rstrip(".")
    return text + ("%" if percent else "")


def _first_section(number_format: str) -> str:
    """The number format's section for positive numbers, without its quoted text, escaped
    characters and bracketed parts ("[Red]", "[$€-407]")."""
    out: list[str] = []
    quoted = bracket = escaped = False
    for ch in number_format:
        if escaped:
            escaped = False
        elif quoted:
            quoted = ch != '"'
        elif bracket:
            bracket = ch != "]"
        elif ch == '"':
            quoted = True
        elif ch == "[":
            bracket = True
        elif ch == "\\":
            escaped = True
        elif ch == ";":
            break
        else:
            out.append(ch)
    return "".join(out)


def _decimals(section: str) -> int | None:
    """How many decimals a number format shows, or None to show the number as Excel's
    "General" does (General itself, text, scientific and fraction formats)."""
    lowered = section.lower()
    if not section or "general" in lowered or "e+" in lowered or "e-" in lowered:
        return None
    if "/" in section or "@" in section or not any(ch in section for ch in "0#?"):
        return None
    if "." not in section:
        return 0
    places = 0
    for ch in section[section.index(".") + 1 :]:
        if ch in "0#?":
            places += 1
        elif ch not in ",":
            break
    return places


def _shows_time(number_format: str) -> bool:
    lowered = _first_section(number_format).lower()
    return "h" in lowered or "s" in lowered
