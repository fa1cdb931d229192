"""The database's own full-text search, one SQL form per vendor, over the index of migration
0002_search.

The selector asks three things, each answered per vendor (``queryset.db``'s):
``matching(queryset, query)`` keeps the insights whose text or tags match the parsed query,
``newest_first(...)`` and ``by_relevance(...)`` order them.

- SQLite: the FTS5 table ``insights_insight_fts`` (rowid = the insight's id), read through the
  unmanaged model ``SearchIndexRow``: each insight is joined to its index row
  (``search_index__document__match``), so the FTS table is the outer table of the walk.
  Newest first is the index row's id descending (FTS5 walks its matches backwards and the
  walk stops at the query's LIMIT: a capped count of a word in 600,000 rows reads 1,001 of
  them); relevance is FTS5's hidden ``rank`` column (bm25, lower is better).
- PostgreSQL: ``Matches``, the GIN-indexed expression
  ``to_tsvector('simple', text || ' ' || tags) @@ to_tsquery(...)`` (written as in the
  index, so the index is used); the rank is ``Rank``, ``ts_rank``.
- Any other database: ``Matches`` is every word or phrase as a case-insensitive ``LIKE`` on
  the text (no index, same meaning) and ``Rank`` is 0.

The query reaches the database as one bound parameter built from letters and digits only
(see ``query.py``), so no input can change the SQL.
"""

from __future__ import annotations

from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import BooleanField, F, FloatField, Func, Q, QuerySet
from django.db.models.sql.compiler import SQLCompiler

from traction.insights.models import Insight

from .index import PG_VECTOR
from .query import Query

SQL = tuple[str, tuple[Any, ...]]


def _fts5(queryset: QuerySet[Insight]) -> bool:
    """Does the queryset's database search with the FTS5 table (SQLite)?"""
    return connections[queryset.db].vendor == "sqlite"


def matching(queryset: QuerySet[Insight], query: Query) -> QuerySet[Insight]:
    """The insights of ``queryset`` whose text or tags match ``query`` (all without words)."""
    if not query:
        return queryset
    if _fts5(queryset):
        # An INNER JOIN of each insight to its index row: SQLite then walks the FTS matches
        # and looks each insight up by id (test_search checks the plan).
        return queryset.filter(search_index__document__match=query.fts5())
    return queryset.filter(Matches(query))


def newest_first(queryset: QuerySet[Insight], query: Query) -> QuerySet[Insight]:
    """``matching(...)``, newest (highest id) first, in the order the index can walk."""
    if query and _fts5(queryset):
        # The index row's id is the insight's, but ordering by the FTS table's own rowid is
        # what lets FTS5 walk backwards and stop at the LIMIT; ordering by the insight's id
        # makes SQLite walk the workspace and probe the index row by row instead.
        return queryset.order_by("-search_index__insight_id")
    return queryset.order_by("-pk")


def by_relevance(queryset: QuerySet[Insight], query: Query) -> QuerySet[Insight]:
    """``matching(...)``, best match first (newest first among equals)."""
    if _fts5(queryset):
        return queryset.order_by("search_index__rank", "-search_index__insight_id")
    return queryset.annotate(rank=Rank(query)).order_by("-rank", "-pk")


class _FullText(Func):
    """Shared by both expressions: the columns (compiled with the query's own table alias)
    and the parsed query."""

    def __init__(self, query: Query) -> None:
        super().__init__(F("text"), F("tags"))
        self.query = query

    def _columns(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> list[str]:
        columns = []
        for expression in self.get_source_expressions():
            sql, params = compiler.compile(expression)
            assert not params  # plain columns
            columns.append(sql)
        return columns

    def _pg_vector(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> str:
        text, tags = self._columns(compiler, connection)
        return PG_VECTOR.format(text=text, tags=tags)


class Matches(_FullText):
    """The insight's text or tags match the query: ``Insight.objects.filter(Matches(q))``."""

    output_field = BooleanField()

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> SQL:
        vector = self._pg_vector(compiler, connection)
        return f"{vector} @@ to_tsquery('simple'::regconfig, %s)", (self.query.tsquery(),)

    def as_sql(  # type: ignore[override]
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> SQL:
        # Another database: no index, but the same meaning, word by word (phrases as text).
        condition = Q()
        for term in self.query.terms:
            condition &= Q(text__icontains=" ".join(term.words))
        where = condition.resolve_expression(compiler.query)
        # A resolved Q is a WhereNode: compilable like any expression (the stubs say otherwise).
        sql, params = compiler.compile(where)  # type: ignore[arg-type]
        return sql or "1 = 1", tuple(params)


class Rank(_FullText):
    """How well the insight matches (higher is better); only meaningful with ``Matches``."""

    output_field = FloatField()

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> SQL:
        vector = self._pg_vector(compiler, connection)
        return f"ts_rank({vector}, to_tsquery('simple'::regconfig, %s))", (self.query.tsquery(),)

    def as_sql(  # type: ignore[override]
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> SQL:
        return "0", ()
