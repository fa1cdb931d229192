"""The constants and data shapes of an import: the module-level settings (chunk size, sample
size, longest text, the speaker-mapping markers), the options the user confirms
(``ImportOptions``), one row of any file (``Record``), what a preview shows (``Preview``,
``SpeakerFound``) and what an import returns (``ImportResult``). Every other module of the
package reads its constants from here.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any, Literal

from django.utils import timezone

from traction.core import csv_reader
from traction.core.dates import short
from traction.insights import selectors
from traction.insights.imports import parsers
from traction.insights.models import ImportBatch, Scenario

CHUNK_ROWS = 2000  # rows per committed chunk (one executemany): fast, and memory stays flat
SAMPLE_ROWS = 8  # rows shown on the preview
# The checking read keeps the rows it parsed for the import to write without parsing the file
# again: up to KEEP_ROWS as they are (a long session's transcript: a few MB), past that as
# JSON lines in a temporary file, in memory up to SPOOL_IN_MEMORY bytes, then on disk, so
# memory stays flat however large the file.
KEEP_ROWS = 5_000
SPOOL_IN_MEMORY = 1024 * 1024
MAX_TEXT = 5000  # the longest insight text (as in live capture)
UNATTRIBUTED = "-"  # speaker mapping: keep the name as written, credit nobody
NEW_CONTACT = "new:"  # speaker mapping prefix: "new:<customer id>" creates a contact there

Progress = Callable[[int, int], None]  # (bytes read so far, total bytes)
Unmatched = Literal["ask", "keep"]
UnknownSteps = Literal["ask", "create", "ignore"]


@dataclass(frozen=True)
class ImportOptions:
    """The choices the user confirmed on the preview (or gave the CLI / API).

    ``columns`` maps each CSV field (``parsers.CSV_FIELDS``) to a 0-based column, replacing
    the guessed mapping; ``speakers`` maps names as written in the file to "c:<contact id>",
    "u:<user id>", "new:<customer id>" or "-" (unattributed). ``unmatched``: what to do with
    names matching nobody and not in ``speakers`` ("ask" refuses, listing them; "keep" keeps
    the name unattributed). ``unknown_steps``: step names matching no step of the scenario
    ("ask" refuses, listing them; "create" adds them as steps in order of first appearance;
    "ignore" leaves those rows without a step).
    """

    scenario_id: int | None = None
    columns: Mapping[str, int | None] | None = None
    speakers: Mapping[str, str] = field(default_factory=dict)
    unmatched: Unmatched = "ask"
    unknown_steps: UnknownSteps = "ask"
    accept: bool = False
    format: str | None = None  # forced format; default: detected from name and content

    def reading(self) -> tuple[Any, ...]:
        """The options that change how the file is read (a preview read with other ones
        cannot stand in for the import's own reading)."""
        columns = tuple(sorted(self.columns.items())) if self.columns is not None else None
        return (self.scenario_id, columns, self.format)


@dataclass(frozen=True)
class Record:
    """One row to import, whatever the file format."""

    line: int
    speaker: str
    text: str
    start_ms: int | None = None
    kind: str = ""  # the raw type cell of a sticky note
    step: str = ""
    tags: tuple[str, ...] = ()


class Rows:
    """The rows of a file as one read parsed them, for the import to write without parsing
    the file again: the first ``KEEP_ROWS`` as ``Record``s, the rest (a large file) as JSON
    lines in a binary file: by default a temporary file, in memory up to
    ``SPOOL_IN_MEMORY`` bytes; the web keeps a preview's rows in its staging storage between
    the preview and the confirm (``dump``, then ``Rows(file, start)``)."""

    def __init__(self, file: IO[bytes] | None = None, start: int = 0) -> None:
        self.kept: list[Record] = []
        self.file = file
        self.start = start  # where the first JSON line begins in ``file``

    def add(self, record: Record) -> None:
        if self.file is None:
            if len(self.kept) < KEEP_ROWS:
                self.kept.append(record)
                return
            # Closed with the Rows; rolls over to disk past SPOOL_IN_MEMORY bytes.
            self.file = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
        self.file.write(_line(record))

    def dump(self, out: IO[bytes]) -> None:
        """Every row, as JSON lines, into ``out``."""
        for record in self.kept:
            out.write(_line(record))
        if self.file is not None:
            self.file.seek(self.start)
            shutil.copyfileobj(self.file, out)

    def __iter__(self) -> Iterator[Record]:
        yield from self.kept
        if self.file is None:
            return
        self.file.seek(self.start)
        # readline, not iteration: iterating a Django File starts over from its beginning.
        for line in iter(self.file.readline, b""):
            number, speaker, text, start_ms, kind, step, tags = json.loads(line)
            yield Record(number, speaker, text, start_ms, kind, step, tuple(tags))

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


def _line(r: Record) -> bytes:
    row = (r.line, r.speaker, r.text, r.start_ms, r.kind, r.step, r.tags)
    return json.dumps(row, ensure_ascii=False).encode() + b"\n"


@dataclass
class SpeakerFound:
    name: str  # as written in the file
    rows: int
    first_line: int
    match: selectors.Speaker | None


@dataclass
class Preview:
    """What an import would do, read from the file without writing anything."""

    filename: str
    format: str
    sha256: str
    size: int
    rows: int
    sample: list[dict[str, Any]]
    speakers: list[SpeakerFound]
    unknown_steps: list[str]
    layout: parsers.CsvLayout | None
    scenario: Scenario | None
    already: ImportBatch | None
    unknown_step_lines: dict[str, int] = field(default_factory=dict)  # title -> first line
    read_with: tuple[Any, ...] = ()  # ``ImportOptions.reading()`` of the options used
    records: Rows | None = field(default=None, repr=False)  # every row, as read
    encoding: str = "utf-8"  # as ``core.csv_reader.encoding_of`` found it
    # Rows that go onto the map by their type (and a step of the scenario) even without
    # ``accept``: sticky notes only (a row naming a step still to be created not counted).
    onto_map: int = 0

    @property
    def format_label(self) -> str:
        return parsers.FORMATS[self.format]

    @property
    def read_as(self) -> str:
        """ "Windows-1252" or "UTF-16" when the file was not UTF-8 (the preview says so);
        "" for UTF-8."""
        return "" if self.encoding == "utf-8" else csv_reader.ENCODING_NAMES[self.encoding]

    @property
    def needs_text_column(self) -> bool:
        """A CSV read without a text column (``preview_import(ask_columns=True)``): no rows
        yet, only its columns, for the user to choose which holds the text."""
        return self.layout is not None and self.layout.mapping.get("text") is None

    @property
    def unmatched(self) -> list[SpeakerFound]:
        return [s for s in self.speakers if s.match is None]


@dataclass(frozen=True)
class ImportResult:
    batch: ImportBatch
    created: bool  # False: this file was imported into this session before; nothing added
    candidates: int = 0
    accepted: int = 0
    new_contacts: tuple[str, ...] = ()
    new_steps: tuple[str, ...] = ()

    @property
    def summary(self) -> str:
        name = self.batch.filename
        if not self.created:
            local = timezone.localtime(self.batch.created_at)
            when = f"{short(local)}, {local:%H:%M}"
            when += f" {timezone.get_current_timezone_name()}"  # the workspace's, on its pages
            return (
                f"{name} was already imported into this session ({when}, "
                f"{self.batch.rows:,} rows); nothing was added."
            )
        # "8 sticky notes imported onto the map from wall.csv.", "3 transcript lines imported
        # to the review queue from zoom.vtt.", "380 sticky notes imported onto the map and 42
        # to the review queue from wall.csv."
        noun = "sticky note" if self.batch.format == "csv" else "transcript line"
        first = self.accepted or self.candidates
        where = []
        if self.accepted:
            where.append("onto the map")
        if self.candidates or not self.accepted:
            where.append(
                f"{self.candidates:,} to the review queue" if where else "to the review queue"
            )
        return (
            f"{first:,} {noun}{'' if first == 1 else 's'} imported {' and '.join(where)} "
            f"from {name}."
        )
