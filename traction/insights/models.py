"""Scenario maps, insights and imports (docs/method.md, step 3).

A **scenario** is one customer team's map: the outcome they want, its context, and the ordered
**steps** of their ideal future. Everything customers (and internal participants) say lands as
an **insight**: one atomic, attributed piece of input with its kind, verbatim text, speaker and
step. Insights imported from transcripts arrive as *candidates* in a review queue; captured or
accepted insights are on the map. Customers then rank the votable cards (``VOTABLE_KINDS``,
``Insight.objects.votable()``) in the voting app (``traction.voting``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from traction.core import clock
from traction.core.models import WorkspaceRecord


class InsightKind(models.TextChoices):
    OUTCOME = "outcome", "Outcome"
    CONTEXT = "context", "Context"
    STEP = "step", "Step"
    MOMENT_OF_TRUTH = "moment_of_truth", "Moment of truth"
    ISSUE = "issue", "Issue"
    IDEA = "idea", "Idea"
    CUSTOMER_METRIC = "customer_metric", "Customer metric"
    QUOTE = "quote", "Quote"
    QUESTION = "question", "Question"


# The rows of the journey grid, in order, and the kinds customers vote on.
GRID_KINDS = (
    InsightKind.MOMENT_OF_TRUTH,
    InsightKind.ISSUE,
    InsightKind.IDEA,
    InsightKind.CUSTOMER_METRIC,
)
VOTABLE_KINDS = (InsightKind.MOMENT_OF_TRUTH, InsightKind.ISSUE, InsightKind.IDEA)


class InsightStatus(models.TextChoices):
    CANDIDATE = "candidate", "Waiting for review"
    ACCEPTED = "accepted", "Accepted"
    DISCARDED = "discarded", "Discarded"
    MERGED = "merged", "Merged into another"
    WITHDRAWN = "withdrawn", "Withdrawn"


class InsightSource(models.TextChoices):
    LIVE = "live", "Captured live"
    IMPORT = "import", "Imported"
    API = "api", "Added through the API"
    PORTAL = "portal", "From the customer portal"
    BEHALF = "behalf", "Entered on the contact's behalf"


class Scenario(WorkspaceRecord):
    """One customer team's map of their ideal future in a session."""

    session = models.ForeignKey(
        "cosessions.Session", on_delete=models.PROTECT, related_name="scenarios"
    )
    title = models.CharField(max_length=120, help_text="The team's name, e.g. “Team Blue”.")
    outcome = models.TextField(blank=True, help_text="The outcome the team wants.")
    context_who = models.TextField(blank=True)
    context_where = models.TextField(blank=True)
    context_when = models.TextField(blank=True)
    constraints = models.TextField(blank=True)
    # The customer participants (contacts invited to the session) who form the team.
    team = models.ManyToManyField("customers.Contact", blank=True, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.title


class Step(models.Model):
    """One step of a scenario; the journey grid's columns, in ``position`` order."""

    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField()
    title = models.CharField(max_length=160)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class StepSupport(models.Model):
    """The map's "how we support it" lane: a company team or a partner involved at a step, so
    recommendations and action items land on an owning team."""

    class Kind(models.TextChoices):
        TEAM = "team", "Our team"
        PARTNER = "partner", "Partner"

    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="support")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.TEAM)
    name = models.CharField(max_length=120, help_text="e.g. “Billing support” or “Acme Payments”.")
    note = models.CharField(max_length=300, blank=True, help_text="What they do at this step.")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class ImportFormat(models.TextChoices):
    VTT = "vtt", "WebVTT transcript"
    SRT = "srt", "SRT subtitles"
    TEXT = "text", "Plain text transcript"
    CSV = "csv", "Sticky-note CSV"


