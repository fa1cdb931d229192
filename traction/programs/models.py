"""Programs: one customer-engagement initiative with a sponsor, a core team and a results window."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from traction.accounts.models import MemberFunction
from traction.core.models import ClockDateTimeField, WorkspaceRecord


class ProgramStatus(models.TextChoices):
    PLANNING = "planning", "Planning"
    ACTIVE = "active", "Running sessions"
    MEASURING = "measuring", "Measuring results"
    CLOSED = "closed", "Closed"


class Program(WorkspaceRecord):
    name = models.CharField(max_length=160)
    goal = models.TextField(help_text="The outcome this program is after, in one or two sentences.")
    executive_sponsor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sponsored_programs",
    )
    status = models.CharField(
        max_length=12, choices=ProgramStatus.choices, default=ProgramStatus.PLANNING
    )
    # Measurable results are expected 3 to 12 months after the sessions.
    results_window_start = models.DateField(null=True, blank=True)
    results_window_end = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "name"], name="program_name_unique_in_workspace"
            ),
            models.CheckConstraint(
                condition=models.Q(results_window_end__isnull=True)
                | models.Q(results_window_start__isnull=True)
                | models.Q(results_window_end__gte=models.F("results_window_start")),
                name="results_window_ends_after_start",
                violation_error_message="The results window must end on or after its start.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        start, end = self.results_window_start, self.results_window_end
        if start and end and end < start:
            raise ValidationError(
                {"results_window_end": "The results window must end on or after its start."}
            )


class CurrentMembers(models.Manager["ProgramMember"]):
    """Who belongs to the program now; ended memberships are history."""

    def get_queryset(self) -> models.QuerySet[ProgramMember]:
        return super().get_queryset().filter(left_at__isnull=True)


class ProgramMember(models.Model):
    """A workspace member who belongs to a program (core team or observer).

    Never deleted: leaving the team (or the workspace) sets ``left_at``; joining again makes a
    fresh row. ``objects`` and ``program.members`` are the current members; ``history`` every
    row. A rule joining members must say ``members__left_at__isnull=True`` too.
    """

    class Kind(models.TextChoices):
        CORE_TEAM = "core_team", "Core team"
        OBSERVER = "observer", "Observer"

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.RESTRICT, related_name="program_memberships"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.CORE_TEAM)
    added_at = ClockDateTimeField(auto_now_add=True)
    left_at = models.DateTimeField(null=True, blank=True)

    objects = CurrentMembers()
    history = models.Manager()  # noqa: DJ012 - a second manager, not a field

    class Meta:
        ordering = ["user__full_name"]
        base_manager_name = "history"
        constraints = [
            models.UniqueConstraint(
                fields=["program", "user"],
                condition=models.Q(left_at__isnull=True),
                name="one_program_membership",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.program} ({self.get_kind_display()})"


# The functions a cross-functional program has among its core team and policy makers: the
# people who build it (product), who hear customers day to day (support), who sell it (sales),
# who pay for it (finance) and who run it (operations). The program page names the missing
# ones; other functions (engineering, design, …) are shown when present, never required.
REQUIRED_FUNCTIONS: list[str] = [
    MemberFunction.PRODUCT,
    MemberFunction.SUPPORT,
    MemberFunction.SALES,
    MemberFunction.FINANCE,
    MemberFunction.OPERATIONS,
]

RESPONSIBILITY_MAX = 160


class CurrentPolicyMakers(models.Manager["PolicyMaker"]):
    def get_queryset(self) -> models.QuerySet[PolicyMaker]:
        return super().get_queryset().filter(left_at__isnull=True)


class PolicyMaker(models.Model):
    """Someone the program names to decide its recommendations: the people whose budgets and
    teams the decisions touch. The executive sponsor decides too without a row here.

    Never deleted, like ``ProgramMember``: ``left_at`` ends the role and ``history`` keeps it.
    """

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="policy_makers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.RESTRICT, related_name="policy_roles"
    )
    # What their decisions speak for, e.g. "Support budget"; optional.
    responsibility = models.CharField(max_length=160, blank=True)
    added_at = ClockDateTimeField(auto_now_add=True)
    left_at = models.DateTimeField(null=True, blank=True)

    objects = CurrentPolicyMakers()
    history = models.Manager()  # noqa: DJ012 - a second manager, not a field

    class Meta:
        ordering = ["user__full_name"]
        base_manager_name = "history"
        constraints = [
            models.UniqueConstraint(
                fields=["program", "user"],
                condition=models.Q(left_at__isnull=True),
                name="one_policy_maker_row",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} decides in {self.program}"
