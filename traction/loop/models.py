"""Closing the loop (docs/loop.md): what customers hear of the priorities they gave us.

A customer priority is a card of a program's sessions customers prioritised: an accepted
moment of truth, issue or idea (a merged card stands for its sources). Its customer-facing
status is kept apart from internal state, as an append-only history of ``PriorityStatus``
rows: a proposal becomes published once each affected customer's account owner approved it
(``Approval``) or an admin waived that approval. The slip radar marks a published status the
facts no longer back (``AtRisk``). Work done is recorded as a ``Delivery``, linked to the
priorities it touches.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from traction.core import clock
from traction.core.models import ClockDateTimeField


class Status(models.TextChoices):
    HEARD = "heard", "Heard"
    UNDER_CONSIDERATION = "under_consideration", "Under consideration"
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    DELIVERED = "delivered", "Delivered"
    NOT_PLANNED = "not_planned", "Not planned"


class WindowKind(models.TextChoices):
    MONTH = "month", "Month"
    QUARTER = "quarter", "Quarter"
    HALF = "half", "Half-year"


class PriorityStatus(models.Model):
    """One customer-facing status of a priority, proposed and (once approved) published.

    Rows are never deleted and never rewritten but for their publication (``published_*``)
    or their withdrawal (``archived_at``: a newer proposal replaced a pending one). The
    priority's current status is its latest published row. ``facts`` is what the status
    relied on when proposed (recommendations, action items and their due dates,
    deliveries), so the radar can tell what changed."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    program = models.ForeignKey("programs.Program", on_delete=models.RESTRICT, related_name="+")
    priority = models.ForeignKey("insights.Insight", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices)
    window_kind = models.CharField(max_length=8, choices=WindowKind.choices, blank=True)
    window_start = models.DateField(null=True, blank=True)
    customer_reason = models.TextField(blank=True)
    facts = models.JSONField(default=dict, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed_at = ClockDateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["proposed_at", "id"]
        indexes = [
            models.Index(fields=["workspace", "program", "priority"]),
            models.Index(fields=["priority", "published_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(window_kind="", window_start__isnull=True)
                    | (~models.Q(window_kind="") & models.Q(window_start__isnull=False))
                ),
                name="loop_window_kind_and_start_together",
            )
        ]

    def __str__(self) -> str:
        return f"{self.priority_id}: {self.status}"

    @property
    def is_pending(self) -> bool:
        return self.published_at is None and self.archived_at is None

    @property
    def window(self) -> Any:
        from traction.loop.windows import Window

        if not self.window_kind or self.window_start is None:
            return None
        return Window.of(self.window_kind, self.window_start)


class ApprovalState(models.TextChoices):
    PENDING = "pending", "Waiting"
    APPROVED = "approved", "Approved"
    WAIVED = "waived", "Waived by an admin"
    # The account owner asks for changes (an update's approval), saying what should change
    # (``reason``): decided like the others, it holds the update until an edit asks again.
    CHANGES_REQUESTED = "changes_requested", "Changes asked"


class Approval(models.Model):
    """One affected customer's account owner's blessing of something said to customers (a
    proposed status now; an update later: ``subject_kind``). An admin may waive it, with a
    reason. Decided once: a newer proposal gets approvals of its own."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    program = models.ForeignKey(
        "programs.Program", on_delete=models.RESTRICT, related_name="loop_approvals"
    )
    subject_kind = models.CharField(max_length=12, default="status")
    status = models.ForeignKey(
        PriorityStatus, null=True, blank=True, on_delete=models.PROTECT, related_name="approvals"
    )
    # An update's approval (subject_kind "update"): of one ``version`` of it, with the exact
    # recipients and text shown to the owner (``snapshot``: {"subject", "body", "recipients":
    # [{"contact_id", "name", "email", "reasons"}]}), so the owner sees what changed since they
    # last approved. An edit supersedes the waiting and given approvals (``superseded_at``)
    # and asks again.
    update = models.ForeignKey(
        "Update", null=True, blank=True, on_delete=models.PROTECT, related_name="approvals"
    )
    version = models.PositiveIntegerField(null=True, blank=True)
    snapshot = models.JSONField(default=dict, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    # Reminders to the account owner, and the admin told after DAYS without an answer.
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    # Who was asked: the customer's account owner when it was asked (None: nobody owns the
    # customer, so only an admin's waiver lets it through).
    account_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(
        max_length=20, choices=ApprovalState.choices, default=ApprovalState.PENDING
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)
    created_at = ClockDateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["status", "customer"], name="loop_one_approval_per_customer"
            ),
            models.UniqueConstraint(
                fields=["update", "customer"],
                condition=models.Q(superseded_at__isnull=True),
                name="loop_one_update_approval_per_customer",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(subject_kind="status", update__isnull=True)
                    | models.Q(subject_kind="update", status__isnull=True, update__isnull=False)
                ),
                name="loop_approval_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.state}"


class ApprovalEmailKind(models.TextChoices):
    REQUEST = "request", "Request"
    REMINDER = "reminder", "Reminder"
    ESCALATION = "escalation", "Escalation to the admins"


class ApprovalEmailState(models.TextChoices):
    QUEUED = "queued", "Waiting to be sent"
    CLAIMED = "claimed", "Being sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Not sent yet (will retry)"
    GAVE_UP = "gave_up", "Not sent (gave up)"
    DROPPED = "dropped", "Not needed any more"


class ApprovalEmail(models.Model):
    """One email about an update's approval (docs/loop.md, "Updates"): the request to the
    account owner, a reminder, or the escalation to the admins (``to``: user ids). The
    outbox of those emails: a sender claims the row (state ``claimed``) in its own
    transaction before talking to the mail server, records the outcome, and a passing
    failure is tried again (``next_attempt_at``) until it is given up, so nothing fails
    silently. A reminder counts (``Approval.reminders_sent``) only once it was sent."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    approval = models.ForeignKey(Approval, on_delete=models.CASCADE, related_name="emails")
    kind = models.CharField(max_length=10, choices=ApprovalEmailKind.choices)
    to = models.JSONField(default=list)
    state = models.CharField(
        max_length=8, choices=ApprovalEmailState.choices, default=ApprovalEmailState.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = ClockDateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.kind} for approval {self.approval_id}: {self.state}"


class AtRisk(models.Model):
    """The slip radar's mark on a priority whose published status the facts no longer back:
    why, since when, and an honest "change of plan" draft. Cleared (``cleared_at``) when the
    facts back the status again; a later slip opens a new record."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    program = models.ForeignKey("programs.Program", on_delete=models.RESTRICT, related_name="+")
    priority = models.ForeignKey("insights.Insight", on_delete=models.PROTECT, related_name="+")
    status = models.ForeignKey(PriorityStatus, on_delete=models.PROTECT, related_name="risks")
    reasons = models.JSONField(default=list)
    draft = models.TextField(blank=True)
    since = models.DateTimeField(default=clock.now)
    checked_at = models.DateTimeField(default=clock.now)
    cleared_at = models.DateTimeField(null=True, blank=True)
    # When the facilitators and account owners were told (one digest each per radar run),
    # and who: set before the digests go, so no mark is ever told twice.
    notified_at = models.DateTimeField(null=True, blank=True)
    notified_to = models.JSONField(default=list)  # user ids told

    class Meta:
        ordering = ["since", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["priority"],
                condition=models.Q(cleared_at__isnull=True),
                name="loop_one_open_risk_per_priority",
            )
        ]

    def __str__(self) -> str:
        return f"{self.priority_id} at risk since {self.since:%Y-%m-%d}"


class ReasonText(models.Model):
    """A reusable answer for customers ("Not planned: it conflicts with our security
    policy"), checked like any text shown to customers."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=120)
    text = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = ClockDateTimeField(auto_now_add=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title


class DeliverySource(models.TextChoices):
    MANUAL = "manual", "Entered by hand"
    CSV = "csv", "Imported from CSV"
    XLSX = "xlsx", "Imported from an Excel workbook"
    API = "api", "Sent through the API"


class Delivery(models.Model):
    """Work done anywhere in the company (a release, a policy change, a new service), linked
    to the customer priorities it touches, planned or not. Recording one for a past date
    notifies nobody."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    program = models.ForeignKey(
        "programs.Program", null=True, blank=True, on_delete=models.RESTRICT, related_name="+"
    )
    on = models.DateField()
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    link = models.URLField(max_length=500, blank=True)
    # The key a re-import finds the delivery by (a release id, a ticket); else link + date.
    external_id = models.CharField(max_length=120, blank=True)
    source = models.CharField(
        max_length=8, choices=DeliverySource.choices, default=DeliverySource.MANUAL
    )
    priorities: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        "insights.Insight", through="DeliveryPriority", related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = ClockDateTimeField(auto_now_add=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-on", "-id"]
        indexes = [models.Index(fields=["workspace", "program", "on"])]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "external_id"],
                condition=~models.Q(external_id=""),
                name="loop_delivery_external_id_unique",
            )
        ]

    def __str__(self) -> str:
        return self.title


class DeliveryPriority(models.Model):
    """A delivery touches a priority: who linked them, and when."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="links")
    priority = models.ForeignKey("insights.Insight", on_delete=models.PROTECT, related_name="+")
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    linked_at = ClockDateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "priority"], name="loop_one_delivery_link")
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id} touches {self.priority_id}"


