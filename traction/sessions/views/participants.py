"""Web pages: the session's participants and their briefings (adding and removing
participants, recording practice attendance, a participant's briefing and acknowledging it)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from traction.accounts import selectors as account_selectors
from traction.core import clock, permissions
from traction.core.errors import NotFound, ValidationFailed
from traction.core.guard import whole_number
from traction.core.permissions import Viewer
from traction.core.web import WorkspaceRequest, apply_domain_errors, workspace_view
from traction.sessions import selectors, services
from traction.sessions.forms import ParticipantForm

from .common import S, agenda_summary, error_line


@workspace_view
@require_http_methods(["GET", "POST"])
def participants(request: WorkspaceRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    session = selectors.session(viewer, session_id, action="participant.manage")
    sent = request.POST if request.method == "POST" else request.GET
    # "Find a member" reloads the page by GET with the form's answers: they stay as chosen.
    found = account_selectors.offered_members(
        viewer, typed=sent.get("user_q", ""), chosen=whole_number(sent.get("user", ""))
    )
    form = ParticipantForm(
        request.POST if request.method == "POST" else None,
        initial={"user": request.GET.get("user"), "role": request.GET.get("role")},
        members=account_selectors.member_users(viewer),
        shown=found.rows,
    )
    if request.method == "POST" and form.is_valid():
        user = form.cleaned_data["user"]
        try:
            participant = services.add_participant(
                viewer, session=session, user_id=user.pk, role=form.cleaned_data["role"]
            )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc, {"user_id": "user"})
        else:
            messages.success(
                request,
                f"{user} is {participant.get_role_display().lower()}, was sent the calendar "
                "invitation and asked to read their briefing.",
            )
            return redirect(
                "sessions:participants",
                workspace_slug=request.workspace.slug,
                session_id=session.pk,
            )
    return render(
        request,
        "sessions/participants.html",
        {
            "form": form,
            "find": found,
            "session": session,
            "participants": list(selectors.participants(session)),
            "practice_held": session.practice is not None
            and session.practice.starts_at <= clock.now(),
        },
    )


@workspace_view
@require_POST
def participant_remove(
    request: WorkspaceRequest, viewer: Viewer, session_id: int, participant_id: int
) -> HttpResponse:
    session = selectors.session(viewer, session_id, action="participant.manage")
    participant = selectors.participant(viewer, participant_id, session_id=session.pk)
    services.remove_participant(viewer, participant=participant)
    messages.success(request, f"{participant.user} no longer takes part in “{session.title}”.")
    return redirect(
        "sessions:participants", workspace_slug=request.workspace.slug, session_id=session.pk
    )


@workspace_view
@require_POST
def practice_attendance(
    request: WorkspaceRequest, viewer: Viewer, session_id: int, participant_id: int
) -> HttpResponse:
    session = selectors.session(viewer, session_id, action="practice.record")
    participant = selectors.participant(viewer, participant_id, session_id=session.pk)
    attended = request.POST.get("attended") == "yes"
    try:
        services.record_practice_attendance(viewer, participant=participant, attended=attended)
    except ValidationFailed as exc:
        messages.error(request, error_line(exc))
    else:
        messages.success(
            request,
            f"{participant.user} {'attended' if attended else 'did not attend'} the practice "
            "session.",
        )
    return redirect(
        "sessions:participants", workspace_slug=request.workspace.slug, session_id=session.pk
    )


@workspace_view
@require_GET
def briefing(request: WorkspaceRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    session = selectors.session(viewer, session_id)
    raw = request.GET.get("participant", "")
    participant_id = whole_number(raw)
    if (
        participant_id is None
        and selectors.my_participation(viewer, session) is None
        and permissions.can(viewer, "participant.manage", session)
    ):
        messages.info(
            request, "You do not take part in this session; open a participant's briefing."
        )
        return redirect(
            "sessions:participants", workspace_slug=request.workspace.slug, session_id=session.pk
        )
    packet = selectors.briefing(viewer, session, participant_id)
    agenda = packet.agenda
    return render(
        request,
        "sessions/briefing.html",
        {
            "b": packet,
            "session": session,
            "agenda_summary": agenda_summary(session, agenda),
            "own": packet.participant.user_id == viewer.user_id,
            "conditions": [c for c in packet.customers if c.conditions],
        },
    )


@workspace_view
@require_POST
def briefing_ack(request: WorkspaceRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    session = selectors.session(viewer, session_id)
    participant = selectors.my_participation(viewer, session)
    if participant is None:
        raise NotFound("You are not a participant of this session, so there is no briefing.")
    services.acknowledge_briefing(viewer, participant=participant)
    messages.success(request, "Thank you: your briefing is acknowledged.")
    return redirect(
        "sessions:briefing", workspace_slug=request.workspace.slug, session_id=session.pk
    )


urlpatterns: list[URLPattern] = [
    path(S + "participants/", participants, name="participants"),
    path(
        S + "participants/<int:participant_id>/remove/",
        participant_remove,
        name="participant_remove",
    ),
    path(
        S + "participants/<int:participant_id>/attendance/",
        practice_attendance,
        name="practice_attendance",
    ),
    path(S + "briefing/", briefing, name="briefing"),
    path(S + "briefing/ack/", briefing_ack, name="briefing_ack"),
]
