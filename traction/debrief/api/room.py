"""The debrief API: the room area — the room's state (phase, time left, plan), opening it,
the decision brief, recommendations (list, create, update with 409, decide, archive), their
evidence and decision history."""

import datetime as dt
from typing import Any, Literal

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import model_validator

from traction.core.api import (
    ABSENT,
    MAX_ID,
    FilterSchema,
    InputSchema,
    IsoDate,
    ObjectId,
    OneLine,
    OutputSchema,
    Pagination,
    Text,
    responses,
    viewer,
)
from traction.core.errors import Conflict, ValidationFailed
from traction.core.paging import Shaped
from traction.core.permissions import Viewer
from traction.debrief import selectors_room as selectors
from traction.debrief.models import Decision, Evidence, Recommendation, RecommendationMetric
from traction.debrief.services import recommendations as services
from traction.debrief.services import room as room_services

router = Router(tags=["debrief"])

VERSION_HELP = (
    "The version you read. If someone saved the record since, nothing changes and the "
    "answer is 409 with the current record; leave it out to overwrite whatever is current."
)
KindValue = Literal["strategic", "tactical"]
HorizonValue = Literal["quick_win", "quarter", "long_term"]
LevelValue = Literal["low", "medium", "high"]
DirectionValue = Literal["up", "down"]
OutcomeValue = Literal["pending", "approved", "deferred", "rejected"]
DecideValue = Literal["approved", "deferred", "rejected"]


# --- shapes ----------------------------------------------------------------------------------


class RoomPhaseIn(InputSchema):
    key: str = Field("", max_length=40, description="Kept for a phase already in the plan.")
    title: OneLine = Field(max_length=120)
    minutes: int = Field(ge=1, le=240)


class RoomPhaseOut(OutputSchema):
    key: str
    title: str
    minutes: int
    current: bool
    done: bool


class RoomOut(OutputSchema):
    debrief_id: int
    session_id: int
    program_id: int
    status: str
    timeliness: str
    due_at: dt.datetime
    opened_at: dt.datetime | None
    phase: str
    phase_started_at: dt.datetime | None
    phase_ends_at: dt.datetime | None
    seconds_left: int
    overrun_seconds: int
    total_minutes: int
    plan: list[RoomPhaseOut]
    version: int


class RoomIn(InputSchema):
    phase: str = Field(ABSENT, max_length=40, description="A key of the plan: starts it now.")
    plan: list[RoomPhaseIn] = Field(
        ABSENT,
        max_length=room_services.MAX_PHASES,
        description=f"The whole plan, in order: at most {room_services.MAX_PHASES} phases.",
    )
    version: int | None = Field(None, description=VERSION_HELP)


class RecommendationMetricIn(InputSchema):
    metric_id: ObjectId
    direction: DirectionValue


class RecommendationMetricOut(OutputSchema):
    metric_id: int
    name: str
    direction: str


class RecommendationProgressOut(OutputSchema):
    open: int
    in_progress: int
    blocked: int
    done: int
    dropped: int
    total: int
    share_done: int


class RecommendationOut(OutputSchema):
    id: int
    debrief_id: int
    program_id: int
    title: str
    rationale: str
    kind: str
    horizon: str
    impact: str
    effort: str
    customer_summary: str
    owning_team: str
    evidence: list[int] = Field(description="The evidence insights you may see, by id.")
    hidden_evidence: int = Field(
        description="How many more of its evidence insights you may not see (counted, never "
        'shown: as the room says "and 2 you may not see").'
    )
    metrics: list[RecommendationMetricOut]
    outcome: str
    decision_reason: str
    revisit_on: dt.date | None
    decided_at: dt.datetime | None
    decided_by_id: int | None
    decided_as: str
    customer_hears: str = Field(
        description="The status its decision's facts could be published as (Planned, Under "
        "consideration, Not planned; empty while undecided). Not what customers hear: they "
        "hear the status published for each customer priority, once the account owners "
        "approve it (GET /programs/{id}/priorities)."
    )
    progress: RecommendationProgressOut
    archived_at: dt.datetime | None
    version: int


class RecommendationConflictOut(OutputSchema):
    detail: str
    current: RecommendationOut


