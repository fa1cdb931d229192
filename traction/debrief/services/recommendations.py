"""Recommendations and their decisions (docs/debrief.md, "Recommendations").

Drafting and editing need ``recommendation.draft``; deciding needs ``recommendation.decide``
(policy makers: the program's executive sponsor, the people it names, admins). Every
recommendation has evidence (at least one insight of its session the drafter may see);
every decision has a reason, and a deferral a future date to revisit. Each decision is a
``Decision`` row (append-only): revisiting is deciding again, with the history kept.
Edits carry the version they were based on; a stale one is a ``Conflict``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from traction.core import audit, clock, permissions
from traction.core.dates import check_window
from traction.core.errors import ValidationFailed
from traction.core.permissions import Role, Viewer
from traction.core.text import check_length, require_length, too_long
from traction.core.writes import expect_version, save_new_version, validate
from traction.debrief import outbound
from traction.debrief.models import (
    ActionStatus,
    Debrief,
    DebriefStatus,
    Decision,
    DecisionOutcome,
    Direction,
    Evidence,
    Recommendation,
    RecommendationMetric,
    ScorecardMetric,
)
from traction.debrief.services import actions as action_services
from traction.insights import rules as insight_rules
from traction.insights.models import Insight, InsightStatus
from traction.programs.models import PolicyMaker

# The fields a draft's form and the API edit (evidence and metrics are sets, given whole).
TEXT_FIELDS = (
    "title",
    "rationale",
    "kind",
    "horizon",
    "impact",
    "effort",
    "customer_summary",
    "owning_team",
)
EDITABLE = (*TEXT_FIELDS, "evidence", "metrics")
# Free text that goes into the pack, its email and the webhook bodies (docs/webhooks.md, "How
# large a body can be"): capped as the closing note is, so every body stays far under 1 MB.
LONG_TEXT_MAX = 5000
LONG_TEXTS = ("rationale", "customer_summary")
REASON_MAX = LONG_TEXT_MAX  # a decision's reason
EVIDENCE_MAX = 100  # insights one recommendation cites
METRICS_MAX = 100  # scorecard metrics one recommendation says it moves
DECIDED = (DecisionOutcome.APPROVED, DecisionOutcome.DEFERRED, DecisionOutcome.REJECTED)


def evidence_choices(viewer: Viewer, debrief: Debrief) -> QuerySet[Insight]:
    """The insights a recommendation of ``debrief`` may cite as evidence: the session's
    reviewed cards and quotes the viewer may see (not a merged source: its card stands for
    it). Customer evidence only: never an internal participant's remark."""
    found = Insight.objects.filter(
        session_id=debrief.session_id, status=InsightStatus.ACCEPTED, internal=False
    )
    return insight_rules.visible_insights(viewer, found).order_by("kind", "created_at", "pk")


def metric_choices(debrief: Debrief) -> QuerySet[ScorecardMetric]:
    """The program's scorecard metrics a recommendation may say it moves."""
    return ScorecardMetric.objects.filter(program_id=debrief.program_id, archived_at=None)


def _too_long(values: Mapping[str, Any]) -> dict[str, list[str]]:
    """An error for each long text (rationale, customer summary) over ``LONG_TEXT_MAX``."""
    return {
        name: [too_long(LONG_TEXT_MAX, len(value))]
        for name, value in values.items()
        if name in LONG_TEXTS and isinstance(value, str) and len(value) > LONG_TEXT_MAX
    }


def _evidence(viewer: Viewer, debrief: Debrief, ids: Iterable[int]) -> list[int]:
    wanted = list(dict.fromkeys(int(i) for i in ids))
    if not wanted:
        raise ValidationFailed.field(
            "evidence", "Link at least one insight of the session as evidence."
        )
    require_length("evidence", wanted, EVIDENCE_MAX)
    found = set(
        evidence_choices(viewer, debrief).filter(pk__in=wanted).values_list("pk", flat=True)
    )
    missing = [i for i in wanted if i not in found]
    internal = insight_rules.visible_insights(
        viewer,
        Insight.objects.filter(session_id=debrief.session_id, internal=True, pk__in=missing),
    ).values_list("pk", flat=True)
    if internal:
        raise ValidationFailed.field(
            "evidence",
            "Evidence is what customers said: an internal participant's remark cannot be cited "
            f"(not: {', '.join(str(i) for i in sorted(internal))}).",
        )
    if missing:
        raise ValidationFailed.field(
            "evidence",
            "Evidence must be insights of this session that you may see "
            f"(not: {', '.join(str(i) for i in missing)}).",
        )
    return wanted


