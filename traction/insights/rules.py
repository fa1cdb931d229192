"""Who may see, capture, import, review and prioritise what customers said.

Everyone who may see a session sees its map and insights; the people who run it (admins,
facilitators) and the core team members taking part in it (the note takers) capture, import
and review. Only admins and facilitators run the voting; customers vote through their own
signed link, which needs no account (see ``links.py``).
"""

from django.db.models import Q

from traction.core.permissions import ALL, OWN, Viewer, rule


def _insight_of_mine(viewer: Viewer) -> Q:  # on an Insight
    uid = viewer.user_id
    return (
        Q(program__executive_sponsor_id=uid)
        | Q(program__members__user_id=uid)
        | Q(session__participants__user_id=uid)
        | Q(customer__account_owner_id=uid)
    )


def _taking_part(viewer: Viewer) -> Q:  # on a Session
    return Q(participants__user_id=viewer.user_id)


READ = {
    "admin": ALL,
    "facilitator": ALL,
    "core_team": OWN,
    "sponsor": OWN,
    "account_owner": OWN,
    "observer": OWN,
}

RULES = [
    rule(
        "insight.view",
        own=_insight_of_mine,
        description="See insights, scenario maps, imports and voting results.",
        **READ,
    ),
    rule(
        "insight.capture",
        own=_taking_part,
        description="Capture insights and edit scenario maps of a session one takes part in.",
        admin=ALL,
        facilitator=ALL,
        core_team=OWN,
    ),
    rule(
        "insight.import",
        own=_taking_part,
        description="Import transcripts and sticky-note exports and review the candidates.",
        admin=ALL,
        facilitator=ALL,
        core_team=OWN,
    ),
    rule(
        "voting.run",
        description="Open and close customer voting, record votes in the room and paper tallies.",
        admin=ALL,
        facilitator=ALL,
    ),
]
