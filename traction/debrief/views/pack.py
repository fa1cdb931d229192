"""Debrief pages of the pack area: closing a debrief, the debrief pack (HTML page and PDF
download) and sending it to the attendees and the program's policy makers.

Closing and sending need ``debrief.run``; the pack is for everyone who may see the debrief
(``debrief.view``), computed over what they may see.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, path
from django.views.decorators.http import require_GET, require_http_methods

from traction.core import permissions
from traction.core.errors import Conflict, ValidationFailed
from traction.core.guard import whole_number
from traction.core.offering import Offered
from traction.core.permissions import Viewer
from traction.core.web import WorkspaceRequest, apply_domain_errors, render_page, workspace_view
from traction.debrief import pack as documents
from traction.debrief import selectors_pack
from traction.debrief.forms_pack import CloseForm, SendForm
from traction.debrief.models import Debrief
from traction.debrief.services import closing


def _close_form(
    debrief: Debrief, viewer: Viewer, data: Any = None, addable: Any = None
) -> CloseForm:
    top = selectors_pack.top_priorities(viewer, debrief)
    if addable is None:
        addable = _addable(debrief, data)
    return CloseForm(
        data,
        initial={"version": debrief.version},
        attendees=selectors_pack.attendees(debrief),
        addable=addable.rows,
        undecided=selectors_pack.undecided_priorities(viewer, debrief, top),
        needs_reason=not selectors_pack.has_decision(debrief),
        ranked=bool(top),
        opened_by_id=debrief.opened_by_id,
        acted_ids=frozenset(selectors_pack.acted_in_room(debrief)),
    )


def _addable(debrief: Debrief, data: Any) -> Offered[Any]:
    """The members the form offers as "also present": those ticked stay offered (and
    whoever opened the room, listed apart), the rest narrowed by "Find a member"."""
    ticked = [whole_number(v) for v in data.getlist("extra")] if data is not None else []
    chosen = [i for i in [debrief.opened_by_id, *ticked] if i is not None]
    typed = str(data.get("member_q", "")) if data is not None else ""
    return selectors_pack.addable_members(debrief, typed=typed, chosen=chosen)


@workspace_view
@require_http_methods(["GET", "POST"])
def close(request: WorkspaceRequest, viewer: Viewer, pk: int) -> HttpResponse:
    debrief = selectors_pack.debrief_for(viewer, pk, "debrief.run")
    # No form when there is nothing to close: closing twice is refused (the page says it is
    # closed and leads to the pack), and before its session took place (the closing
    # service's rule: a debrief that opened is of a session that took place) the page says
    # so and leads back to the room, rather than a whole form refused once filled in.
    closed = selectors_pack.is_closed(debrief)
    early = None if closed or debrief.opened_at is not None else debrief.too_early()
    if closed or early:
        posted = request.method == "POST"
        return render_page(
            request,
            "debrief/pack/close.html",
            {"debrief": debrief, "form": None, "refused": posted and closed, "too_early": early},
            partial="form",
            status=422 if posted else 200,
        )
    sent = request.POST if request.method == "POST" else None
    addable = _addable(debrief, sent)
    form = _close_form(debrief, viewer, sent, addable)
    conflict = None
    # "Find" (a member to add) shows the form again as typed, the list narrowed: nothing closes.
    finding = sent is not None and "find" in sent
    if sent is not None and not finding and form.is_valid():
        data = form.cleaned_data
        try:
            closing.close_debrief(
                viewer,
                debrief=debrief,
                attendance=form.attendance(),
                note=data["note"],
                undecided=form.revisits(),
                empty_reason=data.get("empty_reason") or "",
                version=data["version"],
            )
        except (ValidationFailed, Conflict) as exc:
            apply_domain_errors(form, exc, form.error_fields(exc))
            if isinstance(exc, Conflict):
                # The merge prompt: what is saved now beside what was typed (kept in the form).
                conflict = selectors_pack.debrief_for(viewer, pk, "debrief.run")
        else:
            messages.success(request, "The debrief is closed. Its pack is ready to read and send.")
            return redirect("debrief:pack", workspace_slug=request.workspace.slug, pk=pk)
    status = 422 if sent is not None and not finding else 200
    return render_page(
        request,
        "debrief/pack/close.html",
        {"debrief": debrief, "form": form, "conflict": conflict, "addable": addable},
        partial="form",
        status=status,
    )


@workspace_view
@require_GET
def pack_page(request: WorkspaceRequest, viewer: Viewer, pk: int) -> HttpResponse:
    debrief = selectors_pack.debrief_for(viewer, pk)
    context = documents.context(viewer, debrief)
    context["zone"] = documents.zone(debrief)
    context["can_run"] = permissions.can(viewer, "debrief.run", debrief)
    return render_page(request, "debrief/pack/page.html", context, partial="pack")


def download(body: bytes, fmt: str, name: str) -> HttpResponse:
    kind = "application/pdf" if fmt == "pdf" else "text/html; charset=utf-8"
    response = HttpResponse(body, content_type=kind)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


@workspace_view
@require_GET
def pack_pdf(request: WorkspaceRequest, viewer: Viewer, pk: int) -> HttpResponse:
    debrief = selectors_pack.debrief_for(viewer, pk)
    return download(
        documents.render_pdf(viewer, debrief), "pdf", documents.filename(debrief, "pdf")
    )


@workspace_view
@require_http_methods(["GET", "POST"])
def send(request: WorkspaceRequest, viewer: Viewer, pk: int) -> HttpResponse:
    """The recipients first; sending (and sending again) is a button press."""
    debrief = selectors_pack.debrief_for(viewer, pk, "debrief.run")
    form = SendForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            sent = closing.send_pack(viewer, debrief=debrief, resend=form.cleaned_data["resend"])
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
            status = 422
        else:
            messages.success(
                request,
                f"The pack is on its way to {len(sent)} "
                f"{'person' if len(sent) == 1 else 'people'}.",
            )
            return redirect("debrief:send", workspace_slug=request.workspace.slug, pk=pk)
    return render_page(
        request,
        "debrief/pack/send.html",
        {
            "debrief": debrief,
            "form": form,
            "recipients": selectors_pack.recipients(debrief),
            "excluded": selectors_pack.excluded(debrief),
            "closed": selectors_pack.is_closed(debrief),
        },
        partial="recipients",
        status=status,
    )


urlpatterns: list[URLPattern] = [
    path("<int:pk>/close/", close, name="close"),
    path("<int:pk>/pack/", pack_page, name="pack"),
    path("<int:pk>/pack.pdf", pack_pdf, name="pack_pdf"),
    path("<int:pk>/send/", send, name="send"),
]
