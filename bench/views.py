"""A bare Django view returning what GET /api/v1/customers returns, built by hand.

The same two queries the API runs (the count, then the page), written as raw SQL; rows
turned into the API's customer shape, JSON written by Django's encoder: no ORM, no schema,
no permission layer. It is the speed limit the API is held to.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.utils.dateparse import parse_datetime

from traction.core.permissions import Viewer, public
from traction.core.web import WorkspaceRequest, workspace_view

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


# --- what every signed-in page reads: who is asking, and the frame around the content -------

FRAME_SESSION_SQL = """
SELECT s.session_data FROM django_session s WHERE s.session_key = %s AND s.expire_date > %s
"""

FRAME_USER_SQL = """
SELECT u.id, u.email, u.full_name, u.is_active FROM accounts_user u WHERE u.id = %s
"""

FRAME_MEMBERSHIP_SQL = """
SELECT m.id, m.role, w.id, w.name, w.slug
FROM accounts_membership m JOIN accounts_workspace w ON w.id = m.workspace_id
WHERE m.user_id = %s AND w.slug = %s AND m.archived_at IS NULL
"""

# The workspace switcher: each workspace of the user, with their role there.
FRAME_SWITCHER_SQL = """
SELECT m.workspace_id, m.role, w.name, w.slug
FROM accounts_membership m JOIN accounts_workspace w ON w.id = m.workspace_id
WHERE m.user_id = %s AND m.archived_at IS NULL
ORDER BY w.name
"""

# The navigation's badges (the viewer's overdue actions, the outreach waiting for them) and
# their unread notices.
FRAME_BADGES_SQL = """
SELECT
  (SELECT COUNT(*) FROM debrief_actionitem a
   WHERE a.workspace_id = %(w)s AND a.owner_id = %(u)s AND a.due_on < %(today)s
     AND a.ownerless_since IS NULL AND a.status IN ('open', 'in_progress', 'blocked')),
  (SELECT COUNT(*) FROM cosessions_outreachrequest o
   WHERE o.workspace_id = %(w)s AND o.account_owner_id = %(u)s AND o.status = 'pending'),
  (SELECT COUNT(*) FROM accounts_notice n
   WHERE n.workspace_id = %(w)s AND n.user_id = %(u)s AND n.read_at IS NULL
     AND n.resolved_at IS NULL)
"""


def _frame(cursor: Any, request: HttpRequest, slug: str) -> dict[str, Any]:
    """What the page reads around its content, in raw SQL: the session (decoded), the user,
    their membership of the workspace, the switcher's workspaces and the navigation's
    badges. A page is signed in: its baseline reads who is asking too."""
    key = request.COOKIES.get(settings.SESSION_COOKIE_NAME, "")
    now = datetime.now(UTC)
    cursor.execute(FRAME_SESSION_SQL, [key, now])
    (data,) = cursor.fetchone()
    user_id = int(SessionStore().decode(data)["_auth_user_id"])
    cursor.execute(FRAME_USER_SQL, [user_id])
    user = cursor.fetchone()
    cursor.execute(FRAME_MEMBERSHIP_SQL, [user_id, slug])
    membership = cursor.fetchone()
    cursor.execute(FRAME_SWITCHER_SQL, [user_id])
    switcher = cursor.fetchall()
    cursor.execute(FRAME_BADGES_SQL, {"w": membership[2], "u": user_id, "today": now.date()})
    badges = cursor.fetchone()
    return {"user": user, "membership": membership, "switcher": switcher, "badges": badges}


# --- debrief-page and scorecard-page (bench/debrief.py) ----------------------------------------

TOP = 10

DEBRIEF_SQL = f"""
SELECT d.id, d.status, d.due_at, d.opened_at, s.id, s.title, s.ends_at, p.id, p.name,
       d.workspace_id
FROM debrief_debrief d
JOIN cosessions_session s ON s.id = d.session_id
JOIN programs_program p ON p.id = d.program_id
WHERE d.id = %s AND d.workspace_id = {WORKSPACE}
"""

TOP_SQL = """
SELECT fc.id, fc.insight_id, fc.kind, fc.text, fc.step_title, fc.speaker_name,
       fc.organisation, fc.dots, fc.voters, fc.step_id, fc.contributors
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

# The quotes the brief shows beside the top cards: the session's quotes on their steps.
QUOTES_SQL = """
SELECT i.id, i.step_id, i.text, i.speaker_name
FROM insights_insight i
WHERE i.session_id = %s AND i.kind = 'quote' AND i.status = 'accepted' AND i.step_id IN ({ids})
ORDER BY i.created_at, i.id
"""

