"""A bare Django view returning what GET /api/v1/customers returns, built by hand.

The same two queries the API runs (the count, then the page), written as raw SQL; rows
turned into the API's customer shape, JSON written by Django's encoder: no ORM, no schema,
no permission layer. It is the speed limit the API is held to.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils.dateparse import parse_datetime

from traction.core.permissions import public

KEYS = [
    "id",
    "name",
    "segment",
    "size",
    "region",
    "account_owner_id",
    "notes",
    "contact_count",
    "version",
    "created_at",
    "updated_at",
]

WORKSPACE = "(SELECT id FROM accounts_workspace WHERE slug = %s)"

COUNT_SQL = f"""
SELECT COUNT(*) FROM customers_customer c
WHERE c.workspace_id = {WORKSPACE} AND c.archived_at IS NULL
"""

PAGE_SQL = f"""
SELECT c.id, c.name, c.segment, c.size, c.region, c.account_owner_id, c.notes,
       (SELECT COUNT(*) FROM customers_contact ct
        WHERE ct.customer_id = c.id AND ct.archived_at IS NULL) AS contact_count,
       c.version, c.created_at, c.updated_at
FROM customers_customer c
WHERE c.workspace_id = {WORKSPACE} AND c.archived_at IS NULL
ORDER BY c.name, c.id
LIMIT %s OFFSET %s
"""


def _when(value: Any) -> datetime:
    # SQLite hands back naive UTC datetimes (or strings); PostgreSQL aware ones.
    parsed = value if isinstance(value, datetime) else parse_datetime(value)
    assert parsed is not None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@public("benchmark baseline")
def raw_customers(request: HttpRequest) -> HttpResponse:
    page = max(int(request.GET.get("page", "1")), 1)
    size = min(max(int(request.GET.get("page_size", "50")), 1), 200)
    slug = request.GET.get("workspace", "bench")
    with connection.cursor() as cursor:
        cursor.execute(COUNT_SQL, [slug])
        (count,) = cursor.fetchone()
        cursor.execute(PAGE_SQL, [slug, size, (page - 1) * size])
        rows = cursor.fetchall()
    items = []
    for row in rows:
        item = dict(zip(KEYS, row, strict=True))
        item["created_at"] = _when(item["created_at"])
        item["updated_at"] = _when(item["updated_at"])
        items.append(item)
    body = json.dumps({"items": items, "count": count}, cls=DjangoJSONEncoder)
    return HttpResponse(body, content_type="application/json")


# --- debrief-page and scorecard-page (bench/debrief.py) ----------------------------------------

TOP = 10

DEBRIEF_SQL = f"""
SELECT d.id, d.status, d.due_at, d.opened_at, s.id, s.title, s.ends_at, p.id, p.name
FROM debrief_debrief d
JOIN cosessions_session s ON s.id = d.session_id
JOIN programs_program p ON p.id = d.program_id
WHERE d.id = %s AND d.workspace_id = {WORKSPACE}
"""

TOP_SQL = """
SELECT fc.id, fc.insight_id, fc.kind, fc.text, fc.step_title, fc.speaker_name,
       fc.organisation, fc.dots, fc.voters
FROM insights_frozencard fc
JOIN insights_votinground r ON r.id = fc.round_id AND fc.closing = r.closings
WHERE r.session_id = %s
ORDER BY fc.dots DESC, fc.voters DESC, fc.position
LIMIT %s
"""

SPREAD_SQL = """
SELECT fv.card_id, fv.segment, SUM(fv.dots)
FROM insights_frozenvote fv
WHERE fv.card_id IN ({ids})
GROUP BY fv.card_id, fv.segment
"""

EARLIER_DECISIONS_SQL = """
SELECT e.insight_id, r.id, r.title, r.outcome, r.decided_at
FROM debrief_evidence e
JOIN debrief_recommendation r ON r.id = e.recommendation_id
WHERE e.insight_id IN ({ids}) AND r.outcome <> 'pending' AND r.debrief_id <> %s
  AND r.archived_at IS NULL
