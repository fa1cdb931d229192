"""Full-text search over a workspace's insights: the query language, the selector, highlighting.

The query language is small on purpose: words are ANDed, ``"quoted phrases"`` match in
order, and the last word matches as a prefix while it is being typed (``invo`` finds
*invoice*). Only letters and digits reach the database: every word is re-quoted by us, so no
input (quotes, ``NEAR``, ``*``, ``-``, ``:``, parentheses) can cause a syntax error.

Per vendor (the index is built by migration 0002_search):

- SQLite: an FTS5 external-content table ``insights_insight_fts``. The FTS table drives
  the query and the permission scope is a correlated ``EXISTS`` on the insight's primary
  key, so the plan is "walk the matches, look each one up" and never "walk the workspace".
- PostgreSQL: ``to_tsvector('simple', text || ' ' || tags) @@ to_tsquery(...)``, the same
  expression as the GIN index, so the index is used.

Common words: matches are counted only up to ``cap`` (1,000). Under the cap the results are
ranked by relevance (bm25 / ts_rank); above it they come newest first, which both engines
produce by walking the index in id order and stopping after one page, and the page says so.
"""

from __future__ import annotations

from django.db import connections

from traction.core.permissions import Viewer
from traction.insights.models import Insight

from .engine import (
    DEFAULT_CAP,
    PAGE_SIZE,
    _orm,
    _reader,
    _scope_sql,
    _sqlite,
)
from .index import FTS_TABLE, PG_VECTOR, repair_sqlite_index, sqlite_index_ok
from .query import MAX_QUERY_CHARS, MAX_TERMS, Query, Term, fold, highlight, parse
from .results import Filters, Hit, Order, Results, scoped
from .rows import _fetch

__all__ = [
    "DEFAULT_CAP",
    "FTS_TABLE",
    "MAX_QUERY_CHARS",
    "MAX_TERMS",
    "PAGE_SIZE",
    "PG_VECTOR",
    "Filters",
    "Hit",
    "Order",
    "Query",
    "Results",
    "Term",
    "_fetch",
    "_reader",
    "_scope_sql",
    "_sqlite",
    "fold",
    "highlight",
    "parse",
    "repair_sqlite_index",
    "scoped",
    "search",
    "sqlite_index_ok",
]


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
    order under the cap, newest first otherwise (and always without a query). Raises
    ValidationFailed (field ``q``) for an over-long query; no other input raises.
    """
    filters = filters or Filters()
    query = parse(q)
    page = max(1, page)
    db = Insight.objects.db
    connection = connections[db]
    vendor = connection.vendor
    offset = (page - 1) * page_size
    read = _reader(connection)
    if query and vendor == "sqlite":
        count, ids, order = _sqlite(
            read, _scope_sql(viewer, filters, db), query, cap, offset, page_size + 1
        )
    else:
        base = scoped(viewer, filters)
        count, ids, order = _orm(base, query, vendor, cap, offset, page_size + 1)
    has_next = len(ids) > page_size
    insights = _fetch(connection, read, ids[:page_size])
    notes = []
    if query.dropped:
        notes.append(
            f"Only the first {MAX_TERMS} words and phrases were searched for; "
            f"{query.dropped} more were left out."
        )
    capped = count > cap
    if capped and query:
        notes.append(
            f"These words match more than {cap:,} insights, so the newest come first. "
            "Add a word or a filter to rank by relevance."
        )
    return Results(
        query=query,
        filters=filters,
        hits=[Hit(insight=i, query=query) for i in insights],
        count=min(count, cap + 1),
        capped=capped,
        cap=cap,
        order=order,
        page=page,
        page_size=page_size,
        has_next=has_next,
        notes=notes,
    )
