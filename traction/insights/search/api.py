"""API operations: full-text search over the insights the token's user may see.

Not ninja's ``@paginate``: its ``count`` is an exact total, and search counts matches only up
to a cap (see ``selectors.search``). The answer says so in ``count_capped`` and
which order the items come in, with the same ``page``/``page_size`` parameters as every list.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.errors import ValidationError

from traction.core.api import (
    ABSENT,
    PAGE_SIZE_HELP,
    FilterSchema,
    ObjectId,
    PageNumber,
    PageSize,
    Text,
    responses,
    viewer,
)
from traction.customers.schemas import SegmentValue
from traction.insights.models import Insight
from traction.insights.schemas import KindLiteral

from .query import MAX_QUERY_CHARS
from .selectors import DEFAULT_CAP, Filters, search

router = Router(tags=["insights"])

# How deep a client may page into one search (ids beyond it: add a word or a filter).
MAX_DEPTH = 10_000


class SearchQuery(FilterSchema):
    """What to search for: the words and the filters (the search and its export)."""

    q: Text = Field(
        "",
        max_length=MAX_QUERY_CHARS,
        description=(
            'Words (all must match, in the text or the tags), "quoted phrases" (words in '
            "this order), the last word also as a prefix unless followed by a space. Other "
            "characters are ignored. Empty: every insight, newest first."
        ),
    )
    program_id: ObjectId = Field(ABSENT, description="Only this program's insights.")
    session_id: ObjectId = Field(ABSENT, description="Only this session's insights.")
    step_id: ObjectId = Field(ABSENT, description="Only insights on this step.")
    kind: KindLiteral = Field(ABSENT, description="Only insights of this type.")
    customer_id: ObjectId = Field(ABSENT, description="Only what this customer's people said.")
    segment: SegmentValue = Field(ABSENT, description="Only what customers of this segment said.")
    tag: Text = Field("", max_length=40, description="Only insights with this tag.")
    customers_only: bool = Field(False, description="Leave out internal participants' remarks.")
    include_candidates: bool = Field(
        False, description="Also imported insights still waiting for review."
    )

    def filters(self) -> Filters:
        return Filters(
            program_id=self.program_id,
            session_id=self.session_id,
            step_id=self.step_id,
            kind=self.kind or "",
            customer_id=self.customer_id,
            segment=self.segment or "",
            tag=self.tag.strip().lstrip("#").lower(),
            customers_only=self.customers_only,
            include_candidates=self.include_candidates,
        )


class SearchParams(SearchQuery):
    page: PageNumber = 1
    page_size: PageSize = Field(
        settings.NINJA_PAGINATION_PER_PAGE,
        description=f"{PAGE_SIZE_HELP} Pages reach at most {MAX_DEPTH:,} results deep.",
    )


class SearchHitOut(Schema):
    id: int
    session_id: int
    session_title: str
    program_id: int
    scenario_id: int | None
    step_id: int | None
    step_title: str | None
    kind: KindLiteral
    text: str
    speaker_name: str = Field(description="Who said it, as captured; may be empty.")
    internal: bool = Field(description="An internal participant's remark, not customer input.")
    customer_id: int | None
    tags: list[str]
    status: Literal["candidate", "accepted"]
    created_at: dt.datetime

    @staticmethod
    def resolve_session_title(obj: Insight) -> str:
        return obj.session.title

    @staticmethod
    def resolve_step_title(obj: Insight) -> str | None:
        return obj.step.title if obj.step_id and obj.step else None

    @staticmethod
    def resolve_tags(obj: Insight) -> list[str]:
        return obj.tags.split()


class SearchOut(Schema):
    items: list[SearchHitOut]
    count: int = Field(
        description=(
            f"How many insights match. Matches are counted only up to {DEFAULT_CAP:,}: "
            "when count_capped is true there are more than count."
        )
    )
    count_capped: bool = Field(description=f"More than {DEFAULT_CAP:,} insights match.")
    order: Literal["relevance", "newest"] = Field(
        description=(
            "relevance: best match first (when count is not capped); newest: newest first "
            "(without q, or when count is capped)."
        )
    )
    has_next: bool = Field(description="There is a next page.")


@router.get(
    "/search/insights",
    response=responses({200: SearchOut}),
    operation_id="search_insights",
    summary="Search the insights you may see",
)
def search_insights(request: HttpRequest, params: Query[SearchParams]) -> dict[str, Any]:
    """Accepted insights (and candidates on request) matching ``q`` and the filters, from
    the programs, sessions and customers you may see. Internal remarks are included and
    marked ``internal``."""
    if (params.page - 1) * params.page_size >= MAX_DEPTH:
        raise ValidationError(
            [
                {
                    "loc": ["query", "page"],
                    "msg": f"Results go at most {MAX_DEPTH:,} deep: add a word or a filter.",
                    "type": "value_error",
                }
            ]
        )
    found = search(
        viewer(request),
        params.q,
        filters=params.filters(),
        page=params.page,
        page_size=params.page_size,
    )
    return {
        "items": [h.insight for h in found.hits],
        "count": min(found.count, found.cap),
        "count_capped": found.capped,
        "order": found.order,
        "has_next": found.has_next,
    }