class ImportBatch(models.Model):
    """One imported file. The same file (by content) is imported once per session, unless its
    batch was discarded (``services.discard_import``): then it may be imported again."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    session = models.ForeignKey(
        "cosessions.Session", on_delete=models.CASCADE, related_name="imports"
    )
    format = models.CharField(max_length=8, choices=ImportFormat.choices)
    filename = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(default=0)
    rows = models.PositiveIntegerField(default=0)  # insights it created
    # CSV column mapping and speaker mapping the user confirmed, for the record.
    mapping = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)
    # A large import writes in committed chunks so it never holds the database for long. Until
    # its last chunk is written the batch is in progress: its rows are hidden (see
    # ``visible_insights``), ``rows`` counts those written so far and ``progress_at`` is
    # refreshed with every chunk, so an import whose process died is recognised as stale and
    # cleaned up by the next import of the same file.
    in_progress = models.BooleanField(default=False)
    progress_at = models.DateTimeField(null=True, blank=True)
    # Discarded as a whole: its rows waiting for review (and, for an import made with
    # "accept", its rows on the map) were discarded with it.
    discarded_at = models.DateTimeField(null=True, blank=True)
    discarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "sha256"],
                condition=models.Q(discarded_at__isnull=True),
                name="one_import_per_file",
            )
        ]

    def __str__(self) -> str:
        return self.filename

    @staticmethod
    def visible_insights(prefix: str = "") -> models.Q:
        """The filter hiding the rows of imports still being written, for any insight query
        (``prefix``: the path to the insight, e.g. ``"insight__"``). Cheap: in-progress
        batches are few, so it is one small subquery, no join."""
        unfinished = ImportBatch.objects.filter(in_progress=True).values("pk")
        # Django keeps rows without a batch: NOT (batch_id IN (…) AND batch_id IS NOT NULL).
        return ~models.Q(**{f"{prefix}batch__in": unfinished})


def written() -> models.Q:
    """Insights that are not part of an import still being written: the one filter every
    read (``rules.visible_insights``) and every vote (``votable()``) applies, so the rows of
    an unfinished import are neither shown, searched, ranked nor voted on (and its cleanup,
    should it fail, finds no vote in its way)."""
    return ImportBatch.visible_insights()


def raised() -> models.Q:
    """Insights that make their speaker's organisation a raiser: on the map (accepted), or
    merged into a card that is, and written (``written()``). A candidate waiting in the review
    queue, a discarded or withdrawn row is nobody's input yet: it puts no customer on a
    program's communication plan (the rule the portal and the update audiences apply, which
    read accepted cards and the notes merged into them). The status test comes first so an
    index holding the status (``insight_session_ws_status``) skips every other row."""
    return (
        models.Q(status__in=[InsightStatus.ACCEPTED, InsightStatus.MERGED])
        & (
            models.Q(status=InsightStatus.ACCEPTED)
            | models.Q(merged_into__status=InsightStatus.ACCEPTED)
        )
        & written()
    )


def not_withdrawn(prefix: str = "") -> models.Q:
    """Insights not withdrawn (``prefix``: the path to the insight, e.g. ``"merged__"``): the
    filter every reader of who said what applies when it does not already ask for a status
    (a withdrawn insight is nobody's input: not a raiser, not a contributor, not quoted)."""
    return ~models.Q(**{f"{prefix}status": InsightStatus.WITHDRAWN})


class InsightQuerySet(models.QuerySet["Insight"]):
    def written(self) -> InsightQuerySet:
        """Not part of an import still being written (see ``written()``)."""
        return self.filter(written())

    def votable(self) -> InsightQuerySet:
        """The cards customers may vote on: the one rule, with ``Insight.is_votable``;
        never a row of an import still being written."""
        return self.written().filter(
            kind__in=VOTABLE_KINDS,
            internal=False,
            status=InsightStatus.ACCEPTED,
            speaker_contact__isnull=False,
        )

    def unattributed(self) -> InsightQuerySet:
        """Notes credited to no one we know (no speaker, or a name matched to nobody)."""
        return self.filter(speaker_contact__isnull=True, speaker_user__isnull=True)


class Insight(WorkspaceRecord):
    """One atomic, attributed piece of input from a session.

    ``internal`` marks what internal participants said themselves: it is kept, shown apart,
    and never counts as customer input (not votable, not in customer rankings). A note with
    no speaker, or a speaker's name as written that matched nobody, is *unattributed*: not
    customer input either, until someone says who said it.

    A merged card keeps its sources as rows of their own (status ``merged``, ``merged_into``
    the card): each with its own words, speaker and organisation, the card's contributors.
    """

    # Denormalised from the session so searches filter without joins.
    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(
        "cosessions.Session", on_delete=models.PROTECT, related_name="insights"
    )
    # PROTECT: removing a scenario or step detaches its cards explicitly (services/scenarios).
    scenario = models.ForeignKey(
        Scenario, null=True, blank=True, on_delete=models.PROTECT, related_name="insights"
    )
    step = models.ForeignKey(
        Step, null=True, blank=True, on_delete=models.PROTECT, related_name="insights"
    )
    kind = models.CharField(max_length=20, choices=InsightKind.choices)
    text = models.TextField()
    # Who said it: a customer contact, or an internal user; ``speaker_name`` as written.
    speaker_contact = models.ForeignKey(
        "customers.Contact", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    speaker_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    speaker_name = models.CharField(max_length=160, blank=True)
    # The speaker's organisation (denormalised for segment and organisation breakdowns).
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    internal = models.BooleanField(default=False)
    # Lower-case tags separated by single spaces, e.g. "billing onboarding".
    tags = models.CharField(max_length=300, blank=True)
    status = models.CharField(
        max_length=10, choices=InsightStatus.choices, default=InsightStatus.ACCEPTED
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged"
    )
    source = models.CharField(
        max_length=8, choices=InsightSource.choices, default=InsightSource.LIVE
    )
    batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="insights"
    )
    source_line = models.PositiveIntegerField(null=True, blank=True)
    spoken_at_ms = models.PositiveIntegerField(null=True, blank=True)
    # A customer metric card names the moments of truth it measures (cards of the same
    # scenario); the debrief turns it into scorecard metrics.
    measures = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="measured_by"
    )
    captured_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Entered by a member for a contact who said it outside the session (source ``behalf``):
    # why ("She told me on the phone"). Such an insight can be withdrawn, by the contact in
    # the portal or by an admin or facilitator for them: status ``withdrawn``, dated, with
    # who (None: the contact themselves) and why; it then counts as nobody's input.
    behalf_reason = models.CharField(max_length=300, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    withdraw_reason = models.CharField(max_length=300, blank=True)
    # When it was said or captured: the writer may set it (an import stamps its whole batch
    # with one time), so a default, not WorkspaceRecord's auto_now_add.
    created_at = models.DateTimeField(default=clock.now)

    objects = InsightQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["workspace", "kind"], name="insight_ws_kind"),
            # Session first: a session's cards (and an empty session's count) are read from
            # this index whatever the workspace's size (migration 0008 says why it also
            # holds the workspace).
            models.Index(
                fields=["session", "workspace", "status"], name="insight_session_ws_status"
            ),
            models.Index(fields=["workspace", "customer"], name="insight_ws_customer"),
        ]

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def speaker_key(self) -> str:
        """Who said it, as the forms and the API name people: "c:<contact id>" for a
        customer, "u:<user id>" for an internal participant, "" for nobody."""
        if self.speaker_contact_id:
            return f"c:{self.speaker_contact_id}"
        return f"u:{self.speaker_user_id}" if self.speaker_user_id else ""

    @property
    def row_name(self) -> str:
        """How the review queue names the row for a screen reader ("Type of line 7"): its
        line in the imported file, or, for a candidate from elsewhere (a customer's reply in
        the portal has no line), the start of its words."""
        if self.source_line:
            return f"line {self.source_line}"
        words = " ".join(self.text.split())
        if len(words) > 40:  # whole words only
            words = words[:41].rsplit(" ", 1)[0].rstrip(",;:") + "…"
        return f"“{words}”"

    @property
    def tag_list(self) -> list[str]:
        return self.tags.split()

    @property
    def is_attributed(self) -> bool:
        """Credited to a customer contact or an internal participant."""
        return bool(self.speaker_contact_id or self.speaker_user_id)

    @property
    def is_votable(self) -> bool:
        """Customers may vote on it: an accepted moment of truth, issue or idea said by a
        customer contact (the same rule as ``Insight.objects.votable()``)."""
        return not self.why_not_votable()

    def why_not_votable(self) -> str:
        """Why customers may not vote on this card, in their words ("" when they may): the
        rule of ``Insight.objects.votable()``, one reason per condition, first one failing."""
        if self.internal:
            return (
                "This card is an internal participant's remark; only customers' input is voted on."
            )
        if self.status != InsightStatus.ACCEPTED:
            return "This card is not on the map (it is not an accepted insight)."
        if self.kind not in VOTABLE_KINDS:
            return "Customers vote on moments of truth, issues and ideas only."
        if self.speaker_contact_id is None:
            return (
                "Nobody we know is credited with this card (unattributed); say who said it "
                "before customers vote on it."
            )
        return ""

    def contributors(self) -> list[Insight]:
        """Whose words the card holds: itself first, then the cards merged into it."""
        return [self, *self.merged.filter(not_withdrawn()).order_by("created_at", "id")]


