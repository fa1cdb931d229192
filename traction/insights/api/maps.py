"""API operations for scenario maps, steps and captured insights."""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from traction.core.api import Pagination, responses, viewer
from traction.core.errors import ValidationFailed
from traction.insights import selectors, services
from traction.insights.models import Insight, InsightSource, Scenario, Step, StepSupport
from traction.insights.schemas import (
    InsightFilters,
    InsightIn,
    InsightOut,
    InsightUpdateIn,
    MapParams,
    MeasuresIn,
    ScenarioIn,
    ScenarioMapOut,
    ScenarioOut,
    ScenarioUpdateIn,
    SpeakerOut,
    StepIn,
    StepMergeIn,
    StepOrderIn,
    StepOut,
    StepRenameIn,
    StepSupportIn,
    StepSupportOut,
    StepSupportUpdateIn,
)

router = Router(tags=["scenario maps and insights"])


@router.get(
    "/sessions/{session_id}/speakers",
    response=responses({200: list[SpeakerOut]}, object_path=True),
    operation_id="list_speakers",
    summary="Who may be credited with an insight in a session",
)
def list_speakers(request: HttpRequest, session_id: int) -> list[Any]:
    v = viewer(request)
    return selectors.visible_speakers(v, selectors.session_for(v, session_id))


@router.get(
    "/sessions/{session_id}/scenarios",
    response=responses({200: list[ScenarioOut]}, object_path=True),
    operation_id="list_scenarios",
    summary="A session's scenarios with their steps",
)
def list_scenarios(request: HttpRequest, session_id: int) -> list[Scenario]:
    return selectors.scenarios(selectors.session_for(viewer(request), session_id))


@router.post(
    "/sessions/{session_id}/scenarios",
    response=responses({201: ScenarioOut}, body=True, object_path=True),
    operation_id="create_scenario",
    summary="Create a customer team's scenario",
)
def create_scenario(request: HttpRequest, session_id: int, payload: ScenarioIn) -> Status[Scenario]:
    v = viewer(request)
    session = selectors.session_for(v, session_id, "insight.capture")
    return Status(201, services.create_scenario(v, session=session, **payload.model_dump()))


@router.get(
    "/scenarios/{scenario_id}",
    response=responses({200: ScenarioOut}, object_path=True),
    operation_id="get_scenario",
    summary="A scenario with its steps",
)
def get_scenario(request: HttpRequest, scenario_id: int) -> Scenario:
    return selectors.scenario(viewer(request), scenario_id)


@router.get(
    "/scenarios/{scenario_id}/map",
    response=responses({200: ScenarioMapOut}, object_path=True),
    operation_id="get_scenario_map",
    summary="A scenario's journey grid: each cell's top cards and how many it holds",
)
def get_scenario_map(
    request: HttpRequest,
    scenario_id: int,
    params: Query[MapParams],
) -> dict[str, Any]:
    v = viewer(request)
    scenario = selectors.scenario(v, scenario_id)
    shown = selectors.board(v, scenario.session, scenario, top=params.top)
    grid = shown.grid
    assert grid is not None  # a scenario's board has its grid
    return {
        "scenario_id": scenario.pk,
        "steps": grid.steps,
        "max_dots": grid.max_dots,
        "cells": [
            {
                "step_id": step.pk,
                "kind": row.kind,
                "total": row.cells[n].total,
                "cards": row.cells[n],
            }
            for n, step in enumerate(grid.steps)
            for row in grid.rows
        ],
        "lists": [
            {"name": name, "total": cards.total, "cards": cards}
            for name, cards in (
                ("outcome", grid.outcome),
                ("context", grid.context),
                ("unplaced", grid.unplaced),
                ("others", shown.others),
                ("internal", shown.internal),
            )
        ],
    }


@router.patch(
    "/scenarios/{scenario_id}",
    response=responses({200: ScenarioOut}, body=True, object_path=True, versioned=True),
    operation_id="update_scenario",
    summary="Change a scenario's title, outcome, context or team",
)
def update_scenario(request: HttpRequest, scenario_id: int, payload: ScenarioUpdateIn) -> Scenario:
    v = viewer(request)
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version", None)
    scenario = selectors.scenario(v, scenario_id, "insight.capture")
    return services.update_scenario(v, scenario=scenario, changes=changes, version=version)


@router.delete(
    "/scenarios/{scenario_id}",
    response=responses({204: None}, object_path=True),
    operation_id="remove_scenario",
    summary="Remove a scenario (its insights stay in the session, without a step)",
)
def remove_scenario(request: HttpRequest, scenario_id: int) -> Status[None]:
    v = viewer(request)
    services.remove_scenario(v, scenario=selectors.scenario(v, scenario_id, "insight.capture"))
    return Status(204, None)


@router.post(
    "/scenarios/{scenario_id}/steps",
    response=responses({201: StepOut}, body=True, object_path=True),
    operation_id="add_step",
    summary="Add a step to a scenario",
)
def add_step(request: HttpRequest, scenario_id: int, payload: StepIn) -> Status[Step]:
    v = viewer(request)
    scenario = selectors.scenario(v, scenario_id, "insight.capture")
    return Status(201, services.add_step(v, scenario=scenario, **payload.model_dump()))


@router.put(
    "/scenarios/{scenario_id}/steps",
    response=responses({200: list[StepOut]}, body=True, object_path=True),
    operation_id="reorder_steps",
    summary="Put a scenario's steps in a new order",
)
def reorder_steps(request: HttpRequest, scenario_id: int, payload: StepOrderIn) -> list[Step]:
    v = viewer(request)
    scenario = selectors.scenario(v, scenario_id, "insight.capture")
    return services.reorder_steps(v, scenario=scenario, step_ids=payload.step_ids)


