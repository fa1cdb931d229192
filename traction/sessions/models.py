"""Sessions, their agendas, outreach approvals, customer invitations, internal participants
with their briefings, and top questions (docs/method.md, steps 1 and 2)."""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from traction.core import clock
from traction.core.models import ClockDateTimeField, WorkspaceRecord


class SessionKind(models.TextChoices):
    CO_DESIGN = "co_design", "Co-design session"
    CAB = "cab_meeting", "Customer advisory board meeting"
    INTERVIEW = "interview", "Interview"
    PRACTICE = "practice", "Practice session"


class SessionStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    CANCELLED = "cancelled", "Cancelled"


class SessionQuerySet(models.QuerySet["Session"]):
    def upcoming(self) -> SessionQuerySet:
        return self.filter(ends_at__gte=clock.now(), status=SessionStatus.PLANNED)

    def practice_candidates(self, session: Session) -> SessionQuerySet:
        """The sessions that may be linked as ``session``'s practice session: practice-session
        eligibility as a query (pickers). The rule, with its reasons, is
        ``Session.rehearsal_refusal``; tests hold the two to the same answers."""
        return (
            self.filter(
                kind=SessionKind.PRACTICE,
                program_id=session.program_id,
                starts_at__lt=session.starts_at,
            )
            .filter(models.Q(rehearses__isnull=True) | models.Q(rehearses=session))
            .exclude(pk=session.pk)
        )


class Session(WorkspaceRecord):
    """One session of a program. Times are stored in UTC and shown in ``time_zone``."""

    # RESTRICT on every link from history (here and below): a stray delete() of a program,
    # session, contact or user with history is refused; only a whole workspace's wipe
    # (which takes every row of it) may remove them.
    program = models.ForeignKey(
        "programs.Program", on_delete=models.RESTRICT, related_name="sessions"
    )
    kind = models.CharField(
        max_length=12, choices=SessionKind.choices, default=SessionKind.CO_DESIGN
    )
    title = models.CharField(max_length=160)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    time_zone = models.CharField(max_length=64, default="UTC")
    location = models.CharField(max_length=200, blank=True, help_text="Room and address.")
    video_link = models.URLField(blank=True)
    status = models.CharField(
        max_length=10, choices=SessionStatus.choices, default=SessionStatus.PLANNED
    )
    # The practice session that rehearses this one (both are sessions of the same program).
    practice = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="rehearses"
    )
    # Calendar identity: one UID for the event's whole life; SEQUENCE rises with each change.
    calendar_uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    calendar_sequence = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The invitation email's opening words, written for this session's customers; empty: the
    # standard opening (``invitation_email.opening``).
    invitation_opening = models.TextField(blank=True, default="")
    # Marked held by the facilitator after it took place, with when it actually ended (the
    # planned end unless they say otherwise): the debrief clock runs from ``actual_ends_at``.
    held_at = models.DateTimeField(null=True, blank=True)
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actual_ends_at = models.DateTimeField(null=True, blank=True)
    # The promise of the session's "Next steps": when its customers will hear back. The
    # first update to each of its customer organisations is due by then.
    hear_back_by = models.DateField(null=True, blank=True)

    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="session_ends_after_it_starts",
                violation_error_message="A session must end after it starts.",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        errors = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = "The session must end after it starts."
        try:
            zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # "Europe": a directory
            errors["time_zone"] = (
                f"Unknown time zone “{self.time_zone}”; use a name like Europe/Berlin."
            )
        if errors:
            raise ValidationError(errors)

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def local_start(self) -> datetime:
        return self.starts_at.astimezone(self.tz)

    @property
    def local_end(self) -> datetime:
        return self.ends_at.astimezone(self.tz)

    @property
    def length_minutes(self) -> int:
        return int((self.ends_at - self.starts_at) / timedelta(minutes=1))

    @property
    def is_practice(self) -> bool:
        """A rehearsal for internal participants: no customers are asked, invited or voting."""
        return self.kind == SessionKind.PRACTICE

    def rehearsal_refusal(self, session: Session) -> str:
        """Practice-session eligibility, the one rule: why this session may not be linked as
        the practice session of ``session``, or "" when it may. It must be a practice session
        (``is_practice``) of the same program, before ``session``, and free: a practice
        session rehearses one session. Services refuse with this reason;
        ``Session.objects.practice_candidates`` offers the same sessions in pickers."""
        if not self.is_practice:
            return "Choose a session of the kind “Practice session”."
        if self.program_id != session.program_id or self.pk == session.pk:
            return "The practice session must belong to the same program."
        if self.starts_at >= session.starts_at:
            return "The practice session must come before the session."
        other = Session.objects.filter(practice=self).exclude(pk=session.pk).first()
        if other is not None:
            return (
                f"“{self.title}” already rehearses “{other.title}”; a practice session "
                "rehearses one session. Choose another practice session, or plan a new one."
            )
        return ""

    PRACTICE_REFUSAL = (
        "A practice session is a rehearsal for internal participants: no customers are "
        "requested, invited or asked to vote."
    )

    @property
    def is_cancelled(self) -> bool:
        return self.status == SessionStatus.CANCELLED

    @property
    def has_ended(self) -> bool:
        return self.ends_at <= clock.now()

    @property
    def is_held(self) -> bool:
        """Confirmed held by the facilitator (``held_at``), not merely past its planned end."""
        return self.held_at is not None

    @property
    def suggested_hear_back_by(self) -> date:
        """The promise suggested for its "Next steps": two weeks after it ends (its zone)."""
        return self.ended_at.astimezone(self.tz).date() + timedelta(days=14)

    @property
    def hear_back_suggestion(self) -> date | None:
        """``suggested_hear_back_by`` while that day has not passed (in its zone): a date
        already gone is no suggestion."""
        suggested = self.suggested_hear_back_by
        return suggested if suggested >= clock.now().astimezone(self.tz).date() else None

    @property
    def ended_at(self) -> datetime:
        """When it ended: the confirmed actual end once held, else the planned end."""
        return self.actual_ends_at or self.ends_at

    @property
    def state(self) -> str:
        """What people call it now: cancelled, held, under way or upcoming."""
        if self.is_cancelled:
            return "cancelled"
        now = clock.now()
        if self.ends_at <= now:
            return "held"
        return "under way" if self.starts_at <= now else "upcoming"


