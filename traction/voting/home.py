"""The workspace home's "what customers ranked highest": for a program's sponsor, the top
cards of the closed rounds of the sessions of the programs they sponsor, each ranking read
through the policy as the results page reads it (``selectors.results``)."""

from __future__ import annotations

from typing import Any

from traction.core.dashboard import Home
from traction.core.permissions import Viewer
from traction.sessions import selectors as sessions

from . import selectors
from .models import VotingRound

TOP_CARDS = 3  # cards shown of each session's ranking
SESSIONS_SHOWN = 3  # the latest closed rounds


def top_cards(viewer: Viewer, home: Home) -> dict[str, Any]:
    """The latest closed rounds of the viewer's sponsored programs, each with its top cards
    as the viewer may see them."""
    closed = (
        sessions.sessions(viewer)
        .filter(
            program__executive_sponsor_id=viewer.user_id,
            pk__in=VotingRound.objects.filter(closed_at__isnull=False).values("session_id"),
        )
        .order_by("-starts_at", "-id")[:SESSIONS_SHOWN]
    )
    rankings = []
    for session in closed:
        found = selectors.results(session, viewer, limit=TOP_CARDS)
        rankings.append({"session": session, "cards": found.overall})
    return {"rankings": rankings}
