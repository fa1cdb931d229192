"""Pages of closing the loop: a program's customer priorities (statuses, approvals, the
radar's marks, history), proposing a status, approving and waiving, deliveries (list, new,
CSV import) and the reusable reason texts. Parse, call one service or selector, render."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from traction.core import permissions
from traction.core.errors import ValidationFailed
from traction.core.guard import whole_numbers
from traction.core.permissions import Viewer, public
from traction.core.web import (
    WorkspaceRequest,
    apply_domain_errors,
    error_text,
    import_refusal,
    render_page,
    workspace_view,
)
from traction.programs.models import Program

from . import approval_views, deliveries_csv, durations, selectors
from .forms import CsvForm, DeliveryForm, ProposeForm, ReasonTextForm, WaiveForm
from .models import Approval, DeliverySource, PriorityStatus
from .services import deliveries as delivery_services
from .services import publishing, statuses
from .services import updates as update_services
from .services.deliveries import Entry

FIELD_MAP = {"priority_id": "priority", "file": "file"}
PRIORITIES_PAGE = 25  # each priority is a card with its statuses, approvals and history
DELIVERIES_PAGE = 50
REASONS_PAGE = 50


def _to_priorities(request: WorkspaceRequest, program_id: int) -> HttpResponse:
    return redirect("loop:priorities", workspace_slug=request.workspace.slug, program_id=program_id)


@workspace_view
@require_GET
def priorities(request: WorkspaceRequest, viewer: Viewer, program_id: int) -> HttpResponse:
    program = selectors.program(viewer, program_id)
    page = Paginator(selectors.priorities(viewer, program), PRIORITIES_PAGE).get_page(
        request.GET.get("page")
    )
    turnaround = update_services.turnaround(program.pk, kind="status", viewer=viewer)
    return render(
        request,
        "loop/priorities.html",
        {
            "program": program,
            "page": page,
            "rows": page.object_list,
            "can_propose": permissions.can(viewer, "loop.propose", program),
            "can_waive": permissions.allows(viewer, "loop.waive"),
            "turnaround": turnaround,
            "median": durations.in_words(turnaround.median),
            "slowest": durations.in_words(turnaround.slowest),
        },
    )


MAX_CHOSEN = 200  # priorities one picker keeps chosen (a delivery's links)


def _chosen(data: QueryDict, name: str) -> list[int]:
    """The ids a picker's field holds (posted, or in the query): digits only, at most
    ``MAX_CHOSEN``; anything else is left to the form, which refuses it beside the field."""
    return whole_numbers(data.getlist(name), most=MAX_CHOSEN)


def _picker(
    request: WorkspaceRequest, viewer: Viewer, program: Program, name: str
) -> dict[str, Any]:
    """The picker's search (``q``) and what it shows: those chosen, then a page of matches."""
    data = request.POST if request.method == "POST" else request.GET
    q = data.get("q", "")[:200]
    ranks = selectors.priority_ranks(viewer, program)
    shown, more = selectors.priority_picker(
        viewer, program, q=q, chosen=_chosen(data, name), ranks=ranks
    )
    for card in shown:
        card.rank = ranks.get(card.pk)  # type: ignore[attr-defined]
    return {"q": q, "shown": shown, "more": more, "field": name}


@workspace_view
@require_http_methods(["GET", "POST"])
def propose(request: WorkspaceRequest, viewer: Viewer, program_id: int) -> HttpResponse:
    program = selectors.program(viewer, program_id)
    permissions.check(viewer, "loop.propose", program)
    visible = selectors.visible_priorities(viewer, program)
    picker = _picker(request, viewer, program, "priority")
    reasons = list(selectors.reason_texts(viewer))
    # A GET keeps what the search button sent (it submits the form by GET without scripts).
    initial = {k: request.GET.get(k) for k in ProposeForm.base_fields if k in request.GET}
    form = ProposeForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        priorities=visible,
        shown=picker["shown"],
        reasons=reasons,
    )
    if request.method == "POST" and form.is_valid():
        try:
            proposal = publishing.propose_status(viewer, program, **form.service_values())
        except ValidationFailed as exc:
            apply_domain_errors(form, exc, FIELD_MAP)
        else:
            if proposal.published_at:
                messages.success(request, "Published: no customer needs to approve it.")
            else:
                messages.success(
                    request, "Proposed. It is published once the account owners approve it."
                )
            return _to_priorities(request, program.pk)
    chosen = _chosen(request.POST if form.is_bound else request.GET, "priority")
    card = next((c for c in picker["shown"] if chosen and c.pk == chosen[0]), None)
    return render_page(
        request,
        "loop/propose.html",
        {
            "program": program,
            "form": form,
            "picker": picker,
            "facts": statuses.gather(card) if card is not None else None,
            "has_priorities": bool(picker["shown"]) or bool(picker["q"]) or visible.exists(),
        },
        partial="picker",
    )


@workspace_view
@require_POST
def approve(request: WorkspaceRequest, viewer: Viewer, approval_id: int) -> HttpResponse:
    found = selectors.approval(viewer, approval_id)
    try:
        publishing.approve(viewer, found)
    except ValidationFailed as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, f"Approved for {found.customer.name}.")
    return _to_priorities(request, found.program_id)


@workspace_view
@require_http_methods(["GET", "POST"])
def waive(request: WorkspaceRequest, viewer: Viewer, approval_id: int) -> HttpResponse:
    found = selectors.approval(viewer, approval_id, "loop.waive")
    form = WaiveForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            publishing.waive(viewer, found, reason=form.cleaned_data["reason"])
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, f"Approval for {found.customer.name} waived.")
            return _to_priorities(request, found.program_id)
    return render(request, "loop/waive.html", {"approval": found, "form": form})


