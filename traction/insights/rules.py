"""Who may see, capture, import and review what customers said.

Everyone who may see a session's insights sees its map; the people who run it (admins,
facilitators) and the core team members taking part in it (the note takers) capture, import
and review. Who runs the voting and what a customer's ballot reaches is the voting app's
table (``traction/voting/rules.py``), which reads insights through ``visible_insights``.

Which insights a viewer may see is decided here and nowhere else (``visible_insights``:
``_insight_of_mine`` through ``permissions.scope(viewer, "insight.view", ...)``, and never a
row of an import still being written): the map, the lists, search, the voting results, the
room screen and every count are filtered by it. Which customers' people and votes a viewer
may identify is the customers' rule ``customer.identify`` (``visible_customer_ids``), the
same one sessions read for invitations and outreach.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from traction.core import permissions
from traction.core.permissions import ALL, OWN, Viewer, rule
from traction.customers import rules as customer_rules
from traction.sessions.rules import taking_part

from .models import Insight, written

if TYPE_CHECKING:
    from traction.customers.models import Customer


def _insight_of_mine(viewer: Viewer) -> Q:  # on an Insight
    """OWN for ``insight.view``, exactly:

    - **core team, sponsor, observer**: the insights of sessions of programs they belong to
      (executive sponsor, core team member or observer of the program) and of sessions
      they take part in. Being the account owner of a customer adds nothing: someone who
      is not in a program does not read its sessions' insights.
    - **account owner**: the words of the customers they may identify (``customer.identify``:
      their own customers), in sessions they may see (``session.view``: programs they belong
      to, sessions they take part in, sessions their customers were asked to). Never other
      customers' words, internal remarks or unattributed notes, even in those sessions.
    """
    from traction.programs.models import Program
    from traction.programs.rules import belongs
    from traction.sessions.models import Session

    customers = customer_rules.identified_customers(viewer)
    if customers is not None:  # an account owner: their customers' words, where they look
        sessions = permissions.scope(viewer, "session.view", Session.objects.all())
        return Q(customer__in=customers.values("pk")) & Q(session__in=sessions.values("pk"))
    programs = Program.objects.filter(workspace_id=viewer.workspace_id).filter(belongs(viewer))
    return Q(program__in=programs.values("pk")) | taking_part(viewer.user_id, "session__")


def _taking_part(viewer: Viewer) -> Q:  # on a Session; an ended participation grants nothing
    return taking_part(viewer.user_id)


def visible_insights(viewer: Viewer, queryset: QuerySet[Insight]) -> QuerySet[Insight]:
    """The insights of ``queryset`` the viewer may see (the one rule, for every read): in
    the viewer's ``insight.view`` scope, and not part of an import still being written
    (``Insight.objects.written()``, the same filter ``votable()`` applies)."""
    return permissions.scope(viewer, "insight.view", queryset).filter(written())


def visible_customers(viewer: Viewer) -> QuerySet[Customer] | None:
    """The organisations whose names, people and votes the viewer may see in breakdowns and
    counts, as a query to filter with in the database (None: all of them), from the one
    rule ``customer.identify``."""
    return customer_rules.identified_customers(viewer)


def visible_customer_ids(viewer: Viewer) -> set[int] | None:
    """The ids of ``visible_customers`` (None: all of them)."""
    customers = visible_customers(viewer)
    return None if customers is None else set(customers.values_list("pk", flat=True))


RULES = [
    rule(
        "insight.view",
        own=_insight_of_mine,
        description="See insights, scenario maps, imports and voting results.",
        admin=ALL,
        facilitator=ALL,
        core_team=OWN,
        sponsor=OWN,
        account_owner=OWN,
        observer=OWN,
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
]
