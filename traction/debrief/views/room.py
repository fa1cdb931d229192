"""Debrief pages: the room (``debrief:room``, the debrief's home page), its plan and phase,
and recommendations with their decisions."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_http_methods, require_POST

from traction.core import permissions, sections
from traction.core.errors import Conflict, NotFound, ValidationFailed
from traction.core.guard import whole_numbers
from traction.core.permissions import Viewer
from traction.core.web import (
    WorkspaceRequest,
    apply_domain_errors,
    error_text,
    render_page,
    wants_partial,
    workspace_view,
)
from traction.debrief import merging
from traction.debrief import selectors_actions as actions_selectors
from traction.debrief import selectors_room as selectors
from traction.debrief.forms_room import (
    ArchiveForm,
    DecideForm,
    PhaseForm,
    PhaseFormSet,
    PlanVersionForm,
    RecommendationForm,
)
from traction.debrief.models import Debrief, DecisionOutcome, Recommendation
from traction.debrief.services import recommendations as services
from traction.debrief.services import room as room_services


def _rec_of(viewer: Viewer, found: Debrief, recommendation_id: int, action: str) -> Recommendation:
    """The debrief's recommendation the viewer may see (404 otherwise), checked for
    ``action`` (403 when they may see it but not do that)."""
    rec = selectors.recommendation(viewer, recommendation_id)
    if rec.debrief_id != found.pk:
        raise NotFound("Recommendation not found.")
    permissions.check(viewer, action, rec)
    return rec


def _room_url(request: WorkspaceRequest, found: Debrief) -> str:
    return reverse("debrief:room", args=[request.workspace.slug, found.pk])


def _finished(request: WorkspaceRequest, found: Debrief, what: str) -> HttpResponse | None:
    """A closed (or cancelled) debrief's plan and recommendations are kept as they were: the
    edit pages refuse (back to the room, saying why) instead of offering a form."""
    if not found.is_finished:
        return None
    messages.error(
        request,
        f"This debrief is {found.get_status_display().lower()}: {what} can no longer be edited.",
    )
    return redirect(_room_url(request, found))


@workspace_view
@require_http_methods(["GET"])
def room(request: WorkspaceRequest, viewer: Viewer, debrief_id: int) -> HttpResponse:
    """The debrief room: header, plan and clock, then every panel registered for it."""
    found = selectors.debrief(viewer, debrief_id, deciders=True)
    context = {
        "debrief": found,
        "session": found.session,
        "clock": selectors.room_clock(found),
        "phase_form": PhaseForm(
            initial={"phase": found.phase, "version": found.version}, plan=found.plan
        ),
        "may_run": permissions.can(viewer, "debrief.run", found),
        "too_early": found.too_early() if found.opened_at is None else "",
        # htmx's refresh of the clock panel needs none of the panels below it.
        "sections": []
        if wants_partial(request)
        else sections.for_page("debrief-room", viewer, found),
    }
    return render_page(request, "debrief/room/room.html", context, partial="clock")


@workspace_view
@require_POST
def open_room(request: WorkspaceRequest, viewer: Viewer, debrief_id: int) -> HttpResponse:
    found = selectors.debrief(viewer, debrief_id, action="debrief.run")
    try:
        room_services.open_debrief(viewer, found)
    except ValidationFailed as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, "The debrief is open. The first phase has started.")
    return redirect(_room_url(request, found))


@workspace_view
@require_POST
def phase(request: WorkspaceRequest, viewer: Viewer, debrief_id: int) -> HttpResponse:
    found = selectors.debrief(viewer, debrief_id, action="debrief.run")
    form = PhaseForm(request.POST, plan=found.plan)
    if not form.is_valid():
        messages.error(request, "Choose one of the plan's phases.")
        return redirect(_room_url(request, found))
    try:
        room_services.set_phase(
            viewer, found, phase=form.cleaned_data["phase"], version=form.cleaned_data["version"]
        )
    except (ValidationFailed, Conflict) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, "Phase set; its time box starts now.")
    return redirect(_room_url(request, found))


def _rows(found: Debrief) -> list[dict[str, Any]]:
    return [
        {"key": p["key"], "title": p["title"], "minutes": p["minutes"], "order": n}
        for n, p in enumerate(found.plan, start=1)
    ]


@workspace_view
@require_http_methods(["GET", "POST"])
def plan(request: WorkspaceRequest, viewer: Viewer, debrief_id: int) -> HttpResponse:
    """The facilitator edits the plan's phases: titles, minutes and order."""
    found = selectors.debrief(viewer, debrief_id, action="debrief.run")
    if refused := _finished(request, found, "its plan"):
        return refused
    post = request.POST if request.method == "POST" else None
    formset = PhaseFormSet(post, initial=_rows(found), prefix="phases")
    head = PlanVersionForm(post, initial={"version": found.version})
    if post is not None and formset.is_valid() and head.is_valid():
        kept = [
            (row.get("order") or 99, n, row)
            for n, row in enumerate(formset.cleaned_data)
            if row and not row.get("remove") and (row.get("title") or row.get("minutes"))
        ]
        phases = [
            {
                "key": row.get("key") or "",
                "title": row.get("title") or "",
                "minutes": row.get("minutes"),
            }
            for _, _, row in sorted(kept, key=lambda t: (t[0], t[1]))
        ]
        try:
            room_services.set_plan(
                viewer, found, phases=phases, version=head.cleaned_data["version"]
            )
        except (ValidationFailed, Conflict) as exc:
            head.add_error(None, error_text(exc))
        else:
            messages.success(request, "The plan was saved.")
            return redirect(_room_url(request, found))
    return render(
        request,
        "debrief/room/plan.html",
        {"debrief": found, "formset": formset, "head": head},
        status=200,
    )