"""

RECOMMENDATIONS_SQL = """
SELECT r.id, r.title, r.kind, r.horizon, r.impact, r.effort, r.outcome, r.version,
       (SELECT COUNT(*) FROM debrief_evidence e WHERE e.recommendation_id = r.id),
       COUNT(a.id),
       SUM(CASE WHEN a.status = 'done' THEN 1 ELSE 0 END),
       SUM(CASE WHEN a.status = 'blocked' THEN 1 ELSE 0 END)
FROM debrief_recommendation r
LEFT JOIN debrief_actionitem a ON a.recommendation_id = r.id
WHERE r.debrief_id = %s AND r.archived_at IS NULL
GROUP BY r.id, r.title, r.kind, r.horizon, r.impact, r.effort, r.outcome, r.version
ORDER BY r.id
"""

# The program's open actions of earlier debriefs (due before this one): how many, and the
# ten most urgent (overdue or blocked first, then by due date), as the room's review shows.
EARLIER_ACTIONS_COUNT_SQL = """
SELECT COUNT(*)
FROM debrief_actionitem a
JOIN debrief_recommendation r ON r.id = a.recommendation_id
JOIN debrief_debrief d ON d.id = r.debrief_id
WHERE a.program_id = %s AND d.due_at < %s AND r.debrief_id <> %s
  AND a.status NOT IN ('done', 'dropped')
"""

EARLIER_ACTIONS_SQL = """
SELECT a.id, a.title, a.status, a.due_on, a.status_reason, a.ownerless_since, u.full_name,
       CASE WHEN a.due_on < %s OR a.status = 'blocked' THEN 0 ELSE 1 END AS urgency
FROM debrief_actionitem a
JOIN debrief_recommendation r ON r.id = a.recommendation_id
JOIN debrief_debrief d ON d.id = r.debrief_id
JOIN accounts_user u ON u.id = a.owner_id
WHERE a.program_id = %s AND d.due_at < %s AND r.debrief_id <> %s
  AND a.status NOT IN ('done', 'dropped')
ORDER BY urgency, a.due_on, a.id
LIMIT 10
"""

COVERED_SQL = """
SELECT COUNT(DISTINCT e.insight_id)
FROM debrief_evidence e
JOIN debrief_recommendation r ON r.id = e.recommendation_id
WHERE e.insight_id IN ({ids}) AND r.program_id = %s AND r.archived_at IS NULL
  AND (r.outcome IN ('approved', 'rejected')
       OR (r.outcome = 'deferred' AND r.revisit_on IS NOT NULL))
