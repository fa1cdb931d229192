"""The debrief API: the scorecards area. A program's scorecard, its metrics (create, read,
change with a ``version``: 409 when stale, archive), measurements (list, add or correct one,
upsert many, import a CSV file: all or nothing) and the results checkpoints."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, File, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import PlainSerializer, ValidationError, ValidatorFunctionWrapHandler, WrapValidator
from pydantic_core import PydanticCustomError

from traction.core import permissions
from traction.core.api import (
    ABSENT,
    MAX_ID,
    InputSchema,
    IsoDate,
    ObjectId,
    OneLine,
    Pagination,
    Text,
    responses,
    viewer,
)
from traction.core.errors import ValidationFailed
from traction.debrief import measurements_csv
from traction.debrief import selectors_scorecards as sel
from traction.debrief.models import MeasurementSource, ScorecardMetric
from traction.debrief.services import scorecards as services
from traction.debrief.services.scorecards import Entry

router = Router(tags=["debrief"])

DirectionValue = Literal["up", "down"]
FrequencyValue = Literal["weekly", "monthly", "quarterly"]
Number = Decimal | int | float | str
# Values go out as strings as people write them ("7.5", not "7.5000"), the same on every
# database: exact, unlike a JSON float.
Value = Annotated[
    Decimal, PlainSerializer(lambda d: f"{Decimal(d).normalize():f}", return_type=str)
]


def _one_number(raw: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """A measured value: a JSON number or a string people write ("12,5"), refused in one
    message naming the field, not one error per member of the union (``null``, ``true``)
    nor a float's "inf" (``1e400``, which JSON readers turn into infinity)."""
    refused = PydanticCustomError(
        "number",
        'Give the value as a number with at most {decimals} decimals, e.g. 12.5 or "12,5".',
        {"decimals": measurements_csv.MAX_DECIMALS},
    )
    if isinstance(raw, bool) or raw is None:
        raise refused
    try:
        value = handler(raw)
    except ValidationError:
        raise refused from None
    if isinstance(value, float) and not math.isfinite(value):
        raise refused
    return value


MeasuredValue = Annotated[Number, WrapValidator(_one_number)]
VERSION_HELP = (
    "The version you read. If someone saved the metric since, nothing changes and the answer "
    "is 409; leave it out to overwrite whatever is current."
)
BULK_LIMIT = 5000


# --- shapes ----------------------------------------------------------------------------------


class ForecastPoint(InputSchema):  # strict like the body it is in: unknown fields refused
    on: IsoDate
    value: Number


class MetricOut(Schema):
    id: int
    program_id: int
    debrief_id: int | None
    name: str
    definition: str
    unit: str
    direction: str
    frequency: str
    data_source: str
    owner_id: int | None
    baseline: Value | None
    baseline_on: dt.date | None
    target: Value | None
    target_on: dt.date | None
    forecast: list[dict[str, str]]
    numerator_id: int | None
    denominator_id: int | None
    serves_ids: list[int]
    calculated: bool
    ready: bool
    missing: list[str] = Field(description="What the metric lacks before it is ready.")
    archived_at: dt.datetime | None
    version: int

    @staticmethod
    def resolve_serves_ids(obj: ScorecardMetric) -> list[int]:
        return sorted(c.pk for c in obj.serves.all())

    @staticmethod
    def resolve_calculated(obj: ScorecardMetric) -> bool:
        return obj.is_calculated

    @staticmethod
    def resolve_ready(obj: ScorecardMetric) -> bool:
        return not sel.missing_for_ready(obj)

    @staticmethod
    def resolve_missing(obj: ScorecardMetric) -> list[str]:
        return sel.missing_for_ready(obj)


class MetricCreateIn(InputSchema):
    name: OneLine = Field(min_length=1, max_length=160)
    definition: Text = Field("", max_length=services.DEFINITION_MAX)
    unit: OneLine = Field("", max_length=40)
    direction: DirectionValue = "up"
    frequency: FrequencyValue = "monthly"
    data_source: OneLine = Field("", max_length=200)
    owner_id: ObjectId | None = None
    baseline: Number | None = None
    baseline_on: IsoDate | None = None
    target: Number | None = None
    target_on: IsoDate | None = None
    forecast: list[ForecastPoint] = Field(default_factory=list, max_length=500)
    numerator_id: ObjectId | None = None
    denominator_id: ObjectId | None = None
    serves_ids: list[ObjectId] = Field(default_factory=list, max_length=100)
    debrief_id: ObjectId | None = Field(None, description="The debrief it was created in.")