class RecommendationCreateIn(InputSchema):
    title: OneLine = Field(min_length=1, max_length=200)
    rationale: Text = Field("", max_length=services.LONG_TEXT_MAX)
    kind: KindValue = "tactical"
    horizon: HorizonValue = "quarter"
    impact: LevelValue = "medium"
    effort: LevelValue = "medium"
    customer_summary: Text = Field("", max_length=services.LONG_TEXT_MAX)
    owning_team: OneLine = Field("", max_length=120)
    evidence: list[ObjectId] = Field(
        max_length=services.EVIDENCE_MAX,
        description=f"Insight ids of the session: at least one, at most {services.EVIDENCE_MAX}.",
    )
    metrics: list[RecommendationMetricIn] = Field(
        [],
        max_length=services.METRICS_MAX,
        description=f"At most {services.METRICS_MAX} metrics of the program's scorecard.",
    )


class RecommendationUpdateIn(InputSchema):
    title: OneLine = Field(ABSENT, min_length=1, max_length=200)
    rationale: Text = Field(ABSENT, max_length=services.LONG_TEXT_MAX)
    kind: KindValue = Field(ABSENT)
    horizon: HorizonValue = Field(ABSENT)
    impact: LevelValue = Field(ABSENT)
    effort: LevelValue = Field(ABSENT)
    customer_summary: Text = Field(ABSENT, max_length=services.LONG_TEXT_MAX)
    owning_team: OneLine = Field(ABSENT, max_length=120)
    evidence: list[ObjectId] = Field(
        ABSENT, max_length=services.EVIDENCE_MAX, description="The whole set of insight ids."
    )
    metrics: list[RecommendationMetricIn] = Field(
        ABSENT, max_length=services.METRICS_MAX, description="The whole set."
    )
    version: int | None = Field(None, description=VERSION_HELP)


class RecommendationDecideIn(InputSchema):
    outcome: DecideValue
    reason: Text = Field(min_length=1, max_length=services.REASON_MAX)
    revisit_on: IsoDate | None = Field(None, description="Needed to defer: a future date.")
    version: int | None = Field(None, description=VERSION_HELP)


class RecommendationArchiveIn(InputSchema):
    version: int | None = Field(None, description=VERSION_HELP)


class RecommendationDecisionOut(OutputSchema):
    id: int
    outcome: str
    reason: str
    revisit_on: dt.date | None
    decided_by_id: int | None
    decided_by: str
    decided_as: str
    at: dt.datetime


class RecommendationEvidenceOut(OutputSchema):
    insight_id: int
    kind: str
    text: str
    speaker_name: str


class RecommendationFilters(FilterSchema):
    debrief_id: int | None = Field(None, ge=1, le=MAX_ID, description="Of this debrief.")
    program_id: int | None = Field(None, ge=1, le=MAX_ID, description="Of this program.")
    outcome: OutcomeValue | None = None
    # The names before debrief_id and program_id (as /action-items and /debriefs name them).
    debrief: int | None = Field(
        None, ge=1, le=MAX_ID, deprecated=True, description="Deprecated: use debrief_id."
    )
    program: int | None = Field(
        None, ge=1, le=MAX_ID, deprecated=True, description="Deprecated: use program_id."
    )

    @model_validator(mode="after")
    def _one_name_each(self) -> "RecommendationFilters":
        for new, old in (("debrief_id", "debrief"), ("program_id", "program")):
            # (read from __dict__: reading a deprecated field warns)
            given, alias = self.__dict__[new], self.__dict__[old]
            if given is not None and alias is not None and given != alias:
                raise ValueError(f"Give {new} only ({old} is its old name).")
            if given is None:
                self.__dict__[new] = alias
        return self


class BriefSpeakerOut(OutputSchema):
    insight_id: int = Field(description="The card, or a card merged into it, in their words.")
    speaker_name: str
    customer_id: int | None
    organisation: str


class BriefPriorityOut(OutputSchema):
    insight_id: int
    rank: int
    text: str
    kind: str
    dots: int
    voters: int
    by_segment: dict[str, int]
    said_by: list[BriefSpeakerOut] = Field(
        description="Who said it (the card and the cards merged into it), of the "
        "organisations you may see; as the room's “Said by”."
    )
    hidden_speakers: int = Field(
        description="How many more of its sources are from organisations you may not see."
    )
    quotes: list[str]
    earlier_decisions: list[int]
    covered: str = Field(
        description="How it leaves the room, in words (“deferred to 01 Mar 2027”)."
    )
    covered_as: Literal["approved", "rejected", "deferred", "undecided", ""] = Field(
        description="The same for programs: the outcome of this debrief's decision resting on "
        "it, undecided (listed at closing with a date), or empty while not covered."
    )
    revisit_on: dt.date | None = Field(
        description="The date to revisit it: a deferral's, or an undecided priority's."
    )