"""


def _marks(ids: list[int]) -> str:
    return ", ".join(str(int(i)) for i in ids) or "NULL"


@public("benchmark baseline")
def raw_debrief(request: HttpRequest) -> HttpResponse:
    """The debrief room's aggregates in raw SQL: the debrief, the top priorities of the frozen
    ranking with their spread by segment and earlier decisions touching them, the debrief's
    recommendations with evidence and action counts, the program's open actions of earlier
    debriefs (how many, and the ten most urgent), and the coverage of the top priorities."""
    debrief_id = int(request.GET["debrief"])
    slug = request.GET.get("workspace", "bench")
    today = datetime.now(UTC).date()
    with connection.cursor() as cursor:
        cursor.execute(DEBRIEF_SQL, [debrief_id, slug])
        head = cursor.fetchone()
        session_id, program_id = head[4], head[7]
        cursor.execute(TOP_SQL, [session_id, TOP])
        top = cursor.fetchall()
        card_ids, insight_ids = [r[0] for r in top], [r[1] for r in top]
        cursor.execute(SPREAD_SQL.format(ids=_marks(card_ids)))
        spread = cursor.fetchall()
        cursor.execute(EARLIER_DECISIONS_SQL.format(ids=_marks(insight_ids)), [debrief_id])
        earlier_decisions = cursor.fetchall()
        cursor.execute(RECOMMENDATIONS_SQL, [debrief_id])
        recommendations = cursor.fetchall()
        cursor.execute(EARLIER_ACTIONS_COUNT_SQL, [program_id, head[2], debrief_id])
        earlier_counts = cursor.fetchall()
        cursor.execute(EARLIER_ACTIONS_SQL, [today, program_id, head[2], debrief_id])
        earlier_actions = cursor.fetchall()
        cursor.execute(COVERED_SQL.format(ids=_marks(insight_ids)), [program_id])
        (covered,) = cursor.fetchone()
    body = json.dumps(
        {
            "debrief": head,
            "top": top,
            "spread": spread,
            "earlier_decisions": earlier_decisions,
            "recommendations": recommendations,
            "earlier_action_counts": earlier_counts,
            "earlier_actions": earlier_actions,
            "coverage": [covered, len(top)],
        },
        cls=DjangoJSONEncoder,
    )
    return HttpResponse(body, content_type="application/json")


METRICS_SQL = f"""
SELECT m.id, m.name, m.unit, m.direction, m.frequency, m.baseline, m.baseline_on, m.target,
       m.target_on, m.definition, m.owner_id, m.numerator_id, m.denominator_id, m.version,
       (SELECT COUNT(*) FROM debrief_measurement x WHERE x.metric_id = m.id)
FROM debrief_scorecardmetric m
WHERE m.program_id = %s AND m.workspace_id = {WORKSPACE} AND m.archived_at IS NULL
ORDER BY m.name, m.id
"""

# Each metric's last 24 measurements (the latest value and the sparkline): the date of the
# 24th latest per metric (an index seek each), then every series from there (a range each).
CUTS_SQL = """
SELECT m.id,
       (SELECT x."on" FROM debrief_measurement x WHERE x.metric_id = m.id
        ORDER BY x."on" DESC LIMIT 1 OFFSET 23)
FROM debrief_scorecardmetric m
WHERE m.program_id = %s AND m.archived_at IS NULL
"""

RECENT_SQL = """
SELECT x.metric_id, x."on", x.value FROM debrief_measurement x
WHERE {ranges}
ORDER BY x.metric_id, x."on"
"""


def _ranges(cuts: list[tuple[int, Any]]) -> tuple[str, list[Any]]:
    parts, params = [], []
    for metric_id, cut in cuts:
        if cut is None:
            parts.append("x.metric_id = %s")
            params.append(metric_id)
        else:
            parts.append('(x.metric_id = %s AND x."on" >= %s)')
            params += [metric_id, cut]
    return " OR ".join(parts) or "1 = 0", params


CHECKPOINTS_SQL = """
SELECT c.months, c."on", c.reached_at, d.id
FROM debrief_checkpoint c
JOIN debrief_debrief d ON d.id = c.debrief_id
WHERE d.program_id = %s
ORDER BY c."on", c.id
"""


@public("benchmark baseline")
def raw_scorecard(request: HttpRequest) -> HttpResponse:
    """The scorecard's aggregates in raw SQL: each metric with its count of measurements and
    its last 24 values, and the program's checkpoints."""
    program_id = int(request.GET["program"])
    slug = request.GET.get("workspace", "bench")
    with connection.cursor() as cursor:
        cursor.execute(METRICS_SQL, [program_id, slug])
        metrics = cursor.fetchall()
        cursor.execute(CUTS_SQL, [program_id])
        where, params = _ranges(cursor.fetchall())
        cursor.execute(RECENT_SQL.format(ranges=where), params)
        recent = cursor.fetchall()
        cursor.execute(CHECKPOINTS_SQL, [program_id])
        checkpoints = cursor.fetchall()
    body = json.dumps(
        {"metrics": metrics, "recent": recent, "checkpoints": checkpoints}, cls=DjangoJSONEncoder
    )
    return HttpResponse(body, content_type="application/json")
