"""What a search asks for (Filters) and answers (Results, one Hit per insight), and the
permission scope every search starts from."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from django.db.models import (
    Q,
    QuerySet,
)
from django.utils.safestring import SafeString

from traction.core.permissions import Viewer
from traction.insights import rules
from traction.insights.models import Insight, InsightStatus

from .query import Query, highlight

Order = Literal["relevance", "newest"]


# --- filters and results ----------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What the result must also satisfy; ids of objects the viewer cannot see match nothing."""

    program_id: int | None = None
    session_id: int | None = None
    kind: str = ""
    customer_id: int | None = None
    segment: str = ""
    tag: str = ""
    step_id: int | None = None
    include_candidates: bool = False
    customers_only: bool = False

    @property
    def active(self) -> bool:
        return any(
            (
                self.program_id,
                self.session_id,
                self.kind,
                self.customer_id,
                self.segment,
                self.tag,
                self.step_id,
                self.include_candidates,
                self.customers_only,
            )
        )


@dataclass
class Hit:
    insight: Insight
    query: Query

    @cached_property
    def html(self) -> SafeString:
        """The text, escaped, with the matching words in <mark> (built when first shown:
        the API does not need it)."""
        return highlight(self.insight.text, self.query)


@dataclass
class Results:
    query: Query
    filters: Filters
    hits: list[Hit]
    count: int  # exact when not ``capped``; else ``cap`` + 1
    capped: bool
    cap: int
    order: Order
    page: int
    page_size: int
    has_next: bool
    notes: list[str] = field(default_factory=list)

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def count_label(self) -> str:
        if self.capped:
            return f"more than {self.cap:,}"
        return f"{self.count:,} result" + ("" if self.count == 1 else "s")

    @property
    def num_pages(self) -> int | None:
        if self.capped:
            return None
        return max(1, -(-self.count // self.page_size))


def scoped(viewer: Viewer, filters: Filters) -> QuerySet[Insight]:
    """The insights the viewer may see that pass the filters (accepted ones, by default)."""
    qs = rules.visible_insights(viewer, Insight.objects.all())
    statuses = [InsightStatus.ACCEPTED]
    if filters.include_candidates:
        statuses.append(InsightStatus.CANDIDATE)
    qs = qs.filter(status__in=statuses) if len(statuses) > 1 else qs.filter(status=statuses[0])
    if filters.program_id is not None:
        qs = qs.filter(program_id=filters.program_id)
    if filters.session_id is not None:
        qs = qs.filter(session_id=filters.session_id)
    if filters.step_id is not None:
        qs = qs.filter(step_id=filters.step_id)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.customer_id is not None:
        qs = qs.filter(customer_id=filters.customer_id)
    if filters.segment:
        qs = qs.filter(customer__segment=filters.segment)
    if filters.customers_only:
        qs = qs.filter(internal=False)
    if filters.tag:
        tag = filters.tag.strip().lower()
        qs = qs.filter(
            Q(tags=tag)
            | Q(tags__startswith=tag + " ")
            | Q(tags__endswith=" " + tag)
            | Q(tags__contains=" " + tag + " ")
        )
    return qs
