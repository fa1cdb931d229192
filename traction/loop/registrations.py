"""What closing the loop registers with the kernel and lower apps: the program page's
section, navigation's approvals badge, the radar's periodic job and its debrief hook, and the
loop's step of a contact's erasure (``erasure.py``)."""

from __future__ import annotations

from typing import Any

from traction.core.permissions import Viewer


def program_section(viewer: Viewer, program: Any) -> dict[str, Any]:
    """The program page's counts of published statuses and radar marks, over the priorities
    the viewer may read (an account owner: their own customers' cards), as the priorities
    page lists them."""
    from traction.loop import selectors
    from traction.loop.models import AtRisk, PriorityStatus

    readable = selectors.visible_priorities(viewer, program).values("pk")
    return {
        "program": program,
        "published": PriorityStatus.objects.filter(
            program_id=program.pk, published_at__isnull=False, priority__in=readable
        )
        .values("priority_id")
        .distinct()
        .count(),
        "at_risk": AtRisk.objects.filter(
            program_id=program.pk, cleared_at__isnull=True, priority__in=readable
        ).count(),
    }


def home_context(viewer: Viewer, home: Any) -> dict[str, Any]:
    """The account owner's next step on the home page: statuses waiting for their approval
    (the program of the oldest one is where the link goes)."""
    from traction.loop import selectors

    pending = home.counts.get("loop_pending_approvals")
    first = update = None
    statuses = updates = 0
    if pending:
        waiting = selectors.my_pending_approvals(viewer)
        # One approval per customer: count the statuses and updates, not the approvals.
        statuses = waiting.values("status_id").distinct().count()
        first = waiting.order_by("created_at", "pk").first()
        asked = selectors.my_pending_update_approvals(viewer)
        updates = asked.values("update_id").distinct().count()
        update = asked.order_by("created_at", "pk").first()
    return {
        "workspace_slug": home.workspace_slug,
        "pending": statuses,
        "program_id": first.program_id if first else None,
        "pending_updates": updates,
        "update_id": update.update_id if update else None,
    }


APPROVALS_SHOWN = 20  # updates listed on the Approvals page; the rest are counted


def approvals_context(viewer: Viewer, _page: Any) -> dict[str, Any]:
    """The Approvals page's part of the loop: the updates waiting for the viewer's approval
    (oldest first, each with its customer) and, by program, how many customer-facing
    statuses wait. Three queries."""
    from django.db.models import Count

    from traction.loop import selectors

    asked = (
        selectors.my_pending_update_approvals(viewer)
        .select_related("update", "program", "customer")
        .order_by("created_at", "pk")
    )
    updates = list(asked[: APPROVALS_SHOWN + 1])
    statuses = list(
        selectors.my_pending_approvals(viewer)
        .values("program_id", "program__name")
        .annotate(n=Count("status_id", distinct=True))
        .order_by("program__name", "program_id")
    )
    return {
        "updates": updates[:APPROVALS_SHOWN],
        "more_updates": len(updates) > APPROVALS_SHOWN,
        "statuses": statuses,
    }


def draft_notes(viewer: Viewer, update: Any) -> dict[str, Any]:
    """The drafting's notes for the facilitator (``sources["notes"]``: what the draft left
    out, and why) on an update's page while it can still be edited; never sent."""
    from traction.loop.models import UpdateState

    notes = (update.sources or {}).get("notes") or []
    editable = update.state not in (UpdateState.SENT, UpdateState.DISCARDED)
    return {"shown": bool(notes) and editable, "notes": [str(n) for n in notes]}


def _updates_about_session(session: Any) -> str:
    """Updates written about the session: it keeps its date (``sessions.records``)."""
    from traction.loop.models import Update

    n = Update.objects.filter(session=session).count()
    return f"{n} update{'s' if n != 1 else ''} to customers" if n else ""


