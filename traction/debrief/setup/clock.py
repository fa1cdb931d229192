"""What the clock area of the debrief registers with the kernel and lower apps: the session
events that create, move and cancel debriefs, the periodic job (``traction remind``), the
session's readiness check, the "Debriefs" tab and the sections of the program, session and
home pages."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from traction.core.permissions import Viewer


def register() -> None:
    """Registrations of the clock area (navigation, sections, handlers, periodic jobs)."""
    from traction.core import events, navigation, periodic, sections
    from traction.debrief import selectors_clock as selectors
    from traction.debrief.services import clock
    from traction.sessions import readiness, records

    events.subscribe("session.planned", clock.on_session_planned)
    events.subscribe("session.rescheduled", clock.on_session_rescheduled)
    events.subscribe("session.held", clock.on_session_held)
    events.subscribe("session.cancelled", clock.on_session_cancelled)
    records.register("debrief", _recorded_in_session)
    periodic.register(
        "debrief.clock",
        clock.clock_job,
        description="Book the debriefs sessions lack; remind before the deadline and when "
        "late or missed.",
        order=20,
    )
    readiness.register(
        "debrief", selectors.readiness_check, annotate=selectors.annotate_sessions, order=50
    )
    navigation.register(
        "debriefs",
        label="Debriefs",
        url_name="debrief:list",
        action="debrief.view",
        order=45,
        current=["debrief:*"],
    )
    sections.register(
        "program",
        "debriefs",
        template="debrief/clock/program_section.html",
        action="debrief.view",
        order=110,
        context=selectors.program_debriefs,
    )
    sections.register(
        "session",
        "debrief",
        template="debrief/clock/session_section.html",
        action="debrief.view",
        order=50,
        context=selectors.session_debrief,
    )
    sections.register(
        "workspace-settings",
        "debriefs",
        template="debrief/clock/settings_section.html",
        action="debrief.settings",
        order=40,
        context=selectors.settings_section,
    )
    sections.register(
        "home",
        "debriefs",
        template="debrief/clock/home_steps.html",
        action="debrief.view",
        order=35,
        context=_home,
    )


def _recorded_in_session(session: Any) -> str:
    """Its debrief opened (or closed): the session keeps its date (``sessions.records``).
    A debrief only booked is not: it follows the session (moved, or cancelled with it)."""
    from traction.debrief.models import Debrief

    opened = Debrief.objects.filter(session=session).filter(
        Q(opened_at__isnull=False) | Q(closed_at__isnull=False)
    )
    return "its debrief, opened" if opened.exists() else ""


def _home(viewer: Viewer, home: Any) -> dict[str, Any]:
    from traction.debrief import selectors_clock as selectors

    return {
        "workspace_slug": home.workspace_slug,
        "waiting": selectors.home_debriefs(viewer),
        "decisions": selectors.home_decisions(viewer),
        "invitations": selectors.home_invitations(viewer),
    }