class AgendaItem(models.Model):
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="agenda")
    position = models.PositiveIntegerField()
    title = models.CharField(max_length=160)
    minutes = models.PositiveIntegerField()
    notes = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.title} ({self.minutes} min)"


class OutreachStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the account owner"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"
    WAIVED = "waived", "Waived by an admin"


class OutreachRequest(models.Model):
    """Asking a contact's account owner for permission to invite the contact to a session."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    session = models.ForeignKey(
        Session, on_delete=models.RESTRICT, related_name="outreach_requests"
    )
    contact = models.ForeignKey(
        "customers.Contact", on_delete=models.RESTRICT, related_name="outreach_requests"
    )
    # The gatekeeper when the request was filed; they decide it.
    account_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="outreach_to_decide",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.TextField(blank=True, help_text="Why this contact, what they will be asked.")
    status = models.CharField(
        max_length=10, choices=OutreachStatus.choices, default=OutreachStatus.PENDING
    )
    conditions = models.TextField(blank=True)
    reason = models.TextField(blank=True)  # why declined or waived
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    # The requests asked together (one facilitator's ask for several contacts of a session,
    # with one message): each account owner gets one email and one notice for their part of
    # it, and may approve that part at once (Approvals).
    batch = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "contact"], name="one_outreach_request_per_contact"
            )
        ]

    def __str__(self) -> str:
        return f"Outreach to {self.contact} for {self.session}"

    @property
    def allows_invitation(self) -> bool:
        return self.status in (OutreachStatus.APPROVED, OutreachStatus.WAIVED)

    @property
    def age(self) -> timedelta:
        return (self.decided_at or clock.now()) - self.created_at


class RsvpStatus(models.TextChoices):
    INVITED = "invited", "No answer yet"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    # Accepted, then the session was moved: asked to confirm the new time (not accepted yet).
    RECONFIRM = "reconfirm", "Asked to confirm the new time"


# The answers that still wait for the customer: readiness counts them as not accepted.
UNANSWERED = (RsvpStatus.INVITED, RsvpStatus.RECONFIRM)


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", "Sending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Not delivered"
    # Sent before delivery was tracked (migration 0002): whether it arrived is not known.
    UNTRACKED = "untracked", "Sent before delivery was tracked"


class Invitation(models.Model):
    """A customer contact's invitation to a session; exists only behind an allowing outreach."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    session = models.ForeignKey(Session, on_delete=models.RESTRICT, related_name="invitations")
    outreach = models.OneToOneField(
        OutreachRequest, on_delete=models.RESTRICT, related_name="invitation"
    )
    contact = models.ForeignKey("customers.Contact", on_delete=models.RESTRICT, related_name="+")
    rsvp = models.CharField(max_length=10, choices=RsvpStatus.choices, default=RsvpStatus.INVITED)
    rsvp_note = models.CharField(max_length=500, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(default=clock.now)
    last_sequence_sent = models.PositiveIntegerField(default=0)
    # The invitation email itself: "queued" until the mail server accepted it ("delivered"),
    # "failed" (with why) when it refused or could not be reached after every retry.
    delivery = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    delivery_error = models.CharField(max_length=500, blank=True)
    delivery_attempts = models.PositiveIntegerField(default=0)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["contact__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "contact"], name="one_invitation_per_contact"
            )
        ]

    def __str__(self) -> str:
        return f"{self.contact} invited to {self.session}"


