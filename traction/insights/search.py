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

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property, lru_cache
from typing import Any, Literal, TypeVar

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import (
    BooleanField,
    Field,
    FloatField,
    ForeignKey,
    Model,
    Q,
    QuerySet,
    signals,
)
from django.db.models.base import ModelState
from django.db.models.expressions import Col, RawSQL
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from traction.core import permissions
from traction.core.errors import ValidationFailed
from traction.core.permissions import Viewer
from traction.customers.models import Customer
from traction.sessions.models import Session

from .models import Insight, InsightStatus, Step

FTS_TABLE = "insights_insight_fts"
# The indexed expression of migration 0002_search, with qualified columns for the query
# (PostgreSQL matches an expression index on the parsed expression, not the text).
PG_VECTOR = (
    "to_tsvector('simple'::regconfig, \"insights_insight\".\"text\" || ' ' || "
    '"insights_insight"."tags")'
)

MAX_QUERY_CHARS = 200
MAX_TERMS = 12
DEFAULT_CAP = 1000
PAGE_SIZE = 50

# What a word is, for us and for both engines' tokenizers: letters and digits.
_WORD = re.compile(r"[^\W_]+")

Order = Literal["relevance", "newest"]
M = TypeVar("M", bound=Model)


# --- the query language -----------------------------------------------------------------------


def fold(word: str) -> str:
    """Case- and accent-insensitive form of a word (as FTS5's remove_diacritics sees it)."""
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@dataclass(frozen=True)
class Term:
    """One word or one quoted phrase; ``prefix``: its last word matches as a prefix."""

    words: tuple[str, ...]
    prefix: bool = False

    @property
    def is_phrase(self) -> bool:
        return len(self.words) > 1


@dataclass(frozen=True)
class Query:
    """A parsed search: its terms (ANDed), and how many words were left out."""

    text: str = ""
    terms: tuple[Term, ...] = ()
    dropped: int = 0

    def __bool__(self) -> bool:
        return bool(self.terms)

    def fts5(self) -> str:
        """An FTS5 MATCH expression. Words hold only letters and digits, and are quoted."""
        parts = []
        for term in self.terms:
            quoted = '"' + " ".join(term.words) + '"'
            parts.append(quoted + ("*" if term.prefix else ""))
        return " ".join(parts)

    def tsquery(self) -> str:
        """A PostgreSQL to_tsquery expression, built from quoted words only."""
        parts = []
        for term in self.terms:
            lexemes = [f"'{w}'" for w in term.words]
            if term.prefix:
                lexemes[-1] += ":*"
            parts.append("(" + " <-> ".join(lexemes) + ")" if term.is_phrase else lexemes[0])
        return " & ".join(parts)


@lru_cache(maxsize=1024)
def parse(text: str) -> Query:
    """Words, "quoted phrases" and a prefix last word; everything else is ignored.

    Cached: a Query is immutable, and live search asks for the same text again and again.

    Raises ValidationFailed (field ``q``) for queries longer than MAX_QUERY_CHARS.
    """
    if len(text) > MAX_QUERY_CHARS:
        raise ValidationFailed.field(
            "q", f"Search for at most {MAX_QUERY_CHARS} characters (this is {len(text)})."
        )
    text = unicodedata.normalize("NFC", text)
    terms: list[Term] = []
    seen: set[tuple[str, ...]] = set()
    words_total = 0
    # Even pieces are outside quotes, odd pieces inside; an unclosed quote runs to the end.
    pieces = text.split('"')
    for n, piece in enumerate(pieces):
        words = [w.lower() for w in _WORD.findall(piece)]
        if not words:
            continue
        words_total += len(words)
        candidates = [tuple(words)] if n % 2 else [(w,) for w in words]
        for words_of_term in candidates:
            if words_of_term not in seen:
                seen.add(words_of_term)
                terms.append(Term(words=words_of_term))
    kept = terms[:MAX_TERMS]
    kept_words = sum(len(t.words) for t in kept)
    if (
        kept
        and kept[-1] is terms[-1]
        and _typing_last_word(text, len(pieces))
        and len(kept[-1].words[-1]) >= 2
    ):
        kept[-1] = Term(words=kept[-1].words, prefix=True)
    return Query(text=text, terms=tuple(kept), dropped=max(0, words_total - kept_words))


