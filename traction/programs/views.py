"""Web views for programs and their team: parse, call one service or selector, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from traction.accounts import selectors as account_selectors
from traction.accounts.models import User
from traction.core import permissions, sections
from traction.core.errors import Conflict, NotFound, ValidationFailed
from traction.core.guard import whole_number, whole_numbers
from traction.core.offering import Offered, found_again
from traction.core.permissions import Viewer
from traction.core.web import (
    WorkspaceRequest,
    apply_domain_errors,
    error_text,
    query_without,
    render_page,
    workspace_view,
)

from . import selectors, services
from .forms import (
    POLICY_MAKER_FIELD_MAP,
    PROGRAM_FIELD_MAP,
    PolicyMakerForm,
    ProgramFilterForm,
    ProgramForm,
    TeamForm,
)
from .models import ProgramMember

PAGE_SIZE = 25


@workspace_view
@require_GET
def program_list(request: WorkspaceRequest, viewer: Viewer) -> HttpResponse:
    form = ProgramFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    programs = selectors.programs(
        viewer, q=filters.get("q", "").strip(), status=filters.get("status", "")
    )
    page = Paginator(programs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "filtered": any(filters.values()),
        "query": query_without(request, "page"),
        "can_create": permissions.allows(viewer, "program.create"),
    }
    return render_page(request, "programs/program_list.html", context, partial="results")


@workspace_view
@require_http_methods(["GET", "POST"])
def program_create(request: WorkspaceRequest, viewer: Viewer) -> HttpResponse:
    permissions.check(viewer, "program.create")
    sent = request.POST if request.method == "POST" else request.GET
    typed = sent.get("members_q", "")
    sponsors = account_selectors.offered_members(
        viewer,
        typed=typed,
        chosen=whole_number(sent.get("executive_sponsor", "")),
        roles=list(selectors.SPONSOR_ROLES),
    )
    team = account_selectors.offered_members(
        viewer, typed=typed, ticked=_ids(sent.getlist("core_team"))
    )
    form = ProgramForm(
        request.POST if request.method == "POST" else None,
        initial=_found_again(request, with_team=True),
        members=account_selectors.member_users(viewer),
        sponsors=selectors.sponsor_candidates(viewer),
        shown_sponsors=sponsors.rows,
        shown_members=team.rows,
    )
    if request.method == "POST" and form.is_valid():
        try:
            program = services.create_program(viewer, **form.service_values())
        except ValidationFailed as exc:
            apply_domain_errors(form, exc, PROGRAM_FIELD_MAP)
        else:
            messages.success(request, f"The program “{program.name}” was started.")
            return redirect(
                "programs:detail", workspace_slug=request.workspace.slug, program_id=program.pk
            )
    return render(
        request,
        "programs/program_form.html",
        {"form": form, "program": None, "find": _either(sponsors, team)},
    )


def _found_again(request: WorkspaceRequest, *, with_team: bool) -> dict[str, Any]:
    """The program form's answers a "Find a member" reload (a GET) carries back."""
    if request.method != "GET":
        return {}
    names = ["name", "goal", "executive_sponsor", "status", "version"]
    names += ["results_window_start", "results_window_end"]
    team = with_team and "members_q" in request.GET
    return found_again(request.GET, names, ids={"core_team": TICKED_MAX} if team else None)


def _either(*found: Offered[User]) -> Offered[User]:
    """One "Find a member" box for the sponsor and the core team: its note tells whether
    either list holds more than it shows."""
    rows = [u for f in found for u in f.rows]
    return Offered(rows, found[0].typed, any(f.more for f in found))


@workspace_view
@require_GET
def program_detail(request: WorkspaceRequest, viewer: Viewer, program_id: int) -> HttpResponse:
    program = selectors.program(viewer, program_id)
    members = list(program.members.all())
    return render(
        request,
        "programs/program_detail.html",
        {
            "program": program,
            "core_team": [m.user for m in members if m.kind == ProgramMember.Kind.CORE_TEAM],
            "observers": [m.user for m in members if m.kind == ProgramMember.Kind.OBSERVER],
            # Who decides, and whether the team and the deciders are cross-functional.
            "coverage": selectors.function_coverage(program),
            "can_change": permissions.can(viewer, "program.change", program),
            # Added by the apps above (sessions: the upcoming sessions and their readiness).
            "sections": sections.for_page("program", viewer, program),
        },
    )


