"""Reading a CSV file or an Excel workbook of measurements: which encoding, which delimiter,
which columns, and every bad row named by its line (a workbook's: by its row, ``Parsed.place``).

Columns (any order, header names case-insensitive): ``metric`` (the metric's name),
``date`` (YYYY-MM-DD best; also with a time, day.month.year, month names, two-digit years
("1/31/27"), and slashed dates
whose order the file tells), ``value`` and optionally ``note``. Encodings: UTF-8 with or without a
byte-order mark, and what Excel saves: UTF-16 ("Unicode text", with its BOM, usually
tab-separated) and Windows-1252 ("CSV" on a Western European Windows). Delimiters: comma,
semicolon or tab, whichever the header line uses. A value may use a decimal comma ("12,5")
when it has no point. A workbook (.xlsx) is read by ``core.csv_reader`` (``core.workbook``):
its first sheet with data, each cell as the sheet shows it (a date cell as YYYY-MM-DD, a
number with "." for its decimals, a percentage cell as "42%").

The reader checks only what the file itself can tell: the metric names are matched against
the program's metrics by the service (``services.scorecards``), which also refuses duplicate
keys and calculated metrics, so that every problem is reported at once with its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from traction.core import csv_reader
from traction.core.csv_reader import MAX_BYTES, CsvRefused, decode
from traction.core.text import too_long

__all__ = [
    "MAX_BYTES",
    "CsvRefused",
    "Parsed",
    "Row",
    "ambiguous",
    "decimal_mark",
    "decode",
    "parse",
    "parse_date",
    "parse_value",
    "slash_order",
]

NOTE_MAX = 300
VALUE_MAX = 30  # a number as written ("1 234 567,5 %"): a baseline, target or measured value
# The model's column: DecimalField(max_digits=18, decimal_places=4).
MAX_DECIMALS = 4
MAX_INTEGER_DIGITS = 14

COLUMNS = ("metric", "date", "value", "note")
REQUIRED = ("metric", "date", "value")
REFUSAL = "The first line must name the columns metric, date and value (note is optional);"
_ALIASES = {
    "metric": "metric",
    "metric name": "metric",
    "name": "metric",
    "date": "date",
    "on": "date",
    "day": "date",
    "value": "value",
    "measurement": "value",
    "note": "note",
    "notes": "note",
    "comment": "note",
}


@dataclass(frozen=True)
class Row:
    line: int  # the line of the file it came from (the header is line 1)
    metric: str
    on: date
    value: Decimal
    note: str
    percent: bool = False  # the value was written with a "%" (read as the number before it)


@dataclass
class Parsed:
    rows: list[Row] = field(default_factory=list)
    # (line, message) for every row the file itself shows is bad.
    errors: list[tuple[int, str]] = field(default_factory=list)
    encoding: str = "utf-8"
    place: str = "Line"  # "Row" for a workbook's sheet (``csv_reader.Table.place``)


def parse_value(raw: str, mark: str | None = None) -> Decimal:
    """A number as people and spreadsheets write it: "12.5", "-3" (or "−3", and "(3)" as
    accounting formats write a negative), "12,5" (a decimal comma when there is no point),
    thousands grouped by commas, points, spaces or apostrophes ("1,234.5", "1.234,5",
    "1 234,5", "1'234.5"), and a trailing "%"; at most 4 decimals and 14 digits before the
    point. ``mark`` is the decimal mark the rest of a file shows (``decimal_mark``): with ","
    a lone "1.234" is 1234, with "." a lone "1,234" is 1234. ValueError says why not (a
    text past ``VALUE_MAX`` characters is refused for its length, before any reading, and
    not echoed)."""
    shown = raw.strip()
    if len(shown) > VALUE_MAX:
        raise ValueError(too_long(VALUE_MAX, len(shown)))
    text = _bare(shown)
    if text.startswith("(") and text.endswith(")") and len(text) > 2:
        text = "-" + text[1:-1]  # accounting: "(1,234.50)" is a negative number
    grouping = {",": ".", ".": ","}.get(mark or "")
    if grouping and _LONE_GROUP.fullmatch(text) and grouping in text:
        text = text.replace(grouping, "")
    if "," in text and "." in text:
        # Both: the one that comes last separates the decimals, the other groups thousands.
        decimal_mark = "," if text.rindex(",") > text.rindex(".") else "."
        grouping = "." if decimal_mark == "," else ","
        whole = text[: text.rindex(decimal_mark)]
        if text.count(decimal_mark) > 1 or not _GROUPED.fullmatch(whole.replace(grouping, " ")):
            raise ValueError(f"“{shown}” is not a number.")
        text = text.replace(grouping, "")
        if decimal_mark == ",":
            text = text.replace(",", ".")
    elif text.count(",") == 1:
        text = text.replace(",", ".")
    elif text.count(",") > 1 and _GROUPED.fullmatch(text.replace(",", " ")):
        text = text.replace(",", "")
    elif text.count(".") > 1 and _GROUPED.fullmatch(text.replace(".", " ")):
        text = text.replace(".", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"“{shown}” is not a number.") from None
    if not value.is_finite():
        raise ValueError(f"“{shown}” is not a number.")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_DECIMALS:
        raise ValueError(f"“{shown}” has more than {MAX_DECIMALS} decimals.")
    if abs(value) >= Decimal(10) ** MAX_INTEGER_DIGITS:
        raise ValueError(f"“{shown}” is too large.")
    return value


# Digits grouped in threes (after the first group): "1 234 567", "-12 345".
_GROUPED = re.compile(r"[-+]?\d{1,3}( \d{3})+")
# One comma or point before three digits, "1,234" or "-12.500": grouped thousands or three
# decimals, as the file's other values tell (``decimal_mark``). A number starting "0" is not
# grouped ("0,125").
_LONE_GROUP = re.compile(r"[-+]?[1-9]\d{0,2}[,.]\d{3}")


def _bare(shown: str) -> str:
    """The number without its grouping spaces or apostrophes and its "%", and with "−"
    (the minus sign, U+2212, as copied from a web page) as "-"."""
    text = shown
    for space in ("\u00a0", "\u202f", " ", "'", "\u2019"):
        text = text.replace(space, "")
    return text.removesuffix("%").replace("\u2212", "-")


def ambiguous(raw: str) -> bool:
    """Whether a value reads two ways, "1,234" (1234 or 1.234) and "1.250" alike, with only
    the file's other values to tell."""
    return bool(_LONE_GROUP.fullmatch(_bare(raw.strip()).strip("()")))


