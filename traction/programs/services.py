"""Write use-cases for programs and their core team."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction

from traction.core import audit, clock, permissions
from traction.core.errors import NotFound, ValidationFailed
from traction.core.permissions import Role, Viewer
from traction.core.text import require_changed_lengths, require_length, require_one_line
from traction.core.writes import save_new, save_new_version, versioned_update

from .models import RESPONSIBILITY_MAX, PolicyMaker, Program, ProgramMember, ProgramStatus
from .selectors import SPONSOR_ROLES, sponsor_candidates

GOAL_MAX = 5_000  # a program's goal: long free text, capped where written

PROGRAM_FIELDS = [
    "name",
    "goal",
    "executive_sponsor_id",
    "status",
    "results_window_start",
    "results_window_end",
]


def _members_of_workspace(actor: Viewer, user_ids: list[int], field: str) -> None:
    from traction.accounts.models import Membership

    found = set(
        Membership.objects.filter(
            workspace_id=actor.workspace_id, user_id__in=user_ids
        ).values_list("user_id", flat=True)
    )
    missing = [u for u in user_ids if u not in found]
    if missing:
        raise ValidationFailed.field(field, f"Not members of this workspace: {missing}.")


def _check_sponsor(actor: Viewer, user_id: int | None) -> None:
    """Refused unless the member may sponsor (``selectors.sponsor_candidates``); None: none."""
    if user_id is not None and not sponsor_candidates(actor).filter(pk=user_id).exists():
        roles = ", ".join(Role(r).label.lower() for r in SPONSOR_ROLES)
        raise ValidationFailed.field(
            "executive_sponsor_id",
            f"The executive sponsor must be a member of this workspace with one of the roles: "
            f"{roles}.",
        )


@transaction.atomic
def create_program(
    actor: Viewer,
    *,
    name: str,
    goal: str,
    executive_sponsor_id: int | None = None,
    status: str = ProgramStatus.PLANNING,
    results_window_start: date | None = None,
    results_window_end: date | None = None,
    core_team_ids: list[int] | None = None,
) -> Program:
    permissions.check(actor, "program.create")
    require_one_line(name=name)
    require_length("goal", goal.strip(), GOAL_MAX)
    _check_sponsor(actor, executive_sponsor_id)
    program = save_new(
        Program(
            workspace_id=actor.workspace_id,
            name=name.strip(),
            goal=goal.strip(),
            executive_sponsor_id=executive_sponsor_id,
            status=status,
            results_window_start=results_window_start,
            results_window_end=results_window_end,
        )
    )
    audit.record(
        actor,
        action="program.created",
        obj=program,
        changes=audit.snapshot(program, PROGRAM_FIELDS),
    )
    if core_team_ids:
        set_core_team(actor, program=program, user_ids=core_team_ids)
    return program


@transaction.atomic
def update_program(
    actor: Viewer, *, program: Program, changes: dict[str, Any], version: int | None = None
) -> Program:
    permissions.check(actor, "program.change", program)
    require_one_line(**{k: v for k, v in changes.items() if k == "name"})
    require_changed_lengths(program, changes, goal=GOAL_MAX)
    if "executive_sponsor_id" in changes:
        _check_sponsor(actor, changes["executive_sponsor_id"])
    return versioned_update(
        actor,
        program,
        changes=changes,
        allowed=PROGRAM_FIELDS,
        expected_version=version,
        action="program.changed",
    )


@transaction.atomic
def set_core_team(
    actor: Viewer,
    *,
    program: Program,
    user_ids: list[int],
    kind: str = ProgramMember.Kind.CORE_TEAM,
) -> list[ProgramMember]:
    """Make the program's members of ``kind`` exactly ``user_ids``; audits who joined and left."""
    permissions.check(actor, "program.change", program)
    if kind not in ProgramMember.Kind.values:
        raise ValidationFailed.field(
            "kind", f"Choose one of: {', '.join(ProgramMember.Kind.values)}."
        )
    user_ids = sorted(set(user_ids))
    _members_of_workspace(actor, user_ids, "core_team_ids")
    _set_members(actor, program, user_ids, kind)
    return list(program.members.filter(kind=kind).select_related("user"))


@transaction.atomic
def set_program_team(
    actor: Viewer, *, program: Program, core_team_ids: list[int], observer_ids: list[int]
) -> Program:
    """Make the program's whole team: exactly these core team members and these observers
    (members not listed leave it). Both lists or neither: every id is checked before anything
    is written; someone is core team or observer, not both."""
    permissions.check(actor, "program.change", program)
    core_team, observers = sorted(set(core_team_ids)), sorted(set(observer_ids))
    _members_of_workspace(actor, core_team, "core_team_ids")
    _members_of_workspace(actor, observers, "observer_ids")
    both = sorted(set(core_team) & set(observers))
    if both:
        raise ValidationFailed.field(
            "observer_ids", f"Core team or observer, not both, for user ids {both}."
        )
    _set_members(actor, program, core_team, ProgramMember.Kind.CORE_TEAM)
    _set_members(actor, program, observers, ProgramMember.Kind.OBSERVER)
    return program


def _set_members(actor: Viewer, program: Program, user_ids: list[int], kind: str) -> None:
    current = set(program.members.filter(kind=kind).values_list("user_id", flat=True))
    wanted = set(user_ids)
    # Leaving the team ends the membership; the row stays as history.
    program.members.filter(kind=kind, user_id__in=current - wanted).update(left_at=clock.now())
    # Someone moving from observer to core team (or back) changes kind, not membership.
    program.members.filter(user_id__in=wanted - current).exclude(kind=kind).update(kind=kind)
    existing = set(program.members.values_list("user_id", flat=True))
    ProgramMember.objects.bulk_create(
        ProgramMember(program=program, user_id=u, kind=kind) for u in sorted(wanted - existing)
    )
    if current != wanted:
        audit.record(
            actor,
            action="program.team_changed",
            obj=program,
            changes={
                "kind": kind,
                "added": sorted(wanted - current),
                "removed": sorted(current - wanted),
            },
        )