class MetricUpdateIn(InputSchema):
    """Only the fields sent change; null clears an optional one."""

    name: OneLine = Field(ABSENT, min_length=1, max_length=160)
    definition: Text = Field(ABSENT, max_length=services.DEFINITION_MAX)
    unit: OneLine = Field(ABSENT, max_length=40)
    direction: DirectionValue = Field(ABSENT)
    frequency: FrequencyValue = Field(ABSENT)
    data_source: OneLine = Field(ABSENT, max_length=200)
    owner_id: ObjectId | None = None
    baseline: Number | None = None
    baseline_on: IsoDate | None = None
    target: Number | None = None
    target_on: IsoDate | None = None
    forecast: list[ForecastPoint] = Field(ABSENT, max_length=500)
    numerator_id: ObjectId | None = None
    denominator_id: ObjectId | None = None
    serves_ids: list[ObjectId] = Field(ABSENT, max_length=100)
    version: int = Field(ABSENT, ge=1, le=MAX_ID, description=VERSION_HELP)


class VersionIn(InputSchema):
    version: int | None = Field(None, ge=1, le=MAX_ID, description=VERSION_HELP)


class MeasurementIn(InputSchema):
    on: IsoDate
    value: MeasuredValue
    note: OneLine = Field("", max_length=300, description="Why it moved, e.g. why it dipped.")


class MeasurementOut(Schema):
    id: int
    metric_id: int
    on: dt.date
    value: Value
    note: str
    source: str
    recorded_by_id: int | None
    recorded_at: dt.datetime


class BulkItemIn(InputSchema):
    metric_id: ObjectId
    on: IsoDate
    value: MeasuredValue
    note: OneLine = Field("", max_length=300)


class BulkIn(InputSchema):
    measurements: list[BulkItemIn] = Field(min_length=1, max_length=BULK_LIMIT)
    dry_run: bool = Field(False, description="Check and count, writing nothing.")


PERCENT_WARNINGS = (
    "What to check, though it was accepted (as the web import's preview warns): a value "
    "written with a “%” (read as the number before it) for a metric not measured in %, "
    "naming where (“Item 2: …”, “Line 4: …”, “value: …”). Empty when nothing needs checking."
)


class RecordedMeasurementOut(MeasurementOut):
    warnings: list[str] = Field(description=PERCENT_WARNINGS)


class OutcomeOut(Schema):
    created: int
    corrected: int
    unchanged: int
    dry_run: bool
    warnings: list[str] = Field(description=PERCENT_WARNINGS)


class ScorecardMetricOut(Schema):
    id: int
    name: str
    unit: str
    direction: str
    calculated: bool
    baseline: Value | None
    target: Value | None
    target_on: dt.date | None
    latest: Value | None
    latest_on: dt.date | None
    progress_percent: int | None = Field(
        description="(latest − baseline) / (target − baseline) in percent, honouring the "
        "direction, clamped to −100…200."
    )
    status: str = Field(description="achieved, on_track, behind, no_data or not_ready")
    ready: bool
    missing: list[str]


class CheckpointOut(Schema):
    id: int
    debrief_id: int
    session_id: int
    months: int
    on: dt.date
    reached_at: dt.datetime | None

    @staticmethod
    def resolve_session_id(obj: Any) -> int:
        if isinstance(obj, dict):
            return int(obj["session_id"])
        return int(obj.debrief.session_id)


class ScorecardOut(Schema):
    program_id: int
    metrics: list[ScorecardMetricOut]
    checkpoints: list[CheckpointOut]


class RecommendationLinkOut(Schema):
    """A recommendation meant to move the metric, decided by the end of the checkpoint's day
    (in the session's time zone), with its decision as it stood then."""

    id: int
    title: str
    direction: str
    outcome: str = Field(description="Its latest decision by the end of the checkpoint's day.")
    decided_at: dt.datetime | None = Field(description="When that decision was taken.")
    decision_reason: str = Field(description="That decision's reason.")


