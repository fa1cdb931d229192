"""Web pages: gatekeeping, the account owner's say before a customer is contacted
(requesting outreach for a session, an outreach request's page, deciding and waiving it, and
the approvals page)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from traction.accounts.models import User
from traction.core import permissions, sections
from traction.core.errors import ValidationFailed
from traction.core.guard import whole_number, whole_numbers
from traction.core.permissions import Viewer
from traction.core.web import WorkspaceRequest, apply_domain_errors, workspace_view
from traction.customers import reach
from traction.customers.models import Contact
from traction.sessions import selectors, services
from traction.sessions.forms import (
    BatchDecideForm,
    DecideForm,
    OutreachForm,
    WaiveForm,
    WithdrawForm,
)
from traction.sessions.models import OutreachRequest, OutreachStatus

from .common import (
    PRACTICE_HAS_NO_CUSTOMERS,
    R,
    S,
    agenda_summary,
    error_line,
    to_detail,
)


@workspace_view
@require_http_methods(["GET", "POST"])
def outreach_new(request: WorkspaceRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    session = selectors.session(viewer, session_id)
    permissions.check(viewer, "outreach.request")
    if session.is_practice:
        messages.error(request, PRACTICE_HAS_NO_CUSTOMERS)
        return to_detail(request, session.pk)
    requested = services.requested_statuses(session)
    rows: list[ContactRow] = []
    sent = request.POST if request.method == "POST" else request.GET
    ticked = whole_numbers(sent.getlist("contacts"), most=TICKED_MAX)
    offered = selectors.offered_contacts(viewer, typed=sent.get("contacts_q", ""), ticked=ticked)
    contacts = offered.rows
    stopped = reach.why_not_mail_many(contacts)
    for contact in contacts:
        refusal = services.why_not_requestable(
            session,
            contact,
            requested=requested.get(contact.pk),
            not_mailed=stopped.get(contact.pk, ""),
        )
        rows.append(ContactRow(contact, contact.customer.account_owner, refusal))
    form = OutreachForm(
        request.POST if request.method == "POST" else None,
        initial={"message": request.GET.get("message", "")},
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
        {
            "form": form,
            "session": session,
            "rows": rows,
            "selected": set(ticked),
            "find": offered,
        },
    )


TICKED_MAX = 500  # contacts one request form may carry ticked


@dataclass
class ContactRow:
    contact: Contact
    owner: User | None
    blocked: str  # why the contact cannot be chosen, if so
    error: str = ""  # why requesting outreach for them failed


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
            "not_mailed": reach.why_not_mail(outreach.contact),
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


def _batch_of(raw: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        return None


def _approvals_page(
    request: WorkspaceRequest,
    viewer: Viewer,
    *,
    batch: uuid.UUID | None,
    failed: BatchFailure | None = None,
) -> HttpResponse:
    mine = selectors.outreach_requests(viewer, mine=True).exclude(status=OutreachStatus.PENDING)
    waivable: list[OutreachRequest] = []
    if batch is not None:
        mine = mine.filter(batch=batch)
    elif permissions.allows(viewer, "outreach.waive"):
        waivable = list(
            selectors.outreach_requests(viewer, status=OutreachStatus.PENDING)
            .exclude(account_owner_id=viewer.user_id)
            .order_by("created_at")
        )
    failed = failed or BatchFailure()
    groups = [_ask_group(g, failed) for g in selectors.pending_batches(viewer, batch=batch)]
    shown = any(g.errors or any(r.error or r.reason_error for r in g.rows) for g in groups)
    return render(
        request,
        "sessions/approvals.html",
        {
            "groups": groups,
            "page_errors": [] if shown else failed.top,
            "batch": batch,
            "decided": sorted(
                mine,
                key=lambda r: r.decided_at or r.created_at,
                reverse=True,
            ),
            "waivable": waivable,
            # What other apps wait for from the viewer (the loop's updates and statuses).
            "sections": sections.for_page("approvals", viewer, None),
        },
    )


@dataclass
class AskRow:
    """One contact of an ask on Approvals, with what a refused decision sends back."""

    request: OutreachRequest
    error: str = ""  # about the request as a whole (e.g. decided meanwhile)
    reason_error: str = ""
    reason: str = ""  # the reason as typed, when declining it was refused
    decline_open: bool = False


@dataclass
class AskGroup:
    """The requests asked together that wait for the viewer (``selectors.PendingBatch``)."""

    batch: uuid.UUID
    first: OutreachRequest
    rows: list[AskRow]
    errors: list[str]
    conditions: str  # "Approve all"'s conditions as typed, when it was refused


def _ask_group(found: selectors.PendingBatch, failed: BatchFailure) -> AskGroup:
    rows = []
    for r in found.requests:
        refusal = failed.by_request.get(r.pk, {})
        single = failed.single == r.pk
        rows.append(
            AskRow(
                r,
                error=refusal.get("", ""),
                reason_error=refusal.get("reason", ""),
                reason=failed.reason if single else "",
                decline_open=single and failed.decision == "decline",
            )
        )
    ids = {r.pk for r in found.requests}
    together = len(failed.request_ids) > 1 and ids & set(failed.request_ids)
    return AskGroup(
        found.batch,
        found.first,
        rows,
        errors=list(failed.top) if (ids & set(failed.request_ids)) else [],
        conditions=failed.conditions if together else "",
    )


@dataclass
class BatchFailure:
    """What a refused decision on Approvals sends back to the page: the form as typed, and
    each refusal by request (``""``: the request as a whole, ``"reason"``: the reason)."""

    request_ids: list[int] = field(default_factory=list)
    decision: str = ""
    conditions: str = ""
    reason: str = ""
    top: list[str] = field(default_factory=list)
    by_request: dict[int, dict[str, str]] = field(default_factory=dict)

    @property
    def single(self) -> int | None:
        return self.request_ids[0] if len(self.request_ids) == 1 else None


@workspace_view
@require_GET
def approvals(request: WorkspaceRequest, viewer: Viewer) -> HttpResponse:
    return _approvals_page(request, viewer, batch=_batch_of(request.GET.get("batch", "")))


@workspace_view
@require_POST
def approvals_decide(request: WorkspaceRequest, viewer: Viewer) -> HttpResponse:
    """Decide several requests (an ask's "Approve all") or one, from Approvals."""
    ids = [n for v in request.POST.getlist("request") if (n := whole_number(v)) is not None]
    found = {r.pk: r for r in selectors.requests_to_decide(viewer, ids)}
    form = BatchDecideForm(request.POST, request_ids=list(found))
    batch = _batch_of(request.POST.get("batch", ""))
    failed = BatchFailure(
        request_ids=list(dict.fromkeys(ids)),
        decision=request.POST.get("decision", ""),
        conditions=request.POST.get("conditions", ""),
        reason=request.POST.get("reason", ""),
    )
    if not form.is_valid():
        failed.top = [f"{e}" for errors in form.errors.values() for e in errors]
        return _approvals_page(request, viewer, batch=batch, failed=failed)
    approve = form.cleaned_data["decision"] == "approve"
    chosen = [found[pk] for pk in dict.fromkeys(form.cleaned_data["request"])]
    try:
        services.decide_outreach_requests(
            viewer,
            decisions=[
                services.OutreachDecision(
                    r, approve, form.cleaned_data["conditions"], form.cleaned_data["reason"]
                )
                for r in chosen
            ],
        )
    except ValidationFailed as exc:
        for key, messages_ in exc.errors.items():
            parts = key.split(".")
            if len(parts) >= 2 and parts[0] == "decisions" and parts[1].isdigit():
                pk = chosen[int(parts[1])].pk
                failed.by_request.setdefault(pk, {})[".".join(parts[2:])] = " ".join(messages_)
            else:
                failed.top.extend(messages_)
        if len(chosen) > 1:
            failed.top.insert(0, "Nothing was decided; see the reasons below.")
        return _approvals_page(request, viewer, batch=batch, failed=failed)
    names = _names([r.contact.name for r in chosen])
    if approve:
        extra = " with your conditions" if form.cleaned_data["conditions"].strip() else ""
        text = f"You approved inviting {names}{extra}. The facilitator was told."
    else:
        text = f"You declined inviting {names}. The facilitator was told why."
    messages.success(request, text)
    target = reverse("sessions:approvals", args=[request.workspace.slug])
    return redirect(f"{target}?batch={batch}" if batch else target)


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


urlpatterns: list[URLPattern] = [
    path("approvals/", approvals, name="approvals"),
    path("approvals/decide/", approvals_decide, name="approvals_decide"),
    path(S + "outreach/new/", outreach_new, name="outreach_new"),
    path(R, outreach_detail, name="outreach_detail"),
    path(R + "decide/", outreach_decide, name="outreach_decide"),
    path(R + "waive/", outreach_waive, name="outreach_waive"),
    path(R + "withdraw/", outreach_withdraw, name="outreach_withdraw"),
]
