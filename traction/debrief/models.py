"""The Operational Debrief (docs/debrief.md): within 24 hours of a co-design session, the core
team and the policy makers turn the customers' scenarios into decided recommendations, owned
action items and an operational scorecard, then follow them to measured results.

History is evidence here as everywhere: decisions, clock events and action timelines are
append-only; records with history are archived (``dropped``, ``archived_at``), never deleted.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from traction.core import clock
from traction.core.models import AppendOnlyError, ClockDateTimeField, WorkspaceRecord

# A debrief is due this long after its session ends (docs/method.md, step 5).
DEBRIEF_DUE_AFTER = timedelta(hours=24)
# A debrief not held this long after it was due is missed (before that it is late).
DEBRIEF_MISSED_AFTER = timedelta(days=7)
# The booked working meeting's default length.
DEBRIEF_DEFAULT_MINUTES = 180
# Session kinds that need a debrief unless the workspace says otherwise.
DEFAULT_DEBRIEF_KINDS = ["co_design", "cab_meeting"]


class AppendOnlyQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("This record is append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("This record is append-only.")


class AppendOnly(models.Model):
    """A row written once: never updated, never deleted (workspace deletion aside)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("This record is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("This record is append-only.")


class DebriefSettings(models.Model):
    """A workspace's debrief settings: which session kinds need a debrief."""

    workspace = models.OneToOneField(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="debrief_settings"
    )
    kinds = models.JSONField(default=list)  # session kinds; see DEFAULT_DEBRIEF_KINDS
    # When each kind outside the defaults was added (ISO datetime by kind): a kind added
    # later needs a debrief only for its sessions ending after that, never for past ones.
    kinds_added_at = models.JSONField(default=dict, blank=True)
    default_minutes = models.PositiveIntegerField(default=DEBRIEF_DEFAULT_MINUTES)
    updated_at = ClockDateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Debrief settings of workspace {self.workspace_id}"


def default_plan() -> list[dict[str, Any]]:
    """The time-boxed phases of a three-hour debrief, in order (editable per debrief)."""
    return [
        {"key": "review", "title": "Review open actions from earlier debriefs", "minutes": 15},
        {"key": "map", "title": "Read the prioritised map", "minutes": 25},
        {"key": "draft", "title": "Draft recommendations", "minutes": 40},
        {"key": "decide", "title": "Decide", "minutes": 30},
        {"key": "actions", "title": "Action items and owners", "minutes": 30},
        {"key": "scorecard", "title": "Scorecard", "minutes": 25},
        {"key": "close", "title": "Close", "minutes": 15},
    ]


class DebriefStatus(models.TextChoices):
    BOOKED = "booked", "Booked"  # waiting for its session to end, or for the room to open
    OPEN = "open", "In the room"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"  # its session was cancelled


class Debrief(WorkspaceRecord):
    """The debrief of one session: its clock, its booked slot, its room and its closing."""

    session = models.OneToOneField(
        "cosessions.Session", on_delete=models.RESTRICT, related_name="debrief"
    )
    program = models.ForeignKey("programs.Program", on_delete=models.RESTRICT, related_name="+")
    status = models.CharField(
        max_length=10, choices=DebriefStatus.choices, default=DebriefStatus.BOOKED
    )
    # The clock: due 24 hours after the session's (actual) end; recomputed when it moves.
    due_at = models.DateTimeField(db_index=True)
    # The session was recorded only after it had ended: the clock runs from its recording
    # (services.clock.due_of), not from its end, whenever the deadline is computed again.
    clock_from_recording = models.BooleanField(default=False)
    # The booked working meeting (sent as .ics to the core team and the policy makers).
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    location = models.CharField(max_length=200, blank=True)
    video_link = models.URLField(blank=True)
    calendar_uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    calendar_sequence = models.PositiveIntegerField(default=0)
    # The room: its phases (``default_plan``), the current one and when it started.
    plan = models.JSONField(default=default_plan)
    phase = models.CharField(max_length=40, blank=True)
    phase_started_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)  # "held": the room opened
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Closing: a note is required; a debrief with no decision needs ``empty_reason``.
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closing_note = models.TextField(blank=True)
    empty_reason = models.TextField(blank=True)
    pack_sent_at = models.DateTimeField(null=True, blank=True)
    digests_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-due_at", "-id"]
        indexes = [models.Index(fields=["workspace", "status", "due_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="debrief_ends_after_it_starts",
                violation_error_message="The debrief must end after it starts.",
            )
        ]

    def __str__(self) -> str:
        return f"Debrief of {self.session}"

    @property
    def is_finished(self) -> bool:
        """Closed, or cancelled with its session: its room, plan and recommendations are
        kept as they were."""
        return self.status in (DebriefStatus.CLOSED, DebriefStatus.CANCELLED)

    def too_early(self) -> str:
        """Why the room cannot open (or the debrief close) yet, or "": a debrief is of a
        session that took place, so its session must be marked held or its planned end
        must have passed."""
        session = self.session
        if session.held_at is not None or session.ends_at <= clock.now():
            return ""
        end = session.local_end
        return (
            f"The session has not taken place yet (it ends {end:%-d %b %Y, %H:%M} "
            f"{session.time_zone}): "
            "a debrief opens once its session is held or over."
        )

    @property
    def timeliness(self) -> str:
        """Against the deadline: on_time when the room opened by ``due_at`` (inclusive),
        late when it opened after it but within ``DEBRIEF_MISSED_AFTER``, missed when it
        opened later than that; before it opens: due (up to and at ``due_at``), late, then
        missed once ``DEBRIEF_MISSED_AFTER`` has passed. A missed debrief held later stays
        missed (the clock recorded it so). Cancelled: cancelled."""
        if self.status == DebriefStatus.CANCELLED:
            return "cancelled"
        if self.opened_at is not None:
            if self.opened_at <= self.due_at:
                return "on_time"
            return "late" if self.opened_at <= self.due_at + DEBRIEF_MISSED_AFTER else "missed"
        now = clock.now()
        if now <= self.due_at:
            return "due"
        return "missed" if now > self.due_at + DEBRIEF_MISSED_AFTER else "late"

    @property
    def slot_warning(self) -> str:
        """Why the booked slot, not yet held, is a problem, or "": it starts after the
        deadline (the debrief will be late), or over ``DEBRIEF_MISSED_AFTER`` after it (it
        will count as missed). A warning: the slot is still saved."""
        if self.status != DebriefStatus.BOOKED or self.opened_at is not None:
            return ""
        if self.starts_at > self.due_at + DEBRIEF_MISSED_AFTER:
            return (
                f"This slot starts more than {DEBRIEF_MISSED_AFTER.days} days after the "
                "deadline: held then, the debrief counts as missed. Book it before the deadline."
            )
        if self.starts_at > self.due_at:
            return (
                "This slot starts after the deadline: held then, the debrief is late. "
                "Book it before the deadline if you can."
            )
        return ""


class Attendee(models.Model):
    """Who was asked to the debrief, and (at closing) whether they were there. Policy makers
    are marked as such as they were at the time."""

    debrief = models.ForeignKey(Debrief, on_delete=models.CASCADE, related_name="attendees")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.RESTRICT, related_name="+")
    is_policy_maker = models.BooleanField(default=False)
    # The calendar answer (accepted / declined / tentative / ""), and presence at closing.
    response = models.CharField(max_length=12, blank=True)
    present = models.BooleanField(null=True)
    calendar_sequence_sent = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-is_policy_maker", "user__full_name"]
        constraints = [models.UniqueConstraint(fields=["debrief", "user"], name="one_attendee_row")]

    def __str__(self) -> str:
        return f"{self.user} at {self.debrief}"