class CheckpointRowOut(Schema):
    metric_id: int
    name: str
    actual: Value | None
    actual_on: dt.date | None
    forecast: Value | None
    target: Value | None
    status: str
    recommendations: list[RecommendationLinkOut]


class CheckpointReportOut(CheckpointOut):
    rows: list[CheckpointRowOut]


# --- helpers ---------------------------------------------------------------------------------


def _metric_values(data: dict[str, Any]) -> dict[str, Any]:
    if "forecast" in data and data["forecast"] is not None:
        data["forecast"] = [{"on": p["on"], "value": str(p["value"])} for p in data["forecast"]]
    for name in ("baseline", "target"):
        if isinstance(data.get(name), int | float | Decimal):
            data[name] = str(data[name])
    return data


def _value(raw: Number, where: str) -> Decimal:
    try:
        value: Decimal = measurements_csv.parse_value(str(raw))
        return value
    except ValueError as exc:
        raise ValidationFailed.field(where, str(exc)) from None


def _outcome(outcome: services.Outcome, dry_run: bool) -> dict[str, Any]:
    return {
        "created": outcome.created,
        "corrected": outcome.corrected,
        "unchanged": outcome.unchanged,
        "dry_run": dry_run,
        "warnings": outcome.warnings,
    }


def _percent_warning(where: str, metric: ScorecardMetric, raw: Number, value: Decimal) -> list[str]:
    """The "%" warning of a value sent as text ending in "%" ("45%"), as the CSV import's."""
    if not (isinstance(raw, str) and raw.strip().endswith("%")):
        return []
    warning = services.percent_warning(where, metric, value)
    return [warning] if warning else []


# --- the scorecard ---------------------------------------------------------------------------


@router.get(
    "/programs/{program_id}/scorecard",
    response=responses({200: ScorecardOut}, object_path=True),
    operation_id="get_program_scorecard",
    summary="A program's scorecard: each metric's latest value, progress and status",
)
def get_program_scorecard(request: HttpRequest, program_id: int) -> dict[str, Any]:
    v = viewer(request)
    program = sel.scorecard_program(v, program_id)
    return {
        "program_id": program.pk,
        "metrics": [
            {
                "id": row.metric.pk,
                "name": row.metric.name,
                "unit": row.metric.unit,
                "direction": row.metric.direction,
                "calculated": row.metric.is_calculated,
                "baseline": row.metric.baseline,
                "target": row.metric.target,
                "target_on": row.metric.target_on,
                "latest": row.latest,
                "latest_on": row.latest_on,
                "progress_percent": row.progress.percent,
                "status": row.progress.status,
                "ready": not row.missing,
                "missing": row.missing,
            }
            for row in sel.scorecard(v, program)
        ],
        "checkpoints": list(sel.checkpoints(v, program)),
    }


# --- metrics ---------------------------------------------------------------------------------


@router.post(
    "/programs/{program_id}/metrics",
    response=responses({201: MetricOut}, body=True, object_path=True),
    operation_id="create_metric",
    summary="Add a metric to a program's scorecard",
)
def create_metric(
    request: HttpRequest, program_id: int, payload: MetricCreateIn
) -> Status[ScorecardMetric]:
    v = viewer(request)
    program = sel.scorecard_program(v, program_id)
    data = _metric_values(payload.model_dump())
    debrief_id = data.pop("debrief_id")
    debrief = sel.debrief_for_panel(v, debrief_id) if debrief_id else None
    created = services.create_metric(
        v, program=program, debrief=debrief, serves_ids=data.pop("serves_ids"), **data
    )
    return Status(201, sel.metric(v, created.pk))


@router.get(
    "/metrics/{metric_id}",
    response=responses({200: MetricOut}, object_path=True),
    operation_id="get_metric",
    summary="Get a scorecard metric",
)
def get_metric(request: HttpRequest, metric_id: int) -> ScorecardMetric:
    return sel.metric(viewer(request), metric_id)


@router.patch(
    "/metrics/{metric_id}",
    response=responses({200: MetricOut}, body=True, object_path=True, versioned=True),
    operation_id="update_metric",
    summary="Change some of a metric's fields",
)
def update_metric(request: HttpRequest, metric_id: int, payload: MetricUpdateIn) -> ScorecardMetric:
    v = viewer(request)
    found = sel.metric(v, metric_id, action="metric.manage")
    changes = _metric_values(payload.model_dump(exclude_unset=True))
    version = changes.pop("version", None)
    serves = changes.pop("serves_ids", None)
    services.update_metric(v, metric=found, changes=changes, version=version, serves_ids=serves)
    return sel.metric(v, metric_id)