# --- policy makers ----------------------------------------------------------------------------


def _check_policy_maker(actor: Viewer, program: Program, user_id: int, responsibility: str) -> str:
    _members_of_workspace(actor, [user_id], "user_id")
    require_one_line(responsibility=responsibility)
    responsibility = responsibility.strip()
    require_length("responsibility", responsibility, RESPONSIBILITY_MAX)
    return responsibility


def _audit_policy_makers(
    actor: Viewer, program: Program, added: list[int], removed: list[int], changed: list[int]
) -> None:
    if added or removed or changed:
        audit.record(
            actor,
            action="program.policy_makers_changed",
            obj=program,
            changes={"added": added, "removed": removed, "responsibility_changed": changed},
        )


@transaction.atomic
def add_policy_maker(
    actor: Viewer, *, program: Program, user_id: int, responsibility: str = ""
) -> PolicyMaker:
    """Name a workspace member to decide the program's recommendations (with what their
    decisions speak for, e.g. "Support budget"). The executive sponsor decides already."""
    permissions.check(actor, "program.change", program)
    program = Program.objects.select_for_update().get(pk=program.pk)
    responsibility = _check_policy_maker(actor, program, user_id, responsibility)
    if program.executive_sponsor_id == user_id:
        raise ValidationFailed.field(
            "user_id", "The executive sponsor decides already; name someone else."
        )
    if PolicyMaker.objects.filter(program=program, user_id=user_id).exists():
        raise ValidationFailed.field("user_id", "Already a policy maker of this program.")
    maker = PolicyMaker.objects.create(
        program=program, user_id=user_id, responsibility=responsibility
    )
    _audit_policy_makers(actor, program, [user_id], [], [])
    return maker


@transaction.atomic
def remove_policy_maker(actor: Viewer, *, program: Program, user_id: int) -> None:
    """They stop deciding for the program (and stop seeing it, unless they belong to it
    otherwise); the row stays as history with ``left_at``."""
    permissions.check(actor, "program.change", program)
    program = Program.objects.select_for_update().get(pk=program.pk)
    ended = PolicyMaker.objects.filter(program=program, user_id=user_id).update(left_at=clock.now())
    if not ended:
        raise NotFound("Not a policy maker of this program.")
    _audit_policy_makers(actor, program, [], [user_id], [])


@transaction.atomic
def set_policy_makers(
    actor: Viewer, *, program: Program, people: list[tuple[int, str]]
) -> list[PolicyMaker]:
    """Make the program's policy makers exactly ``people`` (user id, responsibility): those
    not listed stop, those listed again keep their row with the new responsibility. Every
    person is checked before anything is written."""
    permissions.check(actor, "program.change", program)
    program = Program.objects.select_for_update().get(pk=program.pk)
    wanted: dict[int, str] = {}
    for user_id, responsibility in people:
        if user_id in wanted:
            raise ValidationFailed.field("user_id", f"User {user_id} is listed twice.")
        wanted[user_id] = _check_policy_maker(actor, program, user_id, responsibility)
    if program.executive_sponsor_id in wanted:
        raise ValidationFailed.field(
            "user_id", "The executive sponsor decides already; name someone else."
        )
    current = {m.user_id: m for m in PolicyMaker.objects.filter(program=program)}
    removed = sorted(set(current) - set(wanted))
    PolicyMaker.objects.filter(program=program, user_id__in=removed).update(left_at=clock.now())
    changed = []
    for user_id, maker in current.items():
        if user_id in wanted and maker.responsibility != wanted[user_id]:
            maker.responsibility = wanted[user_id]
            maker.save(update_fields=["responsibility"])
            changed.append(user_id)
    added = sorted(set(wanted) - set(current))
    PolicyMaker.objects.bulk_create(
        PolicyMaker(program=program, user_id=u, responsibility=wanted[u]) for u in added
    )
    _audit_policy_makers(actor, program, added, removed, sorted(changed))
    return list(PolicyMaker.objects.filter(program=program).select_related("user"))


def leave_programs(actor: Viewer, *, user_id: int) -> None:
    """``member.removed``: the former member leaves every program team of the workspace and
    stops sponsoring its programs (a sponsorship grants access). History stays: the ended
    team memberships are kept and the audit trail says who sponsored what."""
    now = clock.now()
    left = ProgramMember.objects.filter(
        program__workspace_id=actor.workspace_id, user_id=user_id
    ).select_related("program")
    for member in left:
        audit.record(
            actor,
            action="program.team_changed",
            obj=member.program,
            changes={"kind": member.kind, "added": [], "removed": [user_id]},
            reason="They left the workspace.",
        )
    left.update(left_at=now)
    deciding = PolicyMaker.objects.filter(
        program__workspace_id=actor.workspace_id, user_id=user_id
    ).select_related("program")
    for maker in deciding:
        audit.record(
            actor,
            action="program.policy_makers_changed",
            obj=maker.program,
            changes={"added": [], "removed": [user_id], "responsibility_changed": []},
            reason="They left the workspace.",
        )
    deciding.update(left_at=now)
    for program in Program.objects.filter(
        workspace_id=actor.workspace_id, executive_sponsor_id=user_id
    ):
        program.executive_sponsor = None
        save_new_version(program, fields=["executive_sponsor"])
        audit.record(
            actor,
            action="program.changed",
            obj=program,
            changes={"executive_sponsor_id": [user_id, None]},
            reason="The sponsor left the workspace.",
        )
