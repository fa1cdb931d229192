"""Customer prioritisation (docs/method.md, step 4): voting rounds, dots, the ranking frozen at
close, and the delivery of each customer's voting link.

Customers rank moments of truth, issues and ideas (``insights.Insight``) with a fixed budget of
**votes** (dots) per customer participant. The tables keep the names they had when these
models lived in insights (``insights_votinground`` …): the move to this app changed the
migration state only (``voting/migrations/0001_initial.py``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from traction.core import clock
from traction.core.models import ClockDateTimeField
from traction.insights.models import Insight, InsightKind, Step


class VotingRound(models.Model):
    """A session's prioritisation: each customer participant spends ``budget`` dots."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    session = models.OneToOneField(
        "cosessions.Session", on_delete=models.PROTECT, related_name="voting"
    )
    budget = models.PositiveSmallIntegerField(default=3)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField(default=clock.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Who closed it (None: the system, e.g. the session was cancelled) and why.
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    close_reason = models.CharField(max_length=300, blank=True)
    # How many times it was closed: each closing freezes the ranking as ``FrozenCard`` rows
    # of that number; the results of a closed round read the latest.
    closings = models.PositiveSmallIntegerField(default=0)
    participants_at_close = models.PositiveIntegerField(null=True, blank=True)
    # The same count by organisation ({customer id: participants}) so that a reader who may
    # identify only some customers reads the participants of those (None: closed before it).
    participants_by_customer = models.JSONField(null=True, blank=True)
    # The room's screen hides the running totals until the facilitator reveals them; stored
    # here so every screen showing the room shows the same.
    totals_hidden = models.BooleanField(default=False)

    class Meta:
        db_table = "insights_votinground"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(budget__gte=1) & models.Q(budget__lte=50),
                name="voting_budget_1_to_50",
                violation_error_message="The budget is between 1 and 50 votes.",
            )
        ]

    def __str__(self) -> str:
        return f"Voting in {self.session}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class VoteChannel(models.TextChoices):
    ROOM = "room", "In the room, on the shared screen"
    PAPER = "paper", "Paper round, entered by the facilitator"
    LINK = "link", "Through the customer's own link"


class CountedVotes(models.Manager["Vote"]):
    """The votes that count: every vote not withdrawn. ``Vote.objects`` reads these only;
    ``Vote.history`` (the default manager, which the policy's scope uses) reads them all."""

    def get_queryset(self) -> models.QuerySet[Vote]:
        return super().get_queryset().filter(withdrawn_at__isnull=True)


class AllVotes(models.Manager["Vote"]):
    """Every vote, the withdrawn ones too: the record of what was entered."""


def counted(prefix: str = "") -> models.Q:
    """The filter keeping votes that count, for a query reaching votes through a join
    (``prefix``: the path to the vote, e.g. ``"votes__"``): a manager does not filter joins."""
    return models.Q(**{f"{prefix}withdrawn_at__isnull": True})


