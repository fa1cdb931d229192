"""Who may see and run debriefs, draft and decide recommendations, own action items and keep
the scorecard (docs/roles.md).

Every debrief record carries its ``program``, so each OWN filter below reads
``program__…`` whatever the model: a debrief, a recommendation, an action item or a metric.
Only policy makers decide: the workspace's admins, the program's executive sponsor and the
people the program names (``programs.PolicyMaker``), whatever their workspace role.
"""

from __future__ import annotations

from django.db.models import Q

from traction.core.permissions import ALL, OWN, Viewer, rule


def in_program(viewer: Viewer) -> Q:
    """Records of programs the viewer belongs to now (sponsor, team, observers, policy
    makers)."""
    u = viewer.user_id
    return (
        Q(program__executive_sponsor_id=u)
        | Q(program__members__user_id=u, program__members__left_at=None)
        | Q(program__policy_makers__user_id=u, program__policy_makers__left_at=None)
    )


def in_program_team(viewer: Viewer) -> Q:
    """Records of programs whose sponsor, core team or policy makers the viewer is now
    (observers read, never write)."""
    u = viewer.user_id
    return (
        Q(program__executive_sponsor_id=u)
        | Q(
            program__members__user_id=u,
            program__members__kind="core_team",
            program__members__left_at=None,
        )
        | Q(program__policy_makers__user_id=u, program__policy_makers__left_at=None)
    )


def decides(viewer: Viewer) -> Q:
    """Records of programs the viewer decides in: its sponsor or a named policy maker."""
    u = viewer.user_id
    return Q(program__executive_sponsor_id=u) | Q(
        program__policy_makers__user_id=u, program__policy_makers__left_at=None
    )


def invited(viewer: Viewer) -> Q:
    """Debriefs the viewer is invited to (an ``Attendee`` row)."""
    return Q(attendees__user_id=viewer.user_id)


def action_of_mine(viewer: Viewer) -> Q:
    """Action items the viewer owns or contributes to, or of a program whose team they are."""
    return Q(owner_id=viewer.user_id) | Q(contributors__id=viewer.user_id) | in_program_team(viewer)


def metric_of_mine(viewer: Viewer) -> Q:
    """Scorecard metrics the viewer owns, or of a program whose team they are."""
    return Q(owner_id=viewer.user_id) | in_program_team(viewer)


RULES = [
    rule(
        "debrief.view",
        own=in_program,
        description="See a program's debriefs: the room, recommendations, decisions, action "
        "items, the scorecard and the debrief pack.",
        admin=ALL,
        facilitator=ALL,
        core_team=OWN,
        sponsor=OWN,
        account_owner=OWN,
        observer=OWN,
    ),
    rule(
        "debrief.run",
        description="Book a debrief, run its room (plan, phases), close it and send its pack.",
        admin=ALL,
        facilitator=ALL,
    ),
    rule(
        "debrief.respond",
        own=invited,
        description="Accept or decline the booked debrief you are invited to.",
        outside="You are not invited to this debrief: only those invited answer it.",
        admin=OWN,
        facilitator=OWN,
        core_team=OWN,
        sponsor=OWN,
        account_owner=OWN,
        observer=OWN,
    ),
    rule(
        "debrief.settings",
        description="Choose which session kinds need a debrief, and its default length.",
        admin=ALL,
    ),
    rule(
        "recommendation.draft",
        own=in_program_team,
        description="Draft and edit recommendations and link their evidence.",
        admin=ALL,
        facilitator=ALL,
        core_team=OWN,
        sponsor=OWN,
        account_owner=OWN,
    ),
    rule(
        "recommendation.decide",
        own=decides,
        description="Approve, defer or reject a recommendation, with a reason (policy makers "
        "only: the program's executive sponsor and the people it names; admins).",
        admin=ALL,
        facilitator=OWN,
        core_team=OWN,
        sponsor=OWN,
        account_owner=OWN,
    ),
    rule(
        "action.manage",
        own=in_program_team,
        description="Create action items for approved recommendations, assign owners and dates.",
        admin=ALL,
        facilitator=ALL,
        core_team=OWN,
        sponsor=OWN,
        account_owner=OWN,
    ),
    rule(
        "action.update",
        own=action_of_mine,
        description="Move an action item along (in progress, blocked, done, dropped) with a "
        "progress note.",
        admin=ALL,
        facilitator=ALL,
        core_team=OWN,
        sponsor=OWN,
        account_owner=OWN,
    ),
    rule(
        "metric.manage",
        own=in_program_team,
        description=(
            "Define scorecard metrics: definition, unit, direction, baseline, target; "
            "archive and restore them."
        ),
        admin=ALL,
        facilitator=ALL,
        core_team=OWN,
        sponsor=OWN,
    ),
    rule(
        "metric.measure",
        own=metric_of_mine,
        description="Record measurements of a scorecard metric (by hand, CSV or API).",
        admin=ALL,
        facilitator=ALL,
        core_team=OWN,
        sponsor=OWN,
        account_owner=OWN,
    ),
]
