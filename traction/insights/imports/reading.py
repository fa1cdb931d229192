"""Reading an import file: the fingerprint (SHA-256 and size, refusing empty and oversized
files), the format, the CSV column layout, and every row as a ``Record`` streamed with its line
number; plus the small per-row rules shared by the preview and the import (tags, step keys,
the chosen scenario, where a row lands) and a byte-counting stream for progress bars.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator, Mapping
from typing import IO, Any, BinaryIO

from traction.core import csv_reader
from traction.core.errors import ValidationFailed
from traction.insights import services
from traction.insights.imports import parsers
from traction.insights.models import GRID_KINDS, ImportBatch, InsightKind, Scenario
from traction.sessions.models import Session

from .shapes import MAX_TEXT, Progress, Record


class Counting(io.RawIOBase):
    """A readable view of a stream that reports the bytes read so far (for progress bars)."""

    def __init__(self, raw: IO[bytes], total: int, progress: Progress | None) -> None:
        self._raw = raw
        self._total = total
        self._progress = progress
        self.done = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        position = self._raw.seek(offset, whence)
        self.done = position
        return position

    def tell(self) -> int:
        return self._raw.tell()

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        buffer[: len(data)] = data
        self.done += len(data)
        if self._progress is not None:
            self._progress(min(self.done, self._total), self._total)
        return len(data)


def fingerprint(stream: IO[bytes]) -> tuple[str, int]:
    """SHA-256 and size of the whole stream; refuses files over ``parsers.MAX_BYTES``."""
    digest = hashlib.sha256()
    size = 0
    stream.seek(0)
    while block := stream.read(1024 * 1024):
        size += len(block)
        if size > parsers.MAX_BYTES:
            raise ValidationFailed.field(
                "file",
                f"The file is larger than {parsers.MAX_BYTES // (1024 * 1024)} MB; "
                "split it into smaller files and import each.",
            )
        digest.update(block)
    stream.seek(0)
    if size == 0:
        raise ValidationFailed.field("file", "The file is empty.")
    return digest.hexdigest(), size


def refuse(exc: parsers.ParseError | csv_reader.CsvRefused) -> ValidationFailed:
    return ValidationFailed.field("file", str(exc))


def earlier_import(session: Session, sha256: str) -> ImportBatch | None:
    """The import of this file into the session that stands (a discarded one does not: the
    same file may be imported again after its batch was discarded)."""
    return ImportBatch.objects.filter(
        session=session, sha256=sha256, discarded_at__isnull=True
    ).first()


def detect(stream: IO[bytes], filename: str, forced: str | None) -> str:
    if forced:
        if forced not in parsers.FORMATS:
            raise ValidationFailed.field(
                "format", f"Pick one of: {', '.join(parsers.FORMATS)} (not “{forced}”)."
            )
        return forced
    head = stream.read(64 * 1024)
    stream.seek(0)
    try:
        return parsers.detect_format(filename, head)
    except parsers.ParseError as exc:
        raise refuse(exc) from None


def layout_of(
    stream: BinaryIO, columns: Mapping[str, int | None] | None, ask_columns: bool = False
) -> parsers.CsvLayout:
    """The CSV's layout: guessed from its header, with the ``columns`` chosen. No text
    column (none guessed, or none chosen) is refused, unless ``ask_columns`` (the web
    preview, which then shows the columns for the user to choose)."""
    try:
        layout = parsers.sniff_csv(stream)
    except parsers.ParseError as exc:
        raise refuse(exc) from None
    if columns is None:
        if layout.mapping.get("text") is None and not ask_columns:
            raise _no_text_column(layout)
        return layout
    unknown = sorted(set(columns) - set(parsers.CSV_FIELDS))
    if unknown:
        raise ValidationFailed.field(
            "columns",
            f"Unknown field{'' if len(unknown) == 1 else 's'} {', '.join(unknown)}; "
            f"map {', '.join(parsers.CSV_FIELDS)}.",
        )
    mapping = {**layout.mapping, **columns}
    if mapping.get("text") is None and not ask_columns:
        raise _no_text_column(layout)
    for name, index in mapping.items():
        if index is not None and not 0 <= index < len(layout.headers):
            raise ValidationFailed.field(
                "columns",
                f"The column chosen for “{name}” ({index + 1}) is not in the file, which has "
                f"{len(layout.headers)} columns.",
            )
    return parsers.CsvLayout(layout.delimiter, layout.headers, mapping, layout.sep_line)


def _no_text_column(layout: parsers.CsvLayout) -> ValidationFailed:
    """No column holds the note text: say which columns the file has, and how to choose."""
    found = ", ".join(f"{n}. “{h or '(no header)'}”" for n, h in enumerate(layout.headers, 1))
    return ValidationFailed.field(
        "columns",
        f"Choose the column that holds the note text: none of the file's columns looks like "
        f"it. Its columns are {found}; choose the one that holds the text (the preview's "
        f"“Note text”, the CLI's --column text=HEADER, the API's columns "
        f'{{"text": "HEADER"}}).',
    )


def read_records(
    stream: BinaryIO, fmt: str, layout: parsers.CsvLayout | None, cap: csv_reader.RowCap
) -> Iterator[Record]:
    """Every row of the file as a Record, streamed; ParseError on the first bad line, and
    ``csv_reader.TooManyRows`` at the first row past ``cap``'s limit (the rest unread)."""
    for record in _records(stream, fmt, layout):
        cap.count(record.line)
        yield record


def _records(stream: BinaryIO, fmt: str, layout: parsers.CsvLayout | None) -> Iterator[Record]:
    if fmt == "csv":
        assert layout is not None
        for row in parsers.iter_csv(stream, layout):
            if len(row.text) > MAX_TEXT:
                raise parsers.ParseError(
                    f"This note is longer than {MAX_TEXT:,} characters; shorten or split it.",
                    row.line,
                )
            yield Record(row.line, row.author, row.text, None, row.kind, row.step, row.tags)
    else:
        for cue in parsers.utterances(parsers.iter_cues(stream, fmt)):
            yield Record(cue.line, cue.speaker, cue.text[:MAX_TEXT], cue.start_ms)


def tags_of(record: Record) -> str:
    if not record.tags:
        return ""
    try:
        return services.normalize_tags(record.tags)
    except ValidationFailed as exc:
        reason = f"Tags: {' '.join(exc.errors['tags'])}"
        if reason.startswith("Tags: At most"):
            most = services.MAX_TAGS
            reason = f"This note has more than {most} tags; keep at most {most}."
        raise parsers.ParseError(reason, record.line) from None


def step_key(title: str) -> str:
    return " ".join(title.casefold().split())


def scenario_of(session: Session, scenario_id: int | None) -> Scenario | None:
    if scenario_id is None:
        return None
    found = Scenario.objects.filter(session=session, pk=scenario_id).first()
    if found is None:
        raise ValidationFailed.field("scenario", "Pick one of this session's scenarios.")
    return found


def placement(fmt: str, kind_cell: str, has_step: bool) -> tuple[str, bool]:
    """(kind, goes onto the map right away) for a row, before ``accept``."""
    if fmt != "csv":
        return InsightKind.QUOTE, False
    kind = parsers.kind_from(kind_cell) if kind_cell else None
    if kind is None:
        return InsightKind.IDEA, False
    return kind, has_step or kind not in GRID_KINDS