RECOMMENDATIONS_SQL = """
SELECT r.id, r.title, r.kind, r.horizon, r.impact, r.effort, r.outcome, r.version,
       r.rationale, r.owning_team, r.customer_summary, r.decision_reason,
       COUNT(a.id),
       SUM(CASE WHEN a.status = 'done' THEN 1 ELSE 0 END),
       SUM(CASE WHEN a.status = 'blocked' THEN 1 ELSE 0 END),
       SUM(CASE WHEN a.status = 'dropped' THEN 1 ELSE 0 END)
FROM debrief_recommendation r
LEFT JOIN debrief_actionitem a ON a.recommendation_id = r.id
WHERE r.debrief_id = %s AND r.archived_at IS NULL
GROUP BY r.id, r.title, r.kind, r.horizon, r.impact, r.effort, r.outcome, r.version,
         r.rationale, r.owning_team, r.customer_summary, r.decision_reason
ORDER BY r.id
"""

# What the room shows of each recommendation: its evidence's words, the metrics it should
# move and its decision history.
EVIDENCE_SQL = """
SELECT e.recommendation_id, i.id, i.text
FROM debrief_evidence e
JOIN debrief_recommendation r ON r.id = e.recommendation_id
JOIN insights_insight i ON i.id = e.insight_id
WHERE r.debrief_id = %s AND r.archived_at IS NULL
ORDER BY e.id
"""

# What customers hear of the cards the recommendations cite: of those cards, the program's
# customer priorities (on the map, voted for, cited or already given a status), each with its
# published statuses, the latest last (one query; the page asks the loop's reader, two).
PUBLISHED_SQL = """
SELECT i.id, s.status, s.window_kind, s.window_start
FROM insights_insight i
LEFT JOIN loop_prioritystatus s ON s.priority_id = i.id AND s.published_at IS NOT NULL
WHERE i.id IN ({ids}) AND i.program_id = %s
  AND i.kind IN ('moment_of_truth', 'issue', 'idea') AND i.status = 'accepted' AND NOT i.internal
  AND (EXISTS (SELECT 1 FROM insights_vote v WHERE v.insight_id = i.id AND v.dots > 0)
       OR EXISTS (SELECT 1 FROM debrief_evidence e
                  JOIN debrief_recommendation r ON r.id = e.recommendation_id
                  WHERE e.insight_id = i.id AND r.archived_at IS NULL)
       OR EXISTS (SELECT 1 FROM loop_prioritystatus p WHERE p.priority_id = i.id))
ORDER BY i.id, s.published_at, s.id
"""

RECOMMENDATION_METRICS_SQL = """
SELECT rm.recommendation_id, m.name, rm.direction
FROM debrief_recommendationmetric rm
JOIN debrief_recommendation r ON r.id = rm.recommendation_id
JOIN debrief_scorecardmetric m ON m.id = rm.metric_id
WHERE r.debrief_id = %s AND r.archived_at IS NULL
"""

DECISIONS_SQL = """
SELECT x.recommendation_id, x.at, x.outcome, x.decided_by_label, x.decided_as, x.revisit_on,
       x.reason
FROM debrief_decision x
JOIN debrief_recommendation r ON r.id = x.recommendation_id
WHERE r.debrief_id = %s AND r.archived_at IS NULL
ORDER BY x.at, x.id
"""

URGENCY = "CASE WHEN {a}.due_on < %s OR {a}.status = 'blocked' THEN 0 ELSE 1 END"

# The actions panel: the approved recommendations (the add form's choices), how many of their
# action items are in each state (and overdue), and the ten that need attention first
# (overdue or blocked, then due soonest) with their owners and recommendations' titles.
APPROVED_SQL = f"""
SELECT r.id, r.title FROM debrief_recommendation r
WHERE r.workspace_id = {WORKSPACE} AND r.debrief_id = %s AND r.outcome = 'approved'
  AND r.archived_at IS NULL
ORDER BY r.id
"""

ACTION_COUNTS_SQL = """
SELECT COUNT(*),
       SUM(CASE WHEN a.status IN ('open', 'in_progress', 'blocked') AND a.due_on < %s
           THEN 1 ELSE 0 END),
       SUM(CASE WHEN a.status = 'open' THEN 1 ELSE 0 END),
       SUM(CASE WHEN a.status = 'in_progress' THEN 1 ELSE 0 END),
       SUM(CASE WHEN a.status = 'blocked' THEN 1 ELSE 0 END),
       SUM(CASE WHEN a.status = 'done' THEN 1 ELSE 0 END),
       SUM(CASE WHEN a.status = 'dropped' THEN 1 ELSE 0 END)
FROM debrief_actionitem a
WHERE a.recommendation_id IN ({ids}) AND a.workspace_id = %s
"""

