"""How a search runs: on SQLite the FTS5 walk with the compiled permission scope, on
PostgreSQL (and any other database) through the ORM."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import (
    BooleanField,
    FloatField,
    QuerySet,
)
from django.db.models.expressions import RawSQL

from traction.core import permissions
from traction.core.permissions import Viewer
from traction.insights.models import Insight

from .index import FTS_TABLE, PG_VECTOR
from .query import Query
from .results import Filters, Order, scoped

DEFAULT_CAP = 1000
PAGE_SIZE = 50


# The compiled permission scope of a search, per database, viewer and filters. Compiling it
# costs more than a rare word's whole search, and its SQL depends on nothing but the key:
# rules build ``Q`` objects from the viewer's ids, never from rows (see core.permissions).
# Its placeholders are named (``%(s0)s``): SQLite's backend then only formats the text,
# instead of rewriting every ``%s`` of it with a regular expression on every call.
_SCOPES: dict[tuple[Any, ...], tuple[str, dict[str, Any]]] = {}
_SCOPES_MAX = 512
_PLACEHOLDER = re.compile(r"(?<!%)%s")


def _scope_sql(viewer: Viewer, filters: Filters, db: str) -> tuple[str, dict[str, Any]]:
    """``EXISTS`` subquery SQL (and params): the FTS row's insight is in the viewer's scope."""
    key = (db, viewer.workspace_id, viewer.role, viewer.user_id, filters)
    found = _SCOPES.get(key)
    if found is not None:
        # The same role passed the check when this was compiled; the request is checked.
        permissions.mark_checked()
        return found
    # The FTS table is the only table of the outer query: SQLite walks the matches (newest
    # first) and checks each against the scope by primary key. Joining the two tables
    # instead lets the planner start from the workspace's rows.
    rowid = RawSQL(f'"{FTS_TABLE}".rowid', ())  # noqa: S611 -- constant SQL
    scope = scoped(viewer, filters).using(db).filter(pk=rowid).order_by().values("pk")
    sql, params = scope.query.get_compiler(using=db).as_sql()
    numbers = iter(range(len(params)))
    named = _PLACEHOLDER.sub(lambda _: f"%(s{next(numbers)})s", sql)
    if len(_SCOPES) >= _SCOPES_MAX:
        _SCOPES.pop(next(iter(_SCOPES)))  # the oldest
    _SCOPES[key] = found = (named, {f"s{n}": value for n, value in enumerate(params)})
    return found


Read = Callable[[str, dict[str, Any]], list[tuple[Any, ...]]]


class _Placeholders(dict[str, str]):
    """``sql % _Placeholders()`` turns ``%(name)s`` into SQLite's ``:name``."""

    def __missing__(self, key: str) -> str:
        return f":{key}"


def _reader(connection: BaseDatabaseWrapper) -> Read:
    """How the search runs its statements (SQL with ``%(name)s`` placeholders; all rows).

    Through Django's cursor whenever something watches the queries (DEBUG's query log, the
    test suite's query counts, ``connection.execute_wrapper`` users). Otherwise, on SQLite,
    straight on the DB-API connection: for a rare word the whole search is a few tenths of
    a millisecond, and the cursor wrapper's layers were a tenth of it. Errors are Django's
    either way, and a broken transaction is refused either way.
    """
    if connection.vendor != "sqlite" or connection.queries_logged or connection.execute_wrappers:

        def through_django(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                rows: list[tuple[Any, ...]] = cursor.fetchall()
                return rows

        return through_django
    connection.ensure_connection()
    connection.validate_no_broken_transaction()
    dbapi = connection.connection
    placeholders = _Placeholders()

    def direct(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        with connection.wrap_database_errors:
            rows: list[tuple[Any, ...]] = dbapi.execute(sql % placeholders, params).fetchall()
            return rows

    return direct


def _sqlite(
    read: Read, scope: tuple[str, dict[str, Any]], query: Query, cap: int, offset: int, limit: int
) -> tuple[int, list[int], Order]:
    fts = f'"{FTS_TABLE}"'
    scope_sql, scope_params = scope
    select = f"SELECT rowid FROM {fts} WHERE {fts} MATCH %(q)s AND EXISTS ({scope_sql}) ORDER BY "  # noqa: S608
    params = {**scope_params, "q": query.fts5(), "cap": cap + 1, "limit": limit, "offset": offset}
    page = "LIMIT %(limit)s OFFSET %(offset)s"
    # One walk, newest first, that stops after cap + 1 matches: it is the capped count and,
    # for a common term, already the first pages.
    newest = [row[0] for row in read(select + "rowid DESC LIMIT %(cap)s", params)]
    count = len(newest)
    if count > cap:
        if offset + limit <= count:
            return count, newest[offset : offset + limit], "newest"
        return count, [row[0] for row in read(select + "rowid DESC " + page, params)], "newest"
    if count <= 1 or offset >= count:
        return count, newest[offset : offset + limit], "relevance"
    # Few enough matches to rank them all.
    ranked = read(select + f"bm25({fts}), rowid DESC " + page, params)
    return count, [row[0] for row in ranked], "relevance"


def _orm(
    base: QuerySet[Insight], query: Query, vendor: str, cap: int, offset: int, limit: int
) -> tuple[int, list[int], Order]:
    qs = base
    if qs.query.distinct:
        # A role's own scope joins memberships and needs DISTINCT; as a semi-join instead,
        # ordering by an expression stays possible on PostgreSQL.
        qs = Insight.objects.using(base.db).filter(pk__in=base.values("pk"))
    rank: RawSQL | None = None
    if query and vendor == "postgresql":
        tsquery = query.tsquery()
        qs = qs.filter(
            RawSQL(  # noqa: S611 -- constant SQL; the query is a bound parameter
                f"{PG_VECTOR} @@ to_tsquery('simple'::regconfig, %s)",
                (tsquery,),
                output_field=BooleanField(),
            )
        )
        rank = RawSQL(  # noqa: S611 -- constant SQL; the query is a bound parameter
            f"ts_rank({PG_VECTOR}, to_tsquery('simple'::regconfig, %s))",
            (tsquery,),
            output_field=FloatField(),
        )
    elif query:
        # Another database: no index, but the same meaning, word by word.
        for term in query.terms:
            qs = qs.filter(text__icontains=" ".join(term.words))
    count = qs.values("pk")[: cap + 1].count()
    order: Order = "relevance" if query and count <= cap else "newest"
    if order == "relevance" and rank is not None:
        qs = qs.annotate(search_rank=rank).order_by("-search_rank", "-pk")
    else:
        qs = qs.order_by("-pk")
    ids = list(qs.values_list("pk", flat=True)[offset : offset + limit])
    return count, [int(i) for i in ids], order