@workspace_view
@require_http_methods(["GET", "POST"])
def program_edit(request: WorkspaceRequest, viewer: Viewer, program_id: int) -> HttpResponse:
    program = selectors.program(viewer, program_id, action="program.change")
    initial = {
        "name": program.name,
        "goal": program.goal,
        "executive_sponsor": program.executive_sponsor_id,
        "status": program.status,
        "results_window_start": program.results_window_start,
        "results_window_end": program.results_window_end,
        "version": program.version,
    }
    initial.update(_found_again(request, with_team=False))
    sent = request.POST if request.method == "POST" else request.GET
    sponsors = account_selectors.offered_members(
        viewer,
        typed=sent.get("members_q", ""),
        chosen=whole_number(sent.get("executive_sponsor", ""))
        if "executive_sponsor" in sent
        else program.executive_sponsor_id,
        roles=list(selectors.SPONSOR_ROLES),
    )
    form = ProgramForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        members=account_selectors.member_users(viewer),
        sponsors=selectors.sponsor_candidates(viewer),
        shown_sponsors=sponsors.rows,
        with_team=False,
    )
    if request.method == "POST" and form.is_valid():
        values = form.service_values()
        changes = {k: v for k, v in values.items() if getattr(program, k) != v}
        try:
            services.update_program(
                viewer, program=program, changes=changes, version=form.cleaned_data["version"]
            )
        except (ValidationFailed, Conflict) as exc:
            apply_domain_errors(form, exc, PROGRAM_FIELD_MAP)
        else:
            messages.success(request, f"The program “{program.name}” was saved.")
            return redirect(
                "programs:detail", workspace_slug=request.workspace.slug, program_id=program.pk
            )
    return render(
        request,
        "programs/program_form.html",
        {"form": form, "program": program, "find": sponsors},
    )


@workspace_view
@require_http_methods(["GET", "POST"])
def program_team(request: WorkspaceRequest, viewer: Viewer, program_id: int) -> HttpResponse:
    program = selectors.program(viewer, program_id, action="program.change")
    current = list(program.members.all())
    initial = {
        "core_team": [m.user_id for m in current if m.kind == ProgramMember.Kind.CORE_TEAM],
        "observers": [m.user_id for m in current if m.kind == ProgramMember.Kind.OBSERVER],
    }
    sent = request.POST if request.method == "POST" else request.GET
    if request.method == "POST" or "members_q" in sent:
        # Posted, or "Find a member" (a GET reload carrying the ticks as they were).
        initial = {name: _ids(sent.getlist(name)) for name in ("core_team", "observers")}
    found = account_selectors.offered_members(
        viewer,
        typed=sent.get("members_q", ""),
        ticked=[*initial["core_team"], *initial["observers"]],
    )
    form = TeamForm(
        request.POST if request.method == "POST" else None,
        members=account_selectors.member_users(viewer),
        shown=found.rows,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.set_program_team(
                viewer,
                program=program,
                core_team_ids=[u.pk for u in form.cleaned_data["core_team"]],
                observer_ids=[u.pk for u in form.cleaned_data["observers"]],
            )
        except ValidationFailed as exc:
            apply_domain_errors(
                form, exc, {"core_team_ids": "core_team", "observer_ids": "observers"}
            )
        else:
            messages.success(request, f"The team of “{program.name}” was saved.")
            return redirect(
                "programs:detail", workspace_slug=request.workspace.slug, program_id=program.pk
            )
    return render(
        request, "programs/program_team.html", {"form": form, "program": program, "find": found}
    )


TICKED_MAX = 500  # member ids one team form may carry ticked


def _ids(values: list[str]) -> list[int]:
    return whole_numbers(values, most=TICKED_MAX)


@workspace_view
@require_http_methods(["GET", "POST"])
def policy_makers(request: WorkspaceRequest, viewer: Viewer, program_id: int) -> HttpResponse:
    """Who decides: the sponsor, the named policy makers (add one here, remove one below)."""
    program = selectors.program(viewer, program_id, action="program.change")
    sent = request.POST if request.method == "POST" else request.GET
    # "Find a member" reloads the page by GET with the form's answers: they stay as typed.
    found = account_selectors.offered_members(
        viewer, typed=sent.get("user_q", ""), chosen=whole_number(sent.get("user", ""))
    )
    form = PolicyMakerForm(
        request.POST if request.method == "POST" else None,
        initial={
            "user": request.GET.get("user"),
            "responsibility": request.GET.get("responsibility", ""),
        },
        members=account_selectors.member_users(viewer),
        shown=found.rows,
    )
    if request.method == "POST" and form.is_valid():
        user = form.cleaned_data["user"]
        try:
            services.add_policy_maker(
                viewer,
                program=program,
                user_id=user.pk,
                responsibility=form.cleaned_data["responsibility"],
            )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc, POLICY_MAKER_FIELD_MAP)
        else:
            messages.success(request, f"{user} now decides for “{program.name}”.")
            return redirect(
                "programs:policy_makers",
                workspace_slug=request.workspace.slug,
                program_id=program.pk,
            )
    return render(
        request,
        "programs/policy_makers.html",
        {
            "form": form,
            "program": program,
            "coverage": selectors.function_coverage(program),
            "find": found,
        },
        status=422 if form.is_bound else 200,
    )


@workspace_view
@require_POST
def policy_maker_remove(
    request: WorkspaceRequest, viewer: Viewer, program_id: int, user_id: int
) -> HttpResponse:
    program = selectors.program(viewer, program_id, action="program.change")
    try:
        services.remove_policy_maker(viewer, program=program, user_id=user_id)
    except NotFound as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, "They no longer decide for this program; the history is kept.")
    return redirect(
        "programs:policy_makers", workspace_slug=request.workspace.slug, program_id=program.pk
    )