ATTENTION_SQL = f"""
SELECT a.id, a.title, a.due_on, a.status, a.ownerless_since, u.full_name, u.email, r.title,
       {URGENCY.format(a="a")} AS urgency
FROM debrief_actionitem a
JOIN accounts_user u ON u.id = a.owner_id
JOIN debrief_recommendation r ON r.id = a.recommendation_id
WHERE a.recommendation_id IN ({{ids}}) AND a.workspace_id = %s
  AND a.status IN ('open', 'in_progress', 'blocked')
ORDER BY urgency, a.due_on, a.id
LIMIT 10
"""

# The scorecard panel: the session's customer metric cards, the metrics serving them, and the
# metrics created in this debrief.
METRIC_CARDS_WHERE = """
i.program_id = %s AND i.session_id = %s AND i.kind = 'customer_metric' AND i.status <> 'merged'
"""

# The first ten, and how many there are.
METRIC_CARDS_SQL = f"""
SELECT i.id, i.text
FROM insights_insight i
WHERE {METRIC_CARDS_WHERE}
ORDER BY i.created_at, i.id
LIMIT 10
"""

METRIC_CARDS_COUNT_SQL = f"""
SELECT COUNT(*) FROM insights_insight i WHERE {METRIC_CARDS_WHERE}
"""

SERVING_SQL = """
SELECT s.insight_id, m.id, m.name
FROM debrief_scorecardmetric_serves s
JOIN debrief_scorecardmetric m ON m.id = s.scorecardmetric_id
WHERE s.insight_id IN ({ids}) AND m.archived_at IS NULL
"""

CREATED_METRICS_SQL = """
SELECT m.id, m.name, m.definition, m.unit, m.direction, m.baseline, m.target
FROM debrief_scorecardmetric m
WHERE m.debrief_id = %s AND m.archived_at IS NULL
ORDER BY m.name, m.id
"""

# The program's open actions of earlier debriefs (due before this one): how many, and the
# ten most urgent (overdue or blocked first, then by due date), as the room's review shows;
# each action checked against the list of the earlier debriefs' recommendations, the ten
# ranked from the index of the program's actions, then read.
EARLIER_ACTIONS_WHERE = f"""
a.workspace_id = {WORKSPACE} AND a.program_id = %s
AND a.status IN ('open', 'in_progress', 'blocked')
AND a.recommendation_id IN (
    SELECT r.id FROM debrief_recommendation r JOIN debrief_debrief d ON d.id = r.debrief_id
    WHERE d.program_id = %s AND d.due_at < %s AND r.debrief_id <> %s)
"""

EARLIER_ACTIONS_COUNT_SQL = f"""
SELECT COUNT(*) FROM debrief_actionitem a WHERE {EARLIER_ACTIONS_WHERE}
"""

EARLIER_ACTIONS_SQL = f"""
SELECT x.id, x.title, x.status, x.due_on, x.ownerless_since, u.full_name, u.email,
       {URGENCY.format(a="x")} AS urgency
FROM debrief_actionitem x
JOIN accounts_user u ON u.id = x.owner_id
WHERE x.id IN (
    SELECT a.id FROM debrief_actionitem a WHERE {EARLIER_ACTIONS_WHERE}
    ORDER BY {URGENCY.format(a="a")}, a.due_on, a.id
    LIMIT 10)
ORDER BY urgency, x.due_on, x.id
"""

# The coverage: which top cards this debrief decided (and how), or stated undecided with a
# date to revisit.
COVERED_SQL = """
SELECT e.insight_id, r.outcome, r.revisit_on
FROM debrief_evidence e
JOIN debrief_recommendation r ON r.id = e.recommendation_id
WHERE e.insight_id IN ({ids}) AND r.debrief_id = %s AND r.archived_at IS NULL
  AND (r.outcome IN ('approved', 'rejected')
       OR (r.outcome = 'deferred' AND r.revisit_on IS NOT NULL))
ORDER BY r.decided_at
"""

UNDECIDED_SQL = """
SELECT u.insight_id, u.revisit_on FROM debrief_undecided u
WHERE u.debrief_id = %s AND u.insight_id IN ({ids})
"""


def _marks(ids: list[int]) -> str:
    return ", ".join(str(int(i)) for i in ids) or "NULL"


