"""The scorecard's use-cases: define a program's metrics, record their measurements (by hand,
CSV or API: one row per metric and date, a corrected value replaces the old one and the audit
trail keeps what it was), and the results checkpoints 3, 6 and 12 months after a session.

Each checks, locks, validates, writes, audits and announces (``outbound``) in one
transaction.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, cast

from django.db import transaction
from django.db.models import Count, Q

from traction.accounts.models import Membership
from traction.core import audit, clock, permissions
from traction.core.dates import EARLIEST, check_window
from traction.core.errors import NotFound, PermissionDenied, ValidationFailed
from traction.core.permissions import Role, Scope, Viewer
from traction.core.text import (
    check_length,
    one_line_problem,
    require_one_line,
    too_long,
)
from traction.core.writes import expect_version, save_new, save_new_version, validate
from traction.debrief import measurements_csv, outbound
from traction.debrief import selectors_scorecards as sel
from traction.debrief.models import (
    CHECKPOINT_MONTHS,
    Checkpoint,
    Debrief,
    DebriefStatus,
    Direction,
    Measurement,
    MeasurementSource,
    ScorecardMetric,
)
from traction.programs.models import Program

NAME_MAX = 160
DEFINITION_MAX = 5_000  # as a customer card's text, which "metric from card" copies
# Why an archived metric is not changed (the edit page turns it into a pointer to Restore).
ARCHIVED = "This metric is archived; restore it first."
# What a metric's edit may change (``serves_ids``: the customer metric cards it serves).
METRIC_FIELDS = (
    "name",
    "definition",
    "unit",
    "direction",
    "frequency",
    "data_source",
    "owner_id",
    "baseline",
    "baseline_on",
    "target",
    "target_on",
    "forecast",
    "numerator_id",
    "denominator_id",
)
# A measurement may be dated at most this far ahead of today (time zones ahead of ours).
FUTURE_SLACK = timedelta(days=1)
# ... and not before ``core.dates.EARLIEST`` (1 January 2000): a scorecard tracks what a program
# changes now, and an earlier date is a typo or a spreadsheet's empty date (0001-01-01,
# 1900-01-00) that would stretch the chart over centuries.


def date_refusal(on: date) -> str:
    """Why a measurement cannot be dated ``on`` (too early or in the future), or ""."""
    if on < EARLIEST:
        return (
            f"{on.isoformat()} is before 1 January 2000, the earliest date a measurement may have"
        )
    if on > clock.today() + FUTURE_SLACK:
        return f"{on.isoformat()} is in the future"
    return ""


# Characters that show nothing and join nothing: a name pasted from a web page or a
# spreadsheet carries them unseen ("Churn\u200b" looks like "Churn"). The joiners (U+200C,
# U+200D) stay: some scripts and emoji need them.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u180e\u200b\u2060\ufeff"))


def metric_name(name: str) -> str:
    """A metric's name as stored: any run of whitespace (no-break and other Unicode spaces,
    tabs) as one space, none at either end, and no invisible characters (zero-width space,
    word joiner, byte order mark, soft hyphen)."""
    return " ".join(name.translate(_INVISIBLE).split())


def metric_key(name: str) -> str:
    """What two current metrics of a program may not share, and what the CSV import finds a
    metric by: the name as stored (``metric_name``), casefolded. The database backs it with
    a unique constraint on the lower-cased name (``metric_name_unique_in_program_ci``)."""
    return metric_name(name).casefold()


def _name_holder(metric: ScorecardMetric) -> str:
    """The name of another current metric of the program that has the metric's name,
    ignoring case and spacing (``metric_key``), or "". Archived metrics hold no name."""
    key = metric_key(metric.name)
    others = ScorecardMetric.objects.filter(
        program_id=metric.program_id, archived_at__isnull=True
    ).exclude(pk=metric.pk)
    for other in others.values_list("name", flat=True):
        if metric_key(other) == key:
            return str(other)
    return ""


def _name_taken(metric: ScorecardMetric) -> str:
    """Why the metric cannot have its name (another current metric of the program has it,
    ignoring case and spacing), or ""."""
    other = _name_holder(metric)
    return f"A metric named “{other}” already exists in this program." if other else ""


# --- payloads (the webhook events' stable JSON) ----------------------------------------------


def _num(value: Decimal | None) -> str | None:
    return None if value is None else f"{value.normalize():f}"


def payload_metric(metric: ScorecardMetric) -> dict[str, Any]:
    return {
        "id": metric.pk,
        "program_id": metric.program_id,
        "name": metric.name,
        "unit": metric.unit,
        "direction": metric.direction,
        "baseline": _num(metric.baseline),
        "target": _num(metric.target),
        "target_on": metric.target_on.isoformat() if metric.target_on else None,
    }


def payload_measurement(m: Measurement, corrected_from: Decimal | None) -> dict[str, Any]:
    return {
        "id": m.pk,
        "on": m.on.isoformat(),
        "value": _num(m.value),
        "note": m.note,
        "source": m.source,
        "corrected_from": _num(corrected_from),
    }


def payload_checkpoint(cp: Checkpoint) -> dict[str, Any]:
    debrief = cp.debrief
    return {
        "id": cp.pk,
        "debrief_id": cp.debrief_id,
        "session_id": debrief.session_id,
        "program_id": debrief.program_id,
        "months": cp.months,
        "on": cp.on.isoformat(),
        "reached_at": clock.iso_utc(cp.reached_at) if cp.reached_at else None,
    }


# --- permission on a program (creating a metric) ----------------------------------------------


def _on_program(q: Q) -> Q:
    """A debrief rule's OWN filter (``program__…``) read on the program itself."""
    out = Q()
    out.connector, out.negated = q.connector, q.negated
    for child in q.children:
        if isinstance(child, Q):
            out.children.append(_on_program(child))
        else:
            key, value = cast(tuple[str, Any], child)
            if not key.startswith("program__"):
                raise ValueError(f"{key} is not a filter on the program")
            out.children.append((key.removeprefix("program__"), value))
    return out