@workspace_view
@require_POST
def approval_send_again(
    request: WorkspaceRequest, viewer: Viewer, approval_id: int
) -> HttpResponse:
    """Send the request (or reminder) to the account owner again once it was given up."""
    found = selectors.approval_of(viewer, approval_id)
    return approval_views.send_again(
        request,
        found,
        lambda: publishing.send_request_again(viewer, found),
        _to_priorities(request, found.program_id),
    )


@public(
    "The account owner's signed approve link from the status approval email: the signature "
    "binds the approval, the proposal and the owner, expires, and works once; it shows only "
    "what that approval approves."
)
@require_http_methods(["GET", "POST"])
def status_approval_link(
    request: HttpRequest, workspace_slug: str, status_approval_token: str
) -> HttpResponse:
    return approval_views.link_page(
        request,
        workspace_slug=workspace_slug,
        token=status_approval_token,
        kind="status",
        template="loop/status_link.html",
        approve=publishing.approve_by_link,
        refused=publishing.link_refused,
        context=lambda found: {
            "proposal": found.status,
            "current": _current(found),
            "priority": selectors.priority_for_approver(found),
        },
    )


def _current(found: Approval) -> PriorityStatus | None:
    """What the customer sees of the priority now (its latest published status)."""
    if found.status is None:
        return None
    return (
        PriorityStatus.objects.filter(
            priority_id=found.status.priority_id, published_at__isnull=False
        )
        .order_by("-published_at", "-pk")
        .first()
    )


@workspace_view
@require_GET
def deliveries(request: WorkspaceRequest, viewer: Viewer, program_id: int) -> HttpResponse:
    program = selectors.program(viewer, program_id)
    page = Paginator(selectors.delivery_rows(viewer, program), DELIVERIES_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "loop/deliveries.html",
        {
            "program": program,
            "page": page,
            "rows": page.object_list,
            "can_deliver": permissions.can(viewer, "loop.deliver", program),
        },
    )


@workspace_view
@require_http_methods(["GET", "POST"])
def delivery_new(request: WorkspaceRequest, viewer: Viewer, program_id: int) -> HttpResponse:
    program = selectors.program(viewer, program_id)
    permissions.check(viewer, "loop.deliver", program)
    visible = selectors.visible_priorities(viewer, program)
    picker = _picker(request, viewer, program, "priorities")
    initial: dict[str, Any] = {
        k: request.GET.get(k) for k in DeliveryForm.base_fields if k in request.GET
    }
    initial["priorities"] = _chosen(request.GET, "priorities")
    form = DeliveryForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        priorities=visible,
        shown=picker["shown"],
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        entry = Entry(
            on=data["on"],
            title=data["title"],
            description=data["description"],
            link=data["link"].strip(),
            external_id=data["external_id"].strip(),
            priorities=tuple(p.pk for p in data["priorities"]),
        )
        try:
            delivery_services.record_delivery(viewer, program, entry, source=DeliverySource.MANUAL)
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, f"Delivery “{entry.title}” recorded.")
            return redirect(
                "loop:deliveries", workspace_slug=request.workspace.slug, program_id=program.pk
            )
    return render_page(
        request,
        "loop/delivery_form.html",
        {
            "program": program,
            "form": form,
            "picker": picker,
            "has_priorities": bool(picker["shown"]) or bool(picker["q"]) or visible.exists(),
        },
        partial="picker",
    )


@workspace_view
@require_http_methods(["GET", "POST"])
def deliveries_import(request: WorkspaceRequest, viewer: Viewer, program_id: int) -> HttpResponse:
    program = selectors.program(viewer, program_id)
    permissions.check(viewer, "loop.deliver", program)
    posted = request.method == "POST"  # bound even when nothing was sent: "choose a file"
    form = CsvForm(request.POST if posted else None, request.FILES if posted else None)
    errors: list[str] = []
    if posted and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read(deliveries_csv.MAX_BYTES + 1)
        try:
            outcome = delivery_services.import_deliveries(
                viewer, program, data, Path(upload.name or "").name
            )
        except ValidationFailed as exc:
            errors = import_refusal(form, exc)
        else:
            messages.success(
                request,
                f"Imported: {outcome.created} new, {outcome.updated} updated, "
                f"{outcome.unchanged} unchanged; {outcome.linked} new links to priorities.",
            )
            return redirect(
                "loop:deliveries", workspace_slug=request.workspace.slug, program_id=program.pk
            )
    # A refused file or rows answer 422 with the form, as the insight import does.
    refused = posted and bool(errors or form.errors)
    return render(
        request,
        "loop/deliveries_import.html",
        {"program": program, "form": form, "errors": errors},
        status=422 if refused else 200,
    )


@workspace_view
@require_http_methods(["GET", "POST"])
def reasons(request: WorkspaceRequest, viewer: Viewer) -> HttpResponse:
    page = Paginator(selectors.reason_texts(viewer), REASONS_PAGE).get_page(request.GET.get("page"))
    may_add = permissions.allows(viewer, "loop.reasons")
    form = ReasonTextForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        permissions.check(viewer, "loop.reasons")
        if form.is_valid():
            try:
                publishing.add_reason_text(viewer, **form.cleaned_data)
            except ValidationFailed as exc:
                apply_domain_errors(form, exc)
            else:
                messages.success(request, "Reason text added.")
                return redirect("loop:reasons", workspace_slug=request.workspace.slug)
    return render(
        request,
        "loop/reasons.html",
        {"page": page, "reasons": page.object_list, "form": form, "may_add": may_add},
    )
