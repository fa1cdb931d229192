"""Scoped reads for programs."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from traction.core import permissions
from traction.core.permissions import Viewer

from .models import Program, ProgramMember


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


def program(viewer: Viewer, program_id: int, action: str = "program.view") -> Program:
    return permissions.get(
        viewer,
        action,
        Program.objects.select_related("executive_sponsor").prefetch_related(
            Prefetch("members", queryset=ProgramMember.objects.select_related("user"))
        ),
        pk=program_id,
    )