def check_in_program(actor: Viewer, action: str, program: Program) -> None:
    """``action`` on records of ``program``, before any exists (a new metric)."""
    permissions.check(actor, action)
    if program.workspace_id != actor.workspace_id:
        raise NotFound("Program not found.")
    rule = permissions.registry.get(action)
    if rule.scope_for(actor.role) is Scope.OWN:
        mine = Program.objects.filter(pk=program.pk).filter(_on_program(rule.own_filter(actor)))
        if not mine.exists():
            raise PermissionDenied("Only the program's team may define its scorecard.")


# --- metrics ---------------------------------------------------------------------------------


def _decimal(name: str, value: Any, errors: dict[str, list[str]]) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        value = f"{value}"
    try:
        return measurements_csv.parse_value(str(value))
    except ValueError as exc:
        errors.setdefault(name, []).append(str(exc))
        return None


def _forecast(raw: Any, errors: dict[str, list[str]]) -> list[dict[str, str]]:
    """A forecast path as stored: [{"on": ISO date, "value": "12.5"}], in date order."""
    if not raw:
        return []
    points: dict[date, Decimal] = {}
    for i, point in enumerate(raw, start=1):
        try:
            on = point["on"] if isinstance(point["on"], date) else date.fromisoformat(point["on"])
            value = measurements_csv.parse_value(str(point["value"]))
        except (KeyError, TypeError, ValueError) as exc:
            reason = str(exc) if isinstance(exc, ValueError) else "it needs a date and a value"
            errors.setdefault("forecast", []).append(f"Point {i}: {reason}")
            continue
        if on in points:
            errors.setdefault("forecast", []).append(
                f"Point {i}: {on.isoformat()} is in the path twice."
            )
        points[on] = value
    return [{"on": d.isoformat(), "value": f"{v.normalize():f}"} for d, v in sorted(points.items())]


def parse_forecast_text(text: str) -> list[dict[str, str]]:
    """The forecast as people type it: one "YYYY-MM-DD value" per line (or comma-separated);
    ValidationFailed on ``forecast`` naming each bad line."""
    errors: dict[str, list[str]] = {}
    points = _forecast_lines(text, errors)
    if errors:
        raise ValidationFailed(errors)
    return points


def _forecast_lines(text: str, problems: dict[str, list[str]]) -> list[dict[str, str]]:
    """``parse_forecast_text``, each bad line added to ``problems["forecast"]``; the good
    ones in date order (the path is read in date order)."""
    points: list[dict[str, str]] = []
    errors: list[str] = []
    for i, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.replace(",", " ", 1).replace(";", " ", 1).split()
        if len(parts) != 2:
            errors.append(f"Line {i}: write a date and a value, e.g. 2027-06-30 42.")
            continue
        try:
            on = measurements_csv.parse_date(parts[0])
            value = measurements_csv.parse_value(parts[1])
        except ValueError as exc:
            errors.append(f"Line {i}: {exc}")
            continue
        points.append({"on": on.isoformat(), "value": f"{value.normalize():f}"})
    if errors:
        problems.setdefault("forecast", []).extend(errors)
    return _forecast(points, problems)


def _owner_problem(actor: Viewer, metric: ScorecardMetric, owner_id: int) -> str:
    """Why the metric's owner cannot own it, or "": the owner reports it, so they must be
    able to see it and record its measurements (``selectors_scorecards.metric_owners``)."""
    program = Program.objects.get(pk=metric.program_id)
    if sel.metric_owners(actor, program).filter(pk=owner_id).exists():
        return ""
    role = (
        Membership.objects.filter(workspace_id=actor.workspace_id, user_id=owner_id)
        .values_list("role", flat=True)
        .first()
    )
    if role is None:
        return "The owner must be a current member of this workspace."
    if role == Role.OBSERVER:
        return "Observers change nothing, so they cannot own a metric: choose another."
    return (
        "The owner must be able to see and measure this program's metrics: choose its "
        "sponsor, a member of its team, a policy maker, a facilitator or an admin."
    )