@router.post(
    "/metrics/{metric_id}/archive",
    response=responses({200: MetricOut}, body=True, object_path=True, versioned=True),
    operation_id="archive_metric",
    summary="Take a metric off the scorecard (its measurements are kept)",
)
def archive_metric(request: HttpRequest, metric_id: int, payload: VersionIn) -> ScorecardMetric:
    v = viewer(request)
    found = sel.metric(v, metric_id, action="metric.manage")
    services.archive_metric(v, metric=found, version=payload.version)
    return sel.metric(v, metric_id)


@router.post(
    "/metrics/{metric_id}/restore",
    response=responses({200: MetricOut}, body=True, object_path=True, versioned=True),
    operation_id="restore_metric",
    summary="Put an archived metric back on the scorecard, with its measurements",
)
def restore_metric(request: HttpRequest, metric_id: int, payload: VersionIn) -> ScorecardMetric:
    """Who may archive the metric may restore it. 422 when it is not archived, when a part
    of its ratio is still archived (restore that one first), or on `name` when a current
    metric of the program has its name since (ignoring case and spacing)."""
    v = viewer(request)
    found = sel.metric(v, metric_id, action="metric.manage")
    services.restore_metric(v, metric=found, version=payload.version)
    return sel.metric(v, metric_id)


# --- measurements ----------------------------------------------------------------------------


@router.get(
    "/metrics/{metric_id}/measurements",
    response=responses({200: list[MeasurementOut]}, object_path=True),
    operation_id="list_measurements",
    summary="A measured metric's measurements, newest first",
)
@paginate(Pagination)
def list_measurements(request: HttpRequest, metric_id: int) -> Any:
    found = sel.metric(viewer(request), metric_id)
    if found.is_calculated:
        raise ValidationFailed.field(
            "metric_id", "A calculated metric has no measurements of its own; read its parts."
        )
    return sel.series(found)


@router.post(
    "/metrics/{metric_id}/measurements",
    response=responses(
        {200: RecordedMeasurementOut, 201: RecordedMeasurementOut}, body=True, object_path=True
    ),
    operation_id="record_measurement",
    summary="Record a measurement, or correct the value of that date (idempotent)",
)
def record_measurement(request: HttpRequest, metric_id: int, payload: MeasurementIn) -> Status[Any]:
    """Keyed by metric and date: 201 when the date is new, 200 when it corrected the value
    (or the same value was sent again: nothing changes)."""
    v = viewer(request)
    found = sel.metric(v, metric_id, action="metric.measure")
    value = _value(payload.value, "value")
    if refusal := services.date_refusal(payload.on):
        raise ValidationFailed.field("on", f"{refusal}.")
    try:
        outcome = services.record_measurements(
            v,
            entries=[Entry(found, payload.on, value, payload.note.strip())],
            source=MeasurementSource.API,
        )
    except ValidationFailed as exc:
        # What the service says of "the measurements" is said of this one request (the
        # metric is calculated or archived): no field of its body.
        errors = dict(exc.errors)
        if "measurements" in errors:
            errors["__all__"] = errors.pop("measurements")
        raise ValidationFailed(errors) from None
    written = MeasurementOut.from_orm(found.measurements.get(on=payload.on)).dict()
    written["warnings"] = _percent_warning("value", found, payload.value, value)
    return Status(201 if outcome.created else 200, written)


