"""What is recorded against a session because it took place: insights captured in it, its
voting, its debrief opened, an update about it. Higher apps register a ``describe`` in their
``AppConfig.ready`` (sessions never imports them, tests/test_layers.py); each returns what
it holds for the session in a few words ("3 insights"), or "" for nothing.

The rule it serves (``over_refusal``): a session whose end is past is closed, except one
neither marked held nor with anything recorded against it. That one was most likely planned
with a wrong date (2025 for 2027): its date can still be corrected, and it can be cancelled.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.utils import dateformat

if TYPE_CHECKING:
    from .models import Session

Describe = Callable[["Session"], str]
_describers: dict[str, Describe] = {}


def register(key: str, describe: Describe) -> None:
    """Count what ``describe`` finds as recorded against a session; idempotent per ``key``."""
    _describers[key] = describe


def recorded(session: Session) -> list[str]:
    """What is recorded against the session, in a few words each (empty: nothing)."""
    found = (_describers[key](session) for key in sorted(_describers))
    return [text for text in found if text]


def over_refusal(session: Session) -> str:
    """Why a session that is over can no longer change its date nor be cancelled; "" when
    it is not over, or over but still correctable (not marked held, nothing recorded)."""
    if not session.has_ended:
        return ""
    if session.is_held:
        when = dateformat.format(session.ended_at.astimezone(session.tz), "j F Y")
        return f"This session is over and was marked held (it ended on {when}): {LOCKED}"
    found = recorded(session)
    if found:
        held = ", ".join(found)
        return f"This session is over and holds what was recorded in it ({held}): {LOCKED}"
    return ""


LOCKED = "its date can no longer change, and it cannot be cancelled."


def practice_attendance(session: Session) -> str:
    """A practice session whose attendance was recorded on the session it rehearses."""
    from .models import Participant

    if not session.is_practice:
        return ""
    n = Participant.history.filter(session__practice=session, attended_practice=True).count()
    return f"{n} participant{'s' if n != 1 else ''}' attendance" if n else ""