# --- "You said, we did" updates (docs/loop.md, "Updates") -----------------------------------


class UpdateAudience(models.TextChoices):
    CUSTOMER = "customer", "One customer organisation"
    SESSION = "session", "One session's customer participants"
    PROGRAM = "program", "Every customer of the program"


class UpdateKind(models.TextChoices):
    UPDATE = "update", "You said, we did"
    DELIVERY = "delivery", "A delivery touched your priorities"
    CHANGE_OF_PLAN = "change_of_plan", "Change of plan"
    RE_ENGAGEMENT = "re_engagement", "After a silence"


class UpdateState(models.TextChoices):
    DRAFT = "draft", "Draft"
    AWAITING = "awaiting", "Waiting for approval"
    APPROVED = "approved", "Approved, ready to send"
    SENT = "sent", "Sent"
    DISCARDED = "discarded", "Discarded"


class Update(models.Model):
    """One "you said, we did" message to customers: drafted from the data, edited, checked,
    approved by each affected customer's account owner (``Approval`` with ``update``), then
    sent once to its recipients (``UpdateRecipient``, one email each) and shown in their
    portal. ``version`` grows with every edit of the text or the recipients: approvals are
    for one version. A sent update is immutable (``sent_at``); a draft nobody wants is
    discarded, never deleted. ``sources`` is what the draft was built from (priority,
    status, delivery and quoted insight ids), so a reader can see what backs each line."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    program = models.ForeignKey("programs.Program", on_delete=models.RESTRICT, related_name="+")
    audience = models.CharField(max_length=10, choices=UpdateAudience.choices)
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    session = models.ForeignKey(
        "cosessions.Session", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=UpdateKind.choices, default=UpdateKind.UPDATE)
    delivery = models.ForeignKey(
        Delivery, null=True, blank=True, on_delete=models.PROTECT, related_name="updates"
    )
    # Every delivery a delivery update is about: the one it was drafted for (``delivery``)
    # and those recorded while it was still unsent, folded into it (one message to the
    # organisation, not one per delivery).
    deliveries: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        Delivery, blank=True, related_name="folded_updates"
    )
    subject = models.CharField(max_length=200)
    body = models.TextField()
    sources = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=UpdateState.choices, default=UpdateState.DRAFT)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = ClockDateTimeField(auto_now_add=True)
    updated_at = ClockDateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    discarded_at = models.DateTimeField(null=True, blank=True)
    discarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["workspace", "program", "state"]),
            models.Index(fields=["program", "customer", "sent_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(audience="customer", customer__isnull=False, session__isnull=True)
                    | models.Q(audience="session", customer__isnull=True, session__isnull=False)
                    | models.Q(audience="program", customer__isnull=True, session__isnull=True)
                ),
                name="loop_update_audience_target",
            )
        ]

    def __str__(self) -> str:
        return self.subject


class RecipientReason(models.TextChoices):
    RAISER = "raiser", "Their words are in it"
    VOTER = "voter", "They voted on it"
    FOLLOWER = "follower", "They asked to follow it"
    PARTICIPANT = "participant", "They took part in the session"


class MessageState(models.TextChoices):
    QUEUED = "queued", "Waiting to be sent"
    CLAIMED = "claimed", "Being sent"
    SENT = "sent", "Accepted by the mail server"
    FAILED = "failed", "Not delivered yet (will retry)"
    UNDELIVERABLE = "undeliverable", "Not delivered (gave up)"
    BOUNCED = "bounced", "Bounced"
    SKIPPED = "skipped", "Not sent (unsubscribed or unreachable since)"


class UpdateRecipient(models.Model):
    """One recipient of an update, and the one email that carries it to them: the list the
    account owner approved, then the outbox. A sender claims the row (``claimed_at``, state
    ``claimed``) in its own transaction before talking to the mail server, so a retry or a
    second sender never sends it twice. Name and address are as they were when approved."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    update = models.ForeignKey(Update, on_delete=models.PROTECT, related_name="recipients")
    contact = models.ForeignKey("customers.Contact", on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=150)
    email = models.EmailField()
    reasons = models.JSONField(default=list)  # RecipientReason values
    state = models.CharField(
        max_length=14, choices=MessageState.choices, default=MessageState.QUEUED
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    read_in_portal_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["customer_id", "name", "id"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"]),
            models.Index(fields=["contact", "sent_at"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["update", "contact"], name="loop_one_message_each")
        ]

    def __str__(self) -> str:
        return f"{self.email}: {self.state}"

    @property
    def reason_labels(self) -> str:
        """Why they get it, in words ("Their words are in it; They voted on it"), not the
        stored values."""
        labels = dict(RecipientReason.choices)
        return "; ".join(str(labels.get(r, r)) for r in self.reasons)


class Follow(models.Model):
    """A contact asked to hear about a priority (the third audience, beside raisers and
    voters, which the facts themselves record). Ended, never deleted."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    program = models.ForeignKey("programs.Program", on_delete=models.RESTRICT, related_name="+")
    contact = models.ForeignKey("customers.Contact", on_delete=models.PROTECT, related_name="+")
    priority = models.ForeignKey("insights.Insight", on_delete=models.PROTECT, related_name="+")
    since = models.DateTimeField(default=clock.now)
    # Who asked for it: the contact in the portal (None), or a member on their behalf.
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    why = models.CharField(max_length=300, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["since", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "priority"],
                condition=models.Q(ended_at__isnull=True),
                name="loop_one_follow",
            )
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} follows {self.priority_id}"


class UnsubscribeScope(models.TextChoices):
    PRIORITY = "priority", "This priority"
    PROGRAM = "program", "This program"
    ALL = "all", "All mail"


class Unsubscribe(models.Model):
    """A contact's dated "no more of this": it beats raising, voting and following, and no
    later vote undoes it. Kept for ever (its ``at`` is the evidence)."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey("customers.Contact", on_delete=models.PROTECT, related_name="+")
    scope = models.CharField(max_length=8, choices=UnsubscribeScope.choices)
    program = models.ForeignKey(
        "programs.Program", null=True, blank=True, on_delete=models.RESTRICT, related_name="+"
    )
    priority = models.ForeignKey(
        "insights.Insight", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=clock.now)
    # From which message's link (None: a member recorded it, or the API).
    via = models.ForeignKey(
        UpdateRecipient, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["contact", "scope"])]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(scope="all", program__isnull=True, priority__isnull=True)
                    | models.Q(scope="program", program__isnull=False, priority__isnull=True)
                    | models.Q(scope="priority", priority__isnull=False)
                ),
                name="loop_unsubscribe_scope_target",
            )
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} unsubscribed ({self.scope})"


