"""Pages of "you said, we did" updates: a program's updates, composing one (drafted from the
data), the update (text with the checker's flags beside it, recipients with why and who is
left out with why, approvals per organisation with what changed, turnaround, the sections
higher areas add), the account owner's approval (signed in, or from the signed link in the
email). Parse, call one service or selector, render."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from traction.core import permissions, sections
from traction.core.errors import Conflict, ValidationFailed
from traction.core.guard import whole_number
from traction.core.permissions import Viewer, public
from traction.core.web import (
    WorkspaceRequest,
    apply_domain_errors,
    error_text,
    render_page,
    workspace_view,
)

from . import approval_views, durations, selectors, update_selectors
from .models import UpdateState
from .services import updates as services
from .update_forms import (
    ChangesForm,
    ComposeForm,
    EditForm,
    VersionForm,
    WaiveUpdateForm,
    shown_ids,
)

UPDATES_PAGE = 50
RECIPIENTS_PAGE = 50  # people of an update shown at a time (a program update may reach many)
CONFLICT_HELP = " Reload the page to see the newest version, then try again."


def _to_update(request: WorkspaceRequest, update_id: int) -> HttpResponse:
    return redirect("loop:update", workspace_slug=request.workspace.slug, update_id=update_id)


@workspace_view
@require_GET
def updates(request: WorkspaceRequest, viewer: Viewer, program_id: int) -> HttpResponse:
    program = selectors.program(viewer, program_id)
    state = request.GET.get("state", "")
    if state not in UpdateState.values:
        state = ""
    turnaround = services.turnaround(program.pk, viewer=viewer)
    page = Paginator(update_selectors.updates(viewer, program, state), UPDATES_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "loop/updates/list.html",
        {
            "program": program,
            "page": page,
            "rows": page.object_list,
            "query": urlencode({"state": state}) if state else "",
            "counts": update_selectors.counts(viewer, program),
            "states": UpdateState.choices,
            "state": state,
            "can_compose": permissions.can(viewer, "loop.compose", program),
            "turnaround": turnaround,
            "median": durations.in_words(turnaround.median),
            "slowest": durations.in_words(turnaround.slowest),
        },
    )


@workspace_view
@require_http_methods(["GET", "POST"])
def update_new(request: WorkspaceRequest, viewer: Viewer, program_id: int) -> HttpResponse:
    program = selectors.program(viewer, program_id)
    permissions.check(viewer, "loop.compose", program)
    sent = request.POST if request.method == "POST" else request.GET
    q = sent.get("q", "")[:200]
    chosen = [i for i in (whole_number(v) for v in sent.getlist("customer")[:1]) if i is not None]
    shown, more = update_selectors.customer_picker(viewer, q=q, chosen=chosen)
    customers = update_selectors.composable_customers(viewer)
    sessions_ = update_selectors.compose_sessions(
        program, typed=sent.get("session_q", ""), chosen=whole_number(sent.get("session", ""))
    )
    deliveries = update_selectors.compose_deliveries(
        program, typed=sent.get("delivery_q", ""), chosen=whole_number(sent.get("delivery", ""))
    )
    risks = update_selectors.compose_risks(
        program, typed=sent.get("priority_q", ""), chosen=whole_number(sent.get("priority", ""))
    )
    initial = {
        "audience": request.GET.get("audience", "customer"),
        "customer": request.GET.get("customer"),
        "session": request.GET.get("session"),
        "kind": request.GET.get("kind", "update"),
        "delivery": request.GET.get("delivery"),
        "priority": request.GET.get("priority"),
    }
    form = ComposeForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        customers=customers,
        shown=shown,
        sessions=sessions_.rows,
        deliveries=deliveries.rows,
        risks=risks.rows,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            made = services.compose(
                viewer,
                program,
                audience=data["audience"],
                kind=data["kind"],
                customer_id=data["customer"].pk if data["customer"] else None,
                session_id=data["session"],
                delivery_id=data["delivery"],
                priority_id=data["priority"],
            )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(
                request, "Drafted from the data. Read it, edit it, then ask for approval."
            )
            return _to_update(request, made.pk)
    picker = {"q": q, "shown": shown, "more": more, "noun": "organisations"}
    return render_page(
        request,
        "loop/updates/new.html",
        {
            "program": program,
            "form": form,
            "picker": picker,
            "finds": {"session": sessions_, "delivery": deliveries, "priority": risks},
        },
        partial="picker",
    )


def _people(candidates: Any) -> list[Any]:
    """The candidates a facilitator may leave out or take back: those who get it, and those
    left out by hand."""
    return [c for c in candidates if c.included or c.excluded == services.LEFT_OUT]


def _detail_context(
    request: WorkspaceRequest, viewer: Viewer, found: Any, form: EditForm | None = None
) -> dict[str, Any]:
    view = update_selectors.detail(viewer, found)
    turnaround = services.turnaround(found.program_id, viewer=viewer)
    may_compose = permissions.can(viewer, "loop.compose", found.program)
    number = request.GET.get("recipients")
    candidates = Paginator(view.candidates, RECIPIENTS_PAGE).get_page(number)
    recipients = Paginator(view.recipients, RECIPIENTS_PAGE).get_page(number)
    people = _people(candidates.object_list)
    cadence, heard = update_selectors.heard_recently(found, view.candidates)
    if form is None and may_compose:
        form = EditForm(
            initial={
                "version": found.version,
                "subject": found.subject,
                "body": found.body,
                "left_out": found.sources.get("left_out", []),
            },
            people=people,
        )
    return {
        "program": found.program,
        "update": found,
        "view": view,
        "candidates": candidates,
        "recipients": recipients,
        "included": sum(1 for c in view.candidates if c.included),
        "excluded": sum(1 for c in view.candidates if not c.included),
        "form": form,
        "may_compose": may_compose,
        "may_waive": permissions.allows(viewer, "loop.waive"),
        "editable": found.state not in (UpdateState.SENT, UpdateState.DISCARDED),
        "sections": sections.for_page("loop-update", viewer, found),
        "cadence": cadence,
        "heard_recently": heard,
        # A change of plan or a re-engagement goes when it must: no early reason asked.
        "cadenced": found.kind in services.CADENCED,
        "turnaround": turnaround,
        "median": durations.in_words(turnaround.median),
        "slowest": durations.in_words(turnaround.slowest),
    }


@workspace_view
@require_GET
def update(request: WorkspaceRequest, viewer: Viewer, update_id: int) -> HttpResponse:
    found = update_selectors.update(viewer, update_id)
    return render(request, "loop/updates/detail.html", _detail_context(request, viewer, found))


@workspace_view
@require_POST
def update_edit(request: WorkspaceRequest, viewer: Viewer, update_id: int) -> HttpResponse:
    found = update_selectors.update(viewer, update_id)
    permissions.check(viewer, "loop.compose", found.program)
    view = update_selectors.detail(viewer, found)
    people = _people(view.candidates)
    shown = shown_ids(request.POST)
    if shown is not None:  # a page of the recipients: only those it showed change
        people = [c for c in people if c.contact.pk in shown]
    # The stored text as initial: one written before a cap stays editable in other fields.
    stored = {"subject": found.subject, "body": found.body}
    form = EditForm(request.POST, initial=stored, people=people)
    if form.is_valid():
        data = form.cleaned_data
        ticked = set(data["left_out"])
        if shown is not None:
            before = set(found.sources.get("left_out", []))
            ticked |= before - {c.contact.pk for c in people}
        try:
            services.edit(
                viewer,
                found,
                subject=data["subject"],
                body=data["body"],
                left_out=sorted(ticked),
                expected_version=data["version"],
            )
        except (ValidationFailed, Conflict) as exc:
            apply_domain_errors(form, exc)
        else:
            found.refresh_from_db()
            if found.state == UpdateState.AWAITING and found.submitted_at:
                messages.success(request, "Saved. The account owners are asked again.")
            else:
                messages.success(request, "Saved.")
            return _to_update(request, found.pk)
    return render(
        request,
        "loop/updates/detail.html",
        _detail_context(request, viewer, found, form),
        status=422,
    )


def _step(request: WorkspaceRequest, viewer: Viewer, update_id: int, step: str) -> HttpResponse:
    found = update_selectors.update(viewer, update_id)
    form = VersionForm(request.POST)
    version = form.cleaned_data.get("version") if form.is_valid() else None
    try:
        if step == "send":
            early = request.POST.get("early_reason", "")
            services.send(viewer, found, expected_version=version, early_reason=early)
        elif step == "submit":
            services.submit(viewer, found, expected_version=version)
        else:
            services.discard(viewer, found, expected_version=version)
    except ValidationFailed as exc:
        if "early_reason" in exc.errors:  # beside the field, on the update's page
            context = _detail_context(request, viewer, found)
            context["early_errors"] = exc.errors["early_reason"]
            return render(request, "loop/updates/detail.html", context, status=422)
        messages.error(request, error_text(exc, conflict_help=CONFLICT_HELP))
    except Conflict as exc:
        messages.error(request, error_text(exc, conflict_help=CONFLICT_HELP))
    else:
        messages.success(
            request,
            {
                "submit": "Asked each account owner to approve it.",
                "send": "Sent: it goes out to its recipients now and can no longer be changed.",
                "discard": "Discarded.",
            }[step],
        )
    return _to_update(request, found.pk)


@workspace_view
@require_POST
def update_submit(request: WorkspaceRequest, viewer: Viewer, update_id: int) -> HttpResponse:
    return _step(request, viewer, update_id, "submit")


@workspace_view
@require_POST
def update_send(request: WorkspaceRequest, viewer: Viewer, update_id: int) -> HttpResponse:
    return _step(request, viewer, update_id, "send")


@workspace_view
@require_POST
def update_discard(request: WorkspaceRequest, viewer: Viewer, update_id: int) -> HttpResponse:
    return _step(request, viewer, update_id, "discard")


@workspace_view
@require_POST
def update_approve(
    request: WorkspaceRequest, viewer: Viewer, update_approval_id: int
) -> HttpResponse:
    found = services.approval(viewer, update_approval_id)
    try:
        services.approve(viewer, found)
    except ValidationFailed as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, f"Approved for {found.customer.name}.")
    return _to_update(request, found.update_id or 0)


@workspace_view
@require_http_methods(["GET", "POST"])
def update_request_changes(
    request: WorkspaceRequest, viewer: Viewer, update_approval_id: int
) -> HttpResponse:
    """The account owner asks for changes instead of approving, saying what should change
    (the update's page posts here; an empty reason comes back beside the field)."""
    found = services.approval(viewer, update_approval_id)
    form = ChangesForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.request_changes(viewer, found, reason=form.cleaned_data["reason"])
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(
                request, f"Asked for changes for {found.customer.name}; the author is told."
            )
            return _to_update(request, found.update_id or 0)
    return render(request, "loop/updates/request_changes.html", {"approval": found, "form": form})


@workspace_view
@require_http_methods(["GET", "POST"])
def update_waive(
    request: WorkspaceRequest, viewer: Viewer, update_approval_id: int
) -> HttpResponse:
    found = services.approval(viewer, update_approval_id, "loop.waive")
    form = WaiveUpdateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.waive(viewer, found, reason=form.cleaned_data["reason"])
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, f"Approval for {found.customer.name} waived.")
            return _to_update(request, found.update_id or 0)
    return render(request, "loop/updates/waive.html", {"approval": found, "form": form})


@workspace_view
@require_POST
def update_approval_send_again(
    request: WorkspaceRequest, viewer: Viewer, update_approval_id: int
) -> HttpResponse:
    found = update_selectors.approval_of(viewer, update_approval_id)
    return approval_views.send_again(
        request,
        found,
        lambda: services.send_request_again(viewer, found),
        _to_update(request, found.update_id or 0),
    )


@public(
    "The account owner's signed approve link from the approval email: the signature binds the "
    "approval, its version and the owner, expires, and works once; it shows only that approval."
)
@require_http_methods(["GET", "POST"])
def update_approval_link(
    request: HttpRequest, workspace_slug: str, approval_token: str
) -> HttpResponse:
    return approval_views.link_page(
        request,
        workspace_slug=workspace_slug,
        token=approval_token,
        kind="update",
        template="loop/updates/link.html",
        approve=services.approve_by_link,
        request_changes=services.request_changes_by_link,
        refused=services.link_refused,
        context=lambda found: {
            "snapshot": found.snapshot,
            "changes": services.changes_since_approved(found),
        },
    )
