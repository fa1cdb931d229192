"""What the map carries for the debrief: a customer metric card linked to the moments of
truth it measures, and each step's "How we support it" lane (the company teams and partners
involved at that step). Each use-case checks ``insight.capture`` on the session, as editing
a card or a step does, and is audited.

A support entry is removed by deleting it: it is the map's layout, like a step, not evidence
of what a customer said (the audit trail keeps what it was). Links between cards are evidence
of what a metric measures, so they follow merges (``follow_merge``) and are dropped only
when a card stops being a metric or a moment of truth, or moves to another scenario.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction

from traction.core import audit, permissions
from traction.core.errors import ValidationFailed
from traction.core.permissions import Viewer
from traction.core.text import one_line_problem, require_length
from traction.insights.models import Insight, InsightKind, InsightStatus, Step, StepSupport

Link = Insight.measures.through

SUPPORT_FIELDS = ["kind", "name", "note"]
NAME_MAX = 120
NOTE_MAX = 300


# --- a customer metric and the moments of truth it measures ----------------------------------


@transaction.atomic
def link_metric_to_moments(
    actor: Viewer, *, metric: Insight, moments: Sequence[Insight | int]
) -> list[Insight]:
    """Make the moments of truth ``metric`` measures exactly ``moments`` (cards or ids):
    accepted moment-of-truth cards of the metric's own scenario. Returns them."""
    permissions.check(actor, "insight.capture", metric.session)
    metric = Insight.objects.select_for_update().get(pk=metric.pk)
    if metric.kind != InsightKind.CUSTOMER_METRIC:
        raise ValidationFailed.field(
            "metric", "Only a customer metric card measures moments of truth."
        )
    if metric.status != InsightStatus.ACCEPTED:
        raise ValidationFailed.field(
            "metric", "Link a card on the map, not a merged or queued one."
        )
    ids = list(dict.fromkeys(m if isinstance(m, int) else m.pk for m in moments))
    if ids and metric.scenario_id is None:
        raise ValidationFailed.field(
            "moments", "Put this metric on a scenario first: it measures that scenario's moments."
        )
    scenario_id = metric.scenario_id
    found = (
        {
            i.pk: i
            for i in Insight.objects.filter(
                pk__in=ids,
                session_id=metric.session_id,
                scenario_id=scenario_id,
                kind=InsightKind.MOMENT_OF_TRUTH,
                status=InsightStatus.ACCEPTED,
            )
        }
        if scenario_id is not None
        else {}
    )
    wrong = [i for i in ids if i not in found]
    if wrong:
        raise ValidationFailed.field(
            "moments",
            f"Not moments of truth of this metric's scenario: {wrong}. A metric measures "
            "moment-of-truth cards of its own scenario.",
        )
    before = set(metric.measures.values_list("pk", flat=True))
    wanted = set(ids)
    if before != wanted:
        Link.objects.filter(from_insight=metric, to_insight_id__in=before - wanted).delete()
        Link.objects.bulk_create(
            Link(from_insight=metric, to_insight_id=i) for i in sorted(wanted - before)
        )
        audit.record(
            actor,
            action="insight.measures_changed",
            obj=metric,
            changes={"added": sorted(wanted - before), "removed": sorted(before - wanted)},
        )
    return [found[i] for i in ids]


def drop_stale_links(insight: Insight) -> None:
    """After a card changed (inside its service's transaction): links that no longer hold (it
    is no longer a metric, or no longer a moment of truth, or moved scenario) are dropped."""
    scenario_id = insight.scenario_id
    if insight.kind != InsightKind.CUSTOMER_METRIC or scenario_id is None:
        Link.objects.filter(from_insight=insight).delete()
    else:
        Link.objects.filter(from_insight=insight).exclude(
            to_insight__scenario_id=scenario_id
        ).delete()
    if insight.kind != InsightKind.MOMENT_OF_TRUTH or scenario_id is None:
        Link.objects.filter(to_insight=insight).delete()
    else:
        Link.objects.filter(to_insight=insight).exclude(
            from_insight__scenario_id=scenario_id
        ).delete()