class FeedbackAnswer(models.TextChoices):
    YES = "yes", "Yes"
    PARTLY = "partly", "Partly"
    NO = "no", "No"


class Feedback(models.Model):
    """A customer's one-click "did it work for you?" on a delivered priority of an update,
    recorded against the customer metric it serves (if the priority has one); a comment
    comes back into the program as an insight (``insight``)."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    program = models.ForeignKey("programs.Program", on_delete=models.RESTRICT, related_name="+")
    recipient = models.ForeignKey(UpdateRecipient, on_delete=models.PROTECT, related_name="+")
    priority = models.ForeignKey("insights.Insight", on_delete=models.PROTECT, related_name="+")
    metric = models.ForeignKey(
        "insights.Insight", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answer = models.CharField(max_length=8, choices=FeedbackAnswer.choices)
    comment = models.TextField(blank=True)
    insight = models.ForeignKey(
        "insights.Insight", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "priority"], name="loop_one_feedback")
        ]

    def __str__(self) -> str:
        return f"{self.priority_id}: {self.answer}"


class Reply(models.Model):
    """A customer's reply to an update in the portal: it lands in the program as a new
    insight attributed to them (``insight``)."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    recipient = models.ForeignKey(UpdateRecipient, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    insight = models.ForeignKey("insights.Insight", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"Reply to {self.recipient_id}"


