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
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.apps import apps
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


def _names(model: type[models.Model]) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields if not f.primary_key]


class _Rollback(Exception):
    pass


@dataclass
class Snapshot(Generic[T]):
    result: T
    rows: list[tuple[type[models.Model], list[models.Model]]]
    # Rows outside the snapshot that its rows point to, as they were: model -> pk -> values.
    outside: dict[type[models.Model], dict[Any, dict[str, Any]]]

    @classmethod
    def take(cls, build: Callable[[], T]) -> Snapshot[T]:
        tables = _tables()
        taken: dict[str, Any] = {}
        try:
            with transaction.atomic():
                before = {m: set(m._base_manager.values_list("pk", flat=True)) for m in tables}
                taken["result"] = build()
                rows = []
                for m in tables:
                    new = [o for o in m._base_manager.order_by("pk") if o.pk not in before[m]]
                    if new:
                        rows.append((m, new))
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
                taken["rows"] = rows
                taken["outside"] = {m: _values(m, pks) for m, pks in wanted.items()}
                raise _Rollback
        except _Rollback:
            pass
        return cls(taken["result"], taken["rows"], taken["outside"])

    def restore(self) -> T | None:
        """The rows inserted again and a copy of the result; None if the rows they point to
        are not there as they were (build again then)."""
        for m, values in self.outside.items():
            if _values(m, set(values)) != values:
                return None
        with transaction.atomic():  # foreign keys are checked when it ends
            for m, objs in self.rows:
                fields = list(m._meta.concrete_fields)
                m._base_manager._insert(objs, fields=fields, raw=True)  # type: ignore[attr-defined]
            reset = connection.ops.sequence_reset_sql(no_style(), [m for m, _ in self.rows])
            if reset:
                with connection.cursor() as cursor:
                    for sql in reset:
                        cursor.execute(sql)
        return copy.deepcopy(self.result)
