"""Reads of the scorecard: a program's metrics with their latest values, progress that
honours each metric's direction, a metric's series, checkpoints read against forecast and
target. Fetching is checking (``permissions.scope/get``).

Every list is one query per kind of row whatever its size: the latest value of each metric
is a ``Subquery`` annotation (for a calculated metric, the latest date where both its parts
were measured), each metric's recent values for its sparkline one sliced ``Prefetch``.
"""

from __future__ import annotations

import calendar
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.core.paginator import Paginator
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery

from traction.accounts import selectors as account_selectors
from traction.accounts.models import Membership, User
from traction.core import permissions
from traction.core.errors import NotFound
from traction.core.offering import Offered, offer, typed_words
from traction.core.permissions import Role, Scope, Viewer
from traction.insights.models import Insight, InsightKind
from traction.programs.models import PolicyMaker, Program, ProgramMember

from .measurements_csv import MAX_DECIMALS
from .models import (
    Checkpoint,
    Debrief,
    DebriefStatus,
    Decision,
    Direction,
    Measurement,
    Recommendation,
    RecommendationMetric,
    ScorecardMetric,
)

SPARK_POINTS = 24  # values in a scorecard row's sparkline
CHART_POINTS = 1000  # the most recent values a metric's chart draws


# --- pure rules ------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """The same calendar day ``months`` later; past the month's end, its last day (31 Jan +
    1 month = 28 or 29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def missing_for_ready(metric: ScorecardMetric) -> list[str]:
    """What a metric lacks before it is ready: definition, unit, direction, baseline and
    target (a calculated metric's parts stand for its measurements, not for these)."""
    missing = []
    if not metric.definition.strip():
        missing.append("definition")
    if not metric.unit.strip():
        missing.append("unit")
    if metric.direction not in Direction.values:
        missing.append("direction")
    if metric.baseline is None:
        missing.append("baseline")
    if metric.target is None:
        missing.append("target")
    return missing


@dataclass(frozen=True)
class Progress:
    """How far a metric has moved from its baseline towards its target, in its direction.

    ``fraction`` is (latest − baseline) / (target − baseline): 0 at the baseline, 1 at the
    target, negative when it moved the wrong way, above 1 past the target. ``percent`` is
    that for display, clamped to −100…200; ``bar`` to 0…100. ``status``: ``achieved``,
    ``on_track``, ``behind``, ``no_data`` (no measurement yet) or ``not_ready`` (no baseline
    or target)."""

    status: str
    fraction: float | None = None
    percent: int | None = None
    bar: int = 0
    expected: Decimal | None = None  # where the forecast (or the straight line) says it should be
    # ``expected`` as the page shows it: rounded to the decimals of the numbers it is read
    # between (the baseline, target, forecast and latest value), so 18.92 beside 13.25, not
    # 18.9167 (the status compares the exact value).
    expected_shown: Decimal | None = None

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]


STATUS_LABELS = {
    "achieved": "Achieved",
    "on_track": "On track",
    "behind": "Behind",
    "no_data": "No measurements yet",
    "not_ready": "Not ready",
}


def _better_or_equal(direction: str, a: Decimal, b: Decimal) -> bool:
    return a <= b if direction == Direction.DOWN else a >= b


def interpolate(path: Sequence[tuple[date, Decimal]], on: date) -> Decimal | None:
    """The value a dated path gives on ``on``: straight lines between its points, the last
    value after its end, None before its start (or for no path)."""
    if not path or on < path[0][0]:
        return None
    for (d0, v0), (d1, v1) in itertools.pairwise(path):
        if d0 <= on <= d1:
            if d1 == d0:
                return v1
            share = Decimal((on - d0).days) / Decimal((d1 - d0).days)
            return v0 + (v1 - v0) * share
    return path[-1][1]


