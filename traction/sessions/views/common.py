"""Helpers the session pages share: the redirect back to a session's page, a domain error as
one line of text for a message, and the agenda's length summary."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import redirect

from traction.core.errors import DomainError
from traction.core.web import WorkspaceRequest, error_text
from traction.sessions import agenda as agenda_rules
from traction.sessions.models import Session

PRACTICE_HAS_NO_CUSTOMERS = (
    "A practice session is a rehearsal for internal participants: no customers are "
    "requested, invited or asked to vote."
)

S = "<int:session_id>/"  # the start of a session's URLs
R = "outreach/<int:request_id>/"  # the start of an outreach request's URLs
RELOAD = " Reload the page and try again."  # after a Conflict's message


def to_detail(request: WorkspaceRequest, session_id: int) -> HttpResponse:
    return redirect("sessions:detail", workspace_slug=request.workspace.slug, session_id=session_id)


def error_line(exc: DomainError) -> str:
    """A refusal as one line for a message (``core.web.error_text``); on the session pages a
    Conflict asks the user to reload."""
    return error_text(exc, conflict_help=RELOAD)


def agenda_summary(session: Session, items: list[Any]) -> agenda_rules.AgendaCheck:
    """The agenda's minutes and what it lacks (``traction.sessions.agenda.check_agenda``)."""
    return agenda_rules.summary(session.kind, session.length_minutes, items)