class Vote(models.Model):
    """The dots one customer participant put on one card.

    Dots a member entered for the contact (a paper round) keep who entered them
    (``recorded_by``) and why (``behalf_reason``). Such dots can be withdrawn, by the contact
    in the portal or by an admin or facilitator for them: the row stays, dated, with who
    withdrew it (``withdrawn_by``; None: the contact themselves) and why. A withdrawn vote
    counts nowhere (``Vote.objects`` leaves it out); a closed round's frozen ranking keeps it.
    """

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    session = models.ForeignKey("cosessions.Session", on_delete=models.PROTECT, related_name="+")
    insight = models.ForeignKey(Insight, on_delete=models.PROTECT, related_name="votes")
    contact = models.ForeignKey("customers.Contact", on_delete=models.PROTECT, related_name="+")
    dots = models.PositiveSmallIntegerField()
    channel = models.CharField(max_length=6, choices=VoteChannel.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = ClockDateTimeField(auto_now=True)
    # Why a member entered these dots for the contact ("" when the contact cast them).
    behalf_reason = models.CharField(max_length=300, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdraw_reason = models.CharField(max_length=300, blank=True)

    objects = CountedVotes()
    history = AllVotes()

    class Meta:
        db_table = "insights_vote"
        # The policy and Django's internals read every row (a withdrawn vote is still a row
        # its contact may open in the portal); ``Vote.objects`` is what counts.
        base_manager_name = "history"
        default_manager_name = "history"
        constraints = [
            models.UniqueConstraint(
                fields=["insight", "contact"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="one_vote_row_per_card",
            ),
            models.CheckConstraint(condition=models.Q(dots__gte=1), name="vote_has_dots"),
        ]
        indexes = [models.Index(fields=["session", "contact"], name="vote_session_contact")]

    def __str__(self) -> str:
        return f"{self.dots} on {self.insight_id} by {self.contact_id}"

    @property
    def on_behalf(self) -> bool:
        """Entered by a member for the contact (a paper round), not cast by them."""
        return self.channel == VoteChannel.PAPER


class FrozenCard(models.Model):
    """One card of a closed round's ranking, as it stood when voting closed.

    Written once by ``close_voting`` and never changed: later edits, merges, declines,
    erasure (which only rewrites the tombstoned names) or archiving leave the figures as
    they were. ``contributors`` lists the card's sources: ``[{"insight_id", "speaker_name",
    "customer_id", "organisation", "internal", "text"}]``.
    """

    round = models.ForeignKey(VotingRound, on_delete=models.PROTECT, related_name="frozen_cards")
    closing = models.PositiveSmallIntegerField()
    insight = models.ForeignKey(Insight, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField()  # capture order at close
    kind = models.CharField(max_length=20, choices=InsightKind.choices)
    text = models.TextField()
    # The step the card was on at close (its title is kept apart: a step removed later
    # leaves the title, and the link goes).
    step = models.ForeignKey(
        Step, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    step_title = models.CharField(max_length=160, blank=True)
    scenario_title = models.CharField(max_length=120, blank=True)
    speaker_name = models.CharField(max_length=160, blank=True)
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.CharField(max_length=200, blank=True)
    contributors = models.JSONField(default=list, blank=True)
    dots = models.PositiveIntegerField(default=0)
    voters = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "insights_frozencard"
        ordering = ["round", "closing", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "closing", "insight"], name="one_frozen_card_per_closing"
            )
        ]

    def __str__(self) -> str:
        return f"{self.text[:60]} ({self.dots})"


class FrozenVote(models.Model):
    """The dots one voter had on a frozen card when voting closed, with the voter's
    organisation and segment as they were (for the breakdowns)."""

    card = models.ForeignKey(FrozenCard, on_delete=models.PROTECT, related_name="votes")
    contact = models.ForeignKey("customers.Contact", on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    organisation = models.CharField(max_length=200)
    segment = models.CharField(max_length=20)
    dots = models.PositiveIntegerField()

    class Meta:
        db_table = "insights_frozenvote"

    def __str__(self) -> str:
        return f"{self.dots} on {self.card_id}"


class LinkDelivery(models.Model):
    """The latest email of one customer's voting link in one round: queued when the
    facilitator sends it, then delivered or not delivered (with the mail server's reason)
    when the background task runs. Shown to the facilitator on the voting page; an email
    that could not be sent is never recorded as sent."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    round = models.ForeignKey(VotingRound, on_delete=models.CASCADE, related_name="link_deliveries")
    invitation = models.ForeignKey(
        "cosessions.Invitation", on_delete=models.CASCADE, related_name="+"
    )
    # sessions.models.DeliveryStatus values: queued, delivered, failed.
    status = models.CharField(max_length=10, default="queued")
    error = models.CharField(max_length=500, blank=True)
    queued_at = models.DateTimeField(default=clock.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "insights_linkdelivery"
        constraints = [
            models.UniqueConstraint(
                fields=["round", "invitation"], name="one_link_delivery_per_invitation"
            )
        ]

    def __str__(self) -> str:
        return f"Voting link of invitation {self.invitation_id}: {self.status}"