@router.patch(
    "/steps/{step_id}",
    response=responses({200: StepOut}, body=True, object_path=True),
    operation_id="rename_step",
    summary="Rename a step",
)
def rename_step(request: HttpRequest, step_id: int, payload: StepRenameIn) -> Step:
    v = viewer(request)
    return services.rename_step(
        v, step=selectors.step(v, step_id, "insight.capture"), title=payload.title
    )


@router.post(
    "/steps/{step_id}/merge",
    response=responses({200: StepOut}, body=True, object_path=True),
    operation_id="merge_steps",
    summary="Fold another step of the same scenario into this one",
)
def merge_steps(request: HttpRequest, step_id: int, payload: StepMergeIn) -> Step:
    v = viewer(request)
    keep = selectors.step(v, step_id, "insight.capture")
    absorb = keep.scenario.steps.filter(pk=payload.absorb).first()
    if absorb is None:
        raise ValidationFailed.field("absorb", "Pick another step of the same scenario.")
    return services.merge_steps(v, keep=keep, absorb=absorb, title=payload.title)


@router.delete(
    "/steps/{step_id}",
    response=responses({204: None}, object_path=True),
    operation_id="remove_step",
    summary="Remove a step (its insights stay on the scenario)",
)
def remove_step(request: HttpRequest, step_id: int) -> Status[None]:
    v = viewer(request)
    services.remove_step(v, step=selectors.step(v, step_id, "insight.capture"))
    return Status(204, None)


@router.get(
    "/sessions/{session_id}/insights",
    response=responses({200: list[InsightOut]}, object_path=True),
    operation_id="list_session_insights",
    summary="A session's insights, in capture order",
)
@paginate(Pagination)
def list_session_insights(
    request: HttpRequest, session_id: int, filters: Query[InsightFilters]
) -> QuerySet[Insight]:
    v = viewer(request)
    session = selectors.session_for(v, session_id)
    return selectors.insights(v, session_id=session.pk, **filters.model_dump())


@router.post(
    "/sessions/{session_id}/insights",
    response=responses({201: InsightOut}, body=True, object_path=True),
    operation_id="capture_insight",
    summary="Capture an insight, attributed to its speaker and step",
)
def capture_insight(request: HttpRequest, session_id: int, payload: InsightIn) -> Status[Insight]:
    v = viewer(request)
    session = selectors.session_for(v, session_id, "insight.capture")
    fields = payload.model_dump()
    return Status(
        201, services.capture_insight(v, session=session, source=InsightSource.API, **fields)
    )


@router.get(
    "/insights/{insight_id}",
    response=responses({200: InsightOut}, object_path=True),
    operation_id="get_insight",
    summary="One insight",
)
def get_insight(request: HttpRequest, insight_id: int) -> Insight:
    return selectors.insight(viewer(request), insight_id)


@router.patch(
    "/insights/{insight_id}",
    response=responses({200: InsightOut}, body=True, object_path=True, versioned=True),
    operation_id="update_insight",
    summary="Correct an insight's type, text, speaker, step or tags",
)
def update_insight(request: HttpRequest, insight_id: int, payload: InsightUpdateIn) -> Insight:
    v = viewer(request)
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version", None)
    found = selectors.insight(v, insight_id, "insight.capture")
    return services.update_insight(v, insight=found, changes=changes, version=version)


@router.delete(
    "/insights/{insight_id}",
    response=responses({204: None}, object_path=True),
    operation_id="remove_insight",
    summary="Remove an insight captured by mistake (not one customers voted on)",
)
def remove_insight(request: HttpRequest, insight_id: int) -> Status[None]:
    v = viewer(request)
    services.remove_insight(v, insight=selectors.insight(v, insight_id, "insight.capture"))
    return Status(204, None)


@router.put(
    "/insights/{insight_id}/measures",
    response=responses({200: InsightOut}, body=True, object_path=True),
    operation_id="link_metric_to_moments",
    summary="Set the moments of truth a customer metric card measures",
)
def link_metric_to_moments(request: HttpRequest, insight_id: int, payload: MeasuresIn) -> Insight:
    v = viewer(request)
    metric = selectors.insight(v, insight_id, "insight.capture")
    services.link_metric_to_moments(v, metric=metric, moments=payload.moment_ids)
    return selectors.insight(v, insight_id)


@router.post(
    "/steps/{step_id}/support",
    response=responses({201: StepSupportOut}, body=True, object_path=True),
    operation_id="add_step_support",
    summary="Add a team or partner to a step's “How we support it” lane",
)
def add_step_support(
    request: HttpRequest, step_id: int, payload: StepSupportIn
) -> Status[StepSupport]:
    v = viewer(request)
    step = selectors.step(v, step_id, "insight.capture")
    return Status(201, services.add_step_support(v, step=step, **payload.model_dump()))


@router.patch(
    "/step-support/{support_id}",
    response=responses({200: StepSupportOut}, body=True, object_path=True),
    operation_id="update_step_support",
    summary="Change a team or partner of a step's lane",
)
def update_step_support(
    request: HttpRequest, support_id: int, payload: StepSupportUpdateIn
) -> StepSupport:
    v = viewer(request)
    support = selectors.step_support(v, support_id, "insight.capture")
    return services.update_step_support(
        v, support=support, changes=payload.model_dump(exclude_unset=True)
    )


@router.delete(
    "/step-support/{support_id}",
    response=responses({204: None}, object_path=True),
    operation_id="remove_step_support",
    summary="Take a team or partner off a step's lane",
)
def remove_step_support(request: HttpRequest, support_id: int) -> Status[None]:
    v = viewer(request)
    services.remove_step_support(
        v, support=selectors.step_support(v, support_id, "insight.capture")
    )
    return Status(204, None)