def forecast_path(metric: ScorecardMetric) -> list[tuple[date, Decimal]]:
    """The metric's forecast points in date order, starting from its baseline when the
    baseline is dated before the first point."""
    points = sorted(
        (date.fromisoformat(p["on"]), Decimal(str(p["value"]))) for p in metric.forecast or []
    )
    if (
        points
        and metric.baseline is not None
        and metric.baseline_on is not None
        and metric.baseline_on < points[0][0]
    ):
        points.insert(0, (metric.baseline_on, metric.baseline))
    return points


def expected_on(metric: ScorecardMetric, on: date) -> Decimal | None:
    """Where the metric should be on ``on``: on its forecast path when it has one, else on
    the straight line from the dated baseline to the dated target."""
    path = forecast_path(metric)
    if path:
        return interpolate(path, on)
    if (
        metric.baseline is not None
        and metric.target is not None
        and metric.baseline_on is not None
        and metric.target_on is not None
        and metric.target_on > metric.baseline_on
    ):
        return interpolate(
            [(metric.baseline_on, metric.baseline), (metric.target_on, metric.target)], on
        )
    return None


def progress(
    metric: ScorecardMetric, latest: Decimal | None, latest_on: date | None = None
) -> Progress:
    """The metric's progress from its baseline to its target, honouring its direction."""
    baseline, target, direction = metric.baseline, metric.target, metric.direction
    if baseline is None or target is None:
        return Progress("not_ready")
    if latest is None:
        return Progress("no_data")
    span = target - baseline
    achieved = _better_or_equal(direction, latest, target)
    # A zero span is a target to hold the line: met or not.
    fraction = (1.0 if achieved else 0.0) if span == 0 else float((latest - baseline) / span)
    expected = expected_on(metric, latest_on) if latest_on is not None else None
    if achieved:
        status = "achieved"
    elif expected is not None:
        status = "on_track" if _better_or_equal(direction, latest, expected) else "behind"
    else:
        status = "on_track" if fraction > 0 else "behind"
    percent = max(-100, min(200, round(fraction * 100)))
    shown = rounded_like(metric, expected, latest)
    return Progress(
        status,
        fraction=fraction,
        percent=percent,
        bar=max(0, min(100, percent)),
        expected=expected,
        expected_shown=shown,
    )


def rounded_like(
    metric: ScorecardMetric, value: Decimal | None, *also: Decimal | None
) -> Decimal | None:
    """A value read off the forecast (or the straight line) as the pages and the API show
    it: rounded to the decimals of the numbers it is read between (the baseline, the target,
    the forecast's points and ``also``), so that 53.2589… reads 53 beside 54 and 70."""
    if value is None:
        return None
    read_from = [metric.baseline, metric.target, *also, *(v for _, v in forecast_path(metric))]
    places = _decimals(*(v for v in read_from if v is not None))
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _decimals(*values: Decimal) -> int:
    """The most decimals any of ``values`` is written with (12.5 → 1, 80 → 0), at most the
    4 a measurement may have."""
    most = 0
    for value in values:
        exponent = value.normalize().as_tuple().exponent
        if isinstance(exponent, int):
            most = max(most, -exponent)
    return min(most, MAX_DECIMALS)


def ratio(numerator: Decimal | None, denominator: Decimal | None) -> Decimal | None:
    """A calculated metric's value: None when a part is missing or the denominator is 0."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return (numerator / denominator).quantize(Decimal("0.0001"))


# --- the program's scorecard -----------------------------------------------------------------


def scorecard_program(viewer: Viewer, program_id: int) -> Program:
    """The program whose scorecard the viewer may see (its members, admins, facilitators):
    the program alone (the scorecard shows its name; the rules ask the database who is on its
    team), not its team and policy makers as the program's page reads them."""
    program = permissions.get(viewer, "program.view", Program.objects.all(), pk=program_id)
    permissions.check(viewer, "debrief.view")
    return program


