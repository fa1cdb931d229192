"""The debrief room's use-cases: opening the room, its plan of time-boxed phases and the
phase the facilitator sets (docs/debrief.md, "The debrief room").

Each checks ``debrief.run``, locks the debrief, validates, writes its next version and audits
in one transaction; an edit based on an older version is a ``Conflict``.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction

from traction.core import audit, clock, permissions
from traction.core.errors import ValidationFailed
from traction.core.permissions import Viewer
from traction.core.text import check_length, one_line_problem
from traction.core.writes import expect_version, save_new_version
from traction.debrief.models import ClockEvent, Debrief, DebriefStatus
from traction.debrief.services.clock import record_clock_event

# A phase is between one minute and the whole three-hour meeting; a plan has 1 to 15 phases.
PHASE_MINUTES = (1, 240)
MAX_PHASES = 15
TITLE_LENGTH = 120


def _locked(debrief: Debrief) -> Debrief:
    return Debrief.objects.select_for_update().get(pk=debrief.pk)


def _refuse_closed(debrief: Debrief) -> None:
    if debrief.status in (DebriefStatus.CLOSED, DebriefStatus.CANCELLED):
        raise ValidationFailed.field(
            "__all__", f"This debrief is {debrief.get_status_display().lower()}."
        )


def open_debrief(actor: Viewer, debrief: Debrief) -> Debrief:
    """Open the room: stamp when and by whom (the debrief is "held" then, on time or late),
    and start its first phase. Opening an open room changes nothing."""
    permissions.check(actor, "debrief.run", debrief)
    with transaction.atomic():
        found = _locked(debrief)
        _refuse_closed(found)
        if found.opened_at is not None:
            return found
        if early := found.too_early():
            raise ValidationFailed.field("__all__", early)
        now = clock.now()
        found.opened_at = now
        found.opened_by_id = actor.user_id
        found.status = DebriefStatus.OPEN
        found.phase = found.plan[0]["key"] if found.plan else ""
        found.phase_started_at = now if found.plan else None
        save_new_version(
            found, fields=["opened_at", "opened_by", "status", "phase", "phase_started_at"]
        )
        # The clock's record (once): held on time, late or missed (``Debrief.timeliness``).
        record_clock_event(found, ClockEvent.Kind.HELD, found.timeliness.replace("_", " "))
        audit.record(
            actor,
            action="debrief.opened",
            obj=found,
            changes={"opened_at": now.isoformat(), "phase": found.phase},
        )
    return found


def set_phase(actor: Viewer, debrief: Debrief, *, phase: str, version: int | None) -> Debrief:
    """Move the room to ``phase`` (a key of its plan), its clock starting now. Setting the
    current phase again restarts its time box."""
    permissions.check(actor, "debrief.run", debrief)
    with transaction.atomic():
        found = _locked(debrief)
        expect_version(found, version)
        _refuse_closed(found)
        if found.opened_at is None:
            raise ValidationFailed.field("phase", "Open the debrief before setting its phase.")
        keys = [p["key"] for p in found.plan]
        if phase not in keys:
            raise ValidationFailed.field("phase", "Choose one of the plan's phases.")
        before = found.phase
        found.phase = phase
        found.phase_started_at = clock.now()
        save_new_version(found, fields=["phase", "phase_started_at"])
        audit.record(
            actor, action="debrief.phase_set", obj=found, changes={"phase": [before, phase]}
        )
    return found


def _key(title: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:30] or "phase"
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    return key


def clean_plan(
    phases: list[dict[str, Any]], *, current: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The plan as typed, checked: each phase a title and whole minutes, in order. A phase
    keeps its key (what ``phase`` names) when it was in the plan; a new one gets one from its
    title; a key given twice is refused. Errors name the row: ``phases.2.minutes``."""
    errors: dict[str, list[str]] = {}
    if not phases:
        errors["phases"] = ["A plan needs at least one phase."]
    if len(phases) > MAX_PHASES:
        check_length(errors, "phases", phases, MAX_PHASES)
    known = {p["key"] for p in current}
    taken: set[str] = set()
    cleaned: list[dict[str, Any]] = []
    given: dict[str, int] = {}
    for n, row in enumerate(phases, start=1):
        # A key names one phase: given twice, which phase it names is anyone's guess.
        if given_key := str(row.get("key") or ""):
            if given_key in given:
                errors.setdefault(f"phases.{n}.key", []).append(
                    f"Phase {n} has the key “{given_key}” of phase {given[given_key]}: "
                    "each key names one phase."
                )
            given.setdefault(given_key, n)
        title = str(row.get("title") or "").strip()
        if not title:
            errors.setdefault(f"phases.{n}.title", []).append("Give the phase a title.")
        elif problem := one_line_problem(title):
            errors.setdefault(f"phases.{n}.title", []).append(problem)
        else:
            check_length(errors, f"phases.{n}.title", title, TITLE_LENGTH)
        minutes = row.get("minutes")
        low, high = PHASE_MINUTES
        if isinstance(minutes, str) and minutes.strip().isdigit():
            minutes = int(minutes.strip())
        if isinstance(minutes, bool) or not isinstance(minutes, int) or not low <= minutes <= high:
            errors.setdefault(f"phases.{n}.minutes", []).append(
                f"Whole minutes from {low} to {high}."
            )
        key = str(row.get("key") or "")
        if key not in known or key in taken:
            key = _key(title, taken | known)
        taken.add(key)
        cleaned.append({"key": key, "title": title, "minutes": minutes})
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def set_plan(
    actor: Viewer, debrief: Debrief, *, phases: list[dict[str, Any]], version: int | None
) -> Debrief:
    """Replace the room's plan (titles, minutes, order). The current phase stays current if
    it is still in the plan (its clock keeps running); if it was removed, the room moves to
    the first phase."""
    permissions.check(actor, "debrief.run", debrief)
    with transaction.atomic():
        found = _locked(debrief)
        expect_version(found, version)
        _refuse_closed(found)
        plan = clean_plan(phases, current=found.plan)
        before = found.plan
        found.plan = plan
        fields = ["plan"]
        if found.phase and found.phase not in {p["key"] for p in plan}:
            found.phase = plan[0]["key"]
            found.phase_started_at = clock.now()
            fields += ["phase", "phase_started_at"]
        save_new_version(found, fields=fields)
        audit.record(
            actor, action="debrief.plan_changed", obj=found, changes={"plan": [before, plan]}
        )
    return found