class BriefOut(OutputSchema):
    voting: str
    priorities: list[BriefPriorityOut]
    coverage_top: int
    coverage_covered: int
    uncovered: list[int]


# --- helpers ---------------------------------------------------------------------------------


def _room(found: Any) -> dict[str, Any]:
    c = selectors.room_clock(found)
    return {
        "debrief_id": found.pk,
        "session_id": found.session_id,
        "program_id": found.program_id,
        "status": found.status,
        "timeliness": found.timeliness,
        "due_at": found.due_at,
        "opened_at": found.opened_at,
        "phase": found.phase,
        "phase_started_at": found.phase_started_at,
        "phase_ends_at": c.ends_at,
        "seconds_left": c.seconds_left,
        "overrun_seconds": c.overrun_seconds,
        "total_minutes": c.total_minutes,
        "plan": [p.__dict__ for p in c.phases],
        "version": found.version,
    }


_FIELDS = (
    "id",
    "debrief_id",
    "program_id",
    "title",
    "rationale",
    "kind",
    "horizon",
    "impact",
    "effort",
    "customer_summary",
    "owning_team",
    "outcome",
    "decision_reason",
    "revisit_on",
    "decided_at",
    "decided_by_id",
    "decided_as",
    "archived_at",
    "version",
)


def _recs(v: Viewer, rows: QuerySet[Recommendation]) -> list[dict[str, Any]]:
    """The API's shape of ``rows``: a fixed number of queries whatever their number. Their
    evidence is the insights ``v`` may see (as ``/evidence`` lists them)."""
    found = selectors.with_progress(rows).prefetch_related(
        Prefetch("evidence_links", queryset=selectors.visible_evidence_links(v)),
        Prefetch(
            "evidence_links",
            queryset=Evidence.objects.only("recommendation_id"),
            to_attr="all_evidence",
        ),
        Prefetch(
            "metric_links",
            queryset=RecommendationMetric.objects.select_related("metric").order_by("metric__name"),
        ),
    )
    out = []
    for r in found:
        p = selectors.progress(r)
        hears = services.customer_hears(
            r.outcome,
            owned_dated_actions=bool(r.owned_dated),  # type: ignore[attr-defined]
            summary=r.customer_summary,
            reason=r.decision_reason,
        )[0]
        seen = [e.insight_id for e in r.evidence_links.all()]
        out.append(
            {
                **{f: getattr(r, f) for f in _FIELDS},
                "evidence": seen,
                "hidden_evidence": len(r.all_evidence) - len(seen),
                "metrics": [
                    {"metric_id": m.metric_id, "name": m.metric.name, "direction": m.direction}
                    for m in r.metric_links.all()
                ],
                "customer_hears": hears,
                "progress": {**p.__dict__, "total": p.total, "share_done": p.share_done},
            }
        )
    return out


def _rec(v: Viewer, rec: Recommendation) -> dict[str, Any]:
    return _recs(v, Recommendation.objects.filter(pk=rec.pk))[0]


class _Rows:
    """A list's rows for the paginator: counted in the database, shaped a page at a time."""

    def __init__(self, v: Viewer, rows: QuerySet[Recommendation]) -> None:
        self.v = v
        self.rows = rows

    def all(self) -> "_Rows":
        return self

    def count(self) -> int:
        return self.rows.count()

    def __getitem__(self, page: slice) -> list[dict[str, Any]]:
        return _recs(self.v, self.rows[page])


def _conflict(v: Viewer, pk: int, exc: Conflict) -> Status[dict[str, Any]]:
    current = selectors.recommendation(v, pk)
    return Status(409, {"detail": exc.message, "current": _rec(v, current)})


# --- the room --------------------------------------------------------------------------------


@router.get(
    "/debriefs/{debrief_id}/room",
    response=responses({200: RoomOut}, object_path=True),
    operation_id="get_debrief_room",
    summary="The debrief room's state: phase, time left, plan",
)
def get_room(request: HttpRequest, debrief_id: int) -> dict[str, Any]:
    return _room(selectors.debrief(viewer(request), debrief_id))


