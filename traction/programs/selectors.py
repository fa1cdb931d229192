"""Scoped reads for programs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count, Prefetch, Q, QuerySet

from traction.core import permissions
from traction.core.permissions import Role, Viewer

from .models import Program, ProgramMember

if TYPE_CHECKING:
    from traction.accounts.models import User

# Sponsor eligibility: who may be a program's executive sponsor. The sponsor decides the
# program's recommendations, so only the roles that decide: sponsors, admins, facilitators.
SPONSOR_ROLES: list[str] = [Role.SPONSOR, Role.ADMIN, Role.FACILITATOR]


def sponsor_candidates(viewer: Viewer) -> QuerySet[User]:
    """The members who may be a program's executive sponsor: current, active members of the
    viewer's workspace whose role is one of ``SPONSOR_ROLES``. The one rule: the form's
    choices, the services' check (web, API, demo) and the API's description all come from here.
    """
    from traction.accounts import selectors as account_selectors

    return account_selectors.member_users(viewer, roles=SPONSOR_ROLES)


def programs(
    viewer: Viewer, *, q: str = "", status: str = "", sponsor_id: int | None = None
) -> QuerySet[Program]:
    qs = permissions.scope(viewer, "program.view", Program.objects.all())
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(goal__icontains=q))
    if status:
        qs = qs.filter(status=status)
    if sponsor_id is not None:
        qs = qs.filter(executive_sponsor_id=sponsor_id)
    return (
        qs.select_related("executive_sponsor")
        .annotate(
            core_team_size=Count(
                "members",
                filter=Q(members__kind="core_team", members__left_at=None),
                distinct=True,
            )
        )
        .order_by("name", "id")
    )


def sponsored_programs(viewer: Viewer) -> QuerySet[Program]:
    """The programs the viewer is the executive sponsor of (and may see), by name."""
    return (
        permissions.scope(viewer, "program.view", Program.objects.all())
        .filter(executive_sponsor_id=viewer.user_id)
        .order_by("name", "id")
    )


def program(viewer: Viewer, program_id: int, action: str = "program.view") -> Program:
    return permissions.get(
        viewer,
        action,
        Program.objects.select_related("executive_sponsor").prefetch_related(
            Prefetch("members", queryset=ProgramMember.objects.select_related("user"))
        ),
        pk=program_id,
    )
