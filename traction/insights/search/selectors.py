"""The search selector: what a search asks for (Filters), the permission scope it starts
from, and what it answers (Results, one Hit per insight)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from django.db.models import Q, QuerySet
from django.utils.safestring import SafeString

from traction.core.permissions import Viewer
from traction.insights import rules
from traction.insights.models import Insight, InsightStatus

from .fulltext import by_relevance, matching, newest_first
from .query import MAX_TERMS, Query, highlight, parse

Order = Literal["relevance", "newest"]

DEFAULT_CAP = 1000
PAGE_SIZE = 50


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
    # One filter() of every condition (each call clones the query).
    if filters.include_candidates:
        where = Q(status__in=[InsightStatus.ACCEPTED, InsightStatus.CANDIDATE])
    else:
        where = Q(status=InsightStatus.ACCEPTED)
    if filters.program_id is not None:
        where &= Q(program_id=filters.program_id)
    if filters.session_id is not None:
        where &= Q(session_id=filters.session_id)
    if filters.step_id is not None:
        where &= Q(step_id=filters.step_id)
    if filters.kind:
        where &= Q(kind=filters.kind)
    if filters.customer_id is not None:
        where &= Q(customer_id=filters.customer_id)
    if filters.segment:
        where &= Q(customer__segment=filters.segment)
    if filters.customers_only:
        where &= Q(internal=False)
    if filters.tag:
        tag = filters.tag.strip().lower()
        where &= (
            Q(tags=tag)
            | Q(tags__startswith=tag + " ")
            | Q(tags__endswith=" " + tag)
            | Q(tags__contains=" " + tag + " ")
        )
    return qs.filter(where)


# What a result shows: the whole insight (a deferred field would cost a query per hit), and
# of its session, step and customer what the page and the API show or link with.
_ROW_FIELDS = (
    *(f.name for f in Insight._meta.concrete_fields),
    "session__title",
    "session__program",
    "session__workspace",
    "step__title",
    "step__position",
    "step__scenario",
    "customer__name",
    "customer__segment",
)


def _shown(insights: QuerySet[Insight]) -> QuerySet[Insight]:
    """The insights with what a result shows of them, their session, step and customer."""
    return insights.select_related("session", "step", "customer").only(*_ROW_FIELDS)


def search(
    viewer: Viewer,
    q: str = "",
    *,
    filters: Filters | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
    cap: int = DEFAULT_CAP,
) -> Results:
    """One page of the insights the viewer may see that match ``q`` and ``filters``.

    Guarantees: only insights in the viewer's ``insight.view`` scope; candidates only when
    asked, never discarded or merged ones; at most ``cap`` + 1 matches counted; relevance
    order under the cap, newest first otherwise (and always without a query); two queries
    whatever the page shows (the capped walk, then the page's insights with their sessions,
    steps and customers). Raises ValidationFailed (field ``q``) for an over-long query; no
    other input raises.
    """
    filters = filters or Filters()
    query = parse(q)
    page = max(1, page)
    offset = (page - 1) * page_size
    limit = page_size + 1  # one more: is there a next page?
    matches = matching(scoped(viewer, filters), query)
    newest = newest_first(matches, query)
    # One walk of the matches, newest first, that stops after cap + 1: it is the capped
    # count and, newest first, already the first pages' ids. (The full-text index is read
    # once: for a common word, setting up its walk is most of the cost.)
    walked = list(newest.values_list("pk", flat=True)[: cap + 1])
    count = len(walked)
    capped = count > cap
    order: Order = "relevance" if query and not capped else "newest"
    ids = walked[offset : offset + limit]
    if order == "relevance" and count > 1 and offset < count:
        # Few enough matches to rank them all (at most the cap): the page, ranked, with its
        # rows.
        page_rows = _shown(by_relevance(matches, query))[offset : offset + limit]
    elif capped and offset + limit > count:
        page_rows = _shown(newest)[offset : offset + limit]  # past the walk: walk on to it
    elif ids:
        page_rows = _shown(Insight.objects.filter(pk__in=ids)).order_by("-pk")
    else:
        page_rows = Insight.objects.none()
    found = list(page_rows)
    has_next = len(found) > page_size
    notes = []
    if query.dropped:
        notes.append(
            f"Only the first {MAX_TERMS} words and phrases were searched for; "
            f"{query.dropped} more were left out."
        )
    if capped and query:
        notes.append(
            f"These words match more than {cap:,} insights, so the newest come first. "
            "Add a word or a filter to rank by relevance."
        )
    return Results(
        query=query,
        filters=filters,
        hits=[Hit(insight=insight, query=query) for insight in found[:page_size]],
        count=count,
        capped=capped,
        cap=cap,
        order=order,
        page=page,
        page_size=page_size,
        has_next=has_next,
        notes=notes,
    )
