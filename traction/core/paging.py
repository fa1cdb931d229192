"""Lists counted in the database and shaped a page at a time, for Django's ``Paginator``
and ninja's ``@paginate`` alike."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar, overload

from django.db.models import QuerySet

T = TypeVar("T")
U = TypeVar("U")


class Shaped(Generic[T]):
    """A list's rows counted in the database and shaped a page at a time: Django's
    ``Paginator`` and ninja's ``@paginate`` both count it and slice it, so a page costs the
    same queries whatever the number of rows (``shape`` gets the page's records and the
    offset of the first; ``counted``, when given, is counted instead of ``rows``: the same
    rows without what only shaping needs)."""

    def __init__(
        self,
        rows: QuerySet[Any],
        shape: Callable[[list[Any], int], list[T]],
        counted: QuerySet[Any] | None = None,
    ) -> None:
        self.rows = rows
        self.shape = shape
        self.counted = rows if counted is None else counted

    def all(self) -> Shaped[T]:
        return self

    def count(self) -> int:
        return self.counted.count()

    def __len__(self) -> int:
        return self.count()

    @overload
    def __getitem__(self, page: int) -> T: ...
    @overload
    def __getitem__(self, page: slice) -> list[T]: ...
    def __getitem__(self, page: int | slice) -> T | list[T]:
        if isinstance(page, int):
            return self.shape([self.rows[page]], page)[0]
        return self.shape(list(self.rows[page]), page.start or 0)

    def __iter__(self) -> Iterator[T]:
        return iter(self.shape(list(self.rows), 0))

    def then(self, more: Callable[[T], U]) -> Shaped[U]:
        """The same rows, each shaped further by ``more`` (e.g. into an API's fields)."""
        shape = self.shape
        return Shaped(
            self.rows, lambda page, offset: [more(r) for r in shape(page, offset)], self.counted
        )
