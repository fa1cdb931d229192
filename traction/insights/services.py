"""Write use-cases for scenario maps, live capture and the review queue (DESIGN.md §3, step 3).

Imports live in ``imports/`` and prioritisation in ``voting.py``; both follow the same
shape: permission check, validation, one transaction, an audit event.

Attribution is decided here and nowhere else: a speaker is either a customer participant
of the session (their organisation is recorded with the insight) or an internal participant
(the insight is marked internal and never counts as customer input).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F, Sum

from traction.core import audit, permissions
from traction.core.errors import NotFound, ValidationFailed
from traction.core.permissions import Viewer
from traction.core.writes import save_new, validate, versioned_update
from traction.sessions.models import Session

from . import selectors
from .models import (
    VOTABLE_KINDS,
    Insight,
    InsightKind,
    InsightSource,
    InsightStatus,
    Scenario,
    Step,
    Vote,
)

SCENARIO_FIELDS = [
    "title",
    "outcome",
    "context_who",
    "context_where",
    "context_when",
    "constraints",
]
INSIGHT_FIELDS = ["kind", "text", "step_id", "tags", "speaker"]
MAX_TAGS = 12


def normalize_tags(raw: str | Iterable[str]) -> str:
    """ "Billing, #Onboarding billing" -> "billing onboarding": lower case, no "#", unique."""
    words = raw.replace(",", " ").replace(";", " ").split() if isinstance(raw, str) else raw
    seen: dict[str, None] = {}
    for word in words:
        tag = word.strip().lstrip("#").lower()[:40]
        if tag:
            seen.setdefault(tag, None)
    if len(seen) > MAX_TAGS:
        raise ValidationFailed.field("tags", f"At most {MAX_TAGS} tags per insight.")
    return " ".join(seen)


# --- scenarios and steps ----------------------------------------------------------------------


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
        Step(scenario=scenario, position=n, title=t[:160]) for n, t in enumerate(titles, start=1)
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
    """Remove a scenario and its steps; its insights stay in the session, without a step."""
    permissions.check(actor, "insight.capture", scenario.session)
    audit.record(
        actor,
        action="scenario.removed",
        obj=scenario,
        changes={"steps": list(scenario.steps.values_list("title", flat=True))},
    )
    scenario.delete()


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
    step = Step(scenario=scenario, position=len(steps) + 1, title=title.strip())
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
    step.title = title.strip()
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
    absorbed_title = absorb.title
    absorb.delete()
    if title.strip():
        keep.title = title.strip()
        validate(keep, exclude=["scenario"])
        keep.save(update_fields=["title"])
    _renumber(keep.scenario, list(keep.scenario.steps.all()))
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
    step.delete()
    _renumber(scenario, list(scenario.steps.all()))
    audit.record(actor, action="step.removed", obj=scenario, changes={"step": title})


# --- capture ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attribution:
    speaker_contact_id: int | None
    speaker_user_id: int | None
    speaker_name: str
    customer_id: int | None
    internal: bool


def attribute(session: Session, speaker: str) -> Attribution:
    """ "c:<contact id>" (a customer participant), "u:<user id>" (an internal participant) or ""."""
    if not speaker:
        return Attribution(None, None, "", None, False)
    for person in selectors.speakers(session):
        if person.key == speaker:
            return Attribution(
                person.contact_id,
                person.user_id,
                person.name,
                person.customer_id,
                person.internal,
            )
    raise ValidationFailed.field(
        "speaker", "Pick someone taking part in this session (a customer or a participant)."
    )


def _step_of(session: Session, step_id: int | None) -> Step | None:
    if step_id is None:
        return None
    step = (
        Step.objects.select_related("scenario")
        .filter(pk=step_id, scenario__session=session)
        .first()
    )
    if step is None:
        raise ValidationFailed.field("step", "Pick a step of one of this session's scenarios.")
    return step


def _clean_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise ValidationFailed.field("text", "Write what was said.")
    if len(text) > 5000:
        raise ValidationFailed.field("text", "Keep one insight under 5,000 characters; split it.")
    return text


def _kind(kind: str) -> str:
    if kind not in InsightKind.values:
        raise ValidationFailed.field("kind", f"Unknown type “{kind}”.")
    return kind


@transaction.atomic
def capture_insight(
    actor: Viewer,
    *,
    session: Session,
    kind: str,
    text: str,
    speaker: str = "",
    step_id: int | None = None,
    scenario_id: int | None = None,
    tags: str | Iterable[str] = "",
    source: str = InsightSource.LIVE,
) -> Insight:
    """One insight, attributed to its speaker and step, straight onto the map."""
    permissions.check(actor, "insight.capture", session)
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for name, check in (
        ("kind", lambda: _kind(kind)),
        ("text", lambda: _clean_text(text)),
        ("who", lambda: attribute(session, speaker)),
        ("step", lambda: _step_of(session, step_id)),
        ("tags", lambda: normalize_tags(tags)),
    ):
        try:
            values[name] = check()
        except ValidationFailed as exc:
            for field, messages in exc.errors.items():
                errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationFailed(errors)
    step: Step | None = values["step"]
    scenario = step.scenario if step is not None else None
    if scenario is None and scenario_id is not None:
        scenario = session.scenarios.filter(pk=scenario_id).first()
        if scenario is None:
            raise ValidationFailed.field("scenario", "Pick one of this session's scenarios.")
    who: Attribution = values["who"]
    insight = Insight.objects.create(
        workspace_id=session.workspace_id,
        program_id=session.program_id,
        session=session,
        scenario=scenario,
        step=step,
        kind=values["kind"],
        text=values["text"],
        speaker_contact_id=who.speaker_contact_id,
        speaker_user_id=who.speaker_user_id,
        speaker_name=who.speaker_name,
        customer_id=who.customer_id,
        internal=who.internal,
        tags=values["tags"],
        status=InsightStatus.ACCEPTED,
        source=source,
        captured_by_id=actor.user_id,
    )
    audit.record(
        actor,
        action="insight.captured",
        obj=insight,
        changes={
            "kind": insight.kind,
            "speaker": who.speaker_name,
            "internal": who.internal,
            "step": step.title if step else None,
        },
    )
    return insight


@transaction.atomic
def update_insight(
    actor: Viewer,
    *,
    insight: Insight,
    changes: dict[str, Any],
    version: int | None = None,
) -> Insight:
    """Correct an insight's type, text, step, speaker or tags (also while reviewing)."""
    permissions.check(actor, "insight.capture", insight.session)
    refused = sorted(set(changes) - set(INSIGHT_FIELDS))
    if refused:
        raise ValidationFailed({f: ["This field cannot be changed here."] for f in refused})
    session = insight.session
    fields: dict[str, Any] = {}
    if "kind" in changes:
        fields["kind"] = _kind(changes["kind"])
    if "text" in changes:
        fields["text"] = _clean_text(changes["text"])
    if "tags" in changes:
        fields["tags"] = normalize_tags(changes["tags"] or "")
    if "step_id" in changes:
        step = _step_of(session, changes["step_id"])
        fields["step"] = step
        fields["scenario"] = step.scenario if step else insight.scenario
    if "speaker" in changes:
        who = attribute(session, changes["speaker"] or "")
        fields.update(
            speaker_contact_id=who.speaker_contact_id,
            speaker_user_id=who.speaker_user_id,
            speaker_name=who.speaker_name,
            customer_id=who.customer_id,
            internal=who.internal,
        )
    loses_vote = fields.get("internal") or fields.get("kind", insight.kind) not in VOTABLE_KINDS
    if loses_vote and insight.votes.exists():
        raise ValidationFailed.field(
            "kind" if "kind" in fields else "speaker",
            "Customers have voted on this card; it must stay a customer's "
            "moment of truth, issue or idea.",
        )
    return versioned_update(
        actor,
        insight,
        changes=fields,
        allowed=set(fields),
        expected_version=version,
        action="insight.changed",
    )


