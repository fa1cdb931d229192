"""The import itself: one transaction per file, rows written as plain INSERTs on the database
cursor (``executemany`` in chunks of ``CHUNK_ROWS``) so the insight table's triggers see every
row, idempotence by the file's SHA-256 (also when two imports of one file race), and one
audit event for the whole import.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any, BinaryIO

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from traction.core import audit, permissions
from traction.core.permissions import Viewer
from traction.insights import parsers
from traction.insights.models import ImportBatch, Insight, InsightSource, InsightStatus, Step
from traction.sessions.models import Session

from .decisions import _Attributions, _refuse_undecided, _Steps
from .reading import (
    _Counting,
    _detect,
    _fingerprint,
    _layout,
    _placement,
    _records,
    _refuse,
    _scenario,
    _tags,
)
from .shapes import CHUNK_ROWS, ImportOptions, ImportResult, Progress


def _columns() -> list[str]:
    return [f.column for f in Insight._meta.concrete_fields if not f.primary_key]


def _insert_sql() -> str:
    quote = connection.ops.quote_name
    names = _columns()
    # Identifiers come from the model's own metadata, quoted; values travel as parameters.
    table = quote(Insight._meta.db_table)
    columns = ", ".join(quote(n) for n in names)
    marks = ", ".join(["%s"] * len(names))
    return f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608


def _insert_chunk(cursor: Any, sql: str, rows: Sequence[tuple[Any, ...]]) -> None:
    """One chunk of plain INSERTs (triggers on the insight table see every row)."""
    cursor.executemany(sql, rows)


def import_file(
    actor: Viewer,
    *,
    session: Session,
    stream: BinaryIO,
    filename: str,
    options: ImportOptions | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import one file into the session's map and review queue, all or nothing.

    The same file (by SHA-256) imported again adds nothing (``created`` False). A bad line,
    an unmatched speaker or unknown step left undecided (``options``), or a refused mapping
    raises ``ValidationFailed`` and writes nothing. ``progress`` is called with the bytes
    read so far and the file's size.
    """
    permissions.check(actor, "insight.import", session)
    options = options or ImportOptions()
    sha256, size = _fingerprint(stream)
    existing = ImportBatch.objects.filter(session=session, sha256=sha256).first()
    if existing is not None:
        return ImportResult(batch=existing, created=False)
    fmt = _detect(stream, filename, options.format)
    layout = _layout(stream, options.columns) if fmt == "csv" else None
    try:
        return _import(
            actor, session, stream, filename, options, progress, fmt, layout, sha256, size
        )
    except IntegrityError:
        # Someone imported the same file at the same moment: theirs won, ours added nothing.
        existing = ImportBatch.objects.filter(session=session, sha256=sha256).first()
        if existing is None:
            raise
        return ImportResult(batch=existing, created=False)


@transaction.atomic
def _import(
    actor: Viewer,
    session: Session,
    stream: BinaryIO,
    filename: str,
    options: ImportOptions,
    progress: Progress | None,
    fmt: str,
    layout: parsers.CsvLayout | None,
    sha256: str,
    size: int,
) -> ImportResult:
    scenario = _scenario(session, options.scenario_id)
    who = _Attributions(actor, session, options)
    step_of = _Steps(actor, session, scenario, options.unknown_steps)
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
    )
    # Every column of the insight table, in table order; what a row does not set is the
    # field's default, computed once.
    fields = [f for f in Insight._meta.concrete_fields if not f.primary_key]
    defaults = {f.attname: f.get_default() for f in fields}
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    fixed = {
        **defaults,
        "workspace_id": session.workspace_id,
        "program_id": session.program_id,
        "session_id": session.pk,
        "source": InsightSource.IMPORT,
        "batch_id": batch.pk,
        "captured_by_id": actor.user_id,
        "created_at": now,
        "version": 1,
        "merged_into_id": None,
    }
    attnames = [f.attname for f in fields]
    at = {name: n for n, name in enumerate(attnames)}
    template = [fixed.get(name) for name in attnames]
    i_scenario, i_step, i_kind, i_text = (at[n] for n in ("scenario_id", "step_id", "kind", "text"))
    i_contact, i_user, i_name, i_customer = (
        at[n] for n in ("speaker_contact_id", "speaker_user_id", "speaker_name", "customer_id")
    )
    i_internal, i_tags, i_status, i_line, i_ms = (
        at[n] for n in ("internal", "tags", "status", "source_line", "spoken_at_ms")
    )
    scenario_of_step: dict[int, int] = dict(
        Step.objects.filter(scenario__session=session).values_list("pk", "scenario_id")
    )
    counting = io.BufferedReader(_Counting(stream, size, progress), buffer_size=256 * 1024)
    sql = _insert_sql()
    accepted = candidates = 0
    chunk: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        try:
            for record in _records(counting, fmt, layout):
                contact_id, user_id, customer_id, internal, shown = who(record.speaker, record.line)
                step_id = step_of(record.step, record.line) if record.step else None
                kind, placed = _placement(fmt, record.kind, step_id is not None)
                if placed or options.accept:
                    status = InsightStatus.ACCEPTED
                    accepted += 1
                else:
                    status = InsightStatus.CANDIDATE
                    candidates += 1
                row = template.copy()
                if step_id is not None:
                    if step_id not in scenario_of_step:  # created during this import
                        scenario_of_step[step_id] = scenario.pk if scenario else 0
                    row[i_step] = step_id
                    row[i_scenario] = scenario_of_step[step_id]
                elif scenario is not None:
                    row[i_scenario] = scenario.pk
                row[i_kind] = kind
                row[i_text] = record.text
                row[i_contact] = contact_id
                row[i_user] = user_id
                row[i_name] = shown[:160]
                row[i_customer] = customer_id
                row[i_internal] = internal
                row[i_tags] = _tags(record)
                row[i_status] = status
                row[i_line] = record.line
                row[i_ms] = record.start_ms
                chunk.append(tuple(row))
                if len(chunk) >= CHUNK_ROWS:
                    _insert_chunk(cursor, sql, chunk)
                    chunk = []
        except parsers.ParseError as exc:
            raise _refuse(exc) from None
        if chunk:
            _insert_chunk(cursor, sql, chunk)
    rows = accepted + candidates
    _refuse_undecided(who, step_of, rows)
    batch.rows = rows
    batch.save(update_fields=["rows"])
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