# --- the full-text index (SQLite) --------------------------------------------------------------


class FullTextDocument(models.TextField):  # type: ignore[type-arg]
    """FTS5's hidden column named after its table: what ``MATCH`` is asked of (read only)."""


@FullTextDocument.register_lookup
class FullTextMatch(models.Lookup):  # type: ignore[type-arg]
    """``document__match=<FTS5 query>``: FTS5's own ``MATCH`` on the index row."""

    lookup_name = "match"

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} MATCH {rhs}", [*lhs_params, *rhs_params]


class SearchIndexRow(models.Model):
    """One row of the SQLite full-text index ``insights_insight_fts`` (migration
    0002_search: an FTS5 table over the insights' text and tags, rowid = the insight's id,
    kept by triggers). Read only, and only on SQLite (PostgreSQL indexes an expression
    instead): ``Insight.objects.filter(search_index__document__match=...)`` joins an insight
    to its index row, so that the full-text index drives the walk (search/fulltext.py)."""

    insight = models.OneToOneField(
        Insight,
        on_delete=models.DO_NOTHING,  # the triggers keep the index; nothing to cascade
        primary_key=True,
        db_column="rowid",
        db_constraint=False,
        related_name="search_index",
    )
    document = FullTextDocument(db_column="insights_insight_fts")
    # FTS5's hidden rank of a match: its bm25 score, lower is better.
    rank = models.FloatField()

    class Meta:
        managed = False
        db_table = "insights_insight_fts"

    def __str__(self) -> str:
        return f"index row of insight {self.pk}"
