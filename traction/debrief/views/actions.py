"""Debrief pages: the actions area. "My actions" across programs, an action with its
timeline and status form, its edit page (merge prompt on a conflict), a debrief's actions
(add one for an approved recommendation; time to action) and the review of earlier actions.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from traction.accounts import selectors as accounts_selectors
from traction.accounts.models import User
from traction.core import clock, permissions
from traction.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from traction.core.guard import whole_number, whole_numbers
from traction.core.offering import Offered, found_again
from traction.core.permissions import Viewer
from traction.core.web import (
    WorkspaceRequest,
    apply_domain_errors,
    render_page,
    workspace_view,
)
from traction.debrief import merging
from traction.debrief import selectors_actions as selectors
from traction.debrief.forms_actions import FIELD_MAP, ActionForm, EditForm, ReviewForm, StatusForm
from traction.debrief.models import ActionItem, ActionStatus, Debrief
from traction.debrief.services import actions as services


@workspace_view
@require_GET
def my_actions(request: WorkspaceRequest, viewer: Viewer) -> HttpResponse:
    mine = selectors.my_actions(viewer)
    return render_page(
        request,
        "debrief/actions/my_actions.html",
        {"mine": mine, "today": clock.today()},
        partial="groups",
    )


def _detail_context(viewer: Viewer, action: ActionItem, form: StatusForm) -> dict[str, Any]:
    return {
        "action": action,
        "contributors": selectors.contributors(action),
        "timeline": list(selectors.timeline(action)),
        "zone": accounts_selectors.workspace_time_zone(viewer),
        "form": form,
        "can_update": permissions.can(viewer, "action.update", action),
        "can_manage": permissions.can(viewer, "action.manage", action),
        # Its debrief's actions page is linked only for those who may see that debrief (an
        # owner from outside the program sees this action alone).
        "sees_debrief": permissions.can(viewer, "debrief.view", action.recommendation.debrief),
    }


@workspace_view
@require_http_methods(["GET", "POST"])
def action_detail(request: WorkspaceRequest, viewer: Viewer, action_id: int) -> HttpResponse:
    action = selectors.action(viewer, action_id)
    form = StatusForm(
        request.POST if request.method == "POST" else None,
        # The status as it is: saving a note alone keeps it (a progress note).
        initial={"version": action.version, "status": action.status},
    )
    if request.method == "POST":
        permissions.check(viewer, "action.update", action)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.change_status(
                    viewer,
                    action,
                    data["status"],
                    data["note"],
                    reason=data["reason"],
                    version=data["version"],
                )
            except (ValidationFailed, Conflict) as exc:
                apply_domain_errors(form, exc)
            else:
                label = ActionStatus(data["status"]).label.lower()
                if data["status"] == action.status:
                    text = f"Your note is on the timeline of “{action.title}” (still {label})."
                else:
                    text = f"“{action.title}” is now {label}."
                messages.success(request, text)
                return redirect(
                    "debrief:action_detail",
                    workspace_slug=request.workspace.slug,
                    action_id=action.pk,
                )
    return render_page(
        request,
        "debrief/actions/action_detail.html",
        _detail_context(viewer, action, form),
        partial="status_form",
        status=422 if form.errors else 200,
    )


def _initial(action: ActionItem) -> dict[str, Any]:
    return {
        "title": action.title,
        # An owner who left owns it no more: the form asks for a new one, none chosen.
        "owner": None if action.ownerless_since else action.owner_id,
        "contributors": [u.pk for u in selectors.contributors(action)],
        "planned_start": action.planned_start,
        "due_on": action.due_on,
        "version": action.version,
    }


EDIT_ANSWERS = ("title", "owner", "planned_start", "due_on", "note", "version", merging.OPENED)


def _edit_form(
    viewer: Viewer,
    action: ActionItem,
    candidates: Any,
    data: Any = None,
    *,
    sent: Any = None,
) -> tuple[EditForm, Offered[User]]:
    """The edit form: the action's values, and (signed, hidden) the values it was opened
    with, which the merge prompt compares against. Its member lists offer the first members
    by name and the owner and contributors, both as saved now and as posted (``data``) or
    carried back by a "Find a member" reload (``sent``, a GET: its answers, and the opened
    values and version it carried, are kept)."""
    initial = _initial(action)
    answers = data if data is not None else sent
    owner = whole_number(answers.get("owner", "")) if answers is not None else None
    ticked = _ids(answers.getlist("contributors")) if answers is not None else []
    find = accounts_selectors.offered_members(
        viewer,
        typed=(answers.get("owner_q", "") if answers is not None else ""),
        chosen=owner if owner is not None else initial["owner"],
        ticked=[*ticked, *initial["contributors"], *filter(None, [initial["owner"]])],
        among=candidates,
    )
    form = EditForm(
        data,
        initial=initial,
        candidates=candidates,
        shown=find.rows,
        ownerless=action.ownerless_since is not None,
    )
    form.initial[merging.OPENED] = merging.seal(merging.values(form, form.initial))
    if data is None and sent is not None and "owner_q" in sent:
        form.initial.update(
            found_again(sent, EDIT_ANSWERS, ids={"contributors": services.CONTRIBUTORS_MAX + 1})
        )
    return form, find


@workspace_view
@require_http_methods(["GET", "POST"])
def action_edit(request: WorkspaceRequest, viewer: Viewer, action_id: int) -> HttpResponse:
    """Edit an action. If someone saved it since it was opened, the fields only they
    changed take their values, those only this person changed keep theirs, and each field
    both changed is offered (keep mine or take theirs)."""
    action = selectors.action(viewer, action_id)
    permissions.check(viewer, "action.manage", action)
    candidates = selectors.owner_candidates(viewer)
    form, find = _edit_form(viewer, action, candidates, sent=request.GET)
    merge: list[dict[str, Any]] = []
    taken: list[str] = []
    if request.method == "POST":

        def reread() -> tuple[dict[str, Any], int]:
            nonlocal action
            action = selectors.action(viewer, action.pk)
            return _initial(action), action.version

        def _form_and_find(data: Any) -> EditForm:
            nonlocal find
            built, find = _edit_form(viewer, action, candidates, data)
            return built

        def write(form: EditForm) -> None:
            services.update_action(
                viewer,
                action=action,
                changes=form.changes(),
                version=form.cleaned_data["version"],
                note=form.cleaned_data["note"],
            )

        saving = merging.save(
            request.POST.copy(),
            form,
            _initial(action),
            form_for=lambda data: _form_and_find(data),
            write=write,
            reread=reread,
            noun="action",
            field_map=FIELD_MAP,
        )
        if saving.saved:
            messages.success(
                request, f"“{saving.form.cleaned_data['title']}” was saved.{saving.note}"
            )
            return redirect(
                "debrief:action_detail", workspace_slug=request.workspace.slug, action_id=action.pk
            )
        form, merge, taken = saving.form, saving.rows, saving.taken
    return render_page(
        request,
        "debrief/actions/action_edit.html",
        {"action": action, "form": form, "merge": merge, "taken": taken, "find": find},
        partial="edit_form",
        status=422 if request.method == "POST" and (form.errors or merge) else 200,
    )


@workspace_view
@require_http_methods(["GET", "POST"])
def debrief_actions(request: WorkspaceRequest, viewer: Viewer, debrief_id: int) -> HttpResponse:
    debrief = selectors.debrief(viewer, debrief_id)
    recommendations = selectors.approved_recommendations(viewer, debrief)
    can_manage = permissions.can(viewer, "action.manage", debrief)
    sent = request.POST if request.method == "POST" else request.GET
    candidates = selectors.owner_candidates(viewer)
    find = accounts_selectors.offered_members(
        viewer,
        typed=sent.get("owner_q", ""),
        chosen=whole_number(sent.get("owner", "")),
        ticked=_ids(sent.getlist("contributors")),
        among=candidates,
    )
    form = ActionForm(
        request.POST if request.method == "POST" else None,
        recommendations=recommendations,
        candidates=candidates,
        shown=find.rows,
        initial=_add_found_again(request),
    )
    if request.method == "POST":
        permissions.check(viewer, "action.manage", debrief)
        if form.is_valid():
            try:
                action = services.create_action(viewer, **form.service_values())
            except ValidationFailed as exc:
                apply_domain_errors(form, exc, FIELD_MAP)
            else:
                messages.success(
                    request, f"“{action.title}” was added; {action.owner} was told by email."
                )
                there = reverse(
                    "debrief:debrief_actions",
                    kwargs={"workspace_slug": request.workspace.slug, "debrief_id": debrief.pk},
                )
                kept = _list_answers(sent)
                return redirect(f"{there}?{urlencode(kept)}" if kept else there)
    # The list's state and page, as the link or the add form (its Find and its save) carry.
    status = _list_answers(sent).get("status", "")
    page = Paginator(
        selectors.debrief_actions(viewer, recommendations, status=status), ACTIONS_PAGE
    ).get_page(sent.get("page"))
    context = {
        "debrief": debrief,
        "recommendations": recommendations,
        "counts": selectors.debrief_action_counts(viewer, recommendations)
        if recommendations
        else None,
        "status": status,
        "page": page,
        "query": f"status={status}" if status else "",
        "form": form,
        "find": find,
        "can_manage": can_manage,
        "pace": selectors.time_to_action(viewer, debrief_id=debrief.pk),
        "today": clock.today(),
    }
    return render_page(
        request,
        "debrief/actions/debrief_actions.html",
        context,
        partial="add_form",
        status=422 if form.errors else 200,
    )


def _list_answers(sent: Any) -> dict[str, str]:
    """The action list's state filter and page a request carries (a link's query, or the
    add form's hidden fields when it is sent or its "Find a member" reloads the page)."""
    kept: dict[str, str] = {}
    status = sent.get("status", "")
    if status == selectors.OVERDUE or status in ActionStatus.values:
        kept["status"] = status
    if (page := whole_number(sent.get("page", ""))) is not None and page > 1:
        kept["page"] = str(page)
    return kept


