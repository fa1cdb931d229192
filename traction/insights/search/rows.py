"""The page's rows: the insights of a result page with their session, step and customer,
read in one constant statement and built as the ORM would build them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import (
    Field,
    ForeignKey,
    Model,
    signals,
)
from django.db.models.base import ModelState
from django.db.models.expressions import Col

from traction.customers.models import Customer
from traction.insights.models import Insight, Step
from traction.sessions.models import Session

from .engine import Read

M = TypeVar("M", bound=Model)


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
