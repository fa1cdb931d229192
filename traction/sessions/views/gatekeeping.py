"""Web pages: gatekeeping, the account owner's say before a customer is contacted
(requesting outreach for a session, an outreach request's page, deciding and waiving it, and
the approvals page)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from traction.accounts.models import User
from traction.core import permissions
from traction.core.errors import ValidationFailed
from traction.core.permissions import Viewer
from traction.core.web import WorkspaceRequest, apply_domain_errors, workspace_view
from traction.customers import selectors as customer_selectors
from traction.customers.models import Contact
from traction.sessions import selectors, services
from traction.sessions.forms import DecideForm, OutreachForm, WaiveForm, WithdrawForm
from traction.sessions.models import OutreachRequest, OutreachStatus

from .common import (
    PRACTICE_HAS_NO_CUSTOMERS,
    R,
    S,
    agenda_summary,
    error_line,
    to_detail,
    whole,
)


@workspace_view
@require_http_methods(["GET", "POST"])
def outreach_new(request: WorkspaceRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    session = selectors.session(viewer, session_id)
    permissions.check(viewer, "outreach.request")
    if session.is_practice:
        messages.error(request, PRACTICE_HAS_NO_CUSTOMERS)
        return to_detail(request, session.pk)
    requested = dict(session.outreach_requests.values_list("contact_id", "status"))
    rows: list[ContactRow] = []
    for contact in customer_selectors.contacts(viewer).select_related("customer__account_owner"):
        owner = contact.customer.account_owner
        reasons = []
        if contact.pk in requested:
            reasons.append(
                f"Already requested ({OutreachStatus(requested[contact.pk]).label.lower()})"
            )
        else:
            if not contact.consent_to_contact:
                reasons.append("Has not agreed to be contacted")
            if owner is None:
                reasons.append(f"{contact.customer.name} has no account owner to approve")
        rows.append(ContactRow(contact, owner, "; ".join(reasons)))
    form = OutreachForm(
        request.POST if request.method == "POST" else None,
        contact_ids=[r.contact.pk for r in rows if not r.blocked],
    )
    if request.method == "POST" and form.is_valid():
        chosen = set(form.cleaned_data["contacts"])
        done, refused = services.request_outreach_for_contacts(
            viewer,
            session=session,
            contacts=[r.contact for r in rows if r.contact.pk in chosen],
            message=form.cleaned_data["message"],
        )
        for row in rows:
            if row.contact.pk in refused:
                row.error = error_line(refused[row.contact.pk])
        if done:
            approved = [r for r in done if r.status == OutreachStatus.APPROVED]
            text = f"Outreach requested for {len(done)} contact{'s' if len(done) != 1 else ''}."
            if approved:
                text += f" {len(approved)} approved at once (you own the account)."
            if len(done) > len(approved):
                text += " The account owners were asked to approve."
            messages.success(request, text)
        if not refused:
            return to_detail(request, session.pk)
        form.add_error(None, "Some contacts could not be requested; see the reasons beside them.")
    return render(
        request,
        "sessions/outreach_form.html",
        {"form": form, "session": session, "rows": rows, "selected": _selected(form)},
    )


@dataclass
class ContactRow:
    contact: Contact
    owner: User | None
    blocked: str  # why the contact cannot be chosen, if so
    error: str = ""  # why requesting outreach for them failed


def _selected(form: OutreachForm) -> set[int]:
    if not form.is_bound:
        return set()
    values = form.data.getlist("contacts")  # type: ignore[attr-defined]
    return {n for v in values if (n := whole(v)) is not None}


def _outreach_page(
    request: HttpRequest,
    viewer: Viewer,
    outreach: OutreachRequest,
    decide_form: DecideForm | None = None,
    waive_form: WaiveForm | None = None,
    withdraw_form: WithdrawForm | None = None,
) -> HttpResponse:
    session = outreach.session
    pending = outreach.status == OutreachStatus.PENDING
    others = selectors.session_outreach(session, viewer).exclude(pk=outreach.pk)
    agenda = selectors.agenda(session)
    invited = session.invitations.filter(outreach=outreach).exists()
    return render(
        request,
        "sessions/outreach_detail.html",
        {
            "outreach": outreach,
            "session": session,
            "agenda": agenda,
            "agenda_summary": agenda_summary(session, agenda),
            "others": list(others),
            "invited": invited,
            "decide_form": decide_form or DecideForm(),
            "waive_form": waive_form or WaiveForm(),
            "withdraw_form": withdraw_form or WithdrawForm(),
            "can_withdraw": outreach.status == OutreachStatus.APPROVED
            and not session.is_cancelled
            and not session.has_ended
            and permissions.can(viewer, "outreach.decide", outreach),
            "can_decide": pending and permissions.can(viewer, "outreach.decide", outreach),
            "can_waive": pending and permissions.can(viewer, "outreach.waive", outreach),
            "can_invite": outreach.allows_invitation
            and not invited
            and not session.is_cancelled
            and permissions.can(viewer, "invitation.send", outreach),
            "can_see_session": permissions.can(viewer, "session.view", session),
        },
    )


@workspace_view
@require_GET
def outreach_detail(request: WorkspaceRequest, viewer: Viewer, request_id: int) -> HttpResponse:
    return _outreach_page(request, viewer, selectors.outreach_request(viewer, request_id))


@workspace_view
@require_POST
def outreach_decide(request: WorkspaceRequest, viewer: Viewer, request_id: int) -> HttpResponse:
    outreach = selectors.outreach_request(viewer, request_id, action="outreach.decide")
    form = DecideForm(request.POST)
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            services.decide_outreach(
                viewer,
                request=outreach,
                approve=approve,
                conditions=form.cleaned_data["conditions"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            name = outreach.contact.name
            if approve:
                extra = " with your conditions" if form.cleaned_data["conditions"].strip() else ""
                text = f"You approved inviting {name}{extra}. The facilitator was told."
            else:
                text = f"You declined inviting {name}. The facilitator was told why."
            messages.success(request, text)
            return redirect("sessions:approvals", workspace_slug=request.workspace.slug)
    return _outreach_page(request, viewer, outreach, decide_form=form)


@workspace_view
@require_POST
def outreach_waive(request: WorkspaceRequest, viewer: Viewer, request_id: int) -> HttpResponse:
    outreach = selectors.outreach_request(viewer, request_id, action="outreach.waive")
    form = WaiveForm(request.POST)
    if form.is_valid():
        try:
            services.waive_outreach(viewer, request=outreach, reason=form.cleaned_data["reason"])
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(
                request,
                f"Approval waived for {outreach.contact.name}; the account owner was told.",
            )
            return redirect(
                "sessions:outreach_detail",
                workspace_slug=request.workspace.slug,
                request_id=outreach.pk,
            )
    return _outreach_page(request, viewer, outreach, waive_form=form)


@workspace_view
@require_POST
def outreach_withdraw(request: WorkspaceRequest, viewer: Viewer, request_id: int) -> HttpResponse:
    outreach = selectors.outreach_request(viewer, request_id, action="outreach.decide")
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            services.withdraw_approval(viewer, request=outreach, reason=form.cleaned_data["reason"])
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(
                request,
                f"You withdrew your approval: {outreach.contact.name} will not take part. "
                "The facilitator was told.",
            )
            return redirect(
                "sessions:outreach_detail",
                workspace_slug=request.workspace.slug,
                request_id=outreach.pk,
            )
    return _outreach_page(request, viewer, outreach, withdraw_form=form)


@workspace_view
@require_GET
def approvals(request: WorkspaceRequest, viewer: Viewer) -> HttpResponse:
    mine = list(selectors.outreach_requests(viewer, mine=True).order_by("created_at"))
    waivable: list[OutreachRequest] = []
    if permissions.allows(viewer, "outreach.waive"):
        waivable = list(
            selectors.outreach_requests(viewer, status=OutreachStatus.PENDING)
            .exclude(account_owner_id=viewer.user_id)
            .order_by("created_at")
        )
    return render(
        request,
        "sessions/approvals.html",
        {
            "pending": [r for r in mine if r.status == OutreachStatus.PENDING],
            "decided": sorted(
                (r for r in mine if r.status != OutreachStatus.PENDING),
                key=lambda r: r.decided_at or r.created_at,
                reverse=True,
            ),
            "waivable": waivable,
        },
    )


urlpatterns: list[URLPattern] = [
    path("approvals/", approvals, name="approvals"),
    path(S + "outreach/new/", outreach_new, name="outreach_new"),
    path(R, outreach_detail, name="outreach_detail"),
    path(R + "decide/", outreach_decide, name="outreach_decide"),
    path(R + "waive/", outreach_waive, name="outreach_waive"),
    path(R + "withdraw/", outreach_withdraw, name="outreach_withdraw"),
]
