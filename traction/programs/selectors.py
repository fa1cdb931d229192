"""Scoped reads for programs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Prefetch, Q, QuerySet

from traction.accounts.models import MemberFunction
from traction.core import permissions
from traction.core.offering import Offered, offer, typed_words
from traction.core.permissions import Role, Viewer

from .models import REQUIRED_FUNCTIONS, PolicyMaker, Program, ProgramMember

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


def offered_programs(
    viewer: Viewer, *, typed: str = "", chosen: int | None = None, ticked: Iterable[int] = ()
) -> Offered[Program]:
    """The options of a select (or checkbox list) of programs (``core.offering.offer``): the
    chosen one, or those ticked, and the first others by name whose name holds what the
    "Find" box holds. One query, two with any chosen or ticked, whatever their number.
    Validation stays with every program the viewer sees (``scope``)."""
    programs = permissions.scope(viewer, "program.view", Program.objects.all()).order_by(
        "name", "id"
    )
    typed = typed_words(typed)
    matching = programs.filter(name__icontains=typed) if typed else programs
    keep = {*ticked, *([chosen] if chosen is not None else [])}
    return offer(programs, matching, keep, typed=typed, order=lambda p: (p.name, p.pk))


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
            Prefetch("members", queryset=ProgramMember.objects.select_related("user")),
            Prefetch("policy_makers", queryset=PolicyMaker.objects.select_related("user")),
        ),
        pk=program_id,
    )


@dataclass
class Decider:
    user: User
    function: str  # "" when not stated
    responsibility: str = ""
    sponsor: bool = False

    @property
    def function_label(self) -> str:
        return MemberFunction(self.function).label if self.function else "Function not stated"


@dataclass
class FunctionCoverage:
    """Who decides (the sponsor, then the named policy makers) and which functions the core
    team and the deciders bring: ``present`` (function → names), ``missing`` (of
    ``REQUIRED_FUNCTIONS``, as labels) and ``not_stated`` (people whose function nobody set)."""

    deciders: list[Decider]
    core_team: list[Decider]
    present: dict[str, list[str]] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    not_stated: list[str] = field(default_factory=list)

    @property
    def missing_sentence(self) -> str:
        """ "No one from Finance or Sales." — empty when every required function is there."""
        if not self.missing:
            return ""
        names = self.missing
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
        return f"No one from {listed}."

    @property
    def present_labels(self) -> list[tuple[str, list[str]]]:
        return [(MemberFunction(f).label, people) for f, people in self.present.items()]


def _current(program: Program, name: str) -> list[Any]:
    # The program selector prefetches; a program just written is read in one query.
    if name in getattr(program, "_prefetched_objects_cache", {}):
        return list(getattr(program, name).all())
    return list(getattr(program, name).select_related("user"))


def function_coverage(program: Program) -> FunctionCoverage:
    """Whether the program is cross-functional (one query beyond the program selector's)."""
    from traction.accounts import selectors as account_selectors

    team = [m for m in _current(program, "members") if m.kind == ProgramMember.Kind.CORE_TEAM]
    makers: list[PolicyMaker] = _current(program, "policy_makers")
    users = [m.user for m in team] + [m.user for m in makers]
    if program.executive_sponsor is not None:
        users.append(program.executive_sponsor)
    functions = account_selectors.functions_of(program.workspace_id, [u.pk for u in users])
    deciders = []
    if program.executive_sponsor is not None:
        sponsor = program.executive_sponsor
        deciders.append(
            Decider(sponsor, functions.get(sponsor.pk, ""), "Executive sponsor", sponsor=True)
        )
    deciders += [Decider(m.user, functions.get(m.user_id, ""), m.responsibility) for m in makers]
    core = [Decider(m.user, functions.get(m.user_id, "")) for m in team]
    coverage = FunctionCoverage(deciders=deciders, core_team=core)
    seen: set[int] = set()
    for person in core + deciders:
        if person.user.pk in seen:
            continue
        seen.add(person.user.pk)
        name = str(person.user)
        if person.function:
            coverage.present.setdefault(person.function, []).append(name)
        else:
            coverage.not_stated.append(name)
    order = list(MemberFunction.values)
    coverage.present = dict(sorted(coverage.present.items(), key=lambda kv: order.index(kv[0])))
    coverage.missing = [
        MemberFunction(f).label for f in REQUIRED_FUNCTIONS if f not in coverage.present
    ]
    return coverage
