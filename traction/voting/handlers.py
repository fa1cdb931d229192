"""What voting does when a lower app announces something (``traction.core.events``):
subscribed in ``VotingConfig.ready``; each runs inside the publisher's transaction and
records its own audit event.

- ``session.cancelled``: the session's open voting round closes itself (a system close,
  with the reason); its ranking is frozen like any closing.
- ``participant.declined``: a customer who declines keeps no dots in an open round.

An erased contact's name leaves voting's rows within the insights erasure (``erasure.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from traction.core.permissions import Principal, Viewer


def session_cancelled(actor: Viewer | None, *, session: Any, **_: Any) -> None:
    from traction.voting import services

    services.close_for_cancelled_session(actor, session=session)


def participant_declined(actor: Principal | None, *, session: Any, contact: Any, **_: Any) -> None:
    from traction.voting import services

    # Recorded as the system (whoever declined: the contact through their link, or a member).
    services.clear_declined_dots(None, session=session, contact=contact)


def recorded_in_session(session: Any) -> str:
    """A voting round opened for the session, or dots given in it (withdrawn ones too):
    such a session keeps its date (``sessions.records``)."""
    from traction.voting.models import Vote, VotingRound

    if VotingRound.objects.filter(session=session).exists():
        return "its voting round"
    if Vote.history.filter(session=session).exists():
        return "votes"
    return ""


SUBSCRIPTIONS: list[tuple[str, Callable[..., None]]] = [
    ("session.cancelled", session_cancelled),
    ("participant.declined", participant_declined),
]