def _typing_last_word(text: str, pieces: int) -> bool:
    # The last word is still being typed when nothing follows it: no space, no closing quote.
    return bool(text) and not text[-1].isspace() and (text[-1] != '"' or pieces % 2 == 0)


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
    qs = permissions.scope(viewer, "insight.view", Insight.objects.all())
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


# What a result shows of the insight's session, step and customer. The insight is loaded
# whole: its other fields cost little, and a deferred field would cost a query per hit.
_RELATED: tuple[tuple[str, type[Model], tuple[str, ...]], ...] = (
    ("session", Session, ("id", "title", "program_id", "workspace_id")),
    ("step", Step, ("id", "title", "position", "scenario_id")),
    ("customer", Customer, ("id", "name", "segment")),
)

Converter = Callable[[Any, Any, Any], Any]


@dataclass(frozen=True)
class _Part:
    """Where one model's values sit in a fetched row, and which relation of the insight it
    fills (``None``: the insight itself)."""

    model: type[Model]
    relation: str | None
    attnames: tuple[str, ...]
    start: int
    end: int


@dataclass(frozen=True)
class _Fetch:
    """The page's rows in one constant query (no ORM compilation per search), with the
    database's value converters the ORM would apply (dates, booleans), by column."""

    select: str
    parts: tuple[_Part, ...]
    converters: tuple[tuple[int, Col, tuple[Converter, ...]], ...]


@cache
def _fetch_sql(db: str) -> _Fetch:
    connection = connections[db]
    qn = connection.ops.quote_name
    # Short aliases: the backend rewrites the placeholders of the whole text on every call.
    table = Insight._meta.db_table
    fields: list[Field[Any, Any]] = list(Insight._meta.concrete_fields)
    selects = [f"i.{qn(f.column)}" for f in fields]
    parts = [_Part(Insight, None, tuple(f.attname for f in fields), 0, len(fields))]
    joins = []
    for n, (name, model, attnames) in enumerate(_RELATED):
        alias = f"r{n}"
        fk = Insight._meta.get_field(name)
        assert isinstance(fk, ForeignKey)
        joins.append(
            f"{'LEFT ' if fk.null else ''}JOIN {qn(model._meta.db_table)} {alias} "
            f"ON {alias}.{qn(model._meta.pk.column)} = i.{qn(fk.column)}"
        )
        at = len(fields)
        for related in model._meta.concrete_fields:
            if related.attname in attnames:
                fields.append(related)
                selects.append(f"{alias}.{qn(related.column)}")
        # The primary key comes first: a NULL there means no related row.
        assert fields[at].primary_key
        parts.append(_Part(model, name, tuple(f.attname for f in fields[at:]), at, len(fields)))
    converters = []
    for n, column in enumerate(fields):
        col = column.get_col(column.model._meta.db_table)
        found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        if found:
            converters.append((n, col, tuple(found)))
    select = (
        f"SELECT {', '.join(selects)} FROM {qn(table)} i {' '.join(joins)} "  # noqa: S608
        f"WHERE i.{qn(Insight._meta.pk.column)} IN "
    )
    return _Fetch(select, tuple(parts), tuple(converters))


def _loaded(model: type[M], db: str, attnames: tuple[str, ...], values: Sequence[Any]) -> M:
    """What ``model.from_db`` returns, without ``Model.__init__``: a page of results builds
    200 objects, and ``__init__`` (argument matching, descriptors, signals) was most of a
    search's time. Only for models with no ``pre_init``/``post_init`` receivers (checked)."""
    obj = model.__new__(model)
    obj.__dict__.update(zip(attnames, values, strict=True))
    state = obj._state = ModelState()
    state.adding = False
    state.db = db
    return obj