def _check_metric(
    actor: Viewer,
    metric: ScorecardMetric,
    serves_ids: Sequence[int] | None,
    *,
    new_owner: bool = True,
    errors: dict[str, list[str]] | None = None,
) -> None:
    """The metric's rules across fields; ValidationFailed names each field, with ``errors``
    (what reading its values found) too: every problem in one answer, so that a form shows
    them all at once. The owner is checked when chosen (``new_owner``): one who left the
    program since stays until someone chooses another."""
    errors = {k: list(v) for k, v in (errors or {}).items()}
    for name in ("name", "unit", "data_source"):
        if problem := one_line_problem(getattr(metric, name)):
            errors[name] = [problem]
    if not metric.name:
        errors["name"] = ["Name the metric."]
    elif len(metric.name) > NAME_MAX:
        check_length(errors, "name", metric.name, NAME_MAX)
    elif "name" not in errors and (taken := _name_taken(metric)):
        errors["name"] = [taken]
    owner_id = metric.owner_id
    if owner_id is not None and new_owner and (problem := _owner_problem(actor, metric, owner_id)):
        errors["owner_id"] = [problem]
    if metric.baseline is not None and metric.target is not None:
        if metric.direction == Direction.UP and metric.target < metric.baseline:
            errors["target"] = [
                "Higher is better for this metric: the target cannot be below the baseline."
            ]
        if metric.direction == Direction.DOWN and metric.target > metric.baseline:
            errors["target"] = [
                "Lower is better for this metric: the target cannot be above the baseline."
            ]
    if metric.baseline_on and metric.target_on and metric.target_on <= metric.baseline_on:
        errors.setdefault("target_on", []).append(
            "The target date must be after the baseline date."
        )
    if (metric.numerator_id is None) != (metric.denominator_id is None):
        errors["denominator_id" if metric.denominator_id is None else "numerator_id"] = [
            "A calculated metric needs both a numerator and a denominator."
        ]
    elif metric.numerator_id is not None:
        _check_ratio(metric, errors)
    if serves_ids:
        visible = set(
            sel.metric_cards(actor, metric.program_id)
            .filter(pk__in=serves_ids)
            .values_list("pk", flat=True)
        )
        unknown = sorted(set(serves_ids) - visible)
        if unknown:
            errors["serves_ids"] = [
                "Choose customer metric cards of this program "
                f"(not: {', '.join(str(i) for i in unknown)})."
            ]
    if errors:
        raise ValidationFailed(errors)


def _check_ratio(metric: ScorecardMetric, errors: dict[str, list[str]]) -> None:
    """A ratio of two measured metrics of the same program: no cycles, no parts that are
    themselves calculated, no measurements of its own."""
    if metric.numerator_id == metric.denominator_id:
        errors["denominator_id"] = ["The numerator and the denominator must be different."]
        return
    if metric.pk is not None and metric.pk in (metric.numerator_id, metric.denominator_id):
        errors["numerator_id"] = ["A metric cannot be calculated from itself."]
        return
    parts = {
        m.pk: m
        for m in ScorecardMetric.objects.filter(
            pk__in=[metric.numerator_id, metric.denominator_id], workspace_id=metric.workspace_id
        )
    }
    for name in ("numerator_id", "denominator_id"):
        part = parts.get(getattr(metric, name))
        if part is None or part.program_id != metric.program_id or part.archived_at is not None:
            errors[name] = ["Choose a current metric of the same program."]
        elif part.numerator_id is not None:
            errors[name] = [f"“{part.name}” is itself calculated; choose a measured metric."]
    if metric.pk is not None:
        if Measurement.objects.filter(metric_id=metric.pk).exists():
            errors.setdefault("numerator_id", []).append(
                "This metric already has measurements; it cannot become a calculated one."
            )
        if ScorecardMetric.objects.filter(
            Q(numerator_id=metric.pk) | Q(denominator_id=metric.pk), archived_at__isnull=True
        ).exists():
            errors.setdefault("numerator_id", []).append(
                "Another metric is calculated from this one; it must stay measured."
            )


def _normalise(values: dict[str, Any]) -> dict[str, list[str]]:
    """Numbers, forecast and text as stored; the problems found, by field."""
    errors: dict[str, list[str]] = {}
    for name in ("baseline", "target"):
        if name in values:
            values[name] = _decimal(name, values[name], errors)
    if isinstance(values.get("forecast"), str):  # as typed in the form
        values["forecast"] = _forecast_lines(values["forecast"], errors)
    elif "forecast" in values:
        values["forecast"] = _forecast(values["forecast"], errors)
    for name in ("baseline_on", "target_on"):  # changed ones: a stored date stays
        if isinstance(values.get(name), date):
            check_window(errors, name, values[name])
    for name in ("unit", "data_source"):
        if name in values and isinstance(values[name], str):
            values[name] = values[name].strip()
    if isinstance(values.get("name"), str) and not one_line_problem(values["name"]):
        values["name"] = metric_name(values["name"])  # a line break is refused, not joined
    return errors