class ClockEvent(AppendOnly):
    """The debrief clock's record (due, booked, reminded, held, late, missed, closed), which
    program health reads. Append-only."""

    class Kind(models.TextChoices):
        DUE = "due", "Due"
        BOOKED = "booked", "Booked"
        REMINDED = "reminded", "Reminded"
        HELD = "held", "Held"
        LATE = "late", "Late"
        MISSED = "missed", "Missed"
        CLOSED = "closed", "Closed"
        CANCELLED = "cancelled", "Cancelled"

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    # RESTRICT, not PROTECT: a stray delete of a debrief is refused, yet a whole workspace's
    # wipe (which takes these rows too) goes through.
    debrief = models.ForeignKey(Debrief, on_delete=models.RESTRICT, related_name="clock_events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    at = ClockDateTimeField(auto_now_add=True)
    due_at = models.DateTimeField()  # the deadline as it stood then
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["workspace", "kind", "at"])]

    def __str__(self) -> str:
        return f"{self.debrief}: {self.kind} at {self.at:%Y-%m-%d %H:%M}"


class RecommendationKind(models.TextChoices):
    STRATEGIC = "strategic", "Strategic"
    TACTICAL = "tactical", "Tactical"


class Horizon(models.TextChoices):
    QUICK_WIN = "quick_win", "Quick win"
    QUARTER = "quarter", "This quarter"
    LONG_TERM = "long_term", "Long term"