def _latest(qs: QuerySet[ScorecardMetric], on_or_before: date | None = None) -> QuerySet[Any]:
    """Annotate each metric's latest value and its date (on or before a day, if given): for a
    measured metric its latest measurement; for a calculated one the latest date where both
    its parts were measured, and the two values there."""
    own = Measurement.objects.filter(metric=OuterRef("pk"))
    numerator = Measurement.objects.filter(metric=OuterRef("numerator_id"))
    if on_or_before is not None:
        own = own.filter(on__lte=on_or_before)
        numerator = numerator.filter(on__lte=on_or_before)
    own = own.order_by("-on")
    both = numerator.filter(
        Exists(
            Measurement.objects.filter(
                metric=OuterRef(OuterRef("denominator_id")), on=OuterRef("on")
            )
        )
    ).order_by("-on")
    return qs.annotate(
        own_on=Subquery(own.values("on")[:1]),
        own_value=Subquery(own.values("value")[:1]),
        pair_on=Subquery(both.values("on")[:1]),
        pair_numerator=Subquery(both.values("value")[:1]),
        pair_denominator=Subquery(
            Measurement.objects.filter(
                metric=OuterRef("denominator_id"), on=OuterRef("pair_on")
            ).values("value")[:1]
        ),
    )


def latest_of(metric: Any) -> tuple[Decimal | None, date | None]:
    """The latest value and date a ``_latest`` annotation gives a metric."""
    if metric.numerator_id is not None:
        return ratio(metric.pair_numerator, metric.pair_denominator), metric.pair_on
    return metric.own_value, metric.own_on


def _spark_from(metric_ref: str) -> Subquery:
    """The date of a metric's ``SPARK_POINTS``-th latest measurement (None when it has fewer):
    one index seek per metric."""
    return Subquery(
        Measurement.objects.filter(metric=OuterRef(metric_ref))
        .order_by("-on")
        .values("on")[SPARK_POINTS - 1 : SPARK_POINTS]
    )


# What a list of metrics shows of each one's owner and parts: their other columns are not read.
_SHOWN_OF_RELATED = {
    "owner": {"id", "full_name", "email"},
    "numerator": {"id", "name"},
    "denominator": {"id", "name"},
}


def _deferred_of_related() -> list[str]:
    deferred = []
    for name, shown in _SHOWN_OF_RELATED.items():
        related: Any = ScorecardMetric._meta.get_field(name).related_model
        deferred += [
            f"{name}__{f.name}" for f in related._meta.concrete_fields if f.name not in shown
        ]
    return deferred


def metrics(viewer: Viewer, program: Program) -> QuerySet[ScorecardMetric]:
    """The program's current metrics the viewer may see, each with where its recent values
    (and its parts') start, for ``with_recent``; ``scorecard_rows`` reads their latest values
    from those recent values."""
    qs = permissions.scope(
        viewer,
        "debrief.view",
        ScorecardMetric.objects.filter(program=program, archived_at__isnull=True),
    )
    return (
        qs.select_related(*_SHOWN_OF_RELATED)
        .defer(*_deferred_of_related())
        .annotate(
            spark_from=_spark_from("pk"),
            numerator_spark_from=_spark_from("numerator_id"),
            denominator_spark_from=_spark_from("denominator_id"),
        )
        .order_by("name", "id")
    )


def program_metrics(viewer: Viewer, program: Program, ids: set[int]) -> QuerySet[ScorecardMetric]:
    """Those of ``ids`` that are current metrics of the program the viewer may see."""
    return permissions.scope(
        viewer,
        "debrief.view",
        ScorecardMetric.objects.filter(program=program, archived_at__isnull=True, pk__in=ids),
    )


def _owner_roles() -> tuple[list[str], list[str]]:
    """The workspace roles that may measure a metric they own, split by whether they see
    every program's metrics (admins, facilitators) or only those of their programs."""
    measure = permissions.registry.get("metric.measure")
    view = permissions.registry.get("debrief.view")
    able = [r for r in Role.values if measure.scope_for(r) and view.scope_for(r)]
    everywhere = [r for r in able if view.scope_for(r) is Scope.ALL]
    return everywhere, [r for r in able if r not in everywhere]