def _lock_program(program_id: int) -> None:
    """One writer of the program's metric names at a time (creating, renaming, restoring):
    two people giving two metrics the same name at once get the message, not the
    database's refusal. Call it inside the transaction, before locking a metric."""
    Program.objects.select_for_update().filter(pk=program_id).first()


def create_metric(
    actor: Viewer,
    *,
    program: Program,
    name: str,
    debrief: Debrief | None = None,
    serves_ids: Sequence[int] = (),
    **values: Any,
) -> ScorecardMetric:
    """A new metric of the program's scorecard (created in ``debrief`` when given)."""
    check_in_program(actor, "metric.manage", program)
    refused = sorted(set(values) - set(METRIC_FIELDS))
    if refused:
        raise ValidationFailed({f: ["This field cannot be set here."] for f in refused})
    if debrief is not None and debrief.program_id != program.pk:
        raise ValidationFailed.field("debrief_id", "The debrief belongs to another program.")
    values["name"] = name
    errors = _normalise(values)
    check_length(errors, "definition", values.get("definition") or "", DEFINITION_MAX)
    with transaction.atomic():
        _lock_program(program.pk)
        metric = ScorecardMetric(
            workspace_id=actor.workspace_id, program=program, debrief=debrief, **values
        )
        _check_metric(actor, metric, serves_ids, errors=errors)
        save_new(metric)
        if serves_ids:
            metric.serves.set(serves_ids)
        audit.record(
            actor,
            action="metric.created",
            obj=metric,
            changes={"program_id": program.pk, "serves": sorted(serves_ids), **_snapshot(metric)},
        )
    return metric


def _snapshot(metric: ScorecardMetric) -> dict[str, Any]:
    return audit.snapshot(metric, list(METRIC_FIELDS))


def metric_values_from_card(actor: Viewer, *, debrief: Debrief, insight_id: int) -> dict[str, Any]:
    """The room's shortcut: the new-metric form's values from a customer metric card of the
    session (named and defined from its words, serving it). Nothing is created here: the
    metric is made when that form is saved, so leaving the form leaves nothing behind and a
    second click makes no second metric. Refused on a closed debrief and for a card that a
    current metric already serves (named: edit that one)."""
    permissions.check(actor, "metric.manage", debrief)
    if debrief.closed_at is not None:
        raise ValidationFailed.field(
            "__all__", "This debrief is closed: add metrics from the program's scorecard."
        )
    if not insight_id:
        raise ValidationFailed({"insight_id": ["Choose a customer metric card first."]})
    card = sel.metric_cards(actor, debrief.program_id).filter(pk=insight_id).first()
    if card is None:
        raise NotFound("Customer metric card not found.")
    serving = list(
        ScorecardMetric.objects.filter(serves=card, archived_at__isnull=True)
        .order_by("name")
        .values_list("name", flat=True)
    )
    if serving:
        names = ", ".join(f"“{n}”" for n in serving)
        raise ValidationFailed(
            {"insight_id": [f"This card is already served by {names}: edit that metric instead."]}
        )
    text = " ".join(card.text.split())
    name = text if len(text) <= 120 else text[:119].rstrip() + "…"
    return {"name": name, "definition": card.text, "serves": [card.pk]}


def update_metric(
    actor: Viewer,
    *,
    metric: ScorecardMetric,
    changes: Mapping[str, Any],
    version: int | None,
    serves_ids: Sequence[int] | None = None,
) -> ScorecardMetric:
    """Change some of a metric's fields (and the cards it serves) if nobody saved it since
    ``version``; a stale edit is refused (Conflict), never lost."""
    permissions.check(actor, "metric.manage", metric)
    refused = sorted(set(changes) - set(METRIC_FIELDS))
    if refused:
        raise ValidationFailed({f: ["This field cannot be changed here."] for f in refused})
    values = dict(changes)
    errors = _normalise(values)
    if values.get("definition", metric.definition) != metric.definition:  # a stored one stays
        check_length(errors, "definition", values["definition"] or "", DEFINITION_MAX)
    with transaction.atomic():
        if "name" in values:
            _lock_program(metric.program_id)
        locked = ScorecardMetric.objects.select_for_update().get(pk=metric.pk)
        expect_version(locked, version)
        if locked.archived_at is not None:
            raise ValidationFailed.field("__all__", ARCHIVED)
        before = _snapshot(locked)
        before_serves = sorted(locked.serves.values_list("pk", flat=True))
        for name, value in values.items():
            setattr(locked, name, value)
        _check_metric(
            actor,
            locked,
            serves_ids,
            new_owner=locked.owner_id != before.get("owner_id"),
            errors=errors,
        )
        validate(locked)
        delta = audit.diff(before, _snapshot(locked))
        if serves_ids is not None and sorted(serves_ids) != before_serves:
            delta["serves"] = [before_serves, sorted(serves_ids)]
        if not delta:
            return locked
        save_new_version(locked)
        if serves_ids is not None:
            locked.serves.set(serves_ids)
        audit.record(actor, action="metric.changed", obj=locked, changes=delta)
    return locked


