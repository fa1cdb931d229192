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

_DIGITS = frozenset("0123456789")
_MAX_ID = 2**63 - 1


def whole(raw: object, *, high: int = _MAX_ID) -> int | None:
    """A number a person typed, strictly: ASCII digits only ("²".isdigit() is True, but
    int("²") fails), within [1, high] (a 25-digit id overflows the database); else None."""
    if not isinstance(raw, str) or not raw or not _DIGITS.issuperset(raw):
        return None
    if len(raw.lstrip("0")) > len(str(high)):  # before int(): no 5,000-digit conversions
        return None
    value = int(raw)
    return value if 1 <= value <= high else None


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