def _fetch(connection: BaseDatabaseWrapper, read: Read, ids: list[int]) -> list[Insight]:
    """The insights ``ids``, in that order, with their session, step and customer."""
    if not ids:
        return []
    db = connection.alias
    fetch = _fetch_sql(db)
    rows = read(fetch.select + _id_list(len(ids)), {f"i{n}": i for n, i in enumerate(ids)})
    build = _loaded if _plain_models() else _from_db
    own, *related = fetch.parts
    # Hits of one session (step, customer) share one object, as with prefetch_related.
    shared: dict[tuple[str | None, Any], Model] = {}
    found: dict[int, Insight] = {}
    for row in rows:
        values = list(row)
        for n, col, converters in fetch.converters:
            value = values[n]
            for converter in converters:
                value = converter(value, col, connection)
            values[n] = value
        insight = build(Insight, db, own.attnames, values[own.start : own.end])
        cache = insight._state.fields_cache
        for part in related:
            pk = values[part.start]
            if pk is None:
                cache[part.relation] = None
                continue
            obj = shared.get((part.relation, pk))
            if obj is None:
                obj = build(part.model, db, part.attnames, values[part.start : part.end])
                shared[(part.relation, pk)] = obj
            cache[part.relation] = obj
        found[values[0]] = insight
    return [found[i] for i in ids if i in found]


@cache
def _id_list(size: int) -> str:
    return "(" + ", ".join(f"%(i{n})s" for n in range(size)) + ")"


def _from_db(model: type[M], db: str, attnames: tuple[str, ...], values: Sequence[Any]) -> M:
    return model.from_db(db, list(attnames), list(values))


def _plain_models() -> bool:
    """No receiver wants to hear of these models being built (else build them the slow way)."""
    if not signals.pre_init.receivers and not signals.post_init.receivers:
        return True
    models = [Insight, *(model for _, model, _ in _RELATED)]
    return not any(
        signals.pre_init.has_listeners(m) or signals.post_init.has_listeners(m) for m in models
    )


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


# --- highlighting -----------------------------------------------------------------------------


def highlight(text: str, query: Query) -> SafeString:
    """``text`` HTML-escaped, with each word the query matched wrapped in ``<mark>``.

    Built on escaped pieces (never on the engine's markup), so insight text shows as text.
    """
    exact: set[str] = set()
    prefixes: list[str] = []
    for term in query.terms:
        for n, word in enumerate(term.words):
            if term.prefix and n == len(term.words) - 1:
                prefixes.append(fold(word))
            else:
                exact.add(fold(word))
    if not exact and not prefixes:
        return escape(text)
    out: list[str] = []
    pos = 0
    for match in _WORD.finditer(text):
        word = fold(match.group())
        if word in exact or any(word.startswith(p) for p in prefixes):
            out.append(escape(text[pos : match.start()]))
            out.append(f"<mark>{escape(match.group())}</mark>")
            pos = match.end()
    out.append(escape(text[pos:]))
    return mark_safe("".join(out))  # noqa: S308 -- every piece is escaped above


def sqlite_index_ok(using: str = "default") -> bool:
    """Are the FTS table and its three triggers there? (A table rebuild drops triggers.)"""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return True
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM sqlite_master WHERE (type = 'table' AND name = %s) "
            "OR (type = 'trigger' AND name IN (%s, %s, %s))",
            [FTS_TABLE, f"{FTS_TABLE}_ai", f"{FTS_TABLE}_ad", f"{FTS_TABLE}_au"],
        )
        return int(cursor.fetchone()[0]) == 4


def repair_sqlite_index(using: str = "default") -> bool:
    """Create the FTS table and triggers again if a table rebuild dropped them, and re-index
    every row. Runs after every ``migrate`` (see apps.py); True when it had to repair."""
    import importlib

    connection = connections[using]
    if connection.vendor != "sqlite" or sqlite_index_ok(using):
        return False
    if Insight._meta.db_table not in connection.introspection.table_names():
        return False  # not migrated yet (or migrated backwards): nothing to repair
    migration = importlib.import_module("traction.insights.migrations.0002_search")
    with connection.cursor() as cursor:
        for sql in migration.SQLITE_FORWARD:
            cursor.execute(sql)
    return True