@transaction.atomic
def remove_insight(actor: Viewer, *, insight: Insight, reason: str = "") -> None:
    """Delete an insight captured by mistake (it must carry no votes)."""
    permissions.check(actor, "insight.capture", insight.session)
    if insight.votes.exists():
        raise ValidationFailed.field(
            "__all__", "Customers have voted on this card; it cannot be removed."
        )
    audit.record(
        actor,
        action="insight.removed",
        obj=insight,
        changes={"text": insight.text[:200], "kind": insight.kind},
        reason=reason,
    )
    insight.delete()


# --- the review queue -------------------------------------------------------------------------


def _candidates(session: Session, insight_ids: Sequence[int]) -> list[Insight]:
    found = list(
        Insight.objects.filter(session=session, pk__in=set(insight_ids)).select_for_update()
    )
    if len(found) != len(set(insight_ids)):
        raise NotFound("Some of these insights are not in this session's review queue.")
    return found


@transaction.atomic
def review_insights(
    actor: Viewer, *, session: Session, insight_ids: Sequence[int], decision: str
) -> int:
    """Accept or discard candidates from the review queue; returns how many changed."""
    permissions.check(actor, "insight.import", session)
    if decision not in ("accept", "discard"):
        raise ValidationFailed.field("decision", "Say “accept” or “discard”.")
    if not insight_ids:
        raise ValidationFailed.field("insight_ids", "Pick at least one insight.")
    target = InsightStatus.ACCEPTED if decision == "accept" else InsightStatus.DISCARDED
    found = _candidates(session, insight_ids)
    changing = [i.pk for i in found if i.status == InsightStatus.CANDIDATE]
    wrong = [i.pk for i in found if i.status != InsightStatus.CANDIDATE]
    if wrong and not changing:
        raise ValidationFailed.field("insight_ids", "These insights were already reviewed.")
    Insight.objects.filter(pk__in=changing).update(status=target, version=F("version") + 1)
    audit.record(
        actor,
        action=f"insights.{'accepted' if decision == 'accept' else 'discarded'}",
        obj=session,
        changes={"insights": changing},
    )
    return len(changing)


