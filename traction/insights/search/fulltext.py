"""The database's own full-text search as two ORM expressions, one SQL form per vendor.

``Matches(query)`` is a boolean expression for ``Insight.objects.filter(...)``: the insight's
text or tags match the parsed query. ``Rank(query)`` is how well they match (higher is
better), for ``annotate(...)`` and ``order_by(...)``. Each renders one expression per vendor
(Django picks ``as_sqlite`` / ``as_postgresql``), over the index of migration 0002_search:

- SQLite: the FTS5 table ``insights_insight_fts`` (rowid = the insight's id):
  ``id IN (SELECT rowid FROM fts WHERE fts MATCH ...)``; the rank is FTS5's bm25.
- PostgreSQL: the GIN-indexed expression ``to_tsvector('simple', text || ' ' || tags)``
  ``@@ to_tsquery(...)`` (written as in the index, so the index is used); the rank is
  ``ts_rank``.
- Any other database: every word or phrase as a case-insensitive ``LIKE`` on the text (no
  index, same meaning) and no rank.

The query reaches the database as one bound parameter built from letters and digits only
(see ``query.py``), so no input can change the SQL.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import BooleanField, F, FloatField, Func, Q
from django.db.models.sql.compiler import SQLCompiler

from .index import FTS_TABLE, PG_VECTOR
from .query import Query

SQL = tuple[str, tuple[Any, ...]]


class _FullText(Func):
    """Shared by both expressions: the columns (compiled with the query's own table alias)
    and the parsed query."""

    def __init__(self, query: Query) -> None:
        super().__init__(F("pk"), F("text"), F("tags"))
        self.query = query

    def _columns(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> list[str]:
        columns = []
        for expression in self.get_source_expressions():
            sql, params = compiler.compile(expression)
            assert not params  # plain columns
            columns.append(sql)
        return columns

    def _pg_vector(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> str:
        _, text, tags = self._columns(compiler, connection)
        return PG_VECTOR.format(text=text, tags=tags)


class Matches(_FullText):
    """The insight's text or tags match the query: ``Insight.objects.filter(Matches(q))``."""

    output_field = BooleanField()

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> SQL:
        pk = self._columns(compiler, connection)[0]
        # The FTS table is only read in a subquery: the outer query walks its matches by
        # primary key (in id order), never the workspace (test_search checks the plan).
        fts = connection.ops.quote_name(FTS_TABLE)
        sql = f"{pk} IN (SELECT rowid FROM {fts} WHERE {fts} MATCH %s)"  # noqa: S608 -- names only
        return sql, (self.query.fts5(),)

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

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> SQL:
        pk = self._columns(compiler, connection)[0]
        fts = connection.ops.quote_name(FTS_TABLE)
        # Every match is scored in one pass of the index (bm25: lower is better), and each
        # ranked row looks its score up by id. ``LIMIT -1`` (no limit) keeps SQLite from
        # flattening the subquery into one FTS query per ranked row, which redoes the whole
        # match (a prefix's merge included) each time: 1 ms a row for a word in 15,000 rows.
        scores = (
            f"SELECT rowid AS id, -bm25({fts}) AS score FROM {fts} "  # noqa: S608 -- names only
            f"WHERE {fts} MATCH %s LIMIT -1"
        )
        sql = f"(SELECT score FROM ({scores}) WHERE id = {pk})"  # noqa: S608 -- names only
        return sql, (self.query.fts5(),)

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> SQL:
        vector = self._pg_vector(compiler, connection)
        return f"ts_rank({vector}, to_tsquery('simple'::regconfig, %s))", (self.query.tsquery(),)

    def as_sql(  # type: ignore[override]
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> SQL:
        return "0", ()
