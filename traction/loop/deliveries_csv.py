"""Reading a CSV file or an Excel workbook of deliveries, every bad row named by its line
(a workbook's: by its row, ``Parsed.place``).

Columns (any order, header names case-insensitive): ``date`` (as the measurements import
reads it: YYYY-MM-DD best, with or without a time, and slashed dates whose order the file
tells), ``title``, and
optionally ``description``, ``link``, ``external_id`` and ``priorities`` (the ids of the
customer priorities it touches, separated by spaces, commas or semicolons). Encodings and
delimiters as every imported file (``core.csv_reader``): UTF-8 with or without a BOM, UTF-16,
Windows-1252; comma, semicolon or tab; or an Excel workbook (.xlsx), its first sheet with
data, each cell as the sheet shows it (a date cell as YYYY-MM-DD).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from traction.core import csv_reader
from traction.core.csv_reader import MAX_BYTES, CsvRefused
from traction.core.guard import whole_number
from traction.debrief.measurements_csv import parse_date, slash_order

REQUIRED = ("date", "title")
REFUSAL = (
    "The first line must name the columns date and title (description, link, "
    "external_id and priorities are optional);"
)
_ALIASES = {
    "date": "date",
    "on": "date",
    "released": "date",
    "title": "title",
    "name": "title",
    "description": "description",
    "notes": "description",
    "link": "link",
    "url": "link",
    "external id": "external_id",
    "id": "external_id",
    "key": "external_id",
    "priorities": "priorities",
    "priority ids": "priorities",
}
_IDS = re.compile(r"[\s,;]+")

__all__ = ["MAX_BYTES", "CsvRefused", "Parsed", "Row", "parse"]


@dataclass(frozen=True)
class Row:
    line: int
    on: date
    title: str
    description: str
    link: str
    external_id: str
    priorities: tuple[int, ...]


@dataclass
class Parsed:
    rows: list[Row] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    place: str = "Line"  # "Row" for a workbook's sheet (``csv_reader.Table.place``)
    encoding: str = "utf-8"  # "xlsx" for a workbook (``csv_reader.Table.encoding``)


def parse(data: bytes, filename: str = "") -> Parsed:
    cap = csv_reader.row_cap("deliveries")
    table = csv_reader.read(data, limit=cap)
    result = Parsed(place=table.place, encoding=table.encoding)
    url = URLValidator(schemes=["http", "https"])
    # "03/04/2026" is the 3rd of April when another date of the file, "25/03/2026", puts the
    # day first: the order is the file's, as in the measurements import.
    order = slash_order(csv_reader.column(table, "date", aliases=_ALIASES, required=REQUIRED))
    for line, cell in csv_reader.rows(
        table,
        aliases=_ALIASES,
        required=REQUIRED,
        refusal=REFUSAL,
        cap=csv_reader.RowCap(cap, filename),
    ):
        problems: list[str] = []
        on: date | None = None
        try:
            on = parse_date(cell("date"), order)
        except ValueError as exc:
            problems.append(str(exc).rstrip("."))
        title = " ".join(cell("title").split())
        if not title:
            problems.append("the title is missing")
        elif len(title) > 200:
            problems.append("the title is longer than 200 characters")
        link = cell("link")
        if link:
            try:
                url(link)
            except ValidationError:
                problems.append(f"“{link}” is not a web address (http or https)")
        external_id = cell("external_id")
        if len(external_id) > 120:
            problems.append("the external id is longer than 120 characters")
        ids: list[int] = []
        for raw in filter(None, _IDS.split(cell("priorities"))):
            found = whole_number(raw)
            if found is not None:
                ids.append(found)
            else:
                problems.append(f"“{raw}” is not a priority id")
        if problems:
            result.errors.append((line, "; ".join(problems)))
        elif on is not None:
            result.rows.append(
                Row(
                    line=line,
                    on=on,
                    title=title,
                    description=cell("description"),
                    link=link,
                    external_id=external_id,
                    priorities=tuple(dict.fromkeys(ids)),
                )
            )
    if not result.rows and not result.errors:
        raise CsvRefused("The file has a header but no rows of deliveries.")
    return result