def metric_owners(viewer: Viewer, program: Program, *, keep: int | None = None) -> QuerySet[User]:
    """The members who may own a metric of ``program``: who may see it and record its
    measurements. Not observers (they change nothing), and, outside the admins and
    facilitators, only the program's sponsor, team members and policy makers (the
    ``debrief.view`` rule's people). The form's owner picker (with ``keep``, the current
    owner, still a member of the workspace) and the service's check."""
    everywhere, own = _owner_roles()
    people = (
        Q(user_id=program.executive_sponsor_id)
        | Q(
            user_id__in=ProgramMember.objects.filter(program=program, left_at__isnull=True).values(
                "user_id"
            )
        )
        | Q(
            user_id__in=PolicyMaker.objects.filter(program=program, left_at__isnull=True).values(
                "user_id"
            )
        )
    )
    eligible = Membership.objects.filter(workspace_id=viewer.workspace_id).filter(
        Q(role__in=everywhere) | (Q(role__in=own) & people)
    )
    may = Q(pk__in=eligible.values("user_id"))
    return account_selectors.member_users(viewer).filter(may | Q(pk=keep) if keep else may)


def offered_owners(
    viewer: Viewer, program: Program, *, typed: str, chosen: int | None, keep: int | None
) -> Offered[User]:
    """The metric form's owner options (``core.offering``): the chosen member and ``keep``
    (the saved owner), and the first others by name among ``metric_owners``, narrowed by
    what the "Find" box holds. Validation stays with every one of ``metric_owners``."""
    return account_selectors.offered_members(
        viewer,
        typed=typed,
        chosen=chosen,
        ticked=[keep] if keep else [],
        among=metric_owners(viewer, program, keep=keep),
    )


IMPORT_NAMES_SHOWN = 20  # the import page names this many of the program's metrics


def measured_metric_names(viewer: Viewer, program: Program) -> tuple[list[str], int]:
    """The names a measurements file may use: the program's current measured (not
    calculated) metrics the viewer may see, the first ``IMPORT_NAMES_SHOWN`` by name, and
    how many there are in all."""
    names = permissions.scope(
        viewer,
        "debrief.view",
        ScorecardMetric.objects.filter(
            program=program, archived_at__isnull=True, numerator__isnull=True
        ),
    ).order_by("name", "id")
    shown = list(names.values_list("name", flat=True)[: IMPORT_NAMES_SHOWN + 1])
    total = len(shown) if len(shown) <= IMPORT_NAMES_SHOWN else names.count()
    return shown[:IMPORT_NAMES_SHOWN], total


def example_metric_name(viewer: Viewer, program: Program) -> str | None:
    """A measured (not calculated) current metric of the program the viewer may see, by
    name, for the import page's example; None when it has none."""
    name: str | None = (
        permissions.scope(
            viewer,
            "debrief.view",
            ScorecardMetric.objects.filter(
                program=program, archived_at__isnull=True, numerator__isnull=True
            ),
        )
        .order_by("name", "id")
        .values_list("name", flat=True)
        .first()
    )
    return name


def with_recent(found: list[Any]) -> dict[int, list[tuple[date, Decimal]]]:
    """Each listed metric's (and each part's) recent values, oldest first, in one query:
    every series from where its ``SPARK_POINTS``-th latest value is (an index range each),
    so the cost follows the number of metrics, not of measurements. (A sliced ``Prefetch``
    numbers every measurement of every metric with a window function instead.)"""
    since: dict[int, date | None] = {}
    for m in found:
        since[m.pk] = m.spark_from
        if m.numerator_id is not None:
            since[m.numerator_id] = m.numerator_spark_from
            since[m.denominator_id] = m.denominator_spark_from
    if not since:
        return {}
    # The metrics whose recent values start on the same day share a range (metrics measured
    # on the same days, daily or weekly, do); those with fewer values are read whole.
    by_first: dict[date | None, list[int]] = {}
    for metric_id, first in since.items():
        by_first.setdefault(first, []).append(metric_id)
    # One OR node of all the ranges (``|=`` in a loop would copy the growing tree each time).
    ranges = Q(
        *(
            Q(metric_id__in=ids, on__gte=first) if first else Q(metric_id__in=ids)
            for first, ids in by_first.items()
        ),
        _connector=Q.OR,
    )
    series: dict[int, list[tuple[date, Decimal]]] = {pk: [] for pk in since}
    for metric_id, on, value in (
        Measurement.objects.filter(ranges)
        .order_by("metric_id", "on")
        .values_list("metric_id", "on", "value")
    ):
        series[metric_id].append((on, value))
    return series