class ParticipantRole(models.TextChoices):
    FACILITATOR = "facilitator", "Facilitator"
    JUNIOR_FACILITATOR = "junior_facilitator", "Junior facilitator"
    NOTE_TAKER = "note_taker", "Note taker"
    OBSERVER = "observer", "Observer"
    EXECUTIVE = "executive", "Executive"


class CurrentParticipants(models.Manager["Participant"]):
    """Who takes part now: a participation that ended (removed, or left the workspace) is
    history, kept but no longer granting anything."""

    def get_queryset(self) -> models.QuerySet[Participant]:
        return super().get_queryset().filter(left_at__isnull=True)


class Participant(models.Model):
    """An internal participant of a session, with their role and preparation.

    Never deleted: removing someone (or their leaving the workspace) sets ``left_at``; adding
    them again makes a fresh row. ``objects`` (and ``session.participants``) are the current
    participations only; ``history`` holds every row. A rule joining participations must
    say ``participants__left_at__isnull=True`` too (see ``rules.taking_part``).
    """

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    session = models.ForeignKey(Session, on_delete=models.RESTRICT, related_name="participants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.RESTRICT, related_name="session_roles"
    )
    role = models.CharField(max_length=20, choices=ParticipantRole.choices)
    # The SEQUENCE of the last calendar file (.ics) emailed to them; None: none sent yet.
    calendar_sequence_sent = models.PositiveIntegerField(null=True, blank=True)
    briefing_acknowledged_at = models.DateTimeField(null=True, blank=True)
    attended_practice = models.BooleanField(default=False)
    added_at = ClockDateTimeField(auto_now_add=True)
    left_at = models.DateTimeField(null=True, blank=True)
    left_reason = models.CharField(max_length=200, blank=True)

    objects = CurrentParticipants()
    history = models.Manager()  # noqa: DJ012 - a second manager, not a field

    class Meta:
        ordering = ["role", "user__full_name"]
        base_manager_name = "history"
        constraints = [
            models.UniqueConstraint(
                fields=["session", "user"],
                condition=models.Q(left_at__isnull=True),
                name="one_role_per_participant",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}) in {self.session}"


class TopQuestion(models.Model):
    """A question an internal participant most wants to ask the customers at the end."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="questions")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.CharField(max_length=300)
    picked = models.BooleanField(default=False)
    position = models.PositiveIntegerField(null=True, blank=True)  # order among the picked
    created_at = ClockDateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "-created_at"]

    def __str__(self) -> str:
        return self.text


class QuestionUpvote(models.Model):
    """An internal participant's upvote of a top question (one per person and question).

    Not a dot: customers' dot votes are the voting app's ``Vote``."""

    question = models.ForeignKey(TopQuestion, on_delete=models.CASCADE, related_name="upvotes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["question", "user"], name="one_upvote_per_question")
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.question}"


class RsvpEmails(models.TextChoices):
    EACH = "each", "Each answer"
    DIGEST = "digest", "Daily digest"
    NONE = "none", "None"


class RsvpEmailPreference(models.Model):
    """How a member wants to hear by email about customers' RSVPs to the sessions they
    facilitate (no row: the default, a daily digest). Notices come whatever they choose."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    rsvp_emails = models.CharField(
        max_length=10, choices=RsvpEmails.choices, default=RsvpEmails.DIGEST
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "user"], name="one_rsvp_email_preference_per_member"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user}: RSVP emails {self.get_rsvp_emails_display().lower()}"


class RsvpAnswer(models.Model):
    """One answer a customer gave through their RSVP link (accept or decline, with a note):
    what the session's facilitators are told about, by notice and by email."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    invitation = models.ForeignKey(Invitation, on_delete=models.RESTRICT, related_name="answers")
    rsvp = models.CharField(max_length=10, choices=RsvpStatus.choices)
    note = models.CharField(max_length=500, blank=True)
    answered_at = models.DateTimeField()

    class Meta:
        ordering = ["answered_at", "id"]

    def __str__(self) -> str:
        return f"{self.invitation.contact}: {self.get_rsvp_display()}"


class RsvpAnswerEmail(models.Model):
    """``user`` was emailed about ``answer`` (on its own, or in a digest): never twice."""

    answer = models.ForeignKey(RsvpAnswer, on_delete=models.CASCADE, related_name="emails")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    digest = models.BooleanField(default=False)
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["answer", "user"], name="one_email_per_rsvp_answer")
        ]

    def __str__(self) -> str:
        return f"{self.user} told of {self.answer}"
