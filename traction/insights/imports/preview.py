"""The preview: read the whole file and say what importing it would do (rows, a sample, the
speakers found and whom they match, unknown step names, an earlier import of the same file),
writing nothing. A bad file is refused exactly as the import would refuse it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any, BinaryIO, cast

from traction.core import csv_reader, permissions
from traction.core.errors import ValidationFailed
from traction.core.permissions import Viewer
from traction.core.text import bidi_control, bidi_message
from traction.insights.imports import parsers
from traction.insights.imports import speakers as speaker_names
from traction.insights.models import InsightKind
from traction.insights.selectors import Speaker
from traction.sessions.models import Session

from .reading import (
    Counting,
    detect,
    earlier_import,
    fingerprint,
    layout_of,
    placement,
    read_records,
    refuse,
    scenario_of,
    step_key,
    tags_of,
)
from .selectors import import_speakers
from .shapes import SAMPLE_ROWS, ImportOptions, Preview, Progress, Rows, SpeakerFound


def preview_import(
    actor: Viewer,
    *,
    session: Session,
    stream: BinaryIO,
    filename: str,
    options: ImportOptions | None = None,
    progress: Progress | None = None,
    ask_columns: bool = False,
) -> Preview:
    """Read the whole file and say what importing it would do; writes nothing.

    Refuses a bad file (``ValidationFailed`` on "file", with the line number) exactly as the
    import would. The file is parsed here once: ``import_file`` takes the preview back
    (``preview=``), decides everything from it and writes the rows it kept, without parsing
    the file again.

    ``ask_columns`` (the web preview, which has column choosers): a CSV none of whose
    columns looks like the note text, or posted back with no text column, is not refused
    but previewed as its columns alone (``Preview.needs_text_column``, no rows), for the
    user to choose them; the import refuses such a preview.
    """
    permissions.check(actor, "insight.import", session)
    refuse_bidi_name(filename)
    options = options or ImportOptions()
    sha256, size = fingerprint(stream)
    people = import_speakers(session, actor.user_id)
    return read_file(
        session,
        stream,
        filename,
        options,
        sha256,
        size,
        progress,
        speakers=people,
        ask_columns=ask_columns,
    )


def bidi_name_message(filename: str) -> str | None:
    """Why a file named ``filename`` is refused (its name holds a bidirectional control
    character, kept as the import's source name and shown on every page), or None."""
    ch = bidi_control(filename)
    return None if ch is None else bidi_message(ch, "The file's name")


def refuse_bidi_name(filename: str, field: str = "file") -> None:
    """``ValidationFailed`` on ``field`` for a file name ``bidi_name_message`` refuses, before
    anything is read or written (the web form, the API and the CLI check it first too)."""
    if (message := bidi_name_message(filename)) is not None:
        raise ValidationFailed.field(field, message)


def read_file(
    session: Session,
    stream: BinaryIO,
    filename: str,
    options: ImportOptions,
    sha256: str,
    size: int,
    progress: Progress | None = None,
    *,
    speakers: Sequence[Speaker],
    ask_columns: bool = False,
) -> Preview:
    """The one parse of a file: everything the preview shows and the import decides from,
    and every row kept in ``Preview.records`` (so the import never parses it again). The
    names written in the file are matched to ``speakers`` (``selectors.import_speakers``).

    A file in UTF-16 or Windows-1252 (what Excel saves) is read re-encoded as UTF-8, line for
    line (``core.csv_reader``, as every imported CSV); the preview names the encoding."""
    encoding = csv_reader.encoding_of(stream)
    try:
        text = cast(BinaryIO, csv_reader.as_utf8(stream, encoding))
        fmt = detect(text, filename, options.format)
        layout = layout_of(text, options.columns, ask_columns) if fmt == "csv" else None
    except csv_reader.CsvRefused as exc:
        raise refuse(exc) from None
    scenario = scenario_of(session, options.scenario_id)
    if ask_columns and layout is not None and layout.mapping.get("text") is None:
        return Preview(
            filename=filename,
            format=fmt,
            sha256=sha256,
            size=size,
            rows=0,
            sample=[],
            speakers=[],
            unknown_steps=[],
            layout=layout,
            scenario=scenario,
            already=earlier_import(session, sha256),
            read_with=options.reading(),
            records=Rows(),
            encoding=encoding,
        )
    steps = {step_key(s.title): s for s in scenario.steps.all()} if scenario else {}
    people = [(p, p.name) for p in speakers]  # ``import_speakers``
    found: dict[str, SpeakerFound] = {}
    unknown: dict[str, int] = {}  # step title -> first line
    sample: list[dict[str, Any]] = []
    rows = 0
    onto_map = 0  # rows placed by their type (and step) without ``accept``
    kept = Rows()
    reading: BinaryIO = stream
    if progress is not None:
        reading = io.BufferedReader(Counting(stream, size, progress), buffer_size=256 * 1024)
    reading = cast(BinaryIO, csv_reader.as_utf8(reading, encoding))
    reading.seek(0)
    try:
        cap = csv_reader.RowCap(csv_reader.row_cap("insights"), filename)
        for record in read_records(reading, fmt, layout, cap):
            rows += 1
            kept.add(record)
            tags_of(record)
            if record.speaker:
                if record.speaker in found:
                    found[record.speaker].rows += 1
                else:
                    found[record.speaker] = SpeakerFound(
                        record.speaker, 1, record.line, speaker_names.match(record.speaker, people)
                    )
            step = steps.get(step_key(record.step)) if record.step else None
            if record.step and step is None:
                unknown.setdefault(record.step.strip(), record.line)
            kind, placed = placement(fmt, record.kind, step is not None)
            onto_map += placed
            if len(sample) < SAMPLE_ROWS:
                # A row naming a step the scenario lacks goes onto the map only if that step is
                # created on import: the preview says so rather than guess the choice.
                new_step = bool(record.step) and step is None
                placed_if_created = new_step and placement(fmt, record.kind, True)[1]
                sample.append(
                    {
                        "line": record.line,
                        "speaker": speaker_names.display_name(record.speaker),
                        "written": record.speaker,
                        "text": record.text,
                        "kind": InsightKind(kind).label,
                        "step": record.step,
                        "tags": " ".join(record.tags),
                        "at": _clock(record.start_ms),
                        "onto_map": placed or options.accept,
                        "new_step": new_step,
                        "onto_map_if_created": placed_if_created and not placed,
                    }
                )
    except (parsers.ParseError, csv_reader.CsvRefused) as exc:
        kept.close()
        raise refuse(exc) from None
    if rows == 0:
        kept.close()
        raise ValidationFailed.field("file", "The file holds no notes or cues to import.")
    return Preview(
        filename=filename,
        format=fmt,
        sha256=sha256,
        size=size,
        rows=rows,
        sample=sample,
        speakers=sorted(found.values(), key=lambda s: s.first_line),
        unknown_steps=list(unknown),
        layout=layout,
        scenario=scenario,
        already=earlier_import(session, sha256),
        unknown_step_lines=unknown,
        read_with=options.reading(),
        records=kept,
        encoding=encoding,
        onto_map=onto_map,
    )


def _clock(ms: int | None) -> str:
    if ms is None:
        return ""
    seconds = ms // 1000
    return f"{seconds // 3600:d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