# --- The communication plan (docs/loop.md, "The communication plan") ---------------------

DEFAULT_CADENCE_DAYS = 42  # every six weeks after a session
SILENCE_DAYS = 90


class CommsPlan(models.Model):
    """A program's plan for updates: how often customers hear from us, and after how long a
    silence Traction prompts a re-engagement. Who tells whom is ``CommsOwner``."""

    program = models.OneToOneField(
        "programs.Program", on_delete=models.RESTRICT, related_name="comms_plan"
    )
    cadence_days = models.PositiveIntegerField(default=DEFAULT_CADENCE_DAYS)
    silence_days = models.PositiveIntegerField(default=SILENCE_DAYS)
    notes = models.TextField(blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = ClockDateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Plan of program {self.program_id}"


class CommsOwner(models.Model):
    """Who tells a customer organisation about a program (default: its account owner)."""

    program = models.ForeignKey("programs.Program", on_delete=models.RESTRICT, related_name="+")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    teller = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "customer"], name="loop_one_teller")
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} in {self.program_id}"


class PlanReminderKind(models.TextChoices):
    DUE_SOON = "due_soon", "Update due soon"
    OVERDUE = "overdue", "Update overdue"
    PROMISE_NEAR = "promise_near", "Promise date near"
    PROMISE_PASSED = "promise_passed", "Promise date passed"