def archive_metric(
    actor: Viewer, *, metric: ScorecardMetric, version: int | None
) -> ScorecardMetric:
    """Take a metric off the scorecard; its measurements are kept."""
    permissions.check(actor, "metric.manage", metric)
    with transaction.atomic():
        locked = ScorecardMetric.objects.select_for_update().get(pk=metric.pk)
        expect_version(locked, version)
        if locked.archived_at is not None:
            return locked
        users = ScorecardMetric.objects.filter(
            Q(numerator_id=locked.pk) | Q(denominator_id=locked.pk), archived_at__isnull=True
        ).values_list("name", flat=True)
        if users:
            raise ValidationFailed.field(
                "__all__",
                f"“{', '.join(users)}” is calculated from this metric; archive or change it first.",
            )
        locked.archived_at = clock.now()
        save_new_version(locked, fields=["archived_at"])
        audit.record(actor, action="metric.archived", obj=locked)
    return locked


def _check_parts_restored(metric: ScorecardMetric) -> None:
    """A calculated metric comes back only with both its parts current (and still measured
    ones, ``_check_ratio``): one archived since is named, to be restored first."""
    archived = list(
        ScorecardMetric.objects.filter(
            pk__in=[metric.numerator_id, metric.denominator_id], archived_at__isnull=False
        )
        .order_by("name")
        .values_list("name", flat=True)
    )
    if archived:
        named = " and ".join(f"“{name}”" for name in archived)
        verb = "is" if len(archived) == 1 else "are"
        raise ValidationFailed.field(
            "__all__",
            f"This metric is calculated from {named}, which {verb} archived: "
            f"restore {named} first.",
        )
    errors: dict[str, list[str]] = {}
    _check_ratio(metric, errors)
    if errors:
        raise ValidationFailed({"__all__": [m for found in errors.values() for m in found]})


def restore_metric(
    actor: Viewer, *, metric: ScorecardMetric, version: int | None
) -> ScorecardMetric:
    """Put an archived metric back on the scorecard as it was, with its measurements. Who
    may archive it may restore it. Refused (each said plainly) when it is not archived, when
    a part of its ratio is still archived, or when a current metric of the program has taken
    its name since (``_name_holder``: ignoring case, spacing and invisible characters; on
    ``name``). Its name comes back as names are stored now (``metric_name``)."""
    permissions.check(actor, "metric.manage", metric)
    with transaction.atomic():
        _lock_program(metric.program_id)  # the name is checked and taken under the lock
        locked = ScorecardMetric.objects.select_for_update().get(pk=metric.pk)
        expect_version(locked, version)
        if locked.archived_at is None:
            raise ValidationFailed.field("__all__", "This metric is not archived.")
        if locked.numerator_id is not None:
            _check_parts_restored(locked)
        before = locked.name
        locked.name = metric_name(locked.name)  # archived before names lost invisible characters
        if other := _name_holder(locked):
            raise ValidationFailed.field(
                "name",
                f"A current metric of this program is named “{other}”: rename or archive "
                "that one first, then restore this one.",
            )
        archived_at = locked.archived_at
        locked.archived_at = None
        save_new_version(locked, fields=["archived_at", "name"])
        changes: dict[str, Any] = {"archived_at": [clock.iso_utc(archived_at), None]}
        if locked.name != before:
            changes["name"] = [before, locked.name]
        audit.record(actor, action="metric.restored", obj=locked, changes=changes)
    return locked