@router.post(
    "/programs/{program_id}/measurements",
    response=responses({200: OutcomeOut}, body=True, object_path=True),
    operation_id="upsert_measurements",
    summary="Record or correct many measurements at once (all or nothing)",
)
def upsert_measurements(request: HttpRequest, program_id: int, payload: BulkIn) -> dict[str, Any]:
    """Each item is keyed by metric and date: new dates are added, known ones corrected, the
    same value changes nothing. Any bad item refuses them all (422, each named)."""
    v = viewer(request)
    program = sel.scorecard_program(v, program_id)
    found = {
        m.pk: m
        for m in sel.program_metrics(v, program, {i.metric_id for i in payload.measurements})
    }
    entries, problems, warnings = [], [], []
    for n, item in enumerate(payload.measurements, start=1):
        metric = found.get(item.metric_id)
        if metric is None:
            problems.append(f"Item {n}: no metric {item.metric_id} in this program.")
            continue
        try:
            value = measurements_csv.parse_value(str(item.value))
        except ValueError as exc:
            problems.append(f"Item {n}: {exc}")
            continue
        entries.append(Entry(metric, item.on, value, item.note.strip(), line=n))
        warnings += _percent_warning(f"Item {n}", metric, item.value, value)
    if problems:
        raise ValidationFailed({"measurements": problems})
    outcome = services.record_measurements(
        v, entries=entries, source=MeasurementSource.API, dry_run=payload.dry_run
    )
    outcome.warnings = warnings
    return _outcome(outcome, payload.dry_run)


@router.post(
    "/programs/{program_id}/measurements/import",
    response=responses({200: OutcomeOut}, body=True, object_path=True),
    operation_id="import_measurements",
    summary="Import a CSV file or Excel workbook of measurements (all or nothing, keyed by "
    "metric and date)",
)
def import_measurements(
    request: HttpRequest,
    program_id: int,
    file: File[UploadedFile] = None,  # type: ignore[assignment]  # required, checked below
    dry_run: bool = False,
) -> dict[str, Any]:
    """Multipart upload: `file`, a CSV with the columns metric (the metric's name), date
    (YYYY-MM-DD), value and optionally note; UTF-8 or what Excel saves (UTF-16, Windows-1252);
    or an Excel workbook (.xlsx, told by its content), its first sheet with data read as the
    sheet shows it. Every bad row answers 422 with its line number (a sheet's: "Row 5"), and
    nothing is imported. At most 2 MB and (by default) 20,000 rows: a larger file answers 422
    on `file`, naming the limit and the line it was passed on."""
    v = viewer(request)
    program = sel.scorecard_program(v, program_id)
    permissions.check(v, "metric.measure")
    if file is None:
        raise ValidationFailed.field(
            "file", "Send the CSV file or Excel workbook as the multipart field “file”."
        )
    data = file.read(measurements_csv.MAX_BYTES + 1)
    outcome = services.import_measurements(
        v, program=program, data=data, dry_run=dry_run, filename=Path(file.name or "").name
    )
    return _outcome(outcome, dry_run)


# --- checkpoints -----------------------------------------------------------------------------


@router.get(
    "/programs/{program_id}/checkpoints",
    response=responses({200: list[CheckpointOut]}, object_path=True),
    operation_id="list_checkpoints",
    summary="The results checkpoints of a program's debriefs, soonest first",
)
@paginate(Pagination)
def list_checkpoints(request: HttpRequest, program_id: int) -> Any:
    v = viewer(request)
    return sel.checkpoints(v, sel.scorecard_program(v, program_id))


@router.get(
    "/checkpoints/{checkpoint_id}",
    response=responses({200: CheckpointReportOut}, object_path=True),
    operation_id="get_checkpoint",
    summary="A checkpoint: each metric's actual value against forecast and target",
)
def get_checkpoint(request: HttpRequest, checkpoint_id: int) -> dict[str, Any]:
    v = viewer(request)
    cp = sel.checkpoint(v, checkpoint_id)
    return {
        "id": cp.pk,
        "debrief_id": cp.debrief_id,
        "session_id": cp.debrief.session_id,
        "months": cp.months,
        "on": cp.on,
        "reached_at": cp.reached_at,
        "rows": [
            {
                "metric_id": row.metric.pk,
                "name": row.metric.name,
                "actual": row.actual,
                "actual_on": row.actual_on,
                "forecast": row.forecast,
                "target": row.target,
                "status": row.progress.status,
                "recommendations": [
                    {
                        "id": r.rec.pk,
                        "title": r.rec.title,
                        "direction": r.link.direction,
                        "outcome": r.decision.outcome,
                        "decided_at": r.decision.at,
                        "decision_reason": r.decision.reason,
                    }
                    for r in row.recommendations
                ],
            }
            for row in sel.checkpoint_report(v, cp)
        ],
    }
