"""What closing the loop registers with the kernel and lower apps: the program page's
section, navigation's approvals badge, the radar's periodic job and its debrief hook."""

from __future__ import annotations

from typing import Any

from traction.core.permissions import Viewer


def program_section(viewer: Viewer, program: Any) -> dict[str, Any]:
    from traction.loop.models import AtRisk, PriorityStatus

    return {
        "program": program,
        "published": PriorityStatus.objects.filter(
            program_id=program.pk, published_at__isnull=False
        )
        .values("priority_id")
        .distinct()
        .count(),
        "at_risk": AtRisk.objects.filter(program_id=program.pk, cleared_at__isnull=True).count(),
    }


def home_context(viewer: Viewer, home: Any) -> dict[str, Any]:
    """The account owner's next step on the home page: statuses waiting for their approval
    (the program of the oldest one is where the link goes)."""
    from traction.loop import selectors

    pending = home.counts.get("loop_pending_approvals")
    first = (
        selectors.my_pending_approvals(viewer).order_by("created_at", "pk").first()
        if pending
        else None
    )
    return {
        "workspace_slug": home.workspace_slug,
        "pending": pending,
        "program_id": first.program_id if first else None,
    }


def register_all() -> None:
    from traction.core import dashboard, events, periodic, sections
    from traction.debrief import outbound
    from traction.loop import selectors
    from traction.loop.services import publishing, radar

    periodic.register(
        "loop.radar",
        radar.run,
        description="The slip radar: check every published customer-facing status against "
        "the facts; mark priorities at risk with a change-of-plan draft, clear them when the "
        "facts back them again.",
        order=40,
    )
    outbound.connect(radar.on_debrief_event)
    events.subscribe("customer.owner_changed", publishing.move_pending_approvals)
    dashboard.register(
        "loop_pending_approvals", action="loop.approve", count=selectors.pending_approvals_count
    )
    sections.register(
        "home",
        "loop_approvals",
        template="loop/home_steps.html",
        action="loop.approve",
        order=47,
        context=home_context,
    )
    sections.register(
        "program",
        "customer_priorities",
        template="loop/program_section.html",
        action="loop.view",
        order=70,
        context=program_section,
    )