def _unseen_evidence(viewer: Viewer, rec: Recommendation) -> list[int]:
    """The recommendation's evidence the viewer may not see: an edit's "whole set" is the set
    they see, so these stay linked (an account owner cannot unlink, unknowingly, the words of
    customers who are not theirs)."""
    linked = rec.evidence_links.values_list("insight_id", flat=True)
    seen = insight_rules.visible_insights(viewer, Insight.objects.filter(pk__in=linked))
    return sorted(set(linked) - set(seen.values_list("pk", flat=True)))


def _metrics(debrief: Debrief, rows: Iterable[Mapping[str, Any]]) -> list[tuple[int, str]]:
    wanted: dict[int, str] = {}
    for row in rows:
        direction = str(row.get("direction") or "")
        if direction not in Direction.values:
            raise ValidationFailed.field("metrics", "Say whether each metric should go up or down.")
        wanted[int(row["metric_id"])] = direction
    require_length("metrics", wanted, METRICS_MAX)
    known = set(metric_choices(debrief).filter(pk__in=wanted).values_list("pk", flat=True))
    if set(wanted) - known:
        raise ValidationFailed.field("metrics", "Choose metrics of this program's scorecard.")
    return list(wanted.items())


def _refuse_closed(debrief: Debrief) -> None:
    if debrief.status in (DebriefStatus.CLOSED, DebriefStatus.CANCELLED):
        raise ValidationFailed.field(
            "__all__",
            f"This debrief is {debrief.get_status_display().lower()}: its "
            "recommendations can no longer be drafted or edited here.",
        )


def _link(
    actor: Viewer,
    rec: Recommendation,
    evidence: list[int] | None,
    metrics: list[tuple[int, str]] | None,
) -> dict[str, Any]:
    """Make the recommendation's evidence and metrics these sets; what changed."""
    changes: dict[str, Any] = {}
    if evidence is not None:
        before = set(rec.evidence_links.values_list("insight_id", flat=True))
        if before != set(evidence):
            rec.evidence_links.exclude(insight_id__in=evidence).delete()
            Evidence.objects.bulk_create(
                Evidence(recommendation=rec, insight_id=i, added_by_id=actor.user_id)
                for i in evidence
                if i not in before
            )
            changes["evidence"] = [sorted(before), sorted(evidence)]
    if metrics is not None:
        before_m = dict(rec.metric_links.values_list("metric_id", "direction"))
        if before_m != dict(metrics):
            rec.metric_links.all().delete()
            RecommendationMetric.objects.bulk_create(
                RecommendationMetric(recommendation=rec, metric_id=m, direction=d)
                for m, d in metrics
            )
            changes["metrics"] = [sorted(before_m.items()), sorted(dict(metrics).items())]
    return changes


def draft_recommendation(
    actor: Viewer,
    debrief: Debrief,
    *,
    title: str,
    evidence: Iterable[int],
    rationale: str = "",
    kind: str = "tactical",
    horizon: str = "quarter",
    impact: str = "medium",
    effort: str = "medium",
    customer_summary: str = "",
    owning_team: str = "",
    metrics: Iterable[Mapping[str, Any]] = (),
) -> Recommendation:
    permissions.check(actor, "recommendation.draft", debrief)
    with transaction.atomic():
        found = Debrief.objects.select_for_update().get(pk=debrief.pk)
        _refuse_closed(found)
        rec = Recommendation(
            workspace_id=found.workspace_id,
            debrief=found,
            program_id=found.program_id,
            title=title.strip(),
            rationale=rationale.strip(),
            kind=kind,
            horizon=horizon,
            impact=impact,
            effort=effort,
            customer_summary=customer_summary.strip(),
            owning_team=owning_team.strip(),
            created_by_id=actor.user_id,
        )
        errors: dict[str, list[str]] = {}
        try:
            validate(rec, exclude=["debrief", "program", "workspace", "created_by"])
        except ValidationFailed as exc:
            errors.update(exc.errors)
        errors.update(
            _too_long({"rationale": rec.rationale, "customer_summary": rec.customer_summary})
        )
        try:
            ids = _evidence(actor, found, evidence)
        except ValidationFailed as exc:
            errors.update(exc.errors)
        moves = _metrics(found, metrics)
        if errors:
            raise ValidationFailed(errors)
        rec.save()
        _link(actor, rec, ids, moves)
        audit.record(
            actor,
            action="recommendation.drafted",
            obj=rec,
            changes={"title": rec.title, "evidence": ids, "debrief": found.pk},
        )
    return rec


