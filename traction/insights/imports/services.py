"""The import itself, built so that a large file never holds the database for long.

1. **Check everything first, writing nothing**: the file is parsed once (``preview_import``,
   or the preview the caller already made of the same bytes, whose parsed rows it reuses)
   and every refusal (a bad line, unmatched speakers, unknown steps, a mapping to nobody) is
   raised before the first write, so a refused import leaves nothing behind and holds no
   lock.
2. **One short transaction** creates the batch (marked in progress), the new contacts and the
   new steps. The unique (session, SHA-256) constraint makes a racing import of the same
   file stop here.
3. **The rows, in committed chunks** of ``CHUNK_ROWS``, each chunk one ``executemany`` of
   one INSERT on Django's cursor (``_Insert``: what ``bulk_create`` would store, without
   preparing every value of every row through its field; the full-text index follows every
   insert as for any other insight: see ``search``); each chunk's transaction also counts
   the rows written and refreshes the batch's ``progress_at``. Between chunks other users write:
   on SQLite one transaction of 400,000 rows would hold the only write lock for tens of
   seconds and their writes would fail with "database is locked". Rows of a batch in
   progress are hidden (``ImportBatch.visible_insights``).
4. **One short transaction** marks the batch complete and records the audit event.

A process that dies midway leaves a batch in progress whose ``progress_at`` stops moving;
after ``STALE_AFTER`` the next import into the session deletes what it wrote (in chunks too)
and, for the same file, imports it afresh. An import that fails with an error midway cleans
up at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, BinaryIO

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from traction.core import audit, clock, permissions
from traction.core.errors import Conflict, ValidationFailed
from traction.core.permissions import Viewer
from traction.insights.imports import parsers
from traction.insights.models import ImportBatch, Insight, InsightSource, InsightStatus, Step
from traction.sessions.models import Session

from .decisions import Attributions, Steps, refuse_undecided
from .preview import read_file, refuse_bidi_name
from .reading import earlier_import, fingerprint, placement, tags_of
from .selectors import import_speakers
from .shapes import CHUNK_ROWS, ImportOptions, ImportResult, Preview, Progress, Rows

log = logging.getLogger(__name__)

# SQLite: after this much writing (seconds), the import leaves the write lock free for
# PAUSE_FOR, longer than the 100 ms between two polls of a writer waiting for it (see
# _TakeTurns): others wait about a second at most, for at most a tenth more import time
# (less: building the next chunk happens while the lock is free, and counts).
WRITE_FOR = 1.0
PAUSE_FOR = 0.11

# An import in progress whose last chunk is older than this is taken for dead: its process
# ended without finishing (a chunk takes well under a second, or at worst the busy timeout).
STALE_AFTER = timedelta(minutes=5)


def import_file(
    actor: Viewer,
    *,
    session: Session,
    stream: BinaryIO,
    filename: str,
    options: ImportOptions | None = None,
    progress: Progress | None = None,
    preview: Preview | None = None,
) -> ImportResult:
    """Import one file into the session's map and review queue, all or nothing.

    The same file (by SHA-256) imported again adds nothing (``created`` False); while it is
    still being imported, ``Conflict``. A bad line, an unmatched speaker or unknown step left
    undecided (``options``), or a refused mapping raises ``ValidationFailed`` before anything
    is written. ``preview``: a preview of this very file read with the same ``options``
    (scenario, columns, format): the import decides from it and writes the rows it parsed,
    without parsing the file again. ``progress`` is called with the bytes done so far and the
    file's size (the parse is the first half of the bar, the writing the second).
    """
    permissions.check(actor, "insight.import", session)
    refuse_bidi_name(filename)
    options = options or ImportOptions()
    sha256, size = fingerprint(stream)
    existing = _earlier(session, sha256)
    if existing is not None:
        return ImportResult(batch=existing, created=False)
    first_half, second_half = _halves(progress)
    usable = (
        preview is not None
        and preview.records is not None
        and preview.sha256 == sha256
        and preview.read_with == options.reading()
        and not preview.needs_text_column  # read again: refused, naming the column to choose
    )
    if not usable:
        people = import_speakers(session, actor.user_id)
        preview = read_file(
            session, stream, filename, options, sha256, size, first_half, speakers=people
        )
    assert preview is not None
    assert preview.records is not None
    # As the checking read saw the file: its format and (CSV) column layout.
    fmt, layout, scenario = preview.format, preview.layout, preview.scenario
    who = Attributions(actor, session, options)
    who.decide(preview.speakers)
    step_of = Steps(actor, session, scenario, options.unknown_steps)
    step_of.decide(preview.unknown_step_lines)
    refuse_undecided(who, step_of, preview.rows)  # nothing is written before this line
    _clean_abandoned(session)
    try:
        batch = _begin(actor, session, options, fmt, layout, filename, sha256, size, who, step_of)
    except IntegrityError:
        # Someone imported the same file at the same moment: theirs won, ours adds nothing.
        existing = _earlier(session, sha256)
        if existing is None:
            raise
        return ImportResult(batch=existing, created=False)
    try:
        accepted, candidates = _write_rows(
            actor,
            session,
            preview.records,
            preview.rows,
            options,
            fmt,
            batch,
            who,
            step_of,
            size,
            second_half,
        )
    except BaseException:
        try:
            _discard(batch)
        except Exception:  # e.g. the database went away: the next import cleans up
            log.exception("import %s: could not clean up after a failure", batch.pk)
        raise
    return _finish(actor, batch, fmt, sha256, accepted, candidates, who, step_of)


def _halves(progress: Progress | None) -> tuple[Progress | None, Progress | None]:
    """Progress of the checking read as the first half of the bar, the writing as the second."""
    if progress is None:
        return None, None

    def first(done: int, total: int) -> None:
        progress(done // 2, total)

    def second(done: int, total: int) -> None:
        progress(total - (total - done) // 2, total)

    return first, second


def _earlier(session: Session, sha256: str) -> ImportBatch | None:
    """The earlier import of this file into the session, if any (``Conflict`` while it is
    still being written; an abandoned one is cleaned up and forgotten)."""
    existing = earlier_import(session, sha256)
    if existing is None or not existing.in_progress:
        return existing
    stale = existing.progress_at is None or existing.progress_at < clock.now() - STALE_AFTER
    if not stale:
        assert existing.progress_at is not None
        last = timezone.localtime(existing.progress_at)
        retry = timezone.localtime(existing.progress_at + STALE_AFTER)
        zone = timezone.get_current_timezone_name()  # the workspace's, on its pages
        raise Conflict(
            f"{existing.filename} is being imported into this session right now "
            f"({existing.rows:,} rows so far, last progress at {last:%H:%M:%S} ({zone})). Try "
            f"again when it has finished; if that import was interrupted, try again after "
            f"{retry:%H:%M:%S} and what it wrote is replaced."
        )
    # Take the abandoned batch over (only one of several racing importers wins the update).
    if ImportBatch.objects.filter(pk=existing.pk, progress_at=existing.progress_at).update(
        progress_at=clock.now()
    ):
        _discard(existing)
        return None
    raise Conflict(f"{existing.filename} is being cleaned up after an interrupted import.")


def _clean_abandoned(session: Session) -> None:
    """Remove what interrupted imports of other files into the session left (hidden rows)."""
    cutoff = clock.now() - STALE_AFTER
    for batch in ImportBatch.objects.filter(
        session=session, in_progress=True, progress_at__lt=cutoff
    ):
        taken = ImportBatch.objects.filter(pk=batch.pk, progress_at=batch.progress_at).update(
            progress_at=clock.now()
        )
        if taken:  # not another importer's, cleaning up at the same moment
            _discard(batch)


def _discard(batch: ImportBatch) -> None:
    """Delete an unfinished batch and the rows it wrote, a chunk per transaction."""
    ids = Insight.objects.filter(batch=batch).values_list("pk", flat=True).order_by("pk")
    while chunk := list(ids[:CHUNK_ROWS]):
        with transaction.atomic():
            Insight.objects.filter(pk__in=chunk).delete()
    ImportBatch.objects.filter(pk=batch.pk, in_progress=True).delete()


@transaction.atomic
def _begin(
    actor: Viewer,
    session: Session,
    options: ImportOptions,
    fmt: str,
    layout: parsers.CsvLayout | None,
    filename: str,
    sha256: str,
    size: int,
    who: Attributions,
    step_of: Steps,
) -> ImportBatch:
    """The batch (in progress), the new contacts and the new steps: one short transaction."""
    scenario = step_of.scenario
    mapping: dict[str, Any] = {
        "speakers": dict(options.speakers),
        "unmatched": options.unmatched,
        "scenario": scenario.pk if scenario else None,
        "unknown_steps": options.unknown_steps,
        "accept": options.accept,
    }
    if layout is not None:
        mapping["delimiter"] = layout.delimiter
        mapping["columns"] = {
            k: (layout.headers[v] if v is not None else None) for k, v in layout.mapping.items()
        }
    batch = ImportBatch.objects.create(
        workspace_id=session.workspace_id,
        session=session,
        format=fmt,
        filename=filename[:255],
        sha256=sha256,
        size=size,
        mapping=mapping,
        created_by_id=actor.user_id,
        in_progress=True,
        progress_at=clock.now(),
    )
    who.create_contacts()
    step_of.create_steps()
    return batch


# The columns an import sets row by row, in the order ``_write_rows`` gives them; every other
# column of the insight table holds the same value for every row of an import (``_Insert``).
PER_ROW = (
    "scenario_id",
    "step_id",
    "kind",
    "text",
    "speaker_contact_id",
    "speaker_user_id",
    "speaker_name",
    "customer_id",
    "internal",
    "tags",
    "status",
    "source_line",
    "spoken_at_ms",
)
ACCEPTED, CANDIDATE = InsightStatus.ACCEPTED.value, InsightStatus.CANDIDATE.value


class _Insert:
    """The one parameterised INSERT an import writes its rows with, run by ``executemany``
    on Django's cursor (``%s`` placeholders on every backend), and what every row of the
    import has in common.

    Each row gives the ``PER_ROW`` columns as plain values (strings, whole numbers, None, a
    bool): a driver stores them as the fields would. Every other column holds one value for
    the whole import, given in ``fixed`` or the field's default, made ready for the database
    once by its field (``pre_save`` then ``get_db_prep_save``, as ``bulk_create`` does for
    every value of every row): the time of the import as the backend stores date-times, for
    one. The insight table's triggers see every row as for any other insert: the full-text
    index follows.
    """

    def __init__(self, **fixed: Any) -> None:
        fields = [f for f in Insight._meta.concrete_fields if not f.primary_key]
        by_name = {f.attname: f for f in fields}
        common = [f for f in fields if f.attname not in PER_ROW]
        template = Insight(**fixed)  # the defaults of every field not in ``fixed``
        self.common = tuple(
            f.get_db_prep_save(f.pre_save(template, add=True), connection) for f in common
        )
        quote = connection.ops.quote_name
        columns = [by_name[name].column for name in PER_ROW] + [f.column for f in common]
        # Identifiers from the model's own metadata, quoted; values travel as parameters.
        self.sql = (
            f"INSERT INTO {quote(Insight._meta.db_table)} "  # noqa: S608
            f"({', '.join(quote(c) for c in columns)}) "
            f"VALUES ({', '.join(['%s'] * len(columns))})"
        )

    def row(self, *values: Any) -> tuple[Any, ...]:
        """The parameters of one row: its ``PER_ROW`` values, then the common ones."""
        return values + self.common


def _write_rows(
    actor: Viewer,
    session: Session,
    records: Rows,
    total: int,
    options: ImportOptions,
    fmt: str,
    batch: ImportBatch,
    who: Attributions,
    step_of: Steps,
    size: int,
    progress: Progress | None,
) -> tuple[int, int]:
    """Every row the checking read parsed, as insights in chunks each committed with the
    batch's count: (accepted, candidates)."""
    scenario = step_of.scenario
    scenario_of_step: dict[int, int] = dict(
        Step.objects.filter(scenario__session=session).values_list("pk", "scenario_id")
    )
    insert = _Insert(
        workspace_id=session.workspace_id,
        program_id=session.program_id,
        session_id=session.pk,
        source=InsightSource.IMPORT,
        batch_id=batch.pk,
        captured_by_id=actor.user_id,
        created_at=clock.now(),
    )
    turns = _TakeTurns()
    accepted = candidates = 0
    chunk: list[tuple[Any, ...]] = []
    for record in records:
        contact_id, user_id, customer_id, internal, shown = who(record.speaker, record.line)
        step_id = step_of(record.step, record.line) if record.step else None
        kind, placed = placement(fmt, record.kind, step_id is not None)
        if placed or options.accept:
            status = ACCEPTED
            accepted += 1
        else:
            status = CANDIDATE
            candidates += 1
        scenario_id = scenario.pk if scenario is not None else None
        if step_id is not None:
            if step_id not in scenario_of_step:  # created during this import
                scenario_of_step[step_id] = scenario.pk if scenario else 0
            scenario_id = scenario_of_step[step_id]
        try:
            tags = tags_of(record)
        except parsers.ParseError as exc:  # checked by the read; only if the rules changed
            raise ValidationFailed.field("file", str(exc)) from None
        chunk.append(
            insert.row(
                scenario_id,
                step_id,
                str(kind),
                record.text,
                contact_id,
                user_id,
                shown[:160],
                customer_id,
                internal,
                tags,
                status,
                record.line,
                record.start_ms,
            )
        )
        if len(chunk) >= CHUNK_ROWS:
            turns()
            _commit_chunk(insert, chunk, batch)
            turns.released()
            chunk = []
            if progress is not None:
                progress(size * (accepted + candidates) // max(total, 1), size)
    if chunk:
        turns()
        _commit_chunk(insert, chunk, batch)
    if progress is not None:
        progress(size, size)
    return accepted, candidates


class _TakeTurns:
    """Leave SQLite's one write lock free now and then, long enough for others to take it.

    A writer waiting for the lock polls for it, at most every 100 ms once it has waited a
    little (SQLite's busy handler); an import committing chunk after chunk wins nearly every
    race, and an unlucky user's save could wait seconds. So after every ``WRITE_FOR`` of
    writing, the import leaves the lock free for ``PAUSE_FOR``, longer than one poll, before
    it takes it again. The time spent building the next chunk (outside any transaction)
    counts: it sleeps only what is missing. Only when its chunks really commit (not inside
    an outer transaction, as in tests) and only on SQLite: PostgreSQL locks rows.
    """

    def __init__(self) -> None:
        self.active = connection.vendor == "sqlite" and not connection.in_atomic_block
        self.since = self.free_since = time.monotonic()

    def released(self) -> None:
        """A chunk committed: the lock is free from now on."""
        self.free_since = time.monotonic()

    def __call__(self) -> None:
        """About to take the lock for the next chunk: when due, first let it stay free for
        ``PAUSE_FOR`` in all."""
        if not self.active:
            return
        now = time.monotonic()
        if now - self.since >= WRITE_FOR:
            time.sleep(max(0.0, PAUSE_FOR - (now - self.free_since)))
            self.since = time.monotonic()


def _commit_chunk(insert: _Insert, rows: Sequence[tuple[Any, ...]], batch: ImportBatch) -> None:
    """One chunk of rows in one transaction (one ``executemany``), with the batch's count
    and heartbeat."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(insert.sql, rows)
        ImportBatch.objects.filter(pk=batch.pk).update(
            rows=F("rows") + len(rows), progress_at=clock.now()
        )


@transaction.atomic
def _finish(
    actor: Viewer,
    batch: ImportBatch,
    fmt: str,
    sha256: str,
    accepted: int,
    candidates: int,
    who: Attributions,
    step_of: Steps,
) -> ImportResult:
    rows = accepted + candidates
    batch.rows = rows
    batch.in_progress = False
    batch.progress_at = clock.now()
    batch.save(update_fields=["rows", "in_progress", "progress_at"])
    audit.record(
        actor,
        action="insights.imported",
        obj=batch,
        changes={
            "filename": batch.filename,
            "format": fmt,
            "rows": rows,
            "sha256": sha256,
            "accepted": accepted,
            "candidates": candidates,
            "new_contacts": who.new_contacts,
            "new_steps": step_of.created,
        },
    )
    return ImportResult(
        batch=batch,
        created=True,
        candidates=candidates,
        accepted=accepted,
        new_contacts=tuple(who.new_contacts),
        new_steps=tuple(step_of.created),
    )