class Level(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class DecisionOutcome(models.TextChoices):
    PENDING = "pending", "Not decided yet"
    APPROVED = "approved", "Approved"
    DEFERRED = "deferred", "Deferred"
    REJECTED = "rejected", "Rejected"


class Recommendation(WorkspaceRecord):
    """A drafted recommendation, backed by evidence insights, decided by a policy maker.

    ``outcome`` and its ``decided_*`` fields are the current decision; every decision ever
    taken is a ``Decision`` row (append-only). Progress is derived from its action items.
    """

    debrief = models.ForeignKey(Debrief, on_delete=models.RESTRICT, related_name="recommendations")
    program = models.ForeignKey("programs.Program", on_delete=models.RESTRICT, related_name="+")
    title = models.CharField(max_length=200)
    rationale = models.TextField(blank=True)
    kind = models.CharField(
        max_length=10, choices=RecommendationKind.choices, default=RecommendationKind.TACTICAL
    )
    horizon = models.CharField(max_length=10, choices=Horizon.choices, default=Horizon.QUARTER)
    impact = models.CharField(max_length=6, choices=Level.choices, default=Level.MEDIUM)
    effort = models.CharField(max_length=6, choices=Level.choices, default=Level.MEDIUM)
    customer_summary = models.TextField(
        blank=True, help_text="What customers would be told, in their words."
    )
    # The customer priorities (cards of the session) it answers: its evidence.
    evidence: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        "insights.Insight", through="Evidence", related_name="recommendations"
    )
    # Which team owns it (a name from the map's "how we support it" lane, or free text).
    owning_team = models.CharField(max_length=120, blank=True)
    outcome = models.CharField(
        max_length=10, choices=DecisionOutcome.choices, default=DecisionOutcome.PENDING
    )
    decision_reason = models.TextField(blank=True)
    revisit_on = models.DateField(null=True, blank=True)  # deferred: when to look again
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_as = models.CharField(max_length=60, blank=True)  # their role at that moment
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    archived_at = models.DateTimeField(null=True, blank=True)  # withdrawn draft; kept

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["workspace", "program", "outcome"]),
            models.Index(fields=["debrief", "outcome"]),
            # A debrief's recommendations as a member may see them (the room's list): one more
            # equality than the workspace's index, so SQLite's planner (no statistics) takes it
            # rather than walking the workspace's recommendations.
            models.Index(
                fields=["debrief", "workspace", "archived_at"], name="rec_debrief_ws_archived"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Evidence(models.Model):
    """One insight backing a recommendation (a card of the map, with its quotes)."""

    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.CASCADE, related_name="evidence_links"
    )
    insight = models.ForeignKey("insights.Insight", on_delete=models.PROTECT, related_name="+")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = ClockDateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["recommendation", "insight"], name="one_evidence_link")
        ]

    def __str__(self) -> str:
        return f"{self.insight_id} backs {self.recommendation_id}"