def update_recommendation(
    actor: Viewer,
    recommendation: Recommendation,
    *,
    changes: Mapping[str, Any],
    version: int | None,
) -> Recommendation:
    """Change some of a recommendation's fields (``evidence``: insight ids, the whole set;
    ``metrics``: ``[{"metric_id", "direction"}]``, the whole set) if nobody saved it since
    ``version``."""
    permissions.check(actor, "recommendation.draft", recommendation)
    refused = sorted(set(changes) - set(EDITABLE))
    if refused:
        raise ValidationFailed({f: ["This field cannot be changed here."] for f in refused})
    with transaction.atomic():
        rec = (
            Recommendation.objects.select_for_update()
            .select_related("debrief")
            .get(pk=recommendation.pk)
        )
        expect_version(rec, version)
        _refuse_closed(rec.debrief)
        if rec.archived_at is not None:
            raise ValidationFailed.field("__all__", "This draft was archived; it is kept as is.")
        texts = {
            k: (v.strip() if isinstance(v, str) else v)
            for k, v in changes.items()
            if k in TEXT_FIELDS
        }
        before = audit.snapshot(rec, sorted(texts))
        if over := _too_long(texts):
            raise ValidationFailed(over)
        for name, value in texts.items():
            setattr(rec, name, value)
        validate(rec, exclude=["debrief", "program", "workspace", "created_by"])
        ids = (
            _evidence(actor, rec.debrief, changes["evidence"]) + _unseen_evidence(actor, rec)
            if "evidence" in changes
            else None
        )
        moves = _metrics(rec.debrief, changes["metrics"]) if "metrics" in changes else None
        delta = audit.diff(before, audit.snapshot(rec, sorted(texts)))
        delta.update(_link(actor, rec, ids, moves))
        if not delta:
            return rec
        save_new_version(rec, fields=list(texts))
        audit.record(actor, action="recommendation.changed", obj=rec, changes=delta)
    return rec


def archive_recommendation(
    actor: Viewer, recommendation: Recommendation, *, version: int | None = None
) -> Recommendation:
    """Withdraw a draft (never deleted: it stays, marked archived). A decided
    recommendation is not archived: decide again instead."""
    permissions.check(actor, "recommendation.draft", recommendation)
    with transaction.atomic():
        rec = (
            Recommendation.objects.select_for_update()
            .select_related("debrief")
            .get(pk=recommendation.pk)
        )
        expect_version(rec, version)
        if rec.archived_at is not None:
            return rec
        _refuse_closed(rec.debrief)
        if rec.outcome != DecisionOutcome.PENDING:
            raise ValidationFailed.field(
                "__all__", "Only a draft can be archived; a decided recommendation is revisited."
            )
        rec.archived_at = clock.now()
        save_new_version(rec, fields=["archived_at"])
        audit.record(actor, action="recommendation.archived", obj=rec)
    return rec


def role_at_this_moment(actor: Viewer, program_id: int, sponsor_id: int | None) -> str:
    """What the decider decides as: the program's executive sponsor, a policy maker it names
    (with what they answer for), or a workspace admin."""
    if sponsor_id == actor.user_id:
        return "Executive sponsor"
    named = PolicyMaker.objects.filter(program_id=program_id, user_id=actor.user_id).first()
    if named is not None:
        return f"Policy maker — {named.responsibility}" if named.responsibility else "Policy maker"
    if actor.role == Role.ADMIN:
        return "Admin"
    return str(actor.role)


def decision_errors(outcome: str, reason: str, revisit_on: date | None) -> dict[str, list[str]]:
    """Every rule of a decision's own fields at once, by field (empty when it may be taken):
    ``decide`` refuses with these, and the decide form shows them all in one pass."""
    errors: dict[str, list[str]] = {}
    if outcome not in DECIDED:
        errors["outcome"] = ["Approve, defer or reject."]
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = ["Say why: every decision has a reason."]
    else:
        check_length(errors, "reason", reason, REASON_MAX)
    if outcome == DecisionOutcome.DEFERRED:
        if revisit_on is None:
            errors["revisit_on"] = ["A deferral needs a date to revisit it."]
        elif revisit_on <= clock.today():
            errors["revisit_on"] = ["The date to revisit must be in the future."]
        else:  # and not a placeholder years away (core.dates)
            check_window(errors, "revisit_on", revisit_on)
    elif revisit_on is not None and outcome in DECIDED:
        # Not silently dropped: a date given with an approval or a rejection is a mistake.
        verb = "approve" if outcome == DecisionOutcome.APPROVED else "reject"
        errors["revisit_on"] = [f"Only a deferral has a date to revisit: leave it empty to {verb}."]
    return errors