# --- measurements ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One measurement to write: by hand, a CSV row (``line``) or an API item (``line``: its
    position in the list)."""

    metric: ScorecardMetric
    on: date
    value: Decimal
    note: str = ""
    line: int | None = None
    place: str = "Line"  # what ``line`` is: "Row" of a workbook's sheet


@dataclass
class Outcome:
    """What a write did (or, for a preview, would do)."""

    created: int = 0
    corrected: int = 0
    unchanged: int = 0
    # (entry, old value or None): the rows as written, for the preview and the API.
    rows: list[tuple[Entry, Measurement | None]] = field(default_factory=list)
    # What the preview should point out, though nothing is wrong enough to refuse (a "%"
    # on a metric not measured in %), "Line n: …".
    warnings: list[str] = field(default_factory=list)
    place: str = "Line"  # what an imported row's ``line`` is: "Row" of a workbook's sheet

    @property
    def written(self) -> int:
        return self.created + self.corrected


def percent_warning(where: str, metric: ScorecardMetric, value: Decimal) -> str | None:
    """The warning for a value written with a "%" (read as the number before it) on a metric
    not measured in %, said where it was written ("Line 4", "Item 2", "value"); None when
    the metric is measured in %. Not a refusal: "45%" of a metric in points is still 45."""
    if "%" in metric.unit:
        return None
    unit = f"in {metric.unit}" if metric.unit else "without a unit"
    return (
        f"{where}: the value has a “%” and is read as {value.normalize():f}, but "
        f"“{metric.name}” is measured {unit}."
    )


def _where(entry: Entry) -> str:
    return f"{entry.place} {entry.line}: " if entry.line is not None else ""


def _check_entries(actor: Viewer, entries: Sequence[Entry]) -> None:
    """Every problem with every entry at once (all or nothing)."""
    problems: list[str] = []
    seen: dict[tuple[int, date], Entry] = {}
    for entry in entries:
        m = entry.metric
        if m.workspace_id != actor.workspace_id:
            raise NotFound("Metric not found.")
        if m.numerator_id is not None:
            problems.append(
                f"{_where(entry)}“{m.name}” is calculated from two other metrics; "
                "record those instead."
            )
        elif m.archived_at is not None:
            problems.append(f"{_where(entry)}“{m.name}” is archived.")
        if refusal := date_refusal(entry.on):
            problems.append(f"{_where(entry)}{refusal}.")
        if len(entry.note) > measurements_csv.NOTE_MAX:
            problems.append(
                f"{_where(entry)}the note is too long. "
                + too_long(measurements_csv.NOTE_MAX, len(entry.note))
            )
        key = (m.pk, entry.on)
        if key in seen:
            first = seen[key]
            where = (
                f"{first.place.lower()} {first.line}" if first.line is not None else "another row"
            )
            problems.append(
                f"{_where(entry)}“{m.name}” on {entry.on.isoformat()} is already in {where}."
            )
        else:
            seen[key] = entry
    if problems:
        raise ValidationFailed({"measurements": problems})


def _check_measure(actor: Viewer, metrics: Iterable[ScorecardMetric]) -> None:
    distinct = {m.pk: m for m in metrics}
    permissions.check(actor, "metric.measure")
    allowed = set(
        permissions.scope(
            actor, "metric.measure", ScorecardMetric.objects.filter(pk__in=list(distinct))
        ).values_list("pk", flat=True)
    )
    refused = [m.name for pk, m in distinct.items() if pk not in allowed]
    if refused:
        raise PermissionDenied(f"You may not record measurements of: {', '.join(sorted(refused))}.")


def record_measurements(
    actor: Viewer,
    *,
    entries: Sequence[Entry],
    source: str = MeasurementSource.MANUAL,
    dry_run: bool = False,
) -> Outcome:
    """Write measurements, keyed by metric and date: a new date adds one, a known date with
    another value (or note) corrects it (audited old → new), the same value changes nothing.
    All or nothing: any bad entry refuses them all, each problem named. ``dry_run``: what it
    would do, writing nothing."""
    if not entries:
        raise ValidationFailed.field("measurements", "There is nothing to record.")
    _check_measure(actor, [e.metric for e in entries])
    _check_entries(actor, entries)
    outcome = Outcome()
    with transaction.atomic():
        metric_ids = sorted({e.metric.pk for e in entries})
        # One writer per metric at a time: two imports of the same day never race.
        locked = {
            m.pk: m for m in ScorecardMetric.objects.select_for_update().filter(pk__in=metric_ids)
        }
        existing = {
            (m.metric_id, m.on): m
            for m in Measurement.objects.filter(
                metric_id__in=metric_ids, on__in={e.on for e in entries}
            )
        }
        new: list[Measurement] = []
        changed: list[tuple[Measurement, Decimal, str]] = []
        for entry in entries:
            old = existing.get((entry.metric.pk, entry.on))
            if old is None:
                outcome.created += 1
                outcome.rows.append((entry, None))
                new.append(
                    Measurement(
                        workspace_id=actor.workspace_id,
                        metric_id=entry.metric.pk,
                        on=entry.on,
                        value=entry.value,
                        note=entry.note,
                        source=source,
                        recorded_by_id=actor.user_id,
                    )
                )
            elif old.value == entry.value and old.note == entry.note:
                outcome.unchanged += 1
                outcome.rows.append((entry, old))
            else:
                outcome.corrected += 1
                outcome.rows.append((entry, old))
                changed.append((old, old.value, old.note))
        if dry_run:
            transaction.set_rollback(True)
            return outcome
        created = Measurement.objects.bulk_create(new, batch_size=1000)
        now = clock.now()
        by_key = {(e.metric.pk, e.on): e for e in entries}
        for m, _, _ in changed:
            entry = by_key[(m.metric_id, m.on)]
            m.value, m.note, m.source = entry.value, entry.note, source
            m.recorded_by_id, m.recorded_at = actor.user_id, now
        Measurement.objects.bulk_update(
            [m for m, _, _ in changed],
            ["value", "note", "source", "recorded_by", "recorded_at"],
            batch_size=1000,
        )
        for m, old_value, old_note in changed:
            delta: dict[str, Any] = {"value": [_num(old_value), _num(m.value)]}
            if old_note != m.note:
                delta["note"] = [old_note, m.note]
            audit.record(
                actor,
                action="measurement.corrected",
                obj=locked[m.metric_id],
                changes={"on": m.on.isoformat(), **delta},
            )
        if created:
            for metric_id in metric_ids:
                mine = [m for m in created if m.metric_id == metric_id]
                if mine:
                    audit.record(
                        actor,
                        action="measurement.recorded",
                        obj=locked[metric_id],
                        changes={
                            "source": source,
                            "count": len(mine),
                            "dates": [mine[0].on.isoformat(), mine[-1].on.isoformat()]
                            if len(mine) > 1
                            else [mine[0].on.isoformat()],
                        },
                    )
        corrected_from = {(m.metric_id, m.on): v for m, v, _ in changed}
        for metric_id in metric_ids:
            written = [m for m in created if m.metric_id == metric_id] + [
                m for m, _, _ in changed if m.metric_id == metric_id
            ]
            if written:
                metric = locked[metric_id]
                outbound.announce(
                    workspace_id=metric.workspace_id,
                    event="metric.measured",
                    program_id=metric.program_id,
                    data={
                        "metric": payload_metric(metric),
                        "measurements": [
                            payload_measurement(m, corrected_from.get((metric_id, m.on)))
                            for m in sorted(written, key=lambda m: m.on)
                        ],
                    },
                )
    return outcome


def record_measurement(
    actor: Viewer,
    *,
    metric: ScorecardMetric,
    on: date,
    value: Decimal | str,
    note: str = "",
    source: str = MeasurementSource.MANUAL,
) -> Measurement:
    """One measurement by hand or through the API: added, or the day's value corrected."""
    errors: dict[str, list[str]] = {}
    number = _decimal("value", value, errors)
    if number is None and not errors:
        errors["value"] = ["Enter the measured value."]
    if errors or number is None:
        raise ValidationFailed(errors)
    require_one_line(note=note)
    record_measurements(
        actor, entries=[Entry(metric=metric, on=on, value=number, note=note.strip())], source=source
    )
    return Measurement.objects.get(metric=metric, on=on)


