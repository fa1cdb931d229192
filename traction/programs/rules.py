"""Admins and facilitators see every program; everyone else the programs they belong to."""

from django.db.models import Q

from traction.core.permissions import ALL, OWN, Viewer, rule


def belongs(viewer: Viewer) -> Q:
    """The sponsor, the current core team and observers, and the current policy makers."""
    # A team membership that ended (left the team or the workspace) grants nothing: both
    # conditions in one Q apply to the same membership row.
    return (
        Q(executive_sponsor_id=viewer.user_id)
        | Q(members__user_id=viewer.user_id, members__left_at=None)
        | Q(policy_makers__user_id=viewer.user_id, policy_makers__left_at=None)
    )


RULES = [
    rule(
        "program.view",
        own=belongs,
        description="See a program, its goal, sponsor, core team and results window.",
        admin=ALL,
        facilitator=ALL,
        core_team=OWN,
        sponsor=OWN,
        account_owner=OWN,
        observer=OWN,
    ),
    rule("program.create", description="Start a program.", admin=ALL, facilitator=ALL),
    rule(
        "program.change",
        description="Edit a program and its core team.",
        admin=ALL,
        facilitator=ALL,
    ),
]