def decide(
    actor: Viewer,
    recommendation: Recommendation,
    outcome: str,
    reason: str,
    revisit_on: date | None = None,
    *,
    version: int | None = None,
) -> Recommendation:
    """Approve, defer (with a future date to revisit) or reject, always with a reason.
    Deciding a decided recommendation again is a revisit: a new ``Decision``, history kept.
    Revisiting an approval (to defer or reject) drops the action items still to be done, in
    the same transaction, with this reason on each timeline; approving again later does not
    bring them back (new action items are added)."""
    permissions.check(actor, "recommendation.decide", recommendation)
    errors = decision_errors(outcome, reason, revisit_on)
    if errors:
        raise ValidationFailed(errors)
    reason = (reason or "").strip()
    with transaction.atomic():
        rec = (
            Recommendation.objects.select_for_update()
            .select_related("program")
            .get(pk=recommendation.pk)
        )
        expect_version(rec, version)
        if rec.archived_at is not None:
            raise ValidationFailed.field("__all__", "This draft was archived; it is not decided.")
        if not rec.evidence_links.exists():
            raise ValidationFailed.field("evidence", "Link evidence before deciding.")
        user = actor.user
        label = getattr(user, "full_name", "") or getattr(user, "email", "") or "someone"
        decided_as = role_at_this_moment(actor, rec.program_id, rec.program.executive_sponsor_id)
        before = rec.outcome
        decision = Decision.objects.create(
            workspace_id=rec.workspace_id,
            recommendation=rec,
            outcome=outcome,
            reason=reason,
            revisit_on=revisit_on,
            decided_by_id=actor.user_id,
            decided_by_label=label,
            decided_as=decided_as,
        )
        rec.outcome = outcome
        rec.decision_reason = reason
        rec.revisit_on = revisit_on
        rec.decided_at = decision.at
        rec.decided_by_id = actor.user_id
        rec.decided_as = decided_as
        save_new_version(
            rec,
            fields=[
                "outcome",
                "decision_reason",
                "revisit_on",
                "decided_at",
                "decided_by",
                "decided_as",
            ],
        )
        audit.record(
            actor,
            action="recommendation.decided",
            obj=rec,
            changes={
                "outcome": [before, outcome],
                "decided_as": decided_as,
                "revisit_on": revisit_on.isoformat() if revisit_on else None,
            },
            reason=reason,
        )
        outbound.announce(
            workspace_id=rec.workspace_id,
            event="recommendation.decided",
            program_id=rec.program_id,
            data=payload(rec, decision),
        )
        if before == DecisionOutcome.APPROVED and outcome != DecisionOutcome.APPROVED:
            action_services.drop_for_decision(actor, rec, outcome, reason)
    return rec


# --- what customers would hear -------------------------------------------------------------

PLANNED = "Planned"
UNDER_CONSIDERATION = "Under consideration"
NOT_PLANNED = "Not planned"


def customer_hears(
    outcome: str, *, owned_dated_actions: bool, summary: str = "", reason: str = ""
) -> tuple[str, str]:
    """The status a recommendation decided ``outcome`` could be published as, and its words:
    (status, words). Not what customers hear: that is the status the account owners approve
    for each customer priority it rests on (closing the loop; ``debrief.hearing``).

    Approved is "Planned" only once it has owned, dated action items (not dropped); until
    then, and when deferred, "Under consideration"; rejected is "Not planned" with the
    customer summary (or the reason)."""
    if outcome == DecisionOutcome.APPROVED and owned_dated_actions:
        return PLANNED, summary
    if outcome in (DecisionOutcome.APPROVED, DecisionOutcome.DEFERRED):
        return UNDER_CONSIDERATION, summary
    if outcome == DecisionOutcome.REJECTED:
        return NOT_PLANNED, summary or reason
    return "", ""


def has_owned_dated_actions(recommendation: Recommendation) -> bool:
    return (
        recommendation.actions.exclude(status=ActionStatus.DROPPED)
        .filter(owner__isnull=False, due_on__isnull=False)
        .exists()
    )


# --- the webhook payload ---------------------------------------------------------------------


def payload(rec: Recommendation, decision: Decision | None = None) -> dict[str, Any]:
    """``recommendation.decided``: the recommendation and the decision taken (stable JSON:
    ids as numbers, times ISO 8601, enum values)."""
    data: dict[str, Any] = {
        "recommendation": {
            "id": rec.pk,
            "debrief_id": rec.debrief_id,
            "program_id": rec.program_id,
            "title": rec.title,
            "kind": rec.kind,
            "horizon": rec.horizon,
            "impact": rec.impact,
            "effort": rec.effort,
            "owning_team": rec.owning_team,
            "customer_summary": rec.customer_summary,
            "evidence_insight_ids": sorted(rec.evidence_links.values_list("insight_id", flat=True)),
            "outcome": rec.outcome,
            "version": rec.version,
        }
    }
    if decision is not None:
        data["decision"] = {
            "id": decision.pk,
            "outcome": decision.outcome,
            "reason": decision.reason,
            "revisit_on": decision.revisit_on.isoformat() if decision.revisit_on else None,
            "decided_by_id": decision.decided_by_id,
            "decided_by": decision.decided_by_label,
            "decided_as": decision.decided_as,
            "at": clock.iso_utc(decision.at),
        }
    return data