# --- recommendations ------------------------------------------------------------------------


def _form(
    viewer: Viewer, found: Debrief, data: Any = None, initial: Any = None
) -> RecommendationForm:
    return RecommendationForm(
        data,
        initial=initial,
        evidence=services.evidence_choices(viewer, found),
        metrics=services.metric_choices(found),
        ranks=selectors.priority_ranks(viewer, found),
    )


def _initial(rec: Recommendation) -> dict[str, Any]:
    initial: dict[str, Any] = {f: getattr(rec, f) for f in services.TEXT_FIELDS}
    initial["evidence"] = list(rec.evidence_links.values_list("insight_id", flat=True))
    for metric_id, direction in rec.metric_links.values_list("metric_id", "direction"):
        initial[f"metric_{metric_id}"] = direction
    initial["version"] = rec.version
    return initial


@workspace_view
@require_http_methods(["GET", "POST"])
def recommendation_new(request: WorkspaceRequest, viewer: Viewer, debrief_id: int) -> HttpResponse:
    found = selectors.debrief(viewer, debrief_id, action="recommendation.draft")
    if refused := _finished(request, found, "its recommendations"):
        return refused
    # "Draft a recommendation from it" beside a priority of the brief: that card is ticked.
    ticked = whole_numbers(request.GET.getlist("evidence"), most=services.EVIDENCE_MAX)
    form = _form(
        viewer,
        found,
        request.POST if request.method == "POST" else None,
        initial={"evidence": ticked} if ticked else None,
    )
    if request.method == "POST" and form.is_valid():
        values = form.service_values()
        try:
            services.draft_recommendation(viewer, found, **values)
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, f"“{values['title']}” was drafted.")
            return redirect(_room_url(request, found) + "#recommendations")
    return render(
        request,
        "debrief/room/recommendation_form.html",
        {"debrief": found, "form": form, "teams": selectors.owning_teams(found)},
    )


def _edit_form(
    viewer: Viewer, found: Debrief, rec: Recommendation, data: Any = None
) -> RecommendationForm:
    """The edit form: the record's values, and (signed, hidden) the values it was opened
    with, which the merge prompt compares against."""
    form = _form(viewer, found, data, initial=_initial(rec))
    form.initial[merging.OPENED] = merging.seal(merging.values(form, form.initial))
    return form


@workspace_view
@require_http_methods(["GET", "POST"])
def recommendation_edit(
    request: WorkspaceRequest, viewer: Viewer, debrief_id: int, recommendation_id: int
) -> HttpResponse:
    """Edit a recommendation. If someone saved it since it was opened, the fields only they
    changed take their values, those only this person changed keep theirs, and each field
    both changed is offered (keep mine or take theirs): nothing typed or saved is lost."""
    found = selectors.debrief(viewer, debrief_id)
    rec = _rec_of(viewer, found, recommendation_id, "recommendation.draft")
    if refused := _finished(request, found, "its recommendations"):
        return refused
    merge: list[dict[str, Any]] = []
    taken: list[str] = []
    form = _edit_form(viewer, found, rec)
    if request.method == "POST":

        def reread() -> tuple[dict[str, Any], int]:
            rec.refresh_from_db()
            return _initial(rec), rec.version

        def write(form: RecommendationForm) -> None:
            services.update_recommendation(
                viewer, rec, changes=form.service_values(), version=form.cleaned_data["version"]
            )

        saving = merging.save(
            request.POST.copy(),
            form,
            _initial(rec),
            form_for=lambda data: _edit_form(viewer, found, rec, data),
            write=write,
            reread=reread,
            noun="recommendation",
        )
        if saving.saved:
            messages.success(
                request, f"“{saving.form.cleaned_data['title']}” was saved.{saving.note}"
            )
            return redirect(_room_url(request, found) + "#recommendations")
        form, merge, taken = saving.form, saving.rows, saving.taken
    return render(
        request,
        "debrief/room/recommendation_form.html",
        {
            "debrief": found,
            "form": form,
            "rec": rec,
            "merge": merge,
            "taken": taken,
            "decisions": selectors.decisions(rec),
            "teams": selectors.owning_teams(found),
        },
        status=409 if merge else 200,
    )