class Decision(AppendOnly):
    """Every decision on a recommendation, in order: who, in which role then, when, why."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.PROTECT, related_name="decisions"
    )
    outcome = models.CharField(max_length=10, choices=DecisionOutcome.choices)
    reason = models.TextField()
    revisit_on = models.DateField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by_label = models.CharField(max_length=254)
    decided_as = models.CharField(max_length=60)
    at = ClockDateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.recommendation_id}: {self.outcome}"


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    BLOCKED = "blocked", "Blocked"
    DONE = "done", "Done"
    DROPPED = "dropped", "Dropped"


class ActionItem(WorkspaceRecord):
    """Work for an approved recommendation: one accountable owner, dates, a status timeline."""

    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.RESTRICT, related_name="actions"
    )
    program = models.ForeignKey("programs.Program", on_delete=models.RESTRICT, related_name="+")
    title = models.CharField(max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.RESTRICT, related_name="owned_actions"
    )
    contributors = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    planned_start = models.DateField(null=True, blank=True)
    due_on = models.DateField()
    status = models.CharField(
        max_length=12, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    status_reason = models.CharField(max_length=300, blank=True)  # blocked / dropped: why
    customer_visible = models.BooleanField(default=False)
    started_at = models.DateTimeField(null=True, blank=True)  # first time in progress
    done_at = models.DateTimeField(null=True, blank=True)
    # Set when the owner left the workspace: the action needs a new owner.
    ownerless_since = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [
            # The badge of one's overdue actions (every page) counts from this index alone.
            models.Index(fields=["workspace", "owner", "status", "due_on", "ownerless_since"]),
            # The review of earlier actions counts and ranks a program's open actions from
            # this index alone (their recommendation tells which debrief they come from).
            models.Index(fields=["workspace", "program", "status", "due_on", "recommendation"]),
            # A debrief's actions (its approved recommendations' ids, the workspace's wall, a
            # state): one more equality than any workspace index, so SQLite's planner (no
            # statistics) takes it rather than walking the workspace's actions.
            models.Index(
                fields=["recommendation", "workspace", "status", "due_on"],
                name="action_rec_ws_status_due",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_closed(self) -> bool:
        return self.status in (ActionStatus.DONE, ActionStatus.DROPPED)

    @property
    def is_overdue(self) -> bool:
        return not self.is_closed and self.due_on < clock.today()


class ActionUpdate(AppendOnly):
    """The action's timeline: each status change (or re-dating, or new owner) with a short
    dated progress note. Append-only."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    action = models.ForeignKey(ActionItem, on_delete=models.PROTECT, related_name="updates")
    status = models.CharField(max_length=12, choices=ActionStatus.choices)
    note = models.CharField(max_length=500)
    due_on = models.DateField(null=True, blank=True)  # the due date from this update on
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    by_label = models.CharField(max_length=254)
    at = ClockDateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action_id}: {self.status} at {self.at:%Y-%m-%d}"