def follow_merge(into: Insight, merged_ids: Sequence[int]) -> None:
    """Cards folded into ``into``: what measured them measures ``into``, and what they
    measured ``into`` measures (when ``into`` is of the right kind; else the links end)."""
    pairs: set[tuple[int, int]] = set()
    if into.kind == InsightKind.MOMENT_OF_TRUTH:
        pairs |= {
            (src, into.pk)
            for src in Link.objects.filter(to_insight_id__in=merged_ids).values_list(
                "from_insight_id", flat=True
            )
        }
    if into.kind == InsightKind.CUSTOMER_METRIC:
        pairs |= {
            (into.pk, dst)
            for dst in Link.objects.filter(from_insight_id__in=merged_ids).values_list(
                "to_insight_id", flat=True
            )
        }
    Link.objects.filter(to_insight_id__in=merged_ids).delete()
    Link.objects.filter(from_insight_id__in=merged_ids).delete()
    existing = set(
        Link.objects.filter(from_insight_id__in={p[0] for p in pairs}).values_list(
            "from_insight_id", "to_insight_id"
        )
    )
    Link.objects.bulk_create(
        Link(from_insight_id=a, to_insight_id=b) for a, b in sorted(pairs - existing) if a != b
    )


# --- the "How we support it" lane ---------------------------------------------------------------


def _clean_support(values: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    if "kind" in values:
        if values["kind"] not in StepSupport.Kind.values:
            raise ValidationFailed.field(
                "kind", f"Choose one of: {', '.join(StepSupport.Kind.values)}."
            )
        clean["kind"] = values["kind"]
    for name, limit, required in (("name", NAME_MAX, True), ("note", NOTE_MAX, False)):
        if name not in values:
            continue
        text = (values[name] or "").strip()
        if problem := one_line_problem(text):
            raise ValidationFailed.field(name, problem)
        if required and not text:
            raise ValidationFailed.field(name, "Name the team or the partner.")
        require_length(name, text, limit)
        clean[name] = text
    return clean


@transaction.atomic
def add_step_support(
    actor: Viewer, *, step: Step, name: str, kind: str = StepSupport.Kind.TEAM, note: str = ""
) -> StepSupport:
    """A company team or a partner involved at ``step``, at the end of its lane."""
    permissions.check(actor, "insight.capture", step.scenario.session)
    step = Step.objects.select_for_update().get(pk=step.pk)
    values = _clean_support({"kind": kind, "name": name, "note": note})
    last = step.support.order_by("-position").values_list("position", flat=True).first()
    support = StepSupport.objects.create(step=step, position=(last or 0) + 1, **values)
    audit.record(
        actor,
        action="step.support_added",
        obj=step.scenario,
        changes={"step": step.title, **values},
    )
    return support


@transaction.atomic
def update_step_support(
    actor: Viewer, *, support: StepSupport, changes: dict[str, Any]
) -> StepSupport:
    """Change an entry's kind, name or note."""
    permissions.check(actor, "insight.capture", support.step.scenario.session)
    refused = sorted(set(changes) - set(SUPPORT_FIELDS))
    if refused:
        raise ValidationFailed({f: ["This field cannot be changed here."] for f in refused})
    scenario = support.step.scenario
    support = StepSupport.objects.select_for_update().get(pk=support.pk)
    values = _clean_support(changes)
    diff = {k: [getattr(support, k), v] for k, v in values.items() if getattr(support, k) != v}
    if diff:
        for k, (_, v) in diff.items():
            setattr(support, k, v)
        support.save(update_fields=list(diff))
        audit.record(
            actor,
            action="step.support_changed",
            obj=scenario,
            changes={"support_id": support.pk, **diff},
        )
    return support


@transaction.atomic
def remove_step_support(actor: Viewer, *, support: StepSupport) -> None:
    """Take an entry off the lane (the map's layout: deleted; the audit trail keeps it)."""
    scenario = support.step.scenario
    permissions.check(actor, "insight.capture", scenario.session)
    audit.record(
        actor,
        action="step.support_removed",
        obj=scenario,
        changes={
            "step": support.step.title,
            "kind": support.kind,
            "name": support.name,
            "note": support.note,
        },
    )
    StepSupport.objects.filter(pk=support.pk).delete()
