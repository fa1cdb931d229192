"""Rows built once, inserted again for each test: the test cast costs a few inserts, not the
hundred and more queries of the services that build it.

``Snapshot.take(build)`` runs ``build`` in a transaction it rolls back, keeping every row
that ``build`` added (in every table, many-to-many ones too) and ``build``'s result.
``snapshot.restore()`` inserts those rows again, exactly as they were (primary keys and
timestamps included, no ``save()`` or signal), and returns a deep copy of the result, as
Django's ``setUpTestData`` gives each test its own copy of the class's objects. The rows
the snapshot's rows point to outside themselves (content types, rows that migrations
made) are checked first: when a transactional test's flush has remade them, ``restore``
says so (``None``) and the caller builds again.

What ``build`` changed or deleted of the rows that were there before it (a test world
giving the cast's customer an account owner) is kept too and done again by ``restore``,
which first checks that those rows are still as ``build`` found them. The emails ``build``
sent (Django's test outbox) are taken out with its rows and sent again by ``restore``.

``built_on(cast, build)`` is the same for a test world built on the cast: once per process
for each ``build``, then restored for each test on the cast it was given, which becomes the
world's cast (``world.cast is cast``, with what ``build`` did to its objects).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.apps import apps
from django.core import mail
from django.core.management.color import no_style
from django.db import connection, models, transaction

T = TypeVar("T")


def _tables() -> list[type[models.Model]]:
    return [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy
    ]


def _values(model: type[models.Model], pks: set[Any]) -> dict[Any, dict[str, Any]]:
    return {
        row["pk"]: row
        for row in model._base_manager.filter(pk__in=pks).values("pk", *_names(model))
    }


def _all_values(model: type[models.Model]) -> dict[Any, dict[str, Any]]:
    return {row["pk"]: row for row in model._base_manager.values("pk", *_names(model))}


def _outbox() -> list[Any] | None:
    outbox: list[Any] | None = getattr(mail, "outbox", None)
    return outbox


def _names(model: type[models.Model]) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields if not f.primary_key]


class _Rollback(Exception):
    pass


@dataclass
class Snapshot(Generic[T]):
    result: T
    rows: list[tuple[type[models.Model], list[models.Model]]]
    # Rows outside the snapshot, as they were before ``build``: those its rows point to, and
    # those ``build`` changed or deleted. model -> pk -> values.
    outside: dict[type[models.Model], dict[Any, dict[str, Any]]]
    # What ``build`` did to rows that were there before it: model -> pk -> values after it.
    changed: dict[type[models.Model], dict[Any, dict[str, Any]]] = field(default_factory=dict)
    deleted: dict[type[models.Model], set[Any]] = field(default_factory=dict)
    # The emails ``build`` sent (the test outbox), in order.
    sent: list[Any] = field(default_factory=list)

    @classmethod
    def take(cls, build: Callable[[], T]) -> Snapshot[T]:
        tables = _tables()
        taken: dict[str, Any] = {}
        outbox = _outbox()
        mailed = len(outbox) if outbox is not None else 0
        try:
            with transaction.atomic():
                before = {m: _all_values(m) for m in tables}
                taken["result"] = build()
                rows = []
                changed: dict[type[models.Model], dict[Any, dict[str, Any]]] = {}
                deleted: dict[type[models.Model], set[Any]] = {}
                for m in tables:
                    new = [o for o in m._base_manager.order_by("pk") if o.pk not in before[m]]
                    if new:
                        rows.append((m, new))
                    after = _all_values(m)
                    edits = {
                        pk: values
                        for pk, values in after.items()
                        if pk in before[m] and before[m][pk] != values
                    }
                    if edits:
                        changed[m] = edits
                    gone = set(before[m]) - set(after)
                    if gone:
                        deleted[m] = gone
                inside = {(m, o.pk) for m, objs in rows for o in objs}
                wanted: dict[type[models.Model], set[Any]] = {}
                for m, objs in rows:
                    for f in m._meta.concrete_fields:
                        if f.is_relation and f.related_model is not None:
                            target = f.related_model._meta.concrete_model
                            assert target is not None
                            for o in objs:
                                value = getattr(o, f.attname)
                                if value is not None and (target, value) not in inside:
                                    wanted.setdefault(target, set()).add(value)
                for m, pks in [*changed.items(), *deleted.items()]:
                    wanted.setdefault(m, set()).update(pks)
                taken["rows"] = rows
                taken["changed"] = changed
                taken["deleted"] = deleted
                taken["outside"] = {
                    m: {pk: before[m][pk] for pk in pks if pk in before[m]}
                    for m, pks in wanted.items()
                }
                raise _Rollback
        except _Rollback:
            pass
        sent: list[Any] = []
        if outbox is not None:
            sent = outbox[mailed:]
            del outbox[mailed:]  # rolled back with the rows; restore() sends them again
        return cls(
            taken["result"],
            taken["rows"],
            taken["outside"],
            taken["changed"],
            taken["deleted"],
            sent,
        )

    def restore(self) -> T | None:
        """The rows inserted again and a copy of the result; None if the rows they point to
        are not there as they were (build again then)."""
        if not self._in_place():
            return None
        self._write()
        return copy.deepcopy(self.result)

    def _in_place(self) -> bool:
        return all(_values(m, set(values)) == values for m, values in self.outside.items())

    def _write(self) -> None:
        with transaction.atomic():  # foreign keys are checked when it ends
            for m, objs in self.rows:
                fields = list(m._meta.concrete_fields)
                m._base_manager._insert(objs, fields=fields, raw=True)  # type: ignore[attr-defined]
            for m, edits in self.changed.items():
                for pk, values in edits.items():
                    m._base_manager.filter(pk=pk).update(
                        **{k: v for k, v in values.items() if k != "pk"}
                    )
            for m, pks in self.deleted.items():
                m._base_manager.filter(pk__in=pks)._raw_delete(connection.alias)  # type: ignore[attr-defined]
            reset = connection.ops.sequence_reset_sql(no_style(), [m for m, _ in self.rows])
            if reset:
                with connection.cursor() as cursor:
                    for sql in reset:
                        cursor.execute(sql)
        outbox = _outbox()
        if outbox is not None:
            outbox.extend(copy.deepcopy(self.sent))


W = TypeVar("W")

# One snapshot per world builder and test process (``built_on``).
_worlds: dict[Callable[..., Any], Snapshot[Any]] = {}


def built_on(cast: Any, build: Callable[[Any], W]) -> W:
    """``build(cast)``'s world: built through ``build`` once per process, then its rows
    inserted again for each test (``Snapshot``), on the test's ``cast`` (a fresh one from the
    cast snapshot). The world's objects are a copy; its cast is ``cast`` itself, given the
    state ``build`` left the cast's objects in, so ``world.cast is cast`` as when built."""
    snapshot = _worlds.get(build)
    if snapshot is None or not snapshot._in_place():
        # The cast is part of the result, so that the copy keeps what the world's objects
        # share with the cast's (a session's program is the cast's program).
        snapshot = Snapshot.take(lambda: (build(cast), cast))
        # The snapshot keeps a copy of its own: the test goes on to change the objects.
        snapshot.result = copy.deepcopy(snapshot.result)
        _worlds[build] = snapshot
    snapshot._write()
    built, built_cast = snapshot.result
    memo: dict[int, Any] = {}
    state = copy.deepcopy(built_cast.__dict__, memo)
    memo[id(built_cast)] = cast
    world = copy.deepcopy(built, memo)
    cast.__dict__.clear()
    cast.__dict__.update(state)
    return world