def _ids(values: list[str]) -> list[int]:
    """Member ids ticked (a form's contributors): one more than an action may have is enough
    for the service to say so."""
    return whole_numbers(values, most=services.CONTRIBUTORS_MAX + 1)


def _add_found_again(request: WorkspaceRequest) -> dict[str, Any]:
    """The "Add action item" answers a "Find a member" reload (a GET) carries back (and the
    recommendation a link preselects)."""
    names = ["recommendation", "title", "owner", "planned_start", "due_on"]
    ticked = {"contributors": services.CONTRIBUTORS_MAX + 1} if "owner_q" in request.GET else None
    return found_again(request.GET, names, ids=ticked)


@workspace_view
@require_GET
def review(request: WorkspaceRequest, viewer: Viewer, debrief_id: int) -> HttpResponse:
    debrief = selectors.debrief(viewer, debrief_id)
    return render_page(
        request,
        "debrief/actions/review.html",
        _review_context(viewer, debrief, {}, request.GET.get("page")),
        partial="review_list",
    )


def _review_context(
    viewer: Viewer, debrief: Debrief, forms: dict[int, ReviewForm], page_number: Any = None
) -> dict[str, Any]:
    page = Paginator(selectors.earlier_open_actions(viewer, debrief), REVIEW_PAGE).get_page(
        page_number
    )
    actions = list(page.object_list)
    # Both answers for the whole page in one query each (as permissions.can would give them
    # row by row): the page's queries do not grow with its rows.
    updatable = selectors.allowed_ids(viewer, "action.update", actions)
    manageable = selectors.allowed_ids(viewer, "action.manage", actions)
    # What was recorded for each since the session ended (the review, before or in the room).
    session = debrief.session
    recorded = selectors.updates_since(actions, session.actual_ends_at or session.ends_at)
    rows = [
        {
            "action": a,
            "form": forms.get(a.pk)
            or ReviewForm(initial={"version": a.version}, auto_id=f"a{a.pk}-%s"),
            "can_update": a.pk in updatable,
            "can_manage": a.pk in manageable,
            "recorded": recorded.get(a.pk),
        }
        for a in actions
    ]
    return {"debrief": debrief, "rows": rows, "page": page, "today": clock.today()}