def register_all() -> None:
    from traction.core import dashboard, events, navigation, periodic, permissions, sections
    from traction.customers import reach as customer_reach
    from traction.debrief import outbound
    from traction.loop import reach, selectors
    from traction.loop.services import approvals, radar
    from traction.sessions import records as session_records

    customer_reach.register(reach.unsubscribed_from_all)
    session_records.register("loop", _updates_about_session)
    from django.urls import reverse

    from traction.debrief import hearing

    # The debrief room shows what customers hear of a decided recommendation's evidence.
    hearing.register(
        selectors.published_statuses,
        # The propose page, for whoever may propose; the room adds ``?priority=<card>``,
        # which it preselects.
        lambda viewer, slug, program: (
            reverse("loop:propose", args=[slug, program.pk])
            if permissions.can(viewer, "loop.propose", program)
            else ""
        ),
    )
    sections.register(
        "loop-update",
        "draft-notes",
        template="loop/sections/update_notes.html",
        action="loop.updates",
        context=draft_notes,
        order=10,
    )
    periodic.register(
        "loop.radar",
        radar.run_and_notify,
        description="The slip radar: check every published customer-facing status against "
        "the facts; mark priorities at risk with a change-of-plan draft, clear them when the "
        "facts back them again; tell the facilitators and account owners of new marks (one "
        "digest each).",
        order=40,
    )
    outbound.connect(radar.on_debrief_event)
    from traction.loop.services import updates

    periodic.register(
        "loop.update_approvals",
        updates.remind,
        description="Remind account owners of updates waiting for their approval (every "
        "TRACTION_UPDATE_APPROVAL_REMIND_DAYS days) and tell the admins after "
        "TRACTION_UPDATE_APPROVAL_ESCALATE_DAYS days.",
        order=41,
    )
    from traction.loop import update_emails

    periodic.register(
        "loop.update_approval_mail",
        update_emails.run,
        description="Send the approval emails of updates that are due: requests, reminders "
        "and escalations nobody took, and failures whose next attempt has come.",
        order=42,
    )
    events.subscribe("customer.owner_changed", approvals.move_pending)
    from traction.insights import erasure as insight_erasure
    from traction.loop import erasure

    # An erased contact's name and address leave the loop's rows, in the one erasure.
    insight_erasure.register(erasure.STEP)
    dashboard.register(
        "loop_pending_approvals", action="loop.approve", rows=selectors.my_pending_any
    )
    # Approvals (the sessions app's page of outreach requests) counts and lists them too: an
    # account owner's approvals are in one place.
    navigation.count_also("approvals", "loop_pending_approvals")
    sections.register(
        "approvals",
        "loop_approvals",
        template="loop/approvals_section.html",
        action="loop.approve",
        order=10,
        context=approvals_context,
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
    register_plan()  # the communication plan's (below)


# --- the communication plan (area PLAN) ----------------------------------------------------


def session_promise_section(viewer: Viewer, session: Any) -> dict[str, Any]:
    """The session page: per customer organisation that took part, whether the first update
    after the session went, else the promise counting down."""
    from traction.core import permissions
    from traction.insights import rules as insight_rules
    from traction.loop import plan

    shown = (
        not session.is_practice
        and not session.is_cancelled
        and permissions.can(viewer, "loop.plan_view", session.program)
    )
    if not shown:
        return {"shown": False}
    identify = insight_rules.visible_customer_ids(viewer)
    rows = [
        r
        for r in plan.session_promises(session)
        if identify is None or r["customer"].pk in identify
    ]
    return {
        "shown": True,
        "session": session,
        "over": session.has_ended,
        "rows": rows,
        "program_id": session.program_id,
    }


def recently_answered_section(viewer: Viewer, program: Any) -> dict[str, Any]:
    from traction.core import permissions
    from traction.loop import answered

    if not permissions.can(viewer, "loop.view", program):
        return {"shown": False}
    return {"shown": True, "program": program, "items": answered.recently(viewer, program)}


def plan_home_context(viewer: Viewer, home: Any) -> dict[str, Any]:
    """A teller's next step: the programs where an update they owe is overdue."""
    from traction.loop import plan

    return {"workspace_slug": home.workspace_slug, "overdue": plan.overdue_for(viewer)}


def register_plan() -> None:
    from traction.core import periodic, sections
    from traction.loop.services import plan as plan_services

    periodic.register(
        "loop.plan",
        plan_services.run,
        description="The communication plan's reminders: one digest per teller and program "
        "facilitator of updates due within a week, overdue, or promised in a session.",
        order=45,
    )
    sections.register(
        "session",
        "loop_promise",
        template="loop/plan/session_section.html",
        action="loop.plan_view",
        order=60,
        context=session_promise_section,
    )
    sections.register(
        "program",
        "recently_answered",
        template="loop/plan/recently_answered.html",
        action="loop.view",
        order=71,
        context=recently_answered_section,
    )
    sections.register(
        "home",
        "loop_plan_overdue",
        template="loop/plan/home_steps.html",
        action="loop.plan_view",
        order=48,
        context=plan_home_context,
    )
    # MAIL: delivery, subscriptions, the portal's loop panels (loop/mail_setup.py)
    from traction.loop import mail_setup

    mail_setup.register()
