"""Reading a CSV file of deliveries, every bad row named by its line.

Columns (any order, header names case-insensitive): ``date`` (YYYY-MM-DD), ``title``, and
optionally ``description``, ``link``, ``external_id`` and ``priorities`` (the ids of the
customer priorities it touches, separated by spaces, commas or semicolons). Encodings and
delimiters as the debrief's measurements files (``debrief.measurements_csv``): UTF-8 with or
without a BOM, UTF-16, Windows-1252; comma, semicolon or tab.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from traction.debrief.measurements_csv import MAX_BYTES, CsvRefused, decode, parse_date

MAX_ROWS = 5_000
REQUIRED = ("date", "title")
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


def _delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _header(record: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for at, name in enumerate(record):
        key = _ALIASES.get(" ".join(name.strip().lower().replace("_", " ").split()))
        if key and key not in columns:
            columns[key] = at
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise CsvRefused(
            "The first line must name the columns date and title (description, link, "
            f"external_id and priorities are optional); missing: {', '.join(missing)}."
        )
    return columns


def parse(data: bytes) -> Parsed:
    text, _ = decode(data)
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        raise CsvRefused("The file is empty.")
    header_line = next(line for line in lines if line.strip())
    header_at = lines.index(header_line) + 1
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(header_line))
    result = Parsed()
    columns: dict[str, int] = {}
    url = URLValidator(schemes=["http", "https"])
    for record in reader:
        line = reader.line_num
        if line < header_at:
            continue
        if not columns:
            columns = _header(record)
            continue
        if not any(cell.strip() for cell in record):
            continue
        if len(result.rows) + len(result.errors) >= MAX_ROWS:
            raise CsvRefused(f"The file has more than {MAX_ROWS:,} rows; split it and import each.")

        def cell(name: str, record: list[str] = record, columns: dict[str, int] = columns) -> str:
            at = columns.get(name)
            return record[at].strip() if at is not None and at < len(record) else ""

        problems: list[str] = []
        on: date | None = None
        try:
            on = parse_date(cell("date"))
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
            if raw.isdigit() and len(raw) < 19:
                ids.append(int(raw))
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