def decimal_mark(cells: list[str]) -> str | None:
    """The decimal mark a file's values show, "," or ".", told by any value that reads one
    way only ("12,5", "1.234,5" and "1.234.567" show ","; "12.5", "1,234.5" and "1,234,567"
    show "."); None when no value tells, or when the file shows both."""
    comma = point = False
    for raw in cells:
        text = _bare(raw.strip()).strip("()").lstrip("+-")
        if ambiguous(text) or not any(ch.isdigit() for ch in text):
            continue
        if "," in text and "." in text:
            comma |= text.rindex(",") > text.rindex(".")
            point |= text.rindex(".") > text.rindex(",")
        elif text.count(",") > 1:
            point = True
        elif text.count(".") > 1 or "," in text:
            comma = True
        elif "." in text:
            point = True
    if comma == point:
        return None
    return "," if comma else "."


# A time after a date, as spreadsheets and databases export it: "2026-03-12 00:00:00",
# "2026-03-12T09:30:00Z", "3/12/2026 12:00 AM". Only the date counts.
_TIME = r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?: ?[AaPp][Mm])?(?:Z|[+-]\d{2}:?\d{2})?)?"
_YMD = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})" + _TIME)
# A year of four digits, or two as Excel on a Mac ("3/25/26") and its "d-mmm-yy" format
# ("25-Mar-26") write it: "26" is 2026 (measurements start in 2000).
_DMY_DOTS = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})" + _TIME)
_SLASHES = re.compile(r"(\d{1,2})[/-](\d{1,2})[/-](\d{4}|\d{2})" + _TIME)
_NAMED = (
    "%d %b %Y",
    "%d %B %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%d-%b-%Y",
    "%d %b, %Y",
    "%d-%b-%y",
    "%d %b %y",
)
DAY_FIRST, MONTH_FIRST = "day first", "month first"


def slash_order(cells: list[str]) -> str | None:
    """Whether the file's slashed dates ("03/12/2026") put the day or the month first, told
    by any date whose first or second number is above 12; None when no date tells, or when
    the file shows both."""
    day_first = month_first = False
    for raw in cells:
        match = _SLASHES.fullmatch(raw.strip())
        if match:
            day_first |= int(match[1]) > 12
            month_first |= int(match[2]) > 12
    if day_first == month_first:
        return None
    return DAY_FIRST if day_first else MONTH_FIRST