def import_measurements(
    actor: Viewer, *, program: Program, data: bytes, dry_run: bool = False, filename: str = ""
) -> Outcome:
    """A CSV file or an Excel workbook of measurements of the program's metrics
    (``measurements_csv``), all or nothing: every bad row is named by its line (a sheet's
    by its row). Re-importing a corrected file corrects the
    values it changes and duplicates nothing. ``filename`` names the file in a refusal of
    the whole file (too many rows)."""
    permissions.check(actor, "metric.measure")
    try:
        parsed = measurements_csv.parse(data, filename)
    except measurements_csv.CsvRefused as exc:
        # ``from exc``: the web form shows a refusal of the whole file beside its field.
        raise ValidationFailed.field("file", exc.message) from exc
    # The program's metrics by ``metric_key``: a name in the file finds its metric whatever
    # its case and spacing (a no-break space pasted from a web page, a trailing space).
    visible: dict[str, list[ScorecardMetric]] = {}
    for m in permissions.scope(
        actor,
        "debrief.view",
        ScorecardMetric.objects.filter(program=program, archived_at__isnull=True),
    ):
        visible.setdefault(metric_key(m.name), []).append(m)
    problems = [(line, message) for line, message in parsed.errors]
    warnings: list[str] = []
    entries: list[Entry] = []
    seen: dict[tuple[str, date], int] = {}
    for row in parsed.rows:
        found = visible.get(metric_key(row.metric), [])
        metric = found[0] if len(found) == 1 else None
        key = (metric_key(row.metric), row.on)
        # Every problem of every line in one answer: the date's too (not a second pass).
        if refusal := date_refusal(row.on):
            problems.append((row.line, refusal))
        if len(found) > 1:
            # Names from before they had to differ in more than case and spacing.
            names = " and ".join(f"“{m.name}”" for m in found)
            problems.append(
                (row.line, f"“{row.metric}” could be {names}; rename one of them first")
            )
        elif metric is None:
            problems.append((row.line, f"no metric named “{row.metric}” in this program"))
        elif metric.numerator_id is not None:
            problems.append(
                (row.line, f"“{metric.name}” is calculated from two other metrics; record those")
            )
        elif key in seen:
            problems.append(
                (
                    row.line,
                    f"“{row.metric}” on {row.on.isoformat()} is already on "
                    f"{parsed.place.lower()} {seen[key]}",
                )
            )
        elif not refusal:
            entries.append(
                Entry(
                    metric=metric,
                    on=row.on,
                    value=row.value,
                    note=row.note,
                    line=row.line,
                    place=parsed.place,
                )
            )
            where = f"{parsed.place} {row.line}"
            if row.percent and (warning := percent_warning(where, metric, row.value)):
                warnings.append(warning)
        seen.setdefault(key, row.line)
    if problems:
        raise ValidationFailed(
            {
                "file": [
                    f"{parsed.place} {line}: {message.rstrip('.')}."
                    for line, message in sorted(problems)
                ]
            }
        )
    source = MeasurementSource.XLSX if parsed.encoding == "xlsx" else MeasurementSource.CSV
    outcome = record_measurements(actor, entries=entries, source=source, dry_run=dry_run)
    outcome.warnings = warnings
    outcome.place = parsed.place
    return outcome