def recent_points(
    metric: Any, series: dict[int, list[tuple[date, Decimal]]]
) -> list[tuple[date, Decimal]]:
    """A metric's recent values (oldest first): its own, or its parts' ratio on the days
    both were measured."""
    if metric.numerator_id is not None:
        dens = dict(series.get(metric.denominator_id, []))
        pairs = [(on, ratio(v, dens.get(on))) for on, v in series.get(metric.numerator_id, [])]
        return [(on, v) for on, v in pairs if v is not None]
    return list(series.get(metric.pk, []))


@dataclass
class ScorecardRow:
    metric: ScorecardMetric
    latest: Decimal | None
    latest_on: date | None
    progress: Progress
    missing: list[str]
    recent: list[tuple[date, Decimal]]


def scorecard(viewer: Viewer, program: Program) -> list[ScorecardRow]:
    """One row per metric of the program: latest value, progress, what it lacks, its trend."""
    return scorecard_rows(list(metrics(viewer, program)))


def _latest_in(
    metric: Any, series: dict[int, list[tuple[date, Decimal]]]
) -> tuple[Decimal | None, date | None] | None:
    """A metric's latest value and date as ``latest_of`` gives them, read from its recent
    values (``with_recent``), or None when they cannot tell. A measured metric's latest
    measurement is the last of its recent ones. A calculated metric's latest day with both
    parts measured is the last such day among its parts' recent values (each part's recent
    values are all of its values from some day on, so a later day would be among them too);
    when none is, it is older than what was read (or there is none)."""
    if metric.numerator_id is None:
        own = series.get(metric.pk)
        return (own[-1][1], own[-1][0]) if own else (None, None)
    numerators = series.get(metric.numerator_id, [])
    dens = dict(series.get(metric.denominator_id, []))
    for on, value in reversed(numerators):
        if on in dens:
            return ratio(value, dens[on]), on
    if metric.numerator_spark_from is None and metric.denominator_spark_from is None:
        return None, None  # both parts' values were read whole: they share no day
    return None


def scorecard_rows(found: list[ScorecardMetric]) -> list[ScorecardRow]:
    """The rows of ``found``, metrics read by ``metrics`` (all, or a page of them): their
    recent values in one query, their latest values from those (a second query, ``_latest``,
    only for calculated metrics whose parts share no recent day)."""
    series = with_recent(found)
    latest_by_pk = {m.pk: _latest_in(m, series) for m in found}
    unknown = [pk for pk, known in latest_by_pk.items() if known is None]
    if unknown:
        for m in _latest(ScorecardMetric.objects.filter(pk__in=unknown)):
            latest_by_pk[m.pk] = latest_of(m)
    rows = []
    for metric in found:
        latest, latest_on = latest_by_pk[metric.pk] or (None, None)
        rows.append(
            ScorecardRow(
                metric=metric,
                latest=latest,
                latest_on=latest_on,
                progress=progress(metric, latest, latest_on),
                missing=missing_for_ready(metric),
                recent=recent_points(metric, series),
            )
        )
    return rows


def checkpoints(viewer: Viewer, program: Program) -> QuerySet[Checkpoint]:
    """The results checkpoints of the program's debriefs the viewer may see."""
    debriefs = permissions.scope(viewer, "debrief.view", Debrief.objects.filter(program=program))
    return (
        Checkpoint.objects.filter(debrief__in=debriefs)
        .select_related("debrief__session")
        .order_by("on", "id")
    )


CHECKPOINTS_SHOWN = 5  # upcoming and reached checkpoints the scorecard page shows each
CHECKPOINT_STATES = {"reached": "Reached", "ahead": "Ahead"}


