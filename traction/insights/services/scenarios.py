"""Use-cases of scenario maps: create, change and remove a customer team's scenario, and add,
rename, reorder, merge and remove its steps; each checks ``insight.capture`` on the session
and is audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction

from traction.core import audit, permissions
from traction.core.errors import ValidationFailed
from traction.core.permissions import Viewer
from traction.core.text import (
    check_length,
    one_line_problem,
    require_changed_lengths,
    too_long,
)
from traction.core.writes import save_new, validate, versioned_update
from traction.insights import selectors
from traction.insights.models import Insight, Scenario, Step
from traction.sessions.models import Session

SCENARIO_FIELDS = [
    "title",
    "outcome",
    "context_who",
    "context_where",
    "context_when",
    "constraints",
]

TITLE_MAX = 120  # a team's name
TEXT_MAX = 5_000  # outcome, who, where, when, constraints
STEP_TITLE_MAX = 160  # Step.title's column
STEPS_MAX = 100  # first steps given with a new scenario
CAPS = {field: TITLE_MAX if field == "title" else TEXT_MAX for field in SCENARIO_FIELDS}

# --- scenarios and steps ----------------------------------------------------------------------


def _one_line(field: str, value: str) -> str:
    if problem := one_line_problem(value):
        raise ValidationFailed.field(field, problem)
    return value.strip()


def step_title_problems(lines: Sequence[str]) -> list[str]:
    """What is wrong with first steps given one per line (blank lines skipped): a line too
    long or with a line break is named by its number ("Line 3: …"), never cut."""
    problems: list[str] = []
    for n, line in enumerate(lines, start=1):
        title = line.strip()
        if problem := one_line_problem(title):
            problems.append(f"Line {n}: {problem}")
        elif len(title) > STEP_TITLE_MAX:
            problems.append(f"Line {n}: {too_long(STEP_TITLE_MAX, len(title))}")
    count = sum(1 for line in lines if line.strip())
    if count > STEPS_MAX:
        problems.append(too_long(STEPS_MAX, count, "steps"))
    return problems


def _check_title_free(session: Session, title: str, *, other_than: int | None = None) -> None:
    """A session's teams have distinct names (compared without case): two scenarios named
    alike cannot be told apart in the pickers (import, review queue, ballot). The session row
    is locked first, so two people creating the same team at once get one of it."""
    Session.objects.select_for_update().filter(pk=session.pk).first()
    taken = Scenario.objects.filter(session=session, title__iexact=title)
    if other_than is not None:
        taken = taken.exclude(pk=other_than)
    if title and taken.exists():
        raise ValidationFailed.field(
            "title",
            f"This session already has a scenario named “{title}”: choose another name, or "
            "open that one from the map.",
        )


def _check_team(session: Session, contact_ids: Sequence[int]) -> list[int]:
    ids = sorted(set(contact_ids))
    known = set(selectors.customer_participants(session).values_list("pk", flat=True))
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise ValidationFailed.field(
            "team", "Only customers invited to this session can be on its teams."
        )
    return ids


@transaction.atomic
def create_scenario(
    actor: Viewer,
    *,
    session: Session,
    title: str,
    outcome: str = "",
    context_who: str = "",
    context_where: str = "",
    context_when: str = "",
    constraints: str = "",
    team: Sequence[int] = (),
    steps: Sequence[str] = (),
) -> Scenario:
    """A customer team's scenario in a session, optionally with its first steps."""
    permissions.check(actor, "insight.capture", session)
    title = _one_line("title", title)
    texts = {
        "title": title,
        "outcome": outcome.strip(),
        "context_who": context_who.strip(),
        "context_where": context_where.strip(),
        "context_when": context_when.strip(),
        "constraints": constraints.strip(),
    }
    errors: dict[str, list[str]] = {}
    for field, value in texts.items():
        check_length(errors, field, value, CAPS[field])
    if problems := step_title_problems(steps):
        errors["steps"] = problems
    if errors:
        raise ValidationFailed(errors)
    _check_title_free(session, title)
    team_ids = _check_team(session, team)
    scenario = save_new(
        Scenario(
            workspace_id=actor.workspace_id,
            session=session,
            title=title.strip(),
            outcome=outcome.strip(),
            context_who=context_who.strip(),
            context_where=context_where.strip(),
            context_when=context_when.strip(),
            constraints=constraints.strip(),
            created_by_id=actor.user_id,
        )
    )
    scenario.team.set(team_ids)
    titles = [t.strip() for t in steps if t.strip()]
    Step.objects.bulk_create(
        Step(scenario=scenario, position=n, title=t) for n, t in enumerate(titles, start=1)
    )
    audit.record(
        actor,
        action="scenario.created",
        obj=scenario,
        changes={**audit.snapshot(scenario, SCENARIO_FIELDS), "team": team_ids, "steps": titles},
    )
    return scenario


@transaction.atomic
def update_scenario(
    actor: Viewer,
    *,
    scenario: Scenario,
    changes: dict[str, Any],
    version: int | None = None,
) -> Scenario:
    """Change a scenario's title, outcome, context or team."""
    permissions.check(actor, "insight.capture", scenario.session)
    changes = dict(changes)
    team = changes.pop("team", None)
    changes = {k: v.strip() if isinstance(v, str) else v for k, v in changes.items()}
    if isinstance(changes.get("title"), str):
        _one_line("title", changes["title"])
    require_changed_lengths(scenario, changes, **CAPS)
    if isinstance(changes.get("title"), str) and changes["title"] != scenario.title:
        _check_title_free(scenario.session, changes["title"], other_than=scenario.pk)
    scenario = versioned_update(
        actor,
        scenario,
        changes=changes,
        allowed=SCENARIO_FIELDS,
        expected_version=version,
        action="scenario.changed",
    )
    if team is not None:
        ids = _check_team(scenario.session, team)
        before = sorted(scenario.team.values_list("pk", flat=True))
        if before != ids:
            scenario.team.set(ids)
            audit.record(
                actor, action="scenario.team_changed", obj=scenario, changes={"team": [before, ids]}
            )
    return scenario