@workspace_view
@require_POST
def review_decide(
    request: WorkspaceRequest, viewer: Viewer, debrief_id: int, action_id: int
) -> HttpResponse:
    debrief = selectors.debrief(viewer, debrief_id)
    action = selectors.action(viewer, action_id)
    permissions.check(viewer, "action.update", action)
    # Only the actions the review lists: open ones of this program from earlier debriefs.
    if not selectors.earlier_open_actions(viewer, debrief).filter(pk=action.pk).exists():
        raise NotFound("This action item is not in this debrief's review.")
    form = ReviewForm(request.POST, auto_id=f"a{action.pk}-%s")
    if debrief.is_finished:
        # Its review is kept as it was: the page shows no forms, so the refusal is a message.
        messages.error(
            request,
            f"“{action.title}” was not changed: this debrief is "
            f"{debrief.get_status_display().lower()}, so its review offers no editing. Review "
            "the action in the program's next debrief or on its own page.",
        )
        return render_page(
            request,
            "debrief/actions/review.html",
            _review_context(viewer, debrief, {}, request.GET.get("page")),
            partial="review_list",
            status=422,
        )
    if form.is_valid():
        data = form.cleaned_data
        try:
            _review(viewer, debrief, action, data)
        except (ValidationFailed, Conflict, PermissionDenied) as exc:
            apply_domain_errors(form, exc, {"owner_id": "note", "status": "decision"})
        else:
            done = {"keep": "kept", "redate": "re-dated", "drop": "dropped"}[data["decision"]]
            messages.success(request, f"“{action.title}” was {done}.")
            return redirect(
                "debrief:review", workspace_slug=request.workspace.slug, debrief_id=debrief.pk
            )
    messages.error(request, f"“{action.title}” was not changed: see the form below it.")
    return render_page(
        request,
        "debrief/actions/review.html",
        _review_context(viewer, debrief, {action.pk: form}, request.GET.get("page")),
        partial="review_list",
        status=422,
    )