def _plan_errors(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """The service's plan errors named as the body names them: ``phases.2.minutes`` (the
    second phase) is ``plan.1.minutes`` (its index in ``plan``)."""

    def name(key: str) -> str:
        head, _, rest = key.partition(".")
        if head != "phases":
            return key
        number, _, field = rest.partition(".")
        if not number.isdigit():
            return "plan"
        return ".".join(["plan", str(int(number) - 1), *([field] if field else [])])

    return {name(k): v for k, v in errors.items()}


@router.patch(
    "/debriefs/{debrief_id}/room",
    response=responses({200: RoomOut}, body=True, object_path=True, versioned=True),
    operation_id="update_debrief_room",
    summary="Set the room's plan and/or its current phase",
)
def update_room(request: HttpRequest, debrief_id: int, payload: RoomIn) -> dict[str, Any]:
    v = viewer(request)
    found = selectors.debrief(v, debrief_id, action="debrief.run")
    data = payload.model_dump(exclude_unset=True)
    version = data.get("version")
    if "plan" in data:
        try:
            found = room_services.set_plan(v, found, phases=data["plan"], version=version)
        except ValidationFailed as exc:
            raise ValidationFailed(_plan_errors(exc.errors)) from None
        version = found.version if version is not None else None
    if "phase" in data:
        found = room_services.set_phase(v, found, phase=data["phase"], version=version)
    return _room(found)


@router.post(
    "/debriefs/{debrief_id}/open",
    response=responses({200: RoomOut}, object_path=True),
    operation_id="open_debrief_room",
    summary="Open the debrief room (its first phase starts)",
)
def open_room(request: HttpRequest, debrief_id: int) -> dict[str, Any]:
    v = viewer(request)
    found = selectors.debrief(v, debrief_id, action="debrief.run")
    return _room(room_services.open_debrief(v, found))


@router.get(
    "/debriefs/{debrief_id}/brief",
    response=responses({200: BriefOut}, object_path=True),
    operation_id="get_debrief_brief",
    summary="The decision brief: top priorities, quotes, vote spread, earlier decisions, coverage",
)
def get_brief(request: HttpRequest, debrief_id: int) -> dict[str, Any]:
    v = viewer(request)
    b = selectors.brief(v, selectors.debrief(v, debrief_id))
    return {
        "voting": b.voting,
        "priorities": [
            {
                "insight_id": p.card.insight_id,
                "rank": p.card.rank,
                "text": p.card.text,
                "kind": p.card.kind,
                "dots": p.card.dots,
                "voters": p.card.voters,
                "by_segment": p.card.by_segment,
                "said_by": [
                    {
                        "insight_id": c.insight_id,
                        "speaker_name": c.speaker_name,
                        "customer_id": c.customer_id,
                        "organisation": c.organisation,
                    }
                    for c in p.card.contributors
                ],
                "hidden_speakers": p.card.hidden_contributors,
                "quotes": [q.text for q in p.quotes],
                "earlier_decisions": [r.pk for r in p.earlier],
                "covered": p.covered,
                "covered_as": p.covered_as,
                "revisit_on": p.revisit_on,
            }
            for p in b.priorities
        ],
        "coverage_top": b.coverage.top,
        "coverage_covered": b.coverage.covered,
        "uncovered": [p.card.insight_id for p in b.coverage.uncovered],
    }


# --- recommendations -------------------------------------------------------------------------


@router.get(
    "/recommendations",
    response=responses({200: list[RecommendationOut]}),
    operation_id="list_recommendations",
    summary="List recommendations (by debrief_id, program_id, outcome)",
)
@paginate(Pagination)
def list_recommendations(
    request: HttpRequest, filters: Query[RecommendationFilters]
) -> list[dict[str, Any]]:
    v = viewer(request)
    rows = selectors.recommendations(
        v,
        debrief_id=filters.debrief_id,
        program_id=filters.program_id,
        outcome=filters.outcome,
    )
    return _Rows(v, rows)  # type: ignore[return-value]


@router.post(
    "/debriefs/{debrief_id}/recommendations",
    response=responses({201: RecommendationOut}, body=True, object_path=True),
    operation_id="create_recommendation",
    summary="Draft a recommendation with its evidence",
)
def create_recommendation(
    request: HttpRequest, debrief_id: int, payload: RecommendationCreateIn
) -> Status[dict[str, Any]]:
    v = viewer(request)
    found = selectors.debrief(v, debrief_id, action="recommendation.draft")
    data = payload.model_dump()
    rec = services.draft_recommendation(v, found, **data)
    return Status(201, _rec(v, rec))


@router.get(
    "/recommendations/{recommendation_id}",
    response=responses({200: RecommendationOut}, object_path=True),
    operation_id="get_recommendation",
    summary="Get a recommendation",
)
def get_recommendation(request: HttpRequest, recommendation_id: int) -> dict[str, Any]:
    v = viewer(request)
    return _rec(v, selectors.recommendation(v, recommendation_id))


@router.patch(
    "/recommendations/{recommendation_id}",
    response={
        **responses({200: RecommendationOut}, body=True, object_path=True),
        409: RecommendationConflictOut,
    },
    operation_id="update_recommendation",
    summary="Change some of a recommendation's fields (409 with the current record when stale)",
)
def update_recommendation(
    request: HttpRequest, recommendation_id: int, payload: RecommendationUpdateIn
) -> Any:
    v = viewer(request)
    rec = selectors.recommendation(v, recommendation_id)
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version", None)
    try:
        services.update_recommendation(v, rec, changes=changes, version=version)
    except Conflict as exc:
        return _conflict(v, rec.pk, exc)
    return _rec(v, rec)


@router.post(
    "/recommendations/{recommendation_id}/decide",
    response={
        **responses({200: RecommendationOut}, body=True, object_path=True),
        409: RecommendationConflictOut,
    },
    operation_id="decide_recommendation",
    summary="Approve, defer (with a date to revisit) or reject, with a reason",
)
def decide_recommendation(
    request: HttpRequest, recommendation_id: int, payload: RecommendationDecideIn
) -> Any:
    v = viewer(request)
    rec = selectors.recommendation(v, recommendation_id)
    try:
        services.decide(
            v, rec, payload.outcome, payload.reason, payload.revisit_on, version=payload.version
        )
    except Conflict as exc:
        return _conflict(v, rec.pk, exc)
    return _rec(v, rec)


@router.post(
    "/recommendations/{recommendation_id}/archive",
    response={
        **responses({200: RecommendationOut}, body=True, object_path=True),
        409: RecommendationConflictOut,
    },
    operation_id="archive_recommendation",
    summary="Archive a draft (kept, never deleted)",
)
def archive_recommendation(
    request: HttpRequest, recommendation_id: int, payload: RecommendationArchiveIn
) -> Any:
    v = viewer(request)
    rec = selectors.recommendation(v, recommendation_id)
    try:
        services.archive_recommendation(v, rec, version=payload.version)
    except Conflict as exc:
        return _conflict(v, rec.pk, exc)
    return _rec(v, rec)


@router.get(
    "/recommendations/{recommendation_id}/evidence",
    response=responses({200: list[RecommendationEvidenceOut]}, object_path=True),
    operation_id="list_recommendation_evidence",
    summary="A recommendation's evidence (the insights you may see)",
)
@paginate(Pagination)
def list_evidence(request: HttpRequest, recommendation_id: int) -> Any:
    v = viewer(request)
    rec = selectors.recommendation(v, recommendation_id)
    return Shaped(
        selectors.evidence(v, rec),
        lambda page, _offset: [
            {"insight_id": i.pk, "kind": i.kind, "text": i.text, "speaker_name": i.speaker_name}
            for i in page
        ],
    )


@router.get(
    "/recommendations/{recommendation_id}/decisions",
    response=responses({200: list[RecommendationDecisionOut]}, object_path=True),
    operation_id="list_recommendation_decisions",
    summary="A recommendation's decisions, oldest first (append-only history)",
)
@paginate(Pagination)
def list_decisions(request: HttpRequest, recommendation_id: int) -> Any:
    rec = selectors.recommendation(viewer(request), recommendation_id)
    return Shaped(selectors.decisions(rec), lambda page, _offset: [_decision(d) for d in page])


def _decision(d: Decision) -> dict[str, Any]:
    return {
        "id": d.pk,
        "outcome": d.outcome,
        "reason": d.reason,
        "revisit_on": d.revisit_on,
        "decided_by_id": d.decided_by_id,
        "decided_by": d.decided_by_label,
        "decided_as": d.decided_as,
        "at": d.at,
    }