@transaction.atomic
def remove_scenario(actor: Viewer, *, scenario: Scenario) -> None:
    """Remove a scenario and its steps; its insights stay in the session, without a step.

    The insights are detached explicitly (the foreign keys protect them: nothing said is
    ever deleted along with a map); a closed round's ranking keeps the step titles it froze.
    """
    permissions.check(actor, "insight.capture", scenario.session)
    detached = Insight.objects.filter(scenario=scenario).update(scenario=None, step=None)
    audit.record(
        actor,
        action="scenario.removed",
        obj=scenario,
        changes={
            "steps": list(scenario.steps.values_list("title", flat=True)),
            "insights_detached": detached,
        },
    )
    scenario.delete()


def _steps_now(scenario: Scenario) -> list[Step]:
    """The scenario's steps as they are in the database, in order: never a list prefetched
    before a step was removed (its instance, without a primary key, would be saved again,
    and the others keep a gap in their numbers)."""
    return list(Step.objects.filter(scenario_id=scenario.pk).order_by("position", "id"))


def _renumber(scenario: Scenario, ordered: Sequence[Step]) -> None:
    for n, step in enumerate(ordered, start=1):
        if step.position != n:
            step.position = n
            step.save(update_fields=["position"])


@transaction.atomic
def add_step(actor: Viewer, *, scenario: Scenario, title: str, position: int | None = None) -> Step:
    """A new step, at the end or before the step now at ``position`` (1-based)."""
    permissions.check(actor, "insight.capture", scenario.session)
    scenario = Scenario.objects.select_for_update().get(pk=scenario.pk)
    steps = list(scenario.steps.all())
    step = Step(scenario=scenario, position=len(steps) + 1, title=_one_line("title", title))
    validate(step, exclude=["scenario"])
    step.save()
    if position is not None and 1 <= position <= len(steps):
        steps.insert(position - 1, step)
        _renumber(scenario, steps)
    audit.record(
        actor,
        action="step.added",
        obj=scenario,
        changes={"step": step.title, "position": step.position},
    )
    return step


@transaction.atomic
def rename_step(actor: Viewer, *, step: Step, title: str) -> Step:
    permissions.check(actor, "insight.capture", step.scenario.session)
    before = step.title
    step.title = _one_line("title", title)
    validate(step, exclude=["scenario"])
    if step.title != before:
        step.save(update_fields=["title"])
        audit.record(
            actor, action="step.renamed", obj=step.scenario, changes={"step": [before, step.title]}
        )
    return step


@transaction.atomic
def reorder_steps(actor: Viewer, *, scenario: Scenario, step_ids: Sequence[int]) -> list[Step]:
    """Put the scenario's steps in the order of ``step_ids`` (every step, once each)."""
    permissions.check(actor, "insight.capture", scenario.session)
    scenario = Scenario.objects.select_for_update().get(pk=scenario.pk)
    steps = {s.pk: s for s in scenario.steps.all()}
    if sorted(step_ids) != sorted(steps) or len(set(step_ids)) != len(step_ids):
        raise ValidationFailed.field(
            "step_ids", "List every step of this scenario exactly once, in the new order."
        )
    before = [steps[i].title for i in sorted(steps, key=lambda i: steps[i].position)]
    ordered = [steps[i] for i in step_ids]
    _renumber(scenario, ordered)
    after = [s.title for s in ordered]
    if before != after:
        audit.record(
            actor, action="steps.reordered", obj=scenario, changes={"steps": [before, after]}
        )
    return ordered


@transaction.atomic
def merge_steps(actor: Viewer, *, keep: Step, absorb: Step, title: str = "") -> Step:
    """Fold ``absorb`` into ``keep``: its insights move over and it disappears."""
    permissions.check(actor, "insight.capture", keep.scenario.session)
    if keep.scenario_id != absorb.scenario_id or keep.pk == absorb.pk:
        raise ValidationFailed.field("absorb", "Pick another step of the same scenario.")
    moved = Insight.objects.filter(step=absorb).update(step=keep)
    # Its "How we support it" entries join the kept step's lane, after its own.
    last = keep.support.order_by("-position").values_list("position", flat=True).first() or 0
    for n, support in enumerate(absorb.support.order_by("position", "id"), start=1):
        support.step = keep
        support.position = last + n
        support.save(update_fields=["step", "position"])
    absorbed_title = absorb.title
    absorb.delete()
    if title.strip():
        keep.title = _one_line("title", title)
        validate(keep, exclude=["scenario"])
        keep.save(update_fields=["title"])
    _renumber(keep.scenario, _steps_now(keep.scenario))
    audit.record(
        actor,
        action="steps.merged",
        obj=keep.scenario,
        changes={"kept": keep.title, "absorbed": absorbed_title, "insights_moved": moved},
    )
    return keep


@transaction.atomic
def remove_step(actor: Viewer, *, step: Step) -> None:
    """Remove a step; its insights stay on the scenario without a step."""
    permissions.check(actor, "insight.capture", step.scenario.session)
    scenario = step.scenario
    title = step.title
    detached = Insight.objects.filter(step=step).update(step=None)
    step.delete()
    _renumber(scenario, _steps_now(scenario))
    audit.record(
        actor,
        action="step.removed",
        obj=scenario,
        changes={"step": title, "insights_detached": detached},
    )