def _review(viewer: Viewer, debrief: Debrief, action: ActionItem, data: dict[str, Any]) -> None:
    # The form's clean() checked what each decision needs (note, date, reason) in one pass.
    decision, note, version = data["decision"], data["note"].strip(), data["version"]
    where = f"In the review of the debrief of “{debrief.session.title}”"
    if decision == "keep":
        services.keep_action(viewer, action=action, note=note, version=version)
    elif decision == "redate":
        services.update_action(
            viewer,
            action=action,
            changes={"due_on": data["due_on"]},
            version=version,
            note=f"{where}: {note}",
        )
    else:
        reason = data["reason"].strip()
        services.change_status(
            viewer,
            action,
            ActionStatus.DROPPED,
            f"{where}: {note or 'dropped'}",
            reason=reason,
            version=version,
        )


REVIEW_PAGE = 25
# The debrief's actions page lists this many action items a page.
ACTIONS_PAGE = 50

urlpatterns: list[URLPattern] = [
    path("actions/", my_actions, name="my_actions"),
    path("actions/<int:action_id>/", action_detail, name="action_detail"),
    path("actions/<int:action_id>/edit/", action_edit, name="action_edit"),
    path("<int:debrief_id>/actions/", debrief_actions, name="debrief_actions"),
    path("<int:debrief_id>/review/", review, name="review"),
    path("<int:debrief_id>/review/<int:action_id>/", review_decide, name="review_decide"),
]