def listed(found: QuerySet[Checkpoint]) -> QuerySet[Any]:
    """What a list of checkpoints shows of each (its id, months, day, whether reached and
    its session's title), as rows: no checkpoint, debrief or session objects are built."""
    return found.values(
        "id", "months", "on", "reached_at", session_title=F("debrief__session__title")
    )


@dataclass
class CheckpointSummary:
    """What the scorecard page shows of the checkpoints: how many (reached, ahead), the next
    ones due (soonest first) and the latest reached (newest first), a few of each (rows of
    ``listed``)."""

    total: int
    reached: int
    ahead: int
    upcoming: list[dict[str, Any]]
    latest: list[dict[str, Any]]


def checkpoint_summary(
    viewer: Viewer, program: Program, shown: int = CHECKPOINTS_SHOWN
) -> CheckpointSummary:
    """Three queries whatever the number of checkpoints: the counts, the next ``shown`` due,
    the latest ``shown`` reached."""
    found = checkpoints(viewer, program).select_related(None)
    total, reached = _counts(found)
    return CheckpointSummary(
        total=total,
        reached=reached,
        ahead=total - reached,
        upcoming=list(listed(found.filter(reached_at__isnull=True).order_by("on", "id"))[:shown]),
        latest=list(listed(found.filter(reached_at__isnull=False).order_by("-on", "-id"))[:shown]),
    )


def _counts(found: QuerySet[Checkpoint]) -> tuple[int, int]:
    counts = found.order_by().aggregate(
        total=Count("id"), reached=Count("id", filter=Q(reached_at__isnull=False))
    )
    return counts["total"] or 0, counts["reached"] or 0


def checkpoint_counts(viewer: Viewer, program: Program) -> tuple[int, int]:
    """How many checkpoints the program has, and how many of them are reached (one query)."""
    return _counts(checkpoints(viewer, program).select_related(None))


def checkpoints_in_state(viewer: Viewer, program: Program, state: str) -> QuerySet[Any]:
    """The program's checkpoints for the full list (rows of ``listed``): ``reached`` newest
    first, ``ahead`` soonest first, any other state all of them by day."""
    found = checkpoints(viewer, program).select_related(None)
    if state == "reached":
        found = found.filter(reached_at__isnull=False).order_by("-on", "-id")
    elif state == "ahead":
        found = found.filter(reached_at__isnull=True).order_by("on", "id")
    return listed(found)


# --- one metric ------------------------------------------------------------------------------


def metric(viewer: Viewer, metric_id: int, action: str = "debrief.view") -> ScorecardMetric:
    """The metric, if the viewer may see it (NotFound otherwise), checked for ``action``
    (PermissionDenied when their role may not do that at all, or they may see the metric but
    not do that to it)."""
    if action != "debrief.view":
        permissions.scope(viewer, action, ScorecardMetric.objects.none())  # 403: never allowed
    found = permissions.get(
        viewer,
        "debrief.view",
        ScorecardMetric.objects.select_related(
            "owner", "numerator", "denominator", "program", "debrief__session"
        ).prefetch_related("serves"),
        pk=metric_id,
    )
    if action != "debrief.view":
        permissions.check(viewer, action, found)
    return found


def with_latest(viewer: Viewer, metric_id: int) -> Any:
    """One metric with its ``_latest`` annotation."""
    found: Any = permissions.get(
        viewer,
        "debrief.view",
        _latest(
            ScorecardMetric.objects.select_related(
                "owner", "numerator", "denominator", "program", "debrief__session"
            ).prefetch_related("serves")
        ),
        pk=metric_id,
    )
    return found


def series(metric: ScorecardMetric) -> QuerySet[Measurement]:
    """The metric's values, newest first: its measurements, or for a calculated metric its
    numerator's measurements on the dates its denominator was measured too, with
    ``denominator_value`` (the ratio is ``ratio(row.value, row.denominator_value)``)."""
    if metric.numerator_id is None:
        return (
            Measurement.objects.filter(metric=metric).select_related("recorded_by").order_by("-on")
        )
    den = Measurement.objects.filter(metric_id=metric.denominator_id, on=OuterRef("on"))
    return (
        Measurement.objects.filter(metric_id=metric.numerator_id)
        .annotate(denominator_value=Subquery(den.values("value")[:1]))
        .filter(denominator_value__isnull=False)
        .select_related("recorded_by")
        .order_by("-on")
    )