class Reminder(models.Model):
    """A reminder sent (debrief due / missed, action not started / due soon / overdue), kept
    so that each goes once: unique per subject, kind and day it is about."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=30)
    subject_type = models.CharField(max_length=20)  # debrief, action
    subject_id = models.PositiveBigIntegerField()
    about = models.DateField()  # the due date (or deadline day) it reminded of
    sent_at = ClockDateTimeField(auto_now_add=True)
    recipients = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject_type", "subject_id", "about"], name="one_reminder"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject_type} {self.subject_id} ({self.about})"


class Undecided(models.Model):
    """A top priority that left the debrief without a decision, stated explicitly with a date
    to revisit it (closing form)."""

    debrief = models.ForeignKey(Debrief, on_delete=models.CASCADE, related_name="undecided")
    insight = models.ForeignKey("insights.Insight", on_delete=models.PROTECT, related_name="+")
    revisit_on = models.DateField()
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["revisit_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["debrief", "insight"], name="one_undecided_row")
        ]

    def __str__(self) -> str:
        return f"{self.insight_id} undecided until {self.revisit_on}"


class Direction(models.TextChoices):
    UP = "up", "Higher is better"
    DOWN = "down", "Lower is better"


class Frequency(models.TextChoices):
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"


class ScorecardMetric(WorkspaceRecord):
    """An operational metric of a program's scorecard, serving customer metrics of the map.

    Ready when it has a definition, unit, direction, baseline and target. A calculated
    metric is the ratio of two measured series (``numerator`` / ``denominator``).
    """

    program = models.ForeignKey("programs.Program", on_delete=models.RESTRICT, related_name="+")
    debrief = models.ForeignKey(
        Debrief, null=True, blank=True, on_delete=models.RESTRICT, related_name="metrics"
    )
    name = models.CharField(max_length=160)
    definition = models.TextField(blank=True)
    unit = models.CharField(max_length=40, blank=True)
    direction = models.CharField(max_length=4, choices=Direction.choices, default=Direction.UP)
    frequency = models.CharField(
        max_length=10, choices=Frequency.choices, default=Frequency.MONTHLY
    )
    data_source = models.CharField(max_length=200, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.RESTRICT, related_name="+"
    )
    baseline = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    baseline_on = models.DateField(null=True, blank=True)
    target = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    target_on = models.DateField(null=True, blank=True)
    # The forecast path: [{"on": "YYYY-MM-DD", "value": "12.5"}, …] in date order.
    forecast = models.JSONField(default=list, blank=True)
    serves = models.ManyToManyField(
        "insights.Insight", blank=True, related_name="scorecard_metrics"
    )
    numerator = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.RESTRICT, related_name="+"
    )
    denominator = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.RESTRICT, related_name="+"
    )
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        # Current metrics of a program differ in more than letter case (the service also
        # compares whitespace collapsed and casefolded, and stores names collapsed): the CSV
        # import finds a metric by its name (``services.scorecards.metric_key``).
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                "program",
                condition=models.Q(archived_at__isnull=True),
                name="metric_name_unique_in_program_ci",
                violation_error_message="A metric with this name already exists in this program.",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_calculated(self) -> bool:
        return self.numerator_id is not None


class RecommendationMetric(models.Model):
    """A scorecard metric a recommendation should move, and in which direction."""

    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.CASCADE, related_name="metric_links"
    )
    metric = models.ForeignKey(ScorecardMetric, on_delete=models.RESTRICT, related_name="+")
    direction = models.CharField(max_length=4, choices=Direction.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["recommendation", "metric"], name="one_metric_link")
        ]

    def __str__(self) -> str:
        return f"{self.recommendation_id} moves {self.metric_id} {self.direction}"


class MeasurementSource(models.TextChoices):
    MANUAL = "manual", "Entered by hand"
    CSV = "csv", "Imported from CSV"
    XLSX = "xlsx", "Imported from an Excel workbook"
    API = "api", "Sent through the API"


class Measurement(models.Model):
    """One value of a measured metric on a date. One row per metric and date: a corrected
    value replaces the old one (the audit trail keeps what it was)."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    metric = models.ForeignKey(
        ScorecardMetric, on_delete=models.RESTRICT, related_name="measurements"
    )
    on = models.DateField()
    value = models.DecimalField(max_digits=18, decimal_places=4)
    note = models.CharField(max_length=300, blank=True)
    source = models.CharField(
        max_length=8, choices=MeasurementSource.choices, default=MeasurementSource.MANUAL
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = ClockDateTimeField(auto_now=True)

    class Meta:
        ordering = ["on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["metric", "on"], name="one_measurement_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.metric_id} {self.on}: {self.value}"


# Months after the session at which the scorecard is read against forecast and target.
CHECKPOINT_MONTHS = (3, 6, 12)


class Checkpoint(models.Model):
    """A results checkpoint of a debrief: 3, 6 and 12 months after its session ended (on the
    same calendar day in the session's time zone). ``reached_at`` is stamped once, when the
    day arrives (the reminder task), which announces it."""

    debrief = models.ForeignKey(Debrief, on_delete=models.CASCADE, related_name="checkpoints")
    months = models.PositiveSmallIntegerField()
    on = models.DateField()
    reached_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["on", "id"]
        constraints = [models.UniqueConstraint(fields=["debrief", "months"], name="one_checkpoint")]

    def __str__(self) -> str:
        return f"{self.debrief_id}: {self.months} months ({self.on})"
