"""Exports: insights (of a session or a search) as CSV and XLSX, and the tables and formats
other apps' exports share (``Table``, ``Column``, ``csv_chunks``, ``xlsx_bytes``; the ranking's
table is the voting app's, ``voting/exports.py``).

Pure rendering: rows come from the scoped selectors (``selectors.insights``, ``search``), so
an export holds exactly what its viewer may see. Every text cell
that a spreadsheet could read as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return) is prefixed with an apostrophe, in both formats (header cells too:
the ranking's name organisations and segments); the control
characters an XLSX cannot hold (pasted or imported text may carry them) are dropped, a
vertical tab or form feed becoming a line break, so that the XLSX is written at all.

CSV is UTF-8 with a byte order mark (Excel then reads it as UTF-8) and is produced as an
iterator of byte chunks, for ``StreamingHttpResponse``. XLSX has a bold header row, frozen
below the header, and fixed column widths; it is written in openpyxl's write-only mode.
A moment is a naive UTC ``datetime`` in a row: "YYYY-MM-DD HH:MM:SS" in the CSV, a date
cell (shown the same way) in the XLSX, so that a spreadsheet sorts and filters it as a date.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.text import slugify
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from traction.core import clock
from traction.core.permissions import Viewer
from traction.core.text import without_bidi_controls
from traction.sessions.models import Session

from . import search, selectors
from .models import Insight, InsightKind, InsightStatus

FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
BOM = "\ufeff"
DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")
# The control characters XML 1.0, so XLSX, cannot hold (openpyxl refuses the whole file):
# all below U+0020 but tab, line feed and carriage return.
CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")

# How an insight's source is labelled in the "Said by" column.
CUSTOMER = "Customer"
INTERNAL = "Internal remark"
UNATTRIBUTED = "Unattributed note"


def neutralise(value: Any) -> Any:
    """The cell value, safe to open in a spreadsheet: text a spreadsheet would take for a
    formula gets a leading apostrophe, and bidirectional controls (``core.text``; refused
    at input, so only text stored before that holds one) are dropped, as a spreadsheet would
    obey them, and so are the ``CONTROLS`` (a vertical tab or form feed, Word's line and page
    breaks, becomes a line break); numbers, dates and empty cells are unchanged."""
    if isinstance(value, str):
        value = CONTROLS.sub(_control, without_bidi_controls(value))
        if value.startswith(DANGEROUS_FIRST):
            return "'" + value
    return value


def _control(found: re.Match[str]) -> str:
    return "\n" if found.group() in "\x0b\x0c" else ""


@dataclass(frozen=True)
class Column:
    title: str
    width: int  # in characters, for XLSX


@dataclass
class Table:
    """What an export holds: a sheet title, its columns, and its rows (an iterator is fine:
    the CSV is written as it is read)."""

    title: str
    columns: list[Column]
    rows: Iterable[Sequence[Any]]


# --- rows ---------------------------------------------------------------------------------------


INSIGHT_COLUMNS = [
    Column("Insight ID", 10),
    Column("Session", 28),
    Column("Scenario", 24),
    Column("Step", 24),
    Column("Type", 16),
    Column("Text", 70),
    Column("Said by", 18),
    Column("Speaker", 24),
    Column("Organisation", 24),
    Column("Tags", 20),
    Column("Status", 12),
    Column("Captured at (UTC)", 20),
]


def said_by(insight: Insight) -> str:
    """Whose words: a customer's, an internal participant's remark, or a note credited to
    nobody."""
    if insight.internal:
        return INTERNAL
    if insight.speaker_contact_id or insight.customer_id:
        return CUSTOMER
    return UNATTRIBUTED


MOMENT_FORMAT = "%Y-%m-%d %H:%M:%S"  # a moment in the CSV
XLSX_MOMENT_FORMAT = "yyyy-mm-dd hh:mm:ss"  # the same, as a date cell's number format


def _utc(moment: dt.datetime) -> dt.datetime:
    """The moment in UTC to the second, without a zone (a spreadsheet's dates have none)."""
    return moment.astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)


