"""Pages of the communication plan: a program's plan (per customer organisation: who tells
them, last heard, next due, overdue, silence, the promise) and its edit page. Parse, call one
service or selector, render."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from traction.accounts.models import Membership
from traction.core import permissions
from traction.core.errors import ValidationFailed
from traction.core.paging import Shaped
from traction.core.permissions import Viewer
from traction.core.web import WorkspaceRequest, apply_domain_errors, workspace_view

from . import plan
from .plan_forms import PlanFilterForm, PlanForm
from .services import plan as plan_services

PAGE_SIZE = 50
EDIT_PAGE_SIZE = 25  # organisations on a page of the edit form: each has a select of members


def reengage_url(workspace_slug: str, program_id: int, customer_id: int) -> str:
    """The compose page's link drafting a re-engagement update for one customer."""
    base = reverse("loop:update-new", args=[workspace_slug, program_id])
    return f"{base}?audience=customer&customer={customer_id}&kind=re_engagement"


@workspace_view
@require_GET
def plan_page(request: WorkspaceRequest, viewer: Viewer, program_id: int) -> HttpResponse:
    program = plan.program(viewer, program_id)
    state = request.GET.get("state", "")
    if state not in plan.RowState.ALL:
        state = ""
    everyone = plan.plan_rows(viewer, program)
    rows = plan.plan_rows(viewer, program, state=state) if state else everyone
    settings = plan.plan_of(program.pk)
    page = Paginator(
        Shaped(rows, lambda found, _offset: plan.page_rows(program, found)), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    # The prompt links to the compose page for those who may draft updates; the others (an
    # account owner, a teller outside the team) read it as a prompt to pass on.
    compose = permissions.can(viewer, "loop.compose", program)
    for row in page.object_list:
        row.reengage = (
            reengage_url(request.workspace.slug, program.pk, row.customer.pk)
            if row.silent and compose
            else None
        )
    return render(
        request,
        "loop/plan/plan.html",
        {
            "program": program,
            "settings": settings,
            "page": page,
            "state": state,
            "states": [
                (plan.RowState.OVERDUE, "overdue"),
                (plan.RowState.DUE_SOON, "due within a week"),
                (plan.RowState.SILENT, "silent"),
                (plan.RowState.PROMISE, "waiting for a promised update"),
            ],
            "query": urlencode({"state": state}) if state else "",
            "summary": plan.summary(everyone, settings.silence_days),
            "can_edit": permissions.can(viewer, "loop.plan", program),
        },
    )


@workspace_view
@require_http_methods(["GET", "POST"])
def plan_edit(request: WorkspaceRequest, viewer: Viewer, program_id: int) -> HttpResponse:
    """The plan's settings and who tells whom, a page of organisations at a time (found by
    name); saving sets the tellers of the organisations the form showed, no others."""
    program = plan.program(viewer, program_id)
    permissions.check(viewer, "loop.plan", program)
    data = request.POST if request.method == "POST" else request.GET
    finder = PlanFilterForm(data)
    query = finder.query()
    page = Paginator(plan.customers_taking_part(program, name=query), EDIT_PAGE_SIZE).get_page(
        data.get("page")
    )
    customers = list(page.object_list)
    if request.method == "POST":
        # The organisations the form showed when it was sent (the page may have moved since).
        posted = PlanForm.posted_customer_ids(request.POST)
        customers = list(plan.customers_taking_part(program).filter(pk__in=posted))
    members = [
        (m.user_id, m.user.full_name or m.user.email)
        for m in Membership.objects.filter(workspace_id=viewer.workspace_id)
        .select_related("user")
        .order_by("user__full_name", "user_id")
    ]
    current = plan.plan_of(program.pk)
    named = plan.tellers(program.pk, [c.pk for c in customers])
    initial = {
        "cadence_days": current.cadence_days,
        "silence_days": current.silence_days,
        "notes": current.notes,
        **{f"teller_{c.pk}": getattr(named.get(c.pk), "teller_id", None) for c in customers},
    }
    form = PlanForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        customers=customers,
        members=members,
    )
    if request.method == "POST" and form.is_valid():
        cleaned = form.cleaned_data
        try:
            plan_services.save_plan(
                viewer,
                program,
                cadence_days=cleaned["cadence_days"],
                silence_days=cleaned["silence_days"],
                notes=cleaned["notes"],
                tellers=form.tellers(),
            )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, "Communication plan saved.")
            return redirect(
                "loop:plan", workspace_slug=request.workspace.slug, program_id=program.pk
            )
    return render(
        request,
        "loop/plan/plan_form.html",
        {
            "program": program,
            "form": form,
            "finder": finder,
            "q": query,
            "page": page,
            "query": urlencode({"q": query}) if query else "",
        },
    )