def value_of(row: Any, metric: ScorecardMetric) -> Decimal | None:
    if metric.numerator_id is None:
        return row.value  # type: ignore[no-any-return]
    return ratio(row.value, row.denominator_value)


def chart_points(metric: ScorecardMetric) -> list[tuple[date, Decimal]]:
    """The values the chart draws (the latest ``CHART_POINTS``), oldest first."""
    rows = list(series(metric)[:CHART_POINTS])
    points = [(r.on, value_of(r, metric)) for r in rows]
    return sorted((on, v) for on, v in points if v is not None)


def ratio_parts(viewer: Viewer, program: Program, exclude: int | None = None) -> QuerySet[Any]:
    """Measured metrics of the program a calculated metric may divide."""
    qs = permissions.scope(
        viewer,
        "debrief.view",
        ScorecardMetric.objects.filter(
            program=program, archived_at__isnull=True, numerator__isnull=True
        ),
    )
    return qs.exclude(pk=exclude) if exclude else qs


def metric_cards(
    viewer: Viewer, program_id: int, session_id: int | None = None
) -> QuerySet[Insight]:
    """The program's customer metric cards the viewer may see (those a metric may serve)."""
    qs = Insight.objects.filter(program_id=program_id, kind=InsightKind.CUSTOMER_METRIC).exclude(
        status="merged"
    )
    if session_id is not None:
        qs = qs.filter(session_id=session_id)
    return permissions.scope(viewer, "insight.view", qs).order_by("created_at", "id")


def offered_cards(
    viewer: Viewer, program_id: int, *, typed: str, ticked: Sequence[int]
) -> Offered[Insight]:
    """The metric form's "Customer metrics it serves" options (``core.offering``): the cards
    ticked, and the first others (oldest first) whose words hold what the "Find" box holds.
    One query, two with any ticked. Validation stays with every one of ``metric_cards``."""
    cards = metric_cards(viewer, program_id)
    typed = typed_words(typed)
    matching = cards.filter(text__icontains=typed) if typed else cards
    return offer(cards, matching, set(ticked), typed=typed, order=lambda c: (c.created_at, c.pk))


# --- checkpoints -----------------------------------------------------------------------------


def checkpoint(viewer: Viewer, checkpoint_id: int) -> Checkpoint:
    """A checkpoint of a debrief the viewer may see (else NotFound)."""
    debriefs = permissions.scope(viewer, "debrief.view", Debrief.objects.all())
    try:
        return Checkpoint.objects.select_related("debrief__session", "debrief__program").get(
            pk=checkpoint_id, debrief__in=debriefs
        )
    except (Checkpoint.DoesNotExist, ValueError, OverflowError):
        raise NotFound("Checkpoint not found.") from None


@dataclass
class CheckpointRecommendation:
    """A recommendation meant to move a metric, as it stood on a checkpoint's day: its latest
    decision taken by the end of that day (a later revisit is not what was decided then)."""

    link: RecommendationMetric
    rec: Recommendation
    decision: Decision


@dataclass
class CheckpointRow:
    metric: ScorecardMetric
    actual: Decimal | None
    actual_on: date | None
    forecast: Decimal | None
    target: Decimal | None
    progress: Progress
    recommendations: list[CheckpointRecommendation]