@transaction.atomic
def merge_insights(actor: Viewer, *, into: Insight, others: Sequence[int]) -> Insight:
    """Fold other insights of the same session into one: their text is appended to it,
    their votes become its votes, and they are kept, marked merged, for the record."""
    session = into.session
    permissions.check(actor, "insight.import", session)
    ids = [i for i in dict.fromkeys(others) if i != into.pk]
    if not ids:
        raise ValidationFailed.field("others", "Pick at least one other insight to merge.")
    found = {i.pk: i for i in _candidates(session, ids)}
    if any(i.status in (InsightStatus.MERGED, InsightStatus.DISCARDED) for i in found.values()):
        raise ValidationFailed.field("others", "Merged or discarded insights cannot be merged.")
    into = Insight.objects.select_for_update().get(pk=into.pk)
    parts = [into.text] + [found[i].text for i in ids]
    into.text = " ".join(p.strip() for p in parts if p.strip())[:5000]
    into.tags = normalize_tags(
        into.tags.split() + [t for i in ids for t in found[i].tags.split()][:MAX_TAGS]
    )
    into.version += 1
    into.save(update_fields=["text", "tags", "version"])
    # Votes follow the text: each customer's dots on the merged cards go to the kept one.
    for row in (
        Vote.objects.filter(insight_id__in=ids).values("contact_id").annotate(dots=Sum("dots"))
    ):
        vote, created = Vote.objects.get_or_create(
            insight=into,
            contact_id=row["contact_id"],
            defaults={
                "workspace_id": into.workspace_id,
                "session_id": into.session_id,
                "dots": row["dots"],
                "channel": "room",
                "recorded_by_id": actor.user_id,
            },
        )
        if not created:
            Vote.objects.filter(pk=vote.pk).update(dots=F("dots") + row["dots"])
    Vote.objects.filter(insight_id__in=ids).delete()
    Insight.objects.filter(pk__in=ids).update(
        status=InsightStatus.MERGED, merged_into=into, version=F("version") + 1
    )
    audit.record(actor, action="insights.merged", obj=into, changes={"merged": ids})
    return into