@public("benchmark baseline")
def raw_debrief(request: HttpRequest) -> HttpResponse:
    """The debrief room's aggregates in raw SQL: the debrief, the top priorities of the frozen
    ranking with their quotes, spread by segment and earlier decisions touching them, the
    debrief's recommendations with their evidence, metrics, decisions and action counts, the
    program's open actions of earlier debriefs (how many, and the ten most urgent), the
    coverage of the top priorities, the approved recommendations' actions and who may own a
    new one, and the session's customer metric cards with the metrics serving them and the
    metrics created in the debrief: what the room shows."""
    debrief_id = int(request.GET["debrief"])
    slug = request.GET.get("workspace", "bench")
    today = datetime.now(UTC).date()
    with connection.cursor() as cursor:
        frame = _frame(cursor, request, slug)
        cursor.execute(DEBRIEF_SQL, [debrief_id, slug])
        head = cursor.fetchone()
        session_id, program_id = head[4], head[7]
        cursor.execute(TOP_SQL, [session_id, TOP])
        top = cursor.fetchall()
        card_ids, insight_ids = [r[0] for r in top], [r[1] for r in top]
        step_ids = sorted({r[9] for r in top if r[9] is not None})
        cursor.execute(QUOTES_SQL.format(ids=_marks(step_ids)), [session_id])
        quotes = cursor.fetchall()
        cursor.execute(SPREAD_SQL.format(ids=_marks(card_ids)))
        spread = cursor.fetchall()
        cursor.execute(EARLIER_DECISIONS_SQL.format(ids=_marks(insight_ids)), [debrief_id])
        earlier_decisions = cursor.fetchall()
        cursor.execute(RECOMMENDATIONS_SQL, [debrief_id])
        recommendations = cursor.fetchall()
        cursor.execute(EVIDENCE_SQL, [debrief_id])
        evidence = cursor.fetchall()
        cited = sorted({row[1] for row in evidence})
        cursor.execute(PUBLISHED_SQL.format(ids=_marks(cited)), [program_id])
        published = cursor.fetchall()
        cursor.execute(RECOMMENDATION_METRICS_SQL, [debrief_id])
        recommendation_metrics = cursor.fetchall()
        cursor.execute(DECISIONS_SQL, [debrief_id])
        decisions = cursor.fetchall()
        earlier = [slug, program_id, program_id, head[2], debrief_id]
        cursor.execute(EARLIER_ACTIONS_COUNT_SQL, earlier)
        earlier_counts = cursor.fetchall()
        cursor.execute(EARLIER_ACTIONS_SQL, [today, *earlier, today])
        earlier_actions = cursor.fetchall()
        cursor.execute(COVERED_SQL.format(ids=_marks(insight_ids)), [debrief_id])
        covered = cursor.fetchall()
        cursor.execute(UNDECIDED_SQL.format(ids=_marks(insight_ids)), [debrief_id])
        undecided = cursor.fetchall()
        cursor.execute(APPROVED_SQL, [slug, debrief_id])
        approved = cursor.fetchall()
        approved_ids = _marks([r[0] for r in approved])
        workspace_id = head[9]
        cursor.execute(ACTION_COUNTS_SQL.format(ids=approved_ids), [today, workspace_id])
        action_counts = cursor.fetchall()
        cursor.execute(ATTENTION_SQL.format(ids=approved_ids), [today, workspace_id])
        attention = cursor.fetchall()
        cursor.execute(METRIC_CARDS_SQL, [program_id, session_id])
        metric_cards = cursor.fetchall()
        cursor.execute(METRIC_CARDS_COUNT_SQL, [program_id, session_id])
        metric_cards_count = cursor.fetchone()
        cursor.execute(SERVING_SQL.format(ids=_marks([r[0] for r in metric_cards])))
        serving = cursor.fetchall()
        cursor.execute(CREATED_METRICS_SQL, [debrief_id])
        created_metrics = cursor.fetchall()
    body = json.dumps(
        {
            "frame": frame,
            "debrief": head,
            "top": top,
            "quotes": quotes,
            "spread": spread,
            "earlier_decisions": earlier_decisions,
            "recommendations": recommendations,
            "evidence": evidence,
            "published": published,
            "recommendation_metrics": recommendation_metrics,
            "decisions": decisions,
            "earlier_action_counts": earlier_counts,
            "earlier_actions": earlier_actions,
            "coverage": [covered, undecided, len(top)],
            "approved": approved,
            "action_counts": action_counts,
            "attention": attention,
            "metric_cards": metric_cards,
            "metric_cards_count": metric_cards_count,
            "serving": serving,
            "created_metrics": created_metrics,
        },
        cls=DjangoJSONEncoder,
    )
    return HttpResponse(body, content_type="application/json")


