"""Web pages for scenario maps: the journey grid, live capture, scenarios, steps and insights.

The board is the note taker's page: the grid of the chosen scenario and, for those who may
capture, a one-line form driven by the keyboard (quick syntax in ``quick.py``). A saved
insight comes back as htmx out-of-band swaps, so the card is on the grid without a reload.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from traction.core import guard, permissions, sections
from traction.core.errors import DomainError, ValidationFailed
from traction.core.permissions import Viewer
from traction.core.web import (
    WorkspaceRequest,
    apply_domain_errors,
    error_text,
    query_without,
    render_page,
    workspace_view,
)
from traction.insights import quick, rules, selectors, services
from traction.insights.forms import (
    MAX_VERSION,
    CaptureForm,
    InsightForm,
    MeasuresForm,
    ScenarioForm,
    StepActionForm,
    StepSupportForm,
)
from traction.insights.models import GRID_KINDS, InsightKind, InsightStatus, Scenario, Step
from traction.sessions.models import Session


def _to_board(
    request: WorkspaceRequest, session_id: int, scenario_id: int | None = None
) -> HttpResponse:
    response = redirect(
        "insights:board", workspace_slug=request.workspace.slug, session_id=session_id
    )
    if scenario_id:
        response["Location"] += f"?scenario={scenario_id}"
    return response


def _pick_scenario(scenarios: list[Scenario], wanted: str | None) -> Scenario | None:
    for s in scenarios:
        if wanted and str(s.pk) == wanted:
            return s
    return scenarios[0] if scenarios else None


def _board_context(
    viewer: Viewer, session: Session, scenario_id: str | None, form: CaptureForm | None = None
) -> dict[str, Any]:
    scenarios = selectors.scenarios(session)
    current = _pick_scenario(scenarios, scenario_id)
    shown = selectors.board(viewer, session, current)
    steps = list(current.steps.all()) if current else []
    people = selectors.speakers(session)
    can_capture = permissions.can(viewer, "insight.capture", session)
    if can_capture and form is None:
        form = CaptureForm(people=people, steps=steps)
    return {
        "session": session,
        "scenarios": scenarios,
        "scenario": current,
        "grid": shown.grid,
        "others": shown.others,
        "internal": shown.internal,
        "form": form,
        "people": people,
        "steps": steps,
        "kinds": InsightKind.choices,
        "short_kinds": quick.SHORT_KINDS,
        "can_capture": can_capture,
        "can_import": permissions.can(viewer, "insight.import", session),
        "sections": sections.for_page("board", viewer, session),
        "review_count": rules.visible_insights(viewer, selectors.review_queue(session)).count(),
        "total": shown.total,
    }


@workspace_view
@require_GET
def board(request: WorkspaceRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    session = selectors.session_for(viewer, session_id)
    context = _board_context(viewer, session, request.GET.get("scenario"))
    present = request.GET.get("present") == "1"
    context["present"] = present
    if present:
        # Present mode is for the room's screen: no capture line, no edit links, no buttons.
        context.update(can_capture=False, can_import=False, sections=[], form=None)
    return render(request, "insights/board.html", context)


LIST_TITLES = {
    "outcome": "Outcome",
    "context": "Context",
    "unplaced": "Not on a step yet",
    "others": "Quotes, questions and other insights",
    "internal": "Internal remarks",
}


@workspace_view
@require_GET
def board_cell(request: WorkspaceRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    """Every card of one cell of the board (``?scenario=&step=&kind=``) or of one of its lists
    (``?scenario=&list=``), a page at a time: what a cell's "N more" opens. With htmx: the
    list alone (the page's own links are boosted: they take the list from the whole page)."""
    session = selectors.session_for(viewer, session_id)
    scenarios = selectors.scenarios(session)
    raw_scenario = request.GET.get("scenario", "")
    wanted = guard.whole_number(raw_scenario)
    scenario = next((s for s in scenarios if s.pk == wanted), None)
    if raw_scenario and scenario is None:
        raise Http404("No such scenario in this session.")
    step_id = guard.whole_number(request.GET.get("step", ""))
    kind = request.GET.get("kind", "")
    list_name = request.GET.get("list", "")
    step = None
    if scenario is not None and step_id is not None:
        step = next((s for s in scenario.steps.all() if s.pk == step_id), None)
    if step is not None and kind in GRID_KINDS:
        title = f"{selectors.ROW_LABELS[InsightKind(kind)]} · {step.position}. {step.title}"
    elif (
        "step" not in request.GET
        and list_name in LIST_TITLES
        and (scenario is not None or list_name in ("others", "internal"))
    ):
        title = LIST_TITLES[list_name]
    else:
        raise Http404("No such cell on this board.")
    cards = selectors.board_cell(
        viewer, session, scenario, step=step, kind=kind if step else "", list_name=list_name
    )
    page = Paginator(cards, selectors.CELL_PAGE).get_page(request.GET.get("page"))
    context = {
        "session": session,
        "scenario": scenario,
        "title": title,
        "page": page,
        "query": query_without(request, "page"),
        "can_capture": permissions.can(viewer, "insight.capture", session),
    }
    return render_page(request, "insights/board_cell.html", context, partial="cell")


@workspace_view
@require_POST
def capture(request: WorkspaceRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    """Save one insight. With htmx: the fresh form and the updated grid, out of band."""
    session = selectors.session_for(viewer, session_id, "insight.capture")
    scenario_id = request.POST.get("scenario") or None
    scenarios = selectors.scenarios(session)
    current = _pick_scenario(scenarios, scenario_id)
    steps = list(current.steps.all()) if current else []
    people = selectors.speakers(session)
    form = CaptureForm(request.POST, people=people, steps=steps)
    saved = None
    if form.is_valid():
        data = form.cleaned_data
        typed = quick.parse(
            data["text"],
            speakers=[(p.key, p.name) for p in people],
            steps=[(s.pk, s.title) for s in steps],
        )
        for field, message in typed.errors.items():
            form.add_error("text" if field not in form.fields else field, message)
        if not typed.errors:
            try:
                saved = services.capture_insight(
                    viewer,
                    session=session,
                    kind=typed.kind or data["kind"],
                    text=typed.text,
                    speaker=typed.speaker if typed.speaker is not None else data["speaker"],
                    step_id=typed.step_id or (int(data["step"]) if data["step"] else None),
                    scenario_id=current.pk if current else None,
                    tags=[*typed.tags, *services.normalize_tags(data["tags"]).split()],
                    behalf_reason=data["behalf_reason"],
                )
            except ValidationFailed as exc:
                apply_domain_errors(form, exc)
    if saved is not None:
        # Sticky choices: the next insight keeps the type, speaker and step just used.
        sticky = {
            "kind": saved.kind,
            "speaker": saved.speaker_key,
            "step": str(saved.step_id or ""),
            "tags": data["tags"],
        }
        form = CaptureForm(initial=sticky, people=people, steps=steps)
        if not request.htmx:
            messages.success(request, "Saved.")
            return _to_board(request, session.pk, current.pk if current else None)
    context = _board_context(viewer, session, scenario_id, form)
    context["saved"] = saved
    # htmx swaps only a 2xx answer: the refused form comes back as 200 there, 422 on a page.
    status = 422 if form.errors and not request.htmx else 200
    return render_page(
        request, "insights/board.html", context, partial="capture-response", status=status
    )


@workspace_view
@require_http_methods(["GET", "POST"])
def scenario_create(request: WorkspaceRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    session = selectors.session_for(viewer, session_id, "insight.capture")
    people = selectors.speakers(session)
    form = ScenarioForm(request.POST or None, people=people, new=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            scenario = services.create_scenario(
                viewer,
                session=session,
                title=data["title"],
                outcome=data["outcome"],
                context_who=data["context_who"],
                context_where=data["context_where"],
                context_when=data["context_when"],
                constraints=data["constraints"],
                team=[int(i) for i in data["team"]],
                steps=data["steps"].splitlines(),
            )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, f"Scenario “{scenario.title}” created.")
            return _to_board(request, session.pk, scenario.pk)
    return render(
        request, "insights/scenario_form.html", {"form": form, "session": session, "scenario": None}
    )


@workspace_view
@require_http_methods(["GET", "POST"])
def scenario_edit(request: WorkspaceRequest, viewer: Viewer, scenario_id: int) -> HttpResponse:
    scenario = selectors.scenario(viewer, scenario_id, "insight.capture")
    session = scenario.session
    people = selectors.speakers(session)
    initial = {
        **{f: getattr(scenario, f) for f in services.SCENARIO_FIELDS},
        "team": [str(i) for i in scenario.team.values_list("pk", flat=True)],
    }
    form = ScenarioForm(request.POST or None, initial=initial, people=people, new=False)
    raw_version = request.POST.get("version")
    version = (
        scenario.version
        if raw_version is None
        else guard.whole_number(raw_version, high=MAX_VERSION)
    )
    if request.method == "POST" and version is None:
        form.add_error(None, "This page is out of date or was changed by hand; reload it.")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changes = {f: data[f] for f in services.SCENARIO_FIELDS}
        try:
            services.update_scenario(
                viewer,
                scenario=scenario,
                changes={**changes, "team": [int(i) for i in data["team"]]},
                version=version,
            )
        except DomainError as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, "Scenario saved.")
            return _to_board(request, session.pk, scenario.pk)
    return render(
        request,
        "insights/scenario_form.html",
        {"form": form, "session": session, "scenario": scenario},
    )


@workspace_view
@require_POST
def scenario_remove(request: WorkspaceRequest, viewer: Viewer, scenario_id: int) -> HttpResponse:
    scenario = selectors.scenario(viewer, scenario_id, "insight.capture")
    session_id = scenario.session_id
    services.remove_scenario(viewer, scenario=scenario)
    messages.success(
        request, f"Scenario “{scenario.title}” removed; its insights stay in the session."
    )
    return _to_board(request, session_id)


def _step_action(viewer: Viewer, scenario: Scenario, data: dict[str, Any]) -> str:
    steps = {s.pk: s for s in scenario.steps.all()}
    action = data["action"]
    if action == "add":
        added = services.add_step(
            viewer, scenario=scenario, title=data["title"] or "", position=data["position"]
        )
        return f"Step “{added.title}” added."
    step = steps.get(data["step"] or 0)
    if step is None:
        raise ValidationFailed.field("step", "Pick a step of this scenario.")
    if action == "rename":
        services.rename_step(viewer, step=step, title=data["title"] or "")
        return "Step renamed."
    if action in ("up", "down"):
        order = sorted(steps, key=lambda i: steps[i].position)
        at = order.index(step.pk)
        to = at - 1 if action == "up" else at + 1
        if 0 <= to < len(order):
            order[at], order[to] = order[to], order[at]
            services.reorder_steps(viewer, scenario=scenario, step_ids=order)
        return "Steps reordered."
    if action == "merge":
        absorb = steps.get(data["absorb"] or 0)
        if absorb is None:
            raise ValidationFailed.field("absorb", "Pick the step to merge into this one.")
        services.merge_steps(viewer, keep=step, absorb=absorb, title=data["title"] or "")
        return f"“{absorb.title}” merged into “{step.title}”."
    services.remove_step(viewer, step=step)
    return f"Step “{step.title}” removed; its insights stay on the scenario."


def _removal_to_confirm(scenario: Scenario, data: dict[str, Any]) -> dict[str, Any] | None:
    """A removal not confirmed yet of a step that has insights: the step and how many (its
    insights leave the step; the page asks once more). None when there is nothing to ask."""
    if data["action"] != "remove" or data["confirmed"]:
        return None
    step = scenario.steps.filter(pk=data["step"] or 0).annotate(n=Count("insights")).first()
    if step is None or not step.n:
        return None
    return {"step": step, "count": step.n}


@workspace_view
@require_http_methods(["GET", "POST"])
def steps(request: WorkspaceRequest, viewer: Viewer, scenario_id: int) -> HttpResponse:
    scenario = selectors.scenario(viewer, scenario_id, "insight.capture")
    return _steps_page(request, viewer, scenario)


def _steps_page(
    request: WorkspaceRequest,
    viewer: Viewer,
    scenario: Scenario,
    support_form: StepSupportForm | None = None,
) -> HttpResponse:
    posted = request.method == "POST" and support_form is None
    form = StepActionForm(request.POST if posted else None)
    error = ""
    confirm_remove: dict[str, Any] | None = None
    if request.method == "POST" and support_form is None:
        if form.is_valid() and (confirm_remove := _removal_to_confirm(scenario, form.cleaned_data)):
            pass  # asked once more, nothing changed
        elif form.is_valid():
            try:
                messages.success(request, _step_action(viewer, scenario, form.cleaned_data))
            except ValidationFailed as exc:
                error = error_text(exc)
            else:
                return redirect(
                    "insights:steps", workspace_slug=request.workspace.slug, scenario_id=scenario.pk
                )
        elif "title" in form.errors:
            error = " ".join(str(e) for e in form.errors["title"])
        else:
            error = "That change could not be read; use the buttons on this page."
    # In position order, said explicitly: a query with an aggregate ignores Meta.ordering,
    # which listed a step inserted at 2 last (1, 3, 4, 5, 6, 2) and misplaced its arrows.
    step_list = list(
        scenario.steps.annotate(
            insight_count=Count("insights", filter=Q(insights__status=InsightStatus.ACCEPTED))
        )
        .prefetch_related("support")
        .order_by("position", "id")
    )
    if support_form is None:
        support_form = StepSupportForm(steps=step_list)
    return render(
        request,
        "insights/steps.html",
        {
            "scenario": scenario,
            "session": scenario.session,
            "steps": step_list,
            "error": error,
            "support_form": support_form,
            "confirm_remove": confirm_remove,
        },
        status=422 if error or support_form.is_bound else 200,
    )


# --- the "How we support it" lane -------------------------------------------------------------


def _to_support(request: WorkspaceRequest, scenario_id: int) -> HttpResponse:
    response = redirect(
        "insights:steps", workspace_slug=request.workspace.slug, scenario_id=scenario_id
    )
    response["Location"] += "#support"
    return response


@workspace_view
@require_POST
def support_add(request: WorkspaceRequest, viewer: Viewer, scenario_id: int) -> HttpResponse:
    scenario = selectors.scenario(viewer, scenario_id, "insight.capture")
    form = StepSupportForm(request.POST, steps=list(scenario.steps.all()))
    if form.is_valid():
        data = form.cleaned_data
        step = scenario.steps.get(pk=int(data["step"]))
        try:
            services.add_step_support(
                viewer, step=step, kind=data["kind"], name=data["name"], note=data["note"]
            )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, f"“{data['name']}” added at “{step.title}”.")
            return _to_support(request, scenario.pk)
    return _steps_page(request, viewer, scenario, support_form=form)


@workspace_view
@require_http_methods(["GET", "POST"])
def support_edit(request: WorkspaceRequest, viewer: Viewer, support_id: int) -> HttpResponse:
    support = selectors.step_support(viewer, support_id, "insight.capture")
    scenario = support.step.scenario
    form = StepSupportForm(
        request.POST if request.method == "POST" else None,
        initial={"kind": support.kind, "name": support.name, "note": support.note},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_step_support(viewer, support=support, changes=form.cleaned_data)
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, "Saved.")
            return _to_support(request, scenario.pk)
    return render(
        request,
        "insights/support_form.html",
        {"form": form, "support": support, "scenario": scenario, "session": scenario.session},
        status=422 if form.errors else 200,
    )


@workspace_view
@require_POST
def support_remove(request: WorkspaceRequest, viewer: Viewer, support_id: int) -> HttpResponse:
    support = selectors.step_support(viewer, support_id, "insight.capture")
    scenario_id = support.step.scenario_id
    services.remove_step_support(viewer, support=support)
    messages.success(request, f"“{support.name}” removed from “{support.step.title}”.")
    return _to_support(request, scenario_id)


@workspace_view
@require_POST
def insight_measures(request: WorkspaceRequest, viewer: Viewer, insight_id: int) -> HttpResponse:
    """The moments of truth a customer metric card measures (from its edit page)."""
    insight = selectors.insight(viewer, insight_id, "insight.capture")
    form = MeasuresForm(request.POST, moments=list(selectors.moments_of_truth(viewer, insight)))
    if form.is_valid():
        try:
            linked = services.link_metric_to_moments(
                viewer, metric=insight, moments=[int(i) for i in form.cleaned_data["moments"]]
            )
        except ValidationFailed as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(
                request,
                f"This metric measures {len(linked)} moment{'s' if len(linked) != 1 else ''} "
                "of truth."
                if linked
                else "This metric measures no moment of truth now.",
            )
    else:
        messages.error(request, "Pick moments of truth of this metric's scenario.")
    return redirect(
        "insights:insight_edit", workspace_slug=request.workspace.slug, insight_id=insight.pk
    )


@workspace_view
@require_http_methods(["GET", "POST"])
def insight_edit(request: WorkspaceRequest, viewer: Viewer, insight_id: int) -> HttpResponse:
    insight = selectors.insight(viewer, insight_id, "insight.capture")
    session = insight.session
    people = selectors.speakers_keeping(insight)
    all_steps = list(
        Step.objects.filter(scenario__session=session)
        .select_related("scenario")
        .order_by("scenario_id", "position")
    )
    speaker = insight.speaker_key
    initial = {
        "kind": insight.kind,
        "text": insight.text,
        "speaker": speaker,
        "step": str(insight.step_id or ""),
        "tags": insight.tags,
        "version": insight.version,
    }
    form = InsightForm(request.POST or None, initial=initial, people=people, steps=all_steps)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changes: dict[str, Any] = {
            "kind": data["kind"],
            "text": data["text"],
            "tags": data["tags"],
            "step_id": int(data["step"]) if data["step"] else None,
        }
        if data["speaker"] != speaker:
            changes["speaker"] = data["speaker"]
        try:
            services.update_insight(
                viewer, insight=insight, changes=changes, version=data["version"]
            )
        except DomainError as exc:
            apply_domain_errors(form, exc, {"step_id": "step"})
        else:
            messages.success(request, "Insight saved.")
            if insight.status == InsightStatus.CANDIDATE:
                return redirect(
                    "insights:review", workspace_slug=request.workspace.slug, session_id=session.pk
                )
            return _to_board(request, session.pk, insight.scenario_id)
    measures_form = None
    if insight.kind == InsightKind.CUSTOMER_METRIC:
        measures_form = MeasuresForm(
            initial={"moments": [str(m.pk) for m in insight.visible_measures]},  # type: ignore[attr-defined]
            moments=list(selectors.moments_of_truth(viewer, insight)),
        )
    return render(
        request,
        "insights/insight_form.html",
        {"form": form, "insight": insight, "session": session, "measures_form": measures_form},
    )


@workspace_view
@require_POST
def insight_remove(request: WorkspaceRequest, viewer: Viewer, insight_id: int) -> HttpResponse:
    insight = selectors.insight(viewer, insight_id, "insight.capture")
    try:
        services.remove_insight(viewer, insight=insight)
    except ValidationFailed as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, "Insight removed.")
    return _to_board(request, insight.session_id, insight.scenario_id)


S = "sessions/<int:session_id>/"
urlpatterns = [
    path(S + "map/", board, name="board"),
    path(S + "map/cell/", board_cell, name="board_cell"),
    path(S + "capture/", capture, name="capture"),
    path(S + "scenarios/new/", scenario_create, name="scenario_create"),
    path("scenarios/<int:scenario_id>/edit/", scenario_edit, name="scenario_edit"),
    path("scenarios/<int:scenario_id>/remove/", scenario_remove, name="scenario_remove"),
    path("scenarios/<int:scenario_id>/steps/", steps, name="steps"),
    path("<int:insight_id>/edit/", insight_edit, name="insight_edit"),
    path("<int:insight_id>/remove/", insight_remove, name="insight_remove"),
    path("<int:insight_id>/measures/", insight_measures, name="insight_measures"),
    path("scenarios/<int:scenario_id>/support/", support_add, name="support_add"),
    path("support/<int:support_id>/edit/", support_edit, name="support_edit"),
    path("support/<int:support_id>/remove/", support_remove, name="support_remove"),
]