# --- checkpoints -----------------------------------------------------------------------------


def checkpoint_days(debrief: Debrief) -> dict[int, date]:
    """Each checkpoint's day: the same calendar day as the session's end in the session's
    time zone, 3, 6 and 12 months on (clamped to the month's end)."""
    session = debrief.session
    ended = session.ended_at.astimezone(zoneinfo.ZoneInfo(session.time_zone)).date()
    return {months: sel.add_months(ended, months) for months in CHECKPOINT_MONTHS}


def ensure_checkpoints(debrief: Debrief) -> list[Checkpoint]:
    """The debrief's checkpoints, created when missing; the day of one not yet reached
    follows the session's end when it moved. Only a closed debrief has checkpoints: closing
    makes them (``closing.close_debrief``), and the periodic job makes those of any closed
    debrief that lacks some (``reach_checkpoints``). A debrief not closed (booked, open,
    late or missed, cancelled) gets none."""
    if debrief.status == DebriefStatus.CLOSED:
        _make_checkpoints([debrief])
    return list(Checkpoint.objects.filter(debrief=debrief).order_by("on"))


def _make_checkpoints(debriefs: Sequence[Debrief]) -> int:
    """The missing checkpoints of these closed debriefs (``session`` read with them), in
    one insert; how many were made."""
    missing = []
    have = set(Checkpoint.objects.filter(debrief__in=debriefs).values_list("debrief_id", "months"))
    for debrief in debriefs:
        for months, on in checkpoint_days(debrief).items():
            if (debrief.pk, months) not in have:
                missing.append(Checkpoint(debrief=debrief, months=months, on=on))
    Checkpoint.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing)


def _follow_session_ends(unreached: Sequence[Checkpoint]) -> int:
    """Unreached checkpoints whose day no longer matches their session's end (its actual
    end confirmed after closing, say) move to the day it gives, a 6-month one even after
    its 3-month sibling was reached; how many moved (one update for them all)."""
    moved = []
    for cp in unreached:
        day = checkpoint_days(cp.debrief).get(cp.months)
        if day is not None and day != cp.on:
            cp.on = day
            moved.append(cp)
    if moved:
        Checkpoint.objects.bulk_update(moved, ["on"], batch_size=500)
    return len(moved)


def reach_checkpoints() -> dict[str, int]:
    """The periodic job: each closed debrief has its checkpoints (closing made them; this
    catches up one that lacks some), the days of those not reached follow their session's
    end, and each whose day has come in its session's time zone is stamped ``reached_at``
    and announced, once. Two reads whatever the number of debriefs (closed ones lacking
    checkpoints, unreached checkpoints of closed ones), then only the work due: it never
    visits a debrief that needs nothing."""
    lacking = list(
        Debrief.objects.filter(status=DebriefStatus.CLOSED)
        .annotate(made=Count("checkpoints"))
        .filter(made__lt=len(CHECKPOINT_MONTHS))
        .select_related("session")
    )
    made = _make_checkpoints(lacking) if lacking else 0
    unreached = list(sel.unreached_checkpoints())
    moved = _follow_session_ends(unreached)
    reached = 0
    now = clock.now()
    # The day may have come already where the clock is ahead of UTC (up to 14 hours).
    horizon = (now + timedelta(days=1)).date()
    for cp in unreached:
        if cp.on > horizon:
            continue
        tz = zoneinfo.ZoneInfo(cp.debrief.session.time_zone)
        if now < sel.local_midnight(cp.on, tz):
            continue
        with transaction.atomic():
            stamped = Checkpoint.objects.filter(pk=cp.pk, reached_at__isnull=True).update(
                reached_at=now
            )
            if not stamped:
                continue  # another run took it
            cp.reached_at = now
            audit.record(
                None,
                action="checkpoint.reached",
                obj=cp,
                workspace_id=cp.debrief.workspace_id,
                changes={"months": cp.months, "on": cp.on.isoformat()},
            )
            outbound.announce(
                workspace_id=cp.debrief.workspace_id,
                event="checkpoint.reached",
                program_id=cp.debrief.program_id,
                data={"checkpoint": payload_checkpoint(cp)},
            )
        reached += 1
    return {"checkpoints_made": made, "checkpoints_moved": moved, "checkpoints_reached": reached}