METRICS_SQL = f"""
SELECT m.id, m.name, m.unit, m.direction, m.frequency, m.baseline, m.baseline_on, m.target,
       m.target_on, m.definition, m.owner_id, m.numerator_id, m.denominator_id, m.version,
       m.forecast, u.full_name, u.email, n.name, dn.name
FROM debrief_scorecardmetric m
LEFT JOIN accounts_user u ON u.id = m.owner_id
LEFT JOIN debrief_scorecardmetric n ON n.id = m.numerator_id
LEFT JOIN debrief_scorecardmetric dn ON dn.id = m.denominator_id
WHERE m.program_id = %s AND m.workspace_id = {WORKSPACE} AND m.archived_at IS NULL
ORDER BY m.name, m.id
LIMIT 25
"""

METRICS_COUNT_SQL = f"""
SELECT COUNT(*) FROM debrief_scorecardmetric m
WHERE m.program_id = %s AND m.workspace_id = {WORKSPACE} AND m.archived_at IS NULL
"""

# The page's metrics' last 24 measurements (the latest value and the sparkline): the date of
# the 24th latest per metric (an index seek each), then every series from there (a range each).
CUTS_SQL = """
SELECT m.id,
       (SELECT x."on" FROM debrief_measurement x WHERE x.metric_id = m.id
        ORDER BY x."on" DESC LIMIT 1 OFFSET 23)
FROM debrief_scorecardmetric m
WHERE m.id IN ({ids})
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


CHECKPOINT_COUNTS_SQL = """
SELECT COUNT(*), COUNT(c.reached_at)
FROM debrief_checkpoint c
JOIN debrief_debrief d ON d.id = c.debrief_id
WHERE d.program_id = %s
"""

CHECKPOINTS_SQL = """
SELECT c.id, c.months, c."on", c.reached_at, d.id, s.title
FROM debrief_checkpoint c
JOIN debrief_debrief d ON d.id = c.debrief_id
JOIN cosessions_session s ON s.id = d.session_id
WHERE d.program_id = %s AND c.reached_at IS {state}
ORDER BY c."on" {order}, c.id {order}
LIMIT 5
"""


@public("benchmark baseline")
def raw_scorecard(request: HttpRequest) -> HttpResponse:
    """The scorecard's aggregates in raw SQL: how many metrics, the first page of 25 (with
    their owners' and parts' names) with their last 24 values, and the program's checkpoints:
    how many (reached, ahead), the next five due and the latest five reached, with their
    sessions' titles."""
    program_id = int(request.GET["program"])
    slug = request.GET.get("workspace", "bench")
    with connection.cursor() as cursor:
        frame = _frame(cursor, request, slug)
        cursor.execute(METRICS_COUNT_SQL, [program_id, slug])
        (count,) = cursor.fetchone()
        cursor.execute(METRICS_SQL, [program_id, slug])
        metrics = cursor.fetchall()
        cursor.execute(CUTS_SQL.format(ids=_marks([m[0] for m in metrics])))
        where, params = _ranges(cursor.fetchall())
        cursor.execute(RECENT_SQL.format(ranges=where), params)
        recent = cursor.fetchall()
        cursor.execute(CHECKPOINT_COUNTS_SQL, [program_id])
        checkpoint_counts = cursor.fetchone()
        cursor.execute(CHECKPOINTS_SQL.format(state="NULL", order="ASC"), [program_id])
        upcoming = cursor.fetchall()
        cursor.execute(CHECKPOINTS_SQL.format(state="NOT NULL", order="DESC"), [program_id])
        latest = cursor.fetchall()
    checkpoints = {"counts": checkpoint_counts, "upcoming": upcoming, "latest": latest}
    body = json.dumps(
        {
            "frame": frame,
            "count": count,
            "metrics": metrics,
            "recent": recent,
            "checkpoints": checkpoints,
        },
        cls=DjangoJSONEncoder,
    )
    return HttpResponse(body, content_type="application/json")


LAYOUT = engines["django"].from_string('{% extends "base.html" %}')


@workspace_view
@public("the benchmark's floor: it shows nothing but the signed-in layout")
def layout(request: WorkspaceRequest, viewer: Viewer) -> HttpResponse:
    """Every signed-in page's layout with nothing in it: the sign-in, the workspace and the
    viewer resolved, the navigation with its badges and the switcher, the base template, the
    middleware. No page of the app can be faster; the debrief benchmarks print it beside
    their baselines so the share of a ratio the layout alone takes is measured."""
    return HttpResponse(LAYOUT.render({}, request))