class PlanReminder(models.Model):
    """One reminder of the communication plan told (in a digest) to the teller and the
    program's facilitators: one per (program, customer, kind, due date), so running the
    reminders again tells nobody twice, and a new due date reminds afresh."""

    program = models.ForeignKey("programs.Program", on_delete=models.RESTRICT, related_name="+")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=PlanReminderKind.choices)
    due = models.DateField()
    sent_to = models.JSONField(default=list)  # user ids told
    at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "customer", "kind", "due"], name="loop_one_plan_reminder"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.due} for {self.customer_id}"


class BounceProvider(models.TextChoices):
    SES = "ses", "Amazon SES (through SNS)"
    POSTMARK = "postmark", "Postmark"
    SENDGRID = "sendgrid", "SendGrid"
    MAILGUN = "mailgun", "Mailgun"


class BounceInbox(models.Model):
    """The workspace's inbound bounce URL: mail providers post their bounce and complaint
    webhooks to ``/hooks/mail/<provider>/<secret>/``. Only the SHA-256 of the secret is kept
    (the URL is shown once, when made or rotated); ``hint`` is its last characters, to tell
    two URLs apart. Amazon SNS's subscription confirmation is kept for an admin to open."""

    workspace = models.OneToOneField(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    secret_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=8)
    rotated_at = models.DateTimeField(default=clock.now)
    rotated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_received_at = models.DateTimeField(null=True, blank=True)
    sns_subscribe_url = models.URLField(max_length=1000, blank=True)
    sns_topic_arn = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"Bounce URL of {self.workspace_id} (…{self.hint})"


class BounceKind(models.TextChoices):
    PERMANENT = "permanent", "Permanent bounce"
    TRANSIENT = "transient", "Temporary bounce"
    COMPLAINT = "complaint", "Spam complaint"


class MailBounce(models.Model):
    """One bounce or complaint a mail provider reported that matched a message or a contact
    of the workspace. Permanent bounces and complaints flag the contact unreachable; a
    temporary bounce is only recorded."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    provider = models.CharField(max_length=10, choices=BounceProvider.choices)
    kind = models.CharField(max_length=10, choices=BounceKind.choices)
    email = models.EmailField(blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    recipient = models.ForeignKey(
        UpdateRecipient, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    contact = models.ForeignKey(
        "customers.Contact", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=500, blank=True)
    flagged = models.BooleanField(default=False)
    received_at = models.DateTimeField(default=clock.now)
    # The provider's own id of the event (SNS MessageId, Mailgun's event id, SendGrid's
    # sg_event_id, Postmark's RecordType:ID): the same event reported again is recorded
    # once. Empty on rows from before the id was kept.
    event_id = models.CharField(max_length=300, null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "provider", "event_id", "contact"],
                condition=models.Q(event_id__isnull=False),
                name="loop_mailbounce_event_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} from {self.provider} for {self.email or self.message_id}"


class BounceKey(models.Model):
    """What a mail provider proves itself with at the workspace's bounce URL, set by an admin;
    once set, every post from that provider must carry it. ``secret`` is Mailgun's webhook
    signing key (encrypted), SendGrid's verification key (its public key, base64), or the
    hash of Postmark's basic-auth password (``username`` is its user name). Never shown back
    whole: ``hint`` is its last characters. Amazon SNS needs none (its certificate signs)."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    provider = models.CharField(max_length=10, choices=BounceProvider.choices)
    secret = models.TextField()
    username = models.CharField(max_length=100, blank=True)
    hint = models.CharField(max_length=8)
    set_at = models.DateTimeField(default=clock.now)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["provider"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "provider"], name="loop_one_bounce_key_per_provider"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} key of {self.workspace_id} (…{self.hint})"


class BounceNonce(models.Model):
    """A signed token a provider sent (Mailgun's ``token``), kept a while so the same signed
    post cannot be replayed; older ones are refused as stale anyway and are pruned."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    provider = models.CharField(max_length=10, choices=BounceProvider.choices)
    value = models.CharField(max_length=200)
    seen_at = models.DateTimeField(default=clock.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "provider", "value"], name="loop_bounce_nonce_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} token at {self.seen_at:%Y-%m-%d %H:%M}"