def _csv_cell(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.strftime(MOMENT_FORMAT)
    return neutralise(value)


def insight_row(insight: Insight, session_title: str = "") -> list[Any]:
    """One insight as a row of ``INSIGHT_COLUMNS`` (its session, scenario, step and customer
    loaded by the caller)."""
    return [
        insight.pk,
        session_title or insight.session.title,
        insight.scenario.title if insight.scenario_id and insight.scenario else "",
        insight.step.title if insight.step_id and insight.step else "",
        str(InsightKind(insight.kind).label),
        insight.text,
        said_by(insight),
        insight.speaker_name,
        insight.customer.name if insight.customer_id and insight.customer else "",
        " ".join(insight.tags.split()),
        str(InsightStatus(insight.status).label),
        _utc(insight.created_at),
    ]


def insights_table(insights: Iterable[Insight], title: str = "Insights") -> Table:
    return Table(title, INSIGHT_COLUMNS, (insight_row(i) for i in insights))


# --- formats ------------------------------------------------------------------------------------


class _Line:
    """A file-like object that hands back what ``csv.writer`` writes."""

    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def take(self) -> str:
        text, self.text = self.text, ""
        return text


def csv_chunks(table: Table, rows_per_chunk: int = 200) -> Iterator[bytes]:
    """The table as UTF-8 CSV (with a BOM, CRLF line ends), a few hundred rows per chunk."""
    line = _Line()
    writer = csv.writer(line)
    writer.writerow([neutralise(c.title) for c in table.columns])
    yield (BOM + line.take()).encode()
    pending = 0
    for row in table.rows:
        writer.writerow([_csv_cell(v) for v in row])
        pending += 1
        if pending >= rows_per_chunk:
            yield line.take().encode()
            pending = 0
    rest = line.take()
    if rest:
        yield rest.encode()


def csv_bytes(table: Table) -> bytes:
    return b"".join(csv_chunks(table))


def xlsx_bytes(table: Table) -> bytes:
    """The table as one XLSX sheet: bold header row, panes frozen below it, set widths."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=table.title[:31])
    sheet.freeze_panes = "A2"
    for n, column in enumerate(table.columns, start=1):
        sheet.column_dimensions[get_column_letter(n)].width = column.width
    bold = Font(bold=True)
    header = []
    for column in table.columns:
        cell = WriteOnlyCell(sheet, value=neutralise(column.title))
        cell.data_type = "s"
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in table.rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=neutralise(value))
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever openpyxl guesses
            elif isinstance(value, dt.datetime):
                cell.number_format = XLSX_MOMENT_FORMAT
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def filename(*parts: str, fmt: str, today: dt.date | None = None) -> str:
    """``acme-onboarding-insights-2026-12-05.csv``: ASCII, safe in a Content-Disposition."""
    day = (today or clock.today()).isoformat()
    stem = "-".join(s for s in (slugify(p)[:60] for p in parts) if s) or "export"
    return f"{stem}-{day}.{fmt}"


# --- what goes in (scoped reads, for the views and the API) --------------------------------------

SEARCH_LIMIT = 10_000  # results of one search export (as deep as the API pages)
CHUNK = 500


def session_insights(viewer: Viewer, session: Session) -> Iterator[Insight]:
    """The session's accepted insights the viewer may see (``selectors.insights``), in
    capture order, read in chunks."""
    qs = selectors.insights(viewer, session_id=session.pk).select_related("session")
    return qs.iterator(chunk_size=CHUNK)


TRUNCATED_HEADER = "X-Traction-Truncated"  # on an export cut at its limit


@dataclass(frozen=True)
class Searched:
    rows: Iterator[Insight]
    truncated: bool  # more than SEARCH_LIMIT matched: ``rows`` are the first SEARCH_LIMIT

    @property
    def truncated_header(self) -> str:
        """The value of ``TRUNCATED_HEADER`` ("" when nothing was cut)."""
        return f"{SEARCH_LIMIT} of more than {SEARCH_LIMIT}" if self.truncated else ""


def searched_insights(viewer: Viewer, q: str, filters: search.Filters) -> Searched:
    """The insights a search finds for the viewer (at most ``SEARCH_LIMIT``), in the search's
    order, each read again through ``selectors.insights`` (the viewer's scope), and whether
    more matched (the search reads one more than it returns). The search runs now; the rows
    are read as the iterator is consumed."""
    found = search.search(viewer, q, filters=filters, page=1, page_size=SEARCH_LIMIT)
    return Searched(_by_id(viewer, [hit.insight.pk for hit in found.hits]), found.has_next)


def _by_id(viewer: Viewer, ids: list[int]) -> Iterator[Insight]:
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        rows = {
            i.pk: i
            for i in selectors.insights(viewer, status=None)
            .filter(pk__in=chunk)
            .select_related("session")
        }
        yield from (rows[pk] for pk in chunk if pk in rows)
