"""API operations for imports and the review queue: parse, call one service or selector, shape.

An import is one call: a multipart upload with the file and, as form fields, the choices the
web preview offers (scenario, CSV columns, speaker mapping, unknown steps, accept). It is all
or nothing, and every refusal comes before the first write: a bad file answers 422 naming
the line (`"file: Line 12: …"`), unmatched speakers a 422 listing them, and nothing is
written; the same file imported again answers 200 with `created: false` and adds nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, BinaryIO, Literal, cast

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import ConfigDict, Field

from traction.core.api import InputSchema as StrictInput
from traction.core.api import ObjectId, Pagination, responses, viewer
from traction.core.errors import NotFound, ValidationFailed
from traction.core.guard import find_nul
from traction.insights import selectors, services
from traction.insights.models import ImportBatch, Insight
from traction.insights.schemas import InsightOut

from . import parsers
from .discarding import discard_import as discard_one_import
from .selectors import review_queue
from .services import import_file as import_one_file
from .shapes import ImportOptions

router = Router(tags=["imports and review"])

SPEAKERS_HELP = (
    'JSON object mapping names as written in the file to who said it: "c:<contact id>" or '
    '"u:<user id>" (a participant, see list_speakers), "new:<customer id>" (create a contact '
    'of that customer; not invited) or "-" (keep the name, credit nobody). Names not listed '
    "are matched to the session's participants by name (also “Last, First”)."
)
COLUMNS_HELP = (
    "CSV only. JSON object naming the column header for each field (text, author, kind, step, "
    'tags), or null for none, e.g. {"text": "Sticky note", "step": "Frame"}. Fields not '
    "listed keep the mapping guessed from the headers."
)


class ImportFormIn(Schema):
    """The options of an import, sent as multipart form fields beside the file."""

    model_config = ConfigDict(extra="forbid")

    filename: str = Field("", max_length=255, description="Default: the uploaded file's name.")
    format: Literal["vtt", "srt", "text", "csv"] | None = Field(
        None, description="Default: detected from the content and the name."
    )
    scenario_id: int | None = Field(
        None, ge=1, le=2**63 - 1, description="The scenario whose steps a CSV names."
    )
    columns: str = Field("", max_length=4000, description=COLUMNS_HELP)
    speakers: str = Field("", max_length=100_000, description=SPEAKERS_HELP)
    unmatched: Literal["ask", "keep"] = Field(
        "ask",
        description="Names matching nobody and not in `speakers`: refuse with the list (ask) "
        "or keep them unattributed (keep).",
    )
    unknown_steps: Literal["ask", "create", "ignore"] = Field(
        "ask",
        description="CSV step names not in the scenario: refuse with the list, create them as "
        "steps (in order of first appearance), or import those rows without a step.",
    )
    accept: bool = Field(False, description="Accept every row onto the map at once.")


class BatchOut(Schema):
    id: int
    session_id: int
    format: Literal["vtt", "srt", "text", "csv"]
    filename: str
    sha256: str
    size: int
    rows: int = Field(description="Rows written (so far, while `in_progress`).")
    in_progress: bool = Field(
        description="Still being written, in chunks: its rows are hidden until it completes."
    )
    mapping: dict[str, Any]
    created_by_id: int | None
    created_at: dt.datetime
    discarded_at: dt.datetime | None = Field(
        description="When the import was discarded as a whole (discard_import); null if not."
    )


class ImportOut(Schema):
    created: bool = Field(description="False: this file was imported before; nothing added.")
    message: str
    accepted: int = Field(description="Rows that went onto the map.")
    candidates: int = Field(description="Rows waiting in the review queue.")
    new_contacts: list[str]
    new_steps: list[str]
    batch: BatchOut


class DiscardOut(Schema):
    message: str
    candidates: int = Field(description="Rows taken out of the review queue.")
    accepted: int = Field(
        description="Rows taken off the map (only for an import made with `accept`)."
    )
    kept: int = Field(
        description="Accepted rows left on the map (an import without `accept`: rows placed "
        "by their type and step); discard those one by one if they are wrong."
    )
    batch: BatchOut


class ReviewIn(StrictInput):
    decision: Literal["accept", "discard"]
    insight_ids: list[ObjectId] = Field(min_length=1, max_length=1000)


class ReviewOut(Schema):
    changed: int = Field(description="How many candidates were accepted or discarded.")


class MergeIn(StrictInput):
    into_id: ObjectId = Field(description="The insight the others are merged into (kept).")
    others: list[ObjectId] = Field(min_length=1, max_length=1000)


def _json_object(field: str, raw: str) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        raise ValidationFailed.field(field, "Send a JSON object.") from None
    except RecursionError:  # "[[[[…" thousands deep: nobody's mapping
        raise ValidationFailed.field(
            field, "Send a flat JSON object (this one is nested too deeply)."
        ) from None
    if not isinstance(value, dict):
        raise ValidationFailed.field(field, "Send a JSON object.")
    if (where := find_nul(value)) is not None:  # \u0000 decodes to a NUL nobody can store
        raise ValidationFailed.field(field, f"{where}: NUL characters cannot be stored.")
    return value


def _options(form: ImportFormIn, stream: Any) -> ImportOptions:
    speakers = _json_object("speakers", form.speakers)
    if not all(isinstance(v, str) for v in speakers.values()):
        raise ValidationFailed.field("speakers", "Map each name to a string.")
    given = _json_object("columns", form.columns)
    columns: dict[str, int | None] | None = None
    if given:
        try:
            headers = [h.casefold() for h in parsers.sniff_csv(stream).headers]
        except parsers.ParseError as exc:
            raise ValidationFailed.field("file", str(exc)) from None
        columns = {}
        for name, header in given.items():
            if header is None:
                columns[name] = None
            elif isinstance(header, str) and header.casefold() in headers:
                columns[name] = headers.index(header.casefold())
            else:
                raise ValidationFailed.field("columns", f"No column “{header}” in the file.")
    return ImportOptions(
        scenario_id=form.scenario_id,
        columns=columns,
        speakers=speakers,
        unmatched=form.unmatched,
        unknown_steps=form.unknown_steps,
        accept=form.accept,
        format=form.format,
    )


@router.post(
    "/sessions/{session_id}/imports",
    response=responses(
        {200: ImportOut, 201: ImportOut}, body=True, object_path=True, conflict=True
    ),
    operation_id="import_file",
    summary="Import a transcript or sticky-note CSV (all or nothing)",
)
def import_file(
    request: HttpRequest,
    session_id: int,
    form: Form[ImportFormIn],
    file: File[UploadedFile] = None,  # type: ignore[assignment]  # required, checked below
) -> Status[dict[str, Any]]:
    """Multipart upload: `file` (WebVTT, SRT, plain text or sticky-note CSV, up to 25 MB and,
    by default, 100,000 rows: a file with more is refused with 422 on `file` as soon as its
    first row too many is read, naming the limit and its line) plus the options as form
    fields. Answers 201 with the batch, or 200 with `created: false` when this file was
    already imported into the session. A bad file answers 422 with the line number;
    unmatched speakers and unknown steps (with `ask`) answer 422 listing them."""
    v = viewer(request)
    session = selectors.session_for(v, session_id, "insight.import")
    if file is None:
        raise ValidationFailed.field(
            "file", "Send the file to import as the multipart field “file”."
        )
    stream = cast(BinaryIO, file.file)
    options = _options(form, stream)
    name = Path(form.filename or file.name or "upload").name
    result = import_one_file(v, session=session, stream=stream, filename=name, options=options)
    return Status(
        201 if result.created else 200,
        {
            "created": result.created,
            "message": result.summary,
            "accepted": result.accepted,
            "candidates": result.candidates,
            "new_contacts": list(result.new_contacts),
            "new_steps": list(result.new_steps),
            "batch": result.batch,
        },
    )


@router.get(
    "/sessions/{session_id}/imports",
    response=responses({200: list[BatchOut]}, object_path=True),
    operation_id="list_imports",
    summary="The files imported into a session, newest first",
)
@paginate(Pagination)
def list_imports(request: HttpRequest, session_id: int) -> QuerySet[ImportBatch]:
    return selectors.imports(selectors.session_for(viewer(request), session_id))


@router.post(
    "/sessions/{session_id}/imports/{import_id}/discard",
    response=responses({200: DiscardOut}, object_path=True, conflict=True),
    operation_id="discard_import",
    summary="Discard an import as a whole",
)
def discard_import(request: HttpRequest, session_id: int, import_id: int) -> dict[str, Any]:
    """Its rows still waiting for review are discarded; for an import made with `accept`, its
    rows on the map too, unless something uses them already (dots, evidence, a merge, a loop
    priority: 422 saying what). Answers 409 when the import is still running or was already
    discarded. The same file may then be imported again."""
    v = viewer(request)
    session = selectors.session_for(v, session_id, "insight.import")
    done = discard_one_import(v, session=session, batch_id=import_id)
    return {
        "message": done.summary,
        "candidates": done.candidates,
        "accepted": done.accepted,
        "kept": done.kept,
        "batch": done.batch,
    }


@router.get(
    "/sessions/{session_id}/review",
    response=responses({200: list[InsightOut]}, object_path=True),
    operation_id="list_review_queue",
    summary="The candidates waiting for review, in file order",
)
@paginate(Pagination)
def list_review_queue(
    request: HttpRequest, session_id: int, import_id: int | None = None
) -> QuerySet[Insight]:
    """`import_id`: only the candidates of that import (see list_imports)."""
    session = selectors.session_for(viewer(request), session_id, "insight.import")
    return review_queue(session, import_id)


@router.post(
    "/sessions/{session_id}/review",
    response=responses({200: ReviewOut}, body=True, object_path=True),
    operation_id="review_candidates",
    summary="Accept or discard candidates",
)
def review_candidates(request: HttpRequest, session_id: int, payload: ReviewIn) -> dict[str, int]:
    """Candidates already reviewed are left as they are; `changed` counts the others."""
    v = viewer(request)
    session = selectors.session_for(v, session_id, "insight.import")
    try:
        changed = services.review_insights(
            v, session=session, insight_ids=payload.insight_ids, decision=payload.decision
        )
    except NotFound as exc:
        raise ValidationFailed.field("insight_ids", exc.message) from None
    return {"changed": changed}


@router.post(
    "/sessions/{session_id}/review/merge",
    response=responses({200: InsightOut}, body=True, object_path=True),
    operation_id="merge_candidates",
    summary="Merge insights into one",
)
def merge_candidates(request: HttpRequest, session_id: int, payload: MergeIn) -> Insight:
    """The others' text is appended to `into_id`, their votes move to it, and they stay,
    marked merged, for the record."""
    v = viewer(request)
    session = selectors.session_for(v, session_id, "insight.import")
    into = Insight.objects.filter(session=session, pk=payload.into_id).first()
    if into is None:
        raise ValidationFailed.field("into_id", "Pick an insight of this session.")
    try:
        return services.merge_insights(v, into=into, others=payload.others)
    except NotFound as exc:
        raise ValidationFailed.field("others", exc.message) from None