@workspace_view
@require_http_methods(["GET", "POST"])
def decide(
    request: WorkspaceRequest, viewer: Viewer, debrief_id: int, recommendation_id: int
) -> HttpResponse:
    """Approve, defer or reject (the room's decide buttons post here; errors come back on
    this page, beside the field)."""
    found = selectors.debrief(viewer, debrief_id)
    rec = _rec_of(viewer, found, recommendation_id, "recommendation.decide")
    form = DecideForm(
        request.POST if request.method == "POST" else None,
        initial={"version": rec.version, "outcome": request.GET.get("outcome")},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.decide(
                viewer,
                rec,
                data["outcome"],
                data["reason"],
                data["revisit_on"],
                version=data["version"],
            )
        except Conflict:
            # Someone decided (or edited) it meanwhile: the page shows it as it is now, and the
            # choice and reason typed are kept, to record again against this version.
            rec.refresh_from_db()
            data = request.POST.copy()
            data["version"] = str(rec.version)
            form = DecideForm(data)
            form.is_valid()
            form.add_error(
                None,
                "Someone else changed this recommendation since you opened this page (it is "
                f"now {rec.get_outcome_display().lower()}): check it and its history below, "
                "then record your decision again — your choice and reason are kept.",
            )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            rec.refresh_from_db()
            messages.success(request, f"“{rec.title}”: {rec.get_outcome_display().lower()}.")
            return redirect(_room_url(request, found) + f"#rec-{rec.pk}")
    owned = services.has_owned_dated_actions(rec)
    # Revisiting an approval drops the action items still to be done: say so beforehand.
    live = (
        actions_selectors.live_action_count(viewer, rec)
        if rec.outcome == DecisionOutcome.APPROVED
        else 0
    )
    hears = {
        o: services.customer_hears(o, owned_dated_actions=owned, summary=rec.customer_summary)[0]
        for o in ("approved", "deferred", "rejected")
    }
    return render(
        request,
        "debrief/room/decide.html",
        {
            "debrief": found,
            "rec": rec,
            "form": form,
            "hears": hears,
            "heard": selectors.heard(viewer, rec),
            "live_actions": live,
            "decisions": selectors.decisions(rec),
        },
    )


@workspace_view
@require_POST
def archive(
    request: WorkspaceRequest, viewer: Viewer, debrief_id: int, recommendation_id: int
) -> HttpResponse:
    found = selectors.debrief(viewer, debrief_id)
    rec = _rec_of(viewer, found, recommendation_id, "recommendation.draft")
    form = ArchiveForm(request.POST)
    version = form.cleaned_data["version"] if form.is_valid() else None
    try:
        services.archive_recommendation(viewer, rec, version=version)
    except (ValidationFailed, Conflict) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, f"“{rec.title}” was archived (kept, no longer in the room).")
    return redirect(_room_url(request, found) + "#recommendations")


urlpatterns: list[URLPattern] = [
    path("<int:debrief_id>/", room, name="room"),
    path("<int:debrief_id>/open/", open_room, name="open"),
    path("<int:debrief_id>/phase/", phase, name="phase"),
    path("<int:debrief_id>/plan/", plan, name="plan"),
    path("<int:debrief_id>/recommendations/new/", recommendation_new, name="recommendation_new"),
    path(
        "<int:debrief_id>/recommendations/<int:recommendation_id>/",
        recommendation_edit,
        name="recommendation",
    ),
    path(
        "<int:debrief_id>/recommendations/<int:recommendation_id>/decide/",
        decide,
        name="recommendation_decide",
    ),
    path(
        "<int:debrief_id>/recommendations/<int:recommendation_id>/archive/",
        archive,
        name="recommendation_archive",
    ),
]