def parse_date(raw: str, order: str | None = None) -> date:
    """A date as spreadsheets export it: ISO (YYYY-MM-DD, with or without a time), day.month.
    year, a month's name ("12 Mar 2026", "March 12, 2026"), or day/month/year or
    month/day/year as ``order`` (``slash_order`` of the whole file) or the date itself tells.
    ValueError says why not."""
    text = raw.strip()
    shown = f"“{text}”"
    numbers: tuple[int, int, int] | None = None
    if match := _YMD.fullmatch(text):
        numbers = (int(match[1]), int(match[2]), int(match[3]))
    elif match := _DMY_DOTS.fullmatch(text):
        numbers = (_year(match[3]), int(match[2]), int(match[1]))
    elif match := _SLASHES.fullmatch(text):
        first, second, year = int(match[1]), int(match[2]), _year(match[3])
        if order is None:
            if first > 12 >= second:
                order = DAY_FIRST
            elif second > 12 >= first:
                order = MONTH_FIRST
            elif first != second and first <= 12 and second <= 12:
                raise ValueError(
                    f"{shown} could be {first} {_month(second)} or {second} {_month(first)}, "
                    "and no other date in the file tells which; write it as YYYY-MM-DD."
                )
        numbers = (year, first, second) if order == MONTH_FIRST else (year, second, first)
    else:
        for form in _NAMED:
            try:
                return datetime.strptime(text, form).date()
            except ValueError:
                continue
        if text.isdigit() and _SERIALS[0] <= int(text) <= _SERIALS[1]:
            # How a spreadsheet shows a date whose cell is formatted as a number.
            raise ValueError(
                f"{shown} is not a date: it looks like a spreadsheet's day number, shown "
                "when the cell is formatted as General or Number; format the column as a "
                "date (or write dates as YYYY-MM-DD) and import the file again."
            )
        raise ValueError(f"{shown} is not a date; write it as YYYY-MM-DD.")
    try:
        return date(*numbers)
    except ValueError:
        raise ValueError(f"{shown} is not a date in the calendar.") from None


# Day numbers of spreadsheets (days since 30 Dec 1899) from 1950 to 2099.
_SERIALS = (18264, 73050)


def _read_as(shown: str, mark: str) -> str:
    return f"{parse_value(shown, mark).normalize():f}"


def _year(digits: str) -> int:
    return 2000 + int(digits) if len(digits) == 2 else int(digits)


def _month(n: int) -> str:
    return date(2000, n, 1).strftime("%B") if 1 <= n <= 12 else str(n)


def parse(data: bytes, filename: str = "") -> Parsed:
    """Every row of the file, or the line and reason of each bad one. Raises ``CsvRefused``
    when the file cannot be read at all (size, encoding, no header, missing columns)."""
    cap = csv_reader.row_cap("measurements")
    table = csv_reader.read(data, limit=cap)
    result = Parsed(encoding=table.encoding, place=table.place)
    order = slash_order(csv_reader.column(table, "date", aliases=_ALIASES, required=REQUIRED))
    # "1,234" is 1234 where another value, "12.5", puts decimals after a point, and 1.234
    # where one writes "12,5"; a value no other value tells is refused by its line. A sheet's
    # numbers are written with a point ("1.250" is a number formatted with 3 decimals).
    mark = (
        "."
        if table.sheet is not None
        else decimal_mark(csv_reader.column(table, "value", aliases=_ALIASES, required=REQUIRED))
    )
    for line, cell in csv_reader.rows(
        table,
        aliases=_ALIASES,
        required=REQUIRED,
        refusal=REFUSAL,
        cap=csv_reader.RowCap(cap, filename),
    ):
        problems: list[str] = []
        metric = cell("metric")
        if not metric:
            problems.append("the metric name is missing")
        on: date | None = None
        try:
            on = parse_date(cell("date"), order)
        except ValueError as exc:
            problems.append(str(exc))
        value: Decimal | None = None
        try:
            if mark is None and ambiguous(cell("value")):
                shown = cell("value")
                raise ValueError(
                    f"“{shown}” could be {_read_as(shown, '.')} or {_read_as(shown, ',')}, "
                    "and the file's other values do not tell which; write it without grouping "
                    "the thousands, or with a decimal mark other values share."
                )
            value = parse_value(cell("value"), mark)
        except ValueError as exc:
            problems.append(str(exc))
        note = " ".join(cell("note").split())
        if len(note) > NOTE_MAX:
            problems.append(f"the note is longer than {NOTE_MAX} characters")
        if problems:
            result.errors.append((line, "; ".join(problems)))
        elif on is not None and value is not None:
            percent = cell("value").strip().endswith("%")
            result.rows.append(Row(line, metric, on, value, note, percent))
    if not result.rows and not result.errors:
        raise CsvRefused("The file has a header but no rows of measurements.")
    return result