def checkpoint_report(viewer: Viewer, cp: Checkpoint) -> list[CheckpointRow]:
    """Per metric of the program: the actual value on the checkpoint's day (the latest
    measurement on or before it) against the forecast for that day and the target, with the
    recommendations meant to move it that were decided by the end of that day (in the
    session's time zone), each with its decision as it stood then."""
    found = list(
        _latest(
            permissions.scope(
                viewer,
                "debrief.view",
                ScorecardMetric.objects.filter(
                    program_id=cp.debrief.program_id, archived_at__isnull=True
                ),
            ),
            on_or_before=cp.on,
        ).order_by("name", "id")
    )
    day_ends = datetime.combine(
        cp.on + timedelta(days=1), time.min, tzinfo=ZoneInfo(cp.debrief.session.time_zone)
    )
    links: dict[int, list[CheckpointRecommendation]] = {}
    recommendations = permissions.scope(viewer, "debrief.view", Recommendation.objects.all())
    for link in (
        RecommendationMetric.objects.filter(
            metric__in=[m.pk for m in found],
            recommendation__in=recommendations.filter(decisions__at__lt=day_ends),
        )
        .select_related("recommendation")
        .prefetch_related(
            Prefetch(
                "recommendation__decisions",
                queryset=Decision.objects.filter(at__lt=day_ends).order_by("at", "id"),
            )
        )
        .order_by("recommendation_id")
    ):
        decisions = list(link.recommendation.decisions.all())
        if decisions:
            links.setdefault(link.metric_id, []).append(
                CheckpointRecommendation(link, link.recommendation, decisions[-1])
            )
    rows = []
    for m in found:
        actual, actual_on = latest_of(m)
        rows.append(
            CheckpointRow(
                metric=m,
                actual=actual,
                actual_on=actual_on,
                forecast=rounded_like(m, expected_on(m, cp.on), actual),
                target=m.target,
                progress=progress(m, actual, actual_on),
                recommendations=links.get(m.pk, []),
            )
        )
    return rows


def debrief_for_panel(viewer: Viewer, debrief_id: int) -> Debrief:
    return permissions.get(
        viewer, "debrief.view", Debrief.objects.select_related("session", "program"), pk=debrief_id
    )


# The room's scorecard panel lists this many of the session's customer metric cards (the
# panel's own page lists them all, a page at a time).
ROOM_CARDS = 10
CARDS_PAGE = 25


def room_panel(viewer: Viewer, debrief: Debrief, *, page: Any = None) -> dict[str, Any]:
    """The room's scorecard panel: the session's customer metric cards (each with the
    metrics serving it) and the metrics created in this debrief. The room shows the first
    ``ROOM_CARDS`` cards and how many there are; with ``page`` (the panel's own page), that
    page of ``CARDS_PAGE`` cards."""
    cards_qs = (
        metric_cards(viewer, debrief.program_id, session_id=debrief.session_id)
        .only("text")
        .prefetch_related(
            Prefetch(
                "scorecard_metrics",
                queryset=ScorecardMetric.objects.filter(archived_at__isnull=True).only("name"),
                to_attr="serving",
            )
        )
    )
    cards_page = None
    if page is None:
        cards = list(cards_qs[:ROOM_CARDS])
        total = cards_qs.count() if len(cards) == ROOM_CARDS else len(cards)
    else:
        cards_page = Paginator(cards_qs, CARDS_PAGE).get_page(page)
        cards, total = list(cards_page.object_list), cards_page.paginator.count
    created = list(
        permissions.scope(
            viewer,
            "debrief.view",
            ScorecardMetric.objects.filter(debrief=debrief, archived_at__isnull=True),
        ).order_by("name", "id")
    )
    return {
        "debrief": debrief,
        "cards": cards,
        "cards_total": total,
        "page": cards_page,
        "metrics": [(m, missing_for_ready(m)) for m in created],
        # The shortcut to a new metric: not on a closed debrief (it offers no editing).
        "can_manage": debrief.closed_at is None
        and permissions.can(viewer, "metric.manage", debrief),
    }


def unreached_checkpoints() -> QuerySet[Checkpoint]:
    """Checkpoints of closed debriefs not yet reached, with their sessions (the periodic job
    moves those whose session's end moved, and asks each session's time zone whether the
    day has come): three per closed debrief at most, for a year."""
    return (
        Checkpoint.objects.filter(reached_at__isnull=True, debrief__status=DebriefStatus.CLOSED)
        .select_related("debrief__session", "debrief__program")
        .order_by("on", "id")
    )


def local_midnight(day: date, tz: Any) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz)
