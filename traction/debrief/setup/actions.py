"""What the actions area of the debrief registers with the kernel and lower apps."""

from __future__ import annotations

from typing import Any

from traction.core.permissions import Viewer

# The room's review panel shows this many earlier actions (overdue and blocked first), and its
# actions panel this many of the debrief's own that need attention; the review page and the
# debrief's actions page list them all, a page at a time.
PANEL_ROWS = 10


def register() -> None:
    """Registrations of the actions area (navigation, sections, handlers, periodic jobs)."""
    from traction.core import dashboard, events, navigation, periodic, sections
    from traction.debrief import selectors_actions as selectors
    from traction.debrief.services import actions as services

    events.subscribe("member.removed", services.owner_left)
    periodic.register(
        "debrief.actions",
        services.send_reminders,
        description="Remind action owners: not started by the planned start, due in three "
        "days, overdue (once each per date).",
        order=30,
    )
    dashboard.register("my_overdue_actions", action="debrief.view", rows=selectors.my_overdue)
    dashboard.register("my_open_actions", action="debrief.view", rows=selectors.my_open)
    navigation.register(
        "my_actions",
        label="My actions",
        url_name="debrief:my_actions",
        action="debrief.view",
        order=46,
        current=["debrief:my_actions", "debrief:action_detail", "debrief:action_edit"],
        badge="my_overdue_actions",
        badge_label="overdue",
        # Observers own nothing: for them the entry would always be empty.
        optional=True,
        pinned_by="action.update",
    )
    sections.register(
        "home",
        "debrief_actions",
        template="debrief/actions/home_steps.html",
        action="debrief.view",
        order=45,
        context=lambda viewer, home: {
            "workspace_slug": home.workspace_slug,
            "overdue": home.counts.get("my_overdue_actions"),
            "open": home.counts.get("my_open_actions"),
        },
    )
    sections.register(
        "debrief-room",
        "review",
        template="debrief/actions/review_panel.html",
        action="debrief.view",
        order=10,
        context=review_context,
    )
    sections.register(
        "debrief-room",
        "actions",
        template="debrief/actions/actions_panel.html",
        action="debrief.view",
        order=40,
        context=actions_context,
    )
    sections.register(
        "member-remove",
        "actions",
        template="debrief/actions/member_remove_actions.html",
        action="member.manage",
        context=member_remove_context,
    )
    sections.register(
        "program",
        "time_to_action",
        template="debrief/actions/program_time_to_action.html",
        action="debrief.view",
        order=60,
        context=lambda viewer, program: {
            "program": program,
            "pace": selectors.time_to_action(viewer, program_id=program.pk),
        },
    )


def review_context(viewer: Viewer, debrief: Any) -> dict[str, Any]:
    """The room's first panel: the program's open actions from earlier debriefs."""
    from traction.core import permissions
    from traction.debrief import selectors_actions as selectors

    actions, total = selectors.earlier_open_actions_panel(viewer, debrief, rows=PANEL_ROWS)
    return {
        "debrief": debrief,
        "actions": actions,
        "total": total,
        "can_manage": permissions.allows(viewer, "action.manage"),
    }


def actions_context(viewer: Viewer, debrief: Any) -> dict[str, Any]:
    """The room's actions panel, a summary: how many of the debrief's actions are in each
    state, the ones that need attention first (overdue and blocked, then due soonest; a
    bounded number), and links to the full list and to its "Add action item" form."""
    from traction.core import permissions
    from traction.debrief import selectors_actions as selectors

    recommendations = selectors.approved_recommendations(viewer, debrief)
    counts = attention = None
    if recommendations:
        counts = selectors.debrief_action_counts(viewer, recommendations)
        if counts.total:
            attention = selectors.needing_attention(viewer, recommendations, rows=PANEL_ROWS)
    return {
        "debrief": debrief,
        "recommendations": recommendations,
        "counts": counts,
        "attention": attention,
        "can_manage": permissions.can(viewer, "action.manage", debrief),
    }


def member_remove_context(viewer: Viewer, membership: Any) -> dict[str, Any]:
    """The confirmation of removing a member: how many open actions they own, which will
    need a new owner (and ``after``, the sentence the page's success message adds)."""
    from traction.debrief import selectors_actions as selectors

    count = selectors.owned_open_count(viewer, membership.user_id)
    after = ""
    if count:
        items, need = ("open action item", "needs") if count == 1 else ("open action items", "need")
        after = f"Their {count} {items} now {need} a new owner (“Need a new owner” in My actions)."
    return {"name": str(membership.user), "count": count, "after": after}
